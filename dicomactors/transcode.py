"""Conversion between the uncompressed transfer syntaxes, element header by element header.

Implicit VR Little Endian, Explicit VR Little Endian and Explicit VR Big
Endian differ only in how each element's tag, VR and length are written and,
for big endian, in the byte order of the values made of words (PS3.5 7.1,
7.3, Annex A.1-A.3). :func:`transcode` walks a data set's encoded bytes,
rewrites those headers and passes every value through: small values are
copied into the output, large ones (Pixel Data) are slices of the input, so a
:class:`~dicomactors.filedata.FileRegion` stays a file region and is never
read. No pydicom ``Dataset`` is built.

The VRs an Implicit VR source leaves out come from pydicom's data dictionary:
a private element whose VR neither the dictionary nor its private creator's
dictionary knows becomes UN (PS3.5 6.2.2), the ambiguous VRs are settled as
PS3.5 A.1 and PS3.3 C.7.6.3 / C.11.1 say (Pixel Data and the other "OB or
OW" values are OW in Implicit VR; "US or SS" follows Pixel Representation;
LUT Data is US for a one-entry LUT, else OW). Sequences and items keep
defined or undefined length as they came, with lengths recomputed.
"""

from __future__ import annotations

import bisect
import itertools
import struct
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pydicom.datadict import dictionary_VR, private_dictionary_VR
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomactors.filedata import FileRegion

__all__ = ["LONG_VRS", "PASS_THROUGH", "TRANSCODABLE", "Buffer", "TranscodeError", "transcode"]

Buffer = bytes | memoryview | FileRegion
"""A piece of the output: copied bytes, or a slice of the input passed through."""

#: The transfer syntaxes :func:`transcode` converts between.
TRANSCODABLE = frozenset(
    {str(ImplicitVRLittleEndian), str(ExplicitVRLittleEndian), str(ExplicitVRBigEndian)}
)

#: Values at least this long are passed through as slices of the input, not copied.
PASS_THROUGH = 4096

#: VRs whose explicit VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2).
LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
#: Bytes per swapped unit, for the VRs whose values change with the byte order.
_WORD_SIZE = {
    b"US": 2, b"SS": 2, b"OW": 2, b"AT": 2,
    b"UL": 4, b"SL": 4, b"FL": 4, b"OF": 4, b"OL": 4,
    b"FD": 8, b"OD": 8, b"SV": 8, b"UV": 8, b"OV": 8,
}  # fmt: skip
_SWAP_CODES = {2: "H", 4: "I", 8: "Q"}
if any(array(code).itemsize != size for size, code in _SWAP_CODES.items()):  # pragma: no cover
    raise ImportError("this platform's array item sizes do not fit dicomactors.transcode")

_UNDEFINED = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_DELIMITATION = 0xFFFEE00D
_SEQUENCE_DELIMITATION = 0xFFFEE0DD
_PIXEL_REPRESENTATION = 0x00280103
_LUT_DESCRIPTOR = 0x00283002
_LUT_DATA = 0x00283006
#: Bytes read at a time from a file region to find the element headers in it.
_WINDOW = 64 * 1024


