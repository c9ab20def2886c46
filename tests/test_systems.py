"""Each launcher in harness.systems starts its peer, a real C-ECHO succeeds, and it stops.

The SCU is DCMTK's echoscu where it is installed and pynetdicom otherwise (the dicomactors
SCU is tested elsewhere). Container variants run when a Docker engine answers and the images
are built; otherwise they skip and say why.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    CTImageStorage,
    StorageCommitmentPushModel,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from harness import systems
from harness.systems import (
    Capability,
    OrthancRest,
    PeerStartError,
    SystemUnderTest,
)

SUCCESS = 0x0000


def _skip_unless_local(system: str) -> None:
    ok, reason = systems.local_available(system)
    if not ok:
        pytest.skip(reason)


def _skip_unless_image(image: str) -> None:
    ok, reason = systems.image_available(image)
    if not ok:
        pytest.skip(reason)


def echo_with_pynetdicom(sut: SystemUnderTest) -> int:
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(Verification)
    assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title)
    assert assoc.is_established, f"{sut.name} did not accept the association"
    try:
        status = assoc.send_c_echo()
        return int(status.Status)
    finally:
        assoc.release()


def echo_with_echoscu(sut: SystemUnderTest) -> subprocess.CompletedProcess[str]:
    echoscu = systems.find_dcmtk_tool("echoscu")
    return subprocess.run(
        [echoscu, "-aet", "TESTSCU", "-aec", sut.ae_title, sut.host, str(sut.port)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **systems.DCMTK_ENV},
    )


def assert_echo_succeeds(sut: SystemUnderTest) -> None:
    assert "echo" in sut.supports
    assert sut.host == systems.LOOPBACK
    if systems.local_available("dcmtk")[0]:
        result = echo_with_echoscu(sut)
        assert result.returncode == 0, result.stdout + result.stderr
    assert echo_with_pynetdicom(sut) == SUCCESS


def store_ct(sut: SystemUnderTest) -> int:
    dataset = dcmread(ct_small_path())
    ae = AE(ae_title="TESTSCU")
    ae.add_requested_context(CTImageStorage, dataset.file_meta.TransferSyntaxUID)
    assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title)
    assert assoc.is_established
    try:
        return int(assoc.send_c_store(dataset).Status)
    finally:
        assoc.release()


def ct_small_path() -> Path:
    path = get_testdata_file("CT_small.dcm")
    assert path is not None
    return Path(path)


# -- helpers ------------------------------------------------------------------------------


def test_dcmtk_tools_are_found_behind_pynetdicoms_scripts_of_the_same_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtual environment's bin/ puts pynetdicom's ``storescp`` script first on PATH."""
    try:
        native = systems.find_dcmtk_tool("storescp")
    except systems.PeerUnavailable as error:
        pytest.skip(str(error))
    script = tmp_path / "storescp"
    script.write_text("#!/usr/bin/env python3\nraise SystemExit(3)\n")
    script.chmod(0o755)
    monkeypatch.delenv("DCMTK_BIN", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert systems.find_dcmtk_tool("storescp") == native
    assert Path(native).parent != tmp_path


def test_free_port_is_not_listening_and_bindable() -> None:
    port = systems.free_port()
    assert 0 < port < 65536
    assert not systems.is_listening(port)


def test_dcmqrscp_config_lists_our_ae_and_move_destinations(tmp_path: Path) -> None:
    text = systems.dcmqrscp_config("QRSCP", 1234, tmp_path, {"DEST": ("127.0.0.1", 5678)})
    assert "NetworkTCPPort = 1234" in text
    assert "(DEST, 127.0.0.1, 5678)" in text
    assert f"QRSCP {tmp_path} RW" in text


def test_a_peer_that_exits_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    argv = ["sh", "-c", "echo cannot bind; exit 3"]
    with (
        pytest.raises(PeerStartError, match="cannot bind"),
        systems.run_process(argv, log_path=tmp_path / "log", ready_line="^READY"),
    ):
        pass


def test_a_peer_that_never_listens_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    port = systems.free_port()
    argv = ["sh", "-c", "echo waiting; exec sleep 60"]
    with (
        pytest.raises(PeerStartError, match="nothing listened"),
        systems.run_process(argv, log_path=tmp_path / "log", ready_port=port, timeout=0.5),
    ):
        pass


# -- local processes ----------------------------------------------------------------------


def test_dcmtk_storescp_answers_echo_and_writes_what_it_stores(tmp_path: Path) -> None:
    _skip_unless_local("dcmtk")
    with systems.dcmtk_storescp(ae_title="STORESCP", output_dir=tmp_path) as sut:
        assert sut.ae_title == "STORESCP"
        assert_echo_succeeds(sut)
        assert store_ct(sut) == SUCCESS
        process_log = sut.log_path
        port = sut.port
    assert len(list(tmp_path.iterdir())) == 1
    assert not systems.is_listening(port)
    assert process_log is not None and not process_log.exists()  # its temp dir is gone


def test_dcmtk_dcmqrscp_answers_echo_and_finds_what_it_was_loaded_with() -> None:
    _skip_unless_local("dcmtk")
    with systems.dcmtk_dcmqrscp(
        ae_title="QRSCP", peers={"DEST": ("127.0.0.1", 11113)}, preload=[ct_small_path()]
    ) as sut:
        assert sut.supports_all(Capability.FIND, Capability.MOVE)
        assert_echo_succeeds(sut)
        ae = AE(ae_title="TESTSCU")
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title)
        assert assoc.is_established
        query = dcmread(ct_small_path(), stop_before_pixels=True)
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "STUDY"
        identifier.StudyInstanceUID = ""
        found = [
            answer.StudyInstanceUID
            for status, answer in assoc.send_c_find(
                identifier, StudyRootQueryRetrieveInformationModelFind
            )
            if status and status.Status == 0xFF00 and answer is not None
        ]
        assoc.release()
        assert found == [query.StudyInstanceUID]


