"""``pytest scenarios/``: every conformance scenario against every selected system.

Options (see ``pytest --help``): ``--sut`` picks systems by name, ``--sut-address``
and ``--sut-aet`` add any other node, ``--sut-image`` runs a container image of the
user's as one (``--sut-port``, ``--sut-aet``, ``--sut-capability``),
``--containers``/``--no-containers`` force or skip the container systems (by default
they run when a Docker engine answers), ``--strict`` (pytest's own) or
``--conformance-strict`` makes findings fail the run, ``--report-dir`` is where the
report goes (JSON, HTML, JUnit XML), ``--state-grid-md`` where the state grids go as
markdown.

Each system is watched between scenarios (:mod:`harness.conformance.run`): one that stops
serving is restarted through its launcher (a remote node cannot be: its remaining
scenarios are "not run"), and the scenario whose input stopped it deviates.

A verdict of DEVIATES from a third-party system is a finding: the test passes, is
shown as ``deviates`` (letter D) and lands in the report. Any deviation of dicomactors
fails its test, except where :data:`KNOWN_DICOMACTORS_DEVIATIONS` marks it xfail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.conformance import SCENARIOS, GuardedSystem, Relaunch, Result, Scenario, Status
from harness.conformance.run import Crash
from harness.report import findings_text, junit_path, summary_table, write_report
from harness.stategrid import Role
from harness.systems import PeerStartError, PeerUnavailable, SystemUnderTest, docker_available
from scenarios.launch import LAUNCHERS, LOCAL_SYSTEMS, installed, remote, user_image

KNOWN_DICOMACTORS_DEVIATIONS: dict[str, str] = {}
"""Scenario id -> why dicomactors deviates (an xfail(strict=True)); empty: none known."""


@dataclass
class _Run:
    results: list[Result] = field(default_factory=list)
    systems: dict[str, SystemUnderTest] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    guards: dict[str, GuardedSystem] = field(default_factory=dict)
    crashes: list[Crash] = field(default_factory=list)
    round_trips: dict[str, float] = field(default_factory=dict)


_RUN = pytest.StashKey[_Run]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "DICOM conformance scenarios")
    group.addoption(
        "--sut",
        default=None,
        help="comma-separated systems: dcmtk,orthanc,pynetdicom,dicomactors"
        " (default: dicomactors plus each installed third-party one)",
    )
    group.addoption("--sut-address", default=None, help="HOST:PORT of any other node to test")
    group.addoption(
        "--sut-aet", default="ANY-SCP", help="AE title of the --sut-address or --sut-image node"
    )
    group.addoption(
        "--sut-image",
        default=None,
        help="a container image to run as the system under test (host networking; it must"
        " listen on --sut-port, also given to it as DICOM_PORT, with the AE title --sut-aet,"
        " also given as DICOM_AET)",
    )
    group.addoption(
        "--sut-port", type=int, default=None, help="the --sut-image node's port (default: free)"
    )
    group.addoption(
        "--sut-command",
        default=None,
        help="the --sut-image container's arguments; {port} and {aet} are replaced",
    )
    group.addoption(
        "--sut-capability",
        action="append",
        default=[],
        help="what the --sut-address or --sut-image node supports or is configured for"
        " (repeatable): echo, store, find, get, move, checks-called-aet, artim=SECONDS,"
        " max-associations=N, ...",
    )
    group.addoption(
        "--containers",
        action="store_const",
        const=True,
        default=None,
        help="also run each selected system as a container (default: when Docker answers)",
    )
    group.addoption(
        "--no-containers", action="store_const", dest="containers", const=False, help="never"
    )
    group.addoption(
        "--conformance-strict",
        action="store_true",
        help="findings fail the run (as pytest's --strict does here)",
    )
    group.addoption("--report-dir", default="reports", help="where the report is written")
    group.addoption(
        "--state-grid-md", default=None, help="also write the state grids as markdown to this file"
    )


def _strict(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_strict") or config.getoption("strict", False))


def _selected(config: pytest.Config) -> tuple[list[str], dict[str, str]]:
    """The system names to run, and those left out with the reason."""
    skipped: dict[str, str] = {}
    option = config.getoption("sut")
    if option:
        names = [name.strip() for name in option.split(",") if name.strip()]
        unknown = [n for n in names if n not in LOCAL_SYSTEMS and n not in LAUNCHERS]
        if unknown:
            raise pytest.UsageError(f"unknown --sut {unknown}; known: {', '.join(LAUNCHERS)}")
    elif config.getoption("sut_address") or config.getoption("sut_image"):
        names = []
    else:
        names = []
        for name in LOCAL_SYSTEMS:
            ok, why = installed(name)
            if ok:
                names.append(name)
            else:
                skipped[name] = why
    containers = config.getoption("containers")
    if containers is not False:
        ok, why = docker_available()
        if ok:
            names += [f"{n}-container" for n in names if f"{n}-container" in LAUNCHERS]
        elif containers:
            raise pytest.UsageError(f"--containers: {why}")
        else:
            skipped["containers"] = why
    if config.getoption("sut_address"):
        names.append("remote")
    if config.getoption("sut_image"):
        names.append("image")
    return list(dict.fromkeys(names)), skipped


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RUN] = _Run()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" not in metafunc.fixturenames:
        return
    names, skipped = _selected(metafunc.config)
    metafunc.config.stash[_RUN].skipped.update(skipped)
    metafunc.parametrize("sut", names, indirect=True, scope="session")
    groups = getattr(metafunc.module, "GROUPS", None)
    chosen = [
        entry
        for entry in SCENARIOS
        if (groups is None or entry.group in groups) and entry.role is Role.ACCEPTOR
    ]
    metafunc.parametrize("scenario", chosen, ids=[entry.id for entry in chosen])


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest has grouped the items by system (a session fixture); within each system the
    # association limit, which fills the system up, goes last.
    order = {name: index for index, name in enumerate(_selected(config)[0])}

    def key(item: pytest.Item) -> tuple[int, bool]:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            return (-1, False)
        entry = callspec.params.get("scenario")
        return (order.get(callspec.params.get("sut"), 0), getattr(entry, "group", "") == "limit")

    items.sort(key=key)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        system, entry = callspec.params.get("sut"), callspec.params.get("scenario")
        if (
            isinstance(system, str)
            and system.startswith("dicomactors")
            and isinstance(entry, Scenario)
            and entry.id in KNOWN_DICOMACTORS_DEVIATIONS
        ):
            reason = KNOWN_DICOMACTORS_DEVIATIONS[entry.id]
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def _remote(config: pytest.Config) -> Any:
    address = config.getoption("sut_address")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise pytest.UsageError(f"--sut-address wants HOST:PORT, not {address!r}")
    capabilities = set(config.getoption("sut_capability")) or {"echo"}
    return remote(host, int(port), config.getoption("sut_aet"), capabilities)


def _image(config: pytest.Config) -> Any:
    capabilities = set(config.getoption("sut_capability")) or {"echo"}
    return user_image(
        config.getoption("sut_image"),
        config.getoption("sut_port"),
        config.getoption("sut_aet"),
        capabilities,
        config.getoption("sut_command"),
    )


@pytest.fixture(scope="session")
def sut(request: pytest.FixtureRequest) -> Iterator[SystemUnderTest]:
    """One system, started once for the session (torn down when the next one starts),
    watched between scenarios and restarted through its launcher when it stops serving."""
    name: str = request.param
    run = request.config.stash[_RUN]
    if name == "remote":
        with _remote(request.config) as system:
            guard = GuardedSystem(system)
            yield from _watched(run, guard)
        return
    launcher = (lambda: _image(request.config)) if name == "image" else LAUNCHERS[name]
    relaunch = Relaunch(launcher)
    try:
        system = relaunch.start()
    except (PeerUnavailable, PeerStartError) as error:
        pytest.skip(f"{name}: {error}")
    try:
        yield from _watched(run, GuardedSystem(system, relaunch))
    finally:
        relaunch.stop()


def _watched(run: _Run, guard: GuardedSystem) -> Iterator[SystemUnderTest]:
    name = guard.current.name
    run.guards[name] = guard
    try:
        yield guard.current
    finally:
        run.crashes += guard.crashes
        run.systems[name] = guard.current
        if guard.round_trip is not None:
            run.round_trips[name] = guard.round_trip


def _judge(config: pytest.Config, system: SystemUnderTest, scenario: Scenario) -> Result:
    """Run one scenario, record it, and turn its verdict into the test's outcome."""
    guard = config.stash[_RUN].guards.get(system.name) or GuardedSystem(system)
    verdict = guard.check(scenario)
    result = Result(scenario, system.name, verdict)
    config.stash[_RUN].results.append(result)
    message = f"{scenario.id} on {system.name}: {verdict.status.value}: {verdict.seen}"
    ours = system.name.startswith("dicomactors")
    if verdict.status is Status.NOT_APPLICABLE or (verdict.status is Status.NOT_RUN and not ours):
        pytest.skip(message)
    if verdict.status in (Status.ERROR, Status.NOT_RUN):
        pytest.fail(f"{message}\n{verdict.detail}")
    if verdict.status is Status.DEVIATES and (ours or _strict(config)):
        pytest.fail(
            f"{message}\nexpected ({scenario.clause}): {scenario.expected}\n{verdict.detail}"
        )
    return result


