"""DIMSE command set encoding and decoding (PS3.7 6.3.1, 9.3, 10.3).

pynetdicom is the byte-level oracle here: its DIMSE message classes, fed the
same values through its primitives, must produce the same bytes.
"""

from __future__ import annotations

import dataclasses
import struct
from io import BytesIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pynetdicom import dimse_messages, dimse_primitives
from pynetdicom.dsutils import encode as _pynetdicom_encode

from dicomactors.dimse import (
    DATASET_ABSENT,
    MESSAGE_TYPES,
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CGetRSP,
    CMoveRQ,
    CommandField,
    CStoreRQ,
    CStoreRSP,
    DIMSEDecodeError,
    DIMSEMessage,
    NGetRQ,
    Priority,
    command_to_dataset,
    decode_command,
    encode_command,
    status_dataset,
)

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"

# ---- strategies --------------------------------------------------------------

_component = st.one_of(st.just("0"), st.from_regex(r"\A[1-9][0-9]{0,8}\Z"))
uids = st.lists(_component, min_size=2, max_size=8).map(".".join).filter(lambda uid: len(uid) <= 64)
_printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\")
ae_titles = st.text(_printable, min_size=1, max_size=16)
comments = st.text(_printable, min_size=1, max_size=64)
us_values = st.integers(0, 0xFFFF)
tag_lists = st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=6).map(tuple)


def _strategy_for(name: str) -> st.SearchStrategy[Any]:
    if name == "has_dataset":
        return st.booleans()
    if name.endswith("_uid"):
        return uids
    if name in ("move_destination", "move_originator_application_entity_title"):
        return ae_titles
    if name == "error_comment":
        return comments
    if name == "priority":
        return st.sampled_from(Priority)
    if name in ("offending_element", "attribute_identifier_list"):
        return tag_lists
    return us_values


def messages_of(cls: type[DIMSEMessage], only: set[str] | None = None) -> st.SearchStrategy[Any]:
    """Messages of ``cls``; fields outside ``only`` (when given) are left unset."""
    kwargs = {}
    for f in dataclasses.fields(cls):
        strategy = _strategy_for(f.name)
        no_default = f.default is dataclasses.MISSING
        if only is not None and f.name not in only and not no_default:
            if f.name != "has_dataset":
                kwargs[f.name] = st.none()
            continue
        kwargs[f.name] = strategy if no_default else st.none() | strategy
        if f.name in ("has_dataset", "priority"):
            kwargs[f.name] = strategy
    return st.builds(cls, **kwargs)


MESSAGE_CLASSES = list(MESSAGE_TYPES.values())
any_message = st.sampled_from(MESSAGE_CLASSES).flatmap(messages_of)

# ---- the pynetdicom oracle ----------------------------------------------------


def _pynetdicom_name(cls: type[DIMSEMessage]) -> str:
    return CommandField(cls.command_field).name.replace("_", "-")


def pynetdicom_bytes(msg: DIMSEMessage) -> bytes:
    """Encode ``msg`` the way pynetdicom does: primitive -> DIMSE message -> bytes."""
    name = _pynetdicom_name(type(msg))
    primitive = getattr(dimse_primitives, name.rsplit("-", 1)[0].replace("-", "_"))()
    for spec in msg._elements:
        value = getattr(msg, spec.name)
        if value is not None:
            setattr(primitive, spec.keyword, list(value) if isinstance(value, tuple) else value)
    dataset_keyword = dimse_messages._DATASET_KEYWORDS.get(name.replace("-", "_"))
    if msg.has_dataset:
        assert dataset_keyword is not None
        setattr(primitive, dataset_keyword, BytesIO(b"\x00\x00"))
    message = getattr(dimse_messages, name.replace("-", "_"))()
    message.primitive_to_message(primitive)
    return pynetdicom_encode(message.command_set)


def pynetdicom_fields(cls: type[DIMSEMessage]) -> set[str]:
    keywords = set(dimse_messages._COMMAND_SET_KEYWORDS[_pynetdicom_name(cls)])
    return {spec.name for spec in cls._elements if spec.keyword in keywords} | {"has_dataset"}


def _can_have_dataset(cls: type[DIMSEMessage]) -> bool:
    return _pynetdicom_name(cls).replace("-", "_") in dimse_messages._DATASET_KEYWORDS


def pynetdicom_encode(ds: Dataset) -> bytes:
    """pydicom's Implicit VR Little Endian encoding of ``ds``, via pynetdicom's helper."""
    encoded = _pynetdicom_encode(ds, True, True)
    assert encoded is not None
    return encoded


# ---- tests ---------------------------------------------------------------------


