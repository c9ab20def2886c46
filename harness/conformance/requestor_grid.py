"""PS3.8 Table 9-10 cell by cell, for a system playing the association-requestor.

The acceptor drives the system into each state a remote acceptor can hold it in, then
causes one event there and compares the system's reaction with the cell's action:

- Sta5 (awaiting A-ASSOCIATE-AC or -RJ): the system's A-ASSOCIATE-RQ is left unanswered;
- Sta6 (established): the system's request (a C-ECHO-RQ) is left unanswered;
- Sta7 (awaiting A-RELEASE-RP): the system's A-RELEASE-RQ is left unanswered;
- Sta11 (release collision, requestor awaiting A-RELEASE-RP): we answer the system's
  A-RELEASE-RQ with our own, the system answers it (AR-8, AR-9) and waits for ours;
- Sta13 (awaiting transport close): we request release, the system answers (AR-2, AR-4)
  and waits for us to close.

The events are each PDU a peer can send (Evt3, 4, 6, 10, 12, 13, 16), an invalid PDU
(Evt19) and the transport closing (Evt17): 5 states x 9 events = 45 cells, one scenario
each. :data:`NOT_DRIVABLE_REQUESTOR` says why every other cell is out of reach.
"""

from __future__ import annotations

from collections.abc import Callable

from dicomactors.fsm import STANDARD_TABLE, Action, Event, State
from dicomactors.pdu.items import MaximumLengthItem, PresentationContextACItem
from dicomactors.pdu.pdus import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
)
from harness import behaviours as b
from harness.conformance.requestor_core import (
    REPLY_WITHIN,
    Reaction,
    Verdict,
    aborted,
    closed_quietly,
    ended_by_itself,
    exchange,
    judged,
    not_reached,
    requestor_scenario,
)
from harness.requestor.acceptor import accept, acceptor_script, respond
from harness.requestor.systems import RequestorSystem
from harness.script import Close, Expect, ExpectMessage, SendBytes, SendPDU, Step, Wait
from harness.stategrid import NOT_DRIVABLE, Role, short

S = State
E = Event
GROUP = "requestor-grid"
WATCH = 2.0
"""How long the acceptor watches for a reaction that should not come (an ignored PDU)."""
ANY_PDU = (AAssociateRQ, AAssociateAC, AAssociateRJ, PDataTF, AReleaseRQ, AReleaseRP, AAbort)
INVALID_PDU = b"\xff\x00\x00\x00\x00\x04\x00\x00\x00\x00"
"""A PDU of an unknown type (PS3.8 9.3.1): Evt19 wherever it arrives."""

# -- driving the system into each state ------------------------------------------------------

_TO_STA6 = (Expect((AAssociateRQ,), REPLY_WITHIN), accept(), ExpectMessage(REPLY_WITHIN))
_TO_STA7 = (*_TO_STA6, respond(0), Expect((AReleaseRQ,), REPLY_WITHIN))
Drive = tuple[tuple[Step, ...], int]
DRIVES: dict[State, tuple[Drive, ...]] = {
    S.STA5_AWAITING_AC_OR_RJ: (((Expect((AAssociateRQ,), REPLY_WITHIN),), 0),),
    S.STA6_ESTABLISHED: ((_TO_STA6, 1),),
    S.STA7_AWAITING_RELEASE_RP: ((_TO_STA7, 2),),
    S.STA11_COLLISION_REQUESTOR_AWAITING_RP: (
        ((*_TO_STA7, SendPDU(AReleaseRQ()), Expect((AReleaseRP,), REPLY_WITHIN)), 3),
    ),
    S.STA13_AWAITING_TRANSPORT_CLOSE: (
        # AR-2 then AR-4: the system answers our release and awaits our close.
        ((*_TO_STA6, SendPDU(AReleaseRQ()), Expect((AReleaseRP,), REPLY_WITHIN)), 2),
        # Or AA-8: an unexpected A-RELEASE-RP in Sta5; the system aborts and awaits the close.
        (
            (
                Expect((AAssociateRQ,), REPLY_WITHIN),
                SendPDU(AReleaseRP()),
                Expect((AAbort,), REPLY_WITHIN),
            ),
            1,
        ),
    ),
}
"""Per state, the ways to bring the system there (tried in turn until one does): the steps,
and how many moves of ours they make."""

