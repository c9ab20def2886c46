"""Release (PS3.8 7.2, 9.2) and abort in each state (PS3.8 7.3, 9.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dicomactors.fsm import Event as E
from dicomactors.fsm import State as S
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AReleaseRQ,
    MaximumLengthItem,
)
from harness import behaviours as b
from harness.conformance.core import (
    ENDED,
    INITIATES_RELEASE,
    SCENARIOS,
    K,
    Scenario,
    Status,
    Verdict,
    ended,
    play,
    request_for,
    requestor_script,
    scenario,
    verdict_of,
)
from harness.script import Close, Expect, Script, SendPDU
from harness.systems import SystemUnderTest


@scenario(
    "release-normal",
    "Echo, then an orderly release",
    "PS3.8 7.2, 9.2 (Sta6 Evt12 AR-2, Sta8 AR-4)",
    "C-ECHO-RSP, then A-RELEASE-RP",
    group="release",
    cell=(S.STA6_ESTABLISHED, E.EVT12_A_RELEASE_RQ_RECEIVED),
)
def _release_normal(sut: SystemUnderTest) -> Verdict:
    outcome = play(b.associate_echo_release(sut.ae_title), sut)
    return verdict_of(outcome, outcome.kind is K.RELEASED)


@scenario(
    "release-collision",
    "Both sides request a release at once",
    "PS3.8 7.2, 9.2 (Sta7 Evt12 AR-8, Sta10, Sta11, Sta12)",
    "the requestor answers first (AR-9), the acceptor then (AR-10), the requestor closes",
    group="release",
    requires=(INITIATES_RELEASE,),
    note="an SCP that never requests a release itself cannot be driven into a collision",
)
def _release_collision(sut: SystemUnderTest) -> Verdict:  # pragma: no cover - no SUT declares it
    return Verdict(Status.NOT_RUN, "no way to make this system request a release is known")


def _unexpected_first(name: str, first: Any) -> Script:
    return requestor_script(
        name,
        (SendPDU(first), Expect((AAbort,), b.REPLY_WITHIN, or_close=True), Close()),
    )


@scenario(
    "release-rq-unassociated",
    "An A-RELEASE-RQ before any association is refused",
    "PS3.8 9.2 (Sta2, Evt12, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
    cell=(S.STA2_TRANSPORT_OPEN_AWAITING_RQ, E.EVT12_A_RELEASE_RQ_RECEIVED),
)
def _release_unassociated(sut: SystemUnderTest) -> Verdict:
    outcome = play(_unexpected_first("release-rq-unassociated", AReleaseRQ()), sut)
    return ended(outcome, "answered as if associated", artim_running=sut)


@scenario(
    "p-data-unassociated",
    "A P-DATA-TF before any association is refused",
    "PS3.8 9.2 (Sta2, Evt10, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
    cell=(S.STA2_TRANSPORT_OPEN_AWAITING_RQ, E.EVT10_P_DATA_RECEIVED),
)
def _p_data_unassociated(sut: SystemUnderTest) -> Verdict:
    outcome = play(_unexpected_first("p-data-unassociated", b.echo_request()), sut)
    return ended(outcome, "answered as if associated", artim_running=sut)


@scenario(
    "associate-ac-unexpected",
    "An A-ASSOCIATE-AC sent to an acceptor is refused",
    "PS3.8 9.2 (Sta2, Evt3, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
    cell=(S.STA2_TRANSPORT_OPEN_AWAITING_RQ, E.EVT3_A_ASSOCIATE_AC_RECEIVED),
)
def _ac_unexpected(sut: SystemUnderTest) -> Verdict:
    ac = AAssociateAC(sut.ae_title, b.HARNESS_AE, (), (MaximumLengthItem(16384),))
    outcome = play(_unexpected_first("associate-ac-unexpected", ac), sut)
    return ended(outcome, "accepted it", artim_running=sut)


@scenario(
    "associate-rq-twice",
    "A second A-ASSOCIATE-RQ on an established association is refused",
    "PS3.8 9.2 (Sta6, Evt6, AA-8)",
    "A-ABORT (source 2, reason 2 unexpected PDU) and close",
    group="release",
    cell=(S.STA6_ESTABLISHED, E.EVT6_A_ASSOCIATE_RQ_RECEIVED),
)
def _associate_twice(sut: SystemUnderTest) -> Verdict:
    rq = request_for(sut)
    steps = (
        SendPDU(rq),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(rq),
        Expect((AAbort,), b.REPLY_WITHIN, or_close=True),
        Close(),
    )
    outcome = play(requestor_script("associate-rq-twice", steps), sut)
    answers = sum(isinstance(pdu, AAssociateAC | AAssociateRJ) for pdu in outcome.received)
    ok = outcome.kind in ENDED and answers == 1
    return verdict_of(outcome, ok, "" if ok else f"{answers} association answers")


def _abort_run(name: str) -> Callable[[SystemUnderTest], Verdict]:
    def run(sut: SystemUnderTest) -> Verdict:
        outcome = play(b.abort_behaviours(sut.ae_title)[name], sut)
        ok = outcome.kind in (K.CLOSED, K.RESET)
        return verdict_of(outcome, ok, "" if ok else "a PDU answered the A-ABORT, or no close")

    return run


# Sta3 and Sta8 are left by the node's own response at a moment no peer sees: the aborts
# sent there probe no cell (harness.conformance.acceptor_grid says why).
_ABORT_CELLS = {
    "abort-before-request": (S.STA2_TRANSPORT_OPEN_AWAITING_RQ, E.EVT16_A_ABORT_RECEIVED),
    "abort-established": (S.STA6_ESTABLISHED, E.EVT16_A_ABORT_RECEIVED),
}

for _name, _script_of in b.abort_behaviours().items():
    SCENARIOS.append(
        Scenario(
            _name,
            f"A-ABORT {_name.removeprefix('abort-').replace('-', ' ')}",
            _script_of.clause,
            "close the connection, sending nothing (no PDU answers an A-ABORT)",
            _abort_run(_name),
            group="abort",
            cell=_ABORT_CELLS.get(_name),
        )
    )
