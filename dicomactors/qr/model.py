"""Query/Retrieve information models (PS3.4 C.3, C.6): levels and their attributes.

Which query levels each model has, which attributes the reference SCP keeps
at each level, and how a request's identifier becomes a :class:`Query`:
the level, one matcher per key at that level or above, and the keys to
return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from pydicom import Dataset
from pydicom.datadict import dictionary_VR, tag_for_keyword

from dicomactors import sop_class
from dicomactors.qr.matching import Matcher, matcher_for

__all__ = [
    "ATTRIBUTES",
    "COMPUTED",
    "InformationModel",
    "Level",
    "Query",
    "QueryError",
    "model_of",
    "parse_query",
]


class Level(Enum):
    PATIENT = "PATIENT"
    STUDY = "STUDY"
    SERIES = "SERIES"
    IMAGE = "IMAGE"

    @property
    def depth(self) -> int:
        return list(Level).index(self)


class InformationModel(Enum):
    PATIENT_ROOT = "PatientRoot"
    STUDY_ROOT = "StudyRoot"
    PATIENT_STUDY_ONLY = "PatientStudyOnly"

    @property
    def levels(self) -> tuple[Level, ...]:
        if self is InformationModel.PATIENT_ROOT:
            return tuple(Level)
        if self is InformationModel.STUDY_ROOT:
            return (Level.STUDY, Level.SERIES, Level.IMAGE)
        return (Level.PATIENT, Level.STUDY)


def model_of(uid: str) -> InformationModel | None:
    """The information model of a Q/R FIND, GET or MOVE SOP class UID, or None."""
    for model in InformationModel:
        stem = f"{model.value}QueryRetrieveInformationModel"
        for operation in ("Find", "Get", "Move"):
            if str(getattr(sop_class, stem + operation, "")) == str(uid):
                return model
    return None


#: The attributes kept for each level (stored from the instances as received).
ATTRIBUTES: dict[Level, tuple[str, ...]] = {
    Level.PATIENT: (
        "PatientName",
        "PatientID",
        "IssuerOfPatientID",
        "PatientBirthDate",
        "PatientBirthTime",
        "PatientSex",
        "OtherPatientNames",
        "EthnicGroup",
        "PatientComments",
    ),
    Level.STUDY: (
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "StudyID",
        "StudyDescription",
        "ReferringPhysicianName",
        "PatientAge",
        "PatientSize",
        "PatientWeight",
    ),
    Level.SERIES: (
        "SeriesInstanceUID",
        "Modality",
        "SeriesNumber",
        "SeriesDescription",
        "SeriesDate",
        "SeriesTime",
        "BodyPartExamined",
    ),
    Level.IMAGE: (
        "SOPInstanceUID",
        "SOPClassUID",
        "InstanceNumber",
        "ContentDate",
        "ContentTime",
        "AcquisitionDate",
        "Rows",
        "Columns",
        "NumberOfFrames",
    ),
}

#: Attributes the SCP computes from the instances below an entity (PS3.4 C.3.4).
COMPUTED: dict[str, Level] = {
    "NumberOfPatientRelatedStudies": Level.PATIENT,
    "NumberOfPatientRelatedSeries": Level.PATIENT,
    "NumberOfPatientRelatedInstances": Level.PATIENT,
    "ModalitiesInStudy": Level.STUDY,
    "SOPClassesInStudy": Level.STUDY,
    "NumberOfStudyRelatedSeries": Level.STUDY,
    "NumberOfStudyRelatedInstances": Level.STUDY,
    "NumberOfSeriesRelatedInstances": Level.SERIES,
}

UNIQUE_KEYS = {
    Level.PATIENT: "PatientID",
    Level.STUDY: "StudyInstanceUID",
    Level.SERIES: "SeriesInstanceUID",
    Level.IMAGE: "SOPInstanceUID",
}

_LEVEL_OF = {keyword: level for level, names in ATTRIBUTES.items() for keyword in names}
_LEVEL_OF.update(COMPUTED)

#: Elements of an identifier that are not keys.
_NOT_KEYS = frozenset(
    {
        "QueryRetrieveLevel",
        "SpecificCharacterSet",
        "RetrieveAETitle",
        "TimezoneOffsetFromUTC",
        "QueryRetrieveView",
    }
)


def level_of(keyword: str, model: InformationModel) -> Level | None:
    """The level an attribute belongs to in ``model`` (Study Root keeps patients at STUDY)."""
    level = _LEVEL_OF.get(keyword)
    if level is Level.PATIENT and model is InformationModel.STUDY_ROOT:
        return Level.STUDY
    return level


class QueryError(ValueError):
    """The identifier does not fit the information model (status 0xA900)."""


@dataclass(frozen=True)
class Query:
    model: InformationModel
    level: Level
    matchers: tuple[Matcher, ...]
    return_keys: tuple[str, ...]
    unknown_keys: tuple[str, ...]


def parse_query(identifier: Dataset, model: InformationModel) -> Query:
    """Turn a C-FIND/C-GET/C-MOVE identifier into a :class:`Query`."""
    raw_level = str(identifier.get("QueryRetrieveLevel", "") or "").strip()
    try:
        level = Level(raw_level)
    except ValueError:
        raise QueryError(f"Query/Retrieve Level {raw_level!r} is not valid") from None
    if level not in model.levels:
        raise QueryError(f"{model.value} has no {level.value} level")
    matchers: list[Matcher] = []
    return_keys: list[str] = []
    unknown: list[str] = []
    for element in identifier:
        keyword = element.keyword
        if not keyword or keyword in _NOT_KEYS or element.tag.group == 0x0002:
            continue
        return_keys.append(keyword)
        if element.VR == "SQ":
            unknown.append(keyword)
            continue
        key_level = level_of(keyword, model)
        if key_level is None:
            unknown.append(keyword)
            continue
        if key_level.depth > level.depth:
            continue  # keys below the query level do not restrict anything
        matchers.append(matcher_for(keyword, dictionary_vr(keyword), _as_text(element.value)))
    return Query(model, level, tuple(matchers), tuple(return_keys), tuple(unknown))


def dictionary_vr(keyword: str) -> str:
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    return str(dictionary_VR(tag))


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return "\\".join(_as_text(v) for v in value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def text_of(value: object) -> str:
    """A stored attribute value in its string form (multiple values joined by '\\')."""
    return _as_text(value)
