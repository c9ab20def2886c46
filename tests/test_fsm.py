"""Every cell of the PS3.8 9.2 state machine, against a table transcribed here."""

from __future__ import annotations

import itertools

import pytest

from dicomactors.fsm import (
    ACTIONS,
    AE_6_NOT_ACCEPTABLE,
    LOCAL_PRIMITIVE_EVENTS,
    RECEIVED_PDU_EVENTS,
    STANDARD_TABLE,
    TABLE,
    TRANSPORT_AND_TIMER_EVENTS,
    Action,
    Effect,
    Event,
    State,
    Transition,
    abort_pdu_for,
    step,
)
from dicomactors.pdu.pdus import AAbort

# PS3.8 Table 9-10, one row per event, one column per state. "AE1>4" is action AE-1,
# then Sta4. The standard's empty cells are "ref" (Action.REFUSE, for a local
# primitive) or "ign" (Action.IGNORE); both keep the state. AE-6 and AR-8 show the
# next state for step()'s defaults (an acceptable RQ, the association-acceptor).
EXPECTED_GRID = """
      Sta1  Sta2   Sta3   Sta4  Sta5   Sta6   Sta7   Sta8   Sta9   Sta10   Sta11  Sta12  Sta13
Evt1  AE1>4 ref    ref    ref   ref    ref    ref    ref    ref    ref     ref    ref    ref
Evt2  ign   ign    ign    AE2>5 ign    ign    ign    ign    ign    ign     ign    ign    ign
Evt3  ign   AA1>13 AA8>13 ign   AE3>6  AA8>13 AA8>13 AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA6>13
Evt4  ign   AA1>13 AA8>13 ign   AE4>1  AA8>13 AA8>13 AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA6>13
Evt5  AE5>2 ign    ign    ign   ign    ign    ign    ign    ign    ign     ign    ign    ign
Evt6  ign   AE6>3  AA8>13 ign   AA8>13 AA8>13 AA8>13 AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA7>13
Evt7  ref   ref    AE7>6  ref   ref    ref    ref    ref    ref    ref     ref    ref    ref
Evt8  ref   ref    AE8>13 ref   ref    ref    ref    ref    ref    ref     ref    ref    ref
Evt9  ref   ref    ref    ref   ref    DT1>6  ref    AR7>8  ref    ref     ref    ref    ref
Evt10 ign   AA1>13 AA8>13 ign   AA8>13 DT2>6  AR6>7  AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA6>13
Evt11 ref   ref    ref    ref   ref    AR1>7  ref    ref    ref    ref     ref    ref    ref
Evt12 ign   AA1>13 AA8>13 ign   AA8>13 AR2>8  AR8>10 AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA6>13
Evt13 ign   AA1>13 AA8>13 ign   AA8>13 AA8>13 AR3>1  AA8>13 AA8>13 AR10>12 AR3>1  AA8>13 AA6>13
Evt14 ref   ref    ref    ref   ref    ref    ref    AR4>13 AR9>11 ref     ref    AR4>13 ref
Evt15 ref   ref    AA1>13 AA2>1 AA1>13 AA1>13 AA1>13 AA1>13 AA1>13 AA1>13  AA1>13 AA1>13 ref
Evt16 ign   AA2>1  AA3>1  ign   AA3>1  AA3>1  AA3>1  AA3>1  AA3>1  AA3>1   AA3>1  AA3>1  AA2>1
Evt17 ign   AA5>1  AA4>1  AA4>1 AA4>1  AA4>1  AA4>1  AA4>1  AA4>1  AA4>1   AA4>1  AA4>1  AR5>1
Evt18 ign   AA2>1  ign    ign   ign    ign    ign    ign    ign    ign     ign    ign    AA2>1
Evt19 ign   AA1>13 AA8>13 ign   AA8>13 AA8>13 AA8>13 AA8>13 AA8>13 AA8>13  AA8>13 AA8>13 AA7>13
"""

