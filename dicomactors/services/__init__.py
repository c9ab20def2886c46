"""What each DIMSE service does with a request a peer sent (the SCP side).

``dispatch`` looks the request's type up in ``SERVICES`` and runs that
service's function on the service actor's thread. Each function fires the
service's intervention event, turns what the handler returned into one or
more responses, and sends them with ``send``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dicomactors import events as evt
from dicomactors.dimse import CEchoRQ, CStoreRQ
from dicomactors.services.storage import handle_c_store
from dicomactors.services.verification import handle_c_echo

Send = Callable[..., None]
ServiceFunction = Callable[[Any, evt.HandlerTable, Any, Send], None]

SERVICES: dict[type, ServiceFunction] = {
    CEchoRQ: handle_c_echo,
    CStoreRQ: handle_c_store,
}


def register_service(request_type: type, function: ServiceFunction) -> None:
    """Add or replace the SCP function for a request type."""
    SERVICES[request_type] = function


def dispatch(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Send) -> None:
    """Run the SCP function for ``request.message`` (a HandleRequest)."""
    function = SERVICES.get(type(request.message))
    if function is None:
        from dicomactors.services.common import refuse_unsupported

        refuse_unsupported(request, send)
        return
    function(assoc, handlers, request, send)
