"""Flow control and robustness: a node keeps serving (PS3.8 7.3, 7.4, 9.1.1, 9.2)."""

from __future__ import annotations

from harness import behaviours as b
from harness.conformance.core import (
    K,
    NoConnection,
    Status,
    Verdict,
    p_data_pdus,
    play,
    scenario,
    verdict_of,
)
from harness.conformance.malformed import malformed_script
from harness.malformed import MALFORMED_CASES
from harness.systems import Capability, SystemUnderTest


@scenario(
    "stops-reading",
    "A requestor that stops reading for a while is answered once it reads again",
    "PS3.8 9.1.1",
    "all 100 C-ECHO-RSPs and the A-RELEASE-RP, late but complete",
    group="robustness",
    requires=(Capability.ECHO,),
)
def _stops_reading(sut: SystemUnderTest) -> Verdict:
    outcome = play(b.stops_reading(sut.ae_title, hold=1.0, echoes=100), sut)
    answers = sum(len(pdu.pdvs) for pdu in p_data_pdus(outcome))
    ok = outcome.kind is K.RELEASED
    return verdict_of(outcome, ok, f"{answers} PDVs answered")


@scenario(
    "still-serving-after-hostile-input",
    "After malformed PDUs and aborts the system still serves new associations",
    "PS3.8 7.3, 7.4, 9.2",
    "a fresh association, C-ECHO and release succeed",
    group="robustness",
)
def _still_serving(sut: SystemUnderTest) -> Verdict:
    sent = []
    try:
        for case in MALFORMED_CASES[:3]:
            sent.append(play(malformed_script(case, sut), sut))
        sent.append(play(b.abort_established(sut.ae_title), sut))
        outcome = play(b.associate_echo_release(sut.ae_title), sut)
    except NoConnection as error:
        if not sent:
            raise
        # It was there for the first input and gone by a later one: what it exists to see.
        transcript = "\n\n".join(outcome.describe() for outcome in sent)
        return Verdict(Status.DEVIATES, f"the node stopped serving: {error}", 0.0, transcript)
    return verdict_of(outcome, outcome.kind is K.RELEASED)
