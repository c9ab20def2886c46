"""``dicomactors find HOST PORT -k KEY=VALUE...``: C-FIND, as DCMTK's ``findscu`` (PS3.4 C, K).

Prints each match as a data set dump (``--json``: a JSON list of the matches in the DICOM
JSON model, PS3.18 F), then a line with the count and the final status. ``-W`` (worklist,
the default as in findscu), ``-P``, ``-S`` or ``-O``. Exit status 0 on a final Success, 7
on a failure status, 1 for a bad key.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_peer_options,
    associate,
    is_failure,
    make_ae,
    run_tool,
    status_text,
)
from dicomactors.cli.query import add_query_options, identifier_from_keys, model_uid, responses
from dicomactors.status import Service


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "find", help="query with C-FIND (like findscu)", description=__doc__,
        epilog=EXIT_CODES_HELP, tool=True,
    )  # fmt: skip
    add_peer_options(parser)
    add_query_options(parser, models="WPSO", default="W")
    parser.add_argument("--json", action="store_true", help="print the matches as JSON")
    parser.set_defaults(run=lambda args: run_tool(find, args))


def find(args: argparse.Namespace) -> int:
    identifier = identifier_from_keys(args.keys, args.model)
    sop_class = model_uid(args.model, "Find")
    ae = make_ae(args)
    ae.add_requested_context(sop_class)
    matches = []
    try:
        assoc = associate(ae, args)
        try:
            request = assoc.send_c_find(identifier, sop_class)
            for code, _, found in responses(assoc, request, args, "C-FIND"):
                if found is not None and code in (0xFF00, 0xFF01):
                    matches.append(found)
                    if not args.json:
                        print(f"# match {len(matches)}\n{found}\n", flush=True)
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()
    if args.json:
        print(json.dumps([match.to_json_dict() for match in matches], indent=2))
    outcome = f"{len(matches)} matches, final status {status_text(code, Service.FIND)}"
    if is_failure(code):
        raise ToolError(Exit.FAILED, f"C-FIND failed after {outcome}")
    print(outcome, file=sys.stderr if args.json else sys.stdout)
    return Exit.OK
