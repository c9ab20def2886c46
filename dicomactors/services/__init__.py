"""What each DIMSE service does with a request a peer sent (the SCP side).

``SERVICES`` is the dispatch table: request type -> the function, named as
``module:function`` and imported on first use, that fires the service's
intervention event, turns what the handler returned into responses and sends
them. A newcomer looking for "where is a C-STORE dispatched" finds the answer
in this table: :func:`dicomactors.services.storage.handle_c_store`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from dicomactors import events as evt
from dicomactors.dimse import (
    CEchoRQ,
    CFindRQ,
    CGetRQ,
    CMoveRQ,
    CStoreRQ,
    NActionRQ,
    NCreateRQ,
    NDeleteRQ,
    NEventReportRQ,
    NGetRQ,
    NSetRQ,
)
from dicomactors.services.common import refuse_unsupported

Send = Callable[..., None]
ServiceFunction = Callable[[Any, evt.HandlerTable, Any, Send], None]

SERVICES: dict[type, str] = {
    CEchoRQ: "verification:handle_c_echo",
    CStoreRQ: "storage:handle_c_store",
    CFindRQ: "query_retrieve:handle_c_find",
    CGetRQ: "query_retrieve:handle_c_get",
    CMoveRQ: "query_retrieve:handle_c_move",
    NEventReportRQ: "normalized:handle_n_event_report",
    NGetRQ: "normalized:handle_n_get",
    NSetRQ: "normalized:handle_n_set",
    NActionRQ: "normalized:handle_n_action",
    NCreateRQ: "normalized:handle_n_create",
    NDeleteRQ: "normalized:handle_n_delete",
}

ON_STRAND: frozenset[type] = frozenset(
    {CEchoRQ, CStoreRQ, NEventReportRQ, NGetRQ, NSetRQ, NActionRQ, NCreateRQ, NDeleteRQ}
)
"""Requests answered by one response that no C-CANCEL can stop: their handlers run on
the association's own thread (:class:`dicomactors.actors.service.StrandServiceActor`).
The others (C-FIND, C-GET, C-MOVE) run on a service thread of their own."""

_resolved: dict[type, ServiceFunction] = {}


def service_for(request_type: type) -> ServiceFunction | None:
    """The SCP function for a request type, or None if this node has none."""
    function = _resolved.get(request_type)
    if function is None:
        target = SERVICES.get(request_type)
        if target is None:
            return None
        module_name, name = target.split(":")
        module = importlib.import_module(f"dicomactors.services.{module_name}")
        function = getattr(module, name)
        _resolved[request_type] = function
    return function


def dispatch(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Send) -> None:
    """Run the SCP function for ``request.message`` (a HandleRequest)."""
    function = service_for(type(request.message))
    if function is None:
        refuse_unsupported(request, send)
        return
    function(assoc, handlers, request, send)