class TranscodeError(ValueError):
    """The data set cannot be converted: malformed, truncated or not convertible here."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at byte {offset} of the data set: {reason}")
        self.offset = offset
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Encoding:
    implicit: bool
    little: bool

    @classmethod
    def of(cls, syntax: str) -> _Encoding:
        if str(syntax) not in TRANSCODABLE:
            raise TranscodeError(
                0, f"{syntax} is not Implicit or Explicit VR, Little or Big Endian"
            )
        return cls(syntax == ImplicitVRLittleEndian, syntax != ExplicitVRBigEndian)


def transcode(
    data: bytes | bytearray | memoryview | FileRegion | list[Buffer],
    source: str,
    target: str,
    *,
    pass_through: int = PASS_THROUGH,
    pixel_representation: int | None = None,
    private_creators: Mapping[int, str] | None = None,
) -> list[Buffer]:
    """``data``, a data set encoded in ``source``, as buffers that encode it in ``target``.

    ``data`` is one buffer, or a list of buffers that joined are the data set.
    Both syntaxes are among :data:`TRANSCODABLE`. The buffers returned, joined,
    are the data set in ``target``; values of ``pass_through`` bytes or more
    whose bytes need no swapping are slices of ``data`` (memoryviews, or file
    regions of a region). Retired group lengths (gggg,0000) are left out, as
    pydicom does: their values would no longer hold (when ``source`` is
    ``target``, ``data`` comes back as it is, group lengths and all). Raises
    :class:`TranscodeError` for a syntax outside the three, malformed or
    truncated data, and values it cannot carry across (an undefined length on
    an element other than a sequence, a partial word to swap).

    ``data`` may be the tail of a data set whose head was encoded apart: for an
    Implicit VR source, ``pixel_representation`` and ``private_creators``
    (private creator element tag -> creator, PS3.5 7.8.1) are what that head
    said, so that the VRs of the elements here are settled as if it came first.
    """
    src, dst = _Encoding.of(source), _Encoding.of(target)
    pieces = (
        [bytes(data) if isinstance(data, bytearray) else data]
        if not isinstance(data, list)
        else [piece for piece in data if len(piece)]
    )
    if src == dst:
        return pieces
    source_data = _Source(pieces)
    walker = _Walker(source_data, src, dst, pass_through)
    out = _Output()
    creators = {tag >> 16 << 8 | tag & 0xFF: name for tag, name in (private_creators or {}).items()}
    try:
        walker.dataset(out, 0, source_data.size, None, pixel_representation, creators)
    except RecursionError:
        raise TranscodeError(0, "sequences nested too deeply") from None
    return out.finish()


class _Source:
    """The input's bytes: ``data`` holds those from ``base`` on, loaded as they are needed.

    One bytes or memoryview input is visible whole from the start; a file
    region is read a window at a time; a list of pieces shows one piece at a
    time (or the bytes that straddle two).
    """

    __slots__ = ("base", "data", "pieces", "size", "starts")

    def __init__(self, pieces: list[Buffer]) -> None:
        self.pieces = [p if isinstance(p, FileRegion) else memoryview(p).cast("B") for p in pieces]
        self.starts = list(itertools.accumulate((len(p) for p in self.pieces), initial=0))
        self.size = self.starts[-1]
        self.base = 0
        self.data: bytes | memoryview = b""
        if len(pieces) == 1 and not isinstance(pieces[0], FileRegion):
            self.data = pieces[0]

    def load(self, pos: int, need: int) -> None:
        """Make bytes ``pos`` to ``pos + need`` readable in ``data`` (offset by ``base``)."""
        if pos + need > self.size:
            raise TranscodeError(pos, f"{need} bytes needed but the data set ends at {self.size}")
        index = bisect.bisect_right(self.starts, pos) - 1
        start, piece = self.starts[index], self.pieces[index]
        piece_end = start + len(piece)
        if pos + need <= piece_end:
            self.base = pos
            if isinstance(piece, FileRegion):
                window = piece[pos - start : min(piece_end, pos + max(need, _WINDOW)) - start]
                self.data = window.tobytes()
            else:
                self.data, self.base = piece, start
            return
        self.data = b"".join(bytes(part) for part in self._parts(pos, pos + need))
        self.base = pos

    def _parts(self, pos: int, end: int) -> list[Buffer]:
        index = bisect.bisect_right(self.starts, pos) - 1
        parts: list[Buffer] = []
        while pos < end:
            start, piece = self.starts[index], self.pieces[index]
            stop = min(end, start + len(piece))
            parts.append(piece[pos - start : stop - start])
            pos = stop
            index += 1
        return parts

    def slice(self, pos: int, length: int) -> Buffer:
        """Bytes ``pos`` to ``pos + length``, not copied when they lie in one piece."""
        parts = self._parts(pos, pos + length)
        if len(parts) == 1:
            return parts[0]
        return b"".join(bytes(part) for part in parts)


class _Output:
    """Buffers being built: small pieces gathered in a bytearray, large ones kept as given."""

    __slots__ = ("parts", "pending", "size")

    def __init__(self) -> None:
        self.parts: list[Buffer] = []
        self.pending = bytearray()
        self.size = 0  # of parts, without pending

    def add(self, piece: Buffer) -> None:
        self._flush()
        self.parts.append(piece)
        self.size += len(piece)

    def _flush(self) -> None:
        # Cleared, never replaced: a walker keeps a reference to ``pending``.
        if self.pending:
            self.size += len(self.pending)
            self.parts.append(bytes(self.pending))
            self.pending.clear()

    def extend(self, other: _Output) -> None:
        for piece in other.finish():
            if type(piece) is bytes:
                self.pending += piece
            else:
                self.add(piece)

    def __len__(self) -> int:
        return self.size + len(self.pending)

    def finish(self) -> list[Buffer]:
        self._flush()
        return self.parts


#: Tag -> VR for Implicit VR sources, filled as tags are met.
_VR_CACHE: dict[int, bytes] = {}


def _dictionary_vr(tag: int) -> bytes:
    """The data dictionary's VR for a public tag (repeating groups included), or UN."""
    vr = _VR_CACHE.get(tag)
    if vr is None:
        try:
            vr = dictionary_VR(tag).encode("ascii")
        except KeyError:
            vr = b"UN"
        _VR_CACHE[tag] = vr
    return vr


