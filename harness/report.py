"""The conformance report: a JSON file, a static HTML page and a summary table.

``write_report`` takes the :class:`~harness.conformance.Result` of every scenario run
against every system and writes ``conformance.json`` (see :data:`SCHEMA` for its shape)
and ``conformance.html`` (the matrix of scenario by system, each cell the status, the
reaction seen and its timing; then the findings, system by system) into a folder.
A finding is a DEVIATES verdict: the system reacted otherwise than the clause asks.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.conformance import Result, Scenario, Status
from harness.systems import SystemUnderTest

SCHEMA = "dicomactors-conformance/1"
"""``{schema, generated, systems: [{name, host, port, ae_title, supports}],
scenarios: [{id, title, clause, expected, group}],
results: [{scenario, system, status, seen, elapsed, detail}],
findings: {system: [{scenario, clause, expected, seen, elapsed}]},
summary: {system: {status: count}}}``; statuses are the values of
:class:`~harness.conformance.Status`."""

JSON_NAME = "conformance.json"
HTML_NAME = "conformance.html"


def _scenarios(results: Sequence[Result]) -> list[Scenario]:
    seen: dict[str, Scenario] = {}
    for result in results:
        seen.setdefault(result.scenario.id, result.scenario)
    return list(seen.values())


def _systems(results: Sequence[Result]) -> list[str]:
    return list(dict.fromkeys(result.system for result in results))


def summary(results: Iterable[Result]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for result in results:
        row = table.setdefault(result.system, {status.value: 0 for status in Status})
        row[result.verdict.status.value] += 1
    return table


def findings(results: Iterable[Result]) -> dict[str, list[Result]]:
    """The DEVIATES results, system by system."""
    found: dict[str, list[Result]] = {}
    for result in results:
        if result.is_finding:
            found.setdefault(result.system, []).append(result)
    return found


def as_json(results: Sequence[Result], systems: Iterable[SystemUnderTest] = ()) -> dict[str, Any]:
    described = {sut.name: sut for sut in systems}
    return {
        "schema": SCHEMA,
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "systems": [_system(name, described.get(name)) for name in _systems(results)],
        "scenarios": [
            {
                "id": entry.id,
                "title": entry.title,
                "clause": entry.clause,
                "expected": entry.expected,
                "group": entry.group,
            }
            for entry in _scenarios(results)
        ],
        "results": [
            {
                "scenario": result.scenario.id,
                "system": result.system,
                "status": result.verdict.status.value,
                "seen": result.verdict.seen,
                "elapsed": round(result.verdict.elapsed, 4),
                "detail": result.verdict.detail,
            }
            for result in results
        ],
        "findings": {
            system: [
                {
                    "scenario": result.scenario.id,
                    "clause": result.scenario.clause,
                    "expected": result.scenario.expected,
                    "seen": result.verdict.seen,
                    "elapsed": round(result.verdict.elapsed, 4),
                }
                for result in found
            ]
            for system, found in findings(results).items()
        },
        "summary": summary(results),
    }


def _system(name: str, sut: SystemUnderTest | None) -> dict[str, Any]:
    if sut is None:
        return {"name": name}
    return {
        "name": name,
        "host": sut.host,
        "port": sut.port,
        "ae_title": sut.ae_title,
        "supports": sorted(str(entry) for entry in sut.supports),
    }


_CSS = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; vertical-align: top; }
th { background: #eee; text-align: left; }
td.passed { background: #dff0d8; }
td.deviates { background: #fcdede; }
td.not-applicable { background: #f4f4f4; color: #777; }
td.error { background: #fde9b8; }
.seen { font-size: 0.9em; color: #333; }
.timing { color: #666; font-size: 0.85em; }
.clause { color: #555; font-size: 0.9em; }
"""


def _cell(result: Result | None) -> str:
    if result is None:
        return "<td>-</td>"
    verdict = result.verdict
    css = verdict.status.value.replace(" ", "-")
    timing = f"{verdict.elapsed:.3f} s" if verdict.status is not Status.NOT_APPLICABLE else ""
    return (
        f'<td class="{css}"><b>{html.escape(verdict.status.value)}</b>'
        f'<div class="seen">{html.escape(verdict.seen)}</div>'
        f'<div class="timing">{timing}</div></td>'
    )


def as_html(results: Sequence[Result], title: str = "DICOM conformance report") -> str:
    systems = _systems(results)
    by_key = {(result.scenario.id, result.system): result for result in results}
    rows = []
    for entry in _scenarios(results):
        head = (
            f'<th id="{html.escape(entry.id)}">{html.escape(entry.id)}'
            f"<div>{html.escape(entry.title)}</div>"
            f'<div class="clause">{html.escape(entry.clause)}</div></th>'
            f'<td class="clause">{html.escape(entry.expected)}</td>'
        )
        cells = "".join(_cell(by_key.get((entry.id, system))) for system in systems)
        rows.append(f"<tr>{head}{cells}</tr>")
    counts = summary(results)
    summary_rows = "".join(
        f"<tr><th>{html.escape(system)}</th>"
        + "".join(f"<td>{counts[system][status.value]}</td>" for status in Status)
        + "</tr>"
        for system in systems
    )
    found_sections = []
    for system, found in findings(results).items():
        items = "".join(
            f'<li><a href="#{html.escape(r.scenario.id)}">{html.escape(r.scenario.id)}</a>'
            f" ({html.escape(r.scenario.clause)}): expected {html.escape(r.scenario.expected)};"
            f" seen {html.escape(r.verdict.seen)}</li>"
            for r in found
        )
        found_sections.append(f"<h3>{html.escape(system)}</h3><ul>{items}</ul>")
    generated = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Generated {generated}. A finding is a reaction that deviates from the clause named.</p>
<h2>Summary</h2>
<table><tr><th>system</th>{"".join(f"<th>{s.value}</th>" for s in Status)}</tr>
{summary_rows}</table>
<h2>Matrix</h2>
<table id="matrix"><tr><th>scenario</th><th>expected</th>
{"".join(f"<th>{html.escape(system)}</th>" for system in systems)}</tr>
{"".join(rows)}
</table>
<h2>Findings</h2>
{"".join(found_sections) or "<p>None.</p>"}
</body></html>
"""


def write_report(
    results: Sequence[Result],
    directory: str | Path,
    systems: Iterable[SystemUnderTest] = (),
) -> tuple[Path, Path]:
    """Write ``conformance.json`` and ``conformance.html`` into ``directory``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / JSON_NAME, folder / HTML_NAME
    json_path.write_text(json.dumps(as_json(results, systems), indent=2) + "\n")
    html_path.write_text(as_html(results))
    return json_path, html_path


def summary_table(results: Sequence[Result]) -> str:
    """A plain-text table: one row per system, a column per status."""
    counts = summary(results)
    headers = ["system", *(status.value for status in Status)]
    rows = [[system, *(str(counts[system][s.value]) for s in Status)] for system in counts]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def findings_text(results: Sequence[Result]) -> str:
    lines = []
    for system, found in findings(results).items():
        lines.append(f"{system}: {len(found)} finding(s)")
        for result in found:
            lines.append(
                f"  {result.scenario.id} ({result.scenario.clause}): {result.verdict.seen}"
            )
    return "\n".join(lines)


__all__ = [
    "HTML_NAME",
    "JSON_NAME",
    "SCHEMA",
    "as_html",
    "as_json",
    "findings",
    "findings_text",
    "summary",
    "summary_table",
    "write_report",
]
