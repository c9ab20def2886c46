"""Service semantics (PS3.4 B, C, F, J) and extended negotiation (PS3.7 D.3.3.3, D.3.3.7)."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("services",)


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
