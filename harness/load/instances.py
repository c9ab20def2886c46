"""What the load stores: new instances made on the fly, or the files of a folder; and the
fingerprint by which a stored instance is recognised afterwards (unaltered or not)."""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

# Attributes whose values must come back as sent; with the pixel data they make the
# fingerprint (a store that changes any of them has altered the instance).
FINGERPRINT_KEYWORDS = (
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "PatientID",
    "Rows",
    "Columns",
)


def encoded_length(dataset: Dataset) -> int:
    """The length of ``dataset`` encoded in Explicit VR Little Endian."""
    buffer = DicomBytesIO()
    buffer.is_little_endian = True
    buffer.is_implicit_VR = False
    write_dataset(buffer, dataset)
    return len(buffer.getvalue())


def fingerprint(dataset: Dataset) -> str:
    """SHA-256 over the identifying attributes and the pixel data of ``dataset``."""
    digest = hashlib.sha256()
    for keyword in FINGERPRINT_KEYWORDS:
        digest.update(f"{keyword}={dataset.get(keyword, '')}\n".encode())
    pixels = dataset.get("PixelData")
    digest.update(bytes(pixels) if pixels is not None else b"")
    return digest.hexdigest()


@dataclass(frozen=True)
class Instance:
    """One instance ready to send, with what the integrity check needs to find it again."""

    dataset: Dataset | Path
    size: int
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    patient_id: str
    fingerprint: str


class GeneratedInstances:
    """Fresh CT instances (new UIDs each), ``pixel_bytes`` of pixel data, in one study and
    series per source (per user)."""

    def __init__(self, pixel_bytes: int, patient_id: str = "LOAD") -> None:
        self.columns = 256
        self.rows = max(1, pixel_bytes // (2 * self.columns))
        self.patient_id = patient_id
        self.study_uid = generate_uid()
        self.series_uid = generate_uid()
        self._numbers = itertools.count(1)
        self._size: int | None = None
        # One random plane per source: instances differ by UID, not by pixels, so that
        # making one costs no more than a copy.
        self._pixels = random.Random(self.series_uid).randbytes(self.rows * self.columns * 2)

    def next(self) -> Instance:
        dataset = Dataset()
        dataset.file_meta = FileMetaDataset()
        dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dataset.SOPClassUID = CTImageStorage
        dataset.SOPInstanceUID = generate_uid()
        dataset.StudyInstanceUID = self.study_uid
        dataset.SeriesInstanceUID = self.series_uid
        dataset.PatientID = self.patient_id
        dataset.PatientName = "LOAD^TEST"
        dataset.Modality = "CT"
        dataset.InstanceNumber = next(self._numbers)
        dataset.SamplesPerPixel = 1
        dataset.PhotometricInterpretation = "MONOCHROME2"
        dataset.Rows = self.rows
        dataset.Columns = self.columns
        dataset.BitsAllocated = 16
        dataset.BitsStored = 16
        dataset.HighBit = 15
        dataset.PixelRepresentation = 0
        dataset.PixelData = self._pixels
        if self._size is None:  # the same for every instance but for a few UID bytes
            self._size = encoded_length(dataset)
        return _instance(dataset, dataset, self._size)


class FolderInstances:
    """The DICOM files under a folder, sent in turn (each user starts at its own place)."""

    def __init__(self, folder: Path, start: int = 0) -> None:
        self.instances = [
            instance for path in sorted(folder.rglob("*")) if (instance := _read(path))
        ]
        if not self.instances:
            raise ValueError(f"no DICOM files under {folder}")
        self._next = start % len(self.instances)

    def next(self) -> Instance:
        instance = self.instances[self._next]
        self._next = (self._next + 1) % len(self.instances)
        return instance


def _read(path: Path) -> Instance | None:
    if not path.is_file():
        return None
    try:
        dataset = dcmread(path)
    except (InvalidDicomError, OSError, ValueError):
        return None
    if "SOPInstanceUID" not in dataset or "SOPClassUID" not in dataset:
        return None
    return _instance(path, dataset, path.stat().st_size)


def _instance(sent: Dataset | Path, dataset: Dataset, size: int) -> Instance:
    return Instance(
        sent,
        size,
        str(dataset.SOPClassUID),
        str(dataset.SOPInstanceUID),
        str(dataset.get("StudyInstanceUID", "")),
        str(dataset.get("SeriesInstanceUID", "")),
        str(dataset.get("PatientID", "")),
        fingerprint(dataset),
    )
