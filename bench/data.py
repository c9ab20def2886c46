"""Test instances for the benchmark: CT images in Explicit VR Little Endian, written as files."""

from __future__ import annotations

from pathlib import Path

from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

KIB = 1024
MIB = 1024 * KIB


def ct_dataset(pixel_bytes: int, index: int = 0) -> Dataset:
    """A CT image whose Pixel Data is ``pixel_bytes`` long (16-bit, one column wide rows)."""
    columns = 512
    rows = max(1, pixel_bytes // (2 * columns))
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "BENCH^PATIENT"
    ds.PatientID = "BENCH"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.Modality = "CT"
    ds.InstanceNumber = index + 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(range(256)) * (rows * columns * 2 // 256)
    return ds


def write_instances(directory: Path, count: int, pixel_bytes: int) -> list[Path]:
    """``count`` CT files of about ``pixel_bytes`` each in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    template = ct_dataset(pixel_bytes)
    paths = []
    for index in range(count):
        template.SOPInstanceUID = generate_uid()
        template.InstanceNumber = index + 1
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = template.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        template.file_meta = meta
        path = directory / f"ct{index:05d}.dcm"
        template.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_big_instance(path: Path, size: int) -> Path:
    """One CT file with ``size`` bytes of Pixel Data, written without holding it in memory."""
    header = ct_dataset(2 * 512)
    frames = max(1, size // (2 * 512 * 512))
    header.Rows = 512
    header.NumberOfFrames = frames
    rows = frames * 512
    del header.PixelData
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = header.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    header.file_meta = meta
    header.save_as(path, enforce_file_format=True)
    length = rows * 512 * 2
    block = bytes(range(256)) * (4 * MIB // 256)
    with path.open("ab") as out:
        # (7FE0,0010) OW, reserved, 4-byte length: PS3.5 7.1.2.
        out.write(b"\xe0\x7f\x10\x00OW\x00\x00" + length.to_bytes(4, "little"))
        left = length
        while left:
            chunk = block[: min(left, len(block))]
            out.write(chunk)
            left -= len(chunk)
    return path
