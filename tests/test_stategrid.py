"""The state grid model: every cell of Table 9-10, rendered for the report and the docs."""

from __future__ import annotations

from dicomactors.fsm import Event, State
from harness.stategrid import Cell, Mark, Role, StateGrid, expected_action


def test_an_empty_grid_has_every_cell_not_probed() -> None:
    grid = StateGrid("node", Role.ACCEPTOR)
    assert grid.counts()[Mark.NOT_PROBED] == 13 * 19
    assert len(grid.to_json()["cells"]) == 13 * 19


def test_recorded_cells_are_counted_and_rendered() -> None:
    grid = StateGrid("node", Role.REQUESTOR)
    grid.record(Cell(State.STA6_ESTABLISHED, Event.EVT16_A_ABORT_RECEIVED, Mark.MATCHES, "closed"))
    grid.record(Cell(State.STA5_AWAITING_AC_OR_RJ, Event.EVT10_P_DATA_RECEIVED, Mark.DEVIATES))
    grid.not_drivable([State.STA1_IDLE], [Event.EVT18_ARTIM_EXPIRED], "a timer of the node's own")
    counts = grid.counts()
    assert counts[Mark.MATCHES] == 1 and counts[Mark.DEVIATES] == 1
    assert counts[Mark.NOT_DRIVABLE] == 1
    assert expected_action(State.STA6_ESTABLISHED, Event.EVT16_A_ABORT_RECEIVED) == "AA-3"
    markdown = grid.to_markdown().splitlines()
    sta6 = next(line for line in markdown if line.startswith("| Sta6 |"))
    assert sta6.split(" | ")[16] == "="
    assert 'class="grid-deviates"' in grid.to_html()
