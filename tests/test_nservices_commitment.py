"""Storage Commitment Push Model (PS3.4 J) with pynetdicom and Orthanc.

- dicomactors SCU -> pynetdicom SCP: the N-EVENT-REPORT comes back on the same
  association, to the requestor's EVT_N_EVENT_REPORT handler.
- dicomactors SCU -> Orthanc SCP: Orthanc sends the N-EVENT-REPORT on a new
  association to the modality named in its ``DicomModalities``: our server.
- Orthanc SCU (REST ``/modalities/{id}/storage-commitment``) -> dicomactors SCP:
  we answer the N-ACTION and send the report on a new association to Orthanc.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset
from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

from dicomactors import AE, evt
from dicomactors.sop_class import StorageCommitmentPushModel
from harness.systems import (
    PeerUnavailable,
    find_orthanc,
    free_port,
    orthanc,
    pynetdicom_scp,
)
from tests.test_nservices_interop import ConnectionTracker

pytestmark = pytest.mark.timeout(90)

COMMITMENT = str(StorageCommitmentPushModel)
COMMITMENT_INSTANCE = "1.2.840.10008.1.20.1.1"


def make_instance() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "C1"
    ds.PatientName = "Commit^Test"
    ds.Modality = "OT"
    return ds


def commitment_request(instances: list[Dataset]) -> Dataset:
    request = Dataset()
    request.TransactionUID = generate_uid()
    items = []
    for ds in instances:
        item = Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
        items.append(item)
    request.ReferencedSOPSequence = items
    return request


class ReportCatcher:
    """An EVT_N_EVENT_REPORT handler that records the report and wakes the test."""

    def __init__(self) -> None:
        self.reports: list[tuple[int, Dataset, str]] = []
        self.arrived = threading.Event()

    def __call__(self, event: Any) -> tuple[int, None]:
        self.reports.append((event.event_type, event.event_information, event.assoc.mode))
        self.arrived.set()
        return 0x0000, None


def test_report_on_the_same_association_from_pynetdicom(tmp_path: Path) -> None:
    stored = make_instance()
    missing = make_instance()
    with pynetdicom_scp(services={"store", "commitment"}, storage_dir=tmp_path) as scp:
        ae = AE(ae_title="MODALITY")
        # Now and then the release right after the report waits out the ACSE timeout (the
        # pynetdicom peer still in its send_n_event_report?): bound it.
        ae.acse_timeout = 5
        ae.add_requested_context(SecondaryCaptureImageStorage)
        ae.add_requested_context(COMMITMENT)
        catcher = ReportCatcher()
        assoc = ae.associate(
            scp.host,
            scp.port,
            ae_title=scp.ae_title,
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, catcher)],
        )
        assert assoc.is_established
        try:
            assert assoc.send_c_store(stored).Status == 0x0000
            request = commitment_request([stored, missing])
            status, _ = assoc.send_n_action(request, 1, COMMITMENT, COMMITMENT_INSTANCE, 2)
            assert status.Status == 0x0000
            assert catcher.arrived.wait(20)
        finally:
            assoc.release()
    event_type, report, mode = catcher.reports[0]
    assert mode == "requestor"
    assert event_type == 2  # some failed
    assert report.TransactionUID == request.TransactionUID
    assert [i.ReferencedSOPInstanceUID for i in report.ReferencedSOPSequence] == [
        stored.SOPInstanceUID
    ]
    assert [i.ReferencedSOPInstanceUID for i in report.FailedSOPSequence] == [
        missing.SOPInstanceUID
    ]


@pytest.fixture
def report_server() -> Iterator[tuple[int, ReportCatcher, Any]]:
    """Our AE as a modality: accepts Storage Commitment, reports caught by a ReportCatcher."""
    catcher = ReportCatcher()
    tracker = ConnectionTracker()
    ae = AE(ae_title="MODALITY")
    ae.add_supported_context(COMMITMENT, scu_role=True, scp_role=True)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_N_EVENT_REPORT, catcher), *tracker.handlers()],
    )
    assert server is not None
    try:
        yield server.server_address[1], catcher, ae
    finally:
        tracker.wait_all_closed()
        server.shutdown()


def _orthanc_available() -> None:
    try:
        find_orthanc()
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


def _rest(http_port: int, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}{path}", data, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def test_orthanc_scp_reports_on_a_new_association(
    report_server: tuple[int, ReportCatcher, Any],
) -> None:
    _orthanc_available()
    port, catcher, _ = report_server
    stored = make_instance()
    missing = make_instance()
    with orthanc(modalities={"modality": ("MODALITY", "127.0.0.1", port)}) as system:
        ae = AE(ae_title="MODALITY")
        ae.add_requested_context(SecondaryCaptureImageStorage)
        ae.add_requested_context(COMMITMENT)
        assoc = ae.associate(system.host, system.port, ae_title=system.ae_title)
        assert assoc.is_established
        try:
            assert assoc.send_c_store(stored).Status == 0x0000
            request = commitment_request([stored, missing])
            status, _ = assoc.send_n_action(request, 1, COMMITMENT, COMMITMENT_INSTANCE, 2)
            assert status.Status == 0x0000
        finally:
            assoc.release()
        assert catcher.arrived.wait(30), "Orthanc sent no N-EVENT-REPORT"
    event_type, report, mode = catcher.reports[0]
    assert mode == "acceptor"
    assert event_type == 2
    assert report.TransactionUID == request.TransactionUID
    assert [i.ReferencedSOPInstanceUID for i in report.ReferencedSOPSequence] == [
        stored.SOPInstanceUID
    ]
    assert [i.ReferencedSOPInstanceUID for i in report.FailedSOPSequence] == [
        missing.SOPInstanceUID
    ]


class CommitmentSCP:
    """Our Storage Commitment SCP: answers the N-ACTION, then reports on a new association."""

    def __init__(self, known: set[str], peer: tuple[str, str, int]) -> None:
        self.known = known
        self.peer = peer
        self.sent: list[Dataset] = []
        self.done = threading.Event()

    def on_action(self, event: Any) -> tuple[int, None]:
        if event.action_type != 1:
            return 0x0123, None
        request = event.action_information
        report = Dataset()
        report.TransactionUID = request.TransactionUID
        ok, failed = [], []
        for item in request.ReferencedSOPSequence:
            reference = Dataset()
            reference.ReferencedSOPClassUID = item.ReferencedSOPClassUID
            reference.ReferencedSOPInstanceUID = item.ReferencedSOPInstanceUID
            if item.ReferencedSOPInstanceUID in self.known:
                ok.append(reference)
            else:
                reference.FailureReason = 0x0112
                failed.append(reference)
        if ok:
            report.ReferencedSOPSequence = ok
        if failed:
            report.FailedSOPSequence = failed
        threading.Thread(
            target=self._report, args=(event.assoc, report, 2 if failed else 1)
        ).start()
        return 0x0000, None

    def _report(self, action_assoc: Any, report: Dataset, event_type: int) -> None:
        action_assoc.join(30)  # the requestor releases after the N-ACTION response
        ae = AE(ae_title="DASCP")
        ae.add_requested_context(COMMITMENT)
        aet, host, port = self.peer
        assoc = ae.associate(host, port, ae_title=aet)
        try:
            if assoc.is_established:
                status, _ = assoc.send_n_event_report(
                    report, event_type, COMMITMENT, COMMITMENT_INSTANCE
                )
                if status.get("Status") == 0x0000:
                    self.sent.append(report)
        finally:
            assoc.release()
            self.done.set()


def test_orthanc_scu_gets_our_report(tmp_path: Path) -> None:
    _orthanc_available()
    stored, missing = make_instance(), make_instance()
    tracker = ConnectionTracker()
    ae = AE(ae_title="DASCP")
    ae.add_supported_context(COMMITMENT)
    scp: CommitmentSCP | None = None
    server = None
    try:
        # Orthanc must know our port before it starts, and we its port before we report.
        port = free_port()
        with orthanc(modalities={"dascp": ("DASCP", "127.0.0.1", port)}) as system:
            scp = CommitmentSCP(
                {stored.SOPInstanceUID}, (system.ae_title, system.host, system.port)
            )
            server = ae.start_server(
                ("127.0.0.1", port),
                block=False,
                evt_handlers=[(evt.EVT_N_ACTION, scp.on_action), *tracker.handlers()],
            )
            assert system.http_port is not None
            answer = _rest(
                system.http_port,
                "POST",
                "/modalities/dascp/storage-commitment",
                {
                    "DicomInstances": [
                        [str(ds.SOPClassUID), str(ds.SOPInstanceUID)] for ds in (stored, missing)
                    ],
                    "Timeout": 30,
                },
            )
            assert scp.done.wait(30)
            deadline = time.monotonic() + 20
            result: dict[str, Any] = {}
            # Orthanc files the report after its N-EVENT-REPORT-RSP; only its REST state shows it.
            pause = threading.Event()
            while time.monotonic() < deadline:
                result = _rest(system.http_port, "GET", answer["Path"])
                if result.get("Status") != "Pending":
                    break
                pause.wait(0.2)
    finally:
        tracker.wait_all_closed()
        if server is not None:
            server.shutdown()
    assert scp is not None and len(scp.sent) == 1
    assert result["Status"] == "Failure"
    assert [entry["SOPInstanceUID"] for entry in result["Success"]] == [stored.SOPInstanceUID]
    assert [entry["SOPInstanceUID"] for entry in result["Failures"]] == [missing.SOPInstanceUID]
