"""Integrity under load: every instance the load stored is looked for afterwards.

During the run each successful C-STORE is written in a :class:`Ledger` (on a Locust worker
the new entries travel to the master with each statistics report, so the master's ledger
holds exactly what the workers counted). After the run the system under test is asked what
it holds, by C-FIND or C-GET one series at a time, or, for a node that writes files (DCMTK
``storescp -od DIR``), by reading its folder. :func:`compare` then gives the instances
lost (stored with success, not there), duplicated (there more than once) and altered (there,
but not as sent: the fingerprint of :mod:`harness.load.instances` differs). Zero of each is
the pass.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from dicomactors import AE, build_context, build_role
from dicomactors import events as evt
from dicomactors.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)
from harness.load.instances import Instance, fingerprint


@dataclass(frozen=True)
class Stored:
    """One instance the system under test answered a C-STORE for with success."""

    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    patient_id: str
    fingerprint: str

    @classmethod
    def of(cls, instance: Instance) -> Stored:
        return cls(
            instance.sop_class_uid,
            instance.sop_instance_uid,
            instance.study_instance_uid,
            instance.series_instance_uid,
            instance.patient_id,
            instance.fingerprint,
        )


@dataclass
class Ledger:
    """The successful stores of this process; `drain` hands on what is new since last time."""

    entries: list[Stored] = field(default_factory=list)
    _sent: int = 0

    def record(self, stored: Stored) -> None:
        self.entries.append(stored)

    def drain(self) -> list[dict[str, str]]:
        new = self.entries[self._sent :]
        self._sent = len(self.entries)
        return [asdict(entry) for entry in new]

    def extend(self, rows: Iterable[Mapping[str, str]]) -> None:
        self.entries.extend(Stored(**row) for row in rows)


@dataclass(frozen=True)
class Copy:
    """One copy of an instance as the system under test holds it."""

    sop_class_uid: str
    patient_id: str
    fingerprint: str | None = None  # None where only attributes came back (C-FIND)


@dataclass
class IntegrityReport:
    method: str
    stored: int  # distinct instances stored with success
    found: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not (self.lost or self.duplicated or self.altered)

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        line = (
            f"integrity ({self.method}): {verdict}: {self.stored} stored, {self.found} found, "
            f"{len(self.lost)} lost, {len(self.duplicated)} duplicated, "
            f"{len(self.altered)} altered"
        )
        return line if self.error is None else f"{line}; {self.error}"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**asdict(self), "passed": self.passed}, indent=2) + "\n")


def compare(
    method: str, stored: Iterable[Stored], held: Mapping[str, list[Copy]]
) -> IntegrityReport:
    """Lost, duplicated and altered instances of ``stored`` given what the node ``held``."""
    expected = {entry.sop_instance_uid: entry for entry in stored}
    report = IntegrityReport(method, len(expected), 0)
    for uid, entry in expected.items():
        copies = held.get(uid, [])
        report.found += bool(copies)
        if not copies:
            report.lost.append(uid)
        if len(copies) > 1:
            report.duplicated.append(uid)
        if any(_differs(entry, copy) for copy in copies):
            report.altered.append(uid)
    return report


def _differs(entry: Stored, copy: Copy) -> bool:
    if copy.fingerprint is not None:
        return copy.fingerprint != entry.fingerprint
    return (copy.sop_class_uid, copy.patient_id) != (entry.sop_class_uid, entry.patient_id)


def _copy(dataset: Dataset, with_fingerprint: bool) -> Copy:
    return Copy(
        str(dataset.get("SOPClassUID", "")),
        str(dataset.get("PatientID", "")),
        fingerprint(dataset) if with_fingerprint else None,
    )


def held_in_folder(folder: Path) -> dict[str, list[Copy]]:
    """The instances in the files under ``folder`` (a node that writes what it receives)."""
    held: dict[str, list[Copy]] = defaultdict(list)
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        try:
            dataset = dcmread(path)
        except (InvalidDicomError, OSError, ValueError):
            continue
        if "SOPInstanceUID" in dataset:
            held[str(dataset.SOPInstanceUID)].append(_copy(dataset, True))
    return held


def _series(stored: Iterable[Stored]) -> dict[tuple[str, str], set[str]]:
    series: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in stored:
        series[(entry.study_instance_uid, entry.series_instance_uid)].add(entry.sop_class_uid)
    return series


def _series_query(study: str, series: str, level: str) -> Dataset:
    query = Dataset()
    query.QueryRetrieveLevel = level
    query.StudyInstanceUID = study
    query.SeriesInstanceUID = series
    if level == "IMAGE":
        query.SOPInstanceUID = ""
        query.SOPClassUID = ""
        query.PatientID = ""
    return query


def held_by_find(
    ae: AE, address: tuple[str, int], called: str, stored: list[Stored]
) -> dict[str, list[Copy]]:
    """C-FIND (Study Root, IMAGE level) of each stored series: one copy per match."""
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
    assoc = ae.associate(*address, ae_title=called)
    if not assoc.is_established:
        raise ConnectionError(f"C-FIND association to {called} not established")
    held: dict[str, list[Copy]] = defaultdict(list)
    try:
        for study, series in _series(stored):
            query = _series_query(study, series, "IMAGE")
            model = StudyRootQueryRetrieveInformationModelFind
            for status, identifier in assoc.send_c_find(query, model):
                if identifier is not None and status.get("Status") in (0xFF00, 0xFF01):
                    uid = str(identifier.get("SOPInstanceUID", ""))
                    held[uid].append(_copy(identifier, False))
    finally:
        assoc.release()
    return held


def held_by_get(
    ae: AE, address: tuple[str, int], called: str, stored: list[Stored]
) -> dict[str, list[Copy]]:
    """C-GET (Study Root, SERIES level) of each stored series: one copy per instance sent."""
    by_series = _series(stored)
    classes = sorted({uid for uids in by_series.values() for uid in uids})
    contexts = [build_context(StudyRootQueryRetrieveInformationModelGet)]
    contexts += [build_context(uid) for uid in classes]
    roles = [build_role(uid, scp_role=True) for uid in classes]
    held: dict[str, list[Copy]] = defaultdict(list)

    def on_store(event: Any) -> int:
        dataset = event.dataset
        held[str(dataset.SOPInstanceUID)].append(_copy(dataset, True))
        return 0x0000

    assoc = ae.associate(
        *address,
        contexts=contexts,
        ae_title=called,
        ext_neg=roles,
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    if not assoc.is_established:
        raise ConnectionError(f"C-GET association to {called} not established")
    try:
        for study, series in by_series:
            query = _series_query(study, series, "SERIES")
            for _status, _identifier in assoc.send_c_get(
                query, StudyRootQueryRetrieveInformationModelGet
            ):
                pass
    finally:
        assoc.release()
    return held