def _private_vr(tag: int, creators: dict[int, str]) -> bytes:
    """The VR of a private element: known to its creator's dictionary, or UN (PS3.5 6.2.2)."""
    element = tag & 0xFFFF
    if element == 0:
        return b"UL"
    if 0x10 <= element < 0x100:
        return b"LO"  # a private creator (PS3.5 7.8.1)
    creator = creators.get(tag >> 16 << 8 | element >> 8)
    if creator is not None and element >= 0x1000:
        try:
            return private_dictionary_VR(tag, creator).encode("ascii")
        except KeyError:
            pass
    return b"UN"


class _Formats(NamedTuple):
    """The element header layouts of one byte order (PS3.5 7.1.1-7.1.3)."""

    tag_length: struct.Struct  # tag and a 4-byte length: Implicit VR, items, delimiters
    short: struct.Struct  # Explicit VR with a 2-byte length
    long: struct.Struct  # Explicit VR, 2 reserved bytes, a 4-byte length
    us: struct.Struct

    @classmethod
    def of(cls, order: str) -> _Formats:
        return cls(*(struct.Struct(order + f) for f in ("HHI", "HH2sH", "HH2s2xI", "H")))


_FORMATS = {True: _Formats.of("<"), False: _Formats.of(">")}


class _Walker:
    """One conversion: the source, the two encodings and the header formats they use."""

    def __init__(self, source: _Source, src: _Encoding, dst: _Encoding, pass_through: int) -> None:
        self.source = source
        self.src = src
        self.dst = dst
        self.pass_through = pass_through
        self.swap = src.little != dst.little
        s, d = _FORMATS[src.little], _FORMATS[dst.little]
        self.src_tag_length, self.src_long, self.src_us = s.tag_length, s.long, s.us
        self.dst_tag_length, self.dst_short, self.dst_long = d.tag_length, d.short, d.long
        # Bound once for the walk's loop: read a tag and length, write one, write a short header.
        self.codecs = (s.tag_length.unpack_from, d.tag_length.pack, d.short.pack)

    def _ensure(self, pos: int, need: int) -> None:
        source = self.source
        if pos + need > source.base + len(source.data):
            source.load(pos, need)

    def dataset(
        self,
        out: _Output,
        pos: int,
        end: int,
        until: int | None,
        pixel_rep: int | None,
        creators: dict[int, str] | None = None,
    ) -> int:
        """Convert elements from ``pos`` to ``end``, or to the ``until`` delimiter; its end."""
        src_implicit, src_little = self.src.implicit, self.src.little
        dst_implicit, swap, pass_through = self.dst.implicit, self.swap, self.pass_through
        unpack_tag_length, pack_tag_length, pack_short = self.codecs
        pending = out.pending  # the same bytearray for the whole walk (see _Output)
        data, base, limit = self._window()
        lut_entries: int | None = None
        creators = {} if creators is None else creators  # group << 8 | block -> creator, so far
        while pos < end:
            if pos + 12 > limit:
                data, base, limit = self._load_header(pos, end)
            group, element, length = unpack_tag_length(data, pos - base)
            tag = group << 16 | element
            if group == 0xFFFE:
                return self._delimiter(out, group, element, until, pos)
            if src_implicit:
                vr = self._implicit_vr(tag, pixel_rep, lut_entries, creators)
            else:
                vr = bytes(data[pos - base + 4 : pos - base + 6])
                if vr in LONG_VRS:
                    length = self._long_length(pos, limit)
                    pos += 4  # 2 reserved bytes and 2 more of length (PS3.5 7.1.2)
                else:
                    length = length >> 16 if src_little else length & 0xFFFF
            pos += 8
            if length == _UNDEFINED or vr == b"SQ" or (element == 0 and group > 6):
                pos = self._sequence_or_group_length(out, tag, vr, pos, length, end, pixel_rep)
                data, base, limit = self._window()
                continue
            if pos + length > end:
                raise TranscodeError(pos, f"({group:04X},{element:04X}) overruns its data set")
            if dst_implicit:
                pending += pack_tag_length(group, element, length)
            elif length <= 0xFFFF and vr not in LONG_VRS:
                pending += pack_short(group, element, vr, length)
            else:
                self._header(out, group, element, vr, length)
            if length < pass_through and not swap and pos + length <= limit:
                pending += data[pos - base : pos - base + length]
            else:
                self._value(out, vr, pos, length)
                data, base, limit = self._window()  # it may have loaded more
            if src_implicit and (group == 0x0028 or group & 1):
                pixel_rep, lut_entries = self._implicit_context(
                    tag, pos, length, pixel_rep, lut_entries, creators
                )
                data, base, limit = self._window()
            pos += length
        if until is not None:
            raise TranscodeError(pos, "a delimitation item is missing at the end")
        return pos

    def _window(self) -> tuple[bytes | memoryview, int, int]:
        """The loaded bytes, the position of their first and the position past their last."""
        data, base = self.source.data, self.source.base
        return data, base, base + len(data)

    def _load_header(self, pos: int, end: int) -> tuple[bytes | memoryview, int, int]:
        """Load the element header at ``pos`` (8 or 12 bytes); the new window."""
        if end - pos < 8:
            raise TranscodeError(pos, "an element header runs past the end")
        self.source.load(pos, min(12, end - pos))
        return self._window()

    def _long_length(self, pos: int, limit: int) -> int:
        """The 4-byte length of the Explicit VR header at ``pos`` (PS3.5 7.1.2)."""
        if pos + 12 > limit:
            raise TranscodeError(pos, "an element header runs past the end")
        return int(self.src_long.unpack_from(self.source.data, pos - self.source.base)[3])

    def _delimiter(
        self, out: _Output, group: int, element: int, until: int | None, pos: int
    ) -> int:
        """The item tag at ``pos`` ends the data set if it is ``until``; where it ends."""
        if group << 16 | element != until:
            raise TranscodeError(pos, f"unexpected item tag ({group:04X},{element:04X})")
        out.pending += self.dst_tag_length.pack(group, element, 0)
        return pos + 8

    def _sequence_or_group_length(
        self,
        out: _Output,
        tag: int,
        vr: bytes,
        pos: int,
        length: int,
        end: int,
        pixel_rep: int | None,
    ) -> int:
        """A sequence, of undefined or defined length, or a retired group length (PS3.5 7.2),
        which is dropped; the end of the element."""
        if length == _UNDEFINED:
            return self._sequence(out, tag, vr, pos, end, pixel_rep)
        group, element = tag >> 16, tag & 0xFFFF
        if pos + length > end:
            raise TranscodeError(pos, f"({group:04X},{element:04X}) overruns its data set")
        if not (element == 0 and group > 6):
            self._defined_sequence(out, group, element, pos, length, pixel_rep)
        return pos + length

    def _defined_sequence(
        self, out: _Output, group: int, element: int, pos: int, length: int, pixel_rep: int | None
    ) -> None:
        """A sequence of defined length: its items converted, then its new length."""
        child = _Output()
        self._items(child, pos, pos + length, pixel_rep)
        self._header(out, group, element, b"SQ", len(child))
        out.extend(child)

    def _implicit_context(
        self,
        tag: int,
        pos: int,
        length: int,
        pixel_rep: int | None,
        lut_entries: int | None,
        creators: dict[int, str],
    ) -> tuple[int | None, int | None]:
        """Note what later Implicit VR elements' VRs depend on (PS3.5 A.1): Pixel
        Representation, the LUT Descriptor's entry count and private creators."""
        group, element = tag >> 16, tag & 0xFFFF
        if tag == _PIXEL_REPRESENTATION and length == 2:
            (pixel_rep,) = self.src_us.unpack_from(self._bytes(pos, 2))
        elif tag == _LUT_DESCRIPTOR and length >= 2:
            (lut_entries,) = self.src_us.unpack_from(self._bytes(pos, 2))
        elif group & 1 and 0x10 <= element < 0x100:
            creator = self._bytes(pos, length).decode("ascii", "replace")
            creators[group << 8 | element] = creator.strip(" \x00")
        return pixel_rep, lut_entries

    def _bytes(self, pos: int, length: int) -> bytes:
        self._ensure(pos, length)
        at = pos - self.source.base
        return bytes(self.source.data[at : at + length])

    @staticmethod
    def _implicit_vr(
        tag: int, pixel_rep: int | None, lut_entries: int | None, creators: dict[int, str]
    ) -> bytes:
        vr = _dictionary_vr(tag) if tag >> 16 & 1 == 0 else _private_vr(tag, creators)
        if len(vr) == 2:
            return vr
        if vr == b"US or SS":
            return b"SS" if pixel_rep == 1 else b"US"
        if vr == b"US or OW" and tag == _LUT_DATA:
            return b"US" if lut_entries == 1 else b"OW"
        return b"OW"  # "OB or OW", "US or SS or OW": OW in Implicit VR (PS3.5 A.1)

    def _header(self, out: _Output, group: int, element: int, vr: bytes, length: int) -> None:
        if self.dst.implicit:
            out.pending += self.dst_tag_length.pack(group, element, length)
        elif vr in LONG_VRS or length == _UNDEFINED:
            out.pending += self.dst_long.pack(group, element, vr, length)
        elif length > 0xFFFF:  # too long for a 2-byte length: UN (PS3.5 6.2.2)
            out.pending += self.dst_long.pack(group, element, b"UN", length)
        else:
            out.pending += self.dst_short.pack(group, element, vr, length)

    def _value(self, out: _Output, vr: bytes, pos: int, length: int) -> None:
        """Copy, swap or pass through the value at ``pos``."""
        size = _WORD_SIZE.get(vr) if self.swap else None
        if size is None and length >= self.pass_through:
            out.add(self.source.slice(pos, length))
            return
        self._ensure(pos, length)
        at = pos - self.source.base
        value = self.source.data[at : at + length]
        if size is not None:
            if length % size:
                raise TranscodeError(
                    pos, f"a {vr.decode('latin-1')} value of {length} bytes, not whole words"
                )
            words = array(_SWAP_CODES[size])
            words.frombytes(value)
            words.byteswap()
            value = words.tobytes()
        if length >= self.pass_through:
            out.add(value if type(value) is bytes else bytes(value))
        else:
            out.pending += value

    def _sequence(
        self, out: _Output, tag: int, vr: bytes, pos: int, end: int, pixel_rep: int | None
    ) -> int:
        """An element of undefined length: a sequence, ending at its delimitation item."""
        group, element = tag >> 16, tag & 0xFFFF
        if vr == b"UN" and not self.src.implicit:
            # PS3.5 6.2.2: an undefined length UN is a sequence in Implicit VR Little Endian.
            inner = _Walker(self.source, _Encoding(True, True), self.dst, self.pass_through)
            self._header(out, group, element, b"SQ", _UNDEFINED)
            return inner._items(out, pos, end, pixel_rep, _SEQUENCE_DELIMITATION)
        if vr not in (b"SQ", b"UN"):
            raise TranscodeError(
                pos, f"({group:04X},{element:04X}) {vr.decode('latin-1')} has undefined length"
            )
        self._header(out, group, element, b"SQ", _UNDEFINED)
        return self._items(out, pos, end, pixel_rep, _SEQUENCE_DELIMITATION)

    def _items(
        self, out: _Output, pos: int, end: int, pixel_rep: int | None, until: int | None = None
    ) -> int:
        """The items of a sequence from ``pos``, to ``end`` or to ``until``; where they end."""
        source = self.source
        while pos < end:
            if pos + 8 > source.base + len(source.data):
                source.load(pos, 8)
            group, element, length = self.src_tag_length.unpack_from(source.data, pos - source.base)
            tag = group << 16 | element
            pos += 8
            if tag == until:
                out.pending += self.dst_tag_length.pack(group, element, 0)
                return pos
            if tag != _ITEM:
                raise TranscodeError(pos - 8, f"({group:04X},{element:04X}) where an item was due")
            if length == _UNDEFINED:
                out.pending += self.dst_tag_length.pack(group, element, _UNDEFINED)
                pos = self.dataset(out, pos, end, _ITEM_DELIMITATION, pixel_rep)
                continue
            if pos + length > end:
                raise TranscodeError(pos, "an item overruns its sequence")
            child = _Output()
            self.dataset(child, pos, pos + length, None, pixel_rep)
            out.pending += self.dst_tag_length.pack(group, element, len(child))
            out.extend(child)
            pos += length
        if until is not None:
            raise TranscodeError(pos, "a sequence delimitation item is missing")
        return pos


def joined(buffers: Sequence[Buffer]) -> bytes:
    """The buffers' bytes in one piece (file regions read): for tests and small data sets."""
    return b"".join(bytes(piece) for piece in buffers)
