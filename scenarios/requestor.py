"""The requestor role under ``pytest scenarios/``: which requestor systems run, and how.

The acceptor-role tests take ``sut`` and ``scenario`` (scenarios/conftest.py); the
requestor-role tests (``test_requestor_*.py``) take ``requestor`` and
``requestor_scenario``, parametrised here by each module's ``pytest_generate_tests``.
Each selected system of the acceptor role has a requestor twin, ``NAME-scu`` (and
``NAME-scu-container`` when containers run); the results go through the same ``judge``
fixture, so they land in the same report.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.conformance import SCENARIOS, Scenario
from harness.requestor.launch import REQUESTOR_LAUNCHERS
from harness.requestor.systems import RequestorSystem
from harness.stategrid import Role
from harness.systems import PeerStartError, PeerUnavailable, docker_available
from scenarios.launch import LOCAL_SYSTEMS


def requestor_names(config: pytest.Config) -> list[str]:
    """The requestor systems to run: each chosen system's ``-scu`` twin, containers too
    unless ``--no-containers`` (or no Docker engine answers: they then skip, saying why)."""
    option = config.getoption("sut")
    if option:
        bases = [name.strip() for name in option.split(",") if name.strip()]
    elif config.getoption("sut_address"):
        bases = []
    else:
        bases = list(LOCAL_SYSTEMS)
    containers = config.getoption("containers") is not False
    names = []
    for base in bases:
        local = f"{base.removesuffix('-container')}-scu"
        if not base.endswith("-container"):
            names.append(local)
        if base.endswith("-container") or containers:
            names.append(f"{local}-container")
    return [name for name in dict.fromkeys(names) if name in REQUESTOR_LAUNCHERS]


def parametrize(metafunc: pytest.Metafunc, groups: tuple[str, ...]) -> None:
    if "requestor_scenario" not in metafunc.fixturenames:
        return
    names = requestor_names(metafunc.config)
    metafunc.parametrize("requestor", names, indirect=True, scope="session")
    chosen = [s for s in SCENARIOS if s.role is Role.REQUESTOR and s.group in groups]
    metafunc.parametrize("requestor_scenario", chosen, ids=[s.id for s in chosen])


@pytest.fixture(scope="session")
def requestor(request: pytest.FixtureRequest) -> Iterator[RequestorSystem]:
    """One requestor system, set up once for the session."""
    name: str = request.param
    if name.endswith("-container"):
        ok, why = docker_available()
        if not ok:
            pytest.skip(f"{name}: {why}")
    try:
        context = REQUESTOR_LAUNCHERS[name]()
        system = context.__enter__()
    except (PeerUnavailable, PeerStartError) as error:
        pytest.skip(f"{name}: {error}")
    try:
        yield system
    finally:
        context.__exit__(None, None, None)


__all__ = ["Scenario", "parametrize", "requestor", "requestor_names"]
