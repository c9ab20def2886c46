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
from dicomactors.actors.runtime import Strand, ThreadActor
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
        strand: Strand | None = None,
    ) -> None:
        super().__init__()
        # The association's strand: a response is handled on this thread when
        # the strand's worker is asleep, instead of waking it (Strand.serve_while).
        self.strand = strand
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

        def tell(what: Any) -> None:
            try:
                self.association.tell(what)
            except pykka.ActorDeadError:
                LOGGER.info("association gone: %s not delivered", type(what).__name__)

        def to_association(what: Any) -> None:
            if self.strand is None:
                tell(what)
            else:
                self.strand.serve_while(None, first=lambda: tell(what), block=False)

        def send(msg: Any, dataset: bytes | memoryview | None = None) -> None:
            to_association(SendResponse(message.context.context_id, msg, dataset))

        try:
            dispatch(self.facade, self.handlers, message, send)
        except Exception:
            LOGGER.exception("dispatching %s failed", type(message.message).__name__)
        finally:
            to_association(RequestDone(message.message.message_id))