def test_every_message_of_ps3_7_has_a_class() -> None:
    assert {_pynetdicom_name(cls) for cls in MESSAGE_CLASSES} == set(
        dimse_messages._COMMAND_SET_KEYWORDS
    )
    assert len(MESSAGE_CLASSES) == 23


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.__name__)
def test_every_pynetdicom_element_is_a_field(cls: type[DIMSEMessage]) -> None:
    keywords = set(dimse_messages._COMMAND_SET_KEYWORDS[_pynetdicom_name(cls)])
    keywords -= {"CommandGroupLength", "CommandField", "CommandDataSetType"}
    assert keywords <= {spec.keyword for spec in cls._elements}


def test_c_store_rq_layout() -> None:
    msg = CStoreRQ(
        message_id=7,
        affected_sop_class_uid=CT_IMAGE,
        affected_sop_instance_uid="1.2.3",
        priority=Priority.LOW,
        move_originator_application_entity_title="MOVER",
        move_originator_message_id=3,
    )
    encoded = encode_command(msg)
    # Group length first, covering everything after its own 12 bytes.
    assert encoded[:8] == b"\x00\x00\x00\x00\x04\x00\x00\x00"
    assert struct.unpack_from("<I", encoded, 8)[0] == len(encoded) - 12
    # Odd-length UID padded with NUL, odd-length AE title with a space.
    assert b"1.2.3\x00" in encoded
    assert b"MOVER " in encoded
    tags = []
    offset = 0
    while offset < len(encoded):
        group, element, length = struct.unpack_from("<HHI", encoded, offset)
        tags.append((group, element))
        offset += 8 + length
    assert tags == sorted(tags)
    assert (0, 0x0800) in tags
    assert encoded == pynetdicom_bytes(msg)
    assert decode_command(encoded) == msg


def test_no_dataset_is_0101() -> None:
    ds = command_to_dataset(CEchoRQ(1, VERIFICATION))
    assert ds.CommandDataSetType == DATASET_ABSENT
    assert ds.CommandField == 0x0030
    assert ds.CommandGroupLength == len(encode_command(CEchoRQ(1, VERIFICATION))) - 12


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_bytes_agree_with_pynetdicom(cls: type[DIMSEMessage], data: st.DataObject) -> None:
    msg = data.draw(messages_of(cls, only=pynetdicom_fields(cls)))
    if not _can_have_dataset(cls):
        msg = dataclasses.replace(msg, has_dataset=False)
    assert encode_command(msg) == pynetdicom_bytes(msg)


@settings(max_examples=300, deadline=None)
@given(msg=any_message)
def test_round_trip(msg: DIMSEMessage) -> None:
    encoded = encode_command(msg)
    assert decode_command(encoded) == msg
    assert decode_command(memoryview(encoded)) == msg
    # pydicom's own Implicit VR encoding of the Dataset view agrees byte for byte.
    assert pynetdicom_encode(command_to_dataset(msg)) == encoded


def test_decodes_pynetdicom_message_with_extra_group_0000_elements() -> None:
    ds = command_to_dataset(CEchoRSP(5, 0x0000, affected_sop_class_uid=VERIFICATION))
    ds.add_new(0x00000001, "UL", 0)  # retired Command Length to End
    del ds.CommandGroupLength
    body = pynetdicom_encode(ds)
    encoded = struct.pack("<HHII", 0, 0, 4, len(body)) + body
    assert decode_command(encoded) == CEchoRSP(5, 0x0000, affected_sop_class_uid=VERIFICATION)


def test_decode_strips_padding_and_reads_any_dataset_type() -> None:
    ds = command_to_dataset(CMoveRQ(1, "1.2.3", "DEST"))
    ds.CommandDataSetType = 0x0102  # DCMTK's "present" value
    ds.MoveDestination = "DEST            "
    del ds.CommandGroupLength
    body = pynetdicom_encode(ds)
    msg = decode_command(struct.pack("<HHII", 0, 0, 4, len(body)) + body)
    assert msg == CMoveRQ(1, "1.2.3", "DEST", has_dataset=True)


def test_status_dataset() -> None:
    rsp = CStoreRSP(
        1, 0xA700, error_comment="disk full", offending_element=(0x00100010,), error_id=9
    )
    ds = status_dataset(rsp)
    assert ds.Status == 0xA700
    assert ds.ErrorComment == "disk full"
    assert ds.OffendingElement == 0x00100010
    assert ds.ErrorID == 9
    assert "AffectedSOPClassUID" not in ds
    assert list(status_dataset(CStoreRSP(1, 0)).keys()) == [0x00000900]