# PS3.8 Tables 9-6 to 9-9: what each action does, in order.
EXPECTED_EFFECTS = {
    "AE-1": "CONNECT_TRANSPORT",
    "AE-2": "SEND_ASSOCIATE_RQ",
    "AE-3": "CONFIRM_ASSOCIATE_ACCEPTED",
    "AE-4": "CONFIRM_ASSOCIATE_REJECTED CLOSE_TRANSPORT",
    "AE-5": "ACCEPT_TRANSPORT START_ARTIM",
    "AE-6": "STOP_ARTIM INDICATE_ASSOCIATE",
    "AE-7": "SEND_ASSOCIATE_AC",
    "AE-8": "SEND_ASSOCIATE_RJ START_ARTIM",
    "DT-1": "SEND_P_DATA",
    "DT-2": "INDICATE_P_DATA",
    "AR-1": "SEND_RELEASE_RQ",
    "AR-2": "INDICATE_RELEASE",
    "AR-3": "CONFIRM_RELEASE CLOSE_TRANSPORT",
    "AR-4": "SEND_RELEASE_RP START_ARTIM",
    "AR-5": "STOP_ARTIM",
    "AR-6": "INDICATE_P_DATA",
    "AR-7": "SEND_P_DATA",
    "AR-8": "INDICATE_RELEASE_COLLISION",
    "AR-9": "SEND_RELEASE_RP",
    "AR-10": "CONFIRM_RELEASE",
    "AA-1": "SEND_ABORT START_ARTIM",
    "AA-2": "STOP_ARTIM CLOSE_TRANSPORT",
    "AA-3": "INDICATE_ABORT CLOSE_TRANSPORT",
    "AA-4": "INDICATE_P_ABORT",
    "AA-5": "STOP_ARTIM",
    "AA-6": "",
    "AA-7": "SEND_ABORT",
    "AA-8": "SEND_ABORT INDICATE_P_ABORT START_ARTIM",
    "refuse": "",
    "ignore": "",
}

STATES = {s.value: s for s in State}
EVENTS = {e.value: e for e in Event}


EMPTY_CELLS = {"ref": "refuse", "ign": "ignore"}


def _parse_grid() -> dict[tuple[State, Event], tuple[str, State]]:
    """(state, event) -> (action value, e.g. "AE-1", and the next state)."""
    cells: dict[tuple[State, Event], tuple[str, State]] = {}
    _header, *lines = EXPECTED_GRID.strip().splitlines()
    for line in lines:
        label, *row = line.split()
        event = EVENTS[int(label.removeprefix("Evt"))]
        assert len(row) == 13, label
        for number, cell in enumerate(row, start=1):
            state = STATES[number]
            if cell in EMPTY_CELLS:
                cells[(state, event)] = (EMPTY_CELLS[cell], state)
            else:
                action, next_number = cell.split(">")
                name = f"{action[:2]}-{action[2:]}"
                cells[(state, event)] = (name, STATES[int(next_number)])
    return cells


EXPECTED = _parse_grid()
ALL_CELLS = list(itertools.product(State, Event))
CONTEXTS = list(itertools.product([True, False], repeat=2))


def _effects(names: str) -> tuple[Effect, ...]:
    return tuple(Effect[name] for name in names.split())


def test_the_expected_grid_covers_all_247_cells() -> None:
    assert len(EXPECTED) == 13 * 19 == len(TABLE)


@pytest.mark.parametrize(
    ("state", "event"), ALL_CELLS, ids=[f"Sta{s.value}-Evt{e.value}" for s, e in ALL_CELLS]
)
def test_cell(state: State, event: Event) -> None:
    name, next_state = EXPECTED[(state, event)]
    transition = step(state, event)
    assert transition == Transition(Action(name), next_state, _effects(EXPECTED_EFFECTS[name]))
    assert TABLE[(state, event)] is Action(name)


@pytest.mark.parametrize("action", list(Action))
def test_actions_effects(action: Action) -> None:
    effects, _ = ACTIONS[action]
    assert effects == _effects(EXPECTED_EFFECTS[action.value])


def test_ae_6_with_an_unacceptable_rq_rejects_and_awaits_the_close() -> None:
    transition = step(
        State.STA2_TRANSPORT_OPEN_AWAITING_RQ,
        Event.EVT6_A_ASSOCIATE_RQ_RECEIVED,
        associate_rq_acceptable=False,
    )
    assert transition == Transition(
        Action.AE_6,
        State.STA13_AWAITING_TRANSPORT_CLOSE,
        (Effect.STOP_ARTIM, Effect.SEND_ASSOCIATE_RJ, Effect.START_ARTIM),
    )
    assert (transition.effects, transition.next_state) == AE_6_NOT_ACCEPTABLE


@pytest.mark.parametrize(
    ("is_requestor", "next_state"),
    [
        (True, State.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE),
        (False, State.STA10_COLLISION_ACCEPTOR_AWAITING_RP),
    ],
)
def test_ar_8_release_collision_depends_on_the_role(is_requestor: bool, next_state: State) -> None:
    transition = step(
        State.STA7_AWAITING_RELEASE_RP,
        Event.EVT12_A_RELEASE_RQ_RECEIVED,
        is_requestor=is_requestor,
    )
    assert transition == Transition(Action.AR_8, next_state, (Effect.INDICATE_RELEASE_COLLISION,))


