"""Faults in the DIMSE command set and in a C-STORE request (PS3.7 6.3.1, 9.3, Annex C, E).

The dicomactors SCU will not encode a command set that breaks PS3.7, so these scenarios
build the command bytes themselves (:func:`command_set`) and send them with the scripted
peer in a P-DATA-TF, on an association for Verification (and Secondary Capture, for the
C-STORE faults).

What the standard asks of the receiver differs by fault, and each scenario accepts all
that its clause allows:

- a command set that cannot be a request of PS3.7 (no Command Field, an unknown one, a
  mandatory element missing, a message left without the data set it announced) must not
  be carried out as if valid: a response with a failure status (PS3.7 Annex C, e.g.
  0x0211 Unrecognized Operation) or an A-ABORT (PS3.8 7.3, 9.2) both fit; a success
  status does not;
- a fault the standard gives the receiver no rule for (a wrong Command Group Length, a
  data set after a C-ECHO-RQ) only needs a reaction: any response, or an A-ABORT; silence
  leaves the requestor waiting forever;
- a Message ID used again after its operation completed is legal: both get answered.
"""

from __future__ import annotations

import struct
from typing import Any

from pydicom import Dataset
from pydicom.uid import CTImageStorage, generate_uid

from dicomactors.dataset import encode_dataset
from dicomactors.dimse.commands import (
    CEchoRQ,
    CStoreRQ,
    decode_command,
    encode_command,
)
from dicomactors.dimse.errors import DIMSEDecodeError
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from dicomactors.status import StatusCategory, status_category
from harness import behaviours as b
from harness.conformance.core import (
    ENDED,
    IMPLICIT,
    SECONDARY_CAPTURE,
    K,
    Status,
    Verdict,
    ct_instance,
    p_data_pdus,
    request_for,
    requestor_script,
    rq_context,
    scenario,
    verdict_of,
)
from harness.conformance.settle import ANSWER_WITHIN, play_settled
from harness.outcome import Outcome
from harness.script import Close, Expect, SendPDU, Step
from harness.systems import Capability, SystemUnderTest

GROUP = "dimse-faults"

COMMAND_FIELD = 0x0100
AFFECTED_SOP_CLASS_UID = 0x0002
COMMAND_DATA_SET_TYPE = 0x0800
UNKNOWN_COMMAND_FIELD = 0x0050
"""A Command Field value PS3.7 Annex E assigns to no message."""

_ELEMENT = struct.Struct("<HHI")
_US = struct.Struct("<H")
_UL = struct.Struct("<I")

VERIFICATION_CONTEXT = 1
STORAGE_CONTEXT = 3


def command_elements(encoded: bytes) -> dict[int, bytes]:
    """Element number -> value of a well-formed command set, its group length left out."""
    values: dict[int, bytes] = {}
    offset = 0
    while offset < len(encoded):
        _, element, length = _ELEMENT.unpack_from(encoded, offset)
        start = offset + _ELEMENT.size
        values[element] = encoded[start : start + length]
        offset = start + length
    values.pop(0x0000, None)
    return values


def command_set(elements: dict[int, bytes], group_length: int | None = None) -> bytes:
    """Group 0000 in Implicit VR Little Endian, in tag order, led by its Command Group
    Length: the true one unless ``group_length`` says otherwise."""
    body = b"".join(
        _ELEMENT.pack(0, element, len(value)) + value for element, value in sorted(elements.items())
    )
    length = len(body) if group_length is None else group_length
    return _ELEMENT.pack(0, 0x0000, 4) + _UL.pack(length) + body


def echo_elements(message_id: int = 1) -> dict[int, bytes]:
    return command_elements(encode_command(CEchoRQ(message_id, b.VERIFICATION)))


def missing_command_field() -> bytes:
    elements = echo_elements()
    del elements[COMMAND_FIELD]
    return command_set(elements)


