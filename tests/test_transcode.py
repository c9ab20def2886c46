"""dicomactors.transcode against pydicom's encoder: the same bytes in all six directions."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import Dataset
from pydicom.datadict import DicomDictionary
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from bench.data import ct_dataset
from dicomactors import transcode as transcode_module
from dicomactors.dataset import encode_dataset
from dicomactors.filedata import FileRegion, open_region
from dicomactors.transcode import TranscodeError, joined, transcode

SYNTAXES = (ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian)
DIRECTIONS = list(itertools.permutations(SYNTAXES, 2))
PRIVATE_CREATOR = "DICOMACTORS TEST"


def _tags_by_vr() -> dict[str, list[int]]:
    """Public, current, unambiguous tags of each VR.

    Not the command and File Meta groups, group lengths, nor Specific Character Set
    (the generated text is ASCII).
    """
    out: dict[str, list[int]] = {}
    for tag, (vr, _vm, _name, retired, _keyword) in DicomDictionary.items():
        group, element = tag >> 16, tag & 0xFFFF
        skipped = group in (0x0000, 0x0002) or element == 0 or tag == 0x00080005
        if retired or skipped or " or " in vr or vr == "NONE":
            continue
        out.setdefault(vr, []).append(tag)
    return {vr: sorted(tags)[:40] for vr, tags in out.items()}


TAGS = _tags_by_vr()
_WORDS = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8, "OB": 1, "UN": 1}
_TEXT = st.text(alphabet="ABCXYZ0123 ", max_size=12)
_INTS = {
    "US": (0, 0xFFFF),
    "SS": (-0x8000, 0x7FFF),
    "UL": (0, 0xFFFFFFFF),
    "SL": (-(2**31), 2**31 - 1),
    "SV": (-(2**63), 2**63 - 1),
    "UV": (0, 2**64 - 1),
}


def _values(vr: str) -> st.SearchStrategy[Any]:
    if vr in _INTS:
        low, high = _INTS[vr]
        return st.lists(st.integers(low, high), min_size=1, max_size=3)
    if vr in ("FL", "FD"):
        return st.lists(
            st.floats(width=32 if vr == "FL" else 64, allow_nan=False), min_size=1, max_size=3
        )
    if vr == "AT":
        return st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=3)
    if vr in _WORDS:
        size = _WORDS[vr]
        return st.integers(0, 12).flatmap(
            lambda n: st.binary(min_size=n * size * 2, max_size=n * size * 2)
        )
    fixed = {
        "DA": st.sampled_from(["20240229", "19991231", ""]),
        "TM": st.sampled_from(["120000", "235959.123", ""]),
        "DT": st.sampled_from(["20240101120000", ""]),
        "DS": st.integers(-999, 999).map(str),
        "IS": st.integers(-999, 999).map(str),
        "AS": st.sampled_from(["012Y", "003M"]),
        "UI": st.sampled_from(["1.2.3.4", "1.2.840.10008.1.1", ""]),
        "UR": st.sampled_from(["http://a/b", ""]),
        "PN": st.sampled_from(["DOE^JOHN", "A^B^C", ""]),
        "CS": st.text(alphabet="ABC_01 ", max_size=10),
        "AE": st.text(alphabet="ABC01", max_size=10),
    }
    return fixed.get(vr, _TEXT)


@st.composite
def datasets(draw: st.DrawFn, depth: int = 0) -> Dataset:
    """A data set of many VRs, with private blocks and (to depth 2) nested sequences."""
    ds = Dataset()
    vrs = sorted(vr for vr in TAGS if vr != "SQ")
    for vr in draw(st.lists(st.sampled_from(vrs), max_size=8)):
        tag = draw(st.sampled_from(TAGS[vr]))
        ds.add(DataElement(tag, vr, draw(_values(vr))))
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            tag = draw(st.sampled_from(TAGS["SQ"]))
            ds.add(_sequence(tag, draw(st.lists(datasets(depth + 1), max_size=3)), draw))
    if draw(st.booleans()):
        group = draw(st.sampled_from([0x0009, 0x0011, 0x0029]))
        ds.add(DataElement(group << 16 | 0x0010, "LO", PRIVATE_CREATOR))
        for element in draw(st.sets(st.integers(0x1000, 0x10FF), max_size=3)):
            ds.add(DataElement(group << 16 | element, "UN", draw(_values("UN"))))
        if depth < 2 and draw(st.booleans()):
            # A private sequence's VR is unknown in Implicit VR unless it has undefined length.
            items = draw(st.lists(datasets(depth + 1), max_size=2))
            sequence = _sequence(group << 16 | 0x1100, items, draw)
            sequence.is_undefined_length = True
            ds.add(sequence)
    if depth == 0 and draw(st.booleans()):
        ds.BitsAllocated = 16
        ds.add(DataElement(0x7FE00010, "OW", draw(st.binary(min_size=10, max_size=10)) * 600))
    return ds


def _sequence(tag: int, items: list[Dataset], draw: st.DrawFn) -> DataElement:
    for item in items:
        item.is_undefined_length_sequence_item = draw(st.booleans())
    element = DataElement(tag, "SQ", Sequence(items))
    element.is_undefined_length = draw(st.booleans())
    return element


def _encodings(ds: Dataset) -> dict[str, bytes]:
    return {syntax: encode_dataset(ds, syntax) for syntax in SYNTAXES}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), st.sampled_from([0, 6, 4096]))
def test_every_direction_matches_pydicom(ds: Dataset, pass_through: int) -> None:
    encoded = _encodings(ds)
    for source, target in DIRECTIONS:
        out = transcode(encoded[source], source, target, pass_through=pass_through)
        assert joined(out) == encoded[target], (source.name, target.name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_a_file_region_converts_read_a_small_window_at_a_time(ds: Dataset) -> None:
    encoded = _encodings(ds)
    with tempfile.TemporaryDirectory() as directory:
        for source, target in DIRECTIONS:
            path = Path(directory) / "ds"
            path.write_bytes(encoded[source])
            region = open_region(path)
            saved = transcode_module._WINDOW
            transcode_module._WINDOW = 16  # every few elements, the next window is read
            try:
                out = transcode(region, source, target, pass_through=64)
            finally:
                transcode_module._WINDOW = saved
            assert joined(out) == encoded[target]


def test_pixel_data_of_a_file_stays_a_file_region(tmp_path: Path) -> None:
    ds = ct_dataset(512 * 1024)
    path = tmp_path / "ct"
    path.write_bytes(encode_dataset(ds, ExplicitVRLittleEndian))
    region = open_region(path)
    out = transcode(region, ExplicitVRLittleEndian, ImplicitVRLittleEndian)
    regions = [piece for piece in out if isinstance(piece, FileRegion)]
    assert [len(piece) for piece in regions] == [len(ds.PixelData)]
    assert sum(len(piece) for piece in out) < len(region)  # 4 bytes fewer for OW's header
    assert joined(out) == encode_dataset(ds, ImplicitVRLittleEndian)


def test_bytes_input_passes_large_values_as_views_of_it() -> None:
    ds = ct_dataset(64 * 1024)
    data = encode_dataset(ds, ImplicitVRLittleEndian)
    out = transcode(data, ImplicitVRLittleEndian, ExplicitVRLittleEndian)
    views = [piece for piece in out if isinstance(piece, memoryview)]
    assert len(views) == 1 and views[0].obj is data


def test_same_syntax_is_the_input_itself() -> None:
    data = encode_dataset(ct_dataset(1024), ExplicitVRLittleEndian)
    assert transcode(data, ExplicitVRLittleEndian, ExplicitVRLittleEndian) == [data]


def _ambiguous(pixel_rep: int, lut_entries: int) -> Dataset:
    """US-or-SS, OB-or-OW and US-or-OW elements with the VRs PS3.5 and PS3.3 give them."""
    ds = ct_dataset(2048)
    ds.PixelRepresentation = pixel_rep
    signed = "SS" if pixel_rep else "US"
    ds.add(DataElement(0x00280106, signed, 5))  # Smallest Image Pixel Value
    ds.add(DataElement(0x00280107, signed, 300))  # Largest Image Pixel Value
    ds["PixelData"].VR = "OW"
    lut = Dataset()
    lut.add(DataElement(0x00283002, signed, [lut_entries, 0, 16]))  # LUT Descriptor
    lut.add(DataElement(0x00283006, "US" if lut_entries == 1 else "OW", _lut(lut_entries)))
    ds.add(DataElement(0x00283010, "SQ", Sequence([lut])))  # VOI LUT Sequence
    return ds


def _lut(entries: int) -> Any:
    return 7 if entries == 1 else bytes(range(2 * entries))


@pytest.mark.parametrize("pixel_rep", [0, 1])
@pytest.mark.parametrize("lut_entries", [1, 4])
def test_ambiguous_vrs_follow_pixel_representation_and_the_lut(
    pixel_rep: int, lut_entries: int
) -> None:
    encoded = _encodings(_ambiguous(pixel_rep, lut_entries))
    for source, target in DIRECTIONS:
        assert joined(transcode(encoded[source], source, target)) == encoded[target]


def test_an_unknown_private_element_becomes_un() -> None:
    ds = Dataset()
    ds.add(DataElement(0x00190010, "LO", PRIVATE_CREATOR))
    ds.add(DataElement(0x00191001, "US", 7))
    implicit = encode_dataset(ds, ImplicitVRLittleEndian)
    explicit = joined(transcode(implicit, ImplicitVRLittleEndian, ExplicitVRLittleEndian))
    assert explicit[-14:] == b"\x19\x00\x01\x10UN\x00\x00\x02\x00\x00\x00\x07\x00"


def test_an_undefined_length_un_is_a_sequence_in_implicit_vr() -> None:
    item = Dataset()
    item.PatientID = "X1"
    ds = Dataset()
    ds.add(DataElement(0x00081110, "SQ", Sequence([item])))  # Referenced Study Sequence
    ds[0x00081110].is_undefined_length = True
    implicit = encode_dataset(ds, ImplicitVRLittleEndian)
    explicit = encode_dataset(ds, ExplicitVRLittleEndian)
    # The same sequence written as UN of undefined length, its items in Implicit VR LE.
    as_un = explicit[:4] + b"UN" + explicit[6:12] + implicit[8:]
    assert joined(transcode(as_un, ExplicitVRLittleEndian, ImplicitVRLittleEndian)) == implicit
    assert joined(transcode(as_un, ExplicitVRLittleEndian, ExplicitVRLittleEndian)) == as_un
    assert joined(transcode(as_un, ExplicitVRLittleEndian, ExplicitVRBigEndian)) == (
        encode_dataset(ds, ExplicitVRBigEndian)
    )


def test_a_syntax_outside_the_three_is_refused() -> None:
    with pytest.raises(TranscodeError, match="is not Implicit or Explicit VR"):
        transcode(b"", "1.2.840.10008.1.2.4.50", ImplicitVRLittleEndian)


@settings(max_examples=300, deadline=None)
@given(datasets(), st.data())
def test_damaged_input_raises_only_transcode_error(ds: Dataset, data: st.DataObject) -> None:
    source, target = data.draw(st.sampled_from(DIRECTIONS))
    encoded = bytearray(encode_dataset(ds, source))
    if encoded:
        cut = data.draw(st.integers(0, len(encoded)))
        encoded = encoded[:cut]
    for _ in range(data.draw(st.integers(0, 4))):
        if encoded:
            at = data.draw(st.integers(0, len(encoded) - 1))
            encoded[at] = data.draw(st.integers(0, 255))
    try:
        transcode(bytes(encoded), source, target)
    except TranscodeError:
        pass


@given(st.binary(max_size=200), st.sampled_from(DIRECTIONS))
def test_random_bytes_raise_only_transcode_error(raw: bytes, direction: tuple[str, str]) -> None:
    try:
        transcode(raw, *direction)
    except TranscodeError:
        pass


def test_deep_nesting_is_a_transcode_error() -> None:
    opening = b"\x08\x00\x10\x11\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    with pytest.raises(TranscodeError):
        transcode(opening * 5000, ImplicitVRLittleEndian, ExplicitVRLittleEndian)
