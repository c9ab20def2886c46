"""The six DIMSE-N services, both directions, against pynetdicom (and dicomactors itself).

The same handler functions are bound to a pynetdicom SCP and to a dicomactors
SCP: they are written the pynetdicom way (``event.request.AffectedSOPInstanceUID``,
``event.attribute_list``, ``event.action_type``, ...), so a test that passes
on both proves the conventions carry over. The SCU side runs with pynetdicom's
``AE`` and with ours, whose ``send_n_*`` methods have the same signatures.

Classes: Modality Performed Procedure Step (N-CREATE, N-SET, N-GET,
N-EVENT-REPORT), Basic Film Session under the Basic Grayscale Print
Management Meta SOP Class (N-CREATE, N-SET, N-GET, N-ACTION, N-DELETE: the
meta_uid path), Storage Commitment Push Model (N-ACTION, N-EVENT-REPORT).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom import Dataset
from pydicom.uid import generate_uid
from pynetdicom import evt as pevt

from dicomactors import AE, evt
from dicomactors.sop_class import (
    BasicFilmSession,
    BasicGrayscalePrintManagementMeta,
    ModalityPerformedProcedureStep,
    StorageCommitmentPushModel,
)

pytestmark = pytest.mark.timeout(60)

MPPS = str(ModalityPerformedProcedureStep)
PRINT_META = str(BasicGrayscalePrintManagementMeta)
FILM_SESSION = str(BasicFilmSession)
COMMITMENT = str(StorageCommitmentPushModel)
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"  # the well-known instance (PS3.4 J.3.5)
CLASSES = (MPPS, PRINT_META, COMMITMENT)


class Managed:
    """Handlers for all six N-services, written as for pynetdicom, over instances in memory."""

    def __init__(self) -> None:
        self.instances: dict[str, Dataset] = {}
        self.reports: list[tuple[int, Dataset]] = []
        self.actions: list[tuple[int, str, Dataset]] = []
        self.lock = threading.Lock()

    def on_create(self, event: Any) -> tuple[int, Dataset | None]:
        given = event.request.AffectedSOPInstanceUID
        uid = str(given) if given else generate_uid()
        attributes = event.attribute_list
        with self.lock:
            if uid in self.instances:
                return 0x0111, None
            self.instances[uid] = attributes
        reply = Dataset()
        reply.update(attributes)
        if not given:
            reply.AffectedSOPInstanceUID = uid
        return 0x0000, reply

    def on_set(self, event: Any) -> tuple[int, Dataset | None]:
        uid = str(event.request.RequestedSOPInstanceUID)
        modification = event.modification_list
        with self.lock:
            instance = self.instances.get(uid)
            if instance is None:
                return 0x0112, None
            instance.update(modification)
        return 0x0000, modification

    def on_get(self, event: Any) -> tuple[int, Dataset | None]:
        uid = str(event.request.RequestedSOPInstanceUID)
        with self.lock:
            instance = self.instances.get(uid)
            if instance is None:
                return 0x0112, None
            answer = Dataset()
            for tag in event.attribute_identifiers:
                if tag in instance:
                    answer[tag] = instance[tag]
        return 0x0000, answer

    def on_delete(self, event: Any) -> int:
        uid = str(event.request.RequestedSOPInstanceUID)
        with self.lock:
            if self.instances.pop(uid, None) is None:
                return 0x0112
        return 0x0000

    def on_action(self, event: Any) -> tuple[Any, Dataset | None]:
        if event.action_type == 99:
            raise RuntimeError("the printer is on fire")
        if event.action_type != 1:
            status = Dataset()
            status.Status = 0x0123
            status.ErrorComment = "no such action"
            return status, None
        information = event.action_information
        with self.lock:
            self.actions.append(
                (event.action_type, str(event.request.RequestedSOPInstanceUID), information)
            )
        reply = Dataset()
        if "TransactionUID" in information:
            reply.TransactionUID = information.TransactionUID
        return 0x0000, reply

    def on_event_report(self, event: Any) -> tuple[int, Dataset | None]:
        with self.lock:
            self.reports.append((event.event_type, event.event_information))
        reply = Dataset()
        reply.EventTypeID = event.event_type
        return 0x0000, reply

    def handlers(self, module: Any) -> list[Any]:
        return [
            (module.EVT_N_CREATE, self.on_create),
            (module.EVT_N_SET, self.on_set),
            (module.EVT_N_GET, self.on_get),
            (module.EVT_N_DELETE, self.on_delete),
            (module.EVT_N_ACTION, self.on_action),
            (module.EVT_N_EVENT_REPORT, self.on_event_report),
        ]


class ConnectionTracker:
    """Counts our SCP's open connections, so teardown waits for the peer's release to finish.

    Without it ``server.shutdown()`` can race the release and hang 10 s: the association
    actor tells a DUL actor that has already stopped (reported to the lead).
    """

    def __init__(self) -> None:
        self.open = 0
        self.changed = threading.Condition()

    def opened(self, event: Any) -> None:
        with self.changed:
            self.open += 1

    def closed(self, event: Any) -> None:
        with self.changed:
            self.open -= 1
            self.changed.notify_all()

    def handlers(self) -> list[Any]:
        return [(evt.EVT_CONN_OPEN, self.opened), (evt.EVT_CONN_CLOSE, self.closed)]

    def wait_all_closed(self, timeout: float = 10) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.open <= 0, timeout)


@pytest.fixture(params=["dicomactors", "pynetdicom"])
def scp(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, Managed]]:
    """An N-service SCP (ours or pynetdicom's) with the Managed handlers: (kind, port, state)."""
    managed = Managed()
    if request.param == "dicomactors":
        ae = AE(ae_title="NSCP")
        for uid in CLASSES:
            ae.add_supported_context(uid)
        tracker = ConnectionTracker()
        server = ae.start_server(
            ("127.0.0.1", 0),
            block=False,
            evt_handlers=[*managed.handlers(evt), *tracker.handlers()],
        )
        assert server is not None
        try:
            yield request.param, server.server_address[1], managed
        finally:
            tracker.wait_all_closed()
            server.shutdown()
    else:
        pae = pynetdicom.AE(ae_title="NSCP")
        for uid in CLASSES:
            pae.add_supported_context(uid)
        pserver: Any = pae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=managed.handlers(pevt)
        )
        try:
            yield request.param, pserver.server_address[1], managed
        finally:
            pserver.shutdown()