def test_orthanc_answers_echo_and_its_rest_api_counts_uploads() -> None:
    _skip_unless_local("orthanc")
    with systems.orthanc(ae_title="ORTHANC", modalities={"DEST": ("DEST", "127.0.0.1", 1)}) as sut:
        assert sut.http_port is not None and sut.http_port != sut.port
        rest = OrthancRest.of(sut)
        assert rest.statistics()["CountInstances"] == 0
        assert_echo_succeeds(sut)
        assert rest.upload(ct_small_path())["Status"] == "Success"
        assert store_ct(sut) == SUCCESS  # the same instance again, over DICOM
        assert rest.statistics()["CountInstances"] == 1
        assert rest.system()["DicomAet"] == "ORTHANC"
        port = sut.port
    assert not systems.is_listening(port)


def test_pynetdicom_scp_answers_echo_and_stores_to_its_folder(tmp_path: Path) -> None:
    _skip_unless_local("pynetdicom")
    with systems.pynetdicom_scp(ae_title="PYSCP", storage_dir=tmp_path) as sut:
        assert sut.supports == systems.PYNETDICOM_SERVICES
        assert_echo_succeeds(sut)
        assert store_ct(sut) == SUCCESS
        port = sut.port
    assert [path.name for path in tmp_path.iterdir()] == [
        f"{dcmread(ct_small_path()).SOPInstanceUID}.dcm"
    ]
    assert not systems.is_listening(port)


def test_pynetdicom_scp_offers_only_the_services_asked_for() -> None:
    _skip_unless_local("pynetdicom")
    with systems.pynetdicom_scp(ae_title="ECHOONLY", services={"echo"}) as sut:
        assert sut.supports == frozenset({"echo"})
        assert echo_with_pynetdicom(sut) == SUCCESS
        ae = AE(ae_title="TESTSCU")
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title)
        # No storage context accepted: pynetdicom aborts or rejects; either way no association.
        established = assoc.is_established
        if established:
            assoc.release()
        assert not established


