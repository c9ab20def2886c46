"""PS3.8 Table 9-10 cell by cell, for a system playing the association-acceptor.

A remote requestor can hold an acceptor in three states long enough to act there: Sta2
(the transport connection is open, no A-ASSOCIATE-RQ yet), Sta6 (established) and Sta13
(after the acceptor's A-RELEASE-RP, waiting for the requestor to close). In each it can
cause ten events: each PDU type (Evt3, 4, 6, 10, 12, 13, 16), an invalid PDU (Evt19), a
transport close (Evt17) and, where ARTIM runs, its expiry by saying nothing (Evt18). With
the transport connect itself (Sta1, Evt5) that makes :data:`ACCEPTOR_DRIVABLE`, 30 cells
(Sta6 has no ARTIM cell). Each is probed by one scenario whose ``cell`` names it: those
this module registers, and the release, abort and ARTIM scenarios that already probed
theirs. Every other cell is in :data:`ACCEPTOR_NOT_DRIVABLE` with the reason.

How an action is seen from outside:

- AA-1, AA-7, AA-8 send an A-ABORT; a node that closes the connection at once instead
  is counted as matching too, as the malformed and unexpected-PDU scenarios do (the
  association ends either way), and the verdict says which was seen;
- AA-6 ignores the PDU: nothing answers it within :data:`QUIET` (a close is no answer);
- AA-2 and AA-3 close the connection, sending nothing;
- AA-4, AA-5 and AR-5 are local (the node goes idle): the node serves the next association;
- AE-5 accepts the connection and waits for the request; AE-6 answers the request (AC or
  RJ); DT-2 hands the P-DATA on (a C-ECHO-RQ is answered).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dicomactors.fsm import Event, State
from dicomactors.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    MaximumLengthItem,
    PDataTF,
)
from harness import behaviours as b
from harness.conformance.core import (
    Status,
    Verdict,
    echo_answered,
    first_command,
    play,
    request_for,
    requestor_script,
    scenario,
    verdict_of,
)
from harness.conformance.limit import WIND_DOWN, wait_until_accepting
from harness.conformance.settle import ANSWER_WITHIN, play_settled
from harness.outcome import Outcome
from harness.script import Close, Expect, ExpectClose, Script, SendBytes, SendPDU, Step, Wait
from harness.stategrid import NOT_DRIVABLE, Role, expected_action, short
from harness.systems import Capability, SystemUnderTest

GROUP = "state-grid"

QUIET = 2.0
"""How long a node must stay silent to count as ignoring a PDU (AA-6) or waiting (AE-5)."""

STAYS = 0.5
"""How long the node must keep the connection after its A-RELEASE-RP to be probed in Sta13:
one that closes at once leaves the state before any event of ours can reach it."""

UNRECOGNIZED_PDU = bytes.fromhex("55000000000400000000")
"""A PDU of type 0x55, which PS3.8 9.3 does not define: Evt19."""

ANY_PDU: tuple[type, ...] = (
    AAssociateRQ,
    AAssociateAC,
    AAssociateRJ,
    PDataTF,
    AReleaseRQ,
    AReleaseRP,
    AAbort,
)

S, E = State, Event

STA1, STA2, STA6, STA13 = (
    S.STA1_IDLE,
    S.STA2_TRANSPORT_OPEN_AWAITING_RQ,
    S.STA6_ESTABLISHED,
    S.STA13_AWAITING_TRANSPORT_CLOSE,
)

PEER_EVENTS = (
    E.EVT3_A_ASSOCIATE_AC_RECEIVED,
    E.EVT4_A_ASSOCIATE_RJ_RECEIVED,
    E.EVT6_A_ASSOCIATE_RQ_RECEIVED,
    E.EVT10_P_DATA_RECEIVED,
    E.EVT12_A_RELEASE_RQ_RECEIVED,
    E.EVT13_A_RELEASE_RP_RECEIVED,
    E.EVT16_A_ABORT_RECEIVED,
    E.EVT17_TRANSPORT_CLOSED,
    E.EVT19_INVALID_PDU_RECEIVED,
)
"""What a remote requestor can cause in any state with a connection (ARTIM apart)."""

ACCEPTOR_DRIVABLE: frozenset[tuple[State, Event]] = frozenset(
    {(STA1, E.EVT5_TRANSPORT_INDICATION)}
    | {(state, event) for state in (STA2, STA6, STA13) for event in PEER_EVENTS}
    | {(STA2, E.EVT18_ARTIM_EXPIRED), (STA13, E.EVT18_ARTIM_EXPIRED)}
)
"""The 30 cells a remote requestor can drive an acceptor into."""


def _reason(state: State, event: Event) -> str:
    """Why a remote requestor cannot cause ``event`` in ``state`` of an acceptor."""
    if event in _LOCAL:
        return "a local primitive of the node's own user: no remote peer causes it"
    if event is E.EVT2_TRANSPORT_CONNECTED:
        return "the confirmation of a connection the node itself opened: requestors only"
    if state in (S.STA4_AWAITING_TRANSPORT_OPEN, S.STA5_AWAITING_AC_OR_RJ):
        return f"{short(state)} is entered only by an association-requestor"
    if state in (
        S.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE,
        S.STA11_COLLISION_REQUESTOR_AWAITING_RP,
    ):
        return f"{short(state)} is the requestor's side of a release collision"
    if state in (
        S.STA7_AWAITING_RELEASE_RP,
        S.STA10_COLLISION_ACCEPTOR_AWAITING_RP,
        S.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE,
    ):
        return (
            f"{short(state)} follows an A-RELEASE-RQ the acceptor sends itself (a local"
            " primitive); no peer can make it release"
        )
    if state is S.STA3_AWAITING_LOCAL_RESPONSE:
        return (
            "the node leaves Sta3 by its own accept or reject, at no moment a peer can see:"
            " a PDU sent after the A-ASSOCIATE-RQ lands in Sta3 or after it, by timing"
        )
    if state is S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE:
        return (
            "the node leaves Sta8 by its own release response, at no moment a peer can see:"
            " a PDU sent after the A-RELEASE-RQ lands in Sta8 or Sta13, by timing"
        )
    if event is E.EVT5_TRANSPORT_INDICATION:
        return "a new connection starts a new association (a new state machine in Sta1)"
    if event is E.EVT18_ARTIM_EXPIRED:
        return f"ARTIM does not run in {short(state)}: there is no expiry to wait for"
    return "in Sta1 there is no transport connection to receive a PDU on or to close"


_LOCAL = frozenset(
    {
        E.EVT1_A_ASSOCIATE_RQ_LOCAL,
        E.EVT7_A_ASSOCIATE_ACCEPT_LOCAL,
        E.EVT8_A_ASSOCIATE_REJECT_LOCAL,
        E.EVT9_P_DATA_LOCAL,
        E.EVT11_A_RELEASE_RQ_LOCAL,
        E.EVT14_A_RELEASE_RESPONSE_LOCAL,
        E.EVT15_A_ABORT_LOCAL,
    }
)

ACCEPTOR_NOT_DRIVABLE: dict[tuple[State, Event], str] = {
    (state, event): _reason(state, event)
    for state in State
    for event in Event
    if (state, event) not in ACCEPTOR_DRIVABLE
}
NOT_DRIVABLE[Role.ACCEPTOR].update(ACCEPTOR_NOT_DRIVABLE)


# -- driving the node and watching its reaction ------------------------------------------------


def lead_in(sut: SystemUnderTest, state: State) -> tuple[Step, ...]:
    """The steps that put the node in ``state``: Sta2 (connected), Sta6 or Sta13."""
    if state is STA2:
        return ()
    associate: tuple[Step, ...] = (
        SendPDU(request_for(sut)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
    )
    if state is STA6:
        return associate
    return (
        *associate,
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN),
        Wait(STAYS),
    )


def drive(script: Script, sut: SystemUnderTest, state: State) -> Outcome | None:
    """Play ``script``, whose lead-in drives the node into ``state``; None if it did not
    get there (a transient rejection is waited out: :func:`.settle.play_settled`)."""
    outcome = play_settled(script, sut)
    return outcome if reached(outcome, state) else None


def reached(outcome: Outcome, state: State) -> bool:
    if state is STA6:
        return any(isinstance(pdu, AAssociateAC) for pdu in outcome.received)
    if state is STA13:
        return any(isinstance(pdu, AReleaseRP) for pdu in outcome.received)
    return True


@dataclass(frozen=True)
class Reaction:
    """What the node did after our event: the PDUs it sent, and whether it closed, within
    :data:`~harness.conformance.settle.ANSWER_WITHIN` (what comes later is its idle
    timeout ending a silence, no answer to the event)."""

    pdus: tuple[PDU, ...]
    ended: bool
    silent: bool
    late: str = ""

    def describe(self) -> str:
        sent = ", ".join(type(pdu).__name__ for pdu in self.pdus) or "no PDU"
        end = "then closed" if self.ended else "no close before ours"
        return f"after our event: {sent}, {end}" + (f" ({self.late})" if self.late else "")


def reaction(outcome: Outcome) -> Reaction:
    """The node's reaction to the last thing we sent (or tried to send)."""
    entries = outcome.transcript
    start, sent_at = 0, 0.0
    for index, entry in enumerate(entries):
        ours = entry.party == "us" and entry.event.startswith(("sent", "tried"))
        if ours or (entry.party == "harness" and entry.event.startswith("not sent")):
            start, sent_at = index + 1, entry.at
    after = [e for e in entries[start:] if e.party == "peer"]
    late = [e for e in after if e.at - sent_at >= ANSWER_WITHIN]
    after = [e for e in after if e.at - sent_at < ANSWER_WITHIN]
    pdus = tuple(e.pdu for e in after if e.pdu is not None)
    ended = any(e.event == "closed" or e.event.startswith("reset") for e in after)
    why = f"what came {late[0].at - sent_at:.1f} s later is no answer" if late else ""
    return Reaction(pdus, ended, not pdus and not ended, why)


