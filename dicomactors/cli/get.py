"""``dicomactors get HOST PORT -k KEY=VALUE...``: C-GET into a directory, as DCMTK's ``getscu``.

The instances come back on the same association (PS3.4 C.4.3) and are written to ``-od DIR``
in the same safe layout as ``store-scp``. ``-P`` (the default, as in getscu), ``-S`` or
``-O``. A progress bar on a terminal, then the sub-operation counts (``--json``). Exit
status 0 when every sub-operation completed, 7 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dicomactors import evt
from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_peer_options,
    associate,
    make_ae,
    run_tool,
)
from dicomactors.cli.query import add_query_options, identifier_from_keys, model_uid, responses
from dicomactors.cli.receive import Receiver
from dicomactors.cli.retrieve import follow, report
from dicomactors.presentation import (
    MAX_PRESENTATION_CONTEXTS,
    StoragePresentationContexts,
    build_role,
)
from dicomactors.status import Service


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "get", help="retrieve with C-GET (like getscu)", description=__doc__,
        epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    add_peer_options(parser)
    add_query_options(parser, models="PSO", default="P")
    parser.add_argument(
        "-od",
        "--output-directory",
        dest="output",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where retrieved files go (default: here)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=lambda args: run_tool(get, args))


def get(args: argparse.Namespace) -> int:
    identifier = identifier_from_keys(args.keys, args.model)
    sop_class = model_uid(args.model, "Get")
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = f"cannot use {args.output} as the output directory: {error}"
        raise ToolError(Exit.INPUT, message) from None
    receiver = Receiver(args.output)
    ae = make_ae(args)
    ae.add_requested_context(sop_class)
    storage = [
        str(c.abstract_syntax) for c in StoragePresentationContexts[: MAX_PRESENTATION_CONTEXTS - 1]
    ]
    for uid in storage:
        ae.add_requested_context(uid)
    roles = [build_role(uid, scp_role=True) for uid in storage]
    try:
        assoc = associate(ae, args, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, receiver)])
        try:
            answers = responses(assoc, assoc.send_c_get(identifier, sop_class), args, "C-GET")
            code, counts = follow(answers, args)
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()
    return report(code, counts, Service.GET, args, written=len(receiver.paths))