@pytest.fixture
def judge(request: pytest.FixtureRequest) -> Callable[[SystemUnderTest, Scenario], Result]:
    """``judge(sut, scenario)``: run it, record it, pass/skip/fail the test accordingly."""

    def run(system: SystemUnderTest, scenario: Scenario) -> Result:
        result = _judge(request.config, system, scenario)
        request.node.user_properties.append(("verdict", result.verdict.status.value))
        return result

    return run


def pytest_report_teststatus(
    report: pytest.TestReport, config: pytest.Config
) -> tuple[str, str, str] | None:
    if (
        report.when == "call"
        and report.passed
        and ("verdict", "deviates") in report.user_properties
    ):
        return "deviates", "D", "DEVIATES"
    return None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or not run.results:
        return
    directory = Path(config.getoption("report_dir"))
    if not directory.is_absolute():
        directory = Path(config.invocation_params.dir) / directory
    json_path, html_path = write_report(
        run.results,
        directory,
        run.systems.values(),
        crashes=run.crashes,
        round_trips=run.round_trips,
        state_grid_md=config.getoption("state_grid_md"),
    )
    terminalreporter.section("DICOM conformance")
    terminalreporter.write_line(summary_table(run.results))
    text = findings_text(run.results)
    if text:
        terminalreporter.write_line("")
        terminalreporter.write_line(text)
    for crash in run.crashes:
        what = "restarted" if crash.restarted else f"not restarted {crash.restart_error}".strip()
        terminalreporter.write_line(
            f"crash: {crash.system} stopped serving after {crash.scenario} ({crash.seen}); {what}"
        )
    for name, why in run.skipped.items():
        terminalreporter.write_line(f"not run: {name}: {why}")
    terminalreporter.write_line(f"report: {json_path}, {html_path} and {junit_path(directory)}")
