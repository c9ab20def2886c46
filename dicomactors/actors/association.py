"""The association actor: negotiation, outcomes, and routing of DIMSE messages.

One per association, requestor or acceptor. It owns the association's DIMSE
and DUL actors (started in that order, stopped in reverse) and its service
actors, which run user handlers (see :mod:`dicomactors.actors.service`).
An acceptor's answer to the A-ASSOCIATE-RQ is decided by the pure
:func:`dicomactors.negotiation.decide`; the actor only runs the user's
handlers it needs first. It talks to the user's side only by resolving
futures and queues handed to it, and by publishing the association's status
as immutable snapshots on the :class:`~dicomactors.actors.status.StatusBoard`
it was given. The user's object itself (``assoc``) it only passes to the
handlers, as ``event.assoc``.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pykka

from dicomactors import events as evt
from dicomactors.actors.dimse import AttachDUL, DIMSEActor, ForwardDown
from dicomactors.actors.dul import STOP, DULActor, DULConfig
from dicomactors.actors.messages import (
    AAbortIndication,
    AAbortRequest,
    AAssociateConfirmAccept,
    AAssociateConfirmReject,
    AAssociateIndication,
    AAssociateRequest,
    AAssociateResponse,
    Address,
    AReleaseConfirm,
    AReleaseIndication,
    AReleaseRequest,
    AReleaseResponse,
    ConnectionFailed,
    DIMSEProtocolFailure,
    DIMSEReceived,
    NetworkTimeoutExpired,
    SendDIMSE,
    TLSClient,
    TransportOpened,
    TransportReleased,
)
from dicomactors.actors.runtime import Strand, StrandActor, stop_soon
from dicomactors.actors.service import (
    HandleRequest,
    HandlerPool,
    RequestDone,
    SendResponse,
    ServiceActor,
    StrandServiceActor,
)
from dicomactors.actors.status import AssociationStatus, StatusBoard
from dicomactors.dimse import MESSAGE_TYPES, CCancelRQ, CEchoRQ, CStoreRQ
from dicomactors.negotiation import (
    NO_ANSWERS,
    Accept,
    AcceptorConfig,
    Decision,
    ExtendedAnswers,
    IdentityVerdict,
    decide,
    requestor_contexts,
    screen,
)
from dicomactors.operations_window import MAXIMUM_CONCURRENT_HANDLERS, agreed_window
from dicomactors.pdu import (
    AAbort,
    AAssociateRJ,
    AAssociateRQ,
    AbortReason,
    AbortSource,
    AsynchronousOperationsWindowItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityRQItem,
)
from dicomactors.presentation import PresentationContext
from dicomactors.services import ON_STRAND
from dicomactors.services.storage import spool_to_disk
from dicomactors.services.verification import default_echo_response

LOGGER = logging.getLogger("dicomactors.association")


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationConfig(AcceptorConfig):
    """What an association needs from its AE, copied when it starts: what an acceptor
    decides by (:class:`~dicomactors.negotiation.AcceptorConfig`) and the rest."""

    acse_timeout: float | None
    dimse_timeout: float | None
    network_timeout: float | None
    connection_timeout: float | None
    tls_server: ssl.SSLContext | None = None
    store_to_disk: bool | str | Path = False
    #: Asked when an A-ASSOCIATE-RQ arrives: whether the AE's association limit is reached.
    limit_reached: Callable[[], bool] | None = None


# -- messages from the facade and the service actor --------------------------


@dataclass(frozen=True, slots=True)
class AssociateOutcome:
    """How an association request ended: established, rejected, aborted or failed."""

    kind: str
    rejection: AAssociateRJ | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RequestAssociation:
    pdu: AAssociateRQ
    address: Address
    requested_contexts: tuple[PresentationContext, ...]
    done: Future[AssociateOutcome]
    bind_address: Address | None = None
    tls: TLSClient | None = None


@dataclass(frozen=True, slots=True)
class ReleaseAssociation:
    done: Future[bool]


@dataclass(frozen=True, slots=True)
class AbortAssociation:
    done: Future[None] | None = None


class ResponseSink(Protocol):
    """Where a request's responses go: a ``queue.SimpleQueue``, or anything with its
    ``put`` (the facade's futures of an asynchronous operations window)."""

    def put(self, item: Any, /) -> None: ...


NETWORK_TIMEOUT_RESPONSES = ("A-ABORT", "A-RELEASE")


@dataclass(frozen=True, slots=True)
class SetNetworkTimeoutResponse:
    """What to do when the network timeout expires: one of NETWORK_TIMEOUT_RESPONSES."""

    response: str


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Send a DIMSE request; its responses, then :data:`CLOSED` if the association
    ends first, go to ``responses``."""

    context_id: int
    message: Any
    dataset: bytes | memoryview | None
    responses: ResponseSink | queue.SimpleQueue[Any] | None


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """What a response queue receives: the response and its data set."""

    context_id: int
    message: Any
    dataset: bytes | memoryview | None


CLOSED = ResponseReceived(0, None, None)
"""Put on every waiting queue when the association ends."""


@dataclass
class _Pending:
    responses: ResponseSink | queue.SimpleQueue[Any] | None
    context_id: int


@dataclass
class _Negotiated:
    # The peer's Maximum Length Received: what each PDU we send must fit in.
    peer_maximum_length: int = 0
    # The accepted contexts by ID, for every DIMSE message received.
    by_id: dict[int, PresentationContext] = field(default_factory=dict)

    def accept(self, accepted: Iterable[PresentationContext], peer_maximum_length: int) -> None:
        self.peer_maximum_length = peer_maximum_length
        self.by_id = {c.context_id: c for c in accepted if c.context_id is not None}


#: The response message types: a message received of one of them answers a request of ours.
_RESPONSES = frozenset(cls for field_, cls in MESSAGE_TYPES.items() if field_ & 0x8000)


#: Message type -> name of the AssociationActor method that handles it.
_HANDLER_NAMES: dict[type, str] = {}


class AssociationActor(StrandActor):
    def __init__(
        self,
        assoc: object,
        board: StatusBoard,
        config: AssociationConfig,
        handlers: evt.HandlerTable,
        *,
        strand: Strand,
        name: str,
        sock: socket.socket | None = None,
    ) -> None:
        # The association, DIMSE and DUL actors of one association share a strand.
        super().__init__(strand)
        # The user's object: only handed to handlers (event.assoc), never looked into.
        self.assoc = assoc
        self.board = board
        self.status = AssociationStatus()
        self.name = name
        self.config = config
        self.handlers = handlers
        self.sock = sock
        self.is_requestor = sock is None
        self.negotiated = _Negotiated()
        self.pending: dict[int, _Pending] = {}
        # Requests from the peer being handled: message ID -> what a C-CANCEL sets.
        self.cancels: dict[int, threading.Event | None] = {}
        self.associate_done: Future[AssociateOutcome] | None = None
        self.release_done: Future[bool] | None = None
        self.requested_contexts: tuple[Any, ...] = ()
        self.release_collision = False
        self.rq: AAssociateRQ | None = None
        self.dimse: pykka.ActorRef[Any] | None = None
        self.dul: pykka.ActorRef[Any] | None = None
        self.service: pykka.ActorRef[Any] | None = None
        self.strand_service: pykka.ActorRef[Any] | None = None
        # As acceptor with an asynchronous operations window of more than one: the
        # service actors that handle the peer's C-STOREs at once.
        self.handler_pool: HandlerPool | None = None
        # Requests handed to the service thread and not yet done (see _on_DIMSEReceived).
        self.on_service_thread: set[int] = set()
        self.close_reason = ""
        self.release_deferred = False
        self.release_response_deferred = False
        self.network_timeout_response = "A-ABORT"

    # -- lifecycle ---------------------------------------------------------

    def on_start(self) -> None:
        name = f"assoc-{self.name}"
        # The strand's and the service actor's ``done``: the facade joins them, so
        # that when ``Association.join`` returns the association has gone.
        self.board.joinable(self.strand.done)
        spool = self.config.store_to_disk
        sinks = None
        if spool is not False:
            # Received C-STORE data sets stream to a temporary file (AE.store_to_disk).
            sinks = spool_to_disk(None if spool is True else spool)
        self.dimse = DIMSEActor.start(self.strand, self.actor_ref, sink_factory=sinks)
        dul_config = DULConfig(
            acse_timeout=self.config.acse_timeout,
            network_timeout=self.config.network_timeout,
            maximum_length=self.config.maximum_length,
            tls_handshake_timeout=self.config.acse_timeout,
        )
        self.dul = DULActor.start(
            self.strand,
            self.actor_ref,
            self.dimse,
            dul_config,
            sock=self.sock,
            tls_server=self.config.tls_server,
            name=name,
        )
        self.dimse.tell(AttachDUL(self.dul))

    def on_stop(self) -> None:
        self._finish_waiters("association ended")
        self._tell_dul(STOP)
        # Each is told to stop after what it was already sent (the DUL closes the
        # socket then); the service actor may be inside a handler. Association.join
        # waits for all of them: the strand's and the service's ``done``.
        pooled = self.handler_pool.actors if self.handler_pool is not None else []
        for ref in (self.dul, self.dimse, self.service, self.strand_service, *pooled):
            if ref is not None:
                stop_soon(ref)
        self.status = self.status._replace(established=False, close_reason=self.close_reason)
        self.board.closed(self.status)

    def on_failure(self, *args: Any) -> None:
        self.close_reason = "internal error"
        self.stop_soon()

    def _notify(self, event: Any, **attrs: Any) -> None:
        evt.trigger_notification(self.handlers, self.assoc, event, **attrs)

    def _publish(self, **changes: Any) -> None:
        """A new snapshot of the status, with ``changes``, for the facade to read."""
        self.status = self.status._replace(**changes)
        self.board.publish(self.status)

    # -- messages ----------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        name = _HANDLER_NAMES.get(kind)
        if name is None:
            name = _HANDLER_NAMES[kind] = "_on_" + kind.__name__
        handler = getattr(self, name, None)
        if handler is None:
            LOGGER.warning("association actor: unexpected message %r", message)
            return None
        return handler(message)

    # facade -> actor

    def _on_RequestAssociation(self, message: RequestAssociation) -> None:
        self.associate_done = message.done
        self.rq = message.pdu
        self.requested_contexts = message.requested_contexts
        self._publish(rq=message.pdu)
        self._tell_dul(
            AAssociateRequest(
                message.pdu,
                message.address,
                self.config.connection_timeout,
                message.bind_address,
                message.tls,
            )
        )
        self._notify(evt.EVT_ACSE_SENT, primitive=message.pdu)

    def _on_ReleaseAssociation(self, message: ReleaseAssociation) -> None:
        if not self.status.established:
            message.done.set_result(False)
            return
        self.release_done = message.done
        if self.cancels:
            # A request from the peer is being handled: its responses cannot be
            # sent once our A-RELEASE-RQ is out (P-DATA in Sta7 is refused), so
            # the release waits for the last response (see _request_done).
            self.release_deferred = True
            return
        self._release_after_sent()

    def _release_after_sent(self) -> None:
        self.release_deferred = False
        self._tell_dul_after_sent(AReleaseRequest())

    def _tell_dul_after_sent(self, message: Any) -> None:
        """Tell the DUL ``message`` after the P-DATA given to the DIMSE actor, so that
        the primitive follows it on the wire: through the DIMSE actor, which hands it
        on in order (the three share a strand: messages keep their order)."""
        if self.dimse is not None:
            try:
                self.dimse.tell(ForwardDown(message))
                return
            except pykka.ActorDeadError:
                pass
        self._tell_dul(message)

    def _on_AbortAssociation(self, message: AbortAssociation) -> None:
        if self._tell_dul(AAbortRequest()) and not self.status.aborted:
            self._publish(established=False, aborted=True)
            self._finish_waiters("aborted")
            self._notify(evt.EVT_ABORTED)
        if message.done is not None:
            message.done.set_result(None)

    def _on_SetNetworkTimeoutResponse(self, message: SetNetworkTimeoutResponse) -> None:
        self.network_timeout_response = message.response

    def _on_NetworkTimeoutExpired(self, message: NetworkTimeoutExpired) -> None:
        """Release (A-RELEASE, bounded by the acse_timeout like any release) or abort
        (A-ABORT from the service provider) an association idle for the network_timeout."""
        LOGGER.info("%s: %s; %s", self.name, message.reason, self.network_timeout_response)
        if self.network_timeout_response == "A-RELEASE" and self.status.established:
            if self.release_done is None and not self.release_deferred:
                self.release_deferred = bool(self.cancels)
                if not self.release_deferred:
                    self._release_after_sent()
            return
        pdu = AAbort(AbortSource.SERVICE_PROVIDER, AbortReason.NOT_SPECIFIED)
        if self._tell_dul(AAbortRequest(pdu, message.reason)):
            self._on_AAbortIndication(AAbortIndication(None, message.reason))

    def _on_SendRequest(self, message: SendRequest) -> None:
        if not self.status.established:
            if message.responses is not None:
                message.responses.put(CLOSED)
            return
        if message.responses is not None and not isinstance(message.message, CCancelRQ):
            msg_id = message.message.message_id
            self.pending[msg_id] = _Pending(message.responses, message.context_id)
        self._send_dimse(message.context_id, message.message, message.dataset)

    def _on_SendResponse(self, message: SendResponse) -> None:
        if self.status.established:
            self._send_dimse(message.context_id, message.message, message.dataset)
        if message.last:
            self._request_done(message.message.message_id_being_responded_to)

    def _on_RequestDone(self, message: RequestDone) -> None:
        self._request_done(message.message_id)

    def _request_done(self, message_id: int) -> None:
        self.cancels.pop(message_id, None)
        self.on_service_thread.discard(message_id)
        if self.handler_pool is not None:
            self.handler_pool.finished(message_id)
        if not self.cancels:
            if self.release_deferred:
                self._release_after_sent()
            elif self.release_response_deferred:
                self._answer_release()

    def _send_dimse(self, context_id: int, msg: Any, dataset: bytes | memoryview | None) -> None:
        assert self.dimse is not None
        self.dimse.tell(SendDIMSE(context_id, msg, dataset, self.negotiated.peer_maximum_length))
        self._notify(evt.EVT_DIMSE_SENT, message=msg)

    # DUL -> actor

    def _on_TransportOpened(self, message: TransportOpened) -> None:
        self._publish(local=message.local, remote=message.remote)
        self._notify(evt.EVT_CONN_OPEN, address=message.remote)

    def _on_ConnectionFailed(self, message: ConnectionFailed) -> None:
        self._resolve_associate(AssociateOutcome("failed", reason=message.reason))

    def _on_AAssociateIndication(self, message: AAssociateIndication) -> None:
        rq = message.pdu
        self.rq = rq
        self._publish(rq=rq)
        self._notify(evt.EVT_ACSE_RECV, primitive=rq)
        self._notify(evt.EVT_REQUESTED)
        decision = self._decide(rq)
        if isinstance(decision, Accept):
            self.negotiated.accept(decision.accepted, rq.maximum_length or 0)
            self._open_window(agreed_window(rq, decision.ac))
            self._publish(accepted_contexts=decision.accepted, rejected_contexts=decision.rejected)
            self._tell_dul(AAssociateResponse(decision.ac))
            self._notify(evt.EVT_ACSE_SENT, primitive=decision.ac)
            self._publish(ac=decision.ac, established=True)
            self._notify(evt.EVT_ACCEPTED)
            self._notify(evt.EVT_ESTABLISHED)
        else:
            rejection = decision.rejection
            self._tell_dul(AAssociateResponse(rejection))
            self._notify(evt.EVT_ACSE_SENT, primitive=rejection)
            self._publish(rejected=True, rejection=rejection)
            self._notify(evt.EVT_REJECTED)

    def _on_AAssociateConfirmAccept(self, message: AAssociateConfirmAccept) -> None:
        ac = message.pdu
        self._notify(evt.EVT_ACSE_RECV, primitive=ac)
        assert self.rq is not None
        contexts = requestor_contexts(self.rq, self.requested_contexts, ac)
        accepted = tuple(c for c in contexts if c.result == 0)
        self.negotiated.accept(accepted, ac.maximum_length or 0)
        self._publish(
            ac=ac,
            accepted_contexts=accepted,
            rejected_contexts=tuple(c for c in contexts if c.result != 0),
            established=True,
        )
        self._notify(evt.EVT_ACCEPTED)
        self._notify(evt.EVT_ESTABLISHED)
        self._resolve_associate(AssociateOutcome("established"))

    def _on_AAssociateConfirmReject(self, message: AAssociateConfirmReject) -> None:
        self._notify(evt.EVT_ACSE_RECV, primitive=message.pdu)
        self._publish(rejected=True, rejection=message.pdu)
        self._notify(evt.EVT_REJECTED)
        self._resolve_associate(AssociateOutcome("rejected", rejection=message.pdu))

    def _on_AReleaseIndication(self, message: AReleaseIndication) -> None:
        if message.collision:
            self.release_collision = True
            if self.is_requestor:
                self._tell_dul(AReleaseResponse())
            return
        if self.cancels:
            # Requests the peer sent before its A-RELEASE-RQ are still being
            # handled: answer them first (P-DATA is allowed in Sta8, AR-7).
            self.release_response_deferred = True
            return
        self._answer_release()

    def _answer_release(self) -> None:
        """A-RELEASE response, after the P-DATA the DIMSE actor was last given."""
        self.release_response_deferred = False
        self._finish_waiters("released by the peer")
        self._tell_dul_after_sent(AReleaseResponse())
        self._publish(established=False, released=True)
        self._notify(evt.EVT_RELEASED)

    def _on_AReleaseConfirm(self, message: AReleaseConfirm) -> None:
        if self.release_collision and not self.is_requestor:
            self._tell_dul(AReleaseResponse())
        self._publish(established=False, released=True)
        self._finish_waiters("released")
        self._notify(evt.EVT_RELEASED)
        if self.release_done is not None and not self.release_done.done():
            self.release_done.set_result(True)

    def _on_AAbortIndication(self, message: AAbortIndication) -> None:
        already = self.status.aborted
        if message.pdu is not None:
            self._publish(established=False, aborted=True, abort_pdu=message.pdu)
        else:
            self._publish(established=False, aborted=True)
        self._finish_waiters(message.reason)
        if not already:
            self._notify(evt.EVT_ABORTED)
        self._resolve_associate(AssociateOutcome("aborted", reason=message.reason))

    def _on_TransportReleased(self, message: TransportReleased) -> None:
        self._resolve_associate(AssociateOutcome("aborted", reason=message.reason))
        if self.status.established:
            self._publish(established=False, aborted=True)
            self._notify(evt.EVT_ABORTED)
        self._finish_waiters(message.reason)
        self._notify(evt.EVT_CONN_CLOSE, address=self.status.remote or ("", 0))
        self.close_reason = message.reason
        self.stop_soon()

    # DIMSE -> actor

    def _on_DIMSEReceived(self, message: DIMSEReceived) -> None:
        msg = message.message
        kind = type(msg)
        self._notify(evt.EVT_DIMSE_RECV, message=msg)
        context = self.negotiated.by_id.get(message.context_id)
        if context is None:
            LOGGER.error(
                "DIMSE message on presentation context %d, which was not accepted",
                message.context_id,
            )
            self._provider_abort(AbortReason.INVALID_PDU_PARAMETER_VALUE)
            return
        if kind in _RESPONSES:
            responded_to = msg.message_id_being_responded_to
            pending = self.pending.get(responded_to)
            if pending is None:
                LOGGER.warning("response to unknown message ID %s ignored", responded_to)
                return
            if not _is_pending_status(msg.status):
                del self.pending[responded_to]
            if pending.responses is not None:
                pending.responses.put(ResponseReceived(message.context_id, msg, message.dataset))
            return
        if kind is CCancelRQ:
            cancel = self.cancels.get(msg.message_id_being_responded_to)
            if cancel is not None:
                cancel.set()
            return
        if kind is CEchoRQ and not self.cancels:
            # No user code to run for the default C-ECHO answer: no hop to the
            # service actor (and none started for an association that only echoes).
            echo = default_echo_response(self.handlers, msg)
            if echo is not None:
                self._send_dimse(message.context_id, echo, None)
                return
        # Only what a C-CANCEL can stop needs an Event (a Condition and a lock to make);
        # the key alone marks a request as being handled (see _request_done).
        short = kind in ON_STRAND
        cancel = None if short else threading.Event()
        self.cancels[msg.message_id] = cancel
        request = HandleRequest(context, msg, message.dataset, cancel)
        # A short request is handled on this strand, unless the service thread is
        # still busy with earlier requests: they are handled in arrival order.
        # Within an asynchronous operations window, C-STOREs are handled at once.
        if kind is CStoreRQ and self.handler_pool is not None:
            self.handler_pool.handle(request)
        elif short and not self.on_service_thread:
            self._strand_service().tell(request)
        else:
            self.on_service_thread.add(msg.message_id)
            self._service_thread().tell(request)

    def _strand_service(self) -> pykka.ActorRef[Any]:
        """The service actor on this strand, started with the first short request."""
        if self.strand_service is None:
            self.strand_service = StrandServiceActor.start(
                self.strand, self.assoc, self.handlers, self.actor_ref
            )
        return self.strand_service

    def _service_thread(self) -> pykka.ActorRef[Any]:
        """The service actor on a thread, started with the first request that needs it:
        an association that is never asked a C-FIND, C-GET or C-MOVE has none."""
        if self.service is None:
            self.service = self._start_service_actor()
        return self.service

    def _start_service_actor(self) -> pykka.ActorRef[Any]:
        return ServiceActor.start(
            self.assoc, self.handlers, self.actor_ref, self.board.joinable, self.strand
        )

    def _open_window(self, window: int) -> None:
        """As acceptor: with a window of more than one operation (PS3.7 D.3.3.3), the
        peer's C-STOREs are handled at once, up to the window, each on a pooled
        thread; with one, on this strand, one at a time, as they arrive."""
        if window > 1:
            size = min(window, MAXIMUM_CONCURRENT_HANDLERS)
            self.handler_pool = HandlerPool(size, self._start_service_actor)

    def _on_DIMSEProtocolFailure(self, message: DIMSEProtocolFailure) -> None:
        LOGGER.error("DIMSE protocol error: %s; aborting", message.reason)
        self._provider_abort(AbortReason.INVALID_PDU_PARAMETER_VALUE)

    # -- helpers -----------------------------------------------------------

    def _tell_dul(self, message: Any) -> bool:
        """Tell the DUL, if it is still there (it stops itself when the socket closes)."""
        if self.dul is None:
            return False
        try:
            self.dul.tell(message)
        except pykka.ActorDeadError:
            return False
        return True

    def _provider_abort(self, reason: int) -> None:
        if not self._tell_dul(AAbortRequest(AAbort(AbortSource.SERVICE_PROVIDER, reason))):
            return
        self._publish(established=False, aborted=True)
        self._finish_waiters("aborted: protocol error")
        self._notify(evt.EVT_ABORTED)

    def _resolve_associate(self, outcome: AssociateOutcome) -> None:
        if self.associate_done is not None and not self.associate_done.done():
            if outcome.kind == "aborted" and not self.status.aborted:
                # The connection ended before an answer: the request was aborted.
                self._publish(aborted=True)
            self.associate_done.set_result(outcome)

    def _finish_waiters(self, reason: str) -> None:
        for pending in self.pending.values():
            if pending.responses is not None:
                pending.responses.put(CLOSED)
        self.pending.clear()
        for cancel in self.cancels.values():
            if cancel is not None:
                cancel.set()
        if self.release_done is not None and not self.release_done.done():
            self.release_done.set_result(self.status.released)

    # -- acceptor decisions: made by negotiation.decide -------------------

    def _decide(self, rq: AAssociateRQ) -> Decision:
        """Ask the user's handlers what only they know, then :func:`negotiation.decide`.

        No handler runs for a request :func:`negotiation.screen` rejects, and none
        of the extended negotiation handlers for an identity that was refused.
        """
        config = self.config
        if config.limit_reached is not None and config.limit_reached():
            # Counted when the A-ASSOCIATE-RQ arrives, not when the connection was
            # accepted: a connection that sends nothing holds no place (issue 14).
            config = replace(config, over_limit=True)
        rejection = screen(rq, config)
        if rejection is not None:
            return rejection
        verdict = self._judge_identity(rq)
        if verdict is not None and not verdict.verified:
            return decide(rq, config, verdict)
        return decide(rq, config, verdict, self._extended_answers(rq))

    def _judge_identity(self, rq: AAssociateRQ) -> IdentityVerdict | None:
        """The EVT_USER_ID handler's verdict on the requestor's identity (PS3.7 D.3.3.7);
        None when there is nothing to judge or nobody to judge it."""
        identity = next((i for i in rq.user_information if isinstance(i, UserIdentityRQItem)), None)
        if identity is None or not self.handlers.get(evt.EVT_USER_ID):
            return None
        try:
            verified, response = evt.trigger_intervention(
                self.handlers,
                self.assoc,
                evt.EVT_USER_ID,
                user_id_type=identity.identity_type,
                primary_field=identity.primary_field,
                secondary_field=identity.secondary_field,
            )
        except Exception:
            LOGGER.exception("EVT_USER_ID handler raised: rejecting")
            return IdentityVerdict(False)
        if not verified:
            return IdentityVerdict(False)
        wanted = identity.positive_response_requested and response is not None
        return IdentityVerdict(True, bytes(response) if wanted else None)

    def _extended_answers(self, rq: AAssociateRQ) -> ExtendedAnswers:
        """What the EVT_ASYNC_OPS and EVT_SOP_EXTENDED handlers answer to the requestor's
        items; the EVT_SOP_COMMON handler's answer is published (it has no reply item)."""
        window = next(
            (i for i in rq.user_information if isinstance(i, AsynchronousOperationsWindowItem)),
            None,
        )
        extended = {
            i.sop_class_uid: i.service_class_application_information
            for i in rq.user_information
            if isinstance(i, SOPClassExtendedNegotiationItem)
        }
        common = {
            i.sop_class_uid: i
            for i in rq.user_information
            if isinstance(i, SOPClassCommonExtendedNegotiationItem)
        }
        if window is None and not extended and not common:
            return NO_ANSWERS
        answers = ExtendedAnswers(
            self._window_answer(window) if window is not None else None,
            self._sop_extended_answers(extended) if extended else (),
        )
        if common and self.handlers.get(evt.EVT_SOP_COMMON):
            try:
                agreed = evt.trigger_intervention(
                    self.handlers, self.assoc, evt.EVT_SOP_COMMON, items=common
                )
            except Exception:
                LOGGER.exception("EVT_SOP_COMMON handler raised: none accepted")
                agreed = {}
            self._publish(accepted_common_extended=tuple(dict(agreed or {}).items()))
        return answers

    def _window_answer(self, window: AsynchronousOperationsWindowItem) -> tuple[int, int] | None:
        # Without a handler no response item is sent: the window is then the
        # default of one outstanding operation each way (PS3.7 D.3.3.3).
        if not self.handlers.get(evt.EVT_ASYNC_OPS):
            return None
        try:
            invoked, performed = evt.trigger_intervention(
                self.handlers,
                self.assoc,
                evt.EVT_ASYNC_OPS,
                invoked=window.maximum_invoked,
                performed=window.maximum_performed,
                # pynetdicom documents the two names above but passes these:
                nr_invoked=window.maximum_invoked,
                nr_performed=window.maximum_performed,
            )
            return int(invoked), int(performed)
        except Exception:
            LOGGER.exception("EVT_ASYNC_OPS handler raised: no response item sent")
            return None

    def _sop_extended_answers(self, extended: dict[str, bytes]) -> tuple[tuple[str, bytes], ...]:
        if not self.handlers.get(evt.EVT_SOP_EXTENDED):
            return ()
        try:
            answers = evt.trigger_intervention(
                self.handlers, self.assoc, evt.EVT_SOP_EXTENDED, app_info=extended
            )
        except Exception:
            LOGGER.exception("EVT_SOP_EXTENDED handler raised: no response items")
            return ()
        return tuple(
            (str(uid), bytes(info)) for uid, info in (answers or {}).items() if info is not None
        )


def _is_pending_status(status: int) -> bool:
    return status in (0xFF00, 0xFF01)
