"""The service actor: runs the user's handlers for the requests a peer sends.

It is separate from the association actor on purpose: a handler may take
long, may yield many pending results, or may itself wait for responses on the
same association (C-GET sub-operations); the association actor keeps routing
messages meanwhile. Requests are handled one at a time, in arrival order.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import pykka

from dicomactors import events as evt
from dicomactors.actors.runtime import ThreadActor
from dicomactors.services import dispatch

LOGGER = logging.getLogger("dicomactors.service")


@dataclass(frozen=True, slots=True)
class HandleRequest:
    context: Any
    message: Any
    dataset: bytes | memoryview | None
    cancel: threading.Event


class ServiceActor(ThreadActor):
    def __init__(
        self,
        facade: Any,
        handlers: evt.HandlerTable,
        association: pykka.ActorRef[Any],
        joinables: list[Any] | None = None,
    ) -> None:
        super().__init__()
        # Where to leave this actor's ``done`` (the facade joins them).
        self.joinables = joinables if joinables is not None else []
        self.facade = facade
        self.handlers = handlers
        self.association = association

    def on_start(self) -> None:
        self.joinables.append(self.done)

    def on_receive(self, message: Any) -> Any:
        if type(message) is not HandleRequest:
            LOGGER.warning("service actor: unexpected message %r", message)
            return
        from dicomactors.actors.association import RequestDone, SendResponse

        def send(msg: Any, dataset: bytes | memoryview | None = None) -> None:
            try:
                self.association.tell(SendResponse(message.context.context_id, msg, dataset))
            except pykka.ActorDeadError:
                LOGGER.info("association gone: %s not sent", type(msg).__name__)

        try:
            dispatch(self.facade, self.handlers, message, send)
        except Exception:
            LOGGER.exception("dispatching %s failed", type(message.message).__name__)
        finally:
            try:
                self.association.tell(RequestDone(message.message.message_id))
            except pykka.ActorDeadError:
                pass
