"""Fragmenting DIMSE messages into P-DATA-TF PDUs and reassembling them (PS3.8 Annex E)."""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pynetdicom import dimse_messages, dimse_primitives
from pynetdicom.pdu import P_DATA_TF

from dicomactors.dimse import (
    PDV_OVERHEAD,
    AssembledMessage,
    CEchoRQ,
    CFindRSP,
    CStoreRQ,
    DIMSEDecodeError,
    DIMSEMessage,
    DIMSEProtocolError,
    MessageAssembler,
    decode_command,
    encode_command,
    fragment_message,
)
from dicomactors.pdu.codec import decode_pdu, encode_pdu
from dicomactors.pdu.pdus import PDataTF, PresentationDataValue

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
STORE = CStoreRQ(5, CT_IMAGE, "1.2.3.4.5")
ECHO = CEchoRQ(6, "1.2.840.10008.1.1")
MAX_LENGTHS = [0, 7, 8, 9, 13, 64, 100, 101, 1000, 4096, 16384, 16390, 1 << 20]
DATASETS = [b"\x01", bytes(range(256)) * 3, bytes(100_000)]


def _pdvs(pdus: list[PDataTF]) -> list[PresentationDataValue]:
    return [pdv for pdu in pdus for pdv in pdu.pdvs]


def _assemble(pdus: list[PDataTF], assembler: MessageAssembler | None = None) -> AssembledMessage:
    assembler = assembler or MessageAssembler()
    done = [message for pdu in pdus for message in assembler.add_pdata(pdu)]
    assert len(done) == 1
    assert not assembler.in_progress
    return done[0]


# ---- fragmentation ---------------------------------------------------------------


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
@pytest.mark.parametrize("dataset", [*DATASETS, None], ids=lambda d: f"{len(d) if d else d}")
def test_fragments_obey_the_limit_and_the_bits(max_length: int, dataset: bytes | None) -> None:
    command = encode_command(STORE if dataset is not None else ECHO)
    pdus = list(fragment_message(3, command, dataset, max_length))
    pdvs = _pdvs(pdus)
    assert all(len(pdu.pdvs) == 1 for pdu in pdus)
    assert all(pdv.context_id == 3 for pdv in pdvs)
    if max_length:
        assert all(len(pdv.data) <= max_length - PDV_OVERHEAD for pdv in pdvs)
        # The PDU's variable field (the PDV items) fits the peer's maximum.
        assert all(len(encode_pdu(pdu)) - 6 <= max_length for pdu in pdus)
    commands = [pdv for pdv in pdvs if pdv.is_command]
    data = [pdv for pdv in pdvs if not pdv.is_command]
    assert pdvs[: len(commands)] == commands  # the command set comes first
    assert [pdv.is_last for pdv in commands] == [False] * (len(commands) - 1) + [True]
    assert b"".join(bytes(pdv.data) for pdv in commands) == command
    if dataset is None:
        assert data == []
    else:
        assert [pdv.is_last for pdv in data] == [False] * (len(data) - 1) + [True]
        assert all(isinstance(pdv.data, memoryview) for pdv in data)
        assert b"".join(bytes(pdv.data) for pdv in data) == dataset


def test_dataset_fragments_are_views_of_the_callers_buffer() -> None:
    dataset = bytearray(b"abcdefghij")
    pdus = list(fragment_message(1, encode_command(STORE), dataset, 10))
    dataset[0:1] = b"Z"
    assert bytes(pdus[-3].pdvs[0].data) == b"Zbcd"  # no copy was taken


def test_empty_dataset_is_one_empty_last_fragment() -> None:
    pdvs = _pdvs(list(fragment_message(1, encode_command(STORE), b"", 0)))
    assert [(pdv.is_command, pdv.is_last, bytes(pdv.data)) for pdv in pdvs][1:] == [
        (False, True, b"")
    ]


@pytest.mark.parametrize("max_length", [-1, 1, 6])
def test_lengths_with_no_room_are_refused(max_length: int) -> None:
    with pytest.raises(ValueError):
        list(fragment_message(1, b"\x00" * 10, None, max_length))


def _pynetdicom_fragments(
    command: DIMSEMessage, dataset: bytes | None, max_length: int
) -> list[tuple[int, bytes]]:
    primitive = dimse_primitives.C_STORE()
    assert isinstance(command, CStoreRQ)
    primitive.MessageID = command.message_id
    primitive.AffectedSOPClassUID = command.affected_sop_class_uid
    primitive.AffectedSOPInstanceUID = command.affected_sop_instance_uid
    primitive.Priority = command.priority
    primitive.DataSet = BytesIO(dataset or b"")
    message = dimse_messages.C_STORE_RQ()
    message.primitive_to_message(primitive)
    return [
        pdv
        for p_data in message.encode_msg(9, max_length)
        for pdv in p_data.presentation_data_value_list
    ]


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
@pytest.mark.parametrize("dataset", DATASETS, ids=len)
def test_fragments_agree_with_pynetdicom(max_length: int, dataset: bytes) -> None:
    ours = _pdvs(list(fragment_message(9, encode_command(STORE), dataset, max_length)))
    theirs = _pynetdicom_fragments(STORE, dataset, max_length)
    assert [(pdv.context_id, pdv.message_control_header, bytes(pdv.data)) for pdv in ours] == [
        (context_id, data[0], data[1:]) for context_id, data in theirs
    ]


