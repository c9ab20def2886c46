"""Shared fixtures: a dicomactors SCP on loopback, and resource accounting."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pykka
import pytest

from dicomactors import AE, evt
from dicomactors.actors.runtime import WORKERS


def open_sockets() -> int:
    """How many socket file descriptors this process holds."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


@dataclass(frozen=True)
class Resources:
    threads: int
    actors: int
    sockets: int

    @classmethod
    def now(cls) -> Resources:
        # Threads parked in the worker pool wait for the next association: not a leak.
        busy = threading.active_count() - WORKERS.idle_threads()
        return cls(busy, len(pykka.ActorRegistry.get_all()), open_sockets())


@pytest.fixture
def scp() -> Iterator[tuple[AE, object, int]]:
    """A dicomactors SCP for Verification and CT storage on 127.0.0.1 (ae, server, port)."""
    from dicomactors.sop_class import CTImageStorage, VerificationSOPClass

    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.add_supported_context(CTImageStorage)
    ae.acse_timeout = 5
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, lambda e: 0)]
    )
    assert server is not None
    try:
        yield ae, server, server.server_address[1]
    finally:
        server.shutdown()
        ae.shutdown()
