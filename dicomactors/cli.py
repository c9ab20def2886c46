"""The ``dicomactors`` command: echo a node, run the reference SCP, and the commands that
installed packages add.

- ``dicomactors echo HOST PORT [--aet AET]``: one C-ECHO; exit 0 on status 0x0000.
- ``dicomactors qrscp ...``: ``python -m dicomactors.apps.qrscp ...``.
- Other packages add sub-commands through the ``dicomactors.commands`` entry-point group
  (:data:`COMMAND_GROUP`): the conformance harness adds ``validate`` (:mod:`harness.cli`).
  The library never imports them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from dicomactors.ae import AE
from dicomactors.sop_class import Verification

COMMAND_GROUP = "dicomactors.commands"
"""Entry points that add sub-commands: each is called with the sub-parsers object."""


def _echo(args: argparse.Namespace) -> int:

    ae = AE(args.calling_aet)
    ae.add_requested_context(Verification)
    ae.acse_timeout = args.timeout
    ae.dimse_timeout = args.timeout
    try:
        assoc = ae.associate(args.host, args.port, ae_title=args.aet)
        if not assoc.is_established:
            print(f"association with {args.host}:{args.port} ({args.aet}) not established")
            return 1
        try:
            status = assoc.send_c_echo()
        finally:
            assoc.release()
    finally:
        ae.shutdown()
    code = int(status.Status) if "Status" in status else None
    print("C-ECHO: no response" if code is None else f"C-ECHO status {code:#06x}")
    return 0 if code == 0 else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicomactors", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    for command in entry_points(group=COMMAND_GROUP):
        command.load()(commands)

    echo = commands.add_parser("echo", help="send one C-ECHO")
    echo.add_argument("host")
    echo.add_argument("port", type=int)
    echo.add_argument("--aet", default="ANY-SCP", help="the node's AE title")
    echo.add_argument("--calling-aet", default="DICOMACTORS")
    echo.add_argument("--timeout", type=float, default=10.0)
    echo.set_defaults(run=_echo)

    qrscp = commands.add_parser(
        "qrscp", help="run the reference storage and Query/Retrieve SCP", add_help=False
    )
    qrscp.set_defaults(run=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["qrscp"]:
        from dicomactors.apps import qrscp

        return qrscp.main(arguments[1:])
    args = _parser().parse_args(arguments)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
