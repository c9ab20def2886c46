"""``dicomactors wlmscp PORT -dfp DIR``: a Modality Worklist SCP, as DCMTK's ``wlmscpfs``.

Answers C-FIND on the Modality Worklist Information Model (PS3.4 K) from the worklist
files in DIR: every DICOM file there (``*.wl`` as ``dump2dcm`` writes them, or ``*.dcm``),
read again at each query, so the folder can change while it runs. A file that is not
DICOM is skipped with a warning (``-v``). Matching: :mod:`dicomactors.qr.worklist`. Runs
until Ctrl-C or SIGTERM. Exit status 0 after a clean stop; 2 when DIR is not a directory;
3 when it cannot listen.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydicom import Dataset, dcmread
from pydicom.errors import InvalidDicomError

from dicomactors import evt
from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_common_options,
    make_ae,
    run_tool,
    server_tls,
)
from dicomactors.qr.worklist import answer, matches
from dicomactors.sop_class import ModalityWorklistInformationFind, Verification

LOGGER = logging.getLogger("dicomactors.cli")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "wlmscp", help="serve a folder of worklist files (like wlmscpfs)", description=__doc__,
        epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    parser.add_argument("port", type=int, help="the TCP port to listen on")
    add_common_options(parser, calling="WLMSCP")
    parser.add_argument("-dfp", "--data-files-path", dest="folder", type=Path, required=True,
                        metavar="DIR", help="the folder of worklist files")  # fmt: skip
    parser.add_argument("--bind", default="", metavar="ADDRESS",
                        help="the address to listen on (default: every interface)")  # fmt: skip
    parser.set_defaults(run=lambda args: run_tool(wlmscp, args))


class Worklist:
    """An ``EVT_C_FIND`` handler over the worklist files of a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.queries = 0

    def items(self) -> Iterator[Dataset]:
        for path in sorted(p for p in self.folder.iterdir() if p.is_file()):
            try:
                yield dcmread(path, force=path.suffix == ".wl")
            except (InvalidDicomError, OSError, ValueError, EOFError) as error:
                LOGGER.warning("skipping %s: %s", path.name, error or "not DICOM")

    def __call__(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        self.queries += 1
        identifier = event.identifier
        for item in self.items():
            if event.is_cancelled:
                yield 0xFE00, None
                return
            if matches(identifier, item):
                yield 0xFF00, answer(identifier, item)


def wlmscp(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise ToolError(Exit.INPUT, f"{args.folder} is not a directory of worklist files")
    worklist = Worklist(args.folder)
    ae = make_ae(args)
    ae.add_supported_context(Verification)
    ae.add_supported_context(ModalityWorklistInformationFind)
    try:
        server = ae.start_server(
            (args.bind, args.port), block=False, ssl_context=server_tls(args),
            evt_handlers=[(evt.EVT_C_FIND, worklist)],
        )  # fmt: skip
    except OSError as error:
        raise ToolError(Exit.UNREACHABLE, f"cannot listen on port {args.port}: {error}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening on port {args.port} as {args.aet}, serving {args.folder}", flush=True)
    try:
        stop.wait()
    finally:
        server.shutdown()
        ae.shutdown()
    print(f"answered {worklist.queries} queries", flush=True)
    return Exit.OK
