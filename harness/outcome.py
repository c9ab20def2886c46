"""What came of one scripted run, classified, with its timing and transcript.

The classification reads the run's events in order and keeps the state the
association reached, as the remote side left it:

- an A-ASSOCIATE-AC exchanged makes it ACCEPTED, an A-ASSOCIATE-RJ REJECTED;
- an A-RELEASE-RP exchanged makes it RELEASED;
- an A-ABORT received makes it ABORTED, and nothing after that changes it;
- a PDU the script said to ignore (one that crossed our last action on the
  wire) counts for nothing;
- the peer closing or resetting the connection makes it CLOSED or RESET,
  unless the association had already ended (rejected, released, aborted);
- an expectation whose time ran out makes it TIMED_OUT, and bytes that do not
  decode make it UNDECODABLE, whatever came before: the peer did not react
  as the script asked, or reacted with bytes that are no PDU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from dicomactors.pdu.pdus import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AReleaseRP,
)


class OutcomeKind(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ABORTED = "aborted"
    CLOSED = "closed"
    RESET = "reset"
    TIMED_OUT = "timed out"
    RELEASED = "released"
    UNDECODABLE = "undecodable"


Party = Literal["us", "peer", "harness"]


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One thing that happened, ``at`` seconds after the run started.

    ``party`` is who did it: ``"us"`` (the scripted peer sent or closed),
    ``"peer"`` (the system under test sent, closed or reset), or
    ``"harness"`` (a time ran out, a step began).
    """

    at: float
    party: Party
    event: str
    pdu: PDU | None = None

    def describe(self) -> str:
        return f"{self.at:8.3f} s  {self.party:<7} {self.event}"


IGNORED = " (ignored)"
"""Marks a PDU an Expect skipped: it crossed our last action and is no reaction to it."""

_SETTLED = frozenset({OutcomeKind.REJECTED, OutcomeKind.RELEASED, OutcomeKind.ABORTED})


@dataclass(frozen=True, slots=True)
class Outcome:
    """The classified result of a run.

    ``detail`` is the A-ASSOCIATE-RJ (result, source, reason) or the A-ABORT
    (source, reason) behind a REJECTED or ABORTED outcome. ``elapsed`` is the
    time from the start of the run (connection made) to the event that
    decided the outcome; ``reaction_time`` is the time from the last thing we
    sent before that event to the event, the figure to compare with a
    timer such as ARTIM. ``unmet`` says which expectation was not met, if the
    script did not play to its end.
    """

    kind: OutcomeKind
    detail: AAssociateRJ | AAbort | None
    elapsed: float
    reaction_time: float
    received: tuple[PDU, ...]
    transcript: tuple[TranscriptEntry, ...]
    completed: bool
    unmet: str | None = None

    @property
    def reject(self) -> tuple[int, int, int] | None:
        """(result, source, reason) of an A-ASSOCIATE-RJ, if that is what happened."""
        if isinstance(self.detail, AAssociateRJ):
            return (self.detail.result, self.detail.source, self.detail.reason)
        return None

    @property
    def abort(self) -> tuple[int, int] | None:
        """(source, reason) of the A-ABORT received, if that is what happened."""
        if isinstance(self.detail, AAbort):
            return (self.detail.source, self.detail.reason)
        return None

    def headline(self) -> str:
        text = self.kind.value
        if self.reject is not None:
            result, source, reason = self.reject
            text += f" (result {result}, source {source}, reason {reason})"
        elif self.abort is not None:
            source, reason = self.abort
            text += f" (source {source}, reason {reason})"
        text += f" after {self.elapsed:.3f} s"
        if self.reaction_time != self.elapsed:
            text += f" ({self.reaction_time:.3f} s after our last send)"
        return text

    def describe(self) -> str:
        lines = [self.headline()]
        if self.unmet is not None:
            lines.append(f"unmet: {self.unmet}")
        lines.extend(entry.describe() for entry in self.transcript)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Decision:
    kind: OutcomeKind
    detail: AAssociateRJ | AAbort | None
    at: float


def classify(
    transcript: tuple[TranscriptEntry, ...],
    started: float = 0.0,
    completed: bool = True,
    unmet: str | None = None,
) -> Outcome:
    """Classify a run from its transcript (see the module docstring for the rules)."""
    decision: _Decision | None = None
    last_sent = started
    last_sent_before_decision = started
    received: list[PDU] = []
    for entry in transcript:
        found = _decide(entry, decision)
        if entry.party == "us":
            last_sent = entry.at
        if entry.party == "peer" and entry.pdu is not None:
            received.append(entry.pdu)
        if found is not None:
            decision = found
            last_sent_before_decision = last_sent
    if decision is None:
        end = transcript[-1].at if transcript else started
        decision = _Decision(OutcomeKind.CLOSED, None, end)
    return Outcome(
        kind=decision.kind,
        detail=decision.detail,
        elapsed=decision.at - started,
        reaction_time=decision.at - last_sent_before_decision,
        received=tuple(received),
        transcript=transcript,
        completed=completed,
        unmet=unmet,
    )


def _decide(entry: TranscriptEntry, current: _Decision | None) -> _Decision | None:
    kind = current.kind if current is not None else None
    if kind in (OutcomeKind.TIMED_OUT, OutcomeKind.UNDECODABLE):
        return None
    if entry.event == "timed out":
        return _Decision(OutcomeKind.TIMED_OUT, None, entry.at)
    if entry.event.startswith("undecodable"):
        return _Decision(OutcomeKind.UNDECODABLE, None, entry.at)
    if kind is OutcomeKind.ABORTED or entry.event.endswith(IGNORED):
        return None
    pdu = entry.pdu
    if entry.party == "peer" and isinstance(pdu, AAbort):
        return _Decision(OutcomeKind.ABORTED, pdu, entry.at)
    if isinstance(pdu, AAssociateRJ):
        return _Decision(OutcomeKind.REJECTED, pdu, entry.at)
    if isinstance(pdu, AAssociateAC):
        return _Decision(OutcomeKind.ACCEPTED, None, entry.at)
    if isinstance(pdu, AReleaseRP):
        return _Decision(OutcomeKind.RELEASED, None, entry.at)
    if entry.party == "peer" and kind not in _SETTLED:
        if entry.event == "closed":
            return _Decision(OutcomeKind.CLOSED, None, entry.at)
        if entry.event.startswith("reset"):
            return _Decision(OutcomeKind.RESET, None, entry.at)
    return None