def ended_before_event(outcome: Outcome) -> bool:
    """Whether the node closed (or reset) the connection before our last send went out."""
    entries = outcome.transcript
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if entry.party == "harness" and entry.event.startswith("not sent"):
            return True
        if entry.party == "us" and entry.event.startswith(("sent", "tried")):
            return entry.event.startswith("tried") or any(
                e.party == "peer" and (e.event == "closed" or e.event.startswith("reset"))
                for e in entries[:index]
            )
    return False


def event_steps(sut: SystemUnderTest, event: Event) -> tuple[Step, ...]:
    if event is E.EVT19_INVALID_PDU_RECEIVED:
        return (SendBytes(UNRECOGNIZED_PDU),)
    pdus: dict[Event, PDU] = {
        E.EVT3_A_ASSOCIATE_AC_RECEIVED: AAssociateAC(
            sut.ae_title, b.HARNESS_AE, (), (MaximumLengthItem(16384),)
        ),
        E.EVT4_A_ASSOCIATE_RJ_RECEIVED: AAssociateRJ(1, 1, 1),
        E.EVT6_A_ASSOCIATE_RQ_RECEIVED: request_for(sut),
        E.EVT10_P_DATA_RECEIVED: b.echo_request(),
        E.EVT12_A_RELEASE_RQ_RECEIVED: AReleaseRQ(),
        E.EVT13_A_RELEASE_RP_RECEIVED: AReleaseRP(),
        E.EVT16_A_ABORT_RECEIVED: AAbort(),
    }
    return (SendPDU(pdus[event]),)


