"""Shared pieces of the SCP services: statuses from handlers, and refusals."""

from __future__ import annotations

import logging
from typing import Any

from pydicom import Dataset

from dicomactors import events as evt
from dicomactors.dimse import MESSAGE_TYPES, CommandField

LOGGER = logging.getLogger("dicomactors.services")

#: 0x0211 Unrecognized operation; 0xC000 etc. are service specific.
UNRECOGNIZED_OPERATION = 0x0211
PROCESSING_FAILURE = 0x0110


def status_from_handler(result: Any) -> tuple[int, dict[str, Any]]:
    """A handler's status as (code, extra status elements).

    A handler may return an int, or a Dataset with ``Status`` and optional
    ErrorComment, OffendingElement, ErrorID.
    """
    if isinstance(result, Dataset):
        if "Status" not in result:
            raise ValueError("a status Dataset returned by a handler needs a Status element")
        extra: dict[str, Any] = {}
        if "ErrorComment" in result:
            extra["error_comment"] = str(result.ErrorComment)
        if "OffendingElement" in result:
            value = result.OffendingElement
            extra["offending_element"] = tuple(value) if isinstance(value, list) else (value,)
        if "ErrorID" in result:
            extra["error_id"] = int(result.ErrorID)
        return int(result.Status), extra
    if isinstance(result, int) and not isinstance(result, bool):
        return result, {}
    raise TypeError(f"a handler must return a status as int or Dataset, not {result!r}")


def run_status_handler(
    assoc: Any, handlers: evt.HandlerTable, event: Any, failure: int, **attrs: Any
) -> tuple[int, dict[str, Any]]:
    """Fire an intervention event whose handler returns one status."""
    try:
        result = evt.trigger_intervention(handlers, assoc, event, **attrs)
        return status_from_handler(result)
    except evt.NoHandlerError:
        LOGGER.error("no handler bound to %s: answering 0x%04X", event.name, failure)
        return failure, {"error_comment": f"no handler for {event.name}"}
    except Exception as exc:
        LOGGER.exception("the %s handler raised", event.name)
        return failure, {"error_comment": f"handler error: {exc}"[:64]}


def refuse_unsupported(request: Any, send: Any) -> None:
    """Answer a request this node does not provide with 'unrecognized operation'."""
    message = request.message
    field = CommandField(message.command_field)
    response_type = MESSAGE_TYPES.get(CommandField(field | 0x8000))
    if response_type is None:
        return
    kwargs: dict[str, Any] = {
        "message_id_being_responded_to": message.message_id,
        "status": UNRECOGNIZED_OPERATION,
    }
    send(response_type(**kwargs))
