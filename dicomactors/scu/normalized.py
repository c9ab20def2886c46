"""The SCU side of the six DIMSE-N services (PS3.7 10.1).

Each function backs one ``Association.send_n_*`` method and answers as
pynetdicom does: ``(status, reply)`` where ``status`` is a Dataset (empty if
no response came: timeout, abort) and ``reply`` is the response's data set
(Attribute List, Action Reply, Event Reply) decoded, an empty Dataset for a
success or warning that carried none, and None for a failure. N-DELETE gives
the status only.

``meta_uid`` names the presentation context to use when it is negotiated for a
Meta SOP Class (Print Management's Basic Grayscale Print Management Meta, say)
while the request itself addresses one of the classes it groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydicom import Dataset
from pydicom.tag import Tag

from dicomactors.dataset import decode_dataset, encode_dataset
from dicomactors.dimse import (
    NActionRQ,
    NCreateRQ,
    NDeleteRQ,
    NEventReportRQ,
    NGetRQ,
    NSetRQ,
    status_dataset,
)
from dicomactors.presentation import PresentationContext
from dicomactors.status import Status, StatusCategory, status_category

Reply = tuple[Dataset, Dataset | None]


def _context(
    assoc: Any, class_uid: str, meta_uid: str | None, role: str | None
) -> PresentationContext:
    """The accepted context for the request; ``role`` None accepts either role.

    N-EVENT-REPORT goes from the performer of a SOP class to its invoker, so
    it may travel on a context where this AE is the SCP (Storage Commitment
    results sent back on the association that asked for them).
    """
    uid = str(meta_uid or class_uid)
    if role is not None:
        return assoc._context_for(uid, role=role)  # type: ignore[no-any-return]
    for context in assoc.accepted_contexts:
        if str(context.abstract_syntax) == uid:
            return context  # type: ignore[no-any-return]
    raise ValueError(f"no accepted presentation context for {uid}: request one before associating")


def _encode(dataset: Dataset | None, context: PresentationContext, what: str) -> bytes | None:
    if dataset is None:
        return None
    if not isinstance(dataset, Dataset):
        raise TypeError(f"the {what} must be a pydicom Dataset, not {type(dataset).__name__}")
    try:
        return encode_dataset(dataset, str(context.transfer_syntax[0]))
    except Exception as exc:
        raise ValueError(f"failed to encode the {what}: {exc}") from exc


def _exchange(assoc: Any, context: PresentationContext, request: Any, payload: Any) -> Any:
    final = None
    for response in assoc._request(context.context_id, request, payload):
        final = response
    return final


def _reply(response: Any, context: PresentationContext) -> Reply:
    """(status, decoded data set) of a response, as pynetdicom gives them."""
    if response is None:
        return Dataset(), None
    status = status_dataset(response.message)
    if status_category(int(status.Status)) not in (StatusCategory.SUCCESS, StatusCategory.WARNING):
        return status, None
    if not response.dataset:
        return status, Dataset()
    try:
        return status, decode_dataset(response.dataset, str(context.transfer_syntax[0]))
    except Exception:
        status.Status = Status.PROCESSING_FAILURE
        return status, None


def _uid(value: Any, name: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError(f"{name} is required")
    return text


def n_action(
    assoc: Any,
    dataset: Dataset | None,
    action_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> Reply:
    """N-ACTION (PS3.7 10.1.4): (status, Action Reply)."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, "scu")
    payload = _encode(dataset, context, "Action Information")
    request = NActionRQ(
        message_id=assoc._message_id(msg_id),
        requested_sop_class_uid=_uid(class_uid, "class_uid"),
        requested_sop_instance_uid=_uid(instance_uid, "instance_uid"),
        action_type_id=int(action_type),
        has_dataset=payload is not None,
    )
    return _reply(_exchange(assoc, context, request, payload), context)


def n_create(
    assoc: Any,
    dataset: Dataset | None,
    class_uid: str,
    instance_uid: str | None,
    msg_id: int,
    meta_uid: str | None,
) -> Reply:
    """N-CREATE (PS3.7 10.1.5): (status, Attribute List); the SCP may assign the UID."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, "scu")
    payload = _encode(dataset, context, "Attribute List")
    request = NCreateRQ(
        message_id=assoc._message_id(msg_id),
        affected_sop_class_uid=_uid(class_uid, "class_uid"),
        affected_sop_instance_uid=str(instance_uid) if instance_uid else None,
        has_dataset=payload is not None,
    )
    return _reply(_exchange(assoc, context, request, payload), context)


def n_delete(
    assoc: Any, class_uid: str, instance_uid: str, msg_id: int, meta_uid: str | None
) -> Dataset:
    """N-DELETE (PS3.7 10.1.6): the status."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, "scu")
    request = NDeleteRQ(
        message_id=assoc._message_id(msg_id),
        requested_sop_class_uid=_uid(class_uid, "class_uid"),
        requested_sop_instance_uid=_uid(instance_uid, "instance_uid"),
    )
    return _reply(_exchange(assoc, context, request, None), context)[0]


def n_event_report(
    assoc: Any,
    dataset: Dataset | None,
    event_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> Reply:
    """N-EVENT-REPORT (PS3.7 10.1.1): (status, Event Reply), on a context of either role."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, None)
    payload = _encode(dataset, context, "Event Information")
    request = NEventReportRQ(
        message_id=assoc._message_id(msg_id),
        affected_sop_class_uid=_uid(class_uid, "class_uid"),
        affected_sop_instance_uid=_uid(instance_uid, "instance_uid"),
        event_type_id=int(event_type),
        has_dataset=payload is not None,
    )
    return _reply(_exchange(assoc, context, request, payload), context)


def n_get(
    assoc: Any,
    identifier_list: Sequence[Any],
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> Reply:
    """N-GET (PS3.7 10.1.2) of the attributes in ``identifier_list`` (all if empty)."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, "scu")
    try:
        tags = tuple(int(Tag(tag)) for tag in identifier_list or ())
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"identifier_list must hold DICOM tags or keywords: {exc}") from exc
    request = NGetRQ(
        message_id=assoc._message_id(msg_id),
        requested_sop_class_uid=_uid(class_uid, "class_uid"),
        requested_sop_instance_uid=_uid(instance_uid, "instance_uid"),
        attribute_identifier_list=tags or None,
    )
    return _reply(_exchange(assoc, context, request, None), context)


def n_set(
    assoc: Any,
    dataset: Dataset,
    class_uid: str,
    instance_uid: str,
    msg_id: int,
    meta_uid: str | None,
) -> Reply:
    """N-SET (PS3.7 10.1.3) of the Modification List ``dataset``: (status, Attribute List)."""
    assoc._check_established()
    context = _context(assoc, class_uid, meta_uid, "scu")
    if dataset is None:
        raise ValueError("N-SET needs a Modification List dataset")
    payload = _encode(dataset, context, "Modification List")
    request = NSetRQ(
        message_id=assoc._message_id(msg_id),
        requested_sop_class_uid=_uid(class_uid, "class_uid"),
        requested_sop_instance_uid=_uid(instance_uid, "instance_uid"),
    )
    return _reply(_exchange(assoc, context, request, payload), context)
