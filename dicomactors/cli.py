"""The ``dicomactors`` command: validate a remote node, echo it, or run the reference SCP.

- ``dicomactors validate HOST PORT [--aet AET] [--capability C]... [--report-dir DIR]
  [--strict]`` runs the conformance scenarios of :mod:`harness.conformance` against a node
  and writes ``conformance.json`` and ``conformance.html``; the exit status is 0 unless
  ``--strict`` and a scenario deviates (1), or a scenario could not be run (2 with
  ``--strict``).
- ``dicomactors echo HOST PORT [--aet AET]``: one C-ECHO; exit 0 on status 0x0000.
- ``dicomactors qrscp ...``: ``python -m dicomactors.apps.qrscp ...``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DEFAULT_CAPABILITIES = ("echo",)


def _validate(args: argparse.Namespace) -> int:
    from harness.conformance import SCENARIOS, Result, Status, run_scenarios
    from harness.report import findings_text, summary_table, write_report
    from harness.systems import SystemUnderTest

    capabilities = set(args.capability or DEFAULT_CAPABILITIES)
    if args.artim is not None:
        capabilities.add(f"artim={args.artim:g}")
    sut = SystemUnderTest(args.name, args.host, args.port, args.aet, frozenset(capabilities))
    chosen = [
        entry
        for entry in SCENARIOS
        if not args.scenario or any(entry.id.startswith(prefix) for prefix in args.scenario)
    ]

    def progress(result: Result) -> None:
        if not args.quiet:
            print(
                f"{result.verdict.status.value:<15} {result.scenario.id:<45} {result.verdict.seen}",
                flush=True,
            )

    results = run_scenarios(sut, chosen, progress)
    json_path, html_path = write_report(results, args.report_dir, [sut])
    print()
    print(summary_table(results))
    found = findings_text(results)
    if found:
        print()
        print(found)
    print(f"report: {json_path} and {html_path}")
    if not args.strict:
        return 0
    statuses = {result.verdict.status for result in results}
    if Status.DEVIATES in statuses:
        return 1
    return 2 if Status.ERROR in statuses else 0


def _echo(args: argparse.Namespace) -> int:
    from dicomactors.ae import AE
    from harness.behaviours import VERIFICATION

    ae = AE(args.calling_aet)
    ae.add_requested_context(VERIFICATION)
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

    validate = commands.add_parser(
        "validate", help="run the conformance scenarios against a DICOM node"
    )
    validate.add_argument("host")
    validate.add_argument("port", type=int)
    validate.add_argument("--aet", default="ANY-SCP", help="the node's AE title")
    validate.add_argument("--name", default="remote", help="the node's name in the report")
    validate.add_argument(
        "--capability",
        action="append",
        default=[],
        metavar="C",
        help="what the node supports or is configured for (repeatable): echo, store, find,"
        " get, move, checks-called-aet, checks-calling-aet, max-associations=N,"
        " move-destination=AET@HOST:PORT (default: echo)",
    )
    validate.add_argument(
        "--artim", type=float, default=None, help="the node's ARTIM timeout, in seconds"
    )
    validate.add_argument(
        "--scenario", action="append", default=[], help="run only scenarios with this id prefix"
    )
    validate.add_argument("--report-dir", default="reports")
    validate.add_argument("--strict", action="store_true", help="exit 1 when there are findings")
    validate.add_argument("-q", "--quiet", action="store_true")
    validate.set_defaults(run=_validate)

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