def unknown_command() -> bytes:
    elements = echo_elements()
    elements[COMMAND_FIELD] = _US.pack(UNKNOWN_COMMAND_FIELD)
    return command_set(elements)


def missing_affected_sop_class() -> bytes:
    elements = echo_elements()
    del elements[AFFECTED_SOP_CLASS_UID]
    return command_set(elements)


def wrong_group_length() -> bytes:
    """A C-ECHO-RQ whose Command Group Length claims 10 bytes more than follow."""
    elements = echo_elements()
    true_length = len(command_set(elements)) - 12
    return command_set(elements, group_length=true_length + 10)


def echo_announcing_data_set(message_id: int = 1) -> bytes:
    """A C-ECHO-RQ whose Command Data Set Type says a data set follows (PS3.7 E.1-1)."""
    elements = echo_elements(message_id)
    elements[COMMAND_DATA_SET_TYPE] = _US.pack(0x0001)
    return command_set(elements)


def _command_pdu(command: bytes, context_id: int = VERIFICATION_CONTEXT) -> PDataTF:
    return PDataTF((PresentationDataValue(context_id, True, True, command),))


def _data_set_pdu(data: bytes, context_id: int) -> PDataTF:
    return PDataTF((PresentationDataValue(context_id, False, True, data),))


def commands_received(outcome: Outcome) -> list[Any]:
    """Every DIMSE command the system sent, in order (undecodable ones as the error)."""
    found: list[Any] = []
    data = b""
    for pdu in p_data_pdus(outcome):
        for pdv in pdu.pdvs:
            if not pdv.is_command:
                continue
            data += bytes(pdv.data)
            if pdv.is_last:
                try:
                    found.append(decode_command(data))
                except DIMSEDecodeError as error:
                    found.append(error)
                data = b""
    return found


def _status_text(response: Any) -> str:
    if isinstance(response, DIMSEDecodeError):
        return f"an undecodable response ({response})"
    status = getattr(response, "status", None)
    name = type(response).__name__
    return f"{name} status {status:#06x}" if isinstance(status, int) else f"{name} without status"


def is_failure(response: Any) -> bool:
    status = getattr(response, "status", None)
    return isinstance(status, int) and status_category(status) is StatusCategory.FAILURE


