"""The conformance results as JUnit XML, for CI: one test suite per system, one test case
per scenario, named ``<system>.<group>`` / ``<scenario id>``.

PASSED is a passing case; DEVIATES a ``<failure>`` (type ``deviates``) whose message is
the reaction seen and whose text the clause, the reaction asked for and the transcript;
ERROR (a suite defect) an ``<error>``; NOT_APPLICABLE and NOT_RUN are ``<skipped>``. Each
case carries its clause and verdict as properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from harness.conformance import Result, Status


def junit_xml(results: Iterable[Result], name: str = "dicom-conformance") -> str:
    """The JUnit XML document of ``results``."""
    by_system: dict[str, list[Result]] = {}
    for result in results:
        by_system.setdefault(result.system, []).append(result)
    root = ET.Element("testsuites", name=name)
    for system, found in by_system.items():
        suite = ET.SubElement(root, "testsuite", name=system)
        counts = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        elapsed = 0.0
        for result in found:
            kind = _case(suite, system, result)
            counts["tests"] += 1
            if kind:
                counts[kind] += 1
            elapsed += result.verdict.elapsed
        for key, count in counts.items():
            suite.set(key, str(count))
        suite.set("time", f"{elapsed:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _case(suite: ET.Element, system: str, result: Result) -> str:
    """Add one test case; returns the counter it adds to ("" for a pass)."""
    entry, verdict = result.scenario, result.verdict
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"{system}.{entry.group or 'scenarios'}",
        name=entry.id,
        time=f"{verdict.elapsed:.3f}",
    )
    properties = ET.SubElement(case, "properties")
    for key, value in (
        ("clause", entry.clause),
        ("verdict", verdict.status.value),
        ("role", entry.role.value),
    ):
        ET.SubElement(properties, "property", name=key, value=value)
    text = f"clause: {entry.clause}\nexpected: {entry.expected}\nseen: {verdict.seen}"
    if verdict.detail:
        text += f"\n\n{verdict.detail}"
    if verdict.status is Status.DEVIATES:
        ET.SubElement(case, "failure", message=verdict.seen, type="deviates").text = text
        return "failures"
    if verdict.status is Status.ERROR:
        ET.SubElement(case, "error", message=verdict.seen, type="suite-defect").text = text
        return "errors"
    if verdict.status in (Status.NOT_APPLICABLE, Status.NOT_RUN):
        message = f"{verdict.status.value}: {verdict.seen}"
        ET.SubElement(case, "skipped", message=message)
        return "skipped"
    ET.SubElement(case, "system-out").text = verdict.seen
    return ""


def write_junit(results: Iterable[Result], path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(junit_xml(results))
    return target


__all__ = ["junit_xml", "write_junit"]
