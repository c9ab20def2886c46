"""ARTIM (PS3.8 9.1.5, 9.2): a connection that never completes its request."""

from __future__ import annotations

from dicomactors.fsm import Event as E
from dicomactors.fsm import State as S
from dicomactors.pdu import (
    AReleaseRP,
)
from harness import behaviours as b
from harness.conformance.core import (
    ARTIM,
    ENDED,
    Verdict,
    capability_value,
    play,
    scenario,
    verdict_of,
)
from harness.outcome import Outcome
from harness.systems import SystemUnderTest


def _artim(sut: SystemUnderTest) -> float:
    value = capability_value(sut, ARTIM)
    assert value is not None
    return float(value)


def _artim_verdict(outcome: Outcome, limit: float) -> Verdict:
    ok = outcome.kind in ENDED
    why = f"connection ended {outcome.elapsed:.2f} s after it opened (ARTIM {limit:g} s)"
    return verdict_of(outcome, ok, why)


@scenario(
    "artim-silent-after-connect",
    "A connection on which nothing is sent is closed when ARTIM expires",
    "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
    "close the connection about ARTIM after it opened",
    group="artim",
    cell=(S.STA2_TRANSPORT_OPEN_AWAITING_RQ, E.EVT18_ARTIM_EXPIRED),
    requires=(ARTIM,),
    note="the ARTIM timeout is local configuration",
)
def _artim_silent(sut: SystemUnderTest) -> Verdict:
    return _artim_verdict(play(b.silent_after_connect(_artim(sut)), sut), _artim(sut))


@scenario(
    "artim-incomplete-request",
    "Half an A-ASSOCIATE-RQ, never completed, is given up when ARTIM expires",
    "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
    "close the connection about ARTIM after it opened",
    group="artim",
    requires=(ARTIM,),
)
def _artim_incomplete(sut: SystemUnderTest) -> Verdict:
    return _artim_verdict(play(b.incomplete_request(_artim(sut), sut.ae_title), sut), _artim(sut))


@scenario(
    "artim-trickled-request",
    "An A-ASSOCIATE-RQ trickled over twice ARTIM is cut off",
    "PS3.8 9.2 (Sta2, Evt18, AA-2)",
    "close while the request is still arriving; ARTIM is not restarted by partial data",
    group="artim",
    requires=(ARTIM,),
)
def _artim_trickled(sut: SystemUnderTest) -> Verdict:
    outcome = play(b.trickled_request(_artim(sut), sut.ae_title, chunk=8), sut)
    return _artim_verdict(outcome, _artim(sut))


@scenario(
    "release-without-close",
    "After the A-RELEASE-RP the requestor never closes: the system closes after ARTIM",
    "PS3.8 9.2 (Sta13, AR-4, Evt18, AA-2)",
    "A-RELEASE-RP, then close the connection when ARTIM expires",
    group="release",
    cell=(S.STA13_AWAITING_TRANSPORT_CLOSE, E.EVT18_ARTIM_EXPIRED),
    requires=(ARTIM,),
)
def _release_without_close(sut: SystemUnderTest) -> Verdict:
    outcome = play(b.release_without_close(_artim(sut), sut.ae_title), sut)
    if not any(isinstance(pdu, AReleaseRP) for pdu in outcome.received):
        return verdict_of(outcome, False, "no A-RELEASE-RP")
    return _artim_verdict(outcome, _artim(sut))