def test_pynetdicom_scp_refuses_unknown_services() -> None:
    with pytest.raises(ValueError, match="unknown"), systems.pynetdicom_scp(services={"print"}):
        pass


# -- containers ---------------------------------------------------------------------------


def _container_cases() -> list[
    tuple[str, str, Callable[[], AbstractContextManager[SystemUnderTest]]]
]:
    return [
        ("storescp", systems.DCMTK_IMAGE, lambda: systems.dcmtk_storescp_container("STORESCP")),
        ("dcmqrscp", systems.DCMTK_IMAGE, lambda: systems.dcmtk_dcmqrscp_container("QRSCP")),
        ("orthanc", systems.ORTHANC_IMAGE, lambda: systems.orthanc_container("ORTHANC")),
        ("pynetdicom", systems.PYNETDICOM_IMAGE, lambda: systems.pynetdicom_container("PYSCP")),
    ]


@pytest.mark.docker
@pytest.mark.parametrize(
    ("image", "launch"),
    [(image, launch) for _, image, launch in _container_cases()],
    ids=[name for name, _, _ in _container_cases()],
)
def test_container_peer_answers_echo(
    image: str, launch: Callable[[], AbstractContextManager[SystemUnderTest]]
) -> None:
    _skip_unless_image(image)
    with launch() as sut:
        assert sut.name.endswith("/container")
        assert_echo_succeeds(sut)
        port = sut.port
    assert not systems.is_listening(port)


@pytest.mark.docker
def test_orthanc_container_rest_api_answers() -> None:
    _skip_unless_image(systems.ORTHANC_IMAGE)
    with systems.orthanc_container("ORTHANC") as sut:
        rest = OrthancRest.of(sut)
        assert rest.statistics()["CountInstances"] == 0
        assert store_ct(sut) == SUCCESS
        assert rest.statistics()["CountInstances"] == 1


@pytest.mark.docker
def test_dicomactors_container_answers_echo() -> None:
    _skip_unless_image(systems.DICOMACTORS_IMAGE)
    if not (Path(__file__).parents[1] / "dicomactors" / "apps" / "qrscp.py").exists():
        pytest.skip("dicomactors.apps.qrscp is not written yet")
    with systems.dicomactors_container("DICOMACTORS") as sut:
        assert_echo_succeeds(sut)


def test_docker_available_gives_a_reason_when_no_engine_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    ok, reason = systems.docker_available()
    assert not ok
    assert reason.startswith("no Docker engine answers")


# -- the pynetdicom peer's services ---------------------------------------------------------


def test_pynetdicom_scp_finds_and_moves_what_it_stored(tmp_path: Path) -> None:
    _skip_unless_local("pynetdicom")
    stored = dcmread(ct_small_path())
    with (
        systems.pynetdicom_scp("DEST", {"echo", "store"}, storage_dir=tmp_path / "dest") as dest,
        systems.pynetdicom_scp(
            "ARCHIVE", storage_dir=tmp_path / "archive", peers={"DEST": dest.address}
        ) as archive,
    ):
        assert store_ct(archive) == SUCCESS
        ae = AE(ae_title="TESTSCU")
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = ae.associate(archive.host, archive.port, ae_title=archive.ae_title)
        assert assoc.is_established
        identifier = Dataset()
        identifier.QueryRetrieveLevel = "STUDY"
        identifier.StudyInstanceUID = ""
        identifier.PatientID = stored.PatientID
        answers = [
            (status.Status, answer)
            for status, answer in assoc.send_c_find(
                identifier, StudyRootQueryRetrieveInformationModelFind
            )
        ]
        move = Dataset()
        move.QueryRetrieveLevel = "STUDY"
        move.StudyInstanceUID = stored.StudyInstanceUID
        move_statuses = [
            status.Status
            for status, _ in assoc.send_c_move(
                move, "DEST", StudyRootQueryRetrieveInformationModelMove
            )
        ]
        unknown_statuses = [
            status.Status
            for status, _ in assoc.send_c_move(
                move, "NOWHERE", StudyRootQueryRetrieveInformationModelMove
            )
        ]
        assoc.release()
    assert [status for status, _ in answers] == [0xFF00, SUCCESS]
    first = answers[0][1]
    assert first is not None and first.StudyInstanceUID == stored.StudyInstanceUID
    assert move_statuses[-1] == SUCCESS
    assert [path.name for path in (tmp_path / "dest").iterdir()] == [f"{stored.SOPInstanceUID}.dcm"]
    assert unknown_statuses == [0xA801]  # move destination unknown


