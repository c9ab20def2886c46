"""The Locust side of a DICOM load run: its command-line options, the ledger of stores
travelling from the workers to the master, and the integrity check when the run ends.

Importing this module registers the hooks on Locust's global events; a locustfile that uses
:class:`harness.load.users.DicomUser` imports it (harness/load/locustfile.py does).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import gevent
import gevent.event
from locust import events
from locust.env import Environment
from locust.rpc import Message
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from dicomactors import AE
from harness.load.integrity import (
    IntegrityReport,
    compare,
    held_by_find,
    held_by_get,
    held_in_folder,
)
from harness.load.options import add_dicom_arguments
from harness.load.settings import LoadSettings
from harness.load.users import LEDGER

LOGGER = logging.getLogger("harness.load")
LEDGER_KEY = "dicom_stored"
LAST_KEY = "dicom_last_report"


@events.init_command_line_parser.add_listener
def add_arguments(parser: Any) -> None:
    """The DICOM options, next to Locust's own (they reach the workers from the master)."""
    add_dicom_arguments(parser.add_argument_group("DICOM"))


class _WorkerState:
    stopped = False  # its users have stopped: the next report is its last


class _MasterState:
    def __init__(self) -> None:
        self.finished: set[str] = set()  # workers whose last report came
        # Per worker: requests, failures and stores, as its reports said (they add up to
        # the master's totals).
        self.by_worker: dict[str, dict[str, int]] = {}
        self.reported = gevent.event.Event()


_WORKER = _WorkerState()
_MASTER = _MasterState()


@events.test_start.add_listener
def reset_ledger(environment: Environment, **_: Any) -> None:
    LEDGER.entries.clear()
    LEDGER.drain()
    _WORKER.stopped = False
    _MASTER.finished.clear()
    _MASTER.by_worker.clear()


@events.report_to_master.add_listener
def send_stores(client_id: str, data: dict[str, Any]) -> None:
    """Each statistics report from a worker carries its new successful stores."""
    data[LEDGER_KEY] = LEDGER.drain()
    data[LAST_KEY] = _WORKER.stopped


@events.worker_report.add_listener
def gather_stores(client_id: str, data: dict[str, Any]) -> None:
    rows = data.get(LEDGER_KEY, [])
    LEDGER.extend(rows)
    total = data.get("stats_total", {})
    counts = _MASTER.by_worker.setdefault(client_id, {"requests": 0, "failures": 0, "stores": 0})
    counts["requests"] += int(total.get("num_requests", 0))
    counts["failures"] += int(total.get("num_failures", 0))
    counts["stores"] += len(rows)
    if data.get(LAST_KEY):
        _MASTER.finished.add(client_id)
        _MASTER.reported.set()


@events.test_stop.add_listener
def report_last(environment: Environment, **_: Any) -> None:
    """On a worker: a last statistics report (with its stores) once its users stopped."""
    if isinstance(environment.runner, WorkerRunner):
        _WORKER.stopped = True
        environment.runner._send_stats()


@events.init.add_listener
def quit_after_workers(environment: Environment, **_: Any) -> None:
    """On the master: quitting first tells the workers to quit and waits for each one's last
    report, then quits as Locust does.

    Locust's master, when it quits (at the end of --run-time), tells its workers to quit and
    waits half a second for their last reports; a worker whose users are still finishing
    their requests (within --stop-timeout) reports later, and its last requests, and the
    instances they stored, would be missing from the totals.
    """
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    locust_quit = runner.quit

    def quit() -> None:
        workers = {client.id for client in runner.clients.all}
        for worker in workers:
            runner.server.send_to_client(Message("quit", None, worker))
        with gevent.Timeout(environment.stop_timeout + 30, False):
            while not workers <= _MASTER.finished:
                _MASTER.reported.wait()
                _MASTER.reported.clear()
        locust_quit()

    runner.quit = quit  # type: ignore[method-assign]


@events.quitting.add_listener
def final_csv(environment: Environment, **_: Any) -> None:
    """Let Locust's CSV writer, which writes every CSV_STATS_INTERVAL_SEC, write the final
    totals before Locust closes its files (its last write may otherwise predate the last
    requests). Its next write is due within that interval, so it comes before this wakes."""
    options = environment.parsed_options
    if (
        options is not None
        and options.csv_prefix
        and not isinstance(environment.runner, WorkerRunner)
    ):
        gevent.sleep(CSV_STATS_INTERVAL_SEC)


@events.quitting.add_listener
def write_worker_counts(environment: Environment, **_: Any) -> None:
    """On the master: what each worker reported, beside Locust's CSV (``*_workers.json``)."""
    options = environment.parsed_options
    if isinstance(environment.runner, MasterRunner) and options and options.csv_prefix:
        path = Path(f"{options.csv_prefix}_workers.json")
        path.write_text(json.dumps(_MASTER.by_worker, indent=2, sort_keys=True) + "\n")


@events.quitting.add_listener
def check_integrity(environment: Environment, **_: Any) -> None:
    """On the master (or a local run): look for every stored instance, report, and make
    the run fail if any is lost, duplicated or altered."""
    options = environment.parsed_options
    if options is None or options.integrity == "none":
        return
    if isinstance(environment.runner, WorkerRunner):
        return
    report = integrity_report(options, environment.host)
    LOGGER.info(report.summary())
    print(report.summary(), flush=True)
    if options.integrity_report:
        report.write(Path(options.integrity_report))
    if not report.passed:
        environment.process_exit_code = 1


def integrity_report(options: Any, host: str | None) -> IntegrityReport:
    """The check chosen by ``--integrity`` against this run's ledger."""
    method = options.integrity
    stored = list(LEDGER.entries)
    try:
        if method == "folder":
            if not options.integrity_folder:
                raise ValueError("--integrity folder needs --integrity-folder DIR")
            return compare(method, stored, held_in_folder(Path(options.integrity_folder)))
        settings = LoadSettings.from_options(options, host)
        ae = AE(settings.calling_aet)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = settings.timeout
        try:
            look = held_by_find if method == "find" else held_by_get
            held = look(ae, (settings.host, settings.port), settings.called_aet, stored)
        finally:
            ae.shutdown()
        return compare(method, stored, held)
    except (OSError, ValueError, ConnectionError) as error:
        report = compare(method, stored, {})
        report.error = f"the check could not run: {error}"
        return report


@events.init.add_listener
def check_options(environment: Environment, **_: Any) -> None:
    """A mistake in the DICOM options stops the run at once, in one line."""
    options = environment.parsed_options
    if options is None or isinstance(environment.runner, WorkerRunner):
        return
    try:
        LoadSettings.from_options(options, environment.host or options.host)
    except (ValueError, OSError) as error:
        raise SystemExit(f"dicomactors load: {error}") from None
    # gevent's loop caches "now" at each turn, and this process has not turned it since
    # before the locustfile (and the library) was imported: without this, --run-time would
    # be counted from that stale time and end the run early by the import time.
    gevent.get_hub().loop.update_now()
