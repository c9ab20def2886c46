"""Scenarios of the system as association-requestor: group requestor-release (see
harness/conformance/requestor_release.py for the clauses)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest
from scenarios.requestor import parametrize, requestor

GROUPS = ("requestor-release",)
__all__ = ["requestor"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize(metafunc, GROUPS)


def test_requestor_scenario(
    requestor: SystemUnderTest,
    requestor_scenario: Scenario,
    judge: Callable[[SystemUnderTest, Scenario], Result],
) -> None:
    judge(requestor, requestor_scenario)
