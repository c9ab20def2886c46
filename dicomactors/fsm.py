"""The DICOM Upper Layer state machine of PS3.8 9.2, as data.

States (Tables 9-1 to 9-5), events, actions (Tables 9-6 to 9-9) and the state
transition table (Table 9-10) are enums and mappings; ``step`` looks a
(state, event) pair up and returns a ``Transition``: the action, the next state and
the ``Effect``s the caller (the DUL actor) must carry out, in order. Nothing here
touches a socket, a thread or a clock.

How each of the 13 x 19 cells of ``TABLE`` is filled:

* A cell that Table 9-10 fills holds the standard's action (``STANDARD_TABLE``).
  The standard fills every received-PDU cell of Sta2, Sta3 and Sta5 to Sta13:
  AA-1 in Sta2, AA-6 or AA-7 in Sta13, AA-8 (an unexpected PDU) elsewhere.
* An empty cell reached by a local primitive (Evt1, 7, 8, 9, 11, 14, 15) is
  ``Action.REFUSE``: the state is unchanged, no effect, and the caller raises an
  error to its own user, who asked for something the association cannot do now.
* Any other empty cell is ``Action.IGNORE``: the state is unchanged, no effect.
  These are a received PDU in Sta1 or Sta4, where no transport connection exists to
  receive it on (nor to send an A-ABORT over), and a transport or ARTIM event that
  cannot concern this association (Evt2 outside Sta4, Evt5 outside Sta1, Evt17 in
  Sta1, a stale ARTIM expiry in Sta1 or Sta3 to Sta12).

``Effect.START_ARTIM`` means start, or restart if running; ``Effect.STOP_ARTIM``
means stop if running. Which A-ABORT to send for ``Effect.SEND_ABORT`` is given by
``abort_pdu_for``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

from dicomactors.pdu.pdus import AAbort, AbortReason, AbortSource

__all__ = [
    "ACTIONS",
    "AE_6_NOT_ACCEPTABLE",
    "LOCAL_PRIMITIVE_EVENTS",
    "RECEIVED_PDU_EVENTS",
    "STANDARD_TABLE",
    "TABLE",
    "TRANSPORT_AND_TIMER_EVENTS",
    "Action",
    "Effect",
    "Event",
    "Outcome",
    "State",
    "Transition",
    "abort_pdu_for",
    "step",
]


class _Member(Enum):
    """Members are singletons compared by identity: hashed by identity too, in C
    (Enum's own ``__hash__`` is Python code hashing the name; every step of the
    state machine looks members up in dicts)."""

    __hash__ = object.__hash__


class State(_Member):
    """The states of PS3.8 Tables 9-1 to 9-5."""

    STA1_IDLE = 1
    STA2_TRANSPORT_OPEN_AWAITING_RQ = 2
    STA3_AWAITING_LOCAL_RESPONSE = 3
    STA4_AWAITING_TRANSPORT_OPEN = 4
    STA5_AWAITING_AC_OR_RJ = 5
    STA6_ESTABLISHED = 6
    STA7_AWAITING_RELEASE_RP = 7
    STA8_AWAITING_LOCAL_RELEASE_RESPONSE = 8
    STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE = 9
    STA10_COLLISION_ACCEPTOR_AWAITING_RP = 10
    STA11_COLLISION_REQUESTOR_AWAITING_RP = 11
    STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE = 12
    STA13_AWAITING_TRANSPORT_CLOSE = 13


class Event(_Member):
    """The events of PS3.8 Table 9-10."""

    EVT1_A_ASSOCIATE_RQ_LOCAL = 1
    EVT2_TRANSPORT_CONNECTED = 2
    EVT3_A_ASSOCIATE_AC_RECEIVED = 3
    EVT4_A_ASSOCIATE_RJ_RECEIVED = 4
    EVT5_TRANSPORT_INDICATION = 5
    EVT6_A_ASSOCIATE_RQ_RECEIVED = 6
    EVT7_A_ASSOCIATE_ACCEPT_LOCAL = 7
    EVT8_A_ASSOCIATE_REJECT_LOCAL = 8
    EVT9_P_DATA_LOCAL = 9
    EVT10_P_DATA_RECEIVED = 10
    EVT11_A_RELEASE_RQ_LOCAL = 11
    EVT12_A_RELEASE_RQ_RECEIVED = 12
    EVT13_A_RELEASE_RP_RECEIVED = 13
    EVT14_A_RELEASE_RESPONSE_LOCAL = 14
    EVT15_A_ABORT_LOCAL = 15
    EVT16_A_ABORT_RECEIVED = 16
    EVT17_TRANSPORT_CLOSED = 17
    EVT18_ARTIM_EXPIRED = 18
    EVT19_INVALID_PDU_RECEIVED = 19


class Action(_Member):
    """The actions of PS3.8 Tables 9-6 to 9-9, plus what an empty cell means here."""

    AE_1 = "AE-1"
    AE_2 = "AE-2"
    AE_3 = "AE-3"
    AE_4 = "AE-4"
    AE_5 = "AE-5"
    AE_6 = "AE-6"
    AE_7 = "AE-7"
    AE_8 = "AE-8"
    DT_1 = "DT-1"
    DT_2 = "DT-2"
    AR_1 = "AR-1"
    AR_2 = "AR-2"
    AR_3 = "AR-3"
    AR_4 = "AR-4"
    AR_5 = "AR-5"
    AR_6 = "AR-6"
    AR_7 = "AR-7"
    AR_8 = "AR-8"
    AR_9 = "AR-9"
    AR_10 = "AR-10"
    AA_1 = "AA-1"
    AA_2 = "AA-2"
    AA_3 = "AA-3"
    AA_4 = "AA-4"
    AA_5 = "AA-5"
    AA_6 = "AA-6"
    AA_7 = "AA-7"
    AA_8 = "AA-8"
    REFUSE = "refuse"
    IGNORE = "ignore"


class Effect(_Member):
    """One thing the caller must do; a transition lists them in the order to do them."""

    CONNECT_TRANSPORT = "connect transport"
    ACCEPT_TRANSPORT = "accept transport"
    CLOSE_TRANSPORT = "close transport"
    SEND_ASSOCIATE_RQ = "send A-ASSOCIATE-RQ"
    SEND_ASSOCIATE_AC = "send A-ASSOCIATE-AC"
    SEND_ASSOCIATE_RJ = "send A-ASSOCIATE-RJ"
    SEND_P_DATA = "send P-DATA-TF"
    SEND_RELEASE_RQ = "send A-RELEASE-RQ"
    SEND_RELEASE_RP = "send A-RELEASE-RP"
    SEND_ABORT = "send A-ABORT"
    INDICATE_ASSOCIATE = "A-ASSOCIATE indication"
    CONFIRM_ASSOCIATE_ACCEPTED = "A-ASSOCIATE confirmation (accept)"
    CONFIRM_ASSOCIATE_REJECTED = "A-ASSOCIATE confirmation (reject)"
    INDICATE_P_DATA = "P-DATA indication"
    INDICATE_RELEASE = "A-RELEASE indication"
    INDICATE_RELEASE_COLLISION = "A-RELEASE indication (release collision)"
    CONFIRM_RELEASE = "A-RELEASE confirmation"
    # AA-3: an A-ABORT indication if the received A-ABORT PDU has the service-user
    # source, an A-P-ABORT indication if it has the service-provider source.
    INDICATE_ABORT = "A-ABORT or A-P-ABORT indication"
    INDICATE_P_ABORT = "A-P-ABORT indication"
    START_ARTIM = "start ARTIM"
    STOP_ARTIM = "stop ARTIM"


@dataclass(frozen=True)
class Transition:
    """What ``step`` decided: the action taken, the state to move to, what to do."""

    action: Action
    next_state: State
    effects: tuple[Effect, ...]


Outcome = tuple[tuple[Effect, ...], State | None]
"""An action's effects and next state; ``None`` when ``step`` decides the state."""

