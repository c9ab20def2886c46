"""The blocking facade of one association: what ``AE.associate`` returns.

An :class:`Association` holds no protocol state of its own: its association
actor publishes immutable status snapshots
(:class:`~dicomactors.actors.status.AssociationStatus`) on the association's
board, which ``is_established`` and friends read, and resolves the futures and
queues the facade hands it. Every method blocks the caller's thread only,
never an actor.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

import pykka
from pydicom import Dataset

from dicomactors import events as evt
from dicomactors.actors.association import (
    CLOSED,
    NETWORK_TIMEOUT_RESPONSES,
    AbortAssociation,
    ReleaseAssociation,
    ResponseReceived,
    SendRequest,
    SetNetworkTimeoutResponse,
)
from dicomactors.actors.runtime import Flag
from dicomactors.actors.status import AssociationStatus, Joinable
from dicomactors.aetitle import AETitle, AETitleLike
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
)
from dicomactors.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from dicomactors.presentation import PresentationContext
from dicomactors.scu import (
    c_cancel,
    c_echo,
    c_find,
    c_get,
    c_move,
    c_store,
    n_action,
    n_create,
    n_delete,
    n_event_report,
    n_get,
    n_set,
)
from dicomactors.scu.storage import store_many
from dicomactors.scu.window import OperationsWindow, why_ended

if TYPE_CHECKING:
    from dicomactors.actors.runtime import Strand

LOGGER = logging.getLogger("dicomactors.association")

_NAMES = itertools.count(1)


class _Board:
    """Where the association actor publishes its status snapshots
    (:class:`dicomactors.actors.status.StatusBoard`) and the facade reads them."""

    __slots__ = ("_assoc", "joinables", "status")

    def __init__(self, assoc: Association) -> None:
        self.status = AssociationStatus()
        # What Association.join waits for: each strand's and thread actor's ``done``.
        self.joinables: list[Joinable] = []
        # Weak: the association holds its board (no reference cycle).
        self._assoc = weakref.ref(assoc)

    def publish(self, status: AssociationStatus) -> None:
        self.status = status

    def joinable(self, done: Joinable) -> None:
        self.joinables.append(done)

    def closed(self, status: AssociationStatus) -> None:
        self.status = status
        assoc = self._assoc()
        if assoc is not None:
            assoc._closed()


class ServiceUser:
    """One side of an association (PS3.8 7.1.1): its AE title, address and negotiation."""

    def __init__(self, assoc: Association, role: str) -> None:
        # Weak: the association holds its two service users (no reference cycle).
        self._assoc = weakref.ref(assoc)
        self._board = assoc._board
        self._local = role == assoc.mode
        self.role = role
        self.requested_contexts: list[PresentationContext] = []
        self.supported_contexts: list[PresentationContext] = []

    @property
    def assoc(self) -> Association:
        """The association this is one side of (ReferenceError once it has been freed:
        a service user kept on its own does not keep its association alive)."""
        assoc = self._assoc()
        if assoc is None:
            raise ReferenceError(
                f"the association of this {self.role} has been freed: keep the"
                " Association object itself to reach it"
            )
        return assoc

    @property
    def is_requestor(self) -> bool:
        return self.role == "requestor"

    @property
    def is_acceptor(self) -> bool:
        return self.role == "acceptor"

    @property
    def ae_title(self) -> AETitle:
        rq = self._board.status.rq
        if rq is None:
            return ""
        return rq.calling_ae_title if self.is_requestor else rq.called_ae_title

    @property
    def primitive(self) -> AAssociateRQ | AAssociateAC | None:
        status = self._board.status
        return status.rq if self.is_requestor else status.ac

    @property
    def address(self) -> str:
        end = self._end()
        return "" if end is None else end[0]

    @property
    def port(self) -> int | None:
        end = self._end()
        return None if end is None else end[1]

    def _end(self) -> tuple[str, int] | None:
        status = self._board.status
        return status.local if self._local else status.remote

    @property
    def accepted_common_extended(self) -> dict[str, Any]:
        """What the EVT_SOP_COMMON handler accepted (the acceptor's side only)."""
        if self.is_requestor:
            return {}
        return dict(self._board.status.accepted_common_extended)

    def _items(self, kind: type) -> list[Any]:
        if self.primitive is None:
            return []
        return [i for i in self.primitive.user_information if isinstance(i, kind)]

    @property
    def maximum_length(self) -> int | None:
        return None if self.primitive is None else self.primitive.maximum_length

    @property
    def implementation_class_uid(self) -> str | None:
        items = self._items(ImplementationClassUIDItem)
        return items[0].implementation_class_uid if items else None

    @property
    def implementation_version_name(self) -> str | None:
        items = self._items(ImplementationVersionNameItem)
        return items[0].implementation_version_name if items else None

    @property
    def asynchronous_operations(self) -> tuple[int, int]:
        items = self._items(AsynchronousOperationsWindowItem)
        return (items[0].maximum_invoked, items[0].maximum_performed) if items else (1, 1)

    @property
    def role_selection(self) -> dict[str, SCP_SCU_RoleSelectionNegotiation]:
        return {
            i.sop_class_uid: SCP_SCU_RoleSelectionNegotiation.from_item(i)
            for i in self._items(RoleSelectionItem)
        }

    @property
    def sop_class_extended(self) -> dict[str, bytes]:
        return {
            i.sop_class_uid: i.service_class_application_information
            for i in self._items(SOPClassExtendedNegotiationItem)
        }

    @property
    def sop_class_common_extended(self) -> dict[str, SOPClassCommonExtendedNegotiation]:
        return {
            i.sop_class_uid: SOPClassCommonExtendedNegotiation.from_item(i)
            for i in self._items(SOPClassCommonExtendedNegotiationItem)
        }

    @property
    def user_identity(self) -> UserIdentityNegotiation | None:
        """The requestor's identity, or for the acceptor its positive response."""
        requests = self._items(UserIdentityRQItem)
        if requests:
            return UserIdentityNegotiation.from_item(requests[0])
        responses = self._items(UserIdentityACItem)
        if responses:
            return UserIdentityNegotiation.from_item(responses[0])
        return None

    @property
    def extended_negotiation(self) -> list[Any]:
        out: list[Any] = []
        if self.primitive is None:
            return out
        for item in self.primitive.user_information:
            if isinstance(item, AsynchronousOperationsWindowItem):
                out.append(AsynchronousOperationsWindowNegotiation.from_item(item))
            elif isinstance(item, RoleSelectionItem):
                out.append(SCP_SCU_RoleSelectionNegotiation.from_item(item))
            elif isinstance(item, SOPClassExtendedNegotiationItem):
                out.append(SOPClassExtendedNegotiation.from_item(item))
            elif isinstance(item, SOPClassCommonExtendedNegotiationItem):
                out.append(SOPClassCommonExtendedNegotiation.from_item(item))
            elif isinstance(item, UserIdentityRQItem | UserIdentityACItem):
                out.append(UserIdentityNegotiation.from_item(item))
        return out

    @property
    def info(self) -> dict[str, Any]:
        return {"ae_title": self.ae_title, "address": self.address, "port": self.port}

    def __repr__(self) -> str:
        return f"<ServiceUser {self.role} {self.ae_title!r} {self.address}:{self.port}>"


class Association:
    """One association, as requestor (from ``AE.associate``) or acceptor (in a server).

    Status: ``is_established``, ``is_rejected``, ``is_aborted``, ``is_released``.
    A rejected association keeps ``result``, ``result_source`` and
    ``result_reason`` of the A-ASSOCIATE-RJ.
    """

    def __init__(self, ae: Any, mode: str, handlers: evt.HandlerTable | None = None) -> None:
        self.ae = ae
        self.mode = mode
        self.name = f"{mode[0].upper()}{next(_NAMES)}"
        self._handlers = handlers if handlers is not None else evt.HandlerTable()
        # The status the association actor publishes (the facade never writes it).
        self._board = _Board(self)
        self.requestor = ServiceUser(self, "requestor")
        self.acceptor = ServiceUser(self, "acceptor")
        self.acse_timeout = ae.acse_timeout
        self.dimse_timeout = ae.dimse_timeout
        self.network_timeout = ae.network_timeout
        self.connection_timeout = ae.connection_timeout
        self._done = Flag()
        self._actor: pykka.ActorRef[Any] | None = None
        self._lock = threading.Lock()
        # What to join: each strand's and thread actor's ``done`` (see actors.runtime).
        self._threads = self._board.joinables
        # The strand the association's actors run on (set when they start).
        self._strand: Strand | None = None
        self._outstanding: set[Future[Any]] = set()
        # The requests sent with wait=False or store_many (PS3.7 D.3.3.3).
        board = self._board
        self._window = OperationsWindow(lambda: why_ended(board.status))
        self._network_timeout_response = "A-ABORT"

    # -- status published by the association actor --------------------------

    @property
    def is_established(self) -> bool:
        return self._board.status.established

    @property
    def is_rejected(self) -> bool:
        return self._board.status.rejected

    @property
    def is_aborted(self) -> bool:
        return self._board.status.aborted

    @property
    def is_released(self) -> bool:
        return self._board.status.released

    @property
    def rejection(self) -> AAssociateRJ | None:
        """The A-ASSOCIATE-RJ, sent or received, of a rejected association."""
        return self._board.status.rejection

    @property
    def abort_pdu(self) -> AAbort | None:
        """The A-ABORT received, if the peer aborted."""
        return self._board.status.abort_pdu

    @property
    def close_reason(self) -> str:
        return self._board.status.close_reason

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        return list(self._board.status.accepted_contexts)

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        return list(self._board.status.rejected_contexts)

    def _closed(self) -> None:
        """The association actor has stopped (its last status is published)."""
        with self._lock:
            self._done.set()
            # A request the actor dropped while stopping is answered here.
            for future in self._outstanding:
                if not future.done():
                    future.set_result(None)
            self._outstanding.clear()
        self._window.fail_all()
        remover = getattr(self.ae, "_association_closed", None)
        if remover is not None:
            remover(self)

    # -- status --------------------------------------------------------------

    @property
    def is_requestor(self) -> bool:
        return self.mode == "requestor"

    @property
    def is_acceptor(self) -> bool:
        return self.mode == "acceptor"

    @property
    def local(self) -> dict[str, Any]:
        return (self.requestor if self.is_requestor else self.acceptor).info

    @property
    def remote(self) -> dict[str, Any]:
        return (self.acceptor if self.is_requestor else self.requestor).info

    @property
    def result(self) -> int | None:
        return self.rejection.result if self.rejection else None

    @property
    def result_source(self) -> int | None:
        return self.rejection.source if self.rejection else None

    @property
    def result_reason(self) -> int | None:
        return self.rejection.reason if self.rejection else None

    def is_alive(self) -> bool:
        """True until the connection is closed and every actor has stopped."""
        return not self._done.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the association has ended and its actors' threads are gone."""
        # The strand's loop ends last, after the association actor has closed the
        # facade: waiting for it first is usually the only wait.
        deadline = None if timeout is None else monotonic() + timeout
        # (From a handler on a loop, that loop's done returns at once: it cannot end first.)
        for done in self._threads:
            done.join(None if deadline is None else max(0.0, deadline - monotonic()))
        return self._done.wait(None if deadline is None else max(0.0, deadline - monotonic()))

    def __enter__(self) -> Association:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Release an established association on leaving a ``with`` block (abort on error)."""
        if self.is_established:
            if exc_info[0] is None:
                self.release()
            else:
                self.abort()
        self.join(_plus(self.acse_timeout, 5))

    def __repr__(self) -> str:
        state = (
            "established"
            if self.is_established
            else "rejected"
            if self.is_rejected
            else "aborted"
            if self.is_aborted
            else "released"
            if self.is_released
            else "pending"
        )
        return f"<Association {self.name} {self.mode} {state}>"

    # -- handlers ------------------------------------------------------------

    def bind(self, event: evt.EventType, handler: Any, args: Sequence[Any] | None = None) -> None:
        self._handlers.bind(event, handler, args)

    def unbind(self, event: evt.EventType, handler: Any) -> None:
        self._handlers.unbind(event, handler)

    def get_handlers(self, event: evt.EventType) -> Any:
        return self._handlers.describe(event)

    def get_events(self) -> list[evt.EventType]:
        return self._handlers.events()

    # -- the network timeout (pynetdicom 2.1) ---------------------------------

    @property
    def network_timeout_response(self) -> str:
        """What the association does once nothing came from the peer for
        ``network_timeout``: ``"A-ABORT"`` (the default) or ``"A-RELEASE"``, which
        releases and aborts only if the peer does not answer within ``acse_timeout``."""
        return self._network_timeout_response

    @network_timeout_response.setter
    def network_timeout_response(self, value: str) -> None:
        if value not in NETWORK_TIMEOUT_RESPONSES:
            raise ValueError(
                f"network_timeout_response must be 'A-ABORT' or 'A-RELEASE', not {value!r}"
            )
        self._network_timeout_response = value
        self._tell(SetNetworkTimeoutResponse(value))

    # -- release and abort ---------------------------------------------------

    def _tell(self, message: Any) -> bool:
        actor = self._actor
        if actor is None or not actor.is_alive():
            return False
        try:
            actor.tell(message)
        except pykka.ActorDeadError:
            return False
        return True

    def _tell_serving(
        self, message: Any, until: Callable[[], bool] | None, deadline: float | None
    ) -> bool:
        """Tell the actor ``message`` (False if it is gone) and, as a thread that would
        only wait for the strand, serve it meanwhile until ``until()`` (None: until it
        ends) or ``deadline`` (:meth:`Strand.wait_for`). False too if waiting is
        pointless: called from a handler the association actor itself runs."""
        strand = self._strand
        if strand is None:
            return self._tell(message)
        told: list[bool] = []
        waits = strand.wait_for(until, deadline, send=lambda: told.append(self._tell(message)))
        return told[0] and waits

    def _call(self, build: Any, timeout: float | None) -> Any:
        """Tell the actor ``build(future)`` and wait for the future.

        If the association ends first, the future resolves to ``None``; if
        ``timeout`` passes, ``TimeoutError`` is raised.
        """
        future: Future[Any] = Future()
        with self._lock:
            if self._done.is_set():
                return None
            self._outstanding.add(future)
        try:
            # (Called from a handler the association actor itself runs, a notification,
            # the actor acts on the message once the handler returns: None at once.)
            if not self._tell_serving(build(future), future.done, self._deadline(timeout)):
                return None
            return future.result(timeout=timeout)
        finally:
            with self._lock:
                self._outstanding.discard(future)

    def release(self) -> None:
        """Release the association (A-RELEASE) and wait for the connection to close.

        If the peer does not answer within ``acse_timeout`` the association is
        aborted instead. Requests still outstanding (``wait=False``) are answered
        first: the release waits for their responses, each within ``dimse_timeout``.
        """
        if self._window.outstanding:
            self._window.drain(self)
        if not self.is_established:
            return
        # The DUL aborts by itself if the A-RELEASE-RP does not come within the
        # acse_timeout, so waiting for the association to end is waiting for the
        # release (one wait, not one for the RP and another for the close).
        wait = _plus(self.acse_timeout, 5)
        # Served here until the association has ended.
        self._tell_serving(ReleaseAssociation(Future()), None, self._deadline(wait))
        if not self.join(wait):
            self.abort()
            self.join(10)

    def abort(self, block: bool = True) -> None:
        """Abort the association (A-ABORT, service-user source); ``block=False`` does not wait."""
        if not block:
            self._tell(AbortAssociation())
            return
        self._call(AbortAssociation, 10)

    # -- DIMSE requests (SCU) ------------------------------------------------

    def _check_established(self) -> None:
        if not self.is_established:
            raise RuntimeError(
                "the association is not established: a DIMSE service needs an established"
                " association"
            )

    def _context_for(
        self,
        abstract_syntax: str,
        transfer_syntax: str | None = None,
        role: str = "scu",
    ) -> PresentationContext:
        """An accepted context for ``abstract_syntax`` on which we may act in ``role``."""
        candidates = [
            c
            for c in self._board.status.accepted_contexts
            if str(c.abstract_syntax) == str(abstract_syntax)
            and (c.as_scu if role == "scu" else c.as_scp)
        ]
        if transfer_syntax is not None:
            exact = [c for c in candidates if str(c.transfer_syntax[0]) == str(transfer_syntax)]
            if exact:
                return exact[0]
        if candidates:
            return candidates[0]
        raise ValueError(
            f"no accepted presentation context for {abstract_syntax}"
            f" with this AE as {role.upper()}: request one before associating"
        )

    @staticmethod
    def _deadline(timeout: float | None) -> float | None:
        return None if timeout is None else monotonic() + timeout

    def _message_id(self, msg_id: int) -> int:
        if not 0 <= msg_id <= 0xFFFF:
            raise ValueError(f"msg_id must be between 0 and 65535, not {msg_id}")
        return msg_id

    def _request(
        self, context_id: int, message: Any, dataset: bytes | memoryview | None
    ) -> Iterator[ResponseReceived]:
        """Send a request; yield its responses until a final one (or failure)."""
        if self._window.outstanding:
            self._window.check_free(message.message_id)
        responses: queue.SimpleQueue[ResponseReceived] = queue.SimpleQueue()

        def answered() -> bool:
            return not responses.empty()

        # This thread serves the strand while it waits: it sends the request and
        # takes the response off the socket itself.
        request = SendRequest(context_id, message, dataset, responses)
        if not self._tell_serving(request, answered, self._deadline(self.dimse_timeout)):
            return
        strand = self._strand
        while True:
            if strand is not None and responses.empty():
                strand.wait_for(answered, self._deadline(self.dimse_timeout))
            try:
                got = responses.get(timeout=self.dimse_timeout)
            except queue.Empty:
                LOGGER.error(
                    "no response within dimse_timeout (%ss): aborting the association",
                    self.dimse_timeout,
                )
                self.abort()
                return
            if got is CLOSED:
                return
            yield got
            if got.message.status not in (0xFF00, 0xFF01):
                return

    def send_c_echo(self, msg_id: int = 1) -> Dataset:
        """C-ECHO (PS3.7 9.1.5): the status as a Dataset, empty if none came."""

        return c_echo(self, msg_id)

    def send_c_store(
        self,
        dataset: Dataset | str | Path,
        msg_id: int = 1,
        priority: int = 2,
        originator_aet: AETitleLike | None = None,
        originator_id: int | None = None,
        *,
        wait: bool = True,
    ) -> Any:
        """C-STORE (PS3.7 9.1.1) of a Dataset or of a file, sent as stored when possible.

        Returns the status as a Dataset (empty if no response came). With
        ``wait=False`` it returns at once a ``concurrent.futures.Future`` of that
        status, once the request is sent: up to the asynchronous operations window
        agreed (PS3.7 D.3.3.3; one without it) may be outstanding, and while the
        window is full the call blocks until a response frees a place. The
        future fails with :class:`~dicomactors.scu.window.NoResponseError` if the
        association ends first. ``msg_id`` must differ from every request's still
        outstanding (``ValueError``).
        """

        return c_store(self, dataset, msg_id, priority, originator_aet, originator_id, wait)

    def store_many(
        self,
        datasets: Iterable[Dataset | str | Path],
        priority: int = 2,
        originator_aet: AETitleLike | None = None,
        originator_id: int | None = None,
    ) -> list[Dataset]:
        """C-STORE every Dataset or file of ``datasets``, with up to the asynchronous
        operations window outstanding at once; the statuses in the same order.

        Message IDs are numbered from 1, skipping those outstanding. With a window
        of one (none negotiated) each request waits for the previous response.
        """

        return store_many(self, datasets, priority, originator_aet, originator_id)

    # Each request is built and its responses read in dicomactors.scu.

    def send_c_find(
        self, dataset: Dataset, query_model: Any, msg_id: int = 1, priority: int = 2
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """C-FIND (PS3.7 9.1.2): yields (status, identifier) per response."""

        return c_find(self, dataset, query_model, msg_id, priority)

    def send_c_get(
        self, dataset: Dataset, query_model: Any, msg_id: int = 1, priority: int = 2
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """C-GET (PS3.7 9.1.3): yields (status, identifier); stores arrive via EVT_C_STORE."""

        return c_get(self, dataset, query_model, msg_id, priority)

    def send_c_move(
        self,
        dataset: Dataset,
        move_aet: AETitleLike,
        query_model: Any,
        msg_id: int = 1,
        priority: int = 2,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """C-MOVE (PS3.7 9.1.4) to ``move_aet``: yields (status, identifier)."""

        return c_move(self, dataset, move_aet, query_model, msg_id, priority)

    def send_c_cancel(
        self, msg_id: int, context_id: int | None = None, query_model: Any = None
    ) -> None:
        """C-CANCEL the C-FIND/C-GET/C-MOVE request ``msg_id``."""

        c_cancel(self, msg_id, context_id, query_model)

    def send_n_action(
        self,
        dataset: Dataset | None,
        action_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:

        return n_action(self, dataset, action_type, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_create(
        self,
        dataset: Dataset | None,
        class_uid: str,
        instance_uid: str | None = None,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:

        return n_create(self, dataset, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_delete(
        self, class_uid: str, instance_uid: str, msg_id: int = 1, meta_uid: str | None = None
    ) -> Dataset:

        return n_delete(self, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_event_report(
        self,
        dataset: Dataset | None,
        event_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:

        return n_event_report(self, dataset, event_type, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_get(
        self,
        identifier_list: Sequence[Any],
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:

        return n_get(self, identifier_list, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_set(
        self,
        dataset: Dataset,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:

        return n_set(self, dataset, class_uid, instance_uid, msg_id, meta_uid)


def _plus(timeout: float | None, extra: float) -> float | None:
    return None if timeout is None else timeout + extra
