"""Correctness of the fast data path (issue 6): no timing here, only behaviour."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from bench.data import write_big_instance, write_instances
from dicomactors.actors.transport import PDataBatch, pdata_parts, send_buffers
from dicomactors.dimse import CStoreRQ, MessageAssembler, encode_command, fragment_message
from dicomactors.dimse.reassembly import SPILL_SIZE
from dicomactors.pdu import PDUReader, encode_pdu
from dicomactors.pdu.pdus import AReleaseRQ, PDataTF, PresentationDataValue
from dicomactors.scu.storage import read_dicom_file
from dicomactors.services.storage import SpoolFileSink, spool_to_disk


def pdv(data: bytes, *, last: bool = False, command: bool = False) -> PresentationDataValue:
    return PresentationDataValue(1, command, last, data)


# -- PDataBatch: P-DATA delivered per fragment sequence --------------------------------


def test_batch_holds_until_last_fragment_then_delivers_one_pdu_in_order() -> None:
    batch = PDataBatch()
    assert batch.add([PDataTF((pdv(b"a"),)), PDataTF((pdv(b"b"),))], now=0.0) == []
    out = batch.add([PDataTF((pdv(b"c", last=True),))], now=0.0)
    assert len(out) == 1 and isinstance(out[0], PDataTF)
    assert [bytes(p.data) for p in out[0].pdvs] == [b"a", b"b", b"c"]
    assert batch.flush() == []


def test_batch_flushes_before_any_other_pdu() -> None:
    batch = PDataBatch()
    release = AReleaseRQ()
    out = batch.add([PDataTF((pdv(b"a"),)), release], now=0.0)
    assert len(out) == 2
    assert isinstance(out[0], PDataTF) and bytes(out[0].pdvs[0].data) == b"a"
    assert out[1] is release


def test_batch_flushes_when_full_or_old() -> None:
    batch = PDataBatch(hold_bytes=4, hold_seconds=1.0)
    assert batch.add([PDataTF((pdv(b"ab"),))], now=0.0) == []
    assert len(batch.add([PDataTF((pdv(b"cd"),))], now=0.0)) == 1  # 4 bytes held
    assert batch.add([PDataTF((pdv(b"e"),))], now=5.0) == []
    assert len(batch.add([PDataTF((pdv(b"f"),))], now=6.5)) == 1  # the oldest waited 1.5 s


def test_batch_sends_what_follows_a_last_fragment_in_the_same_receive() -> None:
    batch = PDataBatch()
    command = pdv(b"cmd", last=True, command=True)
    out = batch.add([PDataTF((command,)), PDataTF((pdv(b"d1"),))], now=0.0)
    # A last fragment ends the hold: the data set fragment behind it goes along.
    assert len(out) == 1 and isinstance(out[0], PDataTF)
    assert out[0].pdvs == (command, pdv(b"d1"))


# -- sending: gathered writes, partial sends ---------------------------------------------


def test_send_buffers_delivers_every_byte_in_order_through_partial_sends() -> None:
    left, right = socket.socketpair()
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    buffers: list[bytes | memoryview] = [
        bytes([i % 251]) * size for i, size in enumerate([1, 70_000, 0, 3, 300_000, 5])
    ]
    expected = b"".join(buffers)
    received = bytearray()

    def drain() -> None:
        while len(received) < len(expected):
            chunk = right.recv(65536)
            if not chunk:
                break
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        send_buffers(left, [memoryview(b) for b in buffers])
    finally:
        reader.join(timeout=30)
        left.close()
        right.close()
    assert bytes(received) == expected


def test_pdata_parts_is_the_encoded_pdu_without_copying_the_fragment() -> None:
    data = memoryview(bytes(range(256)) * 100)
    pdu = PDataTF((PresentationDataValue(3, False, True, data),))
    parts = pdata_parts(pdu)
    assert parts[1] is data
    header, fragment = parts
    assert isinstance(header, bytes)
    assert header + bytes(fragment) == encode_pdu(pdu)


# -- receiving: small PDUs wait in the scratch buffer, large ones are read in place -----


def _merged(pdus: list[Any]) -> list[tuple[int, bool, bytes]]:
    """Each run of PDVs up to a last fragment, joined: what the stream says, whatever
    PDUs it came in (the reader hands up a run of gathered data fragments as one)."""
    runs: list[tuple[int, bool, bytes]] = []
    parts: list[bytes] = []
    for pdu in pdus:
        for pdv in pdu.pdvs:
            parts.append(bytes(pdv.data))
            if pdv.is_last:
                runs.append((pdv.context_id, pdv.is_command, b"".join(parts)))
                parts = []
    assert not parts
    return runs


@pytest.mark.parametrize("pdv_size", [100, 16 * 1024, 200 * 1024])
def test_reader_yields_the_same_pdus_fed_in_any_piece_size(pdv_size: int) -> None:
    dataset = bytes(range(256)) * 4096  # 1 MiB
    command = encode_command(CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))
    pdus = list(fragment_message(1, command, dataset, pdv_size + 6))
    stream = b"".join(encode_pdu(p) for p in pdus)
    for piece in (1000, 65536, 300_000):
        reader = PDUReader()
        got = []
        for start in range(0, len(stream), piece):
            got.extend(reader.feed(stream[start : start + piece]))
        assert _merged(got) == _merged(pdus)
        assert reader.buffered == 0


# -- reassembly: a large data set is gathered without a second copy ---------------------


def test_assembler_returns_the_same_bytes_below_and_above_the_spill_size() -> None:
    command = encode_command(CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))
    for size in (1000, SPILL_SIZE + 12345):
        dataset = bytes(range(251)) * (size // 251) + b"x" * (size % 251)
        assembler = MessageAssembler()
        done = []
        for pdu in fragment_message(1, command, dataset, 1024 * 1024 + 6):
            done.extend(assembler.add_pdata(pdu))
        assert len(done) == 1
        assert done[0].dataset is not None and bytes(done[0].dataset) == dataset
        assert not assembler.in_progress


def test_assembler_hands_on_a_one_fragment_data_set_as_the_pdus_own_view() -> None:
    command = encode_command(CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))
    dataset = bytes(range(256)) * 2048  # 512 KiB, one PDV at a 16 MiB maximum PDU
    stream = b"".join(encode_pdu(p) for p in fragment_message(1, command, dataset, 16 << 20))
    reader = PDUReader()
    received = reader.feed(stream)
    data_pdu = received[-1]
    assert isinstance(data_pdu, PDataTF)
    assembler = MessageAssembler()
    done = [m for pdu in received if isinstance(pdu, PDataTF) for m in assembler.add_pdata(pdu)]
    assert len(done) == 1
    fragment = data_pdu.pdvs[0].data
    assert isinstance(done[0].dataset, memoryview) and isinstance(fragment, memoryview)
    assert done[0].dataset.obj is fragment.obj  # the received buffer: no copy
    assert bytes(done[0].dataset) == dataset


# -- files: the SCU reads the File Meta Information itself ------------------------------


def test_read_dicom_file_agrees_with_pydicom(tmp_path: Path) -> None:
    (path,) = write_instances(tmp_path, 1, 4096)
    sop_class, sop_instance, syntax, payload = read_dicom_file(path)
    ds = dcmread(path)
    assert sop_class == ds.file_meta.MediaStorageSOPClassUID
    assert sop_instance == ds.file_meta.MediaStorageSOPInstanceUID
    assert syntax == ds.file_meta.TransferSyntaxUID
    raw = path.read_bytes()
    assert bytes(payload) == raw[len(raw) - len(payload) :]
    assert bytes(payload[:2]) == b"\x08\x00"  # the data set starts with group 0008


def test_read_dicom_file_refuses_a_file_without_meta(tmp_path: Path) -> None:
    path = tmp_path / "bad.dcm"
    path.write_bytes(b"\x00" * 128 + b"DICM" + b"\x08\x00\x05\x00CS\x00\x00" * 2)
    with pytest.raises(ValueError, match="lacks"):
        read_dicom_file(path)


def test_big_instance_file_is_readable(tmp_path: Path) -> None:
    path = write_big_instance(tmp_path / "big.dcm", 2 * 512 * 512 * 3)
    ds = dcmread(path)
    assert int(ds.NumberOfFrames) == 3
    assert len(ds.PixelData) == 2 * 512 * 512 * 3


# -- streaming to disk: the opt-in sink -------------------------------------------------


def test_spool_to_disk_streams_a_c_store_data_set_and_leaves_no_file(tmp_path: Path) -> None:
    dataset = bytes(range(256)) * 4096
    command = CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3")
    assembler = MessageAssembler(spool_to_disk(tmp_path))
    done = []
    for pdu in fragment_message(1, encode_command(command), dataset, 16 * 1024 + 6):
        done.extend(assembler.add_pdata(pdu))
    (message,) = done
    assert message.dataset is None and isinstance(message.sink, SpoolFileSink)
    assert message.sink.path.read_bytes() == dataset  # written as it came
    view = message.sink.view()
    assert bytes(view) == dataset
    assert list(tmp_path.iterdir()) == []  # unlinked; the map keeps the data


def test_dimse_actor_hands_the_spooled_data_set_up_as_a_view(tmp_path: Path) -> None:
    import pykka

    from dicomactors.actors.dimse import DIMSEActor
    from dicomactors.actors.messages import DIMSEReceived, PDataIndication
    from dicomactors.actors.runtime import Strand

    received: list[DIMSEReceived] = []
    got = threading.Event()

    class Upper(pykka.ThreadingActor):
        def on_receive(self, message: object) -> None:
            if isinstance(message, DIMSEReceived):
                received.append(message)
                got.set()

    upper = Upper.start()
    dimse = DIMSEActor.start(Strand("spool-test"), upper, sink_factory=spool_to_disk(tmp_path))
    try:
        dataset = b"\x01\x02" * 50_000
        command = CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3")
        for pdu in fragment_message(1, encode_command(command), dataset, 16 * 1024 + 6):
            dimse.tell(PDataIndication(pdu))
        assert got.wait(10)
        assert received[0].dataset is not None and bytes(received[0].dataset) == dataset
        assert list(tmp_path.iterdir()) == []
    finally:
        dimse.stop()
        upper.stop()


def test_spool_sink_abort_removes_the_file(tmp_path: Path) -> None:
    sink = SpoolFileSink(tmp_path)
    sink.write(b"partial")
    sink.abort()
    assert list(tmp_path.iterdir()) == []