_STRAY_AC = AAssociateAC(
    "SCU",
    "SCU",
    (PresentationContextACItem(1, 0, b.IMPLICIT_VR_LITTLE_ENDIAN),),
    (MaximumLengthItem(16384),),
)


def _event_steps(state: State, event: Event) -> tuple[Step, ...]:
    """Our move that causes ``event`` in ``state``."""
    match event:
        case E.EVT3_A_ASSOCIATE_AC_RECEIVED:
            return (accept() if state is S.STA5_AWAITING_AC_OR_RJ else SendPDU(_STRAY_AC),)
        case E.EVT4_A_ASSOCIATE_RJ_RECEIVED:
            return (SendPDU(AAssociateRJ(1, 1, 1)),)
        case E.EVT6_A_ASSOCIATE_RQ_RECEIVED:
            return (SendPDU(b.associate_rq("SCU")),)
        case E.EVT10_P_DATA_RECEIVED:
            if state is S.STA6_ESTABLISHED:
                return (respond(0),)
            return (SendPDU(b.echo_request(1)),)
        case E.EVT12_A_RELEASE_RQ_RECEIVED:
            return (SendPDU(AReleaseRQ()),)
        case E.EVT13_A_RELEASE_RP_RECEIVED:
            return (SendPDU(AReleaseRP()),)
        case E.EVT16_A_ABORT_RECEIVED:
            return (SendPDU(AAbort()),)
        case E.EVT17_TRANSPORT_CLOSED:
            return (Close(),)
        case E.EVT19_INVALID_PDU_RECEIVED:
            return (SendBytes(INVALID_PDU),)
    raise ValueError(f"{event} is no event a peer causes")


def _watch_steps(action: Action) -> tuple[Step, ...]:
    """What the acceptor does after the event, to see the reaction ``action`` asks for."""
    if action in (Action.AA_4, Action.AR_5):
        return ()  # we closed: the system's own run shows the rest
    if action in (Action.AR_6, Action.AA_6):
        # Nothing should come: watch a while, then end the wait the system is in.
        tail: tuple[Step, ...] = (SendPDU(AReleaseRP()),) if action is Action.AR_6 else ()
        return (Wait(WATCH), *tail, Expect(ANY_PDU, REPLY_WITHIN, or_close=True), Close())
    if action in (Action.AR_2, Action.AR_8):
        # A-RELEASE-RP expected: answer it as the release (collision) goes on.
        after = (SendPDU(AReleaseRP()),) if action is Action.AR_8 else ()
        return (
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            *after,
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            Close(),
        )
    if action is Action.DT_2:
        return (
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            SendPDU(AReleaseRP()),
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            Close(),
        )
    return (Expect(ANY_PDU, REPLY_WITHIN, or_close=True), Expect(ANY_PDU, WATCH, or_close=True))


# -- judging the reaction ---------------------------------------------------------------------


def _judge(action: Action, ex, reaction: Reaction) -> Verdict:  # type: ignore[no-untyped-def]
    first = reaction.first
    match action:
        case Action.AE_3:
            ok = first in ("PDataTF", "AReleaseRQ")
            return judged(ex, ok, f"AE-3: the system went on with {first}")
        case Action.AE_4 | Action.AA_3 | Action.AR_3 | Action.AA_2:
            return closed_quietly(ex, reaction)
        case Action.AA_7 if first in ("closed", "reset"):
            # Sta13 ends whenever the system's ARTIM expires (AA-2): a close may come first.
            return judged(ex, True, f"AA-7: the connection {first} (Sta13 may end at any time)")
        case Action.AA_8 | Action.AA_7:
            return aborted(ex, reaction)
        case Action.AA_4 | Action.AR_5:
            return ended_by_itself(ex, reaction)
        case Action.DT_2:
            ok = first == "AReleaseRQ"
            return judged(ex, ok, f"DT-2: after the response the system sent {first}")
        case Action.AR_2 | Action.AR_8:
            ok = first == "AReleaseRP"
            return judged(ex, ok, f"{action.value}: the system answered {first}")
        case Action.AR_6:
            return _kept_waiting(ex, reaction)
        case Action.AA_6:
            return judged(ex, not reaction.pdus, f"AA-6: {reaction.describe()}")
    raise ValueError(f"no judgement for {action}")