def _judge_abort(outcome: Outcome, seen: Reaction) -> Verdict:
    others = [p for p in seen.pdus if not isinstance(p, AAbort)]
    aborted = len(others) < len(seen.pdus)
    ok = not others and (aborted or seen.ended)
    how = "A-ABORT" if aborted else "closed without an A-ABORT" if seen.ended else "silence"
    return verdict_of(outcome, ok, f"{seen.describe()} ({how})")


def _judge_ignore(outcome: Outcome, seen: Reaction) -> Verdict:
    return verdict_of(outcome, not seen.pdus, seen.describe())


def _judge_close(outcome: Outcome, seen: Reaction) -> Verdict:
    return verdict_of(outcome, not seen.pdus and seen.ended, seen.describe())


_JUDGES: dict[str, Callable[[Outcome, Reaction], Verdict]] = {
    "AA-1": _judge_abort,
    "AA-7": _judge_abort,
    "AA-8": _judge_abort,
    "AA-6": _judge_ignore,
    "AA-2": _judge_close,
    "AA-3": _judge_close,
}


def _watch(action: str) -> Step:
    if action in ("AA-2", "AA-3"):
        return ExpectClose(b.REPLY_WITHIN)
    if action == "AA-6":
        return Expect(ANY_PDU, QUIET, or_close=True)
    return Expect(ANY_PDU, b.REPLY_WITHIN, or_close=True)


