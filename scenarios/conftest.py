"""``pytest scenarios/``: every conformance scenario against every selected system.

Options (see ``pytest --help``): ``--sut`` picks systems by name, ``--sut-address``
and ``--sut-aet`` add any other node, ``--containers``/``--no-containers`` force or
skip the container systems (by default they run when a Docker engine answers),
``--strict`` (pytest's own) or ``--conformance-strict`` makes findings fail the run,
``--report-dir`` is where the report goes.

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

from harness.conformance import SCENARIOS, Result, Scenario, Status
from harness.report import findings_text, summary_table, write_report
from harness.stategrid import Role
from harness.systems import PeerStartError, PeerUnavailable, SystemUnderTest, docker_available
from scenarios.launch import LAUNCHERS, LOCAL_SYSTEMS, installed, remote

KNOWN_DICOMACTORS_DEVIATIONS: dict[str, str] = {}
"""Scenario id -> why dicomactors deviates (an xfail(strict=True)); empty: none known."""


@dataclass
class _Run:
    results: list[Result] = field(default_factory=list)
    systems: dict[str, SystemUnderTest] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


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
    group.addoption("--sut-aet", default="ANY-SCP", help="AE title of the --sut-address node")
    group.addoption(
        "--sut-capability",
        action="append",
        default=[],
        help="what the --sut-address node supports or is configured for (repeatable): echo,"
        " store, find, get, move, checks-called-aet, artim=SECONDS, max-associations=N, ...",
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
    elif config.getoption("sut_address"):
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


@pytest.fixture(scope="session")
def sut(request: pytest.FixtureRequest) -> Iterator[SystemUnderTest]:
    """One system, started once for the session (torn down when the next one starts)."""
    name: str = request.param
    launcher = (lambda: _remote(request.config)) if name == "remote" else LAUNCHERS[name]
    try:
        context = launcher()
        system = context.__enter__()
    except (PeerUnavailable, PeerStartError) as error:
        pytest.skip(f"{name}: {error}")
    try:
        request.config.stash[_RUN].systems[system.name] = system
        yield system
    finally:
        context.__exit__(None, None, None)


def _judge(config: pytest.Config, system: SystemUnderTest, scenario: Scenario) -> Result:
    """Run one scenario, record it, and turn its verdict into the test's outcome."""
    verdict = scenario.check(system)
    result = Result(scenario, system.name, verdict)
    config.stash[_RUN].results.append(result)
    message = f"{scenario.id} on {system.name}: {verdict.status.value}: {verdict.seen}"
    if verdict.status is Status.NOT_APPLICABLE:
        pytest.skip(message)
    if verdict.status is Status.ERROR:
        pytest.fail(f"{message}\n{verdict.detail}")
    if verdict.status is Status.DEVIATES and (
        system.name.startswith("dicomactors") or _strict(config)
    ):
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
    json_path, html_path = write_report(run.results, directory, run.systems.values())
    terminalreporter.section("DICOM conformance")
    terminalreporter.write_line(summary_table(run.results))
    text = findings_text(run.results)
    if text:
        terminalreporter.write_line("")
        terminalreporter.write_line(text)
    for name, why in run.skipped.items():
        terminalreporter.write_line(f"not run: {name}: {why}")
    terminalreporter.write_line(f"report: {json_path} and {html_path}")
