#!/usr/bin/env bash
# Run the README's two commands as a new user would on a fresh Debian 12 machine.
#
#   scripts/check-fresh-debian.sh [--rebuild]
#
# The machine: a container from the debootstrap base image that scripts/setup.sh builds
# (dicomactors/base:bookworm), with only `python3 python3-pip python3-venv git` added from
# Debian (image dicomactors/fresh-debian:latest, reused unless --rebuild). Into it goes a clean
# clone of this repository's HEAD (committed work only), and there, as root, with host
# networking and no Docker engine (the container part of the set-up skips with its warning,
# the container scenarios and tests skip with a reason), run:
#
#   bash scripts/setup.sh && .venv/bin/python -m pytest scenarios/
#   bash scripts/setup.sh && bash scripts/test.sh
#
# Exit status 0 when both succeed. Needs root and a Docker engine on this machine (run
# scripts/setup.sh first). The CA certificates this host added to its trust store
# (/usr/local/share/ca-certificates) are added to the container's, as docker/build.sh does,
# so that pip reaches the package index through the same TLS-intercepting proxy, if any.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_IMAGE="${DICOMACTORS_BASE_IMAGE:-dicomactors/base:bookworm}"
IMAGE="dicomactors/fresh-debian:latest"
NAME="dicomactors-fresh-debian-$$"
START_SECONDS=$SECONDS

log() { printf '[fresh-debian %4ds] %s\n' "$((SECONDS - START_SECONDS))" "$*"; }
die() {
    printf '[fresh-debian] ERROR: %s\n' "$*" >&2
    exit 2
}

REBUILD=0
case "${1:-}" in
    --rebuild) REBUILD=1 ;;
    "") ;;
    *) die "usage: $0 [--rebuild]" ;;
esac

docker info >/dev/null 2>&1 || die "no Docker engine answers (run bash scripts/setup.sh as root)"
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 \
    || die "no base image $BASE_IMAGE (bash scripts/setup.sh builds it with debootstrap)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dicomactors-fresh-debian.XXXXXX")"
cleanup() {
    docker rm -f "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

build_image() {
    if [ "$REBUILD" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
        log "reusing $IMAGE"
        return
    fi
    local context="$WORK/image"
    mkdir -p "$context/ca"
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$context/ca/"
    fi
    cat >"$context/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
# Only what the README asks a new user to have; the CA certificates of the building host's
# trust store come along (python3-pip depends on ca-certificates, which rebuilds the bundle).
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-pip python3-venv git \
    && update-ca-certificates \
    && rm -rf /var/lib/apt/lists/*
DOCKERFILE
    log "building $IMAGE from $BASE_IMAGE (python3 python3-pip python3-venv git)"
    docker build --network host --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE" "$context" \
        >"$WORK/build.log" 2>&1 || {
        tail -n 20 "$WORK/build.log" >&2
        die "building $IMAGE failed"
    }
}

build_image
git clone -q --no-local --no-checkout "$REPO" "$WORK/dicomactors"
git -C "$WORK/dicomactors" checkout -q --detach "$(git -C "$REPO" rev-parse HEAD)"
log "a clean clone of $(git -C "$WORK/dicomactors" log -1 --format='%h %s' | cut -c1-70)"

# Both commands run, one after the other; each one's status is printed and the script fails
# when either failed. PIP_CERT points pip (the venv's, from Debian's wheels) at the trust store.
COMMANDS='
cd /root/dicomactors
status=0
echo "== bash scripts/setup.sh && .venv/bin/python -m pytest scenarios/"
start=$SECONDS
bash scripts/setup.sh && .venv/bin/python -m pytest scenarios/ || status=1
echo "== main job: exit ${status}, $((SECONDS - start)) s"
start=$SECONDS
echo "== bash scripts/setup.sh && bash scripts/test.sh"
tests=0
bash scripts/setup.sh && bash scripts/test.sh || tests=1
echo "== tests: exit ${tests}, $((SECONDS - start)) s"
exit $((status | tests))
'
docker create --name "$NAME" --network host -e CI=true \
    -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    "$IMAGE" bash -c "$COMMANDS" >/dev/null
docker cp "$WORK/dicomactors" "$NAME:/root/dicomactors"
log "running the README's two commands in $NAME"
status=0
docker start -a "$NAME" || status=$?
log "done: exit $status in $((SECONDS - START_SECONDS)) s"
exit "$status"