_S = State
_E = Event
_A = Action
_F = Effect

ACTIONS: Final[Mapping[Action, Outcome]] = MappingProxyType(
    {
        _A.AE_1: ((_F.CONNECT_TRANSPORT,), _S.STA4_AWAITING_TRANSPORT_OPEN),
        _A.AE_2: ((_F.SEND_ASSOCIATE_RQ,), _S.STA5_AWAITING_AC_OR_RJ),
        _A.AE_3: ((_F.CONFIRM_ASSOCIATE_ACCEPTED,), _S.STA6_ESTABLISHED),
        _A.AE_4: ((_F.CONFIRM_ASSOCIATE_REJECTED, _F.CLOSE_TRANSPORT), _S.STA1_IDLE),
        _A.AE_5: ((_F.ACCEPT_TRANSPORT, _F.START_ARTIM), _S.STA2_TRANSPORT_OPEN_AWAITING_RQ),
        # The branch for an acceptable A-ASSOCIATE-RQ; see AE_6_NOT_ACCEPTABLE.
        _A.AE_6: ((_F.STOP_ARTIM, _F.INDICATE_ASSOCIATE), _S.STA3_AWAITING_LOCAL_RESPONSE),
        _A.AE_7: ((_F.SEND_ASSOCIATE_AC,), _S.STA6_ESTABLISHED),
        _A.AE_8: ((_F.SEND_ASSOCIATE_RJ, _F.START_ARTIM), _S.STA13_AWAITING_TRANSPORT_CLOSE),
        _A.DT_1: ((_F.SEND_P_DATA,), _S.STA6_ESTABLISHED),
        _A.DT_2: ((_F.INDICATE_P_DATA,), _S.STA6_ESTABLISHED),
        _A.AR_1: ((_F.SEND_RELEASE_RQ,), _S.STA7_AWAITING_RELEASE_RP),
        _A.AR_2: ((_F.INDICATE_RELEASE,), _S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE),
        _A.AR_3: ((_F.CONFIRM_RELEASE, _F.CLOSE_TRANSPORT), _S.STA1_IDLE),
        _A.AR_4: ((_F.SEND_RELEASE_RP, _F.START_ARTIM), _S.STA13_AWAITING_TRANSPORT_CLOSE),
        _A.AR_5: ((_F.STOP_ARTIM,), _S.STA1_IDLE),
        _A.AR_6: ((_F.INDICATE_P_DATA,), _S.STA7_AWAITING_RELEASE_RP),
        _A.AR_7: ((_F.SEND_P_DATA,), _S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE),
        # Sta9 for the association-requestor, Sta10 for the acceptor.
        _A.AR_8: ((_F.INDICATE_RELEASE_COLLISION,), None),
        _A.AR_9: ((_F.SEND_RELEASE_RP,), _S.STA11_COLLISION_REQUESTOR_AWAITING_RP),
        _A.AR_10: ((_F.CONFIRM_RELEASE,), _S.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE),
        _A.AA_1: ((_F.SEND_ABORT, _F.START_ARTIM), _S.STA13_AWAITING_TRANSPORT_CLOSE),
        _A.AA_2: ((_F.STOP_ARTIM, _F.CLOSE_TRANSPORT), _S.STA1_IDLE),
        _A.AA_3: ((_F.INDICATE_ABORT, _F.CLOSE_TRANSPORT), _S.STA1_IDLE),
        _A.AA_4: ((_F.INDICATE_P_ABORT,), _S.STA1_IDLE),
        _A.AA_5: ((_F.STOP_ARTIM,), _S.STA1_IDLE),
        _A.AA_6: ((), _S.STA13_AWAITING_TRANSPORT_CLOSE),
        _A.AA_7: ((_F.SEND_ABORT,), _S.STA13_AWAITING_TRANSPORT_CLOSE),
        _A.AA_8: (
            (_F.SEND_ABORT, _F.INDICATE_P_ABORT, _F.START_ARTIM),
            _S.STA13_AWAITING_TRANSPORT_CLOSE,
        ),
        # The current state is kept.
        _A.REFUSE: ((), None),
        _A.IGNORE: ((), None),
    }
)

