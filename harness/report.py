"""The conformance report: a JSON file, a static HTML page and a summary table.

``write_report`` takes the :class:`~harness.conformance.Result` of every scenario run
against every system and writes ``conformance.json`` (see :data:`SCHEMA` for its shape),
``conformance.html`` (the matrix of scenario by system, each cell the status, the
reaction seen, its timing and the transcript folded; a filter by verdict and by clause
group; the findings system by system; the crashes; the state grid of each system and
role) and ``conformance.junit.xml`` (:mod:`harness.junit`) into a folder, and the state
grids as markdown where asked. A finding is a DEVIATES verdict: the system reacted
otherwise than the clause asks.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.conformance import Crash, Result, Scenario, Status
from harness.grids import grids_from_results, grids_markdown
from harness.junit import write_junit
from harness.stategrid import NotDrivable, Role, StateGrid, short
from harness.systems import SystemUnderTest

SCHEMA = "dicomactors-conformance/2"
"""``{schema, generated, systems: [{name, host, port, ae_title, supports, round_trip}],
scenarios: [{id, title, clause, expected, group, role, cell}],
results: [{scenario, system, status, seen, elapsed, detail}],
findings: {system: [{scenario, clause, expected, seen, elapsed}]},
crashes: [{system, scenario, seen, restarted, restart_error, transcript}],
state_grids: [StateGrid.to_json()],
summary: {system: {status: count}}}``; statuses are the values of
:class:`~harness.conformance.Status`."""

JSON_NAME = "conformance.json"
HTML_NAME = "conformance.html"
JUNIT_NAME = "conformance.junit.xml"


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


def as_json(
    results: Sequence[Result],
    systems: Iterable[SystemUnderTest] = (),
    *,
    crashes: Iterable[Crash] = (),
    round_trips: dict[str, float] | None = None,
    grids: Iterable[StateGrid] | None = None,
) -> dict[str, Any]:
    described = {sut.name: sut for sut in systems}
    trips = round_trips or {}
    chosen_grids = grids_from_results(results) if grids is None else grids
    return {
        "schema": SCHEMA,
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "systems": [
            _system(name, described.get(name), trips.get(name)) for name in _systems(results)
        ],
        "scenarios": [
            {
                "id": entry.id,
                "title": entry.title,
                "clause": entry.clause,
                "expected": entry.expected,
                "group": entry.group,
                "role": entry.role.value,
                "cell": _cell_name(entry),
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
        "crashes": [dataclasses.asdict(crash) for crash in crashes],
        "state_grids": [grid.to_json() for grid in chosen_grids],
        "summary": summary(results),
    }


def _cell_name(entry: Scenario) -> str | None:
    if entry.cell is None:
        return None
    state, event = entry.cell
    return f"{short(state)} {short(event)}"


def _system(name: str, sut: SystemUnderTest | None, round_trip: float | None) -> dict[str, Any]:
    described: dict[str, Any] = {"name": name}
    if sut is not None:
        described |= {
            "host": sut.host,
            "port": sut.port,
            "ae_title": sut.ae_title,
            "supports": sorted(str(entry) for entry in sut.supports),
        }
    if round_trip is not None:
        described["round_trip"] = round(round_trip, 6)
    return described


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
td.not-run { background: #e8e8f8; color: #555; }
.clause { color: #555; font-size: 0.9em; }
details pre { font-size: 0.8em; max-width: 60em; white-space: pre-wrap; }
#filters { margin: 0.5em 0 1em; }
table.state-grid td { text-align: center; min-width: 1.4em; }
td.grid-matches { background: #dff0d8; }
td.grid-deviates { background: #fcdede; }
td.grid-not-drivable { background: #f4f4f4; color: #999; }
td.grid-not-probed { background: #fff; color: #bbb; }
"""

_FILTER_SCRIPT = """
function applyFilters() {
  const status = document.getElementById('by-status').value;
  const group = document.getElementById('by-group').value;
  for (const row of document.querySelectorAll('#matrix tr[data-group]')) {
    const statuses = row.dataset.statuses.split(' ');
    const show = (!group || row.dataset.group === group) &&
      (!status || statuses.includes(status));
    row.style.display = show ? '' : 'none';
  }
}
"""


def _cell(result: Result | None) -> str:
    if result is None:
        return "<td>-</td>"
    verdict = result.verdict
    css = _css(verdict.status)
    timing = f"{verdict.elapsed:.3f} s" if verdict.status is not Status.NOT_APPLICABLE else ""
    transcript = (
        f"<details><summary>transcript</summary><pre>{html.escape(verdict.detail)}</pre></details>"
        if verdict.detail
        else ""
    )
    return (
        f'<td class="{css}"><b>{html.escape(verdict.status.value)}</b>'
        f'<div class="seen">{html.escape(verdict.seen)}</div>'
        f'<div class="timing">{timing}</div>{transcript}</td>'
    )


def _css(status: Status) -> str:
    return status.value.replace(" ", "-")


def _filters(groups: Sequence[str]) -> str:
    statuses = "".join(f'<option value="{_css(s)}">{s.value}</option>' for s in Status)
    options = "".join(f'<option value="{html.escape(g)}">{html.escape(g)}</option>' for g in groups)
    return (
        '<div id="filters">verdict <select id="by-status" onchange="applyFilters()">'
        f'<option value="">any</option>{statuses}</select> clause group '
        '<select id="by-group" onchange="applyFilters()">'
        f'<option value="">any</option>{options}</select></div>'
    )


