"""Scenarios of PS3.7 9 (C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE) and PS3.8 9.1.1 (flow control)."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("dimse", "robustness")


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
