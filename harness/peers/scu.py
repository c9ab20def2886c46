"""An SCU to make requestors of: one operation against one node, then release.

Run as its own process (or in a container) with ``--library pynetdicom`` or ``--library
dicomactors``: both libraries have the same public API, so one script serves both. It
imports only the library chosen and pydicom, so each container image can carry it alone.

``scu.py --library L ACTION HOST PORT --called AET [--aet AET] [--timeout S]`` requests an
association, sends one C-ECHO, C-STORE (a small Secondary Capture image), C-FIND,
C-GET or C-MOVE (Study Root), releases, and prints one line per response. Exit status:
0 when every response was a success or a pending one, 1 when the operation got a
warning or failure status, or none, 2 when no association was established.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ImplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

VERIFICATION = "1.2.840.10008.1.1"
STUDY_ROOT = {
    "find": "1.2.840.10008.5.1.4.1.2.2.1",
    "move": "1.2.840.10008.5.1.4.1.2.2.2",
    "get": "1.2.840.10008.5.1.4.1.2.2.3",
}
PENDING = (0xFF00, 0xFF01)


def image() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "SCU"
    ds.PatientName = "HARNESS^SCU"
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 1
    ds.Columns = 8
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(8)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    return ds


def _query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.9.7433.3.1"
    return ds


def _status(value: Any) -> int | None:
    return int(value.Status) if value is not None and "Status" in value else None


def _operate(assoc: Any, action: str, move_destination: str) -> list[int | None]:
    if action == "echo":
        return [_status(assoc.send_c_echo())]
    if action == "store":
        return [_status(assoc.send_c_store(image()))]
    if action == "find":
        return [_status(status) for status, _ in assoc.send_c_find(_query(), STUDY_ROOT["find"])]
    if action == "get":
        return [_status(status) for status, _ in assoc.send_c_get(_query(), STUDY_ROOT["get"])]
    responses = assoc.send_c_move(_query(), move_destination, STUDY_ROOT["move"])
    return [_status(status) for status, _ in responses]


def _contexts(ae: Any, action: str) -> None:
    if action == "echo":
        ae.add_requested_context(VERIFICATION)
    elif action == "store":
        ae.add_requested_context(SecondaryCaptureImageStorage, ImplicitVRLittleEndian)
    else:
        ae.add_requested_context(STUDY_ROOT[action])
    if action == "get":
        ae.add_requested_context(SecondaryCaptureImageStorage, ImplicitVRLittleEndian)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("echo", "store", "find", "get", "move"))
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--library", choices=("pynetdicom", "dicomactors"), required=True)
    parser.add_argument("--called", default="ANY-SCP")
    parser.add_argument("--aet", default="SCU")
    parser.add_argument("--timeout", type=float, default=5.0, help="ACSE and DIMSE timeouts")
    parser.add_argument("--max-pdu", type=int, default=16382)
    parser.add_argument("--move-destination", default="SCU")
    args = parser.parse_args(argv)
    library = importlib.import_module(args.library)
    ae = library.AE(args.aet)
    ae.acse_timeout = args.timeout
    ae.dimse_timeout = args.timeout
    ae.network_timeout = args.timeout
    _contexts(ae, args.action)
    assoc = ae.associate(args.host, args.port, ae_title=args.called, max_pdu=args.max_pdu)
    try:
        if not assoc.is_established:
            state = "rejected" if assoc.is_rejected else "aborted" if assoc.is_aborted else "failed"
            print(f"association {state}", flush=True)
            return 2
        statuses = _operate(assoc, args.action, args.move_destination)
        for status in statuses:
            print("status", "none" if status is None else f"0x{status:04X}", flush=True)
        if assoc.is_established:
            assoc.release()
            print("released" if assoc.is_released else "release failed", flush=True)
        final = statuses[-1] if statuses else None
        return 0 if final == 0 or (final in PENDING and len(statuses) > 1) else 1
    finally:
        if assoc.is_established:
            assoc.abort()
        ae.shutdown()


if __name__ == "__main__":
    sys.exit(main())
