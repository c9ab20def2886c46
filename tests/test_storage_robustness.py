"""C-STORE SCP robustness: cut-off transfers, raising handlers, raw bytes written as files.

A raw socket plays the peer for the cut-off cases: it associates, sends a
C-STORE-RQ command and half of the data set, then aborts (A-ABORT) or just
closes the connection. The SCP's handler writes files; the assertions are that
it never ran and the folder stays empty, and that the server still serves the
next association.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset, dcmread
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from dicomactors import AE, evt
from dicomactors.dataset import encode_dataset
from dicomactors.dimse import CStoreRQ, encode_command
from dicomactors.pdu.codec import decode_pdu, encode_pdu
from dicomactors.pdu.items import PresentationContextRQItem
from dicomactors.pdu.pdus import AAbort, AAssociateAC, PDataTF, PresentationDataValue
from harness.behaviours import associate_rq
from harness.systems import DCMTK_ENV, PeerUnavailable, find_dcmtk_tool
from tests.test_nservices_interop import ConnectionTracker

pytestmark = pytest.mark.timeout(60)


def make_instance() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Robust^Test"
    ds.PatientID = "R1"
    ds.Rows = ds.Columns = 64
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * 16
    return ds


class FileWritingHandler:
    """Writes each received instance with ``event.encoded_dataset()``; may be told to raise."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls = 0
        self.raise_next = False
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> int:
        with self.lock:
            self.calls += 1
            if self.raise_next:
                self.raise_next = False
                raise OSError("disk full")
        path = self.folder / f"{event.request.AffectedSOPInstanceUID}.dcm"
        path.write_bytes(event.encoded_dataset())
        return 0x0000


@pytest.fixture
def storage_scp(tmp_path: Path) -> Iterator[tuple[int, FileWritingHandler, ConnectionTracker]]:
    handler = FileWritingHandler(tmp_path)
    tracker = ConnectionTracker()
    ae = AE(ae_title="STORE")
    ae.add_supported_context(SecondaryCaptureImageStorage, [ExplicitVRLittleEndian])
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, handler), *tracker.handlers()],
    )
    assert server is not None
    try:
        yield server.server_address[1], handler, tracker
    finally:
        tracker.wait_all_closed()
        server.shutdown()


def _read_pdu(sock: socket.socket) -> Any:
    header = _read_exactly(sock, 6)
    length = int.from_bytes(header[2:6], "big")
    return decode_pdu(header + _read_exactly(sock, length))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _send_half_a_store(port: int, ending: str) -> None:
    context = PresentationContextRQItem(1, SecondaryCaptureImageStorage, (ExplicitVRLittleEndian,))
    ds = make_instance()
    dataset = encode_dataset(ds, ExplicitVRLittleEndian)
    command = encode_command(
        CStoreRQ(
            message_id=1,
            affected_sop_class_uid=SecondaryCaptureImageStorage,
            affected_sop_instance_uid=ds.SOPInstanceUID,
        )
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(encode_pdu(associate_rq("STORE", contexts=(context,))))
        assert isinstance(_read_pdu(sock), AAssociateAC)
        half = dataset[: len(dataset) // 2]
        pdus = [
            PDataTF((PresentationDataValue(1, True, True, command),)),
            PDataTF((PresentationDataValue(1, False, False, half[:1000]),)),
            PDataTF((PresentationDataValue(1, False, False, half[1000:]),)),
        ]
        for pdu in pdus:
            sock.sendall(encode_pdu(pdu))
        if ending == "abort":
            sock.sendall(encode_pdu(AAbort(0, 0)))
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)  # wait for the SCP to close its side


@pytest.mark.parametrize("ending", ["abort", "close"])
def test_cut_off_store_never_reaches_the_handler(
    storage_scp: tuple[int, FileWritingHandler, ConnectionTracker], ending: str
) -> None:
    port, handler, tracker = storage_scp
    _send_half_a_store(port, ending)
    tracker.wait_all_closed()
    assert handler.calls == 0
    assert list(handler.folder.iterdir()) == []

    # The server still serves whole transfers.
    ae = AE(ae_title="SCU")
    ae.add_requested_context(SecondaryCaptureImageStorage, [ExplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", port, ae_title="STORE")
    assert assoc.is_established
    try:
        assert assoc.send_c_store(make_instance()).Status == 0x0000
    finally:
        assoc.release()
    assert handler.calls == 1
    assert len(list(handler.folder.iterdir())) == 1


def test_raising_handler_gives_a_failure_status_and_the_association_goes_on(
    storage_scp: tuple[int, FileWritingHandler, ConnectionTracker],
) -> None:
    port, handler, _ = storage_scp
    ae = AE(ae_title="SCU")
    ae.add_requested_context(SecondaryCaptureImageStorage, [ExplicitVRLittleEndian])
    assoc = ae.associate("127.0.0.1", port, ae_title="STORE")
    assert assoc.is_established
    try:
        handler.raise_next = True
        status = assoc.send_c_store(make_instance())
        assert 0xC000 <= status.Status <= 0xCFFF
        assert "disk full" in status.ErrorComment
        assert assoc.is_established
        assert assoc.send_c_store(make_instance(), msg_id=2).Status == 0x0000
    finally:
        assoc.release()
    assert handler.calls == 2


def test_encoded_dataset_is_a_valid_file(
    storage_scp: tuple[int, FileWritingHandler, ConnectionTracker],
) -> None:
    port, handler, _ = storage_scp
    ae = AE(ae_title="SCU")
    ae.add_requested_context(SecondaryCaptureImageStorage, [ExplicitVRLittleEndian])
    ds = make_instance()
    assoc = ae.associate("127.0.0.1", port, ae_title="STORE")
    assert assoc.is_established
    try:
        assert assoc.send_c_store(ds).Status == 0x0000
    finally:
        assoc.release()
    path = handler.folder / f"{ds.SOPInstanceUID}.dcm"
    written = dcmread(path)
    assert written.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert written.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert written.PixelData == ds.PixelData
    try:
        dcmdump = find_dcmtk_tool("dcmdump")
    except PeerUnavailable as exc:
        pytest.skip(str(exc))
    result = subprocess.run(
        [dcmdump, "-M", "+E", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **DCMTK_ENV},
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "Robust^Test" in result.stdout
    assert "E:" not in result.stderr