def _kept_waiting(ex, reaction: Reaction) -> Verdict:  # type: ignore[no-untyped-def]
    """AR-6: the P-DATA-TF is indicated and the system still awaits our A-RELEASE-RP."""
    moves = DRIVES[S.STA7_AWAITING_RELEASE_RP][0][1] + 1
    before = Reaction.after(ex, moves, until_next_move=True)
    if before.pdus or before.ended_connection:
        return judged(ex, False, f"AR-6: before our A-RELEASE-RP, {before.describe()}")
    return closed_quietly(ex, Reaction.after(ex, moves + 1))


def _cell_run(state: State, event: Event) -> Callable[[RequestorSystem], Verdict]:
    action = STANDARD_TABLE[(state, event)]

    def run(system: RequestorSystem) -> Verdict:
        name = f"grid-{short(state)}-{short(event)}"
        for drive, moves in DRIVES[state]:
            steps = (*drive, *_event_steps(state, event), *_watch_steps(action))
            ex = exchange(system, acceptor_script(name, steps))
            reaction = Reaction.after(ex, moves + 1)
            if reaction.reached:
                return _judge(action, ex, reaction)
        return not_reached(ex, short(state))

    return run


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
"""The events a remote peer can cause: each PDU type, an invalid PDU, a transport close."""


def _register() -> None:
    for state in DRIVES:
        for event in PEER_EVENTS:
            action = STANDARD_TABLE[(state, event)]
            requestor_scenario(
                f"requestor-grid-{short(state).lower()}-{short(event).lower()}",
                f"{short(event)} in {short(state)} as requestor",
                f"PS3.8 9.2, Table 9-10 ({short(state)}, {short(event)}, {action.value})",
                f"the system takes action {action.value}",
                group=GROUP,
                cell=(state, event),
            )(_cell_run(state, event))


_register()

_LOCAL = "a local primitive of the system's own user: no remote peer causes it"
_ACCEPTOR_ONLY = "a state of the association-acceptor: a requestor never enters it"


def _not_drivable() -> dict[tuple[State, Event], str]:
    reasons: dict[tuple[State, Event], str] = {}
    probed = {(state, event) for state in DRIVES for event in PEER_EVENTS}
    for state in State:
        for event in Event:
            if (state, event) in probed:
                continue
            reasons[(state, event)] = _reason(state, event)
    return reasons


def _reason(state: State, event: Event) -> str:
    if event in (
        E.EVT1_A_ASSOCIATE_RQ_LOCAL,
        E.EVT7_A_ASSOCIATE_ACCEPT_LOCAL,
        E.EVT8_A_ASSOCIATE_REJECT_LOCAL,
        E.EVT9_P_DATA_LOCAL,
        E.EVT11_A_RELEASE_RQ_LOCAL,
        E.EVT14_A_RELEASE_RESPONSE_LOCAL,
        E.EVT15_A_ABORT_LOCAL,
    ):
        return _LOCAL
    if event is E.EVT18_ARTIM_EXPIRED:
        return "the system's own ARTIM timer: it expires inside the system"
    if event in (E.EVT2_TRANSPORT_CONNECTED, E.EVT5_TRANSPORT_INDICATION):
        return "the transport connection's opening, which the requestor itself makes"
    if state in (
        S.STA2_TRANSPORT_OPEN_AWAITING_RQ,
        S.STA3_AWAITING_LOCAL_RESPONSE,
        S.STA10_COLLISION_ACCEPTOR_AWAITING_RP,
        S.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE,
    ):
        return _ACCEPTOR_ONLY
    if state is S.STA1_IDLE:
        return "no association and no connection: nothing can arrive"
    if state is S.STA4_AWAITING_TRANSPORT_OPEN:
        return "the connection is not open yet: no PDU can arrive, and a refused connect is none"
    if state in (
        S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE,
        S.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE,
    ):
        return (
            "the system's own user answers the release at once: the state lasts no longer"
            " than the system's own processing, so no event can be timed into it"
        )
    return "not reachable from outside"


NOT_DRIVABLE_REQUESTOR: dict[tuple[State, Event], str] = _not_drivable()
"""Every requestor cell the grid does not probe, with the reason."""

NOT_DRIVABLE[Role.REQUESTOR].update(NOT_DRIVABLE_REQUESTOR)
