"""The server actor: a listening socket and the associations it accepted.

It runs on a strand of its own that polls the listening socket: when a
connection is waiting it accepts it (and any others queued) and asks its
:class:`AssociationFactory` (the user's side implements it) to start the
association for it, and forgets each association once it has ended.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Any, Protocol

from dicomactors.actors.runtime import Strand, StrandActor

LOGGER = logging.getLogger("dicomactors.server")


class Started(Protocol):
    """An association the factory started, as the server actor sees it."""

    def is_alive(self) -> bool: ...


class AssociationFactory(Protocol):
    """Starts the association (the user's object and its actors) for an accepted socket.

    It decides whether the association is one too many (the acceptor then
    rejects it) and may raise: the server actor closes the socket then.
    """

    def start_association(self, sock: socket.socket) -> Started: ...


@dataclass(frozen=True, slots=True)
class ConnectionAccepted:
    sock: socket.socket
    address: tuple[str, int]


@dataclass(frozen=True, slots=True)
class CloseListener:
    """Stop accepting; answers the associations still alive."""


@dataclass(frozen=True, slots=True)
class ActiveAssociations:
    pass


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


class ServerActor(StrandActor):
    def __init__(
        self,
        strand: Strand,
        sock: socket.socket,
        factory: AssociationFactory,
    ) -> None:
        super().__init__(strand)
        self.sock = sock
        self.factory = factory
        self.active: list[Started] = []
        self.closed = False

    def on_start(self) -> None:
        self.sock.setblocking(False)
        self.strand.watch(self.sock, self._accept_waiting)

    def _accept_waiting(self) -> None:
        """Accept every connection the kernel has queued (the socket is non-blocking)."""
        while not self.closed:
            try:
                conn, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                LOGGER.exception("accept failed on %s", self.sock)
                return
            # The connection's DUL makes it non-blocking itself.
            self.on_receive(ConnectionAccepted(conn, address[:2]))

    def on_stop(self) -> None:
        self._close_listener()

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        if kind is ConnectionAccepted:
            if self.closed:
                message.sock.close()
                return None
            try:
                assoc = self.factory.start_association(message.sock)
            except Exception:
                LOGGER.exception("could not start an association for %s", message.address)
                message.sock.close()
                return None
            self._alive().append(assoc)
        elif kind is CloseListener:
            self._close_listener()
            return list(self._alive())
        elif kind is ActiveAssociations:
            return list(self._alive())
        return None

    def _alive(self) -> list[Started]:
        """The associations still alive: those that have ended are dropped here, so that
        an association need not wake this strand when it ends."""
        self.active = [a for a in self.active if a.is_alive()]
        return self.active

    def _close_listener(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.strand.unwatch()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