def test_pdu_bytes_agree_with_pynetdicom() -> None:
    theirs = dimse_messages.C_STORE_RQ()
    primitive = dimse_primitives.C_STORE()
    primitive.MessageID = 5
    primitive.AffectedSOPClassUID = CT_IMAGE
    primitive.AffectedSOPInstanceUID = "1.2.3.4.5"
    primitive.Priority = 0
    primitive.DataSet = BytesIO(DATASETS[1])
    theirs.primitive_to_message(primitive)
    their_pdus = []
    for p_data in theirs.encode_msg(9, 200):
        pdu = P_DATA_TF()
        pdu.from_primitive(p_data)
        their_pdus.append(pdu.encode())
    ours = [encode_pdu(pdu) for pdu in fragment_message(9, encode_command(STORE), DATASETS[1], 200)]
    assert ours == their_pdus


# ---- reassembly ------------------------------------------------------------------


@pytest.mark.parametrize("max_length", MAX_LENGTHS)
@pytest.mark.parametrize(
    "dataset", [*DATASETS, b"", None], ids=lambda d: f"{len(d) if d is not None else d}"
)
def test_round_trip_through_the_pdu_codec(max_length: int, dataset: bytes | None) -> None:
    msg = STORE if dataset is not None else ECHO
    pdus = [
        decode_pdu(encode_pdu(pdu))
        for pdu in fragment_message(7, encode_command(msg), dataset, max_length)
    ]
    assert all(isinstance(pdu, PDataTF) for pdu in pdus)
    message = _assemble(pdus)  # type: ignore[arg-type]
    assert message == AssembledMessage(7, msg, dataset)


@settings(max_examples=200, deadline=None)
@given(
    dataset=st.none() | st.binary(max_size=3000),
    max_length=st.just(0) | st.integers(7, 4000),
    context_id=st.integers(1, 255).filter(lambda n: n % 2 == 1),
    repeats=st.integers(1, 3),
)
def test_messages_back_to_back_round_trip(
    dataset: bytes | None, max_length: int, context_id: int, repeats: int
) -> None:
    msg = CStoreRQ(1, CT_IMAGE, "1.2.3") if dataset is not None else ECHO
    assembler = MessageAssembler()
    done = []
    for _ in range(repeats):
        for pdu in fragment_message(context_id, encode_command(msg), dataset, max_length):
            done.extend(assembler.add_pdata(pdu))
    assert done == [AssembledMessage(context_id, msg, dataset)] * repeats


@pytest.mark.parametrize("max_length", [0, 8, 100, 16384])
def test_reassembles_pynetdicom_fragments(max_length: int) -> None:
    assembler = MessageAssembler()
    done = []
    for context_id, data in _pynetdicom_fragments(STORE, DATASETS[2], max_length):
        header = data[0]
        pdv = PresentationDataValue(context_id, bool(header & 1), bool(header & 2), data[1:])
        message = assembler.add(pdv)
        if message is not None:
            done.append(message)
    assert done == [AssembledMessage(9, STORE, DATASETS[2])]


def test_a_pdu_may_carry_the_end_of_one_message_and_the_next() -> None:
    command = encode_command(CFindRSP(1, 0x0000))
    pdvs = [
        PresentationDataValue(1, True, True, command),
        PresentationDataValue(1, True, True, command),
    ]
    assert (
        MessageAssembler().add_pdata(PDataTF(tuple(pdvs)))
        == [AssembledMessage(1, CFindRSP(1, 0x0000), None)] * 2
    )


def _pdv(
    is_command: bool, is_last: bool, data: bytes = b"x", context_id: int = 1
) -> PresentationDataValue:
    return PresentationDataValue(context_id, is_command, is_last, data)


_STORE_COMMAND = encode_command(STORE)
_HALF = len(_STORE_COMMAND) // 2

