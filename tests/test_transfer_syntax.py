"""C-STORE in every transfer syntax dicomactors carries, end to end.

Uncompressed syntaxes (Implicit and Explicit VR Little Endian, Explicit VR Big
Endian, Deflated) are re-encoded by the sender; encapsulated ones (JPEG
Baseline, RLE Lossless) pass through untouched, so the pixel data bytes the
receiver writes are the bytes the sender had. Each syntax runs
dicomactors -> dicomactors, DCMTK storescu -> dicomactors and
dicomactors -> DCMTK storescp; the files written are read back by pydicom and
by dcmdump.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset, dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from dicomactors import AE, evt
from dicomactors.dataset import decode_dataset, encode_dataset, file_meta_bytes
from dicomactors.scu.storage import read_dicom_file
from harness.systems import DCMTK_ENV, PeerUnavailable, dcmtk_storescp, find_dcmtk_tool
from tests.test_nservices_interop import ConnectionTracker

pytestmark = pytest.mark.timeout(60)

UNCOMPRESSED = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
]
ENCAPSULATED = [JPEGBaseline8Bit, RLELossless]
ALL = UNCOMPRESSED + ENCAPSULATED

# 16-bit words whose two bytes differ, so a missed byte swap shows.
WORDS = bytes(range(1, 33))
FRAMES = [b"\xff\xd8" + bytes(range(40, 90)) + b"\xff\xd9", b"\xff\xd8frame-two\xff\xd9"]


def _tool(name: str) -> str:
    try:
        return find_dcmtk_tool(name)
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


def make_instance(syntax: str) -> Dataset:
    """A Secondary Capture instance in ``syntax``: 16-bit words, or two encapsulated frames."""
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Syntax^Test"
    ds.PatientID = "TS1"
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 4
    ds.Columns = 4
    ds.PixelRepresentation = 0
    if syntax in ENCAPSULATED:
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        ds.NumberOfFrames = len(FRAMES)
        ds.PixelData = encapsulate(FRAMES)
        ds["PixelData"].VR = "OB"
    else:
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelData = WORDS
        ds["PixelData"].VR = "OW"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def write_file(ds: Dataset, folder: Path) -> Path:
    path = folder / f"{ds.SOPInstanceUID}.dcm"
    syntax = ds.file_meta.TransferSyntaxUID
    if syntax == ExplicitVRBigEndian:
        # pydicom keeps words as given; our encoder swaps them for big endian.
        body = encode_dataset(ds, syntax)
        path.write_bytes(file_meta_bytes(ds.SOPClassUID, ds.SOPInstanceUID, syntax) + body)
    else:
        ds.save_as(path, enforce_file_format=True)
    return path


def assert_same_pixels(received: Dataset, sent: Dataset, syntax: str) -> None:
    """Encapsulated: the very bytes; uncompressed: the same 16-bit values."""
    if syntax in ENCAPSULATED:
        assert received.PixelData == sent.PixelData
        return
    words = received.PixelData
    if received.original_encoding[1] is False:  # big endian words as read
        words = b"".join(words[i : i + 2][::-1] for i in range(0, len(words), 2))
    assert words == WORDS


def dcmdump_ok(path: Path) -> str:
    result = subprocess.run(
        [_tool("dcmdump"), "-M", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **DCMTK_ENV},
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class FileWriter:
    """A storage handler that writes ``event.encoded_dataset()`` as is."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []
        self.syntaxes: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> int:
        path = self.folder / f"{event.request.AffectedSOPInstanceUID}.dcm"
        path.write_bytes(event.encoded_dataset())
        with self.lock:
            self.paths.append(path)
            self.syntaxes.append(str(event.transfer_syntax))
        return 0x0000


@pytest.fixture
def our_scp(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[int, FileWriter, str]]:
    """A dicomactors storage SCP accepting Secondary Capture in ``request.param`` only."""
    syntax = request.param
    received = tmp_path / "received"
    received.mkdir()
    writer = FileWriter(received)
    tracker = ConnectionTracker()
    ae = AE(ae_title="TSSCP")
    ae.add_supported_context(SecondaryCaptureImageStorage, [syntax])
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, writer), *tracker.handlers()],
    )
    assert server is not None
    try:
        yield server.server_address[1], writer, syntax
    finally:
        tracker.wait_all_closed()
        server.shutdown()


@pytest.mark.parametrize("syntax", ALL)
def test_codec_round_trip(syntax: str) -> None:
    ds = make_instance(syntax)
    raw = encode_dataset(ds, syntax)
    back = decode_dataset(raw, syntax)
    assert back.PatientName == "Syntax^Test"
    assert_same_pixels(back, ds, syntax)
    assert encode_dataset(back, syntax) == raw


