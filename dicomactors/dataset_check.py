"""A bounded structural check of an encoded data set, before anything decodes it.

pydicom reads a data set lazily: a sequence is parsed when it is first
touched, and an element's value is whatever bytes are there, however many its
header declared. A data set nested thousands of sequences deep, or an element
that declares 0xFFFFFFF0 bytes with 64 present, reads without error and fails
later, as a ``RecursionError`` or a short value (or, printing it, as a
process that exhausts its memory). :func:`check_dataset` walks the element
headers of the whole data set first, with an explicit stack (no recursion),
and raises :class:`DatasetDecodeError` unless:

- sequences (defined or undefined length, and UN values of undefined length,
  which hold Implicit VR Little Endian items: PS3.5 6.2.2) nest at most
  :attr:`DatasetLimits.maximum_depth` deep;
- every declared length fits in what is left of its container: the item,
  sequence or data set it belongs to (PS3.5 7.1, 7.5);
- an undefined length is only on a sequence, an item, a UN value, or
  encapsulated pixel data (PS3.5 A.4), and each ends with its delimiter;
- a deflated data set inflates to at most
  :attr:`DatasetLimits.maximum_inflated_length` bytes.

The walk reads only element headers, never values, so it costs a few
microseconds per element whatever the size of the pixel data. It is pure: bytes
in, ``None`` or an error out.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from pydicom.datadict import dictionary_VR
from pydicom.uid import UID, ExplicitVRBigEndian, ImplicitVRLittleEndian

__all__ = ["DEFAULT_LIMITS", "DatasetDecodeError", "DatasetLimits", "check_dataset", "inflate"]


@dataclass(frozen=True, slots=True)
class DatasetLimits:
    """The bounds :func:`check_dataset` holds a received data set to."""

    #: Sequences nested deeper than this are refused (pydicom's recursion stays far
    #: below Python's limit; real IODs nest fewer than ten).
    maximum_depth: int = 64
    #: A Deflated Explicit VR Little Endian data set inflating past this is refused.
    maximum_inflated_length: int = 1 << 30


DEFAULT_LIMITS = DatasetLimits()


class DatasetDecodeError(ValueError):
    """A received data set cannot be decoded within the bounds: malformed, truncated or too deep."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at byte {offset} of the data set: {reason}")
        self.offset = offset
        self.reason = reason


_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_DELIMITATION = 0xFFFEE00D
_SEQUENCE_DELIMITATION = 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
#: VRs whose explicit VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2).
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_ITEM_BYTES = b"\xfe\xff\x00\xe0"


class _Holds(Enum):
    """What a container holds: elements (a data set or an item), items (a sequence),
    or fragments (encapsulated pixel data, PS3.5 A.4)."""

    ELEMENTS = 1
    ITEMS = 2
    FRAGMENTS = 3


class _Frame(NamedTuple):
    """A container being walked: where it ends (None: at its delimiter) and what it holds."""

    kind: _Holds
    end: int | None
    limit: int  # the nearest defined end, this container's or an enclosing one's
    implicit: bool


