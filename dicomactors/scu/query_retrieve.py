"""The SCU side of Query/Retrieve and Basic Worklist: C-FIND, C-GET, C-MOVE, C-CANCEL.

Each request function checks what the caller asked for at once (``RuntimeError``
when the association is not established, ``ValueError`` when no accepted
context allows the request) and returns a generator of ``(status,
identifier)`` pairs, one per response, as pynetdicom does. Instances a C-GET
brings back arrive as C-STORE requests on the same association and go to the
``EVT_C_STORE`` handler bound when associating.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import Any

from pydicom import Dataset

from dicomactors import sop_class
from dicomactors.actors.association import SendRequest
from dicomactors.aetitle import AETitleLike, normalize_ae_title
from dicomactors.dataset import decode_dataset, encode_dataset
from dicomactors.dimse import CCancelRQ, CFindRQ, CGetRQ, CMoveRQ, status_dataset

LOGGER = logging.getLogger("dicomactors.scu.query_retrieve")

Responses = Iterator[tuple[Dataset, Dataset | None]]

# pynetdicom 1.x short names and their long forms -> information model keyword stem.
_MODEL_NAMES = {
    "P": "PatientRootQueryRetrieveInformationModel",
    "PATIENTROOT": "PatientRootQueryRetrieveInformationModel",
    "S": "StudyRootQueryRetrieveInformationModel",
    "STUDYROOT": "StudyRootQueryRetrieveInformationModel",
    "O": "PatientStudyOnlyQueryRetrieveInformationModel",
    "PATIENTSTUDYONLY": "PatientStudyOnlyQueryRetrieveInformationModel",
    "W": "ModalityWorklistInformationModel",
    "MODALITYWORKLIST": "ModalityWorklistInformationModel",
}

_OPERATIONS = {CFindRQ: "Find", CGetRQ: "Get", CMoveRQ: "Move"}

# Status keyword -> field of the C-GET/C-MOVE response that carries it.
_COUNTS = {
    "NumberOfRemainingSuboperations": "number_of_remaining_suboperations",
    "NumberOfCompletedSuboperations": "number_of_completed_suboperations",
    "NumberOfFailedSuboperations": "number_of_failed_suboperations",
    "NumberOfWarningSuboperations": "number_of_warning_suboperations",
}

# Association -> {message ID: context ID} of its outstanding requests, for C-CANCEL.
_OUTSTANDING: weakref.WeakKeyDictionary[Any, dict[int, int]] = weakref.WeakKeyDictionary()


def query_model_uid(query_model: Any, operation: str) -> str:
    """The SOP class UID for ``query_model`` ('P', 'S', 'O', 'W', a long name or a UID).

    ``operation`` is "Find", "Get" or "Move"; a short name that has no such
    operation (worklist has only C-FIND) is a ``ValueError``.
    """
    if isinstance(query_model, bytes):
        query_model = query_model.decode("ascii")
    if not isinstance(query_model, str) or not query_model:
        raise ValueError(f"unknown query model {query_model!r}")
    stem = _MODEL_NAMES.get(query_model.upper().replace("_", ""))
    if stem is None:
        if query_model[0].isdigit():
            return str(query_model)
        raise ValueError(
            f"unknown query model {query_model!r}: use 'P', 'S', 'O', 'W' or a SOP class UID"
        )
    try:
        return str(getattr(sop_class, f"{stem}{operation}"))
    except AttributeError:
        raise ValueError(f"query model {query_model!r} has no C-{operation.upper()}") from None


def c_find(assoc: Any, dataset: Dataset, query_model: Any, msg_id: int, priority: int) -> Responses:
    return _start(assoc, CFindRQ, dataset, query_model, msg_id, priority)


def c_get(assoc: Any, dataset: Dataset, query_model: Any, msg_id: int, priority: int) -> Responses:
    return _start(assoc, CGetRQ, dataset, query_model, msg_id, priority)


def c_move(
    assoc: Any,
    dataset: Dataset,
    move_aet: AETitleLike,
    query_model: Any,
    msg_id: int,
    priority: int,
) -> Responses:
    destination = normalize_ae_title(move_aet)
    return _start(assoc, CMoveRQ, dataset, query_model, msg_id, priority, destination)


def c_cancel(assoc: Any, msg_id: int, context_id: int | None, query_model: Any) -> None:
    """Send C-CANCEL-RQ for the outstanding request ``msg_id``.

    The context is ``context_id`` if given, else the one the request went
    out on, else the first accepted context of ``query_model``.
    """
    assoc._check_established()
    message_id = assoc._message_id(msg_id)
    if context_id is None:
        context_id = _OUTSTANDING.get(assoc, {}).get(message_id)
    if context_id is None and query_model is not None:
        for operation in ("Find", "Get", "Move"):
            try:
                uid = query_model_uid(query_model, operation)
                context_id = assoc._context_for(uid).context_id
                break
            except ValueError:
                continue
    if context_id is None:
        raise ValueError(
            f"no outstanding request with message ID {msg_id}: give context_id or query_model"
        )
    # A C-CANCEL-RQ gets no response of its own: nothing waits for one.
    cancel = CCancelRQ(message_id_being_responded_to=message_id)
    assoc._tell(SendRequest(context_id, cancel, None, None))


def _start(
    assoc: Any,
    kind: type,
    dataset: Dataset,
    query_model: Any,
    msg_id: int,
    priority: int,
    destination: str | None = None,
) -> Responses:
    assoc._check_established()
    if not isinstance(dataset, Dataset):
        raise TypeError(f"the identifier must be a pydicom Dataset, not {dataset!r}")
    uid = query_model_uid(query_model, _OPERATIONS[kind])
    context = assoc._context_for(uid)
    syntax = str(context.transfer_syntax[0])
    payload = encode_dataset(dataset, syntax)
    fields: dict[str, Any] = {
        "message_id": assoc._message_id(msg_id),
        "affected_sop_class_uid": uid,
        "priority": priority,
    }
    if destination is not None:
        fields["move_destination"] = destination
    request = kind(**fields)
    return _responses(assoc, context.context_id, request, payload, syntax)


def _responses(assoc: Any, context_id: int, request: Any, payload: bytes, syntax: str) -> Responses:
    outstanding = _OUTSTANDING.setdefault(assoc, {})
    outstanding[request.message_id] = context_id
    answered = False
    try:
        for response in assoc._request(context_id, request, payload):
            answered = True
            yield _status(response.message), _identifier(response, syntax)
    finally:
        outstanding.pop(request.message_id, None)
    if not answered:
        yield Dataset(), None


def _status(message: Any) -> Dataset:
    status = status_dataset(message)
    for keyword, name in _COUNTS.items():
        value = getattr(message, name, None)
        if value is not None:
            setattr(status, keyword, value)
    return status


def _identifier(response: Any, syntax: str) -> Dataset | None:
    if response.dataset is None or not response.message.has_dataset:
        return None
    try:
        return decode_dataset(response.dataset, syntax)
    except Exception:
        LOGGER.exception("could not decode the identifier of a %s", type(response.message).__name__)
        return None
