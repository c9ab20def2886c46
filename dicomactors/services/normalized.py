"""The SCP side of the six DIMSE-N services (PS3.7 10.1, PS3.4 Annexes F, H, J, ...).

One path serves every N-service class (Storage Commitment, MPPS, Print
Management, ...): fire the intervention event, turn what the handler returned
into the response, send it. The handler conventions are pynetdicom's:

- EVT_N_ACTION, EVT_N_CREATE, EVT_N_EVENT_REPORT, EVT_N_GET, EVT_N_SET
  handlers return ``(status, dataset_or_None)``; EVT_N_DELETE returns a status.
  A status is an int or a Dataset with Status (and ErrorComment, ...).
- ``event.action_type`` / ``event.event_type`` carry the Action / Event Type
  ID; ``event.attribute_identifiers`` the tags an N-GET asks for; the request's
  data set decodes on demand as ``event.action_information``,
  ``event.event_information``, ``event.attribute_list`` or
  ``event.modification_list``.

Statuses this module sets itself (PS3.7 Annex C): 0x0211 Unrecognized
operation when no handler is bound, 0x0110 Processing failure when the
handler raises or returns something unusable, or when an N-CREATE without an
Affected SOP Instance UID succeeds but the handler names none.

The same path runs on a requestor's association: a Storage Commitment
N-EVENT-REPORT that the SCP sends back on the association that carried the
N-ACTION reaches the requestor's EVT_N_EVENT_REPORT handler here.
"""

from __future__ import annotations

import logging
from typing import Any

from pydicom import Dataset

from dicomactors import events as evt
from dicomactors.dataset import encode_dataset
from dicomactors.dimse import (
    NActionRSP,
    NCreateRSP,
    NDeleteRSP,
    NEventReportRSP,
    NGetRSP,
    NSetRSP,
)
from dicomactors.dimse_primitives import primitive_for
from dicomactors.services.common import status_from_handler
from dicomactors.status import Status, StatusCategory, status_category

LOGGER = logging.getLogger("dicomactors.services")

_ERROR_COMMENT_MAX = 64  # Error Comment is LO


def _comment(text: str) -> str:
    return text[:_ERROR_COMMENT_MAX]


class _Outcome:
    """What the handler decided: a status code, its detail elements, a reply data set."""

    def __init__(
        self, status: int, extra: dict[str, Any] | None = None, reply: Dataset | None = None
    ) -> None:
        self.status = status
        self.extra = extra or {}
        self.reply = reply


def _run(
    assoc: Any,
    handlers: evt.HandlerTable,
    request: Any,
    event: evt.InterventionEvent,
    returns_dataset: bool,
    **attrs: Any,
) -> _Outcome:
    """Fire ``event`` and turn the handler's answer into an outcome; never raises."""
    context = request.context
    try:
        result = evt.trigger_intervention(
            handlers,
            assoc,
            event,
            context=context.as_tuple,
            request=primitive_for(request.message, request.dataset),
            dataset_bytes=request.dataset if request.dataset is not None else b"",
            transfer_syntax=str(context.transfer_syntax[0]),
            **attrs,
        )
    except evt.NoHandlerError:
        LOGGER.error("no handler bound to %s: answering 0x0211", event.name)
        return _Outcome(
            Status.UNRECOGNIZED_OPERATION, {"error_comment": f"no handler for {event.name}"}
        )
    except Exception as exc:
        LOGGER.exception("the %s handler raised", event.name)
        return _Outcome(
            Status.PROCESSING_FAILURE, {"error_comment": _comment(f"handler error: {exc}")}
        )

    reply: Any = None
    if returns_dataset:
        if not isinstance(result, tuple | list) or len(result) != 2:
            LOGGER.error("the %s handler must return (status, dataset), not %r", event.name, result)
            return _Outcome(
                Status.PROCESSING_FAILURE,
                {"error_comment": "handler returned no (status, dataset) pair"},
            )
        result, reply = result
    elif isinstance(result, tuple | list) and len(result) == 2:
        result = result[0]  # an N-DELETE handler that answered (status, None)
    try:
        status, extra = status_from_handler(result)
    except (TypeError, ValueError) as exc:
        LOGGER.error("the %s handler returned an invalid status: %s", event.name, exc)
        return _Outcome(Status.PROCESSING_FAILURE, {"error_comment": _comment(str(exc))})
    if reply is not None and not isinstance(reply, Dataset):
        LOGGER.error("the %s handler returned %r, not a Dataset", event.name, reply)
        return _Outcome(
            Status.PROCESSING_FAILURE, {"error_comment": "handler returned a non-Dataset"}
        )
    return _Outcome(status, extra, reply)