def _crashes_html(crashes: Sequence[Crash]) -> str:
    if not crashes:
        return "<p>None.</p>"
    items = "".join(
        f"<li><b>{html.escape(crash.system)}</b> stopped serving after "
        f'<a href="#{html.escape(crash.scenario)}">{html.escape(crash.scenario)}</a>'
        f" ({html.escape(crash.seen)}); "
        + ("restarted" if crash.restarted else f"not restarted {html.escape(crash.restart_error)}")
        + (
            f"<details><summary>the input</summary><pre>{html.escape(crash.transcript)}</pre>"
            "</details>"
            if crash.transcript
            else ""
        )
        + "</li>"
        for crash in crashes
    )
    return f"<ul>{items}</ul>"


def _matrix_rows(results: Sequence[Result], systems: list[str]) -> str:
    """One row per scenario: its id, title, clause and expectation, then a cell per system."""
    by_key = {(result.scenario.id, result.system): result for result in results}
    rows = []
    for entry in _scenarios(results):
        statuses = " ".join(
            sorted({_css(r.verdict.status) for s in systems if (r := by_key.get((entry.id, s)))})
        )
        head = (
            f'<th id="{html.escape(entry.id)}">{html.escape(entry.id)}'
            f"<div>{html.escape(entry.title)}</div>"
            f'<div class="clause">{html.escape(entry.clause)}</div></th>'
            f'<td class="clause">{html.escape(entry.expected)}</td>'
        )
        cells = "".join(_cell(by_key.get((entry.id, system))) for system in systems)
        rows.append(
            f'<tr data-group="{html.escape(entry.group)}" data-statuses="{statuses}">'
            f"{head}{cells}</tr>"
        )
    return "".join(rows)


def _summary_rows(results: Sequence[Result], systems: list[str]) -> str:
    counts = summary(results)
    return "".join(
        f"<tr><th>{html.escape(system)}</th>"
        + "".join(f"<td>{counts[system][status.value]}</td>" for status in Status)
        + "</tr>"
        for system in systems
    )


def _findings_html(results: Sequence[Result]) -> str:
    sections = []
    for system, found in findings(results).items():
        items = "".join(
            f'<li><a href="#{html.escape(r.scenario.id)}">{html.escape(r.scenario.id)}</a>'
            f" ({html.escape(r.scenario.clause)}): expected {html.escape(r.scenario.expected)};"
            f" seen {html.escape(r.verdict.seen)}</li>"
            for r in found
        )
        sections.append(f"<h3>{html.escape(system)}</h3><ul>{items}</ul>")
    return "".join(sections) or "<p>None.</p>"


def as_html(
    results: Sequence[Result],
    title: str = "DICOM conformance report",
    *,
    crashes: Sequence[Crash] = (),
    grids: Iterable[StateGrid] | None = None,
) -> str:
    systems = _systems(results)
    chosen_grids = list(grids_from_results(results) if grids is None else grids)
    groups = list(dict.fromkeys(entry.group for entry in _scenarios(results)))
    generated = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style><script>{_FILTER_SCRIPT}</script></head><body>
<h1>{html.escape(title)}</h1>
<p>Generated {generated}. A finding is a reaction that deviates from the clause named.</p>
<h2>Summary</h2>
<table><tr><th>system</th>{"".join(f"<th>{s.value}</th>" for s in Status)}</tr>
{_summary_rows(results, systems)}</table>
<h2>Matrix</h2>
{_filters(groups)}
<table id="matrix"><tr><th>scenario</th><th>expected</th>
{"".join(f"<th>{html.escape(system)}</th>" for system in systems)}</tr>
{_matrix_rows(results, systems)}
</table>
<h2>Findings</h2>
{_findings_html(results)}
<h2>Crashes</h2>
{_crashes_html(crashes)}
<h2>State grids (PS3.8 Table 9-10)</h2>
<p>= matches, D deviates, - not drivable from outside, ? not probed; hover a cell for what
was expected and seen.</p>
{"".join(grid.to_html() for grid in chosen_grids) or "<p>No scenario probed a cell.</p>"}
</body></html>
"""


def write_report(
    results: Sequence[Result],
    directory: str | Path,
    systems: Iterable[SystemUnderTest] = (),
    *,
    crashes: Sequence[Crash] = (),
    round_trips: dict[str, float] | None = None,
    not_drivable: dict[Role, NotDrivable] | None = None,
    state_grid_md: str | Path | None = None,
) -> tuple[Path, Path]:
    """Write ``conformance.json``, ``conformance.html`` and ``conformance.junit.xml`` into
    ``directory`` (and the state grids as markdown to ``state_grid_md``); returns the
    paths of the first two."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / JSON_NAME, folder / HTML_NAME
    grids = grids_from_results(results, not_drivable)
    document = as_json(results, systems, crashes=crashes, round_trips=round_trips, grids=grids)
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    html_path.write_text(as_html(results, crashes=crashes, grids=grids))
    write_junit(results, junit_path(folder))
    if state_grid_md is not None:
        Path(state_grid_md).write_text(grids_markdown(grids))
    return json_path, html_path


def junit_path(directory: str | Path) -> Path:
    return Path(directory) / JUNIT_NAME


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
    "JUNIT_NAME",
    "SCHEMA",
    "as_html",
    "as_json",
    "findings",
    "findings_text",
    "junit_path",
    "summary",
    "summary_table",
    "write_report",
]
