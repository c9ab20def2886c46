"""Scenarios of PS3.8 7.1 and 9.3 (A-ASSOCIATE), PS3.8 9.3.4 (the association limit)."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("association", "limit")


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
