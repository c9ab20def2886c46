"""``dicomactors wlmscp`` answering DCMTK's ``findscu -W``, and ``dicomactors find -W``
against DCMTK's ``wlmscpfs``, from the same folder of worklist files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread
from pydicom.uid import ImplicitVRLittleEndian, generate_uid

from dicomactors.cli.common import Exit
from harness.systems import (
    DCMTK_ENV,
    LOOPBACK,
    PeerUnavailable,
    find_dcmtk_tool,
    free_port,
    run_process,
)
from tests._cli import RunningTool, assert_fails_in_one_line, run_cli
from tests._peers import run_dcmtk

# (modality, patient, accession, scheduled date)
ITEMS = [
    ("CT", "ALICE^A", "1001", "20260102"),
    ("MR", "BOB^B", "1002", "20260103"),
    ("CT", "CAROL^C", "1003", "20260110"),
]


def write_worklist(folder: Path) -> Path:
    """Each item as a ``.wl`` file: a data set without File Meta Information, as
    ``dump2dcm`` writes for wlmscpfs, with every attribute wlmscpfs requires before it
    serves an item; plus ``lockfile``, which wlmscpfs asks for."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, (modality, name, accession, date) in enumerate(ITEMS):
        item = Dataset()
        item.SpecificCharacterSet = "ISO_IR 100"
        item.PatientName = name
        item.PatientID = f"P{accession}"
        item.AccessionNumber = accession
        step = Dataset()
        step.Modality = modality
        step.ScheduledStationAETitle = "SCANNER"
        step.ScheduledProcedureStepStartDate = date
        step.ScheduledProcedureStepStartTime = "0900"
        step.ScheduledProcedureStepID = f"SPS{accession}"
        step.ScheduledProcedureStepDescription = "Scan"
        step.ScheduledPerformingPhysicianName = "WHO^DOES"
        item.ScheduledProcedureStepSequence = [step]
        item.RequestedProcedureID = f"RP{accession}"
        item.RequestedProcedureDescription = "Scan"
        item.StudyInstanceUID = generate_uid()
        item.PatientBirthDate = "19700101"
        item.PatientSex = "O"
        item.ReferringPhysicianName = "WHO^SENT"
        item.save_as(folder / f"item{number}.wl", implicit_vr=True, little_endian=True)
    (folder / "lockfile").write_text("")
    return folder


@pytest.fixture
def our_wlmscp(tmp_path: Path) -> Iterator[int]:
    folder = write_worklist(tmp_path / "worklist")
    port = free_port()
    with RunningTool("wlmscp", str(port), "-dfp", str(folder), "--bind", LOOPBACK):
        yield port


def test_wlmscp_answers_dcmtk_findscu(our_wlmscp: int, tmp_path: Path) -> None:
    out = tmp_path / "responses"
    out.mkdir()
    try:
        result = run_dcmtk(
            "findscu", "-W", "-X", "-od", str(out), "-aec", "WLMSCP",
            "-k", "(0040,0100)[0].Modality=CT", "-k", "PatientName", "-k", "AccessionNumber",
            LOOPBACK, str(our_wlmscp),
        )  # fmt: skip
    except PeerUnavailable as error:
        pytest.skip(str(error))
    assert result.returncode == 0, result.stderr
    found = [dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]
    assert sorted(str(ds.PatientName) for ds in found) == ["ALICE^A", "CAROL^C"]
    assert all(ds.ScheduledProcedureStepSequence[0].Modality == "CT" for ds in found)


def test_find_against_our_wlmscp_with_a_date_range(our_wlmscp: int) -> None:
    result = run_cli(
        "find", LOOPBACK, str(our_wlmscp), "-W", "--json", "-k", "PatientName",
        "-k", "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20260101-20260105",
        "-k", "ScheduledProcedureStepSequence[0].Modality",
    )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    names = sorted(str(Dataset.from_json(m).PatientName) for m in json.loads(result.stdout))
    assert names == ["ALICE^A", "BOB^B"]


def test_find_against_dcmtk_wlmscpfs(tmp_path: Path) -> None:
    write_worklist(tmp_path / "data" / "WLMSCPFS")
    port = free_port()
    try:
        argv = [find_dcmtk_tool("wlmscpfs"), "-dfp", str(tmp_path / "data"), str(port)]
    except PeerUnavailable as error:
        pytest.skip(str(error))
    with run_process(argv, log_path=tmp_path / "wlmscpfs.log", env=DCMTK_ENV, ready_port=port):
        result = run_cli(
            "find", LOOPBACK, str(port), "-aec", "WLMSCPFS", "-W", "--json",
            "-k", "PatientName", "-k", "AccessionNumber",
            "-k", "ScheduledProcedureStepSequence[0].Modality=MR",
        )  # fmt: skip
    assert result.returncode == Exit.OK, result.stderr
    found = [Dataset.from_json(m) for m in json.loads(result.stdout)]
    assert [(str(ds.PatientName), ds.AccessionNumber) for ds in found] == [("BOB^B", "1002")]


def test_a_file_that_is_not_dicom_is_skipped(tmp_path: Path) -> None:
    folder = write_worklist(tmp_path / "worklist")
    (folder / "notes.txt").write_text("not a worklist item")
    port = free_port()
    with RunningTool("wlmscp", str(port), "-dfp", str(folder), "--bind", LOOPBACK) as scp:
        result = run_cli("find", LOOPBACK, str(port), "-k", "PatientName=*")
    assert result.returncode == Exit.OK, result.stderr
    assert "3 matches, final status 0x0000" in result.stdout
    assert "answered 1 queries" in scp.stdout


def test_wlmscp_needs_a_folder(tmp_path: Path) -> None:
    result = run_cli("wlmscp", str(free_port()), "-dfp", str(tmp_path / "missing"))
    assert_fails_in_one_line(result, Exit.INPUT, "not a directory")


def test_written_items_are_implicit_little_endian(tmp_path: Path) -> None:
    """What wlmscpfs reads: a bare data set (no preamble), implicit VR little endian."""
    path = write_worklist(tmp_path) / "item0.wl"
    assert path.read_bytes()[128:132] != b"DICM"
    assert dcmread(path, force=True).file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian) == (
        ImplicitVRLittleEndian
    )
