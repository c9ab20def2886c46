"""PDUReader: any chunking in, whole PDUs out, bounded before allocation."""

from __future__ import annotations

import socket
import struct
import threading
import tracemalloc

import pytest

from dicomactors.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    MaximumLengthItem,
    PDataTF,
    PDUDecodeError,
    PDUReader,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    decode_pdu,
    encode_pdu,
)
from harness.malformed import MALFORMED_CASES, MalformedCase

STREAM: tuple[PDU, ...] = (
    AAssociateRQ(
        "SCP",
        "SCU",
        (PresentationContextRQItem(1, "1.2.840.10008.1.1", ("1.2.840.10008.1.2",)),),
        (MaximumLengthItem(0),),
    ),
    AAssociateAC("SCP", "SCU", (PresentationContextACItem(1, 0, "1.2.840.10008.1.2"),)),
    PDataTF((PresentationDataValue(1, True, True, bytes(range(40))),)),
    PDataTF(
        (
            PresentationDataValue(1, False, False, b"x" * 100_000),
            PresentationDataValue(1, False, True, b"y" * 7),
        )
    ),
    AReleaseRQ(),
    AReleaseRP(),
    AAbort(2, 6),
)
STREAM_BYTES = b"".join(encode_pdu(pdu) for pdu in STREAM)


def test_one_piece() -> None:
    assert PDUReader().feed(STREAM_BYTES) == list(STREAM)


def test_one_byte_at_a_time() -> None:
    reader = PDUReader()
    received: list[PDU] = []
    for index in range(len(STREAM_BYTES)):
        received.extend(reader.feed(STREAM_BYTES[index : index + 1]))
    assert received == list(STREAM)
    assert reader.buffered == 0


@pytest.mark.parametrize("chunk", [2, 5, 6, 7, 13, 1000, 65536, 65537, 99_999])
def test_any_chunking(chunk: int) -> None:
    reader = PDUReader()
    received: list[PDU] = []
    for start in range(0, len(STREAM_BYTES), chunk):
        received.extend(reader.feed(memoryview(STREAM_BYTES)[start : start + chunk]))
    assert received == list(STREAM)


def test_many_small_pdus_in_one_chunk() -> None:
    pair: list[PDU] = [AReleaseRQ(), AReleaseRP()]
    pdus = [*pair * 5000, AAbort()]
    assert PDUReader().feed(b"".join(encode_pdu(pdu) for pdu in pdus)) == pdus


def test_partial_pdu_is_reported_as_buffered() -> None:
    reader = PDUReader()
    encoded = encode_pdu(STREAM[0])
    assert reader.feed(encoded[:3]) == []
    assert reader.buffered == 3
    assert reader.feed(encoded[3:-1]) == []
    assert reader.buffered == len(encoded) - 1
    assert reader.feed(encoded[-1:]) == [STREAM[0]]
    assert reader.buffered == 0


def test_recv_into_path_receives_a_large_body_in_place() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    pdu = PDataTF((PresentationDataValue(3, False, True, payload),))
    encoded = encode_pdu(pdu)
    reader = PDUReader()
    buffers = []
    received: list[PDU] = []
    position = 0
    while position < len(encoded):
        space = reader.recv_buffer()
        buffers.append(space)
        count = min(len(space), 4096, len(encoded) - position)
        space[:count] = encoded[position : position + count]
        position += count
        received.extend(reader.advance(count))
    assert received == [pdu]
    # After the first (scratch) buffer, every buffer is a view of one bytearray of the
    # data's exact size (a last fragment alone: pdu.gather), and the decoded PDV data
    # is a view of that same bytearray.
    bodies = {id(view.obj) for view in buffers[1:]}
    assert len(bodies) == 1
    body = buffers[1].obj
    assert isinstance(body, bytearray)
    assert len(body) == len(payload)
    data = received[0].pdvs[0].data  # type: ignore[union-attr]
    assert isinstance(data, memoryview)
    assert data.obj is body


def test_recv_into_from_a_socket() -> None:
    left, right = socket.socketpair()
    sender = threading.Thread(target=left.sendall, args=(STREAM_BYTES,))
    sender.start()
    reader = PDUReader()
    received: list[PDU] = []
    with left, right:
        while len(received) < len(STREAM):
            count = right.recv_into(reader.recv_buffer())
            assert count > 0
            received.extend(reader.advance(count))
        sender.join()
    assert received == list(STREAM)