PROTOCOL_ERRORS = {
    "data set with no command": [_pdv(False, True)],
    "data set before the command is complete": [
        _pdv(True, False, _STORE_COMMAND[:_HALF]),
        _pdv(False, True),
    ],
    "context changes inside the command": [
        _pdv(True, False, _STORE_COMMAND[:_HALF]),
        _pdv(True, True, _STORE_COMMAND[_HALF:], context_id=3),
    ],
    "context changes inside the data set": [
        _pdv(True, True, _STORE_COMMAND),
        _pdv(False, False),
        _pdv(False, True, context_id=3),
    ],
    "context changes between command and data set": [
        _pdv(True, True, _STORE_COMMAND),
        _pdv(False, True, context_id=3),
    ],
    "next command while the data set is expected": [
        _pdv(True, True, _STORE_COMMAND),
        _pdv(True, True, encode_command(ECHO)),
    ],
    "data set after a command without one": [
        _pdv(True, True, encode_command(ECHO)),
        _pdv(False, True),
    ],
}


@pytest.mark.parametrize("pdvs", PROTOCOL_ERRORS.values(), ids=PROTOCOL_ERRORS.keys())
def test_protocol_errors(pdvs: list[PresentationDataValue]) -> None:
    assembler = MessageAssembler()
    with pytest.raises(DIMSEProtocolError):
        for pdv in pdvs:
            assembler.add(pdv)
    # The error leaves the assembler empty and usable.
    assert not assembler.in_progress
    assert assembler.add(_pdv(True, True, encode_command(ECHO))) == AssembledMessage(1, ECHO, None)


def test_bad_command_set_raises_decode_error_and_resets() -> None:
    assembler = MessageAssembler()
    assembler.add(_pdv(True, False, b"\x00\x00"))
    with pytest.raises(DIMSEDecodeError):
        assembler.add(_pdv(True, True, b"\x00\x00"))
    assert not assembler.in_progress


def test_command_fragments_are_joined() -> None:
    assembler = MessageAssembler()
    for start in range(0, len(_STORE_COMMAND), 5):
        is_last = start + 5 >= len(_STORE_COMMAND)
        assert assembler.add(_pdv(True, is_last, _STORE_COMMAND[start : start + 5])) is None
        assert assembler.in_progress
    assert decode_command(_STORE_COMMAND) == STORE
    assert assembler.add(_pdv(False, True, b"ds")) == AssembledMessage(1, STORE, b"ds")


# ---- streaming to a sink ---------------------------------------------------------


class RecordingSink:
    def __init__(self) -> None:
        self.fragments: list[bytes | memoryview] = []
        self.closed = False
        self.aborted = False

    def write(self, fragment: memoryview | bytes) -> None:
        self.fragments.append(fragment)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


def test_sink_receives_each_fragment_uncopied() -> None:
    sinks: list[tuple[int, DIMSEMessage, RecordingSink]] = []

    def factory(context_id: int, command: DIMSEMessage) -> RecordingSink:
        sinks.append((context_id, command, RecordingSink()))
        return sinks[-1][2]

    assembler = MessageAssembler(dataset_sink_factory=factory)
    pdus = list(fragment_message(1, _STORE_COMMAND, DATASETS[2], 16384))
    message = _assemble(pdus, assembler)
    [(context_id, command, sink)] = sinks
    assert (context_id, command) == (1, STORE)
    assert message == AssembledMessage(1, STORE, None, sink)
    assert sink.closed and not sink.aborted
    data_pdvs = [pdv for pdv in _pdvs(pdus) if not pdv.is_command]
    assert len(sink.fragments) == len(data_pdvs) == 7
    assert all(got is pdv.data for got, pdv in zip(sink.fragments, data_pdvs, strict=True))


def test_factory_may_decline_and_messages_without_data_skip_it() -> None:
    asked: list[DIMSEMessage] = []

    def factory(context_id: int, command: DIMSEMessage) -> None:
        asked.append(command)

    assembler = MessageAssembler(dataset_sink_factory=factory)
    assert _assemble(list(fragment_message(1, encode_command(ECHO), None, 0)), assembler) == (
        AssembledMessage(1, ECHO, None)
    )
    assert _assemble(list(fragment_message(1, _STORE_COMMAND, b"abc", 0)), assembler) == (
        AssembledMessage(1, STORE, b"abc")
    )
    assert asked == [STORE]


def test_sink_is_aborted_on_protocol_error_and_on_abort() -> None:
    made: list[RecordingSink] = []

    def factory(context_id: int, command: DIMSEMessage) -> RecordingSink:
        made.append(RecordingSink())
        return made[-1]

    assembler = MessageAssembler(dataset_sink_factory=factory)
    assembler.add(_pdv(True, True, _STORE_COMMAND))
    assembler.add(_pdv(False, False))
    with pytest.raises(DIMSEProtocolError):
        assembler.add(_pdv(False, True, context_id=5))
    assert made[0].aborted and not made[0].closed

    assembler.add(_pdv(True, True, _STORE_COMMAND))
    assembler.add(_pdv(False, False))
    assembler.abort()
    assert made[1].aborted and not made[1].closed
    assert not assembler.in_progress