def _fault_script(name: str, sut: SystemUnderTest, *sends: PDataTF) -> Any:
    contexts = (
        rq_context(VERIFICATION_CONTEXT, b.VERIFICATION),
        rq_context(STORAGE_CONTEXT, SECONDARY_CAPTURE),
    )
    steps: list[Step] = [
        SendPDU(request_for(sut, contexts)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
    ]
    steps += [SendPDU(pdu) for pdu in sends]
    steps += [Expect((PDataTF, AAbort), b.REPLY_WITHIN, or_close=True), Close()]
    return requestor_script(name, steps)


def ended_in_answer(outcome: Outcome) -> bool:
    return outcome.kind in ENDED and outcome.reaction_time < ANSWER_WITHIN


def _late_end(outcome: Outcome) -> Verdict:
    why = f"no answer; the end {outcome.reaction_time:.1f} s later is the node's idle timeout"
    return verdict_of(outcome, False, why)


def _fault(name: str, sut: SystemUnderTest, *sends: PDataTF) -> Outcome:
    return play_settled(_fault_script(name, sut, *sends), sut)


def not_associated(outcome: Outcome) -> Verdict | None:
    """A NOT_RUN verdict when the association the fault needs was never accepted: the
    check was not made, and that is no finding."""
    if any(isinstance(pdu, AAssociateAC) for pdu in outcome.received):
        return None
    seen = f"association not accepted ({outcome.headline()}): no check made"
    return Verdict(Status.NOT_RUN, seen, outcome.elapsed, outcome.describe())


def refused(outcome: Outcome) -> Verdict:
    """PASSED for an A-ABORT, a close or a failure status; a success or silence deviates.

    A response comes first: a success followed by an A-ABORT was still carried out.
    """
    if (unmade := not_associated(outcome)) is not None:
        return unmade
    responses = commands_received(outcome)
    if responses:
        seen = _status_text(responses[0])
        if is_failure(responses[0]):
            return verdict_of(outcome, True, seen)
        return verdict_of(outcome, False, f"{seen}: carried out as if valid")
    if ended_in_answer(outcome):
        return verdict_of(outcome, True)
    if outcome.kind in ENDED:
        return _late_end(outcome)
    return verdict_of(outcome, False, "no response and no A-ABORT")


def reacted(outcome: Outcome) -> Verdict:
    """PASSED for any response or an A-ABORT or close; silence deviates."""
    if (unmade := not_associated(outcome)) is not None:
        return unmade
    if ended_in_answer(outcome):
        return verdict_of(outcome, True)
    if outcome.kind in ENDED:
        return _late_end(outcome)
    responses = commands_received(outcome)
    if not responses:
        return verdict_of(outcome, False, "no response and no A-ABORT")
    return verdict_of(outcome, True, _status_text(responses[0]))


_REFUSE = "a failure status (PS3.7 Annex C) or an A-ABORT; not a success"


@scenario(
    "command-missing-command-field",
    "A command set without its Command Field (0000,0100)",
    "PS3.7 6.3.1, E.1 (Command Field mandatory); PS3.8 7.3",
    _REFUSE,
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _missing_field(sut: SystemUnderTest) -> Verdict:
    name = "command-missing-command-field"
    return refused(_fault(name, sut, _command_pdu(missing_command_field())))


@scenario(
    "command-unknown",
    f"A command set whose Command Field ({UNKNOWN_COMMAND_FIELD:#06x}) names no DIMSE message",
    "PS3.7 E.1, C.5 (0x0211 Unrecognized Operation); PS3.8 7.3",
    "a failure status (0x0211 fits) or an A-ABORT; not a success",
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _unknown(sut: SystemUnderTest) -> Verdict:
    script = _fault_script("command-unknown", sut, _command_pdu(unknown_command()))
    return refused(play_settled(script, sut))


@scenario(
    "command-missing-affected-sop-class",
    "A C-ECHO-RQ without its mandatory Affected SOP Class UID",
    "PS3.7 9.3.5.1 (Table 9.3-12), C.5",
    _REFUSE,
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _missing_class(sut: SystemUnderTest) -> Verdict:
    name = "command-missing-affected-sop-class"
    return refused(_fault(name, sut, _command_pdu(missing_affected_sop_class())))


@scenario(
    "command-wrong-group-length",
    "A C-ECHO-RQ whose Command Group Length claims 10 bytes more than follow",
    "PS3.7 E.1 (Command Group Length); PS3.5 7.2",
    "a response (the receiver's rule is left open) or an A-ABORT; not silence",
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _group_length(sut: SystemUnderTest) -> Verdict:
    name = "command-wrong-group-length"
    return reacted(_fault(name, sut, _command_pdu(wrong_group_length())))


@scenario(
    "command-data-set-never-comes",
    "A C-ECHO-RQ announcing a data set, followed by the next command instead of it",
    "PS3.7 9.3.5.1 (Command Data Set Type 0x0101), 6.3.1; PS3.8 E.2",
    "an A-ABORT or a failure status for message 1; not a success, not silence",
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _never_comes(sut: SystemUnderTest) -> Verdict:
    sends = (_command_pdu(echo_announcing_data_set(1)), b.echo_request(2, VERIFICATION_CONTEXT))
    outcome = _fault("command-data-set-never-comes", sut, *sends)
    if (unmade := not_associated(outcome)) is not None:
        return unmade
    if ended_in_answer(outcome):
        return verdict_of(outcome, True)
    if outcome.kind in ENDED:
        return _late_end(outcome)
    responses = commands_received(outcome)
    to_first = [r for r in responses if getattr(r, "message_id_being_responded_to", 0) == 1]
    if not to_first:
        return verdict_of(outcome, False, "message 1 left unanswered, no A-ABORT")
    return refused(outcome) if responses[0] is to_first[0] else verdict_of(outcome, True)


@scenario(
    "command-data-set-on-echo",
    "A C-ECHO-RQ that announces and sends a data set, which C-ECHO never takes",
    "PS3.7 9.3.5.1 (Command Data Set Type 0x0101)",
    "a response (a failure fits) or an A-ABORT; not silence",
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _data_on_echo(sut: SystemUnderTest) -> Verdict:
    extra = Dataset()
    extra.PatientID = "HARNESS"
    sends = (
        _command_pdu(echo_announcing_data_set(1)),
        _data_set_pdu(encode_dataset(extra, IMPLICIT), VERIFICATION_CONTEXT),
    )
    return reacted(_fault("command-data-set-on-echo", sut, *sends))


@scenario(
    "message-id-reused",
    "Two C-ECHO-RQs in turn with the same Message ID (the first completed before)",
    "PS3.7 9.3.5.1 (Message ID), C.5 (0x0210 Duplicate Invocation is for an operation"
    " still outstanding)",
    "both answered (0x0000; 0x0210 for the second is tolerated); no A-ABORT",
    group=GROUP,
    requires=(Capability.ECHO,),
)
def _reused(sut: SystemUnderTest) -> Verdict:
    steps = (
        SendPDU(request_for(sut)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(b.echo_request(7)),
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(b.echo_request(7)),
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN),
        Close(),
    )
    outcome = play_settled(requestor_script("message-id-reused", steps), sut)
    if (unmade := not_associated(outcome)) is not None:
        return unmade
    statuses = [getattr(r, "status", None) for r in commands_received(outcome)]
    ok = outcome.kind is K.RELEASED and statuses[:1] == [0] and statuses[1:] in ([0], [0x0210])
    return verdict_of(outcome, ok, f"statuses {[hex(s) for s in statuses if s is not None]}")


def store_request(
    message_id: int, sop_class: str, sop_instance: str, data: bytes
) -> tuple[PDataTF, PDataTF]:
    command = encode_command(CStoreRQ(message_id, sop_class, sop_instance))
    return _command_pdu(command, STORAGE_CONTEXT), _data_set_pdu(data, STORAGE_CONTEXT)


@scenario(
    "c-store-sop-class-mismatch",
    "A C-STORE-RQ for CT Image Storage on the Secondary Capture presentation context",
    "PS3.7 9.1.1.1, 9.3.1.1 (Affected SOP Class UID); PS3.4 B.2.3; PS3.8 7.1.1.13",
    "a failure status (0x0122, 0xA9xx or 0xCxxx) or an A-ABORT; not a success",
    group=GROUP,
    requires=(Capability.STORE,),
)
def _class_mismatch(sut: SystemUnderTest) -> Verdict:
    ds = ct_instance("DA-MISMATCH")
    ds.SOPClassUID = CTImageStorage
    sends = store_request(1, str(CTImageStorage), ds.SOPInstanceUID, encode_dataset(ds, IMPLICIT))
    return refused(_fault("c-store-sop-class-mismatch", sut, *sends))


@scenario(
    "c-store-instance-uid-mismatch",
    "A C-STORE-RQ whose Affected SOP Instance UID differs from the data set's",
    "PS3.7 9.3.1.1 (Affected SOP Instance UID: the instance to be stored); PS3.4 B.2.3",
    "a failure status (0xA900 or 0xCxxx fit) or an A-ABORT; not a success",
    group=GROUP,
    requires=(Capability.STORE,),
)
def _instance_mismatch(sut: SystemUnderTest) -> Verdict:
    ds = ct_instance("DA-MISMATCH")
    other = generate_uid()
    sends = store_request(1, SECONDARY_CAPTURE, other, encode_dataset(ds, IMPLICIT))
    return refused(_fault("c-store-instance-uid-mismatch", sut, *sends))
