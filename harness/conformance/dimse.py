"""DIMSE services through the dicomactors SCU (PS3.7 9)."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from pydicom import Dataset

from dicomactors.dimse.commands import (
    CEchoRQ,
    encode_command,
)
from dicomactors.pdu import (
    AAssociateAC,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from harness import behaviours as b
from harness.conformance.core import (
    EXPLICIT,
    IMPLICIT,
    MOVE_DESTINATION,
    SECONDARY_CAPTURE,
    STUDY_ROOT_FIND,
    STUDY_ROOT_GET,
    STUDY_ROOT_MOVE,
    K,
    Status,
    Verdict,
    ct_instance,
    echo_answered,
    first_command,
    parse_move_destination,
    play,
    request_for,
    requestor_script,
    scenario,
    scu_association,
    verdict_of,
)
from harness.script import Close, Expect, SendPDU, Step
from harness.systems import Capability, SystemUnderTest


def _timed(start: float) -> float:
    return time.monotonic() - start


def _status_verdict(
    start: float, what: str, status: int | None, ok: bool, more: str = ""
) -> Verdict:
    shown = "no status" if status is None else f"status {status:#06x}"
    seen = f"{what} {shown}" + (f"; {more}" if more else "")
    return Verdict(Status.PASSED if ok else Status.DEVIATES, seen, _timed(start))


def _status_of(ds: Dataset) -> int | None:
    return int(ds.Status) if "Status" in ds else None


@scenario(
    "c-echo",
    "C-ECHO through a Verification context",
    "PS3.7 9.1.5, 9.3.5",
    "C-ECHO-RSP with status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _c_echo(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    with scu_association(sut, b.VERIFICATION) as assoc:
        if not assoc.is_established:
            return Verdict(Status.DEVIATES, "association not accepted", _timed(start))
        status = _status_of(assoc.send_c_echo())
    return _status_verdict(start, "C-ECHO-RSP", status, status == 0)


def _fragmented_echo(sut: SystemUnderTest, name: str, one_pdu: bool) -> Verdict:
    command = encode_command(CEchoRQ(7, b.VERIFICATION))
    cuts = [0, 10, len(command) // 2, len(command)]
    pdvs = [
        PresentationDataValue(1, True, end == len(command), command[start:end])
        for start, end in itertools.pairwise(cuts)
    ]
    sends: list[Step] = (
        [SendPDU(PDataTF(tuple(pdvs)))] if one_pdu else [SendPDU(PDataTF((pdv,))) for pdv in pdvs]
    )
    steps = (
        SendPDU(request_for(sut)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        *sends,
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = play(requestor_script(name, steps), sut)
    problem = echo_answered(first_command(outcome), 7)
    return verdict_of(outcome, outcome.kind is K.RELEASED and not problem, problem)


@scenario(
    "c-echo-fragmented-across-pdus",
    "A C-ECHO-RQ command split over three P-DATA-TFs is reassembled",
    "PS3.8 9.3.5.1, PS3.7 E.2 (message fragmentation)",
    "one C-ECHO-RSP for message 7, status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _echo_across(sut: SystemUnderTest) -> Verdict:
    return _fragmented_echo(sut, "c-echo-fragmented-across-pdus", one_pdu=False)


@scenario(
    "c-echo-fragmented-within-pdu",
    "A C-ECHO-RQ command split over three PDVs of one P-DATA-TF is reassembled",
    "PS3.8 9.3.5.1, PS3.7 E.2",
    "one C-ECHO-RSP for message 7, status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _echo_within(sut: SystemUnderTest) -> Verdict:
    return _fragmented_echo(sut, "c-echo-fragmented-within-pdu", one_pdu=True)


def _store(sut: SystemUnderTest, ds: Dataset) -> int | None:
    with scu_association(sut, SECONDARY_CAPTURE) as assoc:
        if not assoc.is_established:
            return None
        return _status_of(assoc.send_c_store(ds))


def _stored_ok(status: int | None) -> bool:
    return status is not None and (status == 0 or status & 0xF000 == 0xB000)


@scenario(
    "c-store",
    "C-STORE of a Secondary Capture image",
    "PS3.7 9.1.1, 9.3.1; PS3.4 B.2.3",
    "C-STORE-RSP with status 0x0000 (or a warning 0xB...)",
    group="dimse",
    requires=(Capability.STORE,),
)
def _c_store(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    status = _store(sut, ct_instance(_patient_id()))
    return _status_verdict(start, "C-STORE-RSP", status, _stored_ok(status))


def _patient_id() -> str:
    return "DA-" + uuid.uuid4().hex[:12].upper()


def _query(level: str, **keys: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


@scenario(
    "c-find",
    "C-FIND (Study Root, STUDY level) finds a study just stored",
    "PS3.7 9.1.2, 9.3.2; PS3.4 C.4.1",
    "one pending response (0xFF00) with the study, then 0x0000",
    group="dimse",
    requires=(Capability.STORE, Capability.FIND),
)
def _c_find(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    ds = ct_instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    query = _query("STUDY", PatientID=ds.PatientID, StudyInstanceUID="")
    with scu_association(sut, STUDY_ROOT_FIND) as assoc:
        responses = list(assoc.send_c_find(query, STUDY_ROOT_FIND))
    statuses = [_status_of(status) for status, _ in responses]
    studies = [str(i.get("StudyInstanceUID", "")) for s, i in responses if i is not None]
    ok = statuses[-1:] == [0] and studies == [str(ds.StudyInstanceUID)]
    shown = [f"{s:#06x}" if s is not None else None for s in statuses]
    more = f"statuses {shown}, {len(studies)} matches"
    return _status_verdict(start, "C-FIND final", statuses[-1] if statuses else None, ok, more)


@scenario(
    "c-find-no-match",
    "C-FIND for a patient nobody has stored",
    "PS3.7 9.1.2; PS3.4 C.4.1.1.4",
    "no pending response, final status 0x0000",
    group="dimse",
    requires=(Capability.FIND,),
)
def _c_find_none(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    query = _query("STUDY", PatientID=_patient_id(), StudyInstanceUID="")
    with scu_association(sut, STUDY_ROOT_FIND) as assoc:
        statuses = [_status_of(status) for status, _ in assoc.send_c_find(query, STUDY_ROOT_FIND)]
    more = f"{len(statuses) - 1} pending responses"
    return _status_verdict(
        start, "C-FIND final", statuses[-1] if statuses else None, statuses == [0], more
    )


@scenario(
    "c-get",
    "C-GET (Study Root) returns a stored instance over C-STORE sub-operations",
    "PS3.7 9.1.3, 9.3.3; PS3.4 C.4.3",
    "a C-STORE sub-operation with the instance, final status 0x0000 with 1 completed",
    group="dimse",
    requires=(Capability.STORE, Capability.GET),
)
def _c_get(sut: SystemUnderTest) -> Verdict:
    from dicomactors import events as evt
    from dicomactors.presentation import build_context, build_role

    start = time.monotonic()
    ds = ct_instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    received: list[str] = []

    def on_store(event: Any) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0

    contexts = [build_context(STUDY_ROOT_GET), build_context(SECONDARY_CAPTURE)]
    with scu_association(
        sut,
        contexts=contexts,
        ext_neg=[build_role(SECONDARY_CAPTURE, scp_role=True)],
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    ) as assoc:
        query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
        responses = list(assoc.send_c_get(query, STUDY_ROOT_GET))
    final = responses[-1][0] if responses else Dataset()
    status = _status_of(final)
    completed = final.get("NumberOfCompletedSuboperations")
    ok = status == 0 and received == [str(ds.SOPInstanceUID)]
    return _status_verdict(
        start, "C-GET final", status, ok, f"{completed} completed, {len(received)} received"
    )


@scenario(
    "c-move",
    "C-MOVE (Study Root) sends a stored instance to a known destination",
    "PS3.7 9.1.4, 9.3.4; PS3.4 C.4.2",
    "the instance arrives at the destination; final status 0x0000",
    group="dimse",
    requires=(Capability.STORE, Capability.MOVE, MOVE_DESTINATION),
    note="move destinations are local configuration",
)
def _c_move(sut: SystemUnderTest) -> Verdict:
    from dicomactors import events as evt
    from dicomactors.ae import AE

    start = time.monotonic()
    ds = ct_instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    destination, host, port = parse_move_destination(sut)
    received: list[str] = []

    def on_store(event: Any) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0

    store_ae = AE(destination)
    store_ae.add_supported_context(SECONDARY_CAPTURE, [EXPLICIT, IMPLICIT])
    server = store_ae.start_server(
        (host, port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    try:
        with scu_association(sut, STUDY_ROOT_MOVE) as assoc:
            query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
            responses = list(assoc.send_c_move(query, destination, STUDY_ROOT_MOVE))
    finally:
        assert server is not None
        server.shutdown()
        store_ae.shutdown()
    status = _status_of(responses[-1][0]) if responses else None
    ok = status == 0 and received == [str(ds.SOPInstanceUID)]
    return _status_verdict(start, "C-MOVE final", status, ok, f"{len(received)} received")


@scenario(
    "c-move-unknown-destination",
    "C-MOVE of a stored study to a destination AE title the system does not know",
    "PS3.7 9.1.4; PS3.4 C.4.2.1.5",
    "final status 0xA801 (refused: move destination unknown)",
    group="dimse",
    requires=(Capability.STORE, Capability.MOVE),
)
def _c_move_unknown(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    ds = ct_instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
    with scu_association(sut, STUDY_ROOT_MOVE) as assoc:
        responses = list(assoc.send_c_move(query, "NO-SUCH-DEST", STUDY_ROOT_MOVE))
    status = _status_of(responses[-1][0]) if responses else None
    return _status_verdict(start, "C-MOVE final", status, status == 0xA801)
