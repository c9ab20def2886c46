"""AE title normalisation: str or bytes in, stripped str out, clear errors otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomactors.aetitle import normalize_ae_title


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("STORE_SCP", "STORE_SCP"),
        (b"STORE_SCP", "STORE_SCP"),
        (b"ANY-SCP         ", "ANY-SCP"),
        ("  PADDED  ", "PADDED"),
        ("A", "A"),
        ("SIXTEEN_CHARS_AE", "SIXTEEN_CHARS_AE"),
        (b"  SIXTEEN_CHARS_AE  ", "SIXTEEN_CHARS_AE"),
        ("WITH SPACE", "WITH SPACE"),
        (bytearray(b"ECHO"), "ECHO"),
    ],
)
def test_valid_titles(value: str | bytes, expected: str) -> None:
    assert normalize_ae_title(value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "1 to 16"),
        ("                ", "1 to 16"),
        ("SEVENTEEN_CHARSAE", "at most 16"),
        ("BACK\\SLASH", "backslash"),
        ("TAB\tTITLE", "control"),
        ("NEW\nLINE", "control"),
        ("NUL\x00", "control"),
        ("DEL\x7f", "control"),
        ("CAFÉ", "ASCII"),
        (b"\xff\xfe", "ASCII"),
    ],
)
def test_invalid_titles(value: str | bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        normalize_ae_title(value)


@pytest.mark.parametrize("value", [None, 42, ["AE"]])
def test_wrong_types(value: object) -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        normalize_ae_title(value)  # type: ignore[arg-type]


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\"),
        min_size=1,
        max_size=16,
    )
)
def test_str_and_padded_bytes_agree(title: str) -> None:
    padded = title.encode("ascii").ljust(16, b" ")
    assert normalize_ae_title(title) == normalize_ae_title(padded) == title
