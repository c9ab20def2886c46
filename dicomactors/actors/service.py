"""The service actors: run the user's handlers for the requests a peer sends.

They are separate from the association actor on purpose: the association
actor only routes, a service actor runs user code. Each handles requests one
at a time, in arrival order. There are two, for two kinds of request:

- :class:`StrandServiceActor` shares the association's strand (its thread):
  requests answered by one response that nothing can cancel (C-ECHO, C-STORE,
  the N- services; :data:`dicomactors.services.ON_STRAND`). Handing a C-STORE
  to its handler and the response back then wakes no thread. While such a
  handler runs, the association reads nothing more from its peer (TCP holds
  the peer back); a handler that waits for its own association (a response,
  a release) serves the strand meanwhile (:meth:`Strand.wait_for`).
- :class:`ServiceActor`, on a thread of its own, started with the first
  request that needs it: C-FIND, C-GET and C-MOVE, whose handlers may take
  long, yield many pending results, be cancelled by a C-CANCEL the
  association must still read, or wait for sub-operation responses on the
  same association (C-GET).

Within an asynchronous operations window of more than one (PS3.7 D.3.3.3) a
:class:`HandlerPool` of ServiceActors handles the peer's C-STOREs at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from dicomactors import events as evt
from dicomactors.actors.runtime import Strand, StrandActor, ThreadActor
from dicomactors.services import ON_STRAND, dispatch

LOGGER = logging.getLogger("dicomactors.service")


@dataclass(frozen=True, slots=True)
class HandleRequest:
    """A request for a service actor. ``cancel`` is set by a C-CANCEL; only the requests
    a C-CANCEL can stop (C-FIND, C-GET, C-MOVE) carry one."""

    context: Any
    message: Any
    dataset: bytes | memoryview | None
    cancel: threading.Event | None


# -- what a service actor tells the association actor -------------------------


@dataclass(frozen=True, slots=True)
class SendResponse:
    """Send a response. ``last``: it is the request's only response, and the request
    is done once it is sent (no :class:`RequestDone` follows)."""

    context_id: int
    message: Any
    dataset: bytes | memoryview | None
    last: bool = False


@dataclass(frozen=True, slots=True)
class RequestDone:
    """The handling of request ``message_id`` has ended (for any reason)."""

    message_id: int


class _Service:
    """What both service actors do with a :class:`HandleRequest`."""

    association: pykka.ActorRef[Any]
    facade: Any
    handlers: evt.HandlerTable

    def _tell(self, what: Any) -> None:
        try:
            self.association.tell(what)
        except pykka.ActorDeadError:
            LOGGER.info("association gone: %s not delivered", type(what).__name__)

    # How a message goes to the association: told (ServiceActor has its own way).
    _to_association = _tell

    def on_receive(self, message: Any) -> Any:
        if type(message) is not HandleRequest:
            LOGGER.warning("service actor: unexpected message %r", message)
            return
        context_id = message.context.context_id
        to_association = self._to_association
        # A request answered by one response ends with it: the association is told
        # that with the response, not by a RequestDone after it.
        one_response = type(message.message) in ON_STRAND
        answered = False

        def send(msg: Any, dataset: bytes | memoryview | None = None) -> None:
            nonlocal answered
            last = one_response and not answered
            answered = True
            to_association(SendResponse(context_id, msg, dataset, last))

        try:
            dispatch(self.facade, self.handlers, message, send)
        except Exception:
            LOGGER.exception("dispatching %s failed", type(message.message).__name__)
        finally:
            if not (one_response and answered):
                to_association(RequestDone(message.message.message_id))


class StrandServiceActor(_Service, StrandActor):
    """Runs the handlers of short requests on the association's strand."""

    def __init__(
        self,
        strand: Strand,
        facade: Any,
        handlers: evt.HandlerTable,
        association: pykka.ActorRef[Any],
    ) -> None:
        super().__init__(strand)
        self.facade = facade
        self.handlers = handlers
        self.association = association


class ServiceActor(_Service, ThreadActor):
    """Runs the handlers of long or cancellable requests on a thread of its own."""

    def __init__(
        self,
        facade: Any,
        handlers: evt.HandlerTable,
        association: pykka.ActorRef[Any],
        joinable: Callable[[Any], None] | None = None,
        strand: Strand | None = None,
    ) -> None:
        super().__init__()
        # The association's strand: a response is handled on this thread when
        # the strand's worker is asleep, instead of waking it (Strand.hand_over).
        self.strand = strand
        # Who is given this actor's ``done`` to join (the facade, through its board).
        self.joinable = joinable
        self.facade = facade
        self.handlers = handlers
        self.association = association

    def on_start(self) -> None:
        if self.joinable is not None:
            self.joinable(self.done)

    def _to_association(self, what: Any) -> None:
        if self.strand is None:
            self._tell(what)
        else:
            self.strand.hand_over(lambda: self._tell(what))


class HandlerPool:
    """Service actors that handle the requests of an asynchronous operations window
    at once (PS3.7 D.3.3.3): each a :class:`ServiceActor` on a thread of its own,
    started when every one already started is busy, at most ``size`` of them.

    Used by the association actor only (on its strand): no lock. A request that
    finds all ``size`` busy (a peer over its window) waits behind the least busy.
    """

    def __init__(self, size: int, start: Callable[[], pykka.ActorRef[Any]]) -> None:
        self.size = size
        self._start = start
        self.actors: list[pykka.ActorRef[Any]] = []
        # Requests in hand per actor, and which actor has each (by Message ID).
        self._load: list[int] = []
        self._by_message: dict[int, int] = {}

    def handle(self, request: HandleRequest) -> None:
        index = min(range(len(self.actors)), key=self._load.__getitem__, default=None)
        if index is None or (self._load[index] and len(self.actors) < self.size):
            self.actors.append(self._start())
            self._load.append(0)
            index = len(self.actors) - 1
        self._load[index] += 1
        self._by_message[request.message.message_id] = index
        self.actors[index].tell(request)

    def finished(self, message_id: int) -> None:
        index = self._by_message.pop(message_id, None)
        if index is not None:
            self._load[index] -= 1
