"""Scenarios of PS3.8 D.1 (maximum length) and PS3.8 9.3.5 (P-DATA-TF)."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("max-pdu",)


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
