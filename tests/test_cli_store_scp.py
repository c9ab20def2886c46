"""``dicomactors store-scp`` receiving from DCMTK's storescu and from pynetdicom, with a file
layout no UID can escape."""

from __future__ import annotations

from pathlib import Path

import pynetdicom
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ImplicitVRLittleEndian, generate_uid

from dicomactors.cli.common import Exit
from harness.systems import LOOPBACK, PeerUnavailable, free_port
from tests._cli import RunningTool, assert_fails_in_one_line, run_cli, write_ct_files
from tests._peers import run_dcmtk


def test_receives_from_dcmtk_storescu(tmp_path: Path) -> None:
    sent = write_ct_files(tmp_path / "scans", 50, nested=True)
    port = free_port()
    out = tmp_path / "in"
    with RunningTool("store-scp", str(port), "-od", str(out), "--bind", LOOPBACK) as scp:
        try:
            result = run_dcmtk(
                "storescu", "+sd", "+r", "-aec", "STORESCP", LOOPBACK, str(port),
                str(tmp_path / "scans"), timeout=120,
            )  # fmt: skip
        except PeerUnavailable as error:
            pytest.skip(str(error))
        assert result.returncode == 0, result.stderr
    assert scp.returncode == Exit.OK, scp.stderr
    assert "received 50 files" in scp.stdout
    stored = {dcmread(p).SOPInstanceUID: p for p in out.iterdir()}
    assert set(stored) == {dcmread(p).SOPInstanceUID for p in sent}
    for uid, path in stored.items():
        assert path.name == f"{uid}.dcm"


def test_one_folder_per_study(tmp_path: Path) -> None:
    sent = write_ct_files(tmp_path / "scans", 3)
    study = dcmread(sent[0]).StudyInstanceUID
    port = free_port()
    out = tmp_path / "in"
    with RunningTool("store-scp", str(port), "-od", str(out), "-ss", "--bind", LOOPBACK):
        result = run_cli("store", LOOPBACK, str(port), "+r", str(tmp_path / "scans"))
        assert result.returncode == Exit.OK, result.stderr
    assert sorted(p.parent.name for p in out.rglob("*.dcm")) == [study] * 3


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_a_uid_that_is_a_path_is_refused_and_nothing_escapes(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "in"
    port = free_port()
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = "1.2.3/../../../escaped"
    ds.PatientName = "Path^Traversal"
    good = Dataset()
    good.SOPClassUID = CTImageStorage
    good.SOPInstanceUID = generate_uid()
    for each in (ds, good):
        each.file_meta = FileMetaDataset()
        each.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    with RunningTool("store-scp", str(port), "-od", str(out), "--bind", LOOPBACK) as scp:
        ae = pynetdicom.AE(ae_title="EVIL")
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate(LOOPBACK, port)
        assert assoc.is_established
        try:
            refused = assoc.send_c_store(ds)
            accepted = assoc.send_c_store(good)
        finally:
            assoc.release()
    assert refused.Status == 0xA900
    assert accepted.Status == 0x0000
    assert "refused 1" in scp.stdout
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{good.SOPInstanceUID}.dcm"]


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    with RunningTool("store-scp", str(port), "--ignore", "--bind", LOOPBACK):
        second = run_cli("store-scp", str(port), "--ignore", "--bind", LOOPBACK, timeout=30)
    assert_fails_in_one_line(second, Exit.UNREACHABLE, "cannot listen")
