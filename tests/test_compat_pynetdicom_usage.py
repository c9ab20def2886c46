"""pynetdicom's documented SCP usage runs unchanged with the module renamed.

One SCP application is written here the way pynetdicom's documentation and its
own applications write one: ``AE``, ``evt`` handlers and ``sop_class`` names
taken from the library module, handlers that read what pynetdicom documents on
their ``Event`` (``event.request.AffectedSOPClassUID``, ``event.move_destination``,
``event.action_type``, ``event.attribute_identifiers``, ...). It is built from
``dicomactors`` and, as the oracle, from ``pynetdicom``; real peers then use every
service it offers:

- DCMTK's echoscu, storescu, findscu (query/retrieve and worklist), getscu and
  movescu, run as subprocesses;
- pynetdicom's SCU for MPPS N-CREATE/N-SET, display system N-GET, print
  management N-CREATE/N-SET/N-ACTION/N-DELETE and the relevant patient query.

Each handler records what it read; the test asserts those values against what
the peer sent, for both libraries alike.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import pynetdicom
import pytest
from pydicom import Dataset, dcmread
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from harness.systems import PeerUnavailable, find_dcmtk_tool, free_port
from tests._peers import ct_file, dcmtk_output, run_dcmtk

pytestmark = pytest.mark.timeout(120)

LIBRARIES = ["dicomactors", "pynetdicom"]
SCP_AET = "COMPAT_SCP"
MOVE_AET = "MOVESCU"
DISPLAY_SYSTEM_INSTANCE = "1.2.840.10008.5.1.1.40.1"  # the well-known instance (PS3.4 EE.3)


@pytest.fixture(scope="module", autouse=True)
def dcmtk_installed() -> None:
    try:
        find_dcmtk_tool("echoscu")
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


# -- the application, as pynetdicom's documentation writes one ------------------------


@dataclass
class App:
    """What the handlers read, by event name, and the instances they serve."""

    seen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    instances: list[Dataset] = field(default_factory=list)
    managed: dict[str, Dataset] = field(default_factory=dict)
    move_port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event: Any, **read: Any) -> None:
        common = {
            "name": event.event.name,
            "message_id": event.message_id,
            "MessageID": event.request.MessageID,
            "context_id": event.context.context_id,
            "abstract_syntax": str(event.context.abstract_syntax),
            "transfer_syntax": str(event.context.transfer_syntax),
            "calling": event.assoc.requestor.ae_title,
            "called": event.assoc.acceptor.ae_title,
            "timestamp": type(event.timestamp).__name__,
        }
        with self.lock:
            self.seen.setdefault(event.event.name, []).append({**common, **read})

    def only(self, name: str) -> dict[str, Any]:
        (read,) = self.seen[name]
        return read


def build_scp(lib_name: str, app: App) -> tuple[Any, list[Any]]:
    """The SCP: an AE with every context below and a handler per service."""
    lib = importlib.import_module(lib_name)
    sop = importlib.import_module(f"{lib_name}.sop_class")
    evt = lib.evt

    def handle_echo(event: Any) -> int:
        app.record(event, sop_class=str(event.request.AffectedSOPClassUID))
        return 0x0000

    def handle_store(event: Any) -> int:
        ds = event.dataset
        ds.file_meta = event.file_meta
        app.record(
            event,
            sop_class=str(event.request.AffectedSOPClassUID),
            sop_instance=str(event.request.AffectedSOPInstanceUID),
            priority=event.request.Priority,
            move_originator=event.request.MoveOriginatorApplicationEntityTitle,
            move_originator_id=event.request.MoveOriginatorMessageID,
            patient_id=ds.PatientID,
            meta_syntax=str(event.file_meta.TransferSyntaxUID),
            file_starts=event.encoded_dataset()[128:132],
            raw_equal=event.request.DataSet.getvalue() == event.encoded_dataset(include_meta=False),
        )
        with app.lock:
            app.instances.append(ds)
        return 0x0000

    def matches(identifier: Dataset) -> list[Dataset]:
        wanted = identifier.get("StudyInstanceUID", "") or ""
        with app.lock:
            return [ds for ds in app.instances if not wanted or ds.StudyInstanceUID == wanted]

    def handle_find(event: Any) -> Iterator[Any]:
        identifier = event.identifier
        sop_class = str(event.request.AffectedSOPClassUID)
        app.record(
            event,
            sop_class=sop_class,
            priority=event.request.Priority,
            identifier_bytes=isinstance(event.request.Identifier, BytesIO),
            cancelled=event.is_cancelled,
            keys=sorted(element.keyword for element in identifier),
        )
        if sop_class == sop.ModalityWorklistInformationFind:
            item = Dataset()
            item.PatientName = "Worklist^Patient"
            step = Dataset()
            step.Modality = "CT"
            item.ScheduledProcedureStepSequence = Sequence([step])
            yield 0xFF00, item
            return
        if sop_class == sop.GeneralRelevantPatientInformationQuery:
            reply = Dataset()
            reply.PatientID = identifier.PatientID
            reply.PatientName = "Relevant^Patient"
            yield 0xFF00, reply
            return
        for ds in matches(identifier):
            reply = Dataset()
            reply.QueryRetrieveLevel = identifier.QueryRetrieveLevel
            reply.StudyInstanceUID = ds.StudyInstanceUID
            yield 0xFF00, reply

    def handle_get(event: Any) -> Iterator[Any]:
        app.record(
            event,
            sop_class=str(event.request.AffectedSOPClassUID),
            priority=event.request.Priority,
            study=event.identifier.StudyInstanceUID,
        )
        found = matches(event.identifier)
        yield len(found)
        for ds in found:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, ds

    def handle_move(event: Any) -> Iterator[Any]:
        app.record(
            event,
            sop_class=str(event.request.AffectedSOPClassUID),
            priority=event.request.Priority,
            move_destination=event.move_destination,
            MoveDestination=event.request.MoveDestination,
            study=event.identifier.StudyInstanceUID,
        )
        if event.move_destination != MOVE_AET:
            yield None, None
            return
        found = matches(event.identifier)
        yield "127.0.0.1", app.move_port
        yield len(found)
        for ds in found:
            yield 0xFF00, ds

    def handle_n_create(event: Any) -> tuple[int, Dataset]:
        attributes = event.attribute_list
        uid = event.request.AffectedSOPInstanceUID or generate_uid()
        app.record(
            event,
            sop_class=str(event.request.AffectedSOPClassUID),
            sop_instance=event.request.AffectedSOPInstanceUID,
            keys=sorted(element.keyword for element in attributes),
        )
        with app.lock:
            app.managed[str(uid)] = attributes
        reply = Dataset()
        reply.update(attributes)
        return 0x0000, reply

    def handle_n_set(event: Any) -> tuple[int, Dataset | None]:
        modification = event.modification_list
        uid = str(event.request.RequestedSOPInstanceUID)
        app.record(
            event,
            sop_class=str(event.request.RequestedSOPClassUID),
            sop_instance=uid,
            keys=sorted(element.keyword for element in modification),
        )
        with app.lock:
            instance = app.managed.get(uid)
            if instance is None:
                return 0x0112, None
            instance.update(modification)
        return 0x0000, modification

    def handle_n_get(event: Any) -> tuple[int, Dataset]:
        app.record(
            event,
            sop_class=str(event.request.RequestedSOPClassUID),
            sop_instance=str(event.request.RequestedSOPInstanceUID),
            identifiers=[int(tag) for tag in event.attribute_identifiers],
        )
        reply = Dataset()
        reply.Manufacturer = "Compat Displays"
        reply.ManufacturerModelName = "Model 16"
        return 0x0000, reply

    def handle_n_action(event: Any) -> tuple[int, Dataset | None]:
        information = event.action_information
        app.record(
            event,
            sop_class=str(event.request.RequestedSOPClassUID),
            sop_instance=str(event.request.RequestedSOPInstanceUID),
            action_type=event.action_type,
            ActionTypeID=event.request.ActionTypeID,
            keys=sorted(element.keyword for element in information),
        )
        return 0x0000, None

    def handle_n_delete(event: Any) -> int:
        uid = str(event.request.RequestedSOPInstanceUID)
        app.record(event, sop_class=str(event.request.RequestedSOPClassUID), sop_instance=uid)
        with app.lock:
            app.managed.pop(uid, None)
        return 0x0000

    ae = lib.AE(ae_title=SCP_AET)
    for uid in (
        sop.Verification,
        sop.PatientRootQueryRetrieveInformationModelFind,
        sop.PatientRootQueryRetrieveInformationModelGet,
        sop.PatientRootQueryRetrieveInformationModelMove,
        sop.StudyRootQueryRetrieveInformationModelFind,
        sop.StudyRootQueryRetrieveInformationModelGet,
        sop.StudyRootQueryRetrieveInformationModelMove,
        sop.ModalityWorklistInformationFind,
        sop.GeneralRelevantPatientInformationQuery,
        sop.ModalityPerformedProcedureStep,
        sop.DisplaySystem,
        sop.BasicGrayscalePrintManagementMeta,
    ):
        ae.add_supported_context(uid)
    # C-GET sends its sub-operations back on the same association: the SCP
    # takes the SCU role for the storage class when the requestor asks.
    ae.add_supported_context(sop.CTImageStorage, scu_role=True, scp_role=True)
    ae.add_requested_context(sop.CTImageStorage)  # C-MOVE sub-operations
    handlers = [
        (evt.EVT_C_ECHO, handle_echo),
        (evt.EVT_C_STORE, handle_store),
        (evt.EVT_C_FIND, handle_find),
        (evt.EVT_C_GET, handle_get),
        (evt.EVT_C_MOVE, handle_move),
        (evt.EVT_N_CREATE, handle_n_create),
        (evt.EVT_N_SET, handle_n_set),
        (evt.EVT_N_GET, handle_n_get),
        (evt.EVT_N_ACTION, handle_n_action),
        (evt.EVT_N_DELETE, handle_n_delete),
    ]
    return ae, handlers


@dataclass
class Running:
    lib: str
    app: App
    port: int


@pytest.fixture(params=LIBRARIES)
def scp(request: pytest.FixtureRequest) -> Iterator[Running]:
    app = App(move_port=free_port())
    ae, handlers = build_scp(request.param, app)
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=handlers)
    try:
        yield Running(request.param, app, port)
    finally:
        server.shutdown()
        ae.shutdown()


def dcmtk(tool: str, scp: Running, *args: str, files: tuple[str, ...] = ()) -> str:
    result = run_dcmtk(
        tool, "-aet", "DCMTKSCU", "-aec", SCP_AET, *args, "127.0.0.1", str(scp.port), *files
    )
    output = dcmtk_output(result)
    assert result.returncode == 0, output
    return output


def store_one(scp: Running, directory: Path) -> Dataset:
    path = directory / "ct.dcm"
    ds = ct_file(path)
    dcmtk("storescu", scp, files=(str(path),))
    return ds


def assert_common(read: dict[str, Any], name: str, abstract_syntax: str) -> None:
    assert read["name"] == name
    assert read["message_id"] == read["MessageID"] >= 1
    assert read["context_id"] % 2 == 1
    assert read["abstract_syntax"] == abstract_syntax
    assert read["transfer_syntax"].startswith("1.2.840.10008.1.2")
    assert read["called"] == SCP_AET
    assert read["timestamp"] == "datetime"


# -- DCMTK as the SCU ---------------------------------------------------------------------


def test_verification(scp: Running) -> None:
    dcmtk("echoscu", scp)
    read = scp.app.only("EVT_C_ECHO")
    assert_common(read, "EVT_C_ECHO", "1.2.840.10008.1.1")
    assert read["sop_class"] == "1.2.840.10008.1.1"
    assert read["calling"] == "DCMTKSCU"


def test_storage(scp: Running, tmp_path: Path) -> None:
    sent = store_one(scp, tmp_path)
    read = scp.app.only("EVT_C_STORE")
    assert_common(read, "EVT_C_STORE", str(sent.SOPClassUID))
    assert read["sop_class"] == sent.SOPClassUID
    assert read["sop_instance"] == sent.SOPInstanceUID
    assert read["priority"] == 0x0000  # storescu asks for MEDIUM
    assert read["move_originator"] is None
    assert read["move_originator_id"] is None
    assert read["patient_id"] == sent.PatientID
    assert read["meta_syntax"] == read["transfer_syntax"]
    assert read["file_starts"] == b"DICM"
    assert read["raw_equal"] is True


def test_find(scp: Running, tmp_path: Path) -> None:
    sent = store_one(scp, tmp_path)
    out = tmp_path / "find"
    out.mkdir()
    dcmtk(
        "findscu", scp, "-S", "-X", "-od", str(out),
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={sent.StudyInstanceUID}",
    )  # fmt: skip
    read = scp.app.only("EVT_C_FIND")
    assert_common(read, "EVT_C_FIND", "1.2.840.10008.5.1.4.1.2.2.1")
    assert read["priority"] == 0x0000
    assert read["identifier_bytes"] is True
    assert read["cancelled"] is False
    assert read["keys"] == ["QueryRetrieveLevel", "StudyInstanceUID"]
    (response,) = sorted(out.iterdir())
    assert dcmread(response).StudyInstanceUID == sent.StudyInstanceUID


def test_worklist(scp: Running, tmp_path: Path) -> None:
    out = tmp_path / "worklist"
    out.mkdir()
    dcmtk(
        "findscu", scp, "-W", "-X", "-od", str(out),
        "-k", "PatientName", "-k", "ScheduledProcedureStepSequence[0].Modality=CT",
    )  # fmt: skip
    read = scp.app.only("EVT_C_FIND")
    assert_common(read, "EVT_C_FIND", "1.2.840.10008.5.1.4.31")
    assert read["sop_class"] == "1.2.840.10008.5.1.4.31"
    assert read["keys"] == ["PatientName", "ScheduledProcedureStepSequence"]
    (response,) = sorted(out.iterdir())
    assert dcmread(response).PatientName == "Worklist^Patient"


def test_get(scp: Running, tmp_path: Path) -> None:
    sent = store_one(scp, tmp_path)
    out = tmp_path / "get"
    out.mkdir()
    dcmtk(
        "getscu", scp, "-S", "-od", str(out),
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={sent.StudyInstanceUID}",
    )  # fmt: skip
    read = scp.app.only("EVT_C_GET")
    assert_common(read, "EVT_C_GET", "1.2.840.10008.5.1.4.1.2.2.3")
    assert read["study"] == sent.StudyInstanceUID
    (received,) = sorted(out.iterdir())
    assert dcmread(received).SOPInstanceUID == sent.SOPInstanceUID


def test_move(scp: Running, tmp_path: Path) -> None:
    sent = store_one(scp, tmp_path)
    out = tmp_path / "move"
    out.mkdir()
    dcmtk(
        "movescu", scp, "-S", "-aem", MOVE_AET, "--port", str(scp.app.move_port),
        "-od", str(out),
        "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={sent.StudyInstanceUID}",
    )  # fmt: skip
    read = scp.app.only("EVT_C_MOVE")
    assert_common(read, "EVT_C_MOVE", "1.2.840.10008.5.1.4.1.2.2.2")
    assert read["move_destination"] == read["MoveDestination"] == MOVE_AET
    assert read["study"] == sent.StudyInstanceUID
    (received,) = sorted(out.iterdir())
    assert dcmread(received).SOPInstanceUID == sent.SOPInstanceUID


def test_move_to_an_unknown_destination(scp: Running, tmp_path: Path) -> None:
    result = run_dcmtk(
        "movescu", "-v", "-S", "-aet", "DCMTKSCU", "-aec", SCP_AET, "-aem", "NOWHERE",
        "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3",
        "127.0.0.1", str(scp.port),
    )  # fmt: skip
    assert "Refused: MoveDestinationUnknown" in dcmtk_output(result)
    assert scp.app.only("EVT_C_MOVE")["move_destination"] == "NOWHERE"


# -- pynetdicom as the SCU ----------------------------------------------------------------


def pynetdicom_scu(scp: Running, *contexts: str) -> Any:
    ae = pynetdicom.AE(ae_title="PYNETSCU")
    for uid in contexts:
        ae.add_requested_context(uid, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", scp.port, ae_title=SCP_AET)
    assert assoc.is_established
    return assoc


def test_mpps_create_and_set(scp: Running) -> None:
    mpps = "1.2.840.10008.3.1.2.3.3"
    uid = generate_uid()
    create = Dataset()
    create.PerformedProcedureStepStatus = "IN PROGRESS"
    create.Modality = "CT"
    update = Dataset()
    update.PerformedProcedureStepStatus = "COMPLETED"
    assoc = pynetdicom_scu(scp, mpps)
    try:
        status, reply = assoc.send_n_create(create, mpps, uid)
        assert status.Status == 0x0000 and reply.Modality == "CT"
        status, _ = assoc.send_n_set(update, mpps, uid)
        assert status.Status == 0x0000
    finally:
        assoc.release()
    created = scp.app.only("EVT_N_CREATE")
    assert_common(created, "EVT_N_CREATE", mpps)
    assert created["sop_class"] == mpps and created["sop_instance"] == uid
    assert created["keys"] == ["Modality", "PerformedProcedureStepStatus"]
    updated = scp.app.only("EVT_N_SET")
    assert_common(updated, "EVT_N_SET", mpps)
    assert updated["sop_class"] == mpps and updated["sop_instance"] == uid
    assert updated["keys"] == ["PerformedProcedureStepStatus"]
    assert scp.app.managed[uid].PerformedProcedureStepStatus == "COMPLETED"


def test_display_system_n_get(scp: Running) -> None:
    display = "1.2.840.10008.5.1.1.40"
    wanted = [0x00080070, 0x00081090]  # Manufacturer, Manufacturer's Model Name
    assoc = pynetdicom_scu(scp, display)
    try:
        status, reply = assoc.send_n_get(wanted, display, DISPLAY_SYSTEM_INSTANCE)
    finally:
        assoc.release()
    assert status.Status == 0x0000 and reply.ManufacturerModelName == "Model 16"
    read = scp.app.only("EVT_N_GET")
    assert_common(read, "EVT_N_GET", display)
    assert read["sop_class"] == display
    assert read["sop_instance"] == DISPLAY_SYSTEM_INSTANCE
    assert read["identifiers"] == wanted


def test_print_management(scp: Running) -> None:
    meta = "1.2.840.10008.5.1.1.9"  # Basic Grayscale Print Management Meta
    film_session = "1.2.840.10008.5.1.1.1"
    session = Dataset()
    session.NumberOfCopies = "1"
    session.MediumType = "PAPER"
    change = Dataset()
    change.NumberOfCopies = "2"
    job = Dataset()
    job.PrintPriority = "HIGH"
    assoc = pynetdicom_scu(scp, meta)
    try:
        uid = generate_uid()
        status, _ = assoc.send_n_create(session, film_session, uid, meta_uid=meta)
        assert status.Status == 0x0000
        status, _ = assoc.send_n_set(change, film_session, uid, meta_uid=meta)
        assert status.Status == 0x0000
        status, _ = assoc.send_n_action(job, 1, film_session, uid, meta_uid=meta)
        assert status.Status == 0x0000
        status = assoc.send_n_delete(film_session, uid, meta_uid=meta)
        assert status.Status == 0x0000
    finally:
        assoc.release()
    for name in ("EVT_N_CREATE", "EVT_N_SET", "EVT_N_ACTION", "EVT_N_DELETE"):
        read = scp.app.only(name)
        assert_common(read, name, meta)
        assert read["sop_class"] == film_session
        assert read["sop_instance"] == uid
    assert scp.app.only("EVT_N_CREATE")["keys"] == ["MediumType", "NumberOfCopies"]
    assert scp.app.only("EVT_N_SET")["keys"] == ["NumberOfCopies"]
    action = scp.app.only("EVT_N_ACTION")
    assert action["action_type"] == action["ActionTypeID"] == 1
    assert action["keys"] == ["PrintPriority"]
    assert uid not in scp.app.managed


def test_relevant_patient_query(scp: Running) -> None:
    query_model = "1.2.840.10008.5.1.4.37.1"  # General Relevant Patient Information Query
    query = Dataset()
    query.PatientID = "RELEVANT-1"
    query.PatientName = ""
    query.ContentTemplateSequence = Sequence([Dataset()])
    query.ContentTemplateSequence[0].MappingResource = "DCMR"
    query.ContentTemplateSequence[0].TemplateIdentifier = "9007"
    assoc = pynetdicom_scu(scp, query_model)
    try:
        responses = list(assoc.send_c_find(query, query_model))
    finally:
        assoc.release()
    statuses = [status.Status for status, _ in responses]
    assert statuses == [0xFF00, 0x0000]
    assert responses[0][1].PatientName == "Relevant^Patient"
    read = scp.app.only("EVT_C_FIND")
    assert_common(read, "EVT_C_FIND", query_model)
    assert read["sop_class"] == query_model
    assert read["keys"] == ["ContentTemplateSequence", "PatientID", "PatientName"]
    assert read["calling"] == "PYNETSCU"


# -- the SCU side, as pynetdicom's documentation writes it --------------------------------


@pytest.mark.parametrize("scu_lib", LIBRARIES)
def test_scu_usage(scp: Running, scu_lib: str, tmp_path: Path) -> None:
    """Echo, store, find, get (role selection, C-STORE handler) and move to our own
    non-blocking storage SCP, written as pynetdicom's examples write them."""
    lib = importlib.import_module(scu_lib)
    sop = importlib.import_module(f"{scu_lib}.sop_class")
    status = importlib.import_module(f"{scu_lib}.status")
    received: list[str] = []

    def handle_store(event: Any) -> int:
        received.append(event.request.AffectedSOPInstanceUID)
        return 0x0000

    ds = ct_file(tmp_path / "ct.dcm")
    ae = lib.AE(ae_title="PYSCU")
    for uid in (
        sop.Verification,
        sop.CTImageStorage,
        sop.StudyRootQueryRetrieveInformationModelFind,
        sop.StudyRootQueryRetrieveInformationModelGet,
        sop.StudyRootQueryRetrieveInformationModelMove,
    ):
        ae.add_requested_context(uid)
    handlers = [(lib.evt.EVT_C_STORE, handle_store)]
    ext_neg = [lib.build_role(sop.CTImageStorage, scu_role=True, scp_role=True)]
    assoc = ae.associate(
        "127.0.0.1", scp.port, ae_title=SCP_AET, ext_neg=ext_neg, evt_handlers=handlers
    )
    assert assoc.is_established
    ae.add_supported_context(sop.CTImageStorage)
    destination = ae.start_server(
        ("127.0.0.1", scp.app.move_port), block=False, ae_title=MOVE_AET, evt_handlers=handlers
    )
    try:
        assert assoc.send_c_echo().Status == 0x0000
        assert status.code_to_category(assoc.send_c_store(ds).Status) == status.STATUS_SUCCESS
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        query.StudyInstanceUID = ds.StudyInstanceUID
        found = list(assoc.send_c_find(query, sop.StudyRootQueryRetrieveInformationModelFind))
        assert [s.Status for s, _ in found] == [0xFF00, 0x0000]
        assert found[0][1].StudyInstanceUID == ds.StudyInstanceUID
        got = list(assoc.send_c_get(query, sop.StudyRootQueryRetrieveInformationModelGet))
        assert got[-1][0].Status == 0x0000
        assert got[-1][0].NumberOfCompletedSuboperations == 1
        moved = list(
            assoc.send_c_move(query, MOVE_AET, sop.StudyRootQueryRetrieveInformationModelMove)
        )
        assert moved[-1][0].Status == 0x0000
        assoc.release()
    finally:
        if assoc.is_established:
            assoc.abort()
        destination.shutdown()
    assert received == [ds.SOPInstanceUID, ds.SOPInstanceUID]  # one by C-GET, one by C-MOVE
