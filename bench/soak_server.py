"""The SCP under soak, in a process of its own: ``python -m bench.soak_server STORE SPOOL``.

A dicomactors SCP for Verification and CT Image Storage at the default limits.
Each C-STORE handler call writes the data set exactly as received to
``STORE/<SOP Instance UID>`` (written to a temporary name and renamed, so a
file there is whole), with data sets streamed through ``SPOOL``
(``AE.store_to_disk``). It prints its port on the first line of stdout, then
answers one JSON line per command read on stdin:

- ``stats``: the actors pykka knows, the busy and idle pool threads, handler calls;
- ``shutdown``: ``server.shutdown()`` timed, then it exits.

Threads, descriptors and RSS are read by the driver from ``/proc/PID``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pykka

from dicomactors import AE, evt
from dicomactors.actors.runtime import WORKERS
from dicomactors.sop_class import CTImageStorage, VerificationSOPClass


class Recorder:
    def __init__(self, store: Path) -> None:
        self.store = store
        self.calls = 0
        self.lock = threading.Lock()

    def on_c_store(self, event: evt.Event) -> int:
        with self.lock:
            self.calls += 1
        uid = str(event.request.AffectedSOPInstanceUID)  # type: ignore[attr-defined]
        target = self.store / uid
        partial = self.store / f".{uid}.tmp"
        partial.write_bytes(event.encoded_dataset(include_meta=False))
        partial.rename(target)
        return 0x0000


def stats(recorder: Recorder) -> dict[str, Any]:
    idle = WORKERS.idle_threads()
    return {
        "actors": len(pykka.ActorRegistry.get_all()),
        "threads_busy": threading.active_count() - idle,
        "threads_idle": idle,
        "calls": recorder.calls,
    }


def main(argv: list[str]) -> int:
    store, spool = Path(argv[0]), Path(argv[1])
    recorder = Recorder(store)
    ae = AE(ae_title="SOAK_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.add_supported_context(CTImageStorage)
    ae.store_to_disk = str(spool)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, recorder.on_c_store)]
    )
    print(server.server_address[1], flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            print(json.dumps(stats(recorder)), flush=True)
        elif command == "shutdown":
            start = time.monotonic()
            server.shutdown()
            elapsed = time.monotonic() - start
            ae.shutdown()
            print(json.dumps({"shutdown_seconds": elapsed}), flush=True)
            return 0
    server.shutdown()
    ae.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
    os._exit(0)  # pragma: no cover
