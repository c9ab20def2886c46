"""dicomactors.qr.worklist: PS3.4 K.6.1.2 matching and answers, as pure functions."""

from __future__ import annotations

from pydicom import Dataset

from dicomactors.qr.worklist import answer, matches


def _step(modality: str, station: str) -> Dataset:
    step = Dataset()
    step.Modality = modality
    step.ScheduledStationAETitle = station
    return step


def _item() -> Dataset:
    item = Dataset()
    item.PatientName = "Doe^Jane"
    item.PatientID = "P1"
    item.ScheduledProcedureStepSequence = [_step("CT", "SCANNER1"), _step("MR", "SCANNER2")]
    return item


def _query(**step_keys: str) -> Dataset:
    query = Dataset()
    query.PatientName = "doe*"
    query.AccessionNumber = ""
    query.ScheduledProcedureStepSequence = [_step(step_keys.get("modality", ""), "")]
    query.ScheduledProcedureStepSequence[0].ScheduledStationAETitle = step_keys.get("station", "")
    return query


def test_sequence_keys_match_within_one_item_only() -> None:
    assert matches(_query(modality="CT", station="SCANNER1"), _item())
    assert matches(_query(modality="MR"), _item())
    assert not matches(_query(modality="CT", station="SCANNER2"), _item())


def test_a_key_the_item_lacks_matches_only_when_empty() -> None:
    query = _query()
    assert matches(query, _item())
    query.AccessionNumber = "A1"
    assert not matches(query, _item())


def test_answer_has_the_keys_asked_with_the_items_values() -> None:
    got = answer(_query(modality="MR"), _item())
    assert str(got.PatientName) == "Doe^Jane"
    assert "AccessionNumber" in got and not got.AccessionNumber
    assert "PatientID" not in got
    steps = got.ScheduledProcedureStepSequence
    assert [(s.Modality, s.ScheduledStationAETitle) for s in steps] == [("MR", "SCANNER2")]
