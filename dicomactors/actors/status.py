"""What an association actor tells the user's side: immutable status snapshots.

The association actor is the only writer of an association's status. Each
change is a new :class:`AssociationStatus` (a NamedTuple: ``_replace`` makes
the next one), handed to the :class:`StatusBoard` the facade gave the actor.
The facade reads the latest snapshot from there, on any thread: a reader sees
one whole snapshot, old or new, never half of an update.

This is the one way up from the actors to the facade; no actor reaches into
a facade object.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple, Protocol

from dicomactors.actors.messages import Address
from dicomactors.pdu import AAbort, AAssociateAC, AAssociateRJ, AAssociateRQ
from dicomactors.presentation import PresentationContext


class AssociationStatus(NamedTuple):
    """One association as its actor last saw it.

    The four flags are the facade's ``is_established``, ``is_rejected``,
    ``is_aborted`` and ``is_released``; ``rejection`` is the A-ASSOCIATE-RJ
    sent or received, ``abort_pdu`` the A-ABORT received. ``rq`` and ``ac``
    are the A-ASSOCIATE-RQ and -AC of the association (sent or received);
    ``local`` and ``remote`` the two ends of its connection.
    """

    established: bool = False
    rejected: bool = False
    aborted: bool = False
    released: bool = False
    rejection: AAssociateRJ | None = None
    abort_pdu: AAbort | None = None
    rq: AAssociateRQ | None = None
    ac: AAssociateAC | None = None
    local: Address | None = None
    remote: Address | None = None
    accepted_contexts: tuple[PresentationContext, ...] = ()
    rejected_contexts: tuple[PresentationContext, ...] = ()
    #: SOP class UID -> what the EVT_SOP_COMMON handler accepted (acceptor only).
    accepted_common_extended: tuple[tuple[str, Any], ...] = ()
    #: Why the association ended; set with the last snapshot.
    close_reason: str = ""


class Joinable(Protocol):
    """A loop the facade waits for in ``Association.join`` (a strand's or thread's ``done``);
    ``thread`` is the thread running it, while it runs."""

    thread: threading.Thread | None

    def join(self, timeout: float | None = None) -> Any: ...


class StatusBoard(Protocol):
    """Where an association actor publishes; the facade implements it and reads it.

    ``publish`` is called with every new snapshot, ``joinable`` with each loop
    of the association that ``join`` must wait for, and ``closed`` once, with
    the last snapshot, when the association actor has stopped.
    """

    def publish(self, status: AssociationStatus) -> None: ...

    def joinable(self, done: Joinable) -> None: ...

    def closed(self, status: AssociationStatus) -> None: ...
