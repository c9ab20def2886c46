"""Running the ``dicomactors`` tools as a user would: a subprocess, its output and status."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from dicomactors.cli.common import Exit

CLI_TIMEOUT = 90.0


def run_cli(*args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m dicomactors.cli ARGS``, from this interpreter (the venv's, under test.sh)."""
    return subprocess.run(
        [sys.executable, "-m", "dicomactors.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def assert_fails_in_one_line(
    result: subprocess.CompletedProcess[str], code: Exit, *words: str
) -> str:
    """The tool ended with ``code`` and one line on stderr (no traceback) naming ``words``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def write_ct_files(folder: Path, count: int, *, nested: bool = False) -> list[Path]:
    """``count`` small CT images as DICOM files under ``folder`` (spread over two
    subfolders when ``nested``), each with its own SOP Instance UID."""
    study, series = generate_uid(), generate_uid()
    paths = []
    for number in range(count):
        ds = Dataset()
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.PatientName = "Cli^Test"
        ds.PatientID = "CLI001"
        ds.Modality = "CT"
        ds.InstanceNumber = number + 1
        ds.Rows = ds.Columns = 16
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelRepresentation = 0
        ds.PixelData = bytes(range(256)) * 2
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        where = folder / (f"part{number % 2}" if nested else "")
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"ct{number:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


class RunningTool:
    """A server tool (``store-scp``, ``wlmscp``) started as a subprocess; ends with SIGTERM."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dicomactors.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        # The tool prints its first line once it listens (or exits with its error).
        self.first_line = self.process.stdout.readline()
        self.stdout = ""
        self.stderr = ""
        self.returncode: int | None = None

    def stop(self) -> None:
        if self.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            self.stdout, self.stderr = self.process.communicate(timeout=CLI_TIMEOUT)
            self.returncode = self.process.returncode

    def __enter__(self) -> RunningTool:
        if not self.first_line.startswith("listening"):
            self.stop()
            raise AssertionError(f"did not start: {self.first_line}{self.stdout}{self.stderr}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