def test_a_whole_release_collision_ends_idle_on_both_sides() -> None:
    """Both sides send A-RELEASE-RQ at once; each walks its half of the collision."""
    requestor, acceptor = State.STA6_ESTABLISHED, State.STA6_ESTABLISHED
    requestor = step(requestor, Event.EVT11_A_RELEASE_RQ_LOCAL).next_state
    acceptor = step(acceptor, Event.EVT11_A_RELEASE_RQ_LOCAL).next_state
    requestor = step(requestor, Event.EVT12_A_RELEASE_RQ_RECEIVED, is_requestor=True).next_state
    acceptor = step(acceptor, Event.EVT12_A_RELEASE_RQ_RECEIVED, is_requestor=False).next_state
    assert requestor is State.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE
    assert acceptor is State.STA10_COLLISION_ACCEPTOR_AWAITING_RP
    # The requestor answers first; its A-RELEASE-RP reaches the acceptor.
    requestor = step(requestor, Event.EVT14_A_RELEASE_RESPONSE_LOCAL).next_state
    acceptor = step(acceptor, Event.EVT13_A_RELEASE_RP_RECEIVED).next_state
    assert (requestor, acceptor) == (
        State.STA11_COLLISION_REQUESTOR_AWAITING_RP,
        State.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE,
    )
    # The acceptor answers; the requestor gets the RP and closes; the acceptor sees it.
    acceptor = step(acceptor, Event.EVT14_A_RELEASE_RESPONSE_LOCAL).next_state
    last = step(requestor, Event.EVT13_A_RELEASE_RP_RECEIVED)
    assert last.effects == (Effect.CONFIRM_RELEASE, Effect.CLOSE_TRANSPORT)
    acceptor = step(acceptor, Event.EVT17_TRANSPORT_CLOSED).next_state
    assert (last.next_state, acceptor) == (State.STA1_IDLE, State.STA1_IDLE)


@pytest.mark.parametrize(("acceptable", "requestor"), CONTEXTS)
def test_the_context_matters_only_in_ae_6_and_ar_8(acceptable: bool, requestor: bool) -> None:
    for state, event in ALL_CELLS:
        transition = step(state, event, associate_rq_acceptable=acceptable, is_requestor=requestor)
        if transition.action not in (Action.AE_6, Action.AR_8):
            assert transition == step(state, event)


@pytest.mark.parametrize(("acceptable", "requestor"), CONTEXTS)
def test_no_cell_raises_and_every_result_is_well_typed(acceptable: bool, requestor: bool) -> None:
    for state, event in ALL_CELLS:
        transition = step(state, event, associate_rq_acceptable=acceptable, is_requestor=requestor)
        assert isinstance(transition.next_state, State)
        assert all(isinstance(effect, Effect) for effect in transition.effects)


def test_refuse_keeps_the_state_and_does_nothing() -> None:
    refused = [cell for cell in ALL_CELLS if TABLE[cell] is Action.REFUSE]
    assert refused
    for state, event in refused:
        assert event in LOCAL_PRIMITIVE_EVENTS
        assert step(state, event) == Transition(Action.REFUSE, state, ())


def test_ignore_keeps_the_state_and_does_nothing() -> None:
    ignored = [cell for cell in ALL_CELLS if TABLE[cell] is Action.IGNORE]
    for state, event in ignored:
        assert event not in LOCAL_PRIMITIVE_EVENTS
        assert step(state, event) == Transition(Action.IGNORE, state, ())
    # A PDU is only ignored where no transport connection exists.
    assert {s for s, e in ignored if e in RECEIVED_PDU_EVENTS} == {
        State.STA1_IDLE,
        State.STA4_AWAITING_TRANSPORT_OPEN,
    }


def test_event_groups_partition_the_events() -> None:
    groups = [LOCAL_PRIMITIVE_EVENTS, RECEIVED_PDU_EVENTS, TRANSPORT_AND_TIMER_EVENTS]
    assert sum(len(group) for group in groups) == len(Event)
    assert frozenset().union(*groups) == frozenset(Event)


def test_the_standard_table_holds_only_the_standards_actions() -> None:
    assert set(STANDARD_TABLE.values()).isdisjoint({Action.REFUSE, Action.IGNORE})
    assert {cell for cell, (name, _) in EXPECTED.items() if name not in ("refuse", "ignore")} == (
        set(STANDARD_TABLE)
    )


# Properties the standard's design guarantees, checked on every cell.


