"""``dicomactors validate``: the conformance scenarios against a node, outside pytest.

The library's command (:mod:`dicomactors.cli`) knows nothing of the harness: it finds this
command through the ``dicomactors.commands`` entry-point group, where :func:`register`
adds the ``validate`` sub-command to its parser.

``dicomactors validate HOST PORT [--aet AET] [--capability C]... [--report-dir DIR]
[--strict]`` writes ``conformance.json``, ``conformance.html`` and
``conformance.junit.xml``; the exit status is 0 unless ``--strict`` and a scenario
deviates (1), or a scenario raised (a suite defect) or could not be run (2 with
``--strict``).

The node is checked after each scenario (:mod:`harness.conformance.run`); it cannot be
restarted from here, so once it stops serving the scenario that stopped it deviates and
every later one is "not run: the node is down".
"""

from __future__ import annotations

import argparse
from typing import Any

from harness.conformance import SCENARIOS, Crash, Result, Status, run_guarded
from harness.report import findings_text, junit_path, summary_table, write_report
from harness.requestor.validate import parse_listen, validate_requestor
from harness.stategrid import Role
from harness.systems import SystemUnderTest

DEFAULT_CAPABILITIES = ("echo",)


def validate(args: argparse.Namespace) -> int:
    capabilities = set(args.capability or DEFAULT_CAPABILITIES)
    if args.artim is not None:
        capabilities.add(f"artim={args.artim:g}")

    def progress(result: Result) -> None:
        if not args.quiet:
            print(
                f"{result.verdict.status.value:<15} {result.scenario.id:<45} {result.verdict.seen}",
                flush=True,
            )

    sut: SystemUnderTest
    crashes: list[Crash] = []
    round_trips: dict[str, float] = {}
    if args.role == "scu":
        results, sut = validate_requestor(args, capabilities, progress)
    else:
        if args.host is None or args.port is None:
            raise SystemExit("dicomactors validate: HOST and PORT of the node are required")
        sut = SystemUnderTest(args.name, args.host, args.port, args.aet, frozenset(capabilities))
        chosen = [
            entry
            for entry in SCENARIOS
            if entry.role is Role.ACCEPTOR
            and (not args.scenario or any(entry.id.startswith(p) for p in args.scenario))
        ]
        record = run_guarded(sut, chosen, progress)
        results, crashes, round_trips = record.results, record.crashes, record.round_trips
    json_path, html_path = write_report(
        results,
        args.report_dir,
        [sut],
        crashes=crashes,
        round_trips=round_trips,
        state_grid_md=args.state_grid_md,
    )
    print()
    print(summary_table(results))
    found = findings_text(results)
    if found:
        print()
        print(found)
    for crash in crashes:
        print(
            f"crash: {crash.system} stopped serving after {crash.scenario} ({crash.seen});"
            " validate cannot restart it: the scenarios after it were not run"
        )
    print(f"report: {json_path}, {html_path} and {junit_path(args.report_dir)}")
    if not args.strict:
        return 0
    statuses = {result.verdict.status for result in results}
    if Status.DEVIATES in statuses:
        return 1
    return 2 if statuses & {Status.ERROR, Status.NOT_RUN} else 0


def register(commands: Any) -> None:
    """Add ``validate`` to the ``dicomactors`` command's sub-parsers."""
    parser = commands.add_parser(
        "validate", help="run the conformance scenarios against a DICOM node"
    )
    parser.add_argument("host", nargs="?")
    parser.add_argument("port", type=int, nargs="?")
    parser.add_argument(
        "--role",
        choices=("scp", "scu"),
        default="scp",
        help="scp: the node accepts associations (default); scu: it requests them, to the"
        " harness listening on --listen",
    )
    parser.add_argument("--listen", type=parse_listen, default=None, metavar="[HOST:]PORT")
    parser.add_argument(
        "--trigger",
        default=None,
        metavar="CMD",
        help="--role scu: a command that makes the node connect ({host} {port} {aet} {action})",
    )
    parser.add_argument(
        "--aet", default="ANY-SCP", help="the node's AE title (--role scu: the harness's)"
    )
    parser.add_argument("--name", default="remote", help="the node's name in the report")
    parser.add_argument(
        "--capability",
        action="append",
        default=[],
        metavar="C",
        help="what the node supports or is configured for (repeatable): echo, store, find,"
        " get, move, checks-called-aet, checks-calling-aet, max-associations=N,"
        " move-destination=AET@HOST:PORT (default: echo)",
    )
    parser.add_argument(
        "--artim", type=float, default=None, help="the node's ARTIM timeout, in seconds"
    )
    parser.add_argument(
        "--scenario", action="append", default=[], help="run only scenarios with this id prefix"
    )
    parser.add_argument("--report-dir", default="reports")
    parser.add_argument(
        "--state-grid-md", default=None, help="also write the state grids as markdown here"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are findings")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.set_defaults(run=validate)