def test_command_to_dataset_holds_every_set_field() -> None:
    msg = CGetRSP(3, 0xFF00, CT_IMAGE, 4, 5, 6, 7, offending_element=(0x00080018, 0x00100020))
    ds = command_to_dataset(msg)
    assert ds.NumberOfRemainingSuboperations == 4
    assert ds.NumberOfWarningSuboperations == 7
    assert list(ds.OffendingElement) == [0x00080018, 0x00100020]
    assert "ErrorComment" not in ds


def test_encode_refuses_non_ascii() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_command(CStoreRSP(1, 0xC000, error_comment="naïve"))


# ---- hostile input ---------------------------------------------------------------


def _element(element: int, value: bytes) -> bytes:
    return struct.pack("<HHI", 0, element, len(value)) + value


def _with_group_length(body: bytes) -> bytes:
    return _element(0, struct.pack("<I", len(body))) + body


_ECHO = encode_command(CEchoRQ(1, VERIFICATION))
_ECHO_BODY = _ECHO[12:]
_US1 = struct.pack("<H", 1)
_NO_DATASET = _element(0x0800, struct.pack("<H", 0x0101))

MALFORMED = {
    "empty": b"",
    "no group length": _ECHO_BODY,
    "group length too small": _element(0, struct.pack("<I", 2)) + _ECHO_BODY,
    "group length too large": _element(0, struct.pack("<I", 200)) + _ECHO_BODY,
    "group length of 2 bytes": _element(0, b"\x10\x00") + _ECHO_BODY,
    "stray bytes": _ECHO + b"\x00\x00",
    "truncated": _ECHO[:-1],
    "overrunning length": _ECHO[:-2] + b"\x00",
    "element outside group 0000": _with_group_length(
        _ECHO_BODY + b"\x08\x00\x18\x00\x00\x00\x00\x00"
    ),
    "unknown command field": _with_group_length(
        _element(0x0100, struct.pack("<H", 0x0031)) + _element(0x0110, _US1) + _NO_DATASET
    ),
    "no command field": _with_group_length(_element(0x0110, _US1) + _NO_DATASET),
    "no data set type": _with_group_length(
        _element(0x0002, b"1.2\x00")
        + _element(0x0100, struct.pack("<H", 0x30))
        + _element(0x0110, _US1)
    ),
    "missing message id": _with_group_length(
        _element(0x0002, b"1.2\x00") + _element(0x0100, struct.pack("<H", 0x30)) + _NO_DATASET
    ),
    "empty mandatory uid": _with_group_length(
        _element(0x0002, b"")
        + _element(0x0100, struct.pack("<H", 0x30))
        + _element(0x0110, _US1)
        + _NO_DATASET
    ),
    "US of 4 bytes": _with_group_length(
        _element(0x0002, b"1.2\x00")
        + _element(0x0100, struct.pack("<H", 0x30))
        + _element(0x0110, b"\x01\x00\x00\x00")
        + _NO_DATASET
    ),
    "AT of 3 bytes": _with_group_length(
        _element(0x0003, b"1.2\x00")
        + _element(0x0100, struct.pack("<H", 0x0110))
        + _element(0x0110, _US1)
        + _NO_DATASET
        + _element(0x1001, b"1.3\x00")
        + _element(0x1005, b"\x10\x00\x10")
    ),
    "duplicate element": _with_group_length(_ECHO_BODY + _element(0x0110, _US1)),
    "group length not first": _ECHO_BODY + _ECHO[:12],
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_command_sets_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DIMSEDecodeError) as info:
        decode_command(data)
    assert 0 <= info.value.offset <= len(data)


def test_missing_mandatory_names_the_element() -> None:
    with pytest.raises(DIMSEDecodeError, match="MessageID"):
        decode_command(MALFORMED["missing message id"])


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=200))
def test_decode_raises_only_its_own_error_on_noise(data: bytes) -> None:
    try:
        decode_command(data)
    except DIMSEDecodeError:
        pass


@settings(max_examples=300, deadline=None)
@given(msg=any_message, data=st.data())
def test_decode_raises_only_its_own_error_on_mutations(
    msg: DIMSEMessage, data: st.DataObject
) -> None:
    encoded = bytearray(encode_command(msg))
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    try:
        decode_command(bytes(encoded[:cut]))
    except DIMSEDecodeError:
        pass


def test_cancel_and_nget_examples() -> None:
    assert decode_command(encode_command(CCancelRQ(9))) == CCancelRQ(9)
    nget = NGetRQ(2, "1.2.840.10008.5.1.1.16", "1.2.3", attribute_identifier_list=(0x21100010,))
    assert encode_command(nget) == pynetdicom_bytes(nget)
    assert decode_command(encode_command(nget)) == nget
