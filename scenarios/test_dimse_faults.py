"""Scenarios of PS3.7 6.3.1, 9.3, Annex C and E: faults in the command set and in a C-STORE."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("dimse-faults",)


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
