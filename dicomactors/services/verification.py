"""Verification service class SCP: C-ECHO (PS3.4 Annex A, PS3.7 9.1.5)."""

from __future__ import annotations

from typing import Any

from dicomactors import events as evt
from dicomactors.dimse import CEchoRSP
from dicomactors.dimse_primitives import primitive_for
from dicomactors.services.common import PROCESSING_FAILURE, run_status_handler


def default_echo_response(handlers: evt.HandlerTable, rq: Any) -> CEchoRSP | None:
    """The C-ECHO-RSP when no handler is bound to EVT_C_ECHO (Success), else ``None``.

    No user code runs for it, so the association actor answers such a C-ECHO
    itself instead of handing it to the service actor.
    """
    if handlers.get(evt.EVT_C_ECHO):
        return None
    return CEchoRSP(
        message_id_being_responded_to=rq.message_id,
        status=0x0000,
        affected_sop_class_uid=rq.affected_sop_class_uid,
    )


def handle_c_echo(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    status, extra = run_status_handler(
        assoc,
        handlers,
        evt.EVT_C_ECHO,
        PROCESSING_FAILURE,
        context=request.context.as_tuple,
        request=primitive_for(rq),
    )
    extra.pop("error_comment", None) if status == 0 else None
    send(
        CEchoRSP(
            message_id_being_responded_to=rq.message_id,
            status=status,
            affected_sop_class_uid=rq.affected_sop_class_uid,
            **extra,
        )
    )
