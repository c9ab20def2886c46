"""dicomactors.store_payload: a data set read from a file, sent as pydicom would encode it."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom import Dataset, dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

from bench.data import ct_dataset
from dicomactors.dataset import decode_dataset, encode_dataset
from dicomactors.filedata import FileRegion, open_region
from dicomactors.store_payload import dataset_payload, file_payload
from dicomactors.transcode import joined, transcode
from tests.test_transcode import DIRECTIONS, SYNTAXES, datasets


def _file_bytes(ds: Dataset, syntax: str) -> bytes:
    ds = ds.copy()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = UID(syntax)
    ds.file_meta = meta
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True, little_endian=None, implicit_vr=None)
    return out.getvalue()


def _read(data: bytes, touch: int) -> Dataset:
    """The data set read back, with some elements accessed and one changed."""
    ds = dcmread(io.BytesIO(data))
    for tag in list(ds.keys())[:touch]:
        ds[tag]  # reading it turns pydicom's raw element into a DataElement
    if touch % 2:
        ds.PatientID = "CHANGED"
    return ds


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), st.sampled_from(SYNTAXES), st.integers(0, 4))
def test_a_read_data_set_encodes_as_pydicom_does(ds: Dataset, source: str, touch: int) -> None:
    """The same data set as pydicom's encoding; the elements left untouched, the same bytes.

    pydicom decodes and encodes again, which drops trailing spaces from text
    values; elements still raw keep their bytes as read (PS3.5 6.2: the
    padding is part of the value's encoding, not of its meaning).
    """
    data = _file_bytes(ds, source)
    stored = encode_dataset(dcmread(io.BytesIO(data)), source)  # the data set, as stored
    for target in SYNTAXES:
        ours = joined(dataset_payload(_read(data, touch), target))
        theirs = encode_dataset(_read(data, touch), target)
        assert decode_dataset(ours, target) == decode_dataset(theirs, target), (source, target)
        read = _read(data, touch)
        same_order = (target == ExplicitVRBigEndian) == (source == ExplicitVRBigEndian)
        tags = list(read.keys())  # iterating a Dataset would convert its raw elements
        if same_order and all(isinstance(read.get_item(tag), RawDataElement) for tag in tags):
            assert ours == joined(transcode(stored, source, target))


def test_pixel_data_read_by_pydicom_is_sent_as_the_bytes_it_read() -> None:
    data = _file_bytes(ct_dataset(512 * 1024), ExplicitVRLittleEndian)
    ds = dcmread(io.BytesIO(data))
    pixels = ds.get_item(0x7FE00010).value
    for target in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        out = dataset_payload(ds, target)
        assert any(p is pixels or (isinstance(p, memoryview) and p.obj is pixels) for p in out)
    assert joined(dataset_payload(ds, ImplicitVRLittleEndian)) == encode_dataset(
        dcmread(io.BytesIO(data)), ImplicitVRLittleEndian
    )


def test_a_data_set_built_in_memory_is_encoded_by_pydicom() -> None:
    ds = ct_dataset(1024)
    assert dataset_payload(ds, ImplicitVRLittleEndian) == [
        encode_dataset(ds, ImplicitVRLittleEndian)
    ]


def test_a_file_in_another_syntax_is_converted_from_its_region(tmp_path: Path) -> None:
    ds = ct_dataset(512 * 1024)
    for source, target in DIRECTIONS:
        path = tmp_path / "ds"
        path.write_bytes(encode_dataset(ds, source))
        out = file_payload(open_region(path), source, target)
        assert out is not None and joined(out) == encode_dataset(ds, target)
        if ExplicitVRBigEndian not in (source, target):  # OW Pixel Data: no bytes to swap
            assert any(isinstance(piece, FileRegion) for piece in out)
    region = open_region(path)
    assert file_payload(region, ImplicitVRLittleEndian, ImplicitVRLittleEndian) == [region]
    assert file_payload(region, "1.2.840.10008.1.2.4.50", ImplicitVRLittleEndian) is None


def test_elements_read_before_a_raw_run_still_settle_its_vrs() -> None:
    """Implicit VR to Explicit VR: Pixel Representation and a private creator the user
    read (no longer raw, so encoded apart) still decide the VRs of the raw elements after
    them: "US or SS" (PS3.5 A.1) and the private dictionary's VR, not US and UN."""
    ds = Dataset()
    ds.PixelRepresentation = 1
    ds.SmallestImagePixelValue = -3
    ds.add_new(0x00290010, "LO", "1.2.840.113663.1")
    ds.add_new(0x00291000, "US", 7)
    data = _file_bytes(ds, ImplicitVRLittleEndian)
    for target in (ExplicitVRLittleEndian, ExplicitVRBigEndian):
        read = dcmread(io.BytesIO(data))
        read[0x00280103], read[0x00290010]  # reading them: no longer raw
        ours = decode_dataset(joined(dataset_payload(read, target)), target)
        assert (ours[0x00280106].VR, ours[0x00280106].value) == ("SS", -3)
        assert (ours[0x00291000].VR, ours[0x00291000].value) == ("US", 7)
        assert ours == decode_dataset(encode_dataset(dcmread(io.BytesIO(data)), target), target)