def _reply_bytes(outcome: _Outcome, request: Any) -> bytes | None:
    """The encoded reply data set, sent for success and warning only; may fail the outcome."""
    if outcome.reply is None or len(outcome.reply) == 0:
        return None
    if status_category(outcome.status) not in (StatusCategory.SUCCESS, StatusCategory.WARNING):
        return None
    try:
        return encode_dataset(outcome.reply, str(request.context.transfer_syntax[0]))
    except Exception as exc:
        LOGGER.error("the reply data set could not be encoded: %s", exc)
        outcome.status = Status.PROCESSING_FAILURE
        outcome.extra = {"error_comment": _comment(f"reply not encodable: {exc}")}
        return None


def handle_n_event_report(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(
        assoc, handlers, request, evt.EVT_N_EVENT_REPORT, True, event_type=rq.event_type_id
    )
    payload = _reply_bytes(outcome, request)
    send(
        NEventReportRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.affected_sop_class_uid,
            affected_sop_instance_uid=rq.affected_sop_instance_uid,
            event_type_id=rq.event_type_id,
            has_dataset=payload is not None,
            **outcome.extra,
        ),
        payload,
    )


def handle_n_get(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(assoc, handlers, request, evt.EVT_N_GET, True)
    payload = _reply_bytes(outcome, request)
    send(
        NGetRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.requested_sop_class_uid,
            affected_sop_instance_uid=rq.requested_sop_instance_uid,
            has_dataset=payload is not None,
            **outcome.extra,
        ),
        payload,
    )


def handle_n_set(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(assoc, handlers, request, evt.EVT_N_SET, True)
    payload = _reply_bytes(outcome, request)
    send(
        NSetRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.requested_sop_class_uid,
            affected_sop_instance_uid=rq.requested_sop_instance_uid,
            has_dataset=payload is not None,
            **outcome.extra,
        ),
        payload,
    )


def handle_n_action(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(assoc, handlers, request, evt.EVT_N_ACTION, True, action_type=rq.action_type_id)
    payload = _reply_bytes(outcome, request)
    send(
        NActionRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.requested_sop_class_uid,
            affected_sop_instance_uid=rq.requested_sop_instance_uid,
            action_type_id=rq.action_type_id,
            has_dataset=payload is not None,
            **outcome.extra,
        ),
        payload,
    )


def handle_n_create(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(assoc, handlers, request, evt.EVT_N_CREATE, True)
    instance_uid = rq.affected_sop_instance_uid
    if instance_uid is None and status_category(outcome.status) == StatusCategory.SUCCESS:
        # PS3.7 10.1.5.1.4: the SCP names the instance it created when the SCU did not.
        instance_uid = _created_uid(outcome.reply)
        if instance_uid is None:
            LOGGER.error(
                "N-CREATE without an Affected SOP Instance UID: the EVT_N_CREATE handler must"
                " put AffectedSOPInstanceUID (or SOPInstanceUID) in the data set it returns"
            )
            outcome = _Outcome(
                Status.PROCESSING_FAILURE, {"error_comment": "no SOP Instance UID assigned"}
            )
    payload = _reply_bytes(outcome, request)
    send(
        NCreateRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.affected_sop_class_uid,
            affected_sop_instance_uid=instance_uid,
            has_dataset=payload is not None,
            **outcome.extra,
        ),
        payload,
    )


def _created_uid(reply: Dataset | None) -> str | None:
    if reply is None:
        return None
    if "AffectedSOPInstanceUID" in reply:
        uid = str(reply.AffectedSOPInstanceUID)
        del reply.AffectedSOPInstanceUID
        return uid or None
    if "SOPInstanceUID" in reply:
        return str(reply.SOPInstanceUID) or None
    return None


def handle_n_delete(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    outcome = _run(assoc, handlers, request, evt.EVT_N_DELETE, False)
    send(
        NDeleteRSP(
            message_id_being_responded_to=rq.message_id,
            status=outcome.status,
            affected_sop_class_uid=rq.requested_sop_class_uid,
            affected_sop_instance_uid=rq.requested_sop_instance_uid,
            **outcome.extra,
        )
    )