def test_advance_beyond_the_buffer_is_a_programming_error() -> None:
    reader = PDUReader()
    with pytest.raises(ValueError):
        reader.advance(len(reader.recv_buffer()) + 1)
    with pytest.raises(ValueError):
        reader.advance(-1)


def test_4gib_header_is_refused_before_allocation() -> None:
    header = bytes.fromhex("01 00 ffffffff")
    reader = PDUReader()
    tracemalloc.start()
    try:
        with pytest.raises(PDUDecodeError) as info:
            reader.feed(header)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.abort_reason == 6
    assert "max_associate_length" in info.value.reason
    assert peak < 1024 * 1024


@pytest.mark.parametrize(
    ("header", "fits"),
    [
        ("01 00 00100000", True),  # A-ASSOCIATE-RQ of exactly 1 MiB: allowed
        ("01 00 00100001", False),
        ("02 00 00100001", False),
        ("04 00 01000006", True),
        ("04 00 01000007", False),
        ("05 00 00000005", False),
        ("06 00 00000003", False),
        ("07 00 00000000", False),
        ("03 00 00000008", False),
    ],
)
def test_length_caps_per_pdu_type(header: str, fits: bool) -> None:
    reader = PDUReader()
    if fits:
        assert reader.feed(bytes.fromhex(header)) == []
        assert reader.buffered == 6
    else:
        with pytest.raises(PDUDecodeError):
            reader.feed(bytes.fromhex(header))


def test_caps_are_configurable() -> None:
    reader = PDUReader(maximum_length=100, max_associate_length=200)
    with pytest.raises(PDUDecodeError, match="maximum_length 100"):
        reader.feed(encode_pdu(PDataTF((PresentationDataValue(1, False, True, b"x" * 95),))))
    reader = PDUReader(maximum_length=100)
    pdu = PDataTF((PresentationDataValue(1, False, True, b"x" * 94),))
    assert reader.feed(encode_pdu(pdu)) == [pdu]
    with pytest.raises(PDUDecodeError, match="max_associate_length 200"):
        PDUReader(max_associate_length=200).feed(bytes.fromhex("02 00 000000c9"))


def test_unknown_type_is_refused_from_its_first_byte() -> None:
    with pytest.raises(PDUDecodeError) as info:
        PDUReader().feed(b"\x09")
    assert info.value.abort_reason == 1


def test_reader_is_unusable_after_an_error() -> None:
    reader = PDUReader()
    with pytest.raises(PDUDecodeError):
        reader.feed(encode_pdu(AReleaseRQ()) + b"\x00")
    for use in (
        lambda: reader.feed(encode_pdu(AReleaseRQ())),
        reader.recv_buffer,
        lambda: reader.advance(0),
    ):
        with pytest.raises(PDUDecodeError) as info:
            use()
        assert info.value.abort_reason == 1


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=lambda case: case.name)
def test_every_malformed_case_is_refused(case: MalformedCase) -> None:
    data = case.build()
    for chunk in (len(data), 1):
        reader = PDUReader()
        with pytest.raises(PDUDecodeError) as info:
            for start in range(0, len(data), chunk):
                reader.feed(data[start : start + chunk])
        if case.expected_abort_reason is not None:
            assert info.value.abort_reason == case.expected_abort_reason
    with pytest.raises(PDUDecodeError) as decoded:
        decode_pdu(data)
    if case.expected_abort_reason is not None:
        assert decoded.value.abort_reason == case.expected_abort_reason


def test_malformed_catalogue_is_well_formed() -> None:
    names = [case.name for case in MALFORMED_CASES]
    assert len(names) == len(set(names))
    assert {case.phase for case in MALFORMED_CASES} == {"associate", "established"}
    for case in MALFORMED_CASES:
        assert case.clause.startswith("PS3.")
        assert case.expected_abort_reason in (None, 1, 2, 4, 5, 6)


def test_stream_pdu_lengths_sanity() -> None:
    # The large P-DATA in STREAM really does exceed the reader's scratch buffer.
    assert struct.unpack_from(">I", encode_pdu(STREAM[3]), 2)[0] > 65536
