"""The server actor: a listening socket and the associations it accepted.

A plain thread blocks in ``accept`` and tells the actor about each
connection; the actor asks the facade's factory to build the association
(facade and actors) for it, counts the live ones against the association
limit, and forgets each one when its association actor reports it ended.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from dicomactors.actors.runtime import Done, ThreadActor

LOGGER = logging.getLogger("dicomactors.server")

#: Builds the association for an accepted socket; True means over the limit.
AssociationFactory = Callable[[socket.socket, bool, pykka.ActorRef[Any]], Any]


@dataclass(frozen=True, slots=True)
class ConnectionAccepted:
    sock: socket.socket
    address: tuple[str, int]


@dataclass(frozen=True, slots=True)
class AssociationEnded:
    association: Any


@dataclass(frozen=True, slots=True)
class CloseListener:
    """Stop accepting; answers the associations still alive."""


@dataclass(frozen=True, slots=True)
class ActiveAssociations:
    pass


class _AcceptThread(threading.Thread):
    def __init__(self, sock: socket.socket, deliver: Callable[[Any], None]) -> None:
        super().__init__(name=f"accept-{sock.getsockname()[1]}", daemon=True)
        self.sock = sock
        self.deliver = deliver

    def run(self) -> None:
        while True:
            try:
                conn, address = self.sock.accept()
            except OSError:
                return  # the listening socket was closed: shutdown
            try:
                self.deliver(ConnectionAccepted(conn, address[:2]))
            except pykka.ActorDeadError:
                conn.close()
                return


def listen(address: tuple[str, int], backlog: int = 128) -> socket.socket:
    """A listening TCP socket on ``address`` (IPv6 when the host has a colon)."""
    host = address[0]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


class ServerActor(ThreadActor):
    def __init__(
        self,
        sock: socket.socket,
        factory: AssociationFactory,
        maximum_associations: Callable[[], int],
        live_count: Callable[[], int],
        done: Done | None = None,
    ) -> None:
        super().__init__()
        if done is not None:
            self.done = done
        self.sock = sock
        self.factory = factory
        self.maximum_associations = maximum_associations
        self.live_count = live_count
        self.active: list[Any] = []
        self.accept_thread = _AcceptThread(sock, self.actor_ref.tell)
        self.closed = False

    def on_start(self) -> None:
        self.accept_thread.start()

    def on_stop(self) -> None:
        self._close_listener()

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        if kind is ConnectionAccepted:
            if self.closed:
                message.sock.close()
                return None
            over = self.live_count() >= self.maximum_associations()
            try:
                assoc = self.factory(message.sock, over, self.actor_ref)
            except Exception:
                LOGGER.exception("could not start an association for %s", message.address)
                message.sock.close()
                return None
            self.active.append(assoc)
        elif kind is AssociationEnded:
            if message.association in self.active:
                self.active.remove(message.association)
        elif kind is CloseListener:
            self._close_listener()
            return list(self.active)
        elif kind is ActiveAssociations:
            return list(self.active)
        return None

    def _close_listener(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self.accept_thread.is_alive() and self.accept_thread is not threading.current_thread():
            self.accept_thread.join(timeout=5)
