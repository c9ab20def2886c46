"""DIMSE command sets: one frozen value per message of PS3.7 9.3 and 10.3.

A command set is group 0000 encoded Implicit VR Little Endian (PS3.7 6.3.1).
Every message crosses this module twice, so the encoder and decoder here are
small hand-written loops over a per-class table of elements rather than
pydicom Dataset round trips; :func:`command_to_dataset` gives the pydicom
view for users and logs.

Each message class lists its command elements as dataclass fields named after
the PS3.7 keywords in snake case. Fields without a default, and fields marked
with ``_MANDATORY``, are the "M" elements of the PS3.7 tables: decoding a
command set that lacks one raises :class:`DIMSEDecodeError`. ``has_dataset``
maps to Command Data Set Type (0000,0800), where 0x0101 means "no data set".
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from enum import IntEnum
from typing import Any, ClassVar

from pydicom import config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from dicomactors.dataset import blank_dataset
from dicomactors.dimse.errors import DIMSEDecodeError

__all__ = [
    "DATASET_ABSENT",
    "DATASET_PRESENT",
    "MESSAGE_TYPES",
    "CCancelRQ",
    "CEchoRQ",
    "CEchoRSP",
    "CFindRQ",
    "CFindRSP",
    "CGetRQ",
    "CGetRSP",
    "CMoveRQ",
    "CMoveRSP",
    "CStoreRQ",
    "CStoreRSP",
    "CommandField",
    "DIMSEMessage",
    "DIMSEResponse",
    "NActionRQ",
    "NActionRSP",
    "NCreateRQ",
    "NCreateRSP",
    "NDeleteRQ",
    "NDeleteRSP",
    "NEventReportRQ",
    "NEventReportRSP",
    "NGetRQ",
    "NGetRSP",
    "NSetRQ",
    "NSetRSP",
    "Priority",
    "command_to_dataset",
    "decode_command",
    "encode_command",
    "status_dataset",
]


class CommandField(IntEnum):
    """Command Field (0000,0100) values of PS3.7 Annex E."""

    C_STORE_RQ = 0x0001
    C_STORE_RSP = 0x8001
    C_GET_RQ = 0x0010
    C_GET_RSP = 0x8010
    C_FIND_RQ = 0x0020
    C_FIND_RSP = 0x8020
    C_MOVE_RQ = 0x0021
    C_MOVE_RSP = 0x8021
    C_ECHO_RQ = 0x0030
    C_ECHO_RSP = 0x8030
    N_EVENT_REPORT_RQ = 0x0100
    N_EVENT_REPORT_RSP = 0x8100
    N_GET_RQ = 0x0110
    N_GET_RSP = 0x8110
    N_SET_RQ = 0x0120
    N_SET_RSP = 0x8120
    N_ACTION_RQ = 0x0130
    N_ACTION_RSP = 0x8130
    N_CREATE_RQ = 0x0140
    N_CREATE_RSP = 0x8140
    N_DELETE_RQ = 0x0150
    N_DELETE_RSP = 0x8150
    C_CANCEL_RQ = 0x0FFF


class Priority(IntEnum):
    """Priority (0000,0700) of C-STORE, C-FIND, C-GET and C-MOVE requests."""

    MEDIUM = 0x0000
    HIGH = 0x0001
    LOW = 0x0002


DATASET_ABSENT = 0x0101
"""Command Data Set Type value meaning no data set follows (PS3.7 Table E.1-1)."""
DATASET_PRESENT = 0x0001
"""The value written when a data set follows; any value but 0x0101 means that."""

_MANDATORY = {"mandatory": True}

# Field name -> PS3.7 keyword; the tag and VR come from pydicom's dictionary.
_KEYWORDS = {
    "affected_sop_class_uid": "AffectedSOPClassUID",
    "requested_sop_class_uid": "RequestedSOPClassUID",
    "message_id": "MessageID",
    "message_id_being_responded_to": "MessageIDBeingRespondedTo",
    "move_destination": "MoveDestination",
    "priority": "Priority",
    "status": "Status",
    "offending_element": "OffendingElement",
    "error_comment": "ErrorComment",
    "error_id": "ErrorID",
    "affected_sop_instance_uid": "AffectedSOPInstanceUID",
    "requested_sop_instance_uid": "RequestedSOPInstanceUID",
    "event_type_id": "EventTypeID",
    "attribute_identifier_list": "AttributeIdentifierList",
    "action_type_id": "ActionTypeID",
    "number_of_remaining_suboperations": "NumberOfRemainingSuboperations",
    "number_of_completed_suboperations": "NumberOfCompletedSuboperations",
    "number_of_failed_suboperations": "NumberOfFailedSuboperations",
    "number_of_warning_suboperations": "NumberOfWarningSuboperations",
    "move_originator_application_entity_title": "MoveOriginatorApplicationEntityTitle",
    "move_originator_message_id": "MoveOriginatorMessageID",
}

_TAG_COMMAND_GROUP_LENGTH = 0x0000
_TAG_COMMAND_FIELD = 0x0100
_TAG_COMMAND_DATA_SET_TYPE = 0x0800

_HEADER = struct.Struct("<HHI")
_TAG = struct.Struct("<HH")
_US = struct.Struct("<H")
_UL = struct.Struct("<I")


# ---- value codecs, one pair per VR that occurs in group 0000 ----------------


def _encode_text(value: str, pad: bytes) -> bytes:
    raw = value.encode("ascii")
    return raw + pad if len(raw) & 1 else raw


def _encode_ui(value: str) -> bytes:
    return _encode_text(value, b"\x00")


def _encode_padded_text(value: str) -> bytes:
    return _encode_text(value, b" ")


def _encode_us(value: int) -> bytes:
    return _US.pack(value)


def _encode_at(value: tuple[int, ...]) -> bytes:
    return b"".join(_TAG.pack(tag >> 16, tag & 0xFFFF) for tag in value)


def _decode_ui(raw: bytes) -> str:
    return raw.decode("latin-1").rstrip("\x00 ")


def _decode_text(raw: bytes) -> str:
    return raw.decode("latin-1").strip(" \x00")


def _decode_us(raw: bytes) -> int:
    if len(raw) != 2:
        raise ValueError(f"US value of {len(raw)} bytes, expected 2")
    return raw[0] | raw[1] << 8


def _decode_at(raw: bytes) -> tuple[int, ...]:
    if len(raw) % 4:
        raise ValueError(f"AT value of {len(raw)} bytes, not a multiple of 4")
    return tuple((group << 16) | element for group, element in _TAG.iter_unpack(raw))


_CODECS: dict[str, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {
    "UI": (_encode_ui, _decode_ui),
    "AE": (_encode_padded_text, _decode_text),
    "LO": (_encode_padded_text, _decode_text),
    "US": (_encode_us, _decode_us),
    "AT": (_encode_at, _decode_at),
}


@dataclass(frozen=True, slots=True)
class _Element:
    """How one dataclass field maps to one command element."""

    element: int  # the element number; the group is always 0000
    name: str
    keyword: str
    mandatory: bool
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


def _elements(cls: type) -> tuple[_Element, ...]:
    specs = []
    for f in fields(cls):
        if f.name == "has_dataset":
            continue
        keyword = _KEYWORDS[f.name]
        tag = tag_for_keyword(keyword)
        assert tag is not None and tag >> 16 == 0
        encode, decode = _CODECS[dictionary_VR(tag)]
        no_default = f.default is MISSING and f.default_factory is MISSING
        mandatory = no_default or bool(f.metadata.get("mandatory"))
        specs.append(_Element(tag, f.name, keyword, mandatory, encode, decode))
    return tuple(sorted(specs, key=lambda spec: spec.element))


def _message(command_field: CommandField) -> Callable[[type], type]:
    """Register a message class under its Command Field and build its element table."""

    def register(cls: type) -> type:
        elements = _elements(cls)
        cls.command_field = command_field  # type: ignore[attr-defined]
        cls._elements = elements  # type: ignore[attr-defined]
        MESSAGE_TYPES[command_field] = cls
        _ENCODING[cls] = (
            _encoding_plan(command_field, elements, DATASET_ABSENT),
            _encoding_plan(command_field, elements, DATASET_PRESENT),
        )
        return cls

    return register


MESSAGE_TYPES: dict[int, type[DIMSEMessage]] = {}
"""Command Field value -> message class."""

# One step of encoding a command set: (field name, the element's tag, its encoder), or
# ("", the whole element, None) for an element whose value the class fixes.
_Step = tuple[str, bytes, Callable[[Any], bytes] | None]

#: Message class -> its encoding steps in tag order, without and with a data set.
_ENCODING: dict[type, tuple[tuple[_Step, ...], tuple[_Step, ...]]] = {}


def _encoding_plan(
    command_field: int, elements: tuple[_Element, ...], dataset_type: int
) -> tuple[_Step, ...]:
    """The steps that encode a class's command set: Command Field and Command Data Set
    Type are not fields, so they are encoded once here, slotted in tag order."""
    fixed = {
        _TAG_COMMAND_FIELD: _HEADER.pack(0, _TAG_COMMAND_FIELD, 2) + _US.pack(command_field),
        _TAG_COMMAND_DATA_SET_TYPE: _HEADER.pack(0, _TAG_COMMAND_DATA_SET_TYPE, 2)
        + _US.pack(dataset_type),
    }
    steps: list[tuple[int, _Step]] = [(tag, ("", whole, None)) for tag, whole in fixed.items()]
    steps += [
        (spec.element, (spec.name, _TAG.pack(0, spec.element), spec.encode)) for spec in elements
    ]
    return tuple(step for _, step in sorted(steps, key=lambda item: item[0]))


# ---- the messages of PS3.7 9.3 (DIMSE-C) ------------------------------------


@_message(CommandField.C_ECHO_RQ)
@dataclass(frozen=True, slots=True)
class CEchoRQ:
    """C-ECHO-RQ (PS3.7 9.3.5.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    has_dataset: bool = False


@_message(CommandField.C_ECHO_RSP)
@dataclass(frozen=True, slots=True)
class CEchoRSP:
    """C-ECHO-RSP (PS3.7 9.3.5.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.C_STORE_RQ)
@dataclass(frozen=True, slots=True)
class CStoreRQ:
    """C-STORE-RQ (PS3.7 9.3.1.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=_MANDATORY)
    move_originator_application_entity_title: str | None = None
    move_originator_message_id: int | None = None
    has_dataset: bool = True


@_message(CommandField.C_STORE_RSP)
@dataclass(frozen=True, slots=True)
class CStoreRSP:
    """C-STORE-RSP (PS3.7 9.3.1.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.C_FIND_RQ)
@dataclass(frozen=True, slots=True)
class CFindRQ:
    """C-FIND-RQ (PS3.7 9.3.2.1); the Identifier is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=_MANDATORY)
    has_dataset: bool = True


