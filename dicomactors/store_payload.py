"""The data set a C-STORE request carries, from a file or a pydicom data set, encoded once.

A file whose transfer syntax was accepted goes as it is stored. A file in
another uncompressed syntax, and a data set read from a file, are converted
by :mod:`dicomactors.transcode` rather than decoded and encoded again:

- the elements pydicom still holds as it read them (``RawDataElement``: never
  accessed, so never changed) are put back as they were encoded and
  converted at the element-header level; their large values (Pixel Data) go
  out as the very bytes objects pydicom read;
- the elements the user read or set are encoded by pydicom, each once,
  straight into the target transfer syntax.

Compressed transfer syntaxes are never converted (PS3.5 A.4: the pixel data
would have to be decoded).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydicom import Dataset
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import correct_ambiguous_vr_element, write_data_element
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomactors.dataset import encode_dataset
from dicomactors.filedata import FileRegion
from dicomactors.transcode import LONG_VRS, PASS_THROUGH, TRANSCODABLE, Buffer, transcode

__all__ = ["dataset_payload", "file_payload"]

_SPECIFIC_CHARACTER_SET = 0x00080005
_SEQUENCE_DELIMITATION_LE = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_SEQUENCE_DELIMITATION_BE = b"\xff\xfe\xe0\xdd\x00\x00\x00\x00"
_PIXEL_REPRESENTATION = 0x00280103


def file_payload(
    stored: bytes | memoryview | FileRegion, syntax: str, accepted: str
) -> list[Buffer] | None:
    """A file's data set (``stored`` in ``syntax``) in ``accepted``, or ``None`` if not convertible.

    The data set as stored when the syntaxes agree; else converted without
    decoding when both are uncompressed. Raises
    :class:`~dicomactors.transcode.TranscodeError` for data it cannot convert.
    """
    if syntax == accepted:
        return [stored]
    if syntax in TRANSCODABLE and accepted in TRANSCODABLE:
        return transcode(stored, syntax, accepted)
    return None


def _coalesced(pieces: list[Buffer]) -> list[Buffer]:
    """Neighbouring small pieces joined: each piece becomes at least one PDV on the wire."""
    out: list[Buffer] = []
    small: list[bytes | memoryview] = []
    for piece in pieces:
        if len(piece) < PASS_THROUGH and not isinstance(piece, FileRegion):
            small.append(piece)
            continue
        if small:
            out.append(b"".join(small))
            small = []
        out.append(piece)
    if small:
        out.append(b"".join(small))
    return out


def _syntax_of(implicit: bool | None, little: bool | None) -> str | None:
    if implicit is None or little is None:
        return None
    if implicit:
        return str(ImplicitVRLittleEndian) if little else None
    return str(ExplicitVRLittleEndian if little else ExplicitVRBigEndian)


def dataset_payload(ds: Dataset, accepted: str) -> list[Buffer]:
    """``ds`` encoded in ``accepted``, reusing the encoding pydicom read it in where it can.

    A data set built in memory, one whose character set was changed, one
    going to or coming from a compressed syntax, and one changing byte order
    (whose word values pydicom does not swap) are encoded as a whole by
    :func:`~dicomactors.dataset.encode_dataset`.
    """
    source = _syntax_of(*ds.original_encoding)
    if (
        source is None
        or accepted not in TRANSCODABLE
        or (accepted == ExplicitVRBigEndian) != (source == ExplicitVRBigEndian)
        or not _character_set_kept(ds)
        or not _reusable(ds)
    ):
        return [encode_dataset(ds, accepted)]
    implicit, little = ds.original_encoding
    out: list[Buffer] = []
    run: list[Buffer] = []  # raw elements as they were read, to convert together
    pending = bytearray()
    written: DicomBytesIO | None = None  # elements pydicom encodes, in ``accepted``
    encodings = _as_list(ds.original_character_set)
    # What the elements before a run said that settles VRs in it (Implicit VR only).
    seen = _Context()
    run_context = seen
    for tag in sorted(ds.keys()):
        if tag.element == 0 and tag.group > 6:
            continue  # a retired group length (PS3.5 7.2), as pydicom leaves out
        element = ds.get_item(tag)
        if isinstance(element, RawDataElement):
            if written is not None:
                out.append(written.getvalue())
                written = None
            if not (pending or run):
                run_context = seen.copy()
            _raw_into(run, pending, element, bool(implicit), bool(little))
        else:
            if pending or run:
                out.extend(run_context.transcode([*run, bytes(pending)], source, accepted))
                run, pending = [], bytearray()
            if written is None:
                written = _writer(accepted)
            if not written.is_implicit_VR:
                correct_ambiguous_vr_element(element, ds, written.is_little_endian)
            write_data_element(written, element, encodings)
        seen.learn(element)
    if written is not None:
        out.append(written.getvalue())
    if pending or run:
        out.extend(run_context.transcode([*run, bytes(pending)], source, accepted))
    return _coalesced(out)


@dataclass
class _Context:
    """The Pixel Representation and private creators met so far in a data set."""

    pixel_representation: int | None = None
    private_creators: dict[int, str] = field(default_factory=dict)

    def copy(self) -> _Context:
        return _Context(self.pixel_representation, dict(self.private_creators))

    def learn(self, element: DataElement | RawDataElement) -> None:
        tag, value = int(element.tag), element.value
        if tag == _PIXEL_REPRESENTATION:
            if isinstance(element, RawDataElement) and isinstance(value, bytes):
                order = "<H" if element.is_little_endian else ">H"
                value = struct.unpack(order, value)[0] if len(value) == 2 else None
            self.pixel_representation = value if isinstance(value, int) else None
        elif tag >> 16 & 1 and 0x10 <= tag & 0xFFFF < 0x100:  # a private creator (PS3.5 7.8.1)
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
            self.private_creators[tag] = text.strip(" \x00")

    def transcode(self, data: list[Buffer], source: str, target: str) -> list[Buffer]:
        return transcode(
            data,
            source,
            target,
            pixel_representation=self.pixel_representation,
            private_creators=self.private_creators,
        )


def _reusable(ds: Dataset) -> bool:
    """Whether some elements are still as read, and none of them is waiting to be read."""
    found = False
    for tag in ds.keys():  # noqa: SIM118 (iterating a Dataset converts every raw element)
        element = ds.get_item(tag)
        if isinstance(element, RawDataElement):
            if element.value is None and element.length not in (0, 0xFFFFFFFF):
                return False  # deferred: pydicom reads it from the file when it is needed
            found = True
    return found


def _character_set_kept(ds: Dataset) -> bool:
    """Whether text is still in the character set it was read in (raw or unchanged)."""
    element = ds.get_item(BaseTag(_SPECIFIC_CHARACTER_SET))
    if element is None or isinstance(element, RawDataElement):
        return True
    values = _as_list(element.value)
    return values == _as_list(ds.original_character_set) or (
        not values and _as_list(ds.original_character_set) == ["iso8859"]
    )


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _writer(syntax: str) -> DicomBytesIO:
    fp = DicomBytesIO()
    fp.is_implicit_VR = syntax == ImplicitVRLittleEndian
    fp.is_little_endian = syntax != ExplicitVRBigEndian
    return fp


def _raw_into(
    run: list[Buffer], pending: bytearray, raw: RawDataElement, implicit: bool, little: bool
) -> None:
    """Add a raw element to ``run`` encoded exactly as it was read."""
    e = "<" if little else ">"
    tag = int(raw.tag)
    value = raw.value or b""
    vr = b"" if implicit else str(raw.VR).encode("ascii")
    if implicit:
        pending += struct.pack("<HHI", tag >> 16, tag & 0xFFFF, raw.length)
    elif vr in LONG_VRS or raw.length == 0xFFFFFFFF:
        pending += struct.pack(e + "HH2s2xI", tag >> 16, tag & 0xFFFF, vr, raw.length)
    else:
        pending += struct.pack(e + "HH2sH", tag >> 16, tag & 0xFFFF, vr, raw.length)
    if raw.length == 0xFFFFFFFF:
        # pydicom keeps an undefined length value without its Sequence Delimitation Item.
        pending += value + (_SEQUENCE_DELIMITATION_LE if little else _SEQUENCE_DELIMITATION_BE)
        return
    if len(value) >= PASS_THROUGH:
        run.append(bytes(pending))
        pending.clear()
        run.append(value)
    else:
        pending += value