def probe_pdu_event(sut: SystemUnderTest, state: State, event: Event) -> Verdict:
    """Drive the node into ``state``, cause ``event``, judge the reaction by Table 9-10."""
    action = expected_action(state, event)
    name = f"grid-{short(state)}-{short(event)}".lower()
    steps = (*lead_in(sut, state), *event_steps(sut, event), _watch(action), Close())
    outcome = drive(requestor_script(name, steps), sut, state)
    if outcome is None:
        return Verdict(Status.NOT_RUN, f"could not drive the node into {short(state)}", 0.0)
    if ended_before_event(outcome):
        # The node left the state on its own (pynetdicom closes at once after its
        # A-RELEASE-RP): no event of ours reached it there, so the cell says nothing.
        seen = f"the node closed the connection in {short(state)} before the event: not probed"
        return Verdict(Status.NOT_APPLICABLE, seen, outcome.elapsed, outcome.describe())
    return _JUDGES[action](outcome, reaction(outcome))


def probe_transport_close(sut: SystemUnderTest, state: State) -> Verdict:
    """Close the connection in ``state`` (AA-5, AA-4, AR-5: the node goes idle, sends
    nothing); what shows it is that the node then serves the next association. A node may
    count the closed association for a while (a worker winding down): it gets
    :data:`~harness.conformance.limit.WIND_DOWN` seconds to accept one again."""
    name = f"grid-{short(state)}-evt17".lower()
    first = drive(requestor_script(name, (*lead_in(sut, state), Close())), sut, state)
    if first is None:
        return Verdict(Status.NOT_RUN, f"could not drive the node into {short(state)}", 0.0)
    start = time.monotonic()
    ok = wait_until_accepting(sut, WIND_DOWN)
    seen = "then served a new association" if ok else "no new association was served"
    detail = first.describe()
    return Verdict(Status.PASSED if ok else Status.DEVIATES, seen, time.monotonic() - start, detail)


def _register(state: State, event: Event) -> None:
    action = expected_action(state, event)
    what = {
        "AA-1": "A-ABORT (or close)",
        "AA-7": "A-ABORT (or close)",
        "AA-8": "A-ABORT (or close)",
        "AA-6": f"nothing: the PDU is ignored (no answer within {QUIET:g} s)",
        "AA-2": "close, sending nothing",
        "AA-3": "close, sending nothing",
        "AA-4": "nothing sent; the node serves the next association",
        "AA-5": "nothing sent; the node serves the next association",
        "AR-5": "nothing sent; the node serves the next association",
    }[action]

    def run(sut: SystemUnderTest) -> Verdict:
        if event is E.EVT17_TRANSPORT_CLOSED:
            return probe_transport_close(sut, state)
        return probe_pdu_event(sut, state, event)

    label = event.name.split("_", 1)[1].replace("_", " ").lower()
    scenario(
        f"grid-{short(state)}-{short(event)}".lower(),
        f"{short(state)}: {label}",
        f"PS3.8 9.2, Table 9-10 ({short(state)}, {short(event)}, {action})",
        what,
        group=GROUP,
        cell=(state, event),
    )(run)


