"""The PDU reader lays a data set's fragments back to back (dicomactors.pdu.gather).

Whatever the PDU size and however the stream is cut, the assembled data set is
the one sent; when every fragment filled its PDU alone it is one view of the
reader's buffer, with no join left to do.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomactors.dimse import CStoreRQ, MessageAssembler, encode_command, fragment_message
from dicomactors.pdu import PDUReader, encode_pdu
from dicomactors.pdu.pdus import PDataTF, PresentationDataValue

COMMAND = encode_command(CStoreRQ(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))


def _dataset(size: int, seed: int = 0) -> bytes:
    return bytes((i * 7 + seed) % 251 for i in range(size))


def _stream(dataset: bytes, max_pdu: int, messages: int = 1) -> bytes:
    pdus = list(fragment_message(1, COMMAND, dataset, max_pdu)) * messages
    return b"".join(encode_pdu(p) for p in pdus)


def _receive(stream: bytes, piece: int, reader: PDUReader | None = None) -> list[PDataTF]:
    reader = reader or PDUReader()
    got: list[PDataTF] = []
    for start in range(0, len(stream), piece):
        got.extend(p for p in reader.feed(stream[start : start + piece]) if isinstance(p, PDataTF))
    assert reader.buffered == 0
    return got


def _assemble(pdus: list[PDataTF]) -> list[bytes | memoryview]:
    assembler = MessageAssembler()
    out = []
    for pdu in pdus:
        for message in assembler.add_pdata(pdu):
            assert message.dataset is not None
            out.append(message.dataset)
    return out


def _second_of_two(dataset: bytes, max_pdu: int, piece: int) -> tuple[object, list[PDataTF]]:
    """Two messages with the same data set: the second is laid out in a buffer sized
    by the first (the first may have grown its buffer on the way)."""
    pdus = _receive(_stream(dataset, max_pdu, messages=2), piece)
    got = _assemble(pdus)
    assert [bytes(d) for d in got] == [dataset, dataset]
    return got[1], pdus[len(pdus) // 2 :]


def test_a_data_set_in_large_pdus_is_one_view_of_the_readers_buffer() -> None:
    got, pdus = _second_of_two(_dataset(512 * 1024 + 77), 128 * 1024, 256 * 1024)
    fragments = [p.pdvs[0].data for p in pdus[1:]]
    assert isinstance(got, memoryview)
    # Every fragment and the data set are views of one buffer: received once, never joined.
    assert all(isinstance(f, memoryview) and f.obj is got.obj for f in fragments)
    assert pdus[-1].pdvs[0].joined is not None


def test_a_data_set_in_small_pdus_is_gathered_from_the_scratch_buffer() -> None:
    got, pdus = _second_of_two(_dataset(100_000), 16 * 1024, 65536)
    fragments = [p.pdvs[0].data for p in pdus[1:]]
    assert len(fragments) < 7  # 7 PDUs; those completed by one receive come up as one
    assert isinstance(got, memoryview)
    assert all(isinstance(f, memoryview) and f.obj is got.obj for f in fragments)


def test_each_message_of_a_run_gets_its_own_data_set() -> None:
    sets = [_dataset(300_000, seed) for seed in range(3)]
    stream = b"".join(_stream(d, 64 * 1024) for d in sets)
    got = _assemble(_receive(stream, 100_000))
    assert [bytes(d) for d in got] == sets
    # Held data sets are distinct buffers: the next message never overwrites one.
    assert len({id(d.obj) for d in got if isinstance(d, memoryview)}) == 3


def test_a_pdu_with_two_pdvs_ends_the_run_and_the_data_set_is_joined_as_before() -> None:
    dataset = _dataset(50_000)
    head, middle, tail = dataset[:20_000], dataset[20_000:30_000], dataset[30_000:]
    pdus = [
        PDataTF((PresentationDataValue(1, True, True, COMMAND),)),
        PDataTF((PresentationDataValue(1, False, False, head),)),
        PDataTF(
            (
                PresentationDataValue(1, False, False, middle[:5000]),
                PresentationDataValue(1, False, False, middle[5000:]),
            )
        ),
        PDataTF((PresentationDataValue(1, False, True, tail),)),
    ]
    received = _receive(b"".join(encode_pdu(p) for p in pdus), 7000)
    assert received[-1].pdvs[0].joined is None
    (got,) = _assemble(received)
    assert bytes(got) == dataset


def test_a_data_set_above_the_gather_limit_is_joined_the_ordinary_way() -> None:
    dataset = _dataset(400_000)
    reader = PDUReader(gather_limit=150_000)
    received = _receive(_stream(dataset, 64 * 1024), 90_000, reader)
    assert received[-1].pdvs[0].joined is None
    (got,) = _assemble(received)
    assert bytes(got) == dataset


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 300_000), min_size=1, max_size=3),
    max_pdu=st.sampled_from([4096, 16 * 1024, 64 * 1024 + 6, 128 * 1024, 1 << 20]),
    piece=st.integers(1000, 400_000),
)
def test_any_cut_of_any_run_assembles_to_what_was_sent(
    sizes: list[int], max_pdu: int, piece: int
) -> None:
    sets = [_dataset(size, seed) for seed, size in enumerate(sizes)]
    stream = b"".join(_stream(d, max_pdu) for d in sets)
    got = _assemble(_receive(stream, piece))
    assert [bytes(d) for d in got] == sets