@pytest.mark.parametrize("our_scp", ALL, indirect=True)
def test_dicomactors_to_dicomactors(our_scp: tuple[int, FileWriter, str], tmp_path: Path) -> None:
    port, writer, syntax = our_scp
    ae = AE(ae_title="TSSCU")
    for candidate in ALL:  # the SCP picks the one it accepts
        ae.add_requested_context(SecondaryCaptureImageStorage, [candidate])
    assoc = ae.associate("127.0.0.1", port, ae_title="TSSCP")
    assert assoc.is_established
    try:
        assert [str(c.transfer_syntax[0]) for c in assoc.accepted_contexts] == [syntax]
        ds = make_instance(syntax)
        assert assoc.send_c_store(ds).Status == 0x0000
        sent_file = write_file(make_instance(syntax), tmp_path)
        assert assoc.send_c_store(sent_file, msg_id=2).Status == 0x0000
    finally:
        assoc.release()
    assert writer.syntaxes == [syntax, syntax]
    received = dcmread(writer.paths[0])
    assert received.file_meta.TransferSyntaxUID == syntax
    assert_same_pixels(received, ds, syntax)
    # A file is sent as stored: the receiver writes the very data set bytes.
    assert bytes(read_dicom_file(writer.paths[1])[3]) == bytes(read_dicom_file(sent_file)[3])
    assert "Syntax^Test" in dcmdump_ok(writer.paths[0])


STORESCU_FLAGS: dict[str, list[str]] = {
    ImplicitVRLittleEndian: ["-xi"],
    ExplicitVRLittleEndian: ["-xe"],
    ExplicitVRBigEndian: ["-xb"],
    DeflatedExplicitVRLittleEndian: ["-xd"],
    JPEGBaseline8Bit: ["-xy"],
    RLELossless: ["-xr"],
}


@pytest.mark.parametrize("our_scp", ALL, indirect=True)
def test_storescu_to_dicomactors(our_scp: tuple[int, FileWriter, str], tmp_path: Path) -> None:
    port, writer, syntax = our_scp
    ds = make_instance(syntax)
    path = write_file(ds, tmp_path)
    argv = [_tool("storescu"), *STORESCU_FLAGS[syntax], "-aec", "TSSCP"]
    result = subprocess.run(
        [*argv, "127.0.0.1", str(port), str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **DCMTK_ENV},
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert writer.syntaxes == [syntax]
    received = dcmread(writer.paths[0])
    assert received.file_meta.TransferSyntaxUID == syntax
    assert_same_pixels(received, ds, syntax)
    dcmdump_ok(writer.paths[0])


STORESCP_FLAGS: dict[str, list[str]] = {
    ImplicitVRLittleEndian: ["+xi"],
    ExplicitVRLittleEndian: ["+xe"],
    ExplicitVRBigEndian: ["+xb"],
    DeflatedExplicitVRLittleEndian: ["+xd"],
    JPEGBaseline8Bit: ["+xa"],
    RLELossless: ["+xa"],
}


@pytest.mark.parametrize("syntax", ALL)
def test_dicomactors_to_storescp(syntax: str, tmp_path: Path) -> None:
    _tool("storescp")
    out = tmp_path / "out"
    out.mkdir()
    with dcmtk_storescp(output_dir=out, extra_args=STORESCP_FLAGS[syntax]) as scp:
        ae = AE(ae_title="TSSCU")
        ae.add_requested_context(SecondaryCaptureImageStorage, [syntax])
        assoc = ae.associate(scp.host, scp.port, ae_title=scp.ae_title)
        assert assoc.is_established
        try:
            ds = make_instance(syntax)
            assert assoc.send_c_store(ds).Status == 0x0000
        finally:
            assoc.release()
    files = list(out.iterdir())
    assert len(files) == 1
    received = dcmread(files[0])
    assert received.file_meta.TransferSyntaxUID == syntax
    assert_same_pixels(received, ds, syntax)


def test_deflated_data_sets_are_even_length() -> None:
    """PS3.5 A.5: an odd deflated stream gets one trailing NUL; it still inflates."""
    lengths = set()
    for size in range(1, 40):
        ds = Dataset()
        ds.PatientID = "X" * size
        ds.PatientName = "A" * (size % 7)
        raw = encode_dataset(ds, DeflatedExplicitVRLittleEndian)
        lengths.add(len(raw) % 2)
        assert decode_dataset(raw, DeflatedExplicitVRLittleEndian).PatientID == "X" * size
    assert lengths == {0}
