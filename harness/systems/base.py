"""What a system under test is (`SystemUnderTest`, `Capability`), the peers' images and
capabilities as we start them, and how to tell that a port listens.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PYNETDICOM_SCP_SCRIPT = Path(__file__).parent.parent / "peers" / "pynetdicom_scp.py"

# Images built by docker/build.sh.
DCMTK_IMAGE = "dicomactors/dcmtk:latest"
ORTHANC_IMAGE = "dicomactors/orthanc:latest"
PYNETDICOM_IMAGE = "dicomactors/pynetdicom:latest"
DICOMACTORS_IMAGE = "dicomactors/dicomactors:latest"

# DCMTK leaves Nagle's algorithm on without it; every C-STORE would wait on a delayed ACK.
DCMTK_ENV = {"TCP_NODELAY": "1"}


class Capability(StrEnum):
    """What a system under test supports, as the scenarios ask for it."""

    ECHO = "echo"
    STORE = "store"
    FIND = "find"
    GET = "get"
    MOVE = "move"
    COMMITMENT = "commitment"
    N_SERVICES = "nservices"
    TLS = "tls"


@dataclass(frozen=True)
class SystemUnderTest:
    """One DICOM node to test: where it listens, its AE title and what it supports."""

    name: str
    host: str
    port: int
    ae_title: str
    supports: frozenset[str]
    storage_dir: Path | None = field(default=None, kw_only=True)
    http_port: int | None = field(default=None, kw_only=True)
    log_path: Path | None = field(default=None, kw_only=True)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def supports_all(self, *capabilities: str) -> bool:
        return all(capability in self.supports for capability in capabilities)


class PeerUnavailable(RuntimeError):
    """The peer's program or image is not installed here; tests should skip."""


class PeerStartError(RuntimeError):
    """The peer did not come up; the message carries the end of its log."""


# Capabilities of each system as we start it.
STORESCP_SUPPORTS = frozenset({Capability.ECHO, Capability.STORE})
DCMQRSCP_SUPPORTS = frozenset(
    {Capability.ECHO, Capability.STORE, Capability.FIND, Capability.GET, Capability.MOVE}
)
ORTHANC_SUPPORTS = frozenset(
    {
        Capability.ECHO,
        Capability.STORE,
        Capability.FIND,
        Capability.GET,
        Capability.MOVE,
        Capability.COMMITMENT,
    }
)
PYNETDICOM_SERVICES = frozenset({"echo", "store", "find", "get", "move", "commitment", "nservices"})
DICOMACTORS_SUPPORTS = frozenset(
    {Capability.ECHO, Capability.STORE, Capability.FIND, Capability.GET, Capability.MOVE}
)


# -- ports and readiness ------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _listening_ports() -> set[int] | None:
    """Ports in LISTEN state on this host (Linux /proc), or None where /proc says nothing."""
    ports: set[int] = set()
    seen = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        seen = True
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports if seen else None


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something listens on the port, without connecting where /proc can tell."""
    ports = _listening_ports()
    if ports is not None:
        return port in ports
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_listening(
    port: int,
    *,
    timeout: float = START_TIMEOUT,
    interval: float = 0.05,
    exited: Callable[[float], bool] | None = None,
) -> None:
    """A bounded series of checks that the port listens; between them, wait on the peer.

    ``exited(seconds)`` waits up to that long for the peer to end and says whether it did, so
    a peer that dies at start-up fails at once instead of at the deadline.
    """
    deadline = time.monotonic() + timeout
    while not is_listening(port):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PeerStartError(f"nothing listened on port {port} within {timeout:.0f} s")
        step = min(interval, remaining)
        if exited is not None:
            if exited(step):
                raise PeerStartError(f"the peer exited before listening on port {port}")
        else:
            threading.Event().wait(step)
