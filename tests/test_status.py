"""DIMSE status categories and meanings (PS3.7 Annex C, PS3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pynetdicom import status as pynetdicom_status

from dicomactors.status import (
    QueryRetrieveStatus,
    Service,
    Status,
    StatusCategory,
    StorageStatus,
    status_category,
    status_description,
)

CATEGORIES = {
    0x0000: "Success",
    0x0001: "Warning",
    0x0107: "Warning",
    0x0116: "Warning",
    0xB000: "Warning",
    0xB007: "Warning",
    0xBFFF: "Warning",
    0xFE00: "Cancel",
    0xFF00: "Pending",
    0xFF01: "Pending",
    0x0110: "Failure",
    0x0122: "Failure",
    0xA700: "Failure",
    0xA801: "Failure",
    0xAFFF: "Failure",
    0xC000: "Failure",
    0xC0FF: "Failure",
    0xFE01: "Failure",
    0xFFFF: "Failure",
    0x0002: "Failure",
}


@pytest.mark.parametrize(("code", "category"), CATEGORIES.items())
def test_category(code: int, category: str) -> None:
    assert status_category(code) == category
    assert isinstance(status_category(code), StatusCategory)


def test_category_agrees_with_pynetdicom_wherever_it_knows_one() -> None:
    compared = 0
    for code in range(0x10000):
        theirs = pynetdicom_status.code_to_category(code)
        if theirs != "Unknown":  # pynetdicom leaves codes it has no table for uncategorised
            assert status_category(code) == theirs, hex(code)
            compared += 1
    assert compared > 4096


def test_general_codes_are_named() -> None:
    assert Status.NO_SUCH_SOP_CLASS == 0x0118
    assert Status.SOP_CLASS_NOT_SUPPORTED == 0x0122
    assert Status.RESOURCE_LIMITATION == 0x0213
    assert status_category(Status.ATTRIBUTE_VALUE_OUT_OF_RANGE) == "Warning"
    # Every named general code has a description and agrees with pynetdicom's category.
    for code in Status:
        service = "move" if code == Status.MOVE_DESTINATION_UNKNOWN else None
        assert not status_description(code, service).startswith("Unknown")
        assert status_category(code) == pynetdicom_status.code_to_category(code)


@pytest.mark.parametrize(
    ("code", "service", "expected"),
    [
        (0xB000, Service.STORAGE, "coercion"),
        (0xB000, "move", "sub-operations complete"),
        (0xB000, Service.GET, "sub-operations complete"),
        (0xB006, "storage", "elements discarded"),
        (0xA7F3, "storage", "out of resources"),
        (0xA901, "storage", "does not match"),
        (0xC123, "storage", "cannot understand"),
        (0xC123, "find", "unable to process"),
        (0xA801, "move", "destination unknown"),
        (0xA701, "get", "unable to calculate"),
        (0xFF01, "worklist", "optional keys"),
        (0xFE00, "find", "cancel"),
        (0xFE00, "move", "cancel"),
        (0x0110, "mpps", "may no longer be updated"),
        (0x0112, "storage_commitment", "no such sop instance"),
        (0x0122, "verification", "sop class not supported"),
        (0x0213, "n_service", "resource limitation"),
    ],
)
def test_service_descriptions(code: int, service: Service | str, expected: str) -> None:
    assert expected in status_description(code, service).lower()


def test_service_meanings_differ_where_the_standard_says_so() -> None:
    assert status_description(0xB000, "storage") != status_description(0xB000, "move")
    # A service without its own meaning for a code falls back to the general one.
    assert (
        status_description(0x0110, "storage")
        == status_description(0x0110)
        == ("Processing failure")
    )


def test_unknown_codes_name_their_category() -> None:
    assert status_description(0x0002) == "Unknown failure status 0x0002"
    assert status_description(0xA801) == "Unknown failure status 0xA801"
    assert status_description(0xA801, "move") == "Refused: move destination unknown"


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError):
        status_description(0x0000, "no-such-service")


def test_service_enums() -> None:
    assert (
        StorageStatus.COERCION_OF_DATA_ELEMENTS
        == QueryRetrieveStatus.SUBOPERATIONS_COMPLETE_WITH_FAILURES
    )
    assert status_category(QueryRetrieveStatus.MATCHES_CONTINUING) == "Pending"
    assert status_category(StorageStatus.OUT_OF_RESOURCES) == "Failure"


@given(code=st.integers(0, 0xFFFF), service=st.none() | st.sampled_from(Service))
def test_every_code_has_a_description(code: int, service: Service | None) -> None:
    assert status_description(code, service)


def test_pynetdicom_status_tables_and_helpers_agree() -> None:
    """The STATUS_* constants, per-service tables and code_to_* helpers, as pynetdicom's."""
    from dicomactors import status as ours

    for name in pynetdicom_status.__all__:
        theirs = getattr(pynetdicom_status, name)
        mine = getattr(ours, name)
        if isinstance(theirs, dict):
            assert set(mine) == set(theirs), name
            assert {c: v[0] for c, v in mine.items()} == {c: v[0] for c, v in theirs.items()}
        elif isinstance(theirs, str):
            assert mine == theirs, name
    for code in range(0x10000):
        assert ours.code_to_category(code) == pynetdicom_status.code_to_category(code), hex(code)
    with pytest.raises(ValueError, match="non-negative"):
        ours.code_to_category(-1)
    assert ours.code_to_status(0xC001).Status == 0xC001
    Status.add("H16_TEST_CODE", 0xC0DE)
    try:
        assert Status.H16_TEST_CODE == 0xC0DE  # type: ignore[attr-defined]
        assert 0xC0DE not in {int(member) for member in Status}  # a name, not a member
    finally:
        delattr(Status, "H16_TEST_CODE")
    assert Status.MOVE_DESTINATION_UNKNOWN == 0xA801
