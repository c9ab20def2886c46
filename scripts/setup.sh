#!/usr/bin/env bash
# Set up a machine to develop and test dicomactors.
#
# - makes a virtual environment, .venv/ in the repository (python3 -m venv; as root, installs
#   Debian's python3-venv first where it is missing), and installs the package there in
#   editable mode with its test extra. Debian's own Python refuses installs into the system
#   (PEP 668), so nothing is installed outside .venv/;
# - as root: installs the system peers from Debian (DCMTK, Orthanc) and, for the container
#   tests, a Docker engine and debootstrap; starts the engine with no bridge network (every
#   container uses host networking on 127.0.0.1); makes a base image with debootstrap once,
#   from the Debian mirror this machine's apt sources name, and builds the peer images with
#   docker/build.sh.
#
# Safe to run again: every step checks whether its work is already done. A failed container
# step prints a warning and the set-up continues; the container tests then skip with a reason.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${DICOMACTORS_STATE_DIR:-/var/tmp/dicomactors}"
BASE_IMAGE="${DICOMACTORS_BASE_IMAGE:-dicomactors/base:bookworm}"
DOCKER_WAIT_SECONDS="${DOCKER_WAIT_SECONDS:-60}"
VENV="${DICOMACTORS_VENV:-$REPO/.venv}"
START_SECONDS=$SECONDS
APT_UPDATED=0

log() { printf '[setup %4ds] %s\n' "$((SECONDS - START_SECONDS))" "$*"; }
warn() { printf '[setup %4ds] WARNING: %s\n' "$((SECONDS - START_SECONDS))" "$*" >&2; }
die() {
    printf '[setup %4ds] ERROR: %s\n' "$((SECONDS - START_SECONDS))" "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# The Debian mirror this machine's apt sources name for bookworm (deb822 *.sources files and
# the one-line *.list format); prints nothing when they name none.
debian_mirror() {
    local file uri=""
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        uri="$(awk 'BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; uris = ""; suites = ""; enabled = "yes"
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^[ \t]*#/) continue
                    key = tolower(line); sub(/:.*/, "", key)
                    value = line; sub(/^[^:]*:[ \t]*/, "", value)
                    if (key == "types") types = value
                    else if (key == "uris") uris = value
                    else if (key == "suites") suites = value
                    else if (key == "enabled") enabled = tolower(value)
                }
                if (enabled != "no" && (" " types " ") ~ / deb / \
                    && (" " suites " ") ~ / bookworm /) {
                    split(uris, found, " "); print found[1]; exit
                }
            }' "$file")"
        [ -z "$uri" ] || break
    done
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -z "$uri" ] || break
        [ -f "$file" ] || continue
        uri="$(awk '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == "bookworm") { print $i; exit }
            }' "$file")"
    done
    printf '%s\n' "$uri"
}

# Install the given Debian packages that are missing; returns non-zero if apt fails.
install_debian_packages() {
    local packages=("$@")
    local missing=()
    local pkg
    for pkg in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "Debian packages already installed: ${packages[*]}"
        return
    fi
    log "installing from Debian: ${missing[*]}"
    # Keep the packages' own services (Orthanc on 4242/8042, dockerd with a bridge) from being
    # started by their maintainer scripts: we run our own processes with our own settings.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local status=0
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -q && APT_UPDATED=1 || status=$?
    fi
    if [ "$status" -eq 0 ]; then
        apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
    fi
    if [ "$made_policy" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
    return "$status"
}

stop_packaged_orthanc() {
    if [ -x /etc/init.d/orthanc ]; then
        /etc/init.d/orthanc stop >/dev/null 2>&1 || true
        update-rc.d orthanc disable >/dev/null 2>&1 || true
    fi
    if pgrep -x Orthanc >/dev/null 2>&1 && [ -f /run/orthanc.pid ]; then
        kill "$(cat /run/orthanc.pid)" 2>/dev/null || true
    fi
    log "the Debian orthanc service is stopped and disabled"
}

# A virtual environment that runs: its python starts and has pip.
venv_works() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

make_virtual_environment() {
    if venv_works; then
        log "virtual environment $VENV already exists"
        return
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        die "python3 is not installed (on Debian: apt-get install python3 python3-venv)"
    fi
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        die "$(python3 --version 2>&1) is too old: dicomactors needs Python 3.11 or later"
    fi
    # Debian's python3 has the venv module but not ensurepip until python3-venv is installed.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        if is_root; then
            install_debian_packages python3-venv || die "could not install python3-venv"
        else
            die "python3 cannot make a virtual environment: as root, apt-get install python3-venv"
        fi
    fi
    rm -rf "$VENV"
    log "python3 -m venv $VENV ($(python3 --version 2>&1))"
    python3 -m venv "$VENV"
}

install_python_package() {
    make_virtual_environment
    log "$VENV/bin/python -m pip install -e '.[test]'"
    "$VENV/bin/python" -m pip install -q -e "$REPO[test]"
}

docker_answers() { docker info >/dev/null 2>&1; }

start_docker_engine() {
    if docker_answers; then
        log "a Docker engine already answers"
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        warn "dockerd is not installed"
        return 1
    fi
    mkdir -p "$STATE_DIR"
    log "starting dockerd (no bridge, no iptables); log: $STATE_DIR/dockerd.log"
    nohup dockerd --bridge=none --iptables=false --ip6tables=false \
        >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/dockerd.pid"
    local deadline=$((SECONDS + DOCKER_WAIT_SECONDS))
    until docker_answers; do
        if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
            warn "dockerd exited; last lines of its log:"
            tail -n 20 "$STATE_DIR/dockerd.log" >&2 || true
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            warn "docker info did not answer within ${DOCKER_WAIT_SECONDS}s"
            return 1
        fi
        sleep 1
    done
    log "the Docker engine answers"
}

build_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        log "base image $BASE_IMAGE already exists"
        return 0
    fi
    local mirror rootfs
    mirror="$(debian_mirror)"
    if [ -z "$mirror" ]; then
        warn "this machine's apt sources name no Debian bookworm mirror to debootstrap from;" \
            "skipping the container images"
        return 1
    fi
    rootfs="$(mktemp -d "${TMPDIR:-/tmp}/dicomactors-rootfs.XXXXXX")"
    log "debootstrap --variant=minbase bookworm from $mirror"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
        >"$STATE_DIR/debootstrap.log" 2>&1; then
        warn "debootstrap failed; see $STATE_DIR/debootstrap.log"
        rm -rf "$rootfs"
        return 1
    fi
    log "importing the root file system as $BASE_IMAGE"
    local status=0
    tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null || status=$?
    rm -rf "$rootfs"
    return "$status"
}

set_up_containers() {
    if ! install_debian_packages docker.io debootstrap; then
        warn "could not install docker.io and debootstrap"
        return 1
    fi
    if ! start_docker_engine; then
        return 1
    fi
    if ! build_base_image; then
        return 1
    fi
    log "building the peer images (docker/build.sh)"
    bash "$REPO/docker/build.sh" "$BASE_IMAGE"
}

main() {
    if is_root; then
        install_debian_packages dcmtk orthanc
        stop_packaged_orthanc
    else
        log "not root: skipping the Debian packages and the Docker engine"
    fi

    install_python_package

    if is_root; then
        if ! set_up_containers; then
            warn "the container set-up did not complete; container tests will skip with a reason"
        fi
    fi

    log "set-up done in $((SECONDS - START_SECONDS)) s"
}

main "$@"
