"""TLS on a DICOM port (PS3.15 B.1, B.9): old protocol versions refused, no DICOM in the clear."""

from __future__ import annotations

from collections.abc import Callable

from harness.conformance import Result, Scenario
from harness.systems import SystemUnderTest

GROUPS = ("security",)


def test_scenario(
    sut: SystemUnderTest, scenario: Scenario, judge: Callable[[SystemUnderTest, Scenario], Result]
) -> None:
    judge(sut, scenario)
