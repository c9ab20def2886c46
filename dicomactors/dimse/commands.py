"""DIMSE command sets: encoding and decoding the messages of PS3.7 9.3 and 10.3.

A command set is group 0000 encoded Implicit VR Little Endian (PS3.7 6.3.1).
Every message crosses this module twice, so the encoder and decoder here are
small hand-written loops over each class's element table rather than pydicom
Dataset round trips; :func:`command_to_dataset` gives the pydicom view for
users and logs. Decoding a command set that lacks a mandatory element raises
:class:`DIMSEDecodeError`.

The message values are :mod:`dicomactors.dimse.messages` and their element
tables :mod:`dicomactors.dimse.elements`; this module names them all.
"""

from __future__ import annotations

from typing import Any

from pydicom import config
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from dicomactors.dataset import blank_dataset
from dicomactors.dimse.elements import (
    DATASET_ABSENT,
    DATASET_PRESENT,
    ENCODING_PLANS,
    HEADER,
    MESSAGE_TYPES,
    TAG_COMMAND_DATA_SET_TYPE,
    TAG_COMMAND_FIELD,
    TAG_COMMAND_GROUP_LENGTH,
    UL,
    CommandField,
    Priority,
    decode_us,
)
from dicomactors.dimse.errors import DIMSEDecodeError
from dicomactors.dimse.messages import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DIMSEMessage,
    DIMSEResponse,
    NActionRQ,
    NActionRSP,
    NCreateRQ,
    NCreateRSP,
    NDeleteRQ,
    NDeleteRSP,
    NEventReportRQ,
    NEventReportRSP,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    NSetRSP,
)

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


def encode_command(msg: DIMSEMessage) -> bytes:
    """Encode ``msg`` as its command set: group 0000, Implicit VR Little Endian.

    Command Group Length comes first and elements follow in tag order, as
    PS3.7 6.3.1 and PS3.5 7.1 ask. Optional fields set to ``None`` are left out.
    """
    parts: list[bytes] = []
    append = parts.append
    pack_length = UL.pack
    for name, head, encode in ENCODING_PLANS[type(msg)][1 if msg.has_dataset else 0]:
        if encode is None:
            append(head)
            continue
        value = getattr(msg, name)
        if value is not None:
            raw = encode(value)
            append(head + pack_length(len(raw)) + raw)
    body = b"".join(parts)
    return _GROUP_LENGTH_HEADER + pack_length(len(body)) + body


_GROUP_LENGTH_HEADER = HEADER.pack(0, TAG_COMMAND_GROUP_LENGTH, 4)


def _split_elements(raw: bytes) -> dict[int, bytes]:
    """Map element number -> value for a group-0000 stream."""
    end = len(raw)
    unpack_header = HEADER.unpack_from
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
        _, found, length = HEADER.unpack_from(raw, offset)
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

    group_length = values.get(TAG_COMMAND_GROUP_LENGTH)
    if group_length is None:
        raise DIMSEDecodeError(0, "Command Group Length (0000,0000) is missing")
    if raw[:4] != b"\x00\x00\x00\x00":
        raise DIMSEDecodeError(
            _offset_of(raw, TAG_COMMAND_GROUP_LENGTH),
            "Command Group Length is not the first element",
        )
    if len(group_length) != 4:
        raise DIMSEDecodeError(0, "Command Group Length value is not 4 bytes")
    expected = UL.unpack(group_length)[0]
    actual = len(raw) - 12
    if expected != actual:
        raise DIMSEDecodeError(
            0, f"Command Group Length says {expected} bytes but {actual} follow it"
        )

    command_field = _required_us(raw, values, TAG_COMMAND_FIELD, "Command Field")
    cls = MESSAGE_TYPES.get(command_field)
    if cls is None:
        raise DIMSEDecodeError(
            _offset_of(raw, TAG_COMMAND_FIELD), f"unknown Command Field 0x{command_field:04X}"
        )
    dataset_type = _required_us(raw, values, TAG_COMMAND_DATA_SET_TYPE, "Command Data Set Type")

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
        return decode_us(value)
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
