"""The maximum PDU length (PS3.8 D.1)."""

from __future__ import annotations

from typing import Any

from pydicom.uid import (
    generate_uid,
)

from dicomactors.dataset import encode_dataset
from dicomactors.dimse.commands import (
    CStoreRQ,
    CStoreRSP,
    encode_command,
)
from dicomactors.pdu import (
    AAssociateAC,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
    encode_pdu,
)
from harness import behaviours as b
from harness.conformance.core import (
    IMPLICIT,
    SECONDARY_CAPTURE,
    SMALL_MAXIMUM,
    K,
    Verdict,
    accept_pdu,
    ct_instance,
    echo_answered,
    ended,
    first_command,
    p_data_pdus,
    play,
    request_for,
    requestor_script,
    rq_context,
    scenario,
    verdict_of,
)
from harness.outcome import Outcome
from harness.script import Close, Expect, SendPDU, SendReply
from harness.systems import Capability, SystemUnderTest


def _echo_with(sut: SystemUnderTest, max_pdu_length: int, name: str) -> tuple[Outcome, Any]:
    steps = (
        SendPDU(request_for(sut, max_pdu_length=max_pdu_length)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(b.echo_request(message_id=5)),
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = play(requestor_script(name, steps), sut)
    return outcome, first_command(outcome)


@scenario(
    "max-pdu-small-respected",
    f"The system's PDUs respect our maximum length ({SMALL_MAXIMUM} bytes)",
    "PS3.8 D.1, 9.3.5",
    f"every P-DATA-TF at most {SMALL_MAXIMUM} bytes long: the C-ECHO-RSP is split to fit",
    group="max-pdu",
)
def _max_pdu_small(sut: SystemUnderTest) -> Verdict:
    outcome, response = _echo_with(sut, SMALL_MAXIMUM, "max-pdu-small")
    lengths = [len(encode_pdu(pdu)) - 6 for pdu in p_data_pdus(outcome)]
    problems = [f"P-DATA-TF lengths {lengths}"]
    too_long = [n for n in lengths if n > SMALL_MAXIMUM]
    if too_long:
        problems.append(f"{len(too_long)} over {SMALL_MAXIMUM}")
    if problem := echo_answered(response, 5):
        problems.append(problem)
    ok = outcome.kind is K.RELEASED and not too_long and len(problems) == 1
    return verdict_of(outcome, ok, "; ".join(problems))


@scenario(
    "max-pdu-unlimited-accepted",
    "A maximum length of 0 (no limit) is accepted",
    "PS3.8 D.1",
    "A-ASSOCIATE-AC and a C-ECHO-RSP: 0 means the requestor sets no limit",
    group="max-pdu",
)
def _max_pdu_unlimited(sut: SystemUnderTest) -> Verdict:
    outcome, response = _echo_with(sut, 0, "max-pdu-unlimited")
    problem = echo_answered(response, 5)
    return verdict_of(outcome, outcome.kind is K.RELEASED and not problem, problem)


@scenario(
    "max-pdu-at-limit-accepted",
    "A P-DATA-TF exactly as long as the system's announced maximum is taken",
    "PS3.8 D.1, 9.3.5",
    "a C-STORE-RSP (any status), no A-ABORT",
    group="max-pdu",
    requires=(Capability.STORE,),
)
def _max_pdu_at_limit(sut: SystemUnderTest) -> Verdict:
    sop_instance = generate_uid()

    def command(ac: Any) -> bytes:
        rq = CStoreRQ(1, SECONDARY_CAPTURE, sop_instance, has_dataset=True)
        return encode_pdu(PDataTF((PresentationDataValue(1, True, True, encode_command(rq)),)))

    steps = (
        SendPDU(request_for(sut, (rq_context(1, SECONDARY_CAPTURE),))),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendReply(command, "C-STORE-RQ command"),
        SendReply(lambda ac: _store_data_at_limit(ac, sop_instance), "data set at the maximum"),
        Expect((PDataTF,), b.REPLY_WITHIN * 2),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = play(requestor_script("max-pdu-at-limit", steps), sut)
    ac = accept_pdu(outcome)
    response = first_command(outcome)
    announced = ac.maximum_length if ac is not None else None
    if isinstance(response, CStoreRSP):
        seen = f"C-STORE-RSP status {response.status:#06x} (maximum {announced})"
        return verdict_of(outcome, outcome.kind is K.RELEASED, seen)
    return verdict_of(outcome, False, f"no C-STORE-RSP (maximum {announced})")


def _store_data_at_limit(ac: Any, sop_instance: str) -> bytes:
    maximum = (ac.maximum_length if isinstance(ac, AAssociateAC) else None) or 16384
    ds = ct_instance("DA-MAXPDU", 2)
    ds.SOPInstanceUID = sop_instance
    base = len(encode_dataset(ds, IMPLICIT))
    pixels = maximum - 6 - base + 2
    ds.Columns = pixels
    ds.PixelData = bytes(pixels)
    data = encode_dataset(ds, IMPLICIT)
    pdu = encode_pdu(PDataTF((PresentationDataValue(1, False, True, data),)))
    assert len(pdu) - 6 == maximum, (len(pdu), maximum)
    return pdu


@scenario(
    "pdu-over-maximum",
    "A P-DATA-TF one byte over the system's announced maximum is refused",
    "PS3.8 D.1, 9.2 (AA-8)",
    "A-ABORT (or close)",
    group="max-pdu",
)
def _pdu_over_maximum(sut: SystemUnderTest) -> Verdict:
    return ended(play(b.pdu_over_maximum(sut.ae_title), sut), "the oversized PDU was taken")


@scenario(
    "p-data-on-unaccepted-context",
    "A PDV on a presentation context that was not accepted is refused",
    "PS3.8 9.3.5.1, PS3.7 7.1",
    "A-ABORT (or close), no C-ECHO-RSP",
    group="max-pdu",
)
def _p_data_unaccepted(sut: SystemUnderTest) -> Verdict:
    return ended(play(b.p_data_on_unaccepted_context(sut.ae_title), sut), "it was answered")
