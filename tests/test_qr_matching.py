"""PS3.4 C.2.2.2 matching, one kind at a time, and the query model rules (pure code)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomactors.qr import InformationModel, Level, MatchKind, QueryError, matcher_for, parse_query
from tests.test_qr_support import query


@pytest.mark.parametrize(
    ("keyword", "vr", "value", "kind"),
    [
        ("PatientID", "LO", "", MatchKind.UNIVERSAL),
        ("PatientID", "LO", "*", MatchKind.UNIVERSAL),
        ("PatientID", "LO", "  ", MatchKind.UNIVERSAL),
        ("PatientID", "LO", "ABC", MatchKind.SINGLE),
        ("PatientID", "LO", "A*C", MatchKind.WILDCARD),
        ("PatientID", "LO", "A?C", MatchKind.WILDCARD),
        ("StudyInstanceUID", "UI", "1.2\\1.3", MatchKind.UID_LIST),
        ("StudyInstanceUID", "UI", "1.2.*", MatchKind.SINGLE),  # no wildcards for UI
        ("StudyDate", "DA", "20200101-", MatchKind.RANGE),
        ("StudyDate", "DA", "20200101", MatchKind.SINGLE),
        ("StudyTime", "TM", "-1200", MatchKind.RANGE),
    ],
)
def test_kind_of_each_key(keyword: str, vr: str, value: str, kind: MatchKind) -> None:
    assert matcher_for(keyword, vr, value).kind is kind


@pytest.mark.parametrize(
    ("vr", "value", "stored", "matches"),
    [
        ("LO", "ABC", "ABC", True),
        ("LO", "ABC", "abc", False),  # single value matching is case-sensitive
        ("LO", "ABC", "ABC ", True),  # trailing spaces are not significant
        ("LO", "ABC", "", False),
        ("LO", "ABC", None, False),
        ("LO", "", None, True),  # universal matches entities without a value
        ("PN", "Doe^John", "DOE^JOHN", True),  # PN may ignore case (C.2.2.2.1)
        ("PN", "Doe*", "Doe^John", True),
        ("PN", "D?e^*", "Doe^John", True),
        ("PN", "D?e^*", "Dooe^John", False),
        ("LO", "A*", "", False),
        ("LO", "a.c", "abc", False),  # regex characters are literal
        ("UI", "1.2\\1.3", "1.3", True),
        ("UI", "1.2\\1.3", "1.4", False),
        ("DA", "20200101-20201231", "20200615", True),
        ("DA", "20200101-20201231", "20210101", False),
        ("DA", "-20200101", "20200101", True),
        ("DA", "20200102-", "20200101", False),
        ("DA", "20200101-", "", False),
        ("TM", "1000-1200", "115959.999", True),
        ("TM", "1000-12", "125959", True),  # the upper bound reaches the end of its precision
        ("TM", "1000-1200", "120100", False),
        ("TM", "10:00-12:00", "1130", True),
        ("DT", "20200101-20200102", "20200101120000", True),
        ("DT", "20200101-20200102", "20200103000000", False),
    ],
)
def test_matching(vr: str, value: str, stored: str | None, matches: bool) -> None:
    assert matcher_for("Key", vr, value).matches(stored) is matches


@given(st.text(alphabet="ABCab^ *?.", max_size=12), st.text(alphabet="ABCab^ .", max_size=12))
def test_star_matches_everything_and_a_value_itself(pattern: str, value: str) -> None:
    assert matcher_for("PatientID", "LO", "*").matches(value)
    literal = value.replace("*", "").replace("?", "")
    if literal.strip():
        assert matcher_for("PatientID", "LO", literal).matches(literal)
    matcher_for("PatientID", "LO", pattern).matches(value)  # never raises


def test_levels_per_model() -> None:
    assert parse_query(query("PATIENT"), InformationModel.PATIENT_ROOT).level is Level.PATIENT
    with pytest.raises(QueryError):
        parse_query(query("PATIENT"), InformationModel.STUDY_ROOT)
    with pytest.raises(QueryError):
        parse_query(query("SERIES"), InformationModel.PATIENT_STUDY_ONLY)
    with pytest.raises(QueryError):
        parse_query(query("NONSENSE"), InformationModel.PATIENT_ROOT)


def test_keys_below_the_level_do_not_restrict() -> None:
    parsed = parse_query(
        query("STUDY", StudyInstanceUID="", Modality="CT"), InformationModel.STUDY_ROOT
    )
    assert [m.keyword for m in parsed.matchers] == ["StudyInstanceUID"]
    assert set(parsed.return_keys) == {"StudyInstanceUID", "Modality"}
