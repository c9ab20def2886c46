"""Shared pieces of the Query/Retrieve tests (no tests here): small instances, SCUs, peers.

The instances are a few hundred bytes each, generated with pydicom: two patients, three
studies, several series and modalities, dates and times spread so the matching kinds of
PS3.4 C.2.2.2 each have something to select.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset, dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid

from dicomactors import events as evt
from dicomactors.ae import AE
from dicomactors.apps.qrscp import QRSCP, RunningQRSCP
from dicomactors.presentation import build_role
from harness import systems

PREFIX = "1.2.826.0.1.3680043.10.1147."  # a fixed root so UIDs sort alike everywhere

__test__ = False


def skip_unless(system: str) -> None:
    ok, reason = systems.local_available(system)
    if not ok:
        pytest.skip(reason)


def instance(
    patient: tuple[str, str],
    study: tuple[str, str, str, str],
    series: tuple[str, str, int],
    number: int,
    *,
    sop_class: str = str(CTImageStorage),
    pixels: bytes | None = None,
) -> Dataset:
    """One small image; ``study`` is (uid, date, time, accession), ``series`` (uid, modality, n)."""
    name, patient_id = patient
    study_uid, date, time, accession = study
    series_uid, modality, series_number = series
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid(PREFIX)
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = date
    ds.StudyTime = time
    ds.AccessionNumber = accession
    ds.StudyID = accession[-4:]
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = f"Study {accession}"
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesNumber = series_number
    ds.InstanceNumber = number
    ds.Rows = 8
    ds.Columns = 8
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = pixels if pixels is not None else os.urandom(64)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def corpus() -> list[Dataset]:
    """Two patients, three studies, five series, 14 instances."""
    doe, roe = ("Doe^John", "PID001"), ("Roe^Jane", "PID002")
    s1 = (generate_uid(PREFIX), "20200115", "101500", "ACC0001")
    s2 = (generate_uid(PREFIX), "20210620", "143000", "ACC0002")
    s3 = (generate_uid(PREFIX), "20220301", "083000", "ACC0003")
    out: list[Dataset] = []
    layout = [
        (doe, s1, "CT", 1, 3, CTImageStorage),
        (doe, s1, "CT", 2, 2, CTImageStorage),
        (doe, s2, "MR", 1, 4, MRImageStorage),
        (roe, s3, "CT", 1, 2, CTImageStorage),
        (roe, s3, "MR", 2, 3, MRImageStorage),
    ]
    for patient, study, modality, number, count, sop_class in layout:
        series = (generate_uid(PREFIX), modality, number)
        out += [instance(patient, study, series, i + 1, sop_class=sop_class) for i in range(count)]
    return out


def write_files(datasets: Sequence[Dataset], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in datasets:
        path = folder / f"{ds.SOPInstanceUID}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def storage_classes() -> list[str]:
    return [CTImageStorage, MRImageStorage]


def scu_ae(title: str = "DASCU") -> AE:
    """Our SCU, proposing the Q/R models and the storage classes of the corpus."""
    from dicomactors.presentation import QueryRetrievePresentationContexts

    ae = AE(title)
    for context in QueryRetrievePresentationContexts:
        ae.add_requested_context(context.abstract_syntax)
    for uid in storage_classes():
        ae.add_requested_context(uid)
    return ae


def get_roles() -> list[Any]:
    return [build_role(uid, scu_role=True, scp_role=True) for uid in storage_classes()]


@contextmanager
def running_qrscp(
    folder: Path,
    ae_title: str = "QRSCP",
    move_destinations: dict[str, tuple[str, int]] | None = None,
) -> Iterator[RunningQRSCP]:
    running = QRSCP(folder, ae_title, move_destinations).start(("127.0.0.1", 0))
    try:
        yield running
    finally:
        running.shutdown()
        running.scp.index.close()


def store_all(port: int, datasets: Sequence[Dataset], ae_title: str = "QRSCP") -> None:
    """Store through our own SCU (C-STORE is not under test here)."""
    ae = AE("LOADER")
    for uid in storage_classes():
        ae.add_requested_context(uid, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", port, ae_title=ae_title)
    assert assoc.is_established
    try:
        for ds in datasets:
            assert assoc.send_c_store(ds).Status == 0x0000
    finally:
        assoc.release()


class Collector:
    """An EVT_C_STORE handler that keeps what arrives (decoded) and answers success."""

    def __init__(self) -> None:
        self.received: dict[str, Dataset] = {}

    def __call__(self, event: evt.Event) -> int:
        ds = event.dataset
        self.received[str(ds.SOPInstanceUID)] = ds
        return 0x0000

    def handler(self) -> list[Any]:
        return [(evt.EVT_C_STORE, self)]


def run_dcmtk(tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [systems.find_dcmtk_tool(tool), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **systems.DCMTK_ENV},
    )


def read_responses(folder: Path) -> list[Dataset]:
    """The C-FIND responses findscu --extract wrote (rsp0001.dcm, ...)."""
    return [dcmread(path, force=True) for path in sorted(folder.glob("rsp*.dcm"))]


def query(level: str, **keys: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds
