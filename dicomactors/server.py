"""The blocking facade of a listening server: what ``AE.start_server`` returns."""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

import pykka

from dicomactors import events as evt
from dicomactors.actors.runtime import Strand
from dicomactors.actors.server import (
    ActiveAssociations,
    AssociationFactory,
    CloseListener,
    ServerActor,
    listen,
)
from dicomactors.aetitle import AETitle
from dicomactors.association import Association
from dicomactors.presentation import PresentationContext

LOGGER = logging.getLogger("dicomactors.server")


class AssociationServer:
    """A listening socket and the associations it accepted.

    ``bind``/``unbind`` change the handlers of the associations running now and
    of those accepted later. ``shutdown`` stops listening, aborts the running
    associations and waits until their actors have stopped.

    ``factory`` starts an association for each connection accepted (the AE
    makes it, with ``handlers``: what ``bind`` and ``unbind`` change);
    ``on_shutdown`` is called with the server once it has shut down.
    """

    def __init__(
        self,
        ae: Any,
        address: tuple[str, int],
        ae_title: AETitle,
        contexts: Sequence[PresentationContext],
        handlers: evt.HandlerTable,
        ssl_context: ssl.SSLContext | None,
        factory: AssociationFactory,
        on_shutdown: Callable[[AssociationServer], None],
    ) -> None:
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise TypeError("ssl_context must be an ssl.SSLContext")
        self.ae = ae
        self.ae_title = ae_title
        self.contexts = list(contexts)
        self.ssl_context = ssl_context
        self._handlers = handlers
        self._on_shutdown = on_shutdown
        self._stopped = threading.Event()
        self._sock = listen(address)
        self.server_address: tuple[str, int] = self._sock.getsockname()[:2]
        strand = Strand(f"server-{self.server_address[1]}")
        self._actor_done = strand.done
        self._actor = ServerActor.start(strand, self._sock, factory)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def active_associations(self) -> list[Association]:
        if not self._actor.is_alive():
            return []
        found = cast("list[Association]", self._actor.ask(ActiveAssociations(), timeout=10))
        return [a for a in found if a.is_alive()]

    def bind(self, event: evt.EventType, handler: Any, args: Sequence[Any] | None = None) -> None:
        self._handlers.bind(event, handler, args)
        for assoc in self.active_associations:
            assoc.bind(event, handler, args)

    def unbind(self, event: evt.EventType, handler: Any) -> None:
        self._handlers.unbind(event, handler)
        for assoc in self.active_associations:
            assoc.unbind(event, handler)

    def get_handlers(self, event: evt.EventType) -> Any:
        return self._handlers.describe(event)

    def get_events(self) -> list[evt.EventType]:
        return self._handlers.events()

    def serve_forever(self) -> None:
        """Block until ``shutdown`` is called (from another thread or a handler)."""
        try:
            self._stopped.wait()
        except KeyboardInterrupt:
            LOGGER.info("interrupted: shutting down")

    def shutdown(self) -> None:
        if not self._actor.is_alive():
            self._stopped.set()
            return
        remaining: list[Association]
        try:
            remaining = cast("list[Association]", self._actor.ask(CloseListener(), timeout=10))
        except (pykka.ActorDeadError, pykka.Timeout):
            remaining = []
        for assoc in remaining:
            assoc.abort()
        for assoc in remaining:
            assoc.join(timeout=10)
        self._actor.stop(timeout=10)
        self._actor_done.join(10)
        self._stopped.set()
        self._on_shutdown(self)

    server_close = shutdown
