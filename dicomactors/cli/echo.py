"""``dicomactors echo HOST PORT``: C-ECHO, as DCMTK's ``echoscu`` (PS3.7 9.1.5).

``-r N`` sends N C-ECHOs on one association. Exit status 0 when every answer is Success;
the other codes are :class:`~dicomactors.cli.common.Exit`'s.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from dicomactors.cli.common import (
    EXIT_CODES_HELP,
    Exit,
    ToolError,
    add_peer_options,
    associate,
    lost,
    make_ae,
    run_tool,
    status_text,
)
from dicomactors.sop_class import Verification
from dicomactors.status import Service


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "echo",
        help="send C-ECHO (like echoscu)",
        description=__doc__,
        epilog=EXIT_CODES_HELP,
        tool=True,
    )
    add_peer_options(parser)
    parser.add_argument(
        "-r", "--repeat", type=int, default=1, metavar="N", help="send N C-ECHOs (default 1)"
    )
    parser.set_defaults(run=lambda args: run_tool(echo, args))


def echo(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        raise ToolError(Exit.USAGE, f"-r must be at least 1, not {args.repeat}")
    ae = make_ae(args)
    ae.add_requested_context(Verification)
    try:
        assoc = associate(ae, args)
        try:
            for number in range(1, args.repeat + 1):
                status = _one_echo(assoc, args, number)
                if status != 0:
                    raise ToolError(
                        Exit.FAILED, f"C-ECHO answered {status_text(status, Service.VERIFICATION)}"
                    )
                if args.verbose:
                    print(f"C-ECHO {number}: 0x0000 Success")
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()
    print(
        f"C-ECHO to {args.host}:{args.port} ({args.aec}): Success"
        + (f" x{args.repeat}" if args.repeat > 1 else "")
    )
    return Exit.OK


def _one_echo(assoc: Any, args: argparse.Namespace, number: int) -> int:
    if not assoc.is_established:
        raise lost(assoc, args, "C-ECHO")
    started = time.monotonic()
    try:
        answer = assoc.send_c_echo(msg_id=number)
    except RuntimeError:
        raise lost(assoc, args, "C-ECHO", started) from None
    if "Status" not in answer:
        raise lost(assoc, args, "C-ECHO", started)
    return int(answer.Status)
