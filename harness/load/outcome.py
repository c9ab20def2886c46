"""What one DICOM request under load came to, in words a load report can group by.

Locust groups failures by their message, so each way a request can fail gets one stable
sentence: a non-success status (with its meaning), an association rejected (result, source
and reason spelled out as in PS3.8 9.3.4, Table 9-21), an abort, a timeout, or a
connection that could not be made.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from dicomactors import Association
from dicomactors.status import StatusCategory, status_category, status_description
from harness.load.integrity import Stored

# PS3.8 9.3.4 (A-ASSOCIATE-RJ): result, source and reason values.
_RESULTS = {1: "rejected-permanent", 2: "rejected-transient"}
_SOURCES = {
    1: "DICOM UL service-user",
    2: "DICOM UL service-provider (ACSE related function)",
    3: "DICOM UL service-provider (presentation related function)",
}
_REASONS = {
    1: {
        1: "no-reason-given",
        2: "application-context-name-not-supported",
        3: "calling-AE-title-not-recognized",
        7: "called-AE-title-not-recognized",
    },
    2: {1: "no-reason-given", 2: "protocol-version-not-supported"},
    3: {1: "temporary-congestion", 2: "local-limit-exceeded"},
}


class DicomFailure(Exception):
    """One failed request; its message is what Locust's failure table shows."""

    def __repr__(self) -> str:  # Locust's tables show the repr: the sentence alone
        return str(self)


@dataclass(frozen=True)
class Outcome:
    """The result of one request: how many bytes it carried and, if it failed, why."""

    length: int = 0
    failure: DicomFailure | None = None
    stored: Stored | None = None  # a C-STORE's instance, for the ledger if it succeeded


def describe_reject(result: int | None, source: int | None, reason: int | None) -> str:
    """An A-ASSOCIATE-RJ in words, e.g. ``rejected-permanent by DICOM UL service-user:
    calling-AE-title-not-recognized``."""
    said_result = _RESULTS.get(result or 0, f"result {result}")
    said_source = _SOURCES.get(source or 0, f"source {source}")
    said_reason = _REASONS.get(source or 0, {}).get(reason or 0, f"reason {reason}")
    return f"association {said_result} by {said_source}: {said_reason}"


def association_failure(assoc: Association) -> DicomFailure:
    """Why ``assoc`` is not established."""
    if assoc.is_rejected:
        return DicomFailure(describe_reject(assoc.result, assoc.result_source, assoc.result_reason))
    if assoc.is_aborted:
        return DicomFailure("association aborted during negotiation")
    return DicomFailure("association not established: connection failed or timed out")


def lost_response(assoc: Association, service: str, timeout: float | None) -> DicomFailure:
    """Why no final response came for ``service``: an abort or a timeout."""
    if assoc.is_aborted or not assoc.is_alive():
        return DicomFailure(f"{service}: association aborted before the response")
    return DicomFailure(f"{service}: no response within {timeout} s (timeout)")


def status_failure(service: str, status: Dataset, kind: str) -> DicomFailure | None:
    """None if ``status`` is Success or Warning, otherwise the failure it means.

    ``kind`` is the service class as :func:`dicomactors.status.status_description` names it
    ("verification", "storage", "find", "get", "move").
    """
    code = int(status.Status)
    category = status_category(code)
    if category in (StatusCategory.SUCCESS, StatusCategory.WARNING):
        return None
    return DicomFailure(f"{service}: status {code:#06x} ({status_description(code, kind)})")
