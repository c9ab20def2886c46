"""The PS3.8 state table seen from outside: one grid per system and role.

A :class:`StateGrid` has a :class:`Cell` for each of the 13 states by 19 events of PS3.8
Table 9-10 (:mod:`dicomactors.fsm`). A probe drives the system into a state, causes an
event there and records what it saw as a cell: :attr:`Mark.MATCHES` when the reaction is
the action Table 9-10 names, :attr:`Mark.DEVIATES` when it is another, and
:attr:`Mark.NOT_DRIVABLE` with the reason when no remote peer can cause that event in that
state (a local primitive, a timer, a state the role never enters). Cells nobody has looked
at yet are :attr:`Mark.NOT_PROBED`.

The grid is data: the probes (which build it) live with the scenarios of each role, and
the report renders it (:meth:`StateGrid.to_json`, :meth:`StateGrid.to_html`,
:meth:`StateGrid.to_markdown`).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dicomactors.fsm import STANDARD_TABLE, Event, State


class Role(StrEnum):
    """The role the system under test plays on the association."""

    ACCEPTOR = "acceptor"
    REQUESTOR = "requestor"


NotDrivable = dict[tuple[State, Event], str]
"""Cells of one role no remote peer can drive, each with the reason."""


class Mark(StrEnum):
    MATCHES = "matches"
    DEVIATES = "deviates"
    NOT_DRIVABLE = "not drivable"
    NOT_PROBED = "not probed"


_LETTER = {Mark.MATCHES: "=", Mark.DEVIATES: "D", Mark.NOT_DRIVABLE: "-", Mark.NOT_PROBED: "?"}


NOT_DRIVABLE: dict[Role, NotDrivable] = {Role.ACCEPTOR: {}, Role.REQUESTOR: {}}
"""Per role, the cells no remote peer can drive, with the reason (filled by each role's probes)."""


def expected_action(state: State, event: Event) -> str:
    """What Table 9-10 asks for in this cell ("" where the standard leaves it empty)."""
    action = STANDARD_TABLE.get((state, event))
    return action.value if action is not None else ""


def short(state: State | Event) -> str:
    """``Sta6`` / ``Evt10``: the standard's own short names."""
    prefix = "Sta" if isinstance(state, State) else "Evt"
    return f"{prefix}{state.value}"


@dataclass(frozen=True)
class Cell:
    """What was seen when ``event`` happened in ``state``."""

    state: State
    event: Event
    mark: Mark
    seen: str = ""
    why: str = ""
    transcript: str = ""

    @property
    def expected(self) -> str:
        return expected_action(self.state, self.event)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": short(self.state),
            "event": short(self.event),
            "mark": self.mark.value,
            "expected": self.expected,
            "seen": self.seen,
            "why": self.why,
            "transcript": self.transcript,
        }


@dataclass
class StateGrid:
    """The 13 x 19 cells of one system in one role."""

    system: str
    role: Role
    cells: dict[tuple[State, Event], Cell] = field(default_factory=dict)

    def record(self, cell: Cell) -> None:
        self.cells[(cell.state, cell.event)] = cell

    def not_drivable(self, states: Iterable[State], events: Iterable[Event], why: str) -> None:
        """Mark every (state, event) pair of the two lists out of reach, with the reason."""
        events = tuple(events)
        for state in states:
            for event in events:
                self.record(Cell(state, event, Mark.NOT_DRIVABLE, why=why))

    def cell(self, state: State, event: Event) -> Cell:
        return self.cells.get((state, event)) or Cell(state, event, Mark.NOT_PROBED)

    def counts(self) -> dict[Mark, int]:
        seen = Counter(self.cell(s, e).mark for s in State for e in Event)
        return {mark: seen.get(mark, 0) for mark in Mark}

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "role": self.role.value,
            "counts": {mark.value: count for mark, count in self.counts().items()},
            "cells": [self.cell(s, e).to_json() for s in State for e in Event],
        }

    def to_markdown(self) -> str:
        """A table of states by events, each cell ``=``, ``D``, ``-`` or ``?``."""
        head = "| | " + " | ".join(short(e) for e in Event) + " |"
        rule = "|---" * (len(Event) + 1) + "|"
        rows = [
            f"| {short(s)} | " + " | ".join(_LETTER[self.cell(s, e).mark] for e in Event) + " |"
            for s in State
        ]
        legend = ", ".join(f"`{letter}` {mark.value}" for mark, letter in _LETTER.items())
        title = f"**{self.system}** as {self.role.value}: {legend}"
        return "\n".join([title, "", head, rule, *rows])

    def to_html(self) -> str:
        """A table of states by events; each cell's title holds what was expected and seen."""
        head = "".join(f"<th>{short(e)}</th>" for e in Event)
        rows = []
        for state in State:
            cells = []
            for event in Event:
                cell = self.cell(state, event)
                tip = f"expected {cell.expected or 'nothing (empty cell)'}; {cell.seen} {cell.why}"
                cls = cell.mark.value.replace(" ", "-")
                cells.append(
                    f'<td class="grid-{cls}" title="{html.escape(tip.strip())}">'
                    f"{_LETTER[cell.mark]}</td>"
                )
            rows.append(f"<tr><th>{short(state)}</th>{''.join(cells)}</tr>")
        caption = html.escape(f"{self.system} as {self.role.value}")
        return (
            f'<table class="state-grid"><caption>{caption}</caption>'
            f"<tr><th></th>{head}</tr>{''.join(rows)}</table>"
        )


__all__ = [
    "NOT_DRIVABLE",
    "Cell",
    "Mark",
    "NotDrivable",
    "Role",
    "StateGrid",
    "expected_action",
    "short",
]