AE_6_NOT_ACCEPTABLE: Final[Outcome] = (
    (_F.STOP_ARTIM, _F.SEND_ASSOCIATE_RJ, _F.START_ARTIM),
    _S.STA13_AWAITING_TRANSPORT_CLOSE,
)
"""AE-6 when the service-provider cannot accept the A-ASSOCIATE-RQ."""

LOCAL_PRIMITIVE_EVENTS: Final[frozenset[Event]] = frozenset(
    {
        _E.EVT1_A_ASSOCIATE_RQ_LOCAL,
        _E.EVT7_A_ASSOCIATE_ACCEPT_LOCAL,
        _E.EVT8_A_ASSOCIATE_REJECT_LOCAL,
        _E.EVT9_P_DATA_LOCAL,
        _E.EVT11_A_RELEASE_RQ_LOCAL,
        _E.EVT14_A_RELEASE_RESPONSE_LOCAL,
        _E.EVT15_A_ABORT_LOCAL,
    }
)
RECEIVED_PDU_EVENTS: Final[frozenset[Event]] = frozenset(
    {
        _E.EVT3_A_ASSOCIATE_AC_RECEIVED,
        _E.EVT4_A_ASSOCIATE_RJ_RECEIVED,
        _E.EVT6_A_ASSOCIATE_RQ_RECEIVED,
        _E.EVT10_P_DATA_RECEIVED,
        _E.EVT12_A_RELEASE_RQ_RECEIVED,
        _E.EVT13_A_RELEASE_RP_RECEIVED,
        _E.EVT16_A_ABORT_RECEIVED,
        _E.EVT19_INVALID_PDU_RECEIVED,
    }
)
TRANSPORT_AND_TIMER_EVENTS: Final[frozenset[Event]] = frozenset(
    {
        _E.EVT2_TRANSPORT_CONNECTED,
        _E.EVT5_TRANSPORT_INDICATION,
        _E.EVT17_TRANSPORT_CLOSED,
        _E.EVT18_ARTIM_EXPIRED,
    }
)