@_message(CommandField.C_FIND_RSP)
@dataclass(frozen=True, slots=True)
class CFindRSP:
    """C-FIND-RSP (PS3.7 9.3.2.2); pending responses carry an Identifier."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.C_GET_RQ)
@dataclass(frozen=True, slots=True)
class CGetRQ:
    """C-GET-RQ (PS3.7 9.3.3.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=_MANDATORY)
    has_dataset: bool = True


@_message(CommandField.C_GET_RSP)
@dataclass(frozen=True, slots=True)
class CGetRSP:
    """C-GET-RSP (PS3.7 9.3.3.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_suboperations: int | None = None
    number_of_completed_suboperations: int | None = None
    number_of_failed_suboperations: int | None = None
    number_of_warning_suboperations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.C_MOVE_RQ)
@dataclass(frozen=True, slots=True)
class CMoveRQ:
    """C-MOVE-RQ (PS3.7 9.3.4.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    move_destination: str
    priority: int = field(default=Priority.MEDIUM, metadata=_MANDATORY)
    has_dataset: bool = True


@_message(CommandField.C_MOVE_RSP)
@dataclass(frozen=True, slots=True)
class CMoveRSP:
    """C-MOVE-RSP (PS3.7 9.3.4.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_suboperations: int | None = None
    number_of_completed_suboperations: int | None = None
    number_of_failed_suboperations: int | None = None
    number_of_warning_suboperations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.C_CANCEL_RQ)
@dataclass(frozen=True, slots=True)
class CCancelRQ:
    """C-CANCEL-RQ for C-FIND, C-GET and C-MOVE (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    has_dataset: bool = False


# ---- the messages of PS3.7 10.3 (DIMSE-N) -----------------------------------


@_message(CommandField.N_EVENT_REPORT_RQ)
@dataclass(frozen=True, slots=True)
class NEventReportRQ:
    """N-EVENT-REPORT-RQ (PS3.7 10.3.1.1); Event Information is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    event_type_id: int
    has_dataset: bool = False


@_message(CommandField.N_EVENT_REPORT_RSP)
@dataclass(frozen=True, slots=True)
class NEventReportRSP:
    """N-EVENT-REPORT-RSP (PS3.7 10.3.1.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    event_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.N_GET_RQ)
@dataclass(frozen=True, slots=True)
class NGetRQ:
    """N-GET-RQ (PS3.7 10.3.2.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    attribute_identifier_list: tuple[int, ...] | None = None
    has_dataset: bool = False


@_message(CommandField.N_GET_RSP)
@dataclass(frozen=True, slots=True)
class NGetRSP:
    """N-GET-RSP (PS3.7 10.3.2.2); the Attribute List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.N_SET_RQ)
@dataclass(frozen=True, slots=True)
class NSetRQ:
    """N-SET-RQ (PS3.7 10.3.3.1); the Modification List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    has_dataset: bool = True


@_message(CommandField.N_SET_RSP)
@dataclass(frozen=True, slots=True)
class NSetRSP:
    """N-SET-RSP (PS3.7 10.3.3.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.N_ACTION_RQ)
@dataclass(frozen=True, slots=True)
class NActionRQ:
    """N-ACTION-RQ (PS3.7 10.3.4.1); Action Information is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    action_type_id: int
    has_dataset: bool = False


@_message(CommandField.N_ACTION_RSP)
@dataclass(frozen=True, slots=True)
class NActionRSP:
    """N-ACTION-RSP (PS3.7 10.3.4.2); Action Reply is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    action_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.N_CREATE_RQ)
