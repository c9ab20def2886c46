#!/usr/bin/env bash
# Build every peer image from one base image.
#
#   docker/build.sh [BASE]     BASE defaults to debian:bookworm-slim; here, where no registry
#                              answers, scripts/setup.sh passes the image it made with
#                              debootstrap (dicomactors/base:bookworm).
#
# Images: dicomactors/dcmtk, dicomactors/orthanc, dicomactors/pynetdicom and
# dicomactors/dicomactors (all :latest). Builds use the host network (package registries only).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${1:-debian:bookworm-slim}"
IMAGES=(dcmtk orthanc pynetdicom dicomactors)

# The build context: the repository's files (tracked and untracked, minus what .gitignore
# excludes; no .git, caches or reports), plus, under .docker-build/ca/, the CA certificates this
# host added to its trust store (/usr/local/share/ca-certificates), so that pip inside a build
# reaches PyPI through the same TLS-intercepting proxy as the host, if there is one.
make_context() {
    local context="$1"
    if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' path; do if [ -e "$path" ]; then printf '%s\0' "$path"; fi; done \
            | tar --null -c -T -) | tar -C "$context" -x
    else
        tar -C "$REPO" -c --exclude=.git --exclude='__pycache__' --exclude='*.egg-info' \
            --exclude=reports --exclude=.venv . | tar -C "$context" -x
    fi
    mkdir -p "$context/.docker-build/ca"
    touch "$context/.docker-build/ca/.keep"
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$context/.docker-build/ca/"
    fi
}

CONTEXT="$(mktemp -d "${TMPDIR:-/tmp}/dicomactors-context.XXXXXX")"
trap 'rm -rf "$CONTEXT"' EXIT
make_context "$CONTEXT"

LOG_DIR="${DICOMACTORS_STATE_DIR:-/var/tmp/dicomactors}"
mkdir -p "$LOG_DIR"

failed=()
for name in "${IMAGES[@]}"; do
    start=$SECONDS
    echo "[build] dicomactors/$name:latest from $BASE"
    if docker build --force-rm --network host --build-arg "BASE=$BASE" \
        -t "dicomactors/$name:latest" -f "$CONTEXT/docker/$name/Dockerfile" "$CONTEXT" \
        >"$LOG_DIR/build-$name.log" 2>&1; then
        echo "[build] dicomactors/$name:latest built in $((SECONDS - start)) s"
    else
        echo "[build] dicomactors/$name:latest FAILED; last lines of $LOG_DIR/build-$name.log:" >&2
        tail -n 15 "$LOG_DIR/build-$name.log" >&2 || true
        failed+=("$name")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "[build] failed: ${failed[*]}" >&2
    exit 1
fi
