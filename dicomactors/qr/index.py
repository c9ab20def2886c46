"""The reference SCP's index of stored instances: SQLite from the standard library.

One row per instance: its UIDs, the file it is stored in, and the
attributes of :data:`dicomactors.qr.model.ATTRIBUTES` as JSON. Queries narrow
the rows in SQL by the unique keys, then apply the PS3.4 C.2.2.2 matching of
:mod:`dicomactors.qr.matching` to the entities at the query level.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset

from dicomactors.qr.matching import MatchKind
from dicomactors.qr.model import (
    ATTRIBUTES,
    COMPUTED,
    UNIQUE_KEYS,
    InformationModel,
    Level,
    Query,
    text_of,
)

__all__ = ["Entity", "Index", "StoredInstance"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid TEXT PRIMARY KEY,
    sop_class_uid TEXT NOT NULL,
    transfer_syntax TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    path TEXT NOT NULL,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS by_study ON instances (study_uid);
CREATE INDEX IF NOT EXISTS by_series ON instances (series_uid);
CREATE INDEX IF NOT EXISTS by_patient ON instances (patient_id);
"""

# Unique key -> the column that holds it, for narrowing in SQL.
_COLUMNS = {
    "PatientID": "patient_id",
    "StudyInstanceUID": "study_uid",
    "SeriesInstanceUID": "series_uid",
    "SOPInstanceUID": "sop_instance_uid",
}

_KEPT = (*(k for names in ATTRIBUTES.values() for k in names), "SpecificCharacterSet")


@dataclass(frozen=True)
class StoredInstance:
    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax: str
    path: Path
    attributes: dict[str, str]


@dataclass(frozen=True)
class Entity:
    """A patient, study, series or image as a C-FIND answers it."""

    level: Level
    attributes: dict[str, str]
    multi: dict[str, list[str]]
    instances: tuple[StoredInstance, ...]


def attributes_of(ds: Dataset) -> dict[str, str]:
    """The indexed attributes of a data set, as strings."""
    out: dict[str, str] = {}
    for keyword in _KEPT:
        element = ds.data_element(keyword) if keyword in ds else None
        if element is None or element.VR == "SQ":
            continue
        out[keyword] = text_of(element.value)
    return out


class Index:
    """Instances stored under one folder, indexed in ``index.sqlite`` (thread-safe)."""

    def __init__(self, database: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(database), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self, sop_class_uid: str, transfer_syntax: str, path: Path, attributes: dict[str, str]
    ) -> None:
        row = (
            attributes["SOPInstanceUID"],
            sop_class_uid,
            transfer_syntax,
            attributes.get("PatientID", ""),
            attributes["StudyInstanceUID"],
            attributes["SeriesInstanceUID"],
            str(path),
            json.dumps(attributes),
        )
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?)", row)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM instances").fetchone()[0])

    def _rows(self, query: Query) -> list[StoredInstance]:
        clauses: list[str] = []
        params: list[str] = []
        for matcher in query.matchers:
            column = _COLUMNS.get(matcher.keyword)
            if column is None:
                continue
            if matcher.kind is MatchKind.SINGLE:
                clauses.append(f"{column} = ?")
                params.append(matcher.value)
            elif matcher.kind is MatchKind.UID_LIST:
                uids = matcher.value.split("\\")
                clauses.append(f"{column} IN ({','.join('?' * len(uids))})")
                params.extend(uids)
        sql = "SELECT sop_instance_uid, sop_class_uid, transfer_syntax, path, attributes"
        sql += " FROM instances"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY rowid"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            StoredInstance(uid, cls, ts, Path(path), json.loads(attrs))
            for uid, cls, ts, path, attrs in rows
        ]

    def find(self, query: Query) -> Iterator[Entity]:
        """The entities at the query level that match every key of ``query``."""
        for entity in _entities(self._rows(query), query.level, query.model):
            if all(_matches(matcher, entity) for matcher in query.matchers):
                yield entity

    def instances(self, query: Query) -> list[StoredInstance]:
        """The instances below the entities that match ``query`` (for C-GET and C-MOVE)."""
        return [i for entity in self.find(query) for i in entity.instances]


def _matches(matcher: Any, entity: Entity) -> bool:
    if matcher.keyword in entity.multi:
        return bool(matcher.matches_any(entity.multi[matcher.keyword]))
    return bool(matcher.matches(entity.attributes.get(matcher.keyword)))


def _entities(
    rows: Iterable[StoredInstance], level: Level, model: InformationModel
) -> Iterator[Entity]:
    groups: dict[tuple[str, ...], list[StoredInstance]] = {}
    chain = [lvl for lvl in Level if lvl.depth <= level.depth]
    for row in rows:
        key = tuple(row.attributes.get(UNIQUE_KEYS[lvl], "") for lvl in chain)
        groups.setdefault(key, []).append(row)
    for members in groups.values():
        first = members[0].attributes
        attributes = {
            keyword: first[keyword]
            for lvl in chain
            for keyword in ATTRIBUTES[lvl]
            if keyword in first
        }
        if "SpecificCharacterSet" in first:
            attributes["SpecificCharacterSet"] = first["SpecificCharacterSet"]
        multi: dict[str, list[str]] = {}
        _computed(level, members, attributes, multi)
        yield Entity(level, attributes, multi, tuple(members))


def _computed(
    level: Level, members: list[StoredInstance], out: dict[str, str], multi: dict[str, list[str]]
) -> None:
    def distinct(keyword: str) -> list[str]:
        seen: dict[str, None] = {}
        for member in members:
            value = member.attributes.get(keyword, "")
            if value:
                seen.setdefault(value, None)
        return list(seen)

    counts = {
        "Instances": len(members),
        "Series": len(distinct("SeriesInstanceUID")),
        "Studies": len(distinct("StudyInstanceUID")),
    }
    for keyword, computed_level in COMPUTED.items():
        if computed_level is not level:
            continue
        if keyword == "ModalitiesInStudy":
            multi[keyword] = distinct("Modality")
            out[keyword] = "\\".join(multi[keyword])
        elif keyword == "SOPClassesInStudy":
            multi[keyword] = distinct("SOPClassUID")
            out[keyword] = "\\".join(multi[keyword])
        else:
            noun = keyword.rsplit("Related", 1)[1]
            out[keyword] = str(counts[noun])
