"""How a DIMSE command set is laid out: the element table behind each message class.

Each message class (:mod:`dicomactors.dimse.messages`) is registered with
:func:`message_type` under its Command Field (PS3.7 Annex E). Registration
reads the class's fields, finds each one's tag and VR in pydicom's dictionary
(the field names are the PS3.7 keywords in snake case) and builds the class's
element table and its encoding plans, so that encoding and decoding
(:mod:`dicomactors.dimse.commands`) are small loops over data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from enum import IntEnum
from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword


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

MANDATORY = {"mandatory": True}

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

TAG_COMMAND_GROUP_LENGTH = 0x0000
TAG_COMMAND_FIELD = 0x0100
TAG_COMMAND_DATA_SET_TYPE = 0x0800

HEADER = struct.Struct("<HHI")
TAG = struct.Struct("<HH")
US = struct.Struct("<H")
UL = struct.Struct("<I")


# ---- value codecs, one pair per VR that occurs in group 0000 ----------------


def _encode_text(value: str, pad: bytes) -> bytes:
    raw = value.encode("ascii")
    return raw + pad if len(raw) & 1 else raw


def _encode_ui(value: str) -> bytes:
    return _encode_text(value, b"\x00")


def _encode_padded_text(value: str) -> bytes:
    return _encode_text(value, b" ")


def _encode_us(value: int) -> bytes:
    return US.pack(value)


def _encode_at(value: tuple[int, ...]) -> bytes:
    return b"".join(TAG.pack(tag >> 16, tag & 0xFFFF) for tag in value)


def _decode_ui(raw: bytes) -> str:
    return raw.decode("latin-1").rstrip("\x00 ")


def _decode_text(raw: bytes) -> str:
    return raw.decode("latin-1").strip(" \x00")


def decode_us(raw: bytes) -> int:
    if len(raw) != 2:
        raise ValueError(f"US value of {len(raw)} bytes, expected 2")
    return raw[0] | raw[1] << 8


def _decode_at(raw: bytes) -> tuple[int, ...]:
    if len(raw) % 4:
        raise ValueError(f"AT value of {len(raw)} bytes, not a multiple of 4")
    return tuple((group << 16) | element for group, element in TAG.iter_unpack(raw))


_CODECS: dict[str, tuple[Callable[[Any], bytes], Callable[[bytes], Any]]] = {
    "UI": (_encode_ui, _decode_ui),
    "AE": (_encode_padded_text, _decode_text),
    "LO": (_encode_padded_text, _decode_text),
    "US": (_encode_us, decode_us),
    "AT": (_encode_at, _decode_at),
}


@dataclass(frozen=True, slots=True)
class Element:
    """How one dataclass field maps to one command element."""

    element: int  # the element number; the group is always 0000
    name: str
    keyword: str
    mandatory: bool
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


def _elements(cls: type) -> tuple[Element, ...]:
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
        specs.append(Element(tag, f.name, keyword, mandatory, encode, decode))
    return tuple(sorted(specs, key=lambda spec: spec.element))


def message_type(command_field: CommandField) -> Callable[[type], type]:
    """Register a message class under its Command Field and build its element table."""

    def register(cls: type) -> type:
        elements = _elements(cls)
        cls.command_field = command_field  # type: ignore[attr-defined]
        cls._elements = elements  # type: ignore[attr-defined]
        MESSAGE_TYPES[command_field] = cls
        ENCODING_PLANS[cls] = (
            _encoding_plan(command_field, elements, DATASET_ABSENT),
            _encoding_plan(command_field, elements, DATASET_PRESENT),
        )
        return cls

    return register


MESSAGE_TYPES: dict[int, type[Any]] = {}
"""Command Field value -> message class (filled as :mod:`dicomactors.dimse.messages`
is imported: :mod:`dicomactors.dimse.commands` names it once it is full)."""

# One step of encoding a command set: (field name, the element's tag, its encoder), or
# ("", the whole element, None) for an element whose value the class fixes.
_Step = tuple[str, bytes, Callable[[Any], bytes] | None]

#: Message class -> its encoding steps in tag order, without and with a data set.
ENCODING_PLANS: dict[type, tuple[tuple[_Step, ...], tuple[_Step, ...]]] = {}


def _encoding_plan(
    command_field: int, elements: tuple[Element, ...], dataset_type: int
) -> tuple[_Step, ...]:
    """The steps that encode a class's command set: Command Field and Command Data Set
    Type are not fields, so they are encoded once here, slotted in tag order."""
    fixed = {
        TAG_COMMAND_FIELD: HEADER.pack(0, TAG_COMMAND_FIELD, 2) + US.pack(command_field),
        TAG_COMMAND_DATA_SET_TYPE: HEADER.pack(0, TAG_COMMAND_DATA_SET_TYPE, 2)
        + US.pack(dataset_type),
    }
    steps: list[tuple[int, _Step]] = [(tag, ("", whole, None)) for tag, whole in fixed.items()]
    steps += [
        (spec.element, (spec.name, TAG.pack(0, spec.element), spec.encode)) for spec in elements
    ]
    return tuple(step for _, step in sorted(steps, key=lambda item: item[0]))
