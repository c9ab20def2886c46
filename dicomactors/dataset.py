"""Data set encoding and decoding for DIMSE, through pydicom.

The wire carries data sets without File Meta Information, in the transfer
syntax the presentation context agreed. Deflated Explicit VR Little Endian is
raw deflate (no zlib header) of the Explicit VR Little Endian bytes.
Encapsulated (compressed) syntaxes are Explicit VR Little Endian on the wire
for everything but the pixel data fragments, which pass through untouched.
"""

from __future__ import annotations

import copy
import zlib
from io import BytesIO

from pydicom import Dataset
from pydicom.dataelem import DataElement
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
)

from dicomactors.dataset_check import (
    DEFAULT_LIMITS,
    DatasetDecodeError,
    DatasetLimits,
    check_dataset,
    inflate,
)

# What ``Dataset()`` sets on a new instance: immutable values shared, the rest
# (its element dict, private blocks, ...) copied for each new data set.
_BLANK_SHARED = {
    k: v
    for k, v in Dataset().__dict__.items()
    if v is None or isinstance(v, str | bytes | int | float | tuple)
}
_BLANK_COPIED = tuple((k, v) for k, v in Dataset().__dict__.items() if k not in _BLANK_SHARED)


def blank_dataset() -> Dataset:
    """An empty Dataset, the same as ``Dataset()`` makes, in a tenth of the time.

    ``Dataset.__init__`` sets a dozen attributes through pydicom's own
    ``__setattr__``, which costs more than a C-ECHO's whole status: this copies
    them from one made at import instead.
    """
    ds = Dataset.__new__(Dataset)
    attrs = ds.__dict__
    attrs.update(_BLANK_SHARED)
    for name, value in _BLANK_COPIED:
        # Each is a dict (what pydicom 3 makes): its own copy is cheaper than copy.copy.
        attrs[name] = value.copy() if type(value) is dict else copy.copy(value)
    return ds


def encoding_of(transfer_syntax: str) -> tuple[bool, bool, bool]:
    """(implicit VR, little endian, deflated) for a transfer syntax UID."""
    uid = UID(transfer_syntax)
    if uid == ImplicitVRLittleEndian:
        return True, True, False
    if uid == ExplicitVRBigEndian:
        return False, False, False
    return False, True, uid == DeflatedExplicitVRLittleEndian


def decode_dataset(
    data: bytes | memoryview, transfer_syntax: str, limits: DatasetLimits = DEFAULT_LIMITS
) -> Dataset:
    """Decode data set bytes received in ``transfer_syntax``.

    The whole data set is checked first within ``limits`` (nesting depth,
    declared lengths, inflated size: :mod:`dicomactors.dataset_check`), so
    what this returns can be walked and printed in full. Anything else raises
    :class:`~dicomactors.dataset_check.DatasetDecodeError`, never a
    ``RecursionError`` or ``MemoryError``.
    """
    implicit, little, deflated = encoding_of(transfer_syntax)
    raw = bytes(data)
    if not raw:
        return Dataset()
    try:
        if deflated:
            raw = inflate(raw, limits)
        check_dataset(raw, transfer_syntax, limits)
        ds = read_dataset(BytesIO(raw), implicit, little)
    except (RecursionError, MemoryError) as exc:
        raise DatasetDecodeError(0, f"cannot be decoded: {type(exc).__name__}") from None
    ds.set_original_encoding(implicit, little)
    return ds


def encode_dataset(ds: Dataset, transfer_syntax: str) -> bytes:
    """Encode ``ds`` (without File Meta Information) in ``transfer_syntax``.

    Pixel Data of an encapsulated syntax is written with undefined length, as
    PS3.5 A.4 requires. Between little and big endian, the bytes of the word
    VRs (OW, OL, OF, OD, OV) are swapped, which pydicom leaves to the caller:
    it keeps them as read.
    """
    implicit, little, deflated = encoding_of(transfer_syntax)
    source_little = ds.original_encoding[1]
    if source_little is None:
        source_little = True  # a data set built in memory holds native little endian words
    if source_little != little:
        ds = _swapped(ds)
    fp = DicomBytesIO()
    fp.is_little_endian = little
    fp.is_implicit_VR = implicit
    compressed = UID(transfer_syntax).is_compressed and "PixelData" in ds
    pixel = ds["PixelData"] if compressed else None
    undefined = pixel.is_undefined_length if pixel is not None else False
    try:
        if pixel is not None:
            pixel.is_undefined_length = True
        write_dataset(fp, ds)
    finally:
        if pixel is not None:
            pixel.is_undefined_length = undefined
    raw = fp.getvalue()
    if deflated:
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        raw = compressor.compress(raw) + compressor.flush()
        if len(raw) % 2:
            # The deflated stream is padded to even length (PS3.5 A.5); DCMTK
            # refuses an odd data set fragment ("Odd Fragment Length").
            raw += b"\x00"
    return raw


_WORD_SIZES = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8}


def _swapped(ds: Dataset) -> Dataset:
    """A shallow copy of ``ds`` whose word-VR values have the other byte order."""
    out = Dataset()
    if getattr(ds, "is_undefined_length_sequence_item", False):
        out.is_undefined_length_sequence_item = True
    for element in ds:
        size = _WORD_SIZES.get(str(element.VR))
        if element.VR == "SQ":
            copy = DataElement(element.tag, "SQ", [_swapped(item) for item in element.value])
            copy.is_undefined_length = element.is_undefined_length
            out.add(copy)
        elif size is not None and isinstance(element.value, bytes) and element.value:
            words = memoryview(element.value).cast("B")
            if len(words) % size:
                raise ValueError(f"{element.tag} ({element.VR}) has a partial word")
            swapped = bytearray(len(words))
            for offset in range(size):
                swapped[offset::size] = words[size - 1 - offset :: size]
            out.add(DataElement(element.tag, element.VR, bytes(swapped)))
        else:
            out.add(element)
    return out


def file_meta_dataset(
    sop_class_uid: str, sop_instance_uid: str, transfer_syntax: str
) -> FileMetaDataset:
    from dicomactors.uids import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID or PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    return meta


def file_meta_bytes(sop_class_uid: str, sop_instance_uid: str, transfer_syntax: str) -> bytes:
    """The 128-byte preamble, ``DICM`` and File Meta Information for a file."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_file_meta_info(
        fp,
        file_meta_dataset(sop_class_uid, sop_instance_uid, transfer_syntax),
        enforce_standard=True,
    )
    return b"\x00" * 128 + b"DICM" + fp.getvalue()
