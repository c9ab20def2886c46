"""State grids from scenario results: one :class:`~harness.stategrid.StateGrid` per system
and role, each cell filled by the scenario whose ``cell`` it is (PS3.8 Table 9-10).

A PASSED verdict marks the cell as matching, DEVIATES as deviating; cells no scenario can
drive come from the ``not_drivable`` mapping (by default the registry
:data:`harness.stategrid.NOT_DRIVABLE` the probe modules fill); a probe that was not run or
not applicable leaves its cell "not probed", with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.conformance import Result, Status
from harness.stategrid import NOT_DRIVABLE, Cell, Mark, NotDrivable, Role, StateGrid

_MARKS = {Status.PASSED: Mark.MATCHES, Status.DEVIATES: Mark.DEVIATES}


def grids_from_results(
    results: Iterable[Result], not_drivable: Mapping[Role, NotDrivable] | None = None
) -> list[StateGrid]:
    """One grid per (system, role) that has at least one result of a cell-probing scenario."""
    reach = NOT_DRIVABLE if not_drivable is None else not_drivable
    grids: dict[tuple[str, Role], StateGrid] = {}
    for result in results:
        if result.scenario.cell is None:
            continue
        key = (result.system, result.scenario.role)
        grid = grids.get(key)
        if grid is None:
            grid = grids[key] = _blank(result.system, result.scenario.role, reach)
        state, event = result.scenario.cell
        verdict = result.verdict
        mark = _MARKS.get(verdict.status, Mark.NOT_PROBED)
        why = "" if mark is not Mark.NOT_PROBED else f"{verdict.status.value}: {verdict.seen}"
        seen = verdict.seen if mark is not Mark.NOT_PROBED else ""
        grid.record(Cell(state, event, mark, seen=seen, why=why, transcript=verdict.detail))
    return list(grids.values())


def _blank(system: str, role: Role, reach: Mapping[Role, NotDrivable]) -> StateGrid:
    grid = StateGrid(system, role)
    for (state, event), why in reach.get(role, {}).items():
        grid.record(Cell(state, event, Mark.NOT_DRIVABLE, why=why))
    return grid


def grids_markdown(grids: Iterable[StateGrid]) -> str:
    """Every grid as a markdown table, with its counts, for docs/conformance.md."""
    parts = []
    for grid in grids:
        counts = ", ".join(f"{count} {mark.value}" for mark, count in grid.counts().items())
        parts.append(f"{grid.to_markdown()}\n\n{counts}.")
    return "\n\n".join(parts) + "\n"


__all__ = ["grids_from_results", "grids_markdown"]