@pytest.fixture(params=["dicomactors", "pynetdicom"])
def scu_ae(request: pytest.FixtureRequest) -> Any:
    ae: Any = AE(ae_title="NSCU") if request.param == "dicomactors" else pynetdicom.AE("NSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    for uid in CLASSES:
        ae.add_requested_context(uid)
    ae.kind = request.param
    return ae


@pytest.fixture
def assoc(scu_ae: Any, scp: tuple[str, int, Managed]) -> Iterator[Any]:
    if scu_ae.kind == "pynetdicom" and scp[0] == "pynetdicom":
        pytest.skip("pynetdicom with itself proves nothing about dicomactors")
    association = scu_ae.associate("127.0.0.1", scp[1], ae_title="NSCP")
    assert association.is_established
    try:
        yield association
    finally:
        association.release()


def _mpps_attributes() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "P1"
    ds.PerformedProcedureStepStatus = "IN PROGRESS"
    ds.Modality = "CT"
    return ds


def test_mpps_create_set_get(assoc: Any, scp: tuple[str, int, Managed]) -> None:
    uid = generate_uid()
    status, reply = assoc.send_n_create(_mpps_attributes(), MPPS, uid)
    assert status.Status == 0x0000
    assert reply is not None and reply.PatientName == "Doe^Jane"
    assert scp[2].instances[uid].PerformedProcedureStepStatus == "IN PROGRESS"

    status, reply = assoc.send_n_create(_mpps_attributes(), MPPS, uid, msg_id=2)
    assert status.Status == 0x0111  # duplicate SOP instance
    assert reply is None

    change = Dataset()
    change.PerformedProcedureStepStatus = "COMPLETED"
    status, reply = assoc.send_n_set(change, MPPS, uid, msg_id=3)
    assert status.Status == 0x0000
    assert reply is not None and reply.PerformedProcedureStepStatus == "COMPLETED"

    status, reply = assoc.send_n_get([0x00400252, 0x00100020], MPPS, uid, msg_id=4)
    assert status.Status == 0x0000
    assert reply is not None
    assert reply.PerformedProcedureStepStatus == "COMPLETED"
    assert reply.PatientID == "P1"
    assert "PatientName" not in reply


def test_n_set_and_get_of_unknown_instance_fail_with_0112(assoc: Any) -> None:
    change = Dataset()
    change.PerformedProcedureStepStatus = "COMPLETED"
    status, reply = assoc.send_n_set(change, MPPS, generate_uid())
    assert (status.Status, reply) == (0x0112, None)
    status, reply = assoc.send_n_get([0x00100010], MPPS, generate_uid(), msg_id=2)
    assert (status.Status, reply) == (0x0112, None)


def test_n_create_without_uid_gets_one_from_the_scp(
    assoc: Any, scp: tuple[str, int, Managed]
) -> None:
    status, reply = assoc.send_n_create(_mpps_attributes(), MPPS)
    assert status.Status == 0x0000
    assert reply is not None and reply.PatientID == "P1"
    assert "AffectedSOPInstanceUID" not in reply  # moved into the response's command set
    assert len(scp[2].instances) == 1


def test_print_management_through_the_meta_context(
    assoc: Any, scp: tuple[str, int, Managed]
) -> None:
    session = generate_uid()
    attributes = Dataset()
    attributes.NumberOfCopies = 2
    status, reply = assoc.send_n_create(attributes, FILM_SESSION, session, meta_uid=PRINT_META)
    assert status.Status == 0x0000
    status, reply = assoc.send_n_action(
        None, 1, FILM_SESSION, session, msg_id=2, meta_uid=PRINT_META
    )
    assert status.Status == 0x0000
    assert reply == Dataset()  # success without an Action Reply: an empty Dataset
    assert scp[2].actions[0][:2] == (1, session)
    status, reply = assoc.send_n_get([0x20000010], FILM_SESSION, session, 3, PRINT_META)
    assert status.Status == 0x0000 and reply is not None and reply.NumberOfCopies == 2
    status = assoc.send_n_delete(FILM_SESSION, session, msg_id=4, meta_uid=PRINT_META)
    assert status.Status == 0x0000
    assert session not in scp[2].instances
    status = assoc.send_n_delete(FILM_SESSION, session, msg_id=5, meta_uid=PRINT_META)
    assert status.Status == 0x0112


def test_n_action_failures_keep_the_association(assoc: Any) -> None:
    status, reply = assoc.send_n_action(None, 7, COMMITMENT, COMMITMENT_INSTANCE)
    assert status.Status == 0x0123 and reply is None
    assert status.ErrorComment == "no such action"
    status, reply = assoc.send_n_action(None, 99, COMMITMENT, COMMITMENT_INSTANCE, msg_id=2)
    assert status.Status == 0x0110  # the handler raised: processing failure
    assert reply is None
    assert assoc.is_established


def test_commitment_action_and_event_report_from_the_scu(
    assoc: Any, scp: tuple[str, int, Managed]
) -> None:
    request = Dataset()
    request.TransactionUID = generate_uid()
    item = Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    item.ReferencedSOPInstanceUID = generate_uid()
    request.ReferencedSOPSequence = [item]
    status, reply = assoc.send_n_action(request, 1, COMMITMENT, COMMITMENT_INSTANCE)
    assert status.Status == 0x0000
    assert reply is not None and reply.TransactionUID == request.TransactionUID
    information = scp[2].actions[0][2]
    assert information.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == (
        item.ReferencedSOPInstanceUID
    )

    # An N-EVENT-REPORT as an MPPS SCP would send it (pynetdicom lets either side send).
    report = Dataset()
    report.PerformedProcedureStepStatus = "COMPLETED"
    status, reply = assoc.send_n_event_report(report, 2, MPPS, generate_uid(), msg_id=2)
    assert status.Status == 0x0000
    assert reply is not None and reply.EventTypeID == 2
    event_type, information = scp[2].reports[0]
    assert event_type == 2
    assert information.PerformedProcedureStepStatus == "COMPLETED"


def test_scu_errors_are_runtime_and_value_errors(assoc: Any) -> None:
    if not isinstance(assoc.ae, AE):
        pytest.skip("checks our SCU")
    with pytest.raises(ValueError):
        assoc.send_n_get([0x00100010], "1.2.3.4", generate_uid())  # no such context
    assoc.release()
    with pytest.raises(RuntimeError):
        assoc.send_n_delete(MPPS, generate_uid())


def test_our_scp_without_handlers_answers_unrecognized_operation() -> None:
    ae = AE(ae_title="BARE")
    ae.add_supported_context(MPPS)
    tracker = ConnectionTracker()
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=tracker.handlers())
    assert server is not None
    try:
        pae = pynetdicom.AE("PYN")
        pae.add_requested_context(MPPS)
        association = pae.associate("127.0.0.1", server.server_address[1], ae_title="BARE")
        assert association.is_established
        try:
            status, _ = association.send_n_create(_mpps_attributes(), MPPS, generate_uid())
            assert status.Status == 0x0211
            status = association.send_n_delete(MPPS, generate_uid(), msg_id=2)
            assert status.Status == 0x0211
        finally:
            association.release()
        tracker.wait_all_closed()
    finally:
        server.shutdown()