# The states in which a PDU may arrive (a transport connection exists), Sta2 and
# Sta13 apart, which have rows of their own in Table 9-10.
_CONNECTED_MIDDLE = (
    _S.STA3_AWAITING_LOCAL_RESPONSE,
    _S.STA5_AWAITING_AC_OR_RJ,
    _S.STA6_ESTABLISHED,
    _S.STA7_AWAITING_RELEASE_RP,
    _S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE,
    _S.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE,
    _S.STA10_COLLISION_ACCEPTOR_AWAITING_RP,
    _S.STA11_COLLISION_REQUESTOR_AWAITING_RP,
    _S.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE,
)


def _pdu_row(sta13: Action, expected: Mapping[State, Action] | None = None) -> dict[State, Action]:
    """A received-PDU row: AA-1 in Sta2, AA-8 in Sta3 and Sta5-12, ``sta13`` in Sta13,
    except in the states where the PDU is ``expected``."""
    row = {_S.STA2_TRANSPORT_OPEN_AWAITING_RQ: _A.AA_1}
    row.update(dict.fromkeys(_CONNECTED_MIDDLE, _A.AA_8))
    row[_S.STA13_AWAITING_TRANSPORT_CLOSE] = sta13
    row.update(expected or {})
    return row


_ROWS: dict[Event, dict[State, Action]] = {
    _E.EVT1_A_ASSOCIATE_RQ_LOCAL: {_S.STA1_IDLE: _A.AE_1},
    _E.EVT2_TRANSPORT_CONNECTED: {_S.STA4_AWAITING_TRANSPORT_OPEN: _A.AE_2},
    _E.EVT3_A_ASSOCIATE_AC_RECEIVED: _pdu_row(_A.AA_6, {_S.STA5_AWAITING_AC_OR_RJ: _A.AE_3}),
    _E.EVT4_A_ASSOCIATE_RJ_RECEIVED: _pdu_row(_A.AA_6, {_S.STA5_AWAITING_AC_OR_RJ: _A.AE_4}),
    _E.EVT5_TRANSPORT_INDICATION: {_S.STA1_IDLE: _A.AE_5},
    _E.EVT6_A_ASSOCIATE_RQ_RECEIVED: _pdu_row(
        _A.AA_7, {_S.STA2_TRANSPORT_OPEN_AWAITING_RQ: _A.AE_6}
    ),
    _E.EVT7_A_ASSOCIATE_ACCEPT_LOCAL: {_S.STA3_AWAITING_LOCAL_RESPONSE: _A.AE_7},
    _E.EVT8_A_ASSOCIATE_REJECT_LOCAL: {_S.STA3_AWAITING_LOCAL_RESPONSE: _A.AE_8},
    _E.EVT9_P_DATA_LOCAL: {
        _S.STA6_ESTABLISHED: _A.DT_1,
        _S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE: _A.AR_7,
    },
    _E.EVT10_P_DATA_RECEIVED: _pdu_row(
        _A.AA_6, {_S.STA6_ESTABLISHED: _A.DT_2, _S.STA7_AWAITING_RELEASE_RP: _A.AR_6}
    ),
    _E.EVT11_A_RELEASE_RQ_LOCAL: {_S.STA6_ESTABLISHED: _A.AR_1},
    _E.EVT12_A_RELEASE_RQ_RECEIVED: _pdu_row(
        _A.AA_6, {_S.STA6_ESTABLISHED: _A.AR_2, _S.STA7_AWAITING_RELEASE_RP: _A.AR_8}
    ),
    _E.EVT13_A_RELEASE_RP_RECEIVED: _pdu_row(
        _A.AA_6,
        {
            _S.STA7_AWAITING_RELEASE_RP: _A.AR_3,
            _S.STA10_COLLISION_ACCEPTOR_AWAITING_RP: _A.AR_10,
            _S.STA11_COLLISION_REQUESTOR_AWAITING_RP: _A.AR_3,
        },
    ),
    _E.EVT14_A_RELEASE_RESPONSE_LOCAL: {
        _S.STA8_AWAITING_LOCAL_RELEASE_RESPONSE: _A.AR_4,
        _S.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE: _A.AR_9,
        _S.STA12_COLLISION_ACCEPTOR_AWAITING_LOCAL_RESPONSE: _A.AR_4,
    },
    _E.EVT15_A_ABORT_LOCAL: {
        **dict.fromkeys(_CONNECTED_MIDDLE, _A.AA_1),
        _S.STA4_AWAITING_TRANSPORT_OPEN: _A.AA_2,
    },
    _E.EVT16_A_ABORT_RECEIVED: {
        _S.STA2_TRANSPORT_OPEN_AWAITING_RQ: _A.AA_2,
        **dict.fromkeys(_CONNECTED_MIDDLE, _A.AA_3),
        _S.STA13_AWAITING_TRANSPORT_CLOSE: _A.AA_2,
    },
    _E.EVT17_TRANSPORT_CLOSED: {
        _S.STA2_TRANSPORT_OPEN_AWAITING_RQ: _A.AA_5,
        **dict.fromkeys(_CONNECTED_MIDDLE, _A.AA_4),
        _S.STA4_AWAITING_TRANSPORT_OPEN: _A.AA_4,
        _S.STA13_AWAITING_TRANSPORT_CLOSE: _A.AR_5,
    },
    _E.EVT18_ARTIM_EXPIRED: {
        _S.STA2_TRANSPORT_OPEN_AWAITING_RQ: _A.AA_2,
        _S.STA13_AWAITING_TRANSPORT_CLOSE: _A.AA_2,
    },
    _E.EVT19_INVALID_PDU_RECEIVED: _pdu_row(_A.AA_7),
}

