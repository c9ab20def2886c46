"""PS3.8 Table 9-10 cell by cell, for a system playing the acceptor."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("state-grid",)


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
