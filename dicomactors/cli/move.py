"""``dicomactors move HOST PORT -aem DEST -k KEY=VALUE...``: C-MOVE, as DCMTK's ``movescu``.

The peer sends the matching instances to the AE title ``-aem`` (default: our own, ``-aet``),
which it must know (PS3.4 C.4.2). ``-P`` (the default, as in movescu), ``-S`` or ``-O``. A
progress bar on a terminal, then the sub-operation counts (``--json``). Exit status 0 when
every sub-operation completed, 7 otherwise (an unknown destination is 0xA801).
"""

from __future__ import annotations

import argparse
from typing import Any

from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    add_peer_options,
    associate,
    make_ae,
    run_tool,
)
from dicomactors.cli.query import add_query_options, identifier_from_keys, model_uid, responses
from dicomactors.cli.retrieve import follow, report
from dicomactors.status import Service


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "move", help="retrieve with C-MOVE (like movescu)", description=__doc__,
        epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    add_peer_options(parser)
    add_query_options(parser, models="PSO", default="P")
    parser.add_argument("-aem", "--move", dest="destination", default=None, metavar="AET",
                        help="the move destination's AE title (default: -aet)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=lambda args: run_tool(move, args))


def move(args: argparse.Namespace) -> int:
    identifier = identifier_from_keys(args.keys, args.model)
    sop_class = model_uid(args.model, "Move")
    destination = args.destination or args.aet
    ae = make_ae(args)
    ae.add_requested_context(sop_class)
    try:
        assoc = associate(ae, args)
        try:
            request = assoc.send_c_move(identifier, destination, sop_class)
            code, counts = follow(responses(assoc, request, args, "C-MOVE"), args)
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()
    return report(code, counts, Service.MOVE, args, destination=destination)