def inflate(data: bytes, limits: DatasetLimits = DEFAULT_LIMITS) -> bytes:
    """Raw deflate (PS3.5 A.5) undone, refused past ``limits.maximum_inflated_length``."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, limits.maximum_inflated_length)
    except zlib.error as exc:
        raise DatasetDecodeError(0, f"not a deflated data set: {exc}") from None
    if inflater.unconsumed_tail:
        raise DatasetDecodeError(
            0, f"inflates past {limits.maximum_inflated_length} bytes (the bound)"
        )
    return raw


def check_dataset(
    data: bytes | memoryview, transfer_syntax: str, limits: DatasetLimits = DEFAULT_LIMITS
) -> None:
    """Raise :class:`DatasetDecodeError` unless ``data`` is well formed within ``limits``.

    ``data`` is not deflated (:func:`inflate` first).

    ``transfer_syntax`` gives the encoding: Implicit VR Little Endian, Explicit VR
    Big Endian, or Explicit VR Little Endian for every other syntax (the
    encapsulated ones carry their pixel data as fragments, PS3.5 A.4).
    """
    uid = UID(transfer_syntax)
    little = uid != ExplicitVRBigEndian
    _Walker(memoryview(data).cast("B"), little, limits.maximum_depth).walk(
        uid == ImplicitVRLittleEndian
    )


class _Walker:
    """The iterative walk over element headers: one frame per open container."""

    def __init__(self, data: memoryview, little: bool, maximum_depth: int) -> None:
        self.data = data
        self.size = len(data)
        self.maximum_depth = maximum_depth
        self.order = "<" if little else ">"
        self.tag = struct.Struct(self.order + "HH")
        self.u32 = struct.Struct(self.order + "I")
        self.u16 = struct.Struct(self.order + "H")
        self.depth = 0

    def walk(self, implicit: bool) -> None:
        stack = [_Frame(_Holds.ELEMENTS, self.size, self.size, implicit)]
        pos = 0
        while stack:
            frame = stack[-1]
            if frame.end is not None and pos >= frame.end:
                if pos > frame.end:
                    raise DatasetDecodeError(pos, "a value runs past the end of its container")
                self._close(stack)
                continue
            if frame.kind is _Holds.ELEMENTS:
                pos = self._element(stack, frame, pos)
            else:
                pos = self._item(stack, frame, pos)

    def _close(self, stack: list[_Frame]) -> None:
        if stack.pop().kind is _Holds.ITEMS:
            self.depth -= 1

    def _need(self, frame: _Frame, pos: int, count: int) -> None:
        if pos + count > frame.limit:
            raise DatasetDecodeError(
                pos, f"{count} bytes needed but the container ends at byte {frame.limit}"
            )

    def _read_tag(self, frame: _Frame, pos: int) -> int:
        self._need(frame, pos, 4)
        group, element = (
            struct.unpack_from("<HH", self.data, pos)
            if frame.implicit
            else self.tag.unpack_from(self.data, pos)
        )
        return int(group) << 16 | int(element)

    def _u32(self, frame: _Frame, pos: int) -> int:
        return int(
            struct.unpack_from("<I" if frame.implicit else self.order + "I", self.data, pos)[0]
        )

    def _element(self, stack: list[_Frame], frame: _Frame, pos: int) -> int:
        start = pos
        tag = self._read_tag(frame, pos)
        if tag == _ITEM_DELIMITATION and frame.end is None:
            self._need(frame, pos, 8)
            stack.pop()
            return pos + 8
        if frame.implicit:
            self._need(frame, pos, 8)
            vr, length, pos = None, self._u32(frame, pos + 4), pos + 8
        else:
            self._need(frame, pos, 8)
            vr = bytes(self.data[pos + 4 : pos + 6])
            if vr in _LONG_VRS:
                self._need(frame, pos, 12)
                length, pos = self._u32(frame, pos + 8), pos + 12
            else:
                length, pos = int(self.u16.unpack_from(self.data, pos + 6)[0]), pos + 8
        if length == _UNDEFINED:
            return self._open_undefined(stack, frame, start, pos, tag, vr)
        if pos + length > frame.limit:
            raise DatasetDecodeError(
                start,
                f"({tag >> 16:04X},{tag & 0xFFFF:04X}) declares {length} bytes;"
                f" {frame.limit - pos} are left in its container",
            )
        if not self._is_sequence(frame, tag, vr, pos, length):
            return pos + length
        self._push(stack, _Frame(_Holds.ITEMS, pos + length, pos + length, frame.implicit), start)
        return pos

    def _is_sequence(
        self, frame: _Frame, tag: int, vr: bytes | None, pos: int, length: int
    ) -> bool:
        if vr is not None:
            return vr == b"SQ"
        if tag >> 16 & 1:
            # A private element in Implicit VR: a sequence if its value opens with an item.
            return length >= 8 and bytes(self.data[pos : pos + 4]) == _ITEM_BYTES
        try:
            return dictionary_VR(tag) == "SQ"
        except KeyError:
            return False

    def _open_undefined(
        self, stack: list[_Frame], frame: _Frame, start: int, pos: int, tag: int, vr: bytes | None
    ) -> int:
        if vr in (None, b"SQ"):
            if vr is None and tag == _PIXEL_DATA:
                stack.append(_Frame(_Holds.FRAGMENTS, None, frame.limit, frame.implicit))
                return pos
            self._push(stack, _Frame(_Holds.ITEMS, None, frame.limit, frame.implicit), start)
        elif vr == b"UN":
            self._push(stack, _Frame(_Holds.ITEMS, None, frame.limit, True), start)
        elif vr in (b"OB", b"OW"):
            stack.append(_Frame(_Holds.FRAGMENTS, None, frame.limit, frame.implicit))
        else:
            raise DatasetDecodeError(
                start, f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {vr!r} has an undefined length"
            )
        return pos

    def _push(self, stack: list[_Frame], frame: _Frame, start: int) -> None:
        self.depth += 1
        if self.depth > self.maximum_depth:
            raise DatasetDecodeError(
                start, f"sequences nested more than {self.maximum_depth} deep (the bound)"
            )
        stack.append(frame)

    def _item(self, stack: list[_Frame], frame: _Frame, pos: int) -> int:
        """An item of a sequence, or a fragment of encapsulated pixel data."""
        tag = self._read_tag(frame, pos)
        self._need(frame, pos, 8)
        length = self._u32(frame, pos + 4)
        if frame.implicit and tag != _ITEM and self.order == ">":
            # A UN value of undefined length in a big endian data set: its items are
            # Implicit VR Little Endian, but pydicom writes the delimiter that ends
            # it in the data set's byte order.
            other = self.tag.unpack_from(self.data, pos)
            tag = tag if tag == _SEQUENCE_DELIMITATION else int(other[0]) << 16 | int(other[1])
        if tag == _SEQUENCE_DELIMITATION and frame.end is None:
            self._close(stack)
            return pos + 8
        if tag != _ITEM:
            raise DatasetDecodeError(
                pos, f"an item expected, found ({tag >> 16:04X},{tag & 0xFFFF:04X})"
            )
        pos += 8
        if frame.kind is _Holds.FRAGMENTS or length != _UNDEFINED:
            if length == _UNDEFINED:
                raise DatasetDecodeError(pos - 8, "a pixel data fragment of undefined length")
            if pos + length > frame.limit:
                raise DatasetDecodeError(
                    pos - 8, f"an item declares {length} bytes; {frame.limit - pos} are left"
                )
            if frame.kind is _Holds.FRAGMENTS:
                return pos + length
            stack.append(_Frame(_Holds.ELEMENTS, pos + length, pos + length, frame.implicit))
            return pos
        stack.append(_Frame(_Holds.ELEMENTS, None, frame.limit, frame.implicit))
        return pos
