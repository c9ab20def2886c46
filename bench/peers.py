"""The processes the benchmark starts: one role per process, results as one JSON line.

``python -m bench.peers ROLE ...``. A server role prints ``READY <port>`` and
serves until its standard input closes, then prints its statistics. A client
role does its work, timing it from inside (after the imports), and prints the
result. Both stacks get the same roles so that each case compares like with
like: the SCPs answer C-STORE with Success without decoding or writing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

VERIFICATION = "1.2.840.10008.1.1"


def _emit(result: dict[str, Any]) -> None:
    print(json.dumps(result), flush=True)


class _Stats:
    """What an SCP saw: stores, concurrent associations and threads at their peak."""

    def __init__(self, count_associations: Any) -> None:
        self.lock = threading.Lock()
        self.stores = 0
        self.bytes = 0
        self.peak_associations = 0
        self.threads_at_peak = 0
        self.baseline_threads = threading.active_count()
        self._count = count_associations

    def stored(self, size: int) -> None:
        with self.lock:
            self.stores += 1
            self.bytes += size
        live = self._count()
        if live > self.peak_associations:
            with self.lock:
                if live > self.peak_associations:
                    self.peak_associations = live
                    self.threads_at_peak = threading.active_count()

    def report(self) -> dict[str, Any]:
        return {
            "stores": self.stores,
            "bytes": self.bytes,
            "peak_associations": self.peak_associations,
            "threads_at_peak": self.threads_at_peak,
            "baseline_threads": self.baseline_threads,
        }


def _serve_until_stdin_closes(port: int, stats: _Stats, stop: Any) -> None:
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    stop()
    _emit(stats.report())


def _serve(args: argparse.Namespace, ae_class: Any, evt: Any, stored_size: Any) -> None:
    """The same storage SCP on either stack: ``stored_size(event)`` reads the data set's
    length the way a user of that stack would (so both touch the bytes)."""
    ae = ae_class("BENCHSCP")
    ae.maximum_associations = args.max_associations
    ae.network_timeout = 120
    if args.store_to_disk:
        ae.store_to_disk = args.store_to_disk
    if args.defaults:  # as the seed guide writes it: the default PDU size and syntaxes
        ae.add_supported_context(CTImageStorage)
    else:
        ae.maximum_pdu_size = args.max_pdu
        ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.add_supported_context(VERIFICATION)
    stats = _Stats(lambda: len(ae.active_associations))

    def on_store(event: Any) -> int:
        stats.stored(stored_size(event))
        return 0x0000

    handlers = [(evt.EVT_C_STORE, on_store)]
    if getattr(args, "window", 1) > 1:  # agree to the requestor's window, up to this many
        window = args.window

        def on_async_ops(event: Any) -> tuple[int, int]:
            return min(event.invoked or window, window), 1

        handlers.append((evt.EVT_ASYNC_OPS, on_async_ops))
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    assert server is not None
    _serve_until_stdin_closes(server.server_address[1], stats, server.shutdown)


def dicomactors_scp(args: argparse.Namespace) -> None:
    from dicomactors import AE, evt

    def stored_size(event: Any) -> int:
        data = event.encoded_dataset_bytes
        return len(data) if data is not None else 0

    _serve(args, AE, evt, stored_size)


def pynetdicom_scp(args: argparse.Namespace) -> None:
    from pynetdicom import AE, evt

    _serve(args, AE, evt, lambda event: len(event.request.DataSet.getvalue()))


def _client_ae(impl: str, max_pdu: int, defaults: bool = False) -> Any:
    ae: Any
    if impl == "dicomactors":
        from dicomactors import AE

        ae = AE("BENCHSCU")
    else:
        from pynetdicom import AE as PynetdicomAE

        ae = PynetdicomAE("BENCHSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 120
    if defaults:  # as the seed guide writes it: the default PDU size and syntaxes
        ae.add_requested_context(CTImageStorage)
    else:
        ae.maximum_pdu_size = max_pdu
        ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.add_requested_context(VERIFICATION)
    return ae


def store(args: argparse.Namespace) -> None:
    """Associate, C-STORE every file in a directory, release."""
    paths = sorted(Path(args.dir).glob("*.dcm"))
    ae = _client_ae(args.impl, args.max_pdu, args.defaults)
    ext_neg = []
    if args.window > 1:  # dicomactors only: propose the window, then store_many
        from dicomactors.pdu_primitives import AsynchronousOperationsWindowNegotiation

        ext_neg.append(AsynchronousOperationsWindowNegotiation(args.window, 1))
    start = time.perf_counter()
    assoc = ae.associate("127.0.0.1", args.port, ae_title="BENCHSCP", ext_neg=ext_neg)
    if not assoc.is_established:
        raise SystemExit("association failed")
    failed = 0
    if args.window > 1:
        if assoc.acceptor.asynchronous_operations[0] != args.window:
            raise SystemExit(f"window not agreed: {assoc.acceptor.asynchronous_operations}")
        statuses = assoc.store_many(str(path) for path in paths)
        failed = sum(1 for status in statuses if getattr(status, "Status", None) != 0)
    for path in paths if args.window <= 1 else ():
        # --dcmread: what a user who reads the file first sends (the read is timed too).
        status = assoc.send_c_store(dcmread(path) if args.dcmread else str(path))
        if getattr(status, "Status", None) != 0:
            failed += 1
    assoc.release()
    seconds = time.perf_counter() - start
    _emit({"seconds": seconds, "instances": len(paths), "failed": failed})


def echo_loop(args: argparse.Namespace) -> None:
    """Associate, C-ECHO, release, ``--count`` times."""
    ae = _client_ae(args.impl, 0)
    failed = 0
    start = time.perf_counter()
    for _ in range(args.count):
        assoc = ae.associate("127.0.0.1", args.port, ae_title="BENCHSCP")
        if not assoc.is_established:
            failed += 1
            continue
        status = assoc.send_c_echo()
        if getattr(status, "Status", None) != 0:
            failed += 1
        assoc.release()
    seconds = time.perf_counter() - start
    _emit({"seconds": seconds, "count": args.count, "failed": failed})


def concurrent(args: argparse.Namespace) -> None:
    """``--associations`` associations at once, each storing every file in ``--dir``.

    All are established first; the stores start when a line arrives on stdin,
    so that the parent can start several such processes and release them together.
    """
    paths = sorted(Path(args.dir).glob("*.dcm"))
    ae = _client_ae("dicomactors", args.max_pdu)
    ae.maximum_associations = args.associations + 10
    assocs = []
    for _ in range(args.associations):
        assoc = ae.associate("127.0.0.1", args.port, ae_title="BENCHSCP")
        assocs.append(assoc)
    established = sum(1 for a in assocs if a.is_established)
    print(f"ASSOCIATED {established}", flush=True)
    sys.stdin.readline()
    results = [0] * len(assocs)

    def run(index: int) -> None:
        assoc = assocs[index]
        ok = 0
        if assoc.is_established:
            for path in paths:
                status = assoc.send_c_store(str(path))
                if getattr(status, "Status", None) == 0:
                    ok += 1
            assoc.release()
        results[index] = ok

    start = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(assocs))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    _emit(
        {
            "seconds": seconds,
            "associations": len(assocs),
            "established": established,
            "stored": sum(results),
            "attempted": len(assocs) * len(paths),
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    roles = parser.add_subparsers(dest="role", required=True)
    for name, func in (("dicomactors-scp", dicomactors_scp), ("pynetdicom-scp", pynetdicom_scp)):
        scp = roles.add_parser(name)
        scp.add_argument("--max-pdu", type=int, default=16384)
        scp.add_argument("--max-associations", type=int, default=10)
        scp.add_argument("--store-to-disk", default=None, help="dicomactors only: a directory")
        scp.add_argument("--defaults", action="store_true", help="the seed guide's contexts")
        scp.add_argument("--window", type=int, default=1, help="operations window to agree")
        scp.set_defaults(func=func)
    client = roles.add_parser("store")
    client.add_argument("--impl", choices=("dicomactors", "pynetdicom"), required=True)
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--max-pdu", type=int, default=16384)
    client.add_argument("--dir", required=True)
    client.add_argument("--defaults", action="store_true", help="the seed guide's contexts")
    client.add_argument("--dcmread", action="store_true", help="send dcmread(path), not path")
    client.add_argument("--window", type=int, default=1, help="propose it; use store_many")
    client.set_defaults(func=store)
    echo = roles.add_parser("echo-loop")
    echo.add_argument("--impl", choices=("dicomactors", "pynetdicom"), required=True)
    echo.add_argument("--port", type=int, required=True)
    echo.add_argument("--count", type=int, default=100)
    echo.set_defaults(func=echo_loop)
    many = roles.add_parser("concurrent")
    many.add_argument("--port", type=int, required=True)
    many.add_argument("--associations", type=int, required=True)
    many.add_argument("--max-pdu", type=int, default=16384)
    many.add_argument("--dir", required=True)
    many.set_defaults(func=concurrent)
    args = parser.parse_args(argv)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx("args.func(args)", globals(), {"args": args}, os.environ["BENCH_PROFILE"])
    else:
        args.func(args)


if __name__ == "__main__":
    main()