@pytest.mark.parametrize(("acceptable", "requestor"), CONTEXTS)
def test_entering_sta13_always_arms_artim(acceptable: bool, requestor: bool) -> None:
    """Sta13 waits for the peer to close; ARTIM bounds the wait (PS3.8 9.1.5)."""
    for state, event in ALL_CELLS:
        t = step(state, event, associate_rq_acceptable=acceptable, is_requestor=requestor)
        if t.next_state is State.STA13_AWAITING_TRANSPORT_CLOSE and state is not t.next_state:
            assert Effect.START_ARTIM in t.effects, (state, event)


def test_returning_to_idle_always_leaves_no_connection_and_no_timer() -> None:
    for state, event in ALL_CELLS:
        t = step(state, event)
        if t.next_state is not State.STA1_IDLE or state is State.STA1_IDLE:
            continue
        closed = Effect.CLOSE_TRANSPORT in t.effects or event is Event.EVT17_TRANSPORT_CLOSED
        assert closed, (state, event)
        if state in (State.STA2_TRANSPORT_OPEN_AWAITING_RQ, State.STA13_AWAITING_TRANSPORT_CLOSE):
            assert Effect.STOP_ARTIM in t.effects, (state, event)


# abort_pdu_for: which A-ABORT the caller sends for Effect.SEND_ABORT.


def test_aa_1_aborts_with_the_service_user_source() -> None:
    assert abort_pdu_for(Action.AA_1, Event.EVT15_A_ABORT_LOCAL) == AAbort(source=0, reason=0)
    assert abort_pdu_for(Action.AA_1, Event.EVT10_P_DATA_RECEIVED) == AAbort(source=0, reason=0)


@pytest.mark.parametrize(
    "event",
    [
        Event.EVT3_A_ASSOCIATE_AC_RECEIVED,
        Event.EVT4_A_ASSOCIATE_RJ_RECEIVED,
        Event.EVT6_A_ASSOCIATE_RQ_RECEIVED,
        Event.EVT10_P_DATA_RECEIVED,
        Event.EVT12_A_RELEASE_RQ_RECEIVED,
        Event.EVT13_A_RELEASE_RP_RECEIVED,
    ],
)
def test_aa_8_aborts_an_unexpected_pdu_with_the_provider_source(event: Event) -> None:
    assert abort_pdu_for(Action.AA_8, event) == AAbort(source=2, reason=2)


def test_an_invalid_pdu_is_aborted_with_the_decoders_reason() -> None:
    evt19 = Event.EVT19_INVALID_PDU_RECEIVED
    assert abort_pdu_for(Action.AA_8, evt19, decoder_reason=6) == AAbort(source=2, reason=6)
    assert abort_pdu_for(Action.AA_7, evt19, decoder_reason=1) == AAbort(source=2, reason=1)
    assert abort_pdu_for(Action.AA_8, evt19) == AAbort(source=2, reason=0)


def test_aa_7_answers_an_rq_in_sta13_with_a_provider_abort() -> None:
    action = step(State.STA13_AWAITING_TRANSPORT_CLOSE, Event.EVT6_A_ASSOCIATE_RQ_RECEIVED).action
    assert abort_pdu_for(action, Event.EVT6_A_ASSOCIATE_RQ_RECEIVED) == AAbort(source=2, reason=2)


def test_every_cell_that_sends_an_abort_has_an_abort_pdu() -> None:
    for state, event in ALL_CELLS:
        t = step(state, event)
        if Effect.SEND_ABORT in t.effects:
            assert isinstance(abort_pdu_for(t.action, event), AAbort)
        else:
            with pytest.raises(ValueError, match="sends no A-ABORT"):
                abort_pdu_for(t.action, event)


# pynetdicom as an independent oracle for Table 9-10.


def test_standard_cells_match_pynetdicom() -> None:
    fsm = pytest.importorskip("pynetdicom.fsm")
    theirs = {
        (State(int(sta[3:])), Event(int(evt[3:]))): action
        for (evt, sta), action in fsm.TRANSITION_TABLE.items()
    }
    ours = {cell: action.value for cell, action in STANDARD_TABLE.items()}
    assert ours == theirs


def test_next_states_match_pynetdicom() -> None:
    fsm = pytest.importorskip("pynetdicom.fsm")
    for action, (_, next_state) in ACTIONS.items():
        if action in (Action.REFUSE, Action.IGNORE):
            continue
        theirs = fsm.ACTIONS[action.value][2]
        if action is Action.AR_8:
            assert theirs == ("Sta9", "Sta10")
        elif action is Action.AE_6:
            # pynetdicom lists one state for AE-6; the RJ branch goes to Sta13 in its code.
            assert next_state is State.STA3_AWAITING_LOCAL_RESPONSE
            assert AE_6_NOT_ACCEPTABLE[1] is State.STA13_AWAITING_TRANSPORT_CLOSE
        else:
            assert next_state is not None
            assert theirs == f"Sta{next_state.value}", action
