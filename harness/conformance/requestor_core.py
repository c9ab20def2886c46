"""What the scenarios of a system playing the requestor share (see :mod:`harness.requestor`).

A requestor scenario plays an acceptor script while the system runs an operation
against it (:func:`harness.requestor.acceptor.play_acceptor`), then judges what the
system sent after the acceptor's last move: :class:`Reaction` reads it from the
transcript. The capability ``gives-up=SECONDS`` is the system's own ACSE and DIMSE
timeout: the scenarios that leave it without an answer need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dicomactors.fsm import Event, State
from dicomactors.pdu.pdus import AAbort, AReleaseRQ
from harness.conformance.core import (
    Status,
    Verdict,
    capability_value,
    scenario,
)
from harness.outcome import TranscriptEntry
from harness.requestor.acceptor import Exchange, play_acceptor
from harness.requestor.systems import GIVES_UP, RequestorSystem
from harness.script import Script
from harness.stategrid import Role
from harness.systems import SystemUnderTest

MARGIN = 5.0
"""Added to a system's declared timeout before the harness stops waiting for it."""
REPLY_WITHIN = 10.0
"""How long the acceptor waits for a system's next PDU when nothing delays it on purpose."""


def requestor_scenario(
    id: str,
    title: str,
    clause: str,
    expected: str,
    *,
    group: str,
    action: str = "echo",
    requires: Iterable[str] = (),
    cell: tuple[State, Event] | None = None,
) -> Callable[[Callable[[RequestorSystem], Verdict]], Callable[[SystemUnderTest], Verdict]]:
    """Register a scenario of the requestor role; the system must support ``action``."""

    def register(run: Callable[[RequestorSystem], Verdict]) -> Callable[[SystemUnderTest], Verdict]:
        def check(sut: SystemUnderTest) -> Verdict:
            if not isinstance(sut, RequestorSystem):
                return Verdict(Status.NOT_APPLICABLE, "the system is not run as a requestor")
            return run(sut)

        decorate = scenario(
            id,
            title,
            clause,
            expected,
            group=group,
            requires=(action, *requires),
            role=Role.REQUESTOR,
            cell=cell,
        )
        return decorate(check)

    return register


def give_up_time(system: RequestorSystem) -> float:
    """The system's declared timeout (``gives-up``)."""
    value = capability_value(system, GIVES_UP)
    assert value is not None, "the scenario requires gives-up"
    return float(value)


def exchange(system: RequestorSystem, script: Script, action: str = "echo") -> Exchange:
    return play_acceptor(script, system, action)


@dataclass(frozen=True)
class Reaction:
    """What the system did after the acceptor's ``moves``-th move (send or close)."""

    reached: bool
    entries: tuple[TranscriptEntry, ...]

    @classmethod
    def after(cls, ex: Exchange, moves: int, *, until_next_move: bool = False) -> Reaction:
        """The system's doings after our ``moves``-th move (0: from the start); with
        ``until_next_move``, only those before our next one."""
        transcript = ex.outcome.transcript
        ours = [index for index, entry in enumerate(transcript) if entry.party == "us"]
        if moves > len(ours):
            return cls(False, ())
        rest = transcript[ours[moves - 1] + 1 :] if moves else transcript
        if until_next_move:
            end = next((i for i, e in enumerate(rest) if e.party == "us"), len(rest))
            rest = rest[:end]
        return cls(True, tuple(entry for entry in rest if entry.party == "peer"))

    def past_release_request(self) -> Reaction:
        """What came after the system's A-RELEASE-RQ (the one that brought it to Sta7)."""
        for index, entry in enumerate(self.entries):
            if isinstance(entry.pdu, AReleaseRQ):
                return Reaction(self.reached, self.entries[index + 1 :])
        return self

    @property
    def pdus(self) -> list[str]:
        return [type(e.pdu).__name__ for e in self.entries if e.pdu is not None]

    @property
    def first(self) -> str:
        """The first thing the system did: a PDU's name, "closed", "reset", or "nothing"."""
        for entry in self.entries:
            if entry.pdu is not None:
                return type(entry.pdu).__name__
            if entry.event == "closed":
                return "closed"
            if entry.event.startswith("reset"):
                return "reset"
            if entry.event.startswith("undecodable"):
                return "undecodable bytes"
        return "nothing"

    @property
    def ended_connection(self) -> bool:
        return any(e.event == "closed" or e.event.startswith("reset") for e in self.entries)

    def describe(self) -> str:
        seen = [e.event for e in self.entries]
        return "the system then: " + (", ".join(seen) if seen else "nothing")


def judged(ex: Exchange, ok: bool, why: str = "") -> Verdict:
    seen = f"{why}; " if why else ""
    seen += f"ended with {ex.ending.value}; its run: {ex.result.describe().splitlines()[0]}"
    return Verdict(
        Status.PASSED if ok else Status.DEVIATES, seen, ex.outcome.elapsed, ex.describe()
    )


def not_reached(ex: Exchange, state: str) -> Verdict:
    why = ex.outcome.unmet or "the connection ended first"
    return Verdict(
        Status.NOT_APPLICABLE,
        f"the system never reached {state} ({why}): the cell could not be probed",
        ex.outcome.elapsed,
        ex.describe(),
    )


def aborted(ex: Exchange, reaction: Reaction) -> Verdict:
    """PASSED when the system's first reaction is an A-ABORT (AA-8, AA-7)."""
    if reaction.first == "AAbort":
        return judged(ex, True, "A-ABORT sent")
    return judged(ex, False, f"expected an A-ABORT, the system's first reaction: {reaction.first}")


def closed_quietly(ex: Exchange, reaction: Reaction) -> Verdict:
    """PASSED when the system closes without sending a PDU (AE-4, AA-3, AR-3, AA-2)."""
    if reaction.pdus:
        return judged(ex, False, f"expected a close and no PDU, got {', '.join(reaction.pdus)}")
    if not reaction.ended_connection:
        return judged(ex, False, "expected the system to close the connection; it did not")
    return judged(ex, True, "closed without a PDU")


def ended_by_itself(ex: Exchange, reaction: Reaction) -> Verdict:
    """After we closed (AA-4, AR-5): the system's run ends by itself, having sent nothing."""
    if not ex.result.ended:
        return judged(ex, False, "the system was still running long after the connection closed")
    return judged(ex, True, "its run ended after the connection closed")


def gave_up(ex: Exchange, reaction: Reaction, system: RequestorSystem) -> Verdict:
    """Left without an answer: the system ends the association (A-ABORT, or closing)."""
    limit = give_up_time(system) + MARGIN
    for entry in reaction.entries:
        if isinstance(entry.pdu, AAbort | AReleaseRQ):
            return judged(ex, True, f"the system gave up: {entry.event}")
        if entry.event == "closed" or entry.event.startswith("reset"):
            return judged(ex, True, f"the system gave up: {entry.event}")
    return judged(ex, False, f"the system had not given up {limit:g} s later")