@dataclass(frozen=True, slots=True)
class NCreateRQ:
    """N-CREATE-RQ (PS3.7 10.3.5.1); the Attribute List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str | None = None
    has_dataset: bool = False


@_message(CommandField.N_CREATE_RSP)
@dataclass(frozen=True, slots=True)
class NCreateRSP:
    """N-CREATE-RSP (PS3.7 10.3.5.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@_message(CommandField.N_DELETE_RQ)
@dataclass(frozen=True, slots=True)
class NDeleteRQ:
    """N-DELETE-RQ (PS3.7 10.3.6.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    has_dataset: bool = False


@_message(CommandField.N_DELETE_RSP)
@dataclass(frozen=True, slots=True)
class NDeleteRSP:
    """N-DELETE-RSP (PS3.7 10.3.6.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[_Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


DIMSEResponse = (
    CEchoRSP
    | CStoreRSP
    | CFindRSP
    | CGetRSP
    | CMoveRSP
    | NEventReportRSP
    | NGetRSP
    | NSetRSP
    | NActionRSP
    | NCreateRSP
    | NDeleteRSP
)
DIMSEMessage = (
    CEchoRQ
    | CStoreRQ
    | CFindRQ
    | CGetRQ
    | CMoveRQ
    | CCancelRQ
    | NEventReportRQ
    | NGetRQ
    | NSetRQ
    | NActionRQ
    | NCreateRQ
    | NDeleteRQ
    | DIMSEResponse
)


# ---- encoding and decoding --------------------------------------------------


def encode_command(msg: DIMSEMessage) -> bytes:
    """Encode ``msg`` as its command set: group 0000, Implicit VR Little Endian.

    Command Group Length comes first and elements follow in tag order, as
    PS3.7 6.3.1 and PS3.5 7.1 ask. Optional fields set to ``None`` are left out.
    """
    parts: list[bytes] = []
    append = parts.append
    pack_length = _UL.pack
    for name, head, encode in _ENCODING[type(msg)][1 if msg.has_dataset else 0]:
        if encode is None:
            append(head)
            continue
        value = getattr(msg, name)
        if value is not None:
            raw = encode(value)
            append(head + pack_length(len(raw)) + raw)
    body = b"".join(parts)
    return _GROUP_LENGTH_HEADER + pack_length(len(body)) + body


_GROUP_LENGTH_HEADER = _HEADER.pack(0, _TAG_COMMAND_GROUP_LENGTH, 4)


def _split_elements(raw: bytes) -> dict[int, bytes]:
    """Map element number -> value for a group-0000 stream."""
    end = len(raw)
    unpack_header = _HEADER.unpack_from
    values: dict[int, bytes] = {}
    offset = 0
    while offset < end:
        if end - offset < 8:
            raise DIMSEDecodeError(offset, f"{end - offset} stray bytes after the last element")
        group, element, length = unpack_header(raw, offset)
        if group != 0:
            raise DIMSEDecodeError(
                offset, f"element ({group:04X},{element:04X}) is not in command group 0000"
            )
        start = offset + 8
        if length > end - start:
            raise DIMSEDecodeError(
                offset,
                f"element (0000,{element:04X}) claims {length} bytes, only {end - start} remain",
            )
        if element in values:
            raise DIMSEDecodeError(offset, f"element (0000,{element:04X}) appears twice")
        offset = start + length
        values[element] = raw[start:offset]
    return values


def _offset_of(raw: bytes, element: int) -> int:
    """Where ``element`` of a command set that splits cleanly starts (for error reports:
    the split keeps values only)."""
    offset = 0
    while True:
        _, found, length = _HEADER.unpack_from(raw, offset)
        if found == element:
            return offset
        offset += 8 + length


def decode_command(data: bytes | memoryview) -> DIMSEMessage:
    """Decode a complete command set into its message value.

    Raises :class:`DIMSEDecodeError`, and nothing else, for malformed input:
    an element outside group 0000, a length that overruns, a wrong Command
    Group Length, an unknown Command Field, or a missing mandatory element.
    Group-0000 elements that the message does not use (retired ones, say)
    are ignored.
    """
    # A command set is a few hundred bytes at most: one copy, then bytes slices,
    # which are cheaper to take and decode than memoryview slices.
    raw = bytes(data)
    values = _split_elements(raw)

    group_length = values.get(_TAG_COMMAND_GROUP_LENGTH)
    if group_length is None:
        raise DIMSEDecodeError(0, "Command Group Length (0000,0000) is missing")
    if raw[:4] != b"\x00\x00\x00\x00":
        raise DIMSEDecodeError(
            _offset_of(raw, _TAG_COMMAND_GROUP_LENGTH),
            "Command Group Length is not the first element",
        )
    if len(group_length) != 4:
        raise DIMSEDecodeError(0, "Command Group Length value is not 4 bytes")
    expected = _UL.unpack(group_length)[0]
    actual = len(raw) - 12
    if expected != actual:
        raise DIMSEDecodeError(
            0, f"Command Group Length says {expected} bytes but {actual} follow it"
        )

    command_field = _required_us(raw, values, _TAG_COMMAND_FIELD, "Command Field")
    cls = MESSAGE_TYPES.get(command_field)
    if cls is None:
        raise DIMSEDecodeError(
            _offset_of(raw, _TAG_COMMAND_FIELD), f"unknown Command Field 0x{command_field:04X}"
        )
    dataset_type = _required_us(raw, values, _TAG_COMMAND_DATA_SET_TYPE, "Command Data Set Type")

    kwargs: dict[str, Any] = {"has_dataset": dataset_type != DATASET_ABSENT}
    for spec in cls._elements:
        value = values.get(spec.element)
        if not value:  # absent, or present with no value
            if spec.mandatory:
                raise DIMSEDecodeError(
                    len(raw),
                    f"{cls.__name__} lacks its mandatory {spec.keyword} (0000,{spec.element:04X})",
                )
            continue
        try:
            kwargs[spec.name] = spec.decode(value)
        except ValueError as exc:
            raise DIMSEDecodeError(
                _offset_of(raw, spec.element), f"{spec.keyword}: {exc}"
            ) from None
    return cls(**kwargs)


def _required_us(raw: bytes, values: dict[int, bytes], element: int, name: str) -> int:
    value = values.get(element)
    if value is None:
        raise DIMSEDecodeError(0, f"{name} (0000,{element:04X}) is missing")
    try:
        return _decode_us(value)
    except ValueError as exc:
        raise DIMSEDecodeError(_offset_of(raw, element), f"{name}: {exc}") from None


# ---- the pydicom view -------------------------------------------------------


def command_to_dataset(msg: DIMSEMessage) -> Dataset:
    """The command set of ``msg`` as a pydicom Dataset, for users and logs."""
    ds = Dataset()
    ds.CommandGroupLength = len(encode_command(msg)) - 12
    ds.CommandField = int(msg.command_field)
    ds.CommandDataSetType = DATASET_PRESENT if msg.has_dataset else DATASET_ABSENT
    for spec in msg._elements:
        value = getattr(msg, spec.name)
        if value is not None:
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, int):
                value = int(value)  # an IntEnum would print as its member name
            setattr(ds, spec.keyword, value)
    return ds


_STATUS_TAG = BaseTag(0x00000900)


def status_dataset(rsp: DIMSEResponse) -> Dataset:
    """Status (0000,0900) of a response plus the status-detail elements it carries.

    The details are Offending Element (0000,0901), Error Comment (0000,0902)
    and Error ID (0000,0903) of PS3.7 Annex C, as pynetdicom-style handlers
    return them.
    """
    # A blank Dataset and the element itself: Dataset() and ``ds.Status = ...`` go
    # through pydicom's __setattr__ a dozen times, more than the rest of a C-ECHO costs.
    ds = blank_dataset()
    status = rsp.status
    if type(status) is int and 0 <= status <= 0xFFFF:
        # A US value as decoded: nothing for pydicom to convert or check (it would
        # keep the int as it is), which is most of what building the element costs.
        element = DataElement(
            _STATUS_TAG,
            "US",
            status,
            already_converted=True,
            validation_mode=config.settings.reading_validation_mode,
        )
    else:
        element = DataElement(_STATUS_TAG, "US", status)
    ds[_STATUS_TAG] = element
    if rsp.offending_element is not None:
        ds.OffendingElement = list(rsp.offending_element)
    if rsp.error_comment is not None:
        ds.ErrorComment = rsp.error_comment
    if rsp.error_id is not None:
        ds.ErrorID = rsp.error_id
    return ds
