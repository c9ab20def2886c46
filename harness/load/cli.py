"""``dicomactors load``: a thin front end over Locust's own command line and runners.

``dicomactors load HOST PORT --users N --spawn-rate R --run-time T [--master | --worker
--master-host H]`` runs ``python -m locust`` with harness/load/locustfile.py, headless
unless ``--web`` is given, and writes Locust's CSV and HTML results (``load_stats.csv``,
``load.html``, ...) and the integrity report into ``--report-dir`` (``reports/``, where
``dicomactors validate`` writes its conformance report). The DICOM options
(:mod:`harness.load.options`) are handed to Locust as they are; any other Locust option
goes through ``--locust "..."``. The command is added to ``dicomactors`` through the
``dicomactors.commands`` entry-point group; ``python -m harness.load`` runs it alone.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.load.options import add_dicom_arguments

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def register(commands: Any) -> None:
    """Add ``load`` to the ``dicomactors`` command's sub-parsers."""
    parser = commands.add_parser(
        "load", help="load-test a DICOM node with Locust (master, workers, web UI)"
    )
    add_arguments(parser)
    parser.set_defaults(run=load)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", nargs="?", help="the node's address (not for --worker)")
    parser.add_argument("port", nargs="?", type=int, help="the node's port (not for --worker)")
    run = parser.add_argument_group("the run (Locust's options)")
    run.add_argument("-u", "--users", type=int, default=10, help="concurrent users")
    run.add_argument("-r", "--spawn-rate", type=float, default=10.0, help="users started per s")
    run.add_argument("-t", "--run-time", default="30s", help="e.g. 30s, 5m (default 30s)")
    run.add_argument(
        "--stop-timeout",
        default="30",
        help="seconds a user may take to finish its request when the run stops (default 30)",
    )
    role = run.add_mutually_exclusive_group()
    role.add_argument("--master", action="store_true", help="run the master; workers join it")
    role.add_argument("--worker", action="store_true", help="run a worker for --master-host")
    run.add_argument("--master-host", default="127.0.0.1", help="the master's address")
    run.add_argument("--master-port", type=int, default=5557, help="the master's port")
    run.add_argument(
        "--master-bind-host", default="*", help="the master listens here (default: all)"
    )
    run.add_argument(
        "--expect-workers", type=int, default=1, help="the master starts when this many joined"
    )
    run.add_argument("--web", action="store_true", help="Locust's web UI instead of headless")
    run.add_argument("--web-port", type=int, default=8089)
    run.add_argument("--report-dir", default="reports", help="where results go (reports/)")
    run.add_argument("--report-name", default="load", help="file name prefix of the results")
    run.add_argument("--locustfile", default=str(LOCUSTFILE), help="use another locustfile")
    run.add_argument("--locust", default="", help='more Locust options, e.g. "--loglevel DEBUG"')
    add_dicom_arguments(parser.add_argument_group("DICOM"))


def locust_argv(args: argparse.Namespace) -> list[str]:
    """The ``locust`` command line for ``args``."""
    argv = ["-f", args.locustfile]
    if args.worker:
        argv += [
            "--worker",
            "--master-host",
            args.master_host,
            "--master-port",
            str(args.master_port),
        ]
        return [*argv, *_dicom_argv(args), *shlex.split(args.locust)]
    if args.host is None or args.port is None:
        raise ValueError("HOST and PORT are needed (but by a --worker)")
    if not 0 < args.port < 65536:
        raise ValueError(f"port must be 1 to 65535, not {args.port}")
    host = f"[{args.host}]" if ":" in args.host else args.host
    argv += ["--host", f"dicom://{host}:{args.port}", "--users", str(args.users)]
    argv += ["--spawn-rate", str(args.spawn_rate), "--run-time", args.run_time]
    argv += ["--stop-timeout", str(args.stop_timeout)]
    report = Path(args.report_dir) / args.report_name
    argv += ["--csv", str(report), "--html", f"{report}.html"]
    if args.web:
        argv += ["--autostart", "--web-port", str(args.web_port)]
    else:
        argv += ["--headless"]
    if args.master:
        argv += ["--master", "--master-bind-host", args.master_bind_host]
        argv += ["--master-bind-port", str(args.master_port)]
        argv += ["--expect-workers", str(args.expect_workers)]
    if args.integrity != "none" and not args.integrity_report:
        args.integrity_report = f"{report}_integrity.json"
    return [*argv, *_dicom_argv(args), *shlex.split(args.locust)]


def _dicom_argv(args: argparse.Namespace) -> list[str]:
    """The DICOM options that differ from their defaults, as Locust will read them."""
    parser = argparse.ArgumentParser(add_help=False)
    argv: list[str] = []
    for action in add_dicom_arguments(parser):
        value = getattr(args, action.dest)
        if value in (action.default, None):
            continue
        for item in value if isinstance(value, list) else [value]:
            argv += [action.option_strings[0], str(item)]
    return argv


def load(args: argparse.Namespace) -> int:
    """Run Locust; its exit code is ours (1 if a request failed or integrity did not pass)."""
    try:
        argv = locust_argv(args)
    except ValueError as error:
        print(f"dicomactors load: {error}", file=sys.stderr)
        return 2
    if not args.worker:
        Path(args.report_dir).mkdir(parents=True, exist_ok=True)
    # Locust monkey-patches the process it runs in: it gets a process of its own.
    return subprocess.call([sys.executable, "-m", "locust", *argv])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.load", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return load(parser.parse_args(argv))
