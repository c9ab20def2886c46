"""Service-level semantics of an SCP (PS3.4 B, C, F, J) and the extended negotiation it
answers (PS3.7 D.3.3.3, D.3.3.7).

Plain service exchanges use the dicomactors SCU; the negotiation checks send their
A-ASSOCIATE-RQ with the scripted peer, to see the A-ASSOCIATE-AC as it is on the wire.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from pydicom import Dataset
from pydicom.uid import generate_uid

from dicomactors.dataset import encode_dataset
from dicomactors.dimse.commands import CCancelRQ, CFindRQ, CFindRSP, encode_command
from dicomactors.pdu import (
    AAssociateAC,
    AAssociateRJ,
    AReleaseRP,
    AReleaseRQ,
    AsynchronousOperationsWindowItem,
    PDataTF,
    PresentationDataValue,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserIdentityType,
)
from dicomactors.status import StatusCategory, status_category
from harness import behaviours as b
from harness.conformance.core import (
    ENDED,
    IMPLICIT,
    SECONDARY_CAPTURE,
    STUDY_ROOT_FIND,
    STUDY_ROOT_GET,
    STUDY_ROOT_MOVE,
    Status,
    Verdict,
    accept_pdu,
    ct_instance,
    request_for,
    requestor_script,
    rq_context,
    scenario,
    verdict_of,
)
from harness.conformance.dimse_faults import commands_received
from harness.conformance.settle import is_transient, play_settled, settled_association
from harness.script import Close, Expect, SendPDU, Step
from harness.systems import Capability, SystemUnderTest

GROUP = "services"

UNKNOWN_LEVEL = "NOSUCHLEVEL"
"""A Query/Retrieve Level (0008,0052) that PS3.4 C.6 does not define."""

CANCEL_MATCHES = 8
"""How many studies the C-CANCEL scenario stores, so that pending responses flow."""

STORAGE_COMMITMENT_PUSH = "1.2.840.10008.1.20.1"
STORAGE_COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"
"""The well-known SOP Instance of the Storage Commitment Push Model (PS3.4 J.3.5)."""
MPPS = "1.2.840.10008.3.1.2.3.3"

PROPOSED_WINDOW = 5


def _timed(start: float) -> float:
    return time.monotonic() - start


def _status(ds: Dataset | None) -> int | None:
    return int(ds.Status) if ds is not None and "Status" in ds else None


def _hex(status: int | None) -> str:
    return "no status" if status is None else f"{status:#06x}"


def _is_failure(status: int | None) -> bool:
    return status is not None and status_category(status) is StatusCategory.FAILURE


def _patient_id() -> str:
    return "DA-" + uuid.uuid4().hex[:12].upper()


def _store_all(sut: SystemUnderTest, datasets: list[Dataset]) -> list[int | None]:
    with settled_association(sut, SECONDARY_CAPTURE) as assoc:
        if not assoc.is_established:
            return [None]
        return [_status(assoc.send_c_store(ds)) for ds in datasets]


def _stored(statuses: list[int | None]) -> bool:
    return all(s is not None and (s == 0 or s & 0xF000 == 0xB000) for s in statuses)


def _level_query() -> Dataset:
    query = Dataset()
    query.QueryRetrieveLevel = UNKNOWN_LEVEL
    query.PatientID = _patient_id()
    query.StudyInstanceUID = ""
    return query


def _unknown_level(
    sut: SystemUnderTest, model: str, send: Callable[[Any, Dataset], Any], what: str
) -> Verdict:
    start = time.monotonic()
    with settled_association(sut, model) as assoc:
        if not assoc.is_established:
            return Verdict(Status.NOT_RUN, "association not accepted: no check made", _timed(start))
        responses = list(send(assoc, _level_query()))
    statuses = [_status(status) for status, _ in responses]
    final = statuses[-1] if statuses else None
    pending = len(statuses) - 1 if statuses else 0
    ok = _is_failure(final) and pending == 0
    seen = f"{what} final status {_hex(final)}, {pending} pending responses"
    return Verdict(Status.PASSED if ok else Status.DEVIATES, seen, _timed(start))


@scenario(
    "c-find-unknown-level",
    f"C-FIND with Query/Retrieve Level {UNKNOWN_LEVEL!r}",
    "PS3.4 C.6 (the levels), C.4.1.1.4 (0xA900 Identifier does not match SOP Class, 0xCxxx)",
    "a failure status (0xA900 or 0xCxxx fit), no pending response",
    group=GROUP,
    requires=(Capability.FIND,),
)
def _find_level(sut: SystemUnderTest) -> Verdict:
    def send(assoc: Any, query: Dataset) -> Any:
        return assoc.send_c_find(query, STUDY_ROOT_FIND)

    return _unknown_level(sut, STUDY_ROOT_FIND, send, "C-FIND")


@scenario(
    "c-get-unknown-level",
    f"C-GET with Query/Retrieve Level {UNKNOWN_LEVEL!r}",
    "PS3.4 C.6 (the levels), C.4.3.1.4 (0xA900 Identifier does not match SOP Class, 0xCxxx)",
    "a failure status (0xA900 or 0xCxxx fit), no pending response",
    group=GROUP,
    requires=(Capability.GET,),
)
def _get_level(sut: SystemUnderTest) -> Verdict:
    def send(assoc: Any, query: Dataset) -> Any:
        return assoc.send_c_get(query, STUDY_ROOT_GET)

    return _unknown_level(sut, STUDY_ROOT_GET, send, "C-GET")


@scenario(
    "c-move-unknown-level",
    f"C-MOVE with Query/Retrieve Level {UNKNOWN_LEVEL!r}",
    "PS3.4 C.6 (the levels), C.4.2.1.5 (0xA900 Identifier does not match SOP Class, 0xCxxx)",
    "a failure status (0xA900, 0xCxxx, or 0xA801 for the destination), no pending response",
    group=GROUP,
    requires=(Capability.MOVE,),
)
def _move_level(sut: SystemUnderTest) -> Verdict:
    def send(assoc: Any, query: Dataset) -> Any:
        return assoc.send_c_move(query, "NO-SUCH-DEST", STUDY_ROOT_MOVE)

    return _unknown_level(sut, STUDY_ROOT_MOVE, send, "C-MOVE")


def cancel_script(sut: SystemUnderTest, query: Dataset, matches: int) -> Any:
    """C-FIND-RQ (message 11) with its identifier, and at once a C-CANCEL-RQ for it; then
    take up to two P-DATA-TFs per match and for the final response (a command and an
    identifier may come in PDUs of their own), and close."""
    command = encode_command(CFindRQ(11, STUDY_ROOT_FIND))
    cancel = encode_command(CCancelRQ(11))
    find = (
        PresentationDataValue(1, True, True, command),
        PresentationDataValue(1, False, True, encode_dataset(query, IMPLICIT)),
    )
    steps: list[Step] = [
        SendPDU(request_for(sut, (rq_context(1, STUDY_ROOT_FIND),))),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(PDataTF(find)),
        SendPDU(PDataTF((PresentationDataValue(1, True, True, cancel),))),
    ]
    steps += [Expect((PDataTF,), b.REPLY_WITHIN, or_close=True)] * (2 * matches + 2)
    steps.append(Close())
    return requestor_script("c-find-cancel", steps)


def find_statuses(outcome: Any) -> list[int]:
    return [r.status for r in commands_received(outcome) if isinstance(r, CFindRSP)]


@scenario(
    "c-find-cancel",
    f"A C-CANCEL-RQ right behind a C-FIND-RQ that matches {CANCEL_MATCHES} studies",
    "PS3.7 9.1.2.1, 9.3.2.3 (C-CANCEL-RQ); PS3.4 C.4.1.1.4 (0xFE00 Matching terminated"
    " due to Cancel request)",
    "final status 0xFE00; or 0x0000 after every match, if the matching was over before"
    " the cancel was read",
    group=GROUP,
    requires=(Capability.STORE, Capability.FIND),
)
def _find_cancel(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    patient = _patient_id()
    stored = _store_all(sut, [ct_instance(patient) for _ in range(CANCEL_MATCHES)])
    if not _stored(stored):
        return Verdict(Status.NOT_RUN, "C-STORE (setting up) failed: no check made", _timed(start))
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.PatientID = patient
    query.StudyInstanceUID = ""
    outcome = play_settled(cancel_script(sut, query, CANCEL_MATCHES), sut)
    statuses = find_statuses(outcome)
    finals = [s for s in statuses if s not in (0xFF00, 0xFF01)]
    final = finals[0] if finals else None
    pending = len(statuses) - len(finals)
    late = final == 0 and pending == CANCEL_MATCHES
    ok = final == 0xFE00 or late
    why = f"final status {_hex(final)} after {pending} pending responses"
    if outcome.kind in ENDED and final is None:
        why += ": the association ended instead"
    return verdict_of(outcome, ok, why)


def _commitment_request(ds: Dataset) -> Dataset:
    request = Dataset()
    request.TransactionUID = generate_uid()
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    request.ReferencedSOPSequence = [item]
    return request


@scenario(
    "n-action-storage-commitment",
    "Storage Commitment N-ACTION (Request Storage Commitment) for an instance just stored",
    "PS3.7 10.1.4, 10.3.4; PS3.4 J.3.2.1",
    "N-ACTION-RSP with status 0x0000",
    group=GROUP,
    requires=(Capability.STORE, Capability.COMMITMENT),
)
def _commitment(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    ds = ct_instance(_patient_id())
    if not _stored(_store_all(sut, [ds])):
        return Verdict(Status.NOT_RUN, "C-STORE (setting up) failed: no check made", _timed(start))
    with settled_association(sut, STORAGE_COMMITMENT_PUSH) as assoc:
        if not assoc.is_established:
            return Verdict(Status.NOT_RUN, "association not accepted: no check made", _timed(start))
        status, _ = assoc.send_n_action(
            _commitment_request(ds), 1, STORAGE_COMMITMENT_PUSH, STORAGE_COMMITMENT_INSTANCE
        )
    code = _status(status)
    seen = f"N-ACTION-RSP status {_hex(code)}"
    return Verdict(Status.PASSED if code == 0 else Status.DEVIATES, seen, _timed(start))


def _mpps_create() -> Dataset:
    """The N-CREATE attributes of PS3.4 F.7.2.1 Table F.7.2-1 that are Type 1 or 2."""
    ds = Dataset()
    step = Dataset()
    step.StudyInstanceUID = generate_uid()
    step.AccessionNumber = ""
    step.RequestedProcedureID = ""
    step.ScheduledProcedureStepID = ""
    ds.ScheduledStepAttributesSequence = [step]
    ds.PatientName = "HARNESS^MPPS"
    ds.PatientID = _patient_id()
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.PerformedProcedureStepID = "1"
    ds.PerformedStationAETitle = "HARNESS"
    ds.PerformedStationName = ""
    ds.PerformedLocation = ""
    ds.PerformedProcedureStepStartDate = "20240101"
    ds.PerformedProcedureStepStartTime = "120000"
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.PerformedProcedureStepDescription = ""
    ds.PerformedProcedureTypeDescription = ""
    ds.ProcedureCodeSequence = []
    ds.PerformedProcedureStepEndDate = ""
    ds.PerformedProcedureStepEndTime = ""
    ds.Modality = "OT"
    ds.StudyID = ""
    ds.PerformedProtocolCodeSequence = []
    ds.PerformedSeriesSequence = []
    return ds


def _mpps_complete() -> Dataset:
    ds = Dataset()
    ds.PerformedProcedureStepStatus = "COMPLETED"
    ds.PerformedProcedureStepEndDate = "20240101"
    ds.PerformedProcedureStepEndTime = "121000"
    return ds


@scenario(
    "mpps-n-create-n-set",
    "MPPS: N-CREATE an IN PROGRESS step, then N-SET it COMPLETED",
    "PS3.7 10.1.5, 10.1.3; PS3.4 F.7.2.1, F.7.2.2",
    "N-CREATE-RSP 0x0000 with the instance, then N-SET-RSP 0x0000",
    group=GROUP,
    requires=(Capability.N_SERVICES,),
    note="Modality Performed Procedure Step SCP",
)
def _mpps(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    instance = generate_uid()
    with settled_association(sut, MPPS) as assoc:
        if not assoc.is_established:
            return Verdict(Status.NOT_RUN, "association not accepted: no check made", _timed(start))
        created, _ = assoc.send_n_create(_mpps_create(), MPPS, instance)
        code = _status(created)
        if code != 0:
            seen = f"N-CREATE-RSP status {_hex(code)}"
            return Verdict(Status.DEVIATES, seen, _timed(start))
        updated, _ = assoc.send_n_set(_mpps_complete(), MPPS, instance)
    set_code = _status(updated)
    seen = f"N-CREATE-RSP 0x0000, N-SET-RSP status {_hex(set_code)}"
    return Verdict(Status.PASSED if set_code == 0 else Status.DEVIATES, seen, _timed(start))


# -- extended negotiation ------------------------------------------------------------------


def _negotiation(sut: SystemUnderTest, name: str, item: Any) -> Any:
    steps = (
        SendPDU(request_for(sut, extra_items=(item,))),
        Expect((AAssociateAC, AAssociateRJ), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, or_close=True),
        Close(),
    )
    return play_settled(requestor_script(name, steps), sut)


def _turned_away(outcome: Any) -> Verdict | None:
    """NOT_RUN (no check made) when the system still turned the association away as
    transient after the wind-down: its load, not its answer to the negotiation."""
    if not is_transient(outcome):
        return None
    return Verdict(Status.NOT_RUN, f"{outcome.headline()}: no check made", outcome.elapsed)


@scenario(
    "async-operations-window",
    f"An A-ASSOCIATE-RQ proposing an asynchronous operations window of {PROPOSED_WINDOW}/"
    f"{PROPOSED_WINDOW}",
    "PS3.7 D.3.3.3",
    f"no window item (the default 1/1), or one with both values from 1 to {PROPOSED_WINDOW}",
    group=GROUP,
)
def _async_window(sut: SystemUnderTest) -> Verdict:
    item = AsynchronousOperationsWindowItem(PROPOSED_WINDOW, PROPOSED_WINDOW)
    outcome = _negotiation(sut, "async-operations-window", item)
    if (unmade := _turned_away(outcome)) is not None:
        return unmade
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC")
    windows = [i for i in ac.user_information if isinstance(i, AsynchronousOperationsWindowItem)]
    if not windows:
        return verdict_of(outcome, True, "no window item: operations are not asynchronous")
    window = windows[0]
    values = (window.maximum_invoked, window.maximum_performed)
    ok = len(windows) == 1 and all(1 <= value <= PROPOSED_WINDOW for value in values)
    return verdict_of(outcome, ok, f"window item {values[0]}/{values[1]}")


def _identity(positive: bool) -> UserIdentityRQItem:
    return UserIdentityRQItem(UserIdentityType.USERNAME, positive, b"harness")


@scenario(
    "user-identity-positive-response",
    "User identity (username) with a positive response requested",
    "PS3.7 D.3.3.7",
    "A-ASSOCIATE-AC with an empty server response item (or without one, if user identity"
    " is not supported), or an A-ASSOCIATE-RJ from the service-user",
    group=GROUP,
)
def _identity_positive(sut: SystemUnderTest) -> Verdict:
    outcome = _negotiation(sut, "user-identity-positive-response", _identity(True))
    if (unmade := _turned_away(outcome)) is not None:
        return unmade
    if outcome.reject is not None:
        by_user = outcome.reject[1] == 1
        return verdict_of(outcome, by_user, "rejected by the service-user" if by_user else "")
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC or -RJ")
    answers = [i for i in ac.user_information if isinstance(i, UserIdentityACItem)]
    if not answers:
        return verdict_of(outcome, True, "no user identity item: not supported, so ignored")
    response = answers[0].server_response
    ok = len(answers) == 1 and response == b""
    return verdict_of(outcome, ok, f"server response of {len(response)} bytes for a username")


@scenario(
    "user-identity-no-response-requested",
    "User identity (username) without a positive response requested",
    "PS3.7 D.3.3.7",
    "A-ASSOCIATE-AC without a user identity item (or an A-ASSOCIATE-RJ from the service-user)",
    group=GROUP,
)
def _identity_quiet(sut: SystemUnderTest) -> Verdict:
    outcome = _negotiation(sut, "user-identity-no-response-requested", _identity(False))
    if (unmade := _turned_away(outcome)) is not None:
        return unmade
    if outcome.reject is not None:
        return verdict_of(outcome, outcome.reject[1] == 1)
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC or -RJ")
    answers = [i for i in ac.user_information if isinstance(i, UserIdentityACItem)]
    return verdict_of(outcome, not answers, "a user identity item came back" if answers else "")