# Cells that other groups' scenarios probe already (their ``cell`` says so).
PROBED_ELSEWHERE: frozenset[tuple[State, Event]] = frozenset(
    {
        (STA2, E.EVT3_A_ASSOCIATE_AC_RECEIVED),  # associate-ac-unexpected
        (STA2, E.EVT10_P_DATA_RECEIVED),  # p-data-unassociated
        (STA2, E.EVT12_A_RELEASE_RQ_RECEIVED),  # release-rq-unassociated
        (STA2, E.EVT16_A_ABORT_RECEIVED),  # abort-before-request
        (STA2, E.EVT18_ARTIM_EXPIRED),  # artim-silent-after-connect
        (STA6, E.EVT6_A_ASSOCIATE_RQ_RECEIVED),  # associate-rq-twice
        (STA6, E.EVT12_A_RELEASE_RQ_RECEIVED),  # release-normal
        (STA6, E.EVT16_A_ABORT_RECEIVED),  # abort-established
        (STA13, E.EVT18_ARTIM_EXPIRED),  # release-without-close
    }
)

_SPECIAL = {
    (STA1, E.EVT5_TRANSPORT_INDICATION),
    (STA2, E.EVT6_A_ASSOCIATE_RQ_RECEIVED),
    (STA6, E.EVT10_P_DATA_RECEIVED),
}

for _state, _event in sorted(
    ACCEPTOR_DRIVABLE - PROBED_ELSEWHERE - _SPECIAL, key=lambda c: (c[0].value, c[1].value)
):
    _register(_state, _event)


@scenario(
    "grid-sta1-evt5",
    "Sta1: a transport connection is accepted and the node waits for the request",
    "PS3.8 9.2, Table 9-10 (Sta1, Evt5, AE-5)",
    f"the connection is accepted; nothing sent, no close, for {QUIET / 2:g} s",
    group=GROUP,
    cell=(STA1, E.EVT5_TRANSPORT_INDICATION),
)
def _sta1_connect(sut: SystemUnderTest) -> Verdict:
    steps = (Expect(ANY_PDU, QUIET / 2, or_close=True), Close())
    outcome = play(requestor_script("grid-sta1-evt5", steps), sut)
    seen = reaction(outcome)
    return verdict_of(outcome, seen.silent, seen.describe())


@scenario(
    "grid-sta2-evt6",
    "Sta2: the A-ASSOCIATE-RQ is answered",
    "PS3.8 9.2, Table 9-10 (Sta2, Evt6, AE-6)",
    "A-ASSOCIATE-AC or A-ASSOCIATE-RJ",
    group=GROUP,
    cell=(STA2, E.EVT6_A_ASSOCIATE_RQ_RECEIVED),
)
def _sta2_request(sut: SystemUnderTest) -> Verdict:
    steps = (
        SendPDU(request_for(sut)),
        Expect((AAssociateAC, AAssociateRJ), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, or_close=True),
        Close(),
    )
    outcome = play_settled(requestor_script("grid-sta2-evt6", steps), sut)
    ok = any(isinstance(pdu, AAssociateAC | AAssociateRJ) for pdu in outcome.received)
    return verdict_of(outcome, ok, "" if ok else "no A-ASSOCIATE-AC or -RJ")


@scenario(
    "grid-sta6-evt10",
    "Sta6: a P-DATA-TF is handed to the DIMSE user (a C-ECHO-RQ is answered)",
    "PS3.8 9.2, Table 9-10 (Sta6, Evt10, DT-2); PS3.7 9.1.5",
    "a C-ECHO-RSP for the message, status 0x0000",
    group=GROUP,
    requires=(Capability.ECHO,),
    cell=(STA6, E.EVT10_P_DATA_RECEIVED),
)
def _sta6_data(sut: SystemUnderTest) -> Verdict:
    steps = (
        *lead_in(sut, STA6),
        SendPDU(b.echo_request(3)),
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = play_settled(requestor_script("grid-sta6-evt10", steps), sut)
    problem = echo_answered(first_command(outcome), 3)
    return verdict_of(outcome, not problem, problem)
