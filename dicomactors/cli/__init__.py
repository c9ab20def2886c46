"""The ``dicomactors`` command: DICOM network tools in DCMTK's habit, built on the library.

One module per tool, each with a ``register(commands)`` that adds its sub-command:
``echo``, ``store``, ``store-scp``, ``find``, ``get``, ``move``, ``wlmscp``; ``qrscp`` runs
``python -m dicomactors.apps.qrscp``. Their shared options and exit codes are in
:mod:`dicomactors.cli.common`. Other packages add sub-commands through the
``dicomactors.commands`` entry-point group (:data:`COMMAND_GROUP`): the conformance harness
adds ``validate`` (:mod:`harness.cli`). The library never imports them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from dicomactors.apps import qrscp
from dicomactors.cli import echo, find, get, move, store, store_scp, wlmscp
from dicomactors.cli.common import ToolParser

COMMAND_GROUP = "dicomactors.commands"
"""Entry points that add sub-commands: each is called with the sub-parsers object."""

TOOLS = (echo, store, store_scp, find, get, move, wlmscp)


def _parser() -> tuple[ToolParser, dict[str, ToolParser]]:
    """The command's parser, and each sub-command's."""
    parser = ToolParser(prog="dicomactors", description=__doc__.splitlines()[0], tool=True)
    commands = parser.add_subparsers(dest="command", required=True)
    for tool in TOOLS:
        tool.register(commands)
    # A name may be declared twice (an editable install beside a built one): the first wins.
    added: set[str] = set()
    for command in entry_points(group=COMMAND_GROUP):
        if command.name not in added:
            added.add(command.name)
            command.load()(commands)
    qrscp = commands.add_parser(
        "qrscp", help="run the reference storage and Query/Retrieve SCP", add_help=False
    )
    qrscp.set_defaults(run=None)
    return parser, commands.choices


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["qrscp"]:
        return qrscp.main(arguments[1:])
    parser, commands = _parser()
    args, unknown = parser.parse_known_args(arguments)
    if unknown:  # the sub-command says so, with its own exit status for usage errors
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return int(args.run(args))
