"""The PDU reader's scatter receive (``PDUReader.recv_buffers``).

In a run of data set fragments the reader predicts that the next PDUs are more
fragments of the same size and hands out header areas and gather-buffer slots
to fill in one ``recvmsg_into``. These tests drive that path with a fake
socket that stops each receive at an arbitrary byte, and streams in which the
prediction fails in every way we know (a shorter or same-size last fragment, a
command, an A-ABORT, a PDU with two PDVs of the same total length, another
context, a malformed header): what comes out must be what went in.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomactors.actors.transport import Receiver, wait_ready
from dicomactors.dimse import CStoreRQ, MessageAssembler, encode_command, fragment_message
from dicomactors.pdu import (
    PDU,
    AAbort,
    AReleaseRQ,
    PDataTF,
    PDUDecodeError,
    PDUReader,
    PresentationDataValue,
    encode_pdu,
)

COMMAND = encode_command(CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))


_PATTERN = bytes(range(251)) * (5_000_000 // 251 + 2)


def _dataset(size: int, seed: int = 0) -> bytes:
    return _PATTERN[seed : seed + size]


def _message(size: int, max_pdu: int, seed: int = 0, context_id: int = 1) -> list[PDataTF]:
    return list(fragment_message(context_id, COMMAND, _dataset(size, seed), max_pdu))


class CuttingSocket:
    """Hands out a byte stream; each receive stops at the next of ``cuts`` (cycled)."""

    def __init__(self, stream: bytes, cuts: list[int]) -> None:
        self.stream = memoryview(stream)
        self.cuts = cuts
        self.calls = 0
        self.scatter_calls = 0

    def _next_count(self, space: int) -> int:
        cut = self.cuts[self.calls % len(self.cuts)]
        self.calls += 1
        return min(cut, space, len(self.stream))

    def recv_into(self, buffer: memoryview) -> int:
        return self.recvmsg_into([buffer])[0]

    def recvmsg_into(self, buffers: list[memoryview]) -> tuple[int, list[object], int, None]:
        if len(buffers) > 1:
            self.scatter_calls += 1
        count = self._next_count(sum(len(b) for b in buffers))
        if not count and not self.stream:
            return 0, [], 0, None
        written = 0
        for buffer in buffers:
            part = min(len(buffer), count - written)
            buffer[:part] = self.stream[written : written + part]
            written += part
        self.stream = self.stream[count:]
        return count, [], 0, None


def _drive(reader: PDUReader, sock: CuttingSocket) -> Iterator[PDU]:
    """Read ``sock`` to its end through ``recv_buffers``/``advance``, as Receiver.read does."""
    while sock.stream:
        buffers = reader.recv_buffers()
        count = sock.recvmsg_into(buffers)[0]
        yield from reader.advance(count)


def _normal(pdus: Sequence[PDU]) -> list[object]:
    """The stream's meaning: P-DATA as the bytes of each message part (consecutive PDVs
    of one context and kind joined until a last fragment), other PDUs as they are."""
    out: list[object] = []
    part: bytearray | None = None
    key: tuple[int, bool] | None = None
    for pdu in pdus:
        if not isinstance(pdu, PDataTF):
            part = key = None
            out.append(pdu)
            continue
        for pdv in pdu.pdvs:
            if part is None or key != (pdv.context_id, pdv.is_command):
                key = (pdv.context_id, pdv.is_command)
                part = bytearray()
                out.append((key, part))
            part += pdv.data
            if pdv.is_last:
                out.append("last")
                part = key = None
    return out


def _check(pdus: Sequence[PDU], cuts: list[int]) -> CuttingSocket:
    stream = b"".join(encode_pdu(p) for p in pdus)
    sock = CuttingSocket(stream, cuts)
    reader = PDUReader()
    got = list(_drive(reader, sock))
    assert reader.buffered == 0
    assert _normal(got) == _normal(pdus)
    return sock


# Interruptions of a run: each follows some data fragments of an unfinished data set.
def _abort(size: int) -> list[PDU]:
    return [AAbort(2, 0)]


def _release(size: int) -> list[PDU]:
    return [AReleaseRQ()]


def _command(size: int) -> list[PDU]:
    return [PDataTF((PresentationDataValue(1, True, True, COMMAND),))]


def _two_pdvs_of_the_same_length(size: int) -> list[PDU]:
    # One PDU as long as the predicted one: its PDU header matches, its PDV header not.
    first = size // 2
    pdvs = (
        PresentationDataValue(1, False, False, _dataset(first, 3)),
        PresentationDataValue(1, False, False, _dataset(size - first - 6, 4)),
    )
    return [PDataTF(pdvs)]


def _another_context(size: int) -> list[PDU]:
    return [PDataTF((PresentationDataValue(3, False, False, _dataset(size, 5)),))]


def _a_command_fragment_of_the_same_length(size: int) -> list[PDU]:
    return [PDataTF((PresentationDataValue(1, True, False, _dataset(size, 6)),))]


def _same_size_last_fragment(size: int) -> list[PDU]:
    return [PDataTF((PresentationDataValue(1, False, True, _dataset(size, 7)),))]


INTERRUPTIONS = [
    _abort,
    _release,
    _command,
    _two_pdvs_of_the_same_length,
    _another_context,
    _a_command_fragment_of_the_same_length,
    _same_size_last_fragment,
]

PDU_SIZES = [4096, 16 * 1024, 64 * 1024 + 6, 128 * 1024, 1 << 20]
# Receives stop anywhere, a header's bytes included; one cut in each cycle is large, so
# that a stream of megabytes takes few receives.
CUTS = st.lists(
    st.one_of(st.integers(1, 40), st.integers(2000, 1 << 21)), min_size=1, max_size=6
).map(lambda cuts: [*cuts, 1 << 21])


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 1_200_000), min_size=1, max_size=4),
    max_pdu=st.sampled_from(PDU_SIZES),
    cuts=CUTS,
)
def test_any_cut_of_any_run_of_messages_is_received_as_sent(
    sizes: list[int], max_pdu: int, cuts: list[int]
) -> None:
    pdus = [p for seed, size in enumerate(sizes) for p in _message(size, max_pdu, seed)]
    _check(pdus, cuts)


@settings(max_examples=120, deadline=None)
@given(
    fragments=st.integers(1, 5),
    max_pdu=st.sampled_from(PDU_SIZES),
    interruption=st.sampled_from(INTERRUPTIONS),
    after=st.integers(0, 300_000),
    cuts=CUTS,
)
def test_a_run_interrupted_by_any_pdu_is_received_as_sent(
    fragments: int, max_pdu: int, interruption: object, after: int, cuts: list[int]
) -> None:
    # Two messages first so that the gather buffer is sized for the run (a guess to fill).
    whole = _message(fragments * (max_pdu - 6) + 1000, max_pdu)
    run = whole[: 1 + fragments]  # the command and ``fragments`` full data fragments
    assert callable(interruption)
    pdus = [*whole, *run, *interruption(max_pdu - 6), *_message(after, max_pdu, 9)]
    _check(pdus, cuts)


def test_the_scatter_receive_is_used_and_puts_fragments_in_place() -> None:
    max_pdu = 128 * 1024
    pdus = [p for seed in range(3) for p in _message(512 * 1024 + 77, max_pdu, seed)]
    sock = _check(pdus, [1 << 21])
    assert sock.scatter_calls >= 2
    # One whole data set per receive: command + first fragment, then the other four.
    stream = b"".join(encode_pdu(p) for p in pdus)
    reader = PDUReader()
    sock = CuttingSocket(stream, [1 << 21])
    got = [p for p in _drive(reader, sock) if isinstance(p, PDataTF)]
    datasets = []
    assembler = MessageAssembler()
    for pdu in got:
        for message in assembler.add_pdata(pdu):
            datasets.append(message.dataset)
    last = datasets[-1]
    assert isinstance(last, memoryview)
    # The fragments received in place are views of the data set's one buffer.
    assert all(
        isinstance(pdv.data, memoryview) and pdv.data.obj is last.obj
        for pdu in got[-2:]
        for pdv in pdu.pdvs
        if not pdv.is_command
    )


@pytest.mark.parametrize(
    "bad",
    [
        b"\xff\x00\x00\x00\x00\x04abcd",  # unknown type
        b"\x04\x00\x7f\xff\xff\xff",  # P-DATA-TF above maximum_length
        b"\x07\x00\x00\x00\x00\x10" + bytes(16),  # A-ABORT with length 16
    ],
    ids=["unknown-type", "too-long", "abort-length"],
)
@pytest.mark.parametrize("cut", [7, 12, 1000, 32 * 1024 + 12, 1 << 21])
def test_a_malformed_header_after_predicted_fragments_is_refused(bad: bytes, cut: int) -> None:
    max_pdu = 32 * 1024
    whole = _message(4 * (max_pdu - 6) + 1000, max_pdu)
    stream = b"".join(encode_pdu(p) for p in [*whole, *whole[:4]]) + bad + bytes(100_000)
    reader = PDUReader()
    sock = CuttingSocket(stream, [cut])
    with pytest.raises(PDUDecodeError):
        for _ in _drive(reader, sock):
            pass
    with pytest.raises(PDUDecodeError):
        reader.recv_buffers()


def test_advance_beyond_the_scatter_buffers_is_a_programming_error() -> None:
    max_pdu = 128 * 1024
    whole = _message(4 * (max_pdu - 6) + 1000, max_pdu)
    reader = PDUReader()
    stream = b"".join(encode_pdu(p) for p in [*whole, *whole[:2]])
    sock = CuttingSocket(stream, [1 << 21])
    list(_drive(reader, sock))
    buffers = reader.recv_buffers()
    assert len(buffers) > 1
    with pytest.raises(ValueError):
        reader.advance(sum(len(b) for b in buffers) + 1)


def test_receiver_reads_a_socket_with_recvmsg_into() -> None:
    max_pdu = 128 * 1024
    pdus = [p for seed in range(4) for p in _message(700_000, max_pdu, seed)]
    stream = b"".join(encode_pdu(p) for p in pdus)
    left, right = socket.socketpair()
    sender = threading.Thread(target=_send_and_close, args=(left, stream))
    sender.start()
    with right:
        right.setblocking(False)
        receiver = Receiver(right, PDUReader())
        got: list[PDU] = []
        closed = False
        while not closed:
            wait_ready(right, select.POLLIN, 10)
            out, closed, _ = receiver.read()
            got.extend(out)
    sender.join()
    assert _normal(got) == _normal(pdus)


def _send_and_close(sock: socket.socket, data: bytes) -> None:
    with sock:
        sock.sendall(data)