STANDARD_TABLE: Final[Mapping[tuple[State, Event], Action]] = MappingProxyType(
    {(state, event): action for event, row in _ROWS.items() for state, action in row.items()}
)
"""The cells PS3.8 Table 9-10 fills, and only those."""


def _empty_cell(event: Event) -> Action:
    return _A.REFUSE if event in LOCAL_PRIMITIVE_EVENTS else _A.IGNORE


TABLE: Final[Mapping[tuple[State, Event], Action]] = MappingProxyType(
    {
        (state, event): STANDARD_TABLE.get((state, event), _empty_cell(event))
        for state in State
        for event in Event
    }
)
"""Every (state, event) pair: Table 9-10, with its empty cells filled as described above."""


def step(
    state: State,
    event: Event,
    *,
    associate_rq_acceptable: bool = True,
    is_requestor: bool = False,
) -> Transition:
    """The transition for ``event`` in ``state`` (PS3.8 Table 9-10).

    ``associate_rq_acceptable`` decides AE-6 (Sta2 + Evt6): whether the
    service-provider can take the A-ASSOCIATE-RQ it received (e.g. its protocol
    version). ``is_requestor`` decides AR-8 (Sta7 + Evt12): whether this side
    requested the association. Neither matters in any other cell.
    """
    action = TABLE[(state, event)]
    effects, next_state = ACTIONS[action]
    if action is _A.AE_6 and not associate_rq_acceptable:
        effects, next_state = AE_6_NOT_ACCEPTABLE
    elif action is _A.AR_8:
        next_state = (
            _S.STA9_COLLISION_REQUESTOR_AWAITING_LOCAL_RESPONSE
            if is_requestor
            else _S.STA10_COLLISION_ACCEPTOR_AWAITING_RP
        )
    return Transition(action, state if next_state is None else next_state, effects)


def abort_pdu_for(action: Action, event: Event, *, decoder_reason: int | None = None) -> AAbort:
    """The A-ABORT PDU to send for ``Effect.SEND_ABORT`` of ``action`` taken on ``event``.

    AA-1 sends the service-user source (Table 9-9), whose reason is not significant
    (sent as 0), also when Sta2 meets an unexpected PDU. AA-8 sends the
    service-provider source (Table 9-9), and so does AA-7, whose source Table 9-9
    leaves open. Their reason is "unexpected PDU", or for Evt19 the reason the
    decoder gave (``PDUDecodeError.abort_reason``), "reason not specified" if none.
    ``ValueError`` if ``action`` sends no A-ABORT.
    """
    if action is _A.AA_1:
        return AAbort(AbortSource.SERVICE_USER, AbortReason.NOT_SPECIFIED)
    if action in (_A.AA_7, _A.AA_8):
        if event is _E.EVT19_INVALID_PDU_RECEIVED:
            reason = AbortReason.NOT_SPECIFIED if decoder_reason is None else decoder_reason
        else:
            reason = AbortReason.UNEXPECTED_PDU
        return AAbort(AbortSource.SERVICE_PROVIDER, reason)
    raise ValueError(f"{action.value} sends no A-ABORT PDU")