def test_pynetdicom_scp_reports_storage_commitment_on_the_same_association(
    tmp_path: Path,
) -> None:
    _skip_unless_local("pynetdicom")
    stored = dcmread(ct_small_path())
    reports: list[tuple[int, Dataset]] = []
    reported = threading.Event()

    def on_report(event: evt.Event) -> tuple[int, None]:
        event_type = event.event_type
        assert event_type is not None
        reports.append((int(event_type), event.event_information))
        reported.set()
        return SUCCESS, None

    with systems.pynetdicom_scp("COMMIT", storage_dir=tmp_path) as sut:
        assert store_ct(sut) == SUCCESS
        ae = AE(ae_title="TESTSCU")
        ae.add_requested_context(StorageCommitmentPushModel)
        assoc = ae.associate(
            sut.host,
            sut.port,
            ae_title=sut.ae_title,
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)],
        )
        assert assoc.is_established
        request = Dataset()
        request.TransactionUID = generate_uid()
        present, absent = Dataset(), Dataset()
        present.ReferencedSOPClassUID = stored.SOPClassUID
        present.ReferencedSOPInstanceUID = stored.SOPInstanceUID
        absent.ReferencedSOPClassUID = stored.SOPClassUID
        absent.ReferencedSOPInstanceUID = generate_uid()
        request.ReferencedSOPSequence = [present, absent]
        status, _ = assoc.send_n_action(
            request, 1, StorageCommitmentPushModel, "1.2.840.10008.1.20.1.1"
        )
        assert status.Status == SUCCESS
        assert reported.wait(10), "no N-EVENT-REPORT arrived"
        assoc.release()
    event_type, information = reports[0]
    assert event_type == 2  # some failed
    assert information.TransactionUID == request.TransactionUID
    assert [item.ReferencedSOPInstanceUID for item in information.ReferencedSOPSequence] == [
        stored.SOPInstanceUID
    ]
    assert [item.FailureReason for item in information.FailedSOPSequence] == [0x0112]


def test_dcmtk_dcmqrscp_moves_to_a_destination_from_its_host_table(tmp_path: Path) -> None:
    _skip_unless_local("dcmtk")
    stored = dcmread(ct_small_path())
    with (
        systems.dcmtk_storescp("DEST", output_dir=tmp_path) as dest,
        systems.dcmtk_dcmqrscp(
            "QRSCP", peers={"DEST": dest.address}, preload=[ct_small_path()]
        ) as archive,
    ):
        ae = AE(ae_title="TESTSCU")
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = ae.associate(archive.host, archive.port, ae_title=archive.ae_title)
        assert assoc.is_established
        move = Dataset()
        move.QueryRetrieveLevel = "STUDY"
        move.StudyInstanceUID = stored.StudyInstanceUID
        statuses = [
            status.Status
            for status, _ in assoc.send_c_move(
                move, "DEST", StudyRootQueryRetrieveInformationModelMove
            )
        ]
        assoc.release()
    assert statuses[-1] == SUCCESS
    assert len(list(tmp_path.iterdir())) == 1
