"""``dicomactors store-scp PORT``: a Storage SCP writing to a directory, as DCMTK's ``storescp``.

Accepts every storage SOP class in every transfer syntax pydicom knows, and Verification;
writes each instance as received (no decoding) to ``-od DIR`` in a safe layout (see
:mod:`dicomactors.cli.receive`), or drops it with ``--ignore``. Runs until Ctrl-C or
SIGTERM, then prints what it received. Exit status 0 after a clean stop; 3 when it cannot
listen; 2 when the directory is unusable.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from pydicom.uid import AllTransferSyntaxes

from dicomactors import evt
from dicomactors.ae import AE
from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_common_options,
    make_ae,
    run_tool,
    server_tls,
)
from dicomactors.cli.receive import Receiver
from dicomactors.presentation import AllStoragePresentationContexts
from dicomactors.sop_class import Verification

MIB = 1024 * 1024


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "store-scp", help="receive DICOM files into a directory (like storescp)",
        description=__doc__, epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    parser.add_argument("port", type=int, help="the TCP port to listen on")
    add_common_options(parser, calling="STORESCP")
    parser.add_argument(
        "-od",
        "--output-directory",
        dest="output",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where received files go (default: here)",
    )
    parser.add_argument("--ignore", action="store_true", help="receive but write nothing")
    parser.add_argument(
        "-ss",
        "--sort-on-study-uid",
        dest="by_study",
        action="store_true",
        help="one subdirectory per study (DIR/<study UID>/<instance UID>.dcm)",
    )
    parser.add_argument(
        "--bind",
        default="",
        metavar="ADDRESS",
        help="the address to listen on (default: every interface)",
    )
    parser.set_defaults(run=lambda args: run_tool(store_scp, args))


def storage_ae(args: argparse.Namespace) -> AE:
    ae = make_ae(args)
    ae.add_supported_context(Verification)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, AllTransferSyntaxes)
    return ae


def store_scp(args: argparse.Namespace) -> int:
    folder = None if args.ignore else args.output
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"cannot use {folder} as the output directory: {error}"
            raise ToolError(Exit.INPUT, message) from None
    receiver = Receiver(folder, by_study=args.by_study)
    ae = storage_ae(args)
    try:
        server = ae.start_server(
            (args.bind, args.port), block=False, ssl_context=server_tls(args),
            evt_handlers=[(evt.EVT_C_STORE, receiver)],
        )  # fmt: skip
    except OSError as error:
        raise ToolError(Exit.UNREACHABLE, f"cannot listen on port {args.port}: {error}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    where = "dropping what arrives" if folder is None else f"writing to {folder}"
    print(f"listening on port {args.port} as {args.aet}, {where}", flush=True)
    try:
        stop.wait()
    finally:
        server.shutdown()
        ae.shutdown()
    print(
        f"received {receiver.received} files ({receiver.bytes / MIB:.2f} MiB),"
        f" refused {receiver.refused}",
        flush=True,
    )
    return Exit.OK
