"""The same DICOM traffic as a Locust run, from plain OS threads without Locust or gevent:
the baseline that docs/load.md compares Locust's figures with, to measure what running
inside Locust costs.

``python -m harness.load.baseline HOST PORT --threads N --seconds S [--service store|echo]
[--association task|user] [--called-aet AET] [--instance-bytes B]`` prints the requests,
failures and the rate.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Sequence

from pydicom.uid import CTImageStorage

from dicomactors import AE, Association, build_context
from dicomactors.sop_class import Verification
from harness.load.instances import GeneratedInstances


def _worker(args: argparse.Namespace, stop: threading.Event, counts: list[int]) -> None:
    ae = AE("BASELINE")
    contexts = [build_context(Verification), build_context(CTImageStorage)]
    source = GeneratedInstances(args.instance_bytes)
    assoc: Association | None = None
    try:
        while not stop.is_set():
            if assoc is None or not assoc.is_established:
                assoc = ae.associate(args.host, args.port, contexts, args.called_aet)
            if args.service == "echo":
                status = assoc.send_c_echo()
            else:
                status = assoc.send_c_store(source.next().dataset)
            ok = status.get("Status") == 0
            counts[0] += 1
            counts[1] += 0 if ok else 1
            if args.association == "task" and assoc.is_established:
                assoc.release()
                assoc = None
    finally:
        if assoc is not None and assoc.is_established:
            assoc.release()
        ae.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.load.baseline")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--service", choices=("store", "echo"), default="store")
    parser.add_argument("--association", choices=("task", "user"), default="task")
    parser.add_argument("--called-aet", default="ANY-SCP")
    parser.add_argument("--instance-bytes", type=int, default=16384)
    args = parser.parse_args(argv)
    stop = threading.Event()
    counts = [[0, 0] for _ in range(args.threads)]
    threads = [
        threading.Thread(target=_worker, args=(args, stop, count), daemon=True) for count in counts
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    requests = sum(count[0] for count in counts)
    failures = sum(count[1] for count in counts)
    print(
        f"{args.service} per {args.association}: {requests} requests, {failures} failures "
        f"in {elapsed:.1f} s: {requests / elapsed:.1f}/s"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
