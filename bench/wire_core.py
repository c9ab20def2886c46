"""Wire-core benchmark: P-DATA-TF decoding plus DIMSE reassembly, dicomactors beside pynetdicom.

Run as ``python -m bench.wire_core``. Both sides get the same PDU bytes (as a
socket reader would hand them over, one whole PDU at a time) and must turn
them into a decoded command set and the joined data set:

* dicomactors: ``decode_pdu`` then ``MessageAssembler.add_pdata``;
* pynetdicom: ``P_DATA_TF().decode`` then ``to_primitive`` and
  ``DIMSEMessage.decode_msg``, the path its DUL and DIMSE providers take.

Each case is timed over several repeats of a batch of messages; the table
shows the median time per message and pynetdicom's time over ours.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from pynetdicom.dimse_messages import DIMSEMessage as PynetdicomMessage
from pynetdicom.pdu import P_DATA_TF

from dicomactors.dimse import (
    CEchoRQ,
    CFindRSP,
    CStoreRQ,
    MessageAssembler,
    encode_command,
    fragment_message,
)
from dicomactors.dimse.commands import DIMSEMessage
from dicomactors.pdu.codec import decode_pdu, encode_pdu
from dicomactors.pdu.pdus import PDataTF

KIB = 1024


@dataclass(frozen=True)
class Case:
    name: str
    command: DIMSEMessage
    dataset: bytes | None
    maximum_length: int
    batch: int  # messages per timed run

    def pdus(self) -> list[bytes]:
        return [
            encode_pdu(pdu)
            for pdu in fragment_message(
                1, encode_command(self.command), self.dataset, self.maximum_length
            )
        ]


CASES = [
    Case(
        "C-STORE-RQ, 512 KiB data set in 16 KiB PDVs",
        CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.826.0.1.3680043.2.1125.1.1"),
        bytes(range(256)) * (512 * KIB // 256),
        16 * KIB + 6,
        20,
    ),
    Case(
        "C-FIND-RSP pending, 2 KiB identifier",
        CFindRSP(7, 0xFF00, "1.2.840.10008.5.1.4.1.2.2.1", has_dataset=True),
        bytes(2 * KIB),
        16 * KIB + 6,
        2000,
    ),
    Case("C-ECHO-RQ, command only", CEchoRQ(3, "1.2.840.10008.1.1"), None, 16 * KIB, 5000),
]


def run_dicomactors(pdus: list[bytes], batch: int) -> object:
    assembler = MessageAssembler()
    last = None
    for _ in range(batch):
        for raw in pdus:
            pdu = decode_pdu(raw)
            assert isinstance(pdu, PDataTF)
            for message in assembler.add_pdata(pdu):
                last = (message.command, message.dataset)
    return last


def run_pynetdicom(pdus: list[bytes], batch: int) -> object:
    last = None
    for _ in range(batch):
        message = PynetdicomMessage()
        for raw in pdus:
            pdu = P_DATA_TF()
            pdu.decode(raw)
            if message.decode_msg(pdu.to_primitive()):
                data_set = message.data_set
                last = (message.command_set, (data_set.getvalue() or None) if data_set else None)
                message = PynetdicomMessage()
    return last


def median_seconds(run: Callable[[list[bytes], int], object], case: Case, repeats: int) -> float:
    pdus = case.pdus()
    run(pdus, 1)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(pdus, case.batch)
        times.append((time.perf_counter() - start) / case.batch)
    return statistics.median(times)


def check_outputs_agree(case: Case) -> None:
    pdus = case.pdus()
    ours = run_dicomactors(pdus, 1)
    theirs = run_pynetdicom(pdus, 1)
    assert isinstance(ours, tuple) and isinstance(theirs, tuple)
    assert ours[0] == case.command
    assert ours[1] == theirs[1] == case.dataset, "the two stacks decoded different data sets"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case (median)")
    args = parser.parse_args(argv)

    rows = []
    for case in CASES:
        check_outputs_agree(case)
        ours = median_seconds(run_dicomactors, case, args.repeats)
        theirs = median_seconds(run_pynetdicom, case, args.repeats)
        rows.append((case.name, len(case.pdus()), ours, theirs))

    header = f"{'case':<46} {'PDUs':>5} {'dicomactors':>13} {'pynetdicom':>13} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, count, ours, theirs in rows:
        print(
            f"{name:<46} {count:>5} {ours * 1e6:>10.1f} µs {theirs * 1e6:>10.1f} µs "
            f"{theirs / ours:>6.1f}x"
        )
    print(f"(median of {args.repeats} runs per message; ratio = pynetdicom / dicomactors)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
