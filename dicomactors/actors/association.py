"""The association actor: negotiation, outcomes, and routing of DIMSE messages.

One per association, requestor or acceptor. It owns the association's DIMSE
and DUL actors (started in that order, stopped in reverse) and its service
actors, which run user handlers (see :mod:`dicomactors.actors.service`).
It talks to the facade (:class:`dicomactors.association.Association`) only by
resolving futures and queues the facade handed it, and by publishing the
association's status on the facade.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    SendDIMSE,
    TLSClient,
    TransportOpened,
    TransportReleased,
)
from dicomactors.actors.runtime import Strand, StrandActor, stop_soon
from dicomactors.actors.service import (
    HandleRequest,
    RequestDone,
    SendResponse,
    ServiceActor,
    StrandServiceActor,
)
from dicomactors.dimse import MESSAGE_TYPES, CCancelRQ, CEchoRQ
from dicomactors.negotiation import (
    base_user_information,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    rejected_contexts,
)
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AbortReason,
    AbortSource,
    AsynchronousOperationsWindowItem,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
)
from dicomactors.pdu.items import DICOM_APPLICATION_CONTEXT, ordered_user_information
from dicomactors.services import ON_STRAND
from dicomactors.services.storage import spool_to_disk
from dicomactors.services.verification import default_echo_response

if TYPE_CHECKING:
    from dicomactors.association import Association
    from dicomactors.presentation import PresentationContext
from dicomactors.syntax_choice import DEFAULT_TRANSFER_SYNTAX_CHOICE, TransferSyntaxChoice

LOGGER = logging.getLogger("dicomactors.association")


@dataclass(frozen=True, slots=True)
class AssociationConfig:
    """What an association needs from its AE, copied when it starts."""

    ae_title: str
    maximum_pdu_size: int
    acse_timeout: float | None
    dimse_timeout: float | None
    network_timeout: float | None
    connection_timeout: float | None
    implementation_class_uid: str
    implementation_version_name: str | None
    supported_contexts: tuple[PresentationContext, ...] = ()
    require_called_aet: bool = False
    require_calling_aet: tuple[str, ...] = ()
    over_limit: bool = False
    tls_server: ssl.SSLContext | None = None
    store_to_disk: bool | str | Path = False
    transfer_syntax_choice: TransferSyntaxChoice = DEFAULT_TRANSFER_SYNTAX_CHOICE


# -- messages from the facade and the service actor --------------------------


@dataclass(frozen=True, slots=True)
class AssociateOutcome:
    """How an association request ended: established, rejected, aborted or failed."""

    kind: str
    reject: AAssociateRJ | None = None
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


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Send a DIMSE request; responses (or ``None`` on failure) go to ``responses``."""

    context_id: int
    message: Any
    dataset: bytes | memoryview | None
    responses: queue.SimpleQueue[Any] | None


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
    responses: queue.SimpleQueue[Any] | None
    context_id: int


@dataclass
class _Negotiated:
    accepted: list[Any] = field(default_factory=list)
    rejected: list[Any] = field(default_factory=list)
    peer_max_pdu: int = 0
    # The accepted contexts by ID, for every DIMSE message received.
    by_id: dict[int, Any] = field(default_factory=dict)

    def accept(self, accepted: list[Any], rejected: list[Any], peer_max_pdu: int) -> None:
        self.accepted = accepted
        self.rejected = rejected
        self.peer_max_pdu = peer_max_pdu
        self.by_id = {c.context_id: c for c in accepted}


#: The response message types: a message received of one of them answers a request of ours.
_RESPONSES = frozenset(cls for field_, cls in MESSAGE_TYPES.items() if field_ & 0x8000)


#: Message type -> name of the AssociationActor method that handles it.
_HANDLER_NAMES: dict[type, str] = {}


class AssociationActor(StrandActor):
    def __init__(
        self,
        facade: Association,
        config: AssociationConfig,
        handlers: evt.HandlerTable,
        *,
        strand: Strand,
        sock: socket.socket | None = None,
    ) -> None:
        # The association, DIMSE and DUL actors of one association share a strand.
        super().__init__(strand)
        self.facade = facade
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
        # Requests handed to the service thread and not yet done (see _on_DIMSEReceived).
        self.on_service_thread: set[int] = set()
        self.close_reason = ""
        self.release_deferred = False
        self.release_response_deferred = False

    # -- lifecycle ---------------------------------------------------------

    def on_start(self) -> None:
        name = f"assoc-{self.facade.name}"
        # The strand's and the service actor's ``done`` go here; the facade joins
        # them, so that when ``Association.join`` returns the association has gone.
        self.facade._threads.append(self.strand.done)
        spool = self.config.store_to_disk
        sinks = None
        if spool is not False:
            # Received C-STORE data sets stream to a temporary file (AE.store_to_disk).
            sinks = spool_to_disk(None if spool is True else spool)
        self.dimse = DIMSEActor.start(self.strand, self.actor_ref, sink_factory=sinks)
        dul_config = DULConfig(
            acse_timeout=self.config.acse_timeout,
            network_timeout=self.config.network_timeout,
            max_pdu_length=self.config.maximum_pdu_size,
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
        for ref in (self.dul, self.dimse, self.service, self.strand_service):
            if ref is not None:
                stop_soon(ref)
        self.facade._closed(reason=self.close_reason)

    def on_failure(self, *args: Any) -> None:
        self.close_reason = "internal error"
        self.stop_soon()

    def _notify(self, event: Any, **attrs: Any) -> None:
        evt.trigger_notification(self.handlers, self.facade, event, **attrs)

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
        self.facade._set_requestor_primitive(message.pdu)
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
        if not self.facade.is_established:
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
        if self._tell_dul(AAbortRequest()) and not self.facade.is_aborted:
            self.facade._update(established=False, aborted=True)
            self._finish_waiters("aborted")
            self._notify(evt.EVT_ABORTED)
        if message.done is not None:
            message.done.set_result(None)

    def _on_SendRequest(self, message: SendRequest) -> None:
        if not self.facade.is_established:
            if message.responses is not None:
                message.responses.put(CLOSED)
            return
        if message.responses is not None and not isinstance(message.message, CCancelRQ):
            msg_id = message.message.message_id
            self.pending[msg_id] = _Pending(message.responses, message.context_id)
        self._send_dimse(message.context_id, message.message, message.dataset)

    def _on_SendResponse(self, message: SendResponse) -> None:
        if self.facade.is_established:
            self._send_dimse(message.context_id, message.message, message.dataset)
        if message.last:
            self._request_done(message.message.message_id_being_responded_to)

    def _on_RequestDone(self, message: RequestDone) -> None:
        self._request_done(message.message_id)

    def _request_done(self, message_id: int) -> None:
        self.cancels.pop(message_id, None)
        self.on_service_thread.discard(message_id)
        if not self.cancels:
            if self.release_deferred:
                self._release_after_sent()
            elif self.release_response_deferred:
                self._answer_release()

    def _send_dimse(self, context_id: int, msg: Any, dataset: bytes | memoryview | None) -> None:
        assert self.dimse is not None
        self.dimse.tell(SendDIMSE(context_id, msg, dataset, self.negotiated.peer_max_pdu))
        self._notify(evt.EVT_DIMSE_SENT, message=msg)

    # DUL -> actor

    def _on_TransportOpened(self, message: TransportOpened) -> None:
        self.facade._set_addresses(message.local, message.remote)
        self._notify(evt.EVT_CONN_OPEN, address=message.remote)

    def _on_ConnectionFailed(self, message: ConnectionFailed) -> None:
        self._resolve_associate(AssociateOutcome("failed", reason=message.reason))

    def _on_AAssociateIndication(self, message: AAssociateIndication) -> None:
        rq = message.pdu
        self.rq = rq
        self.facade._set_requestor_primitive(rq)
        self._notify(evt.EVT_ACSE_RECV, primitive=rq)
        self._notify(evt.EVT_REQUESTED)
        response = self._decide(rq)
        self._tell_dul(AAssociateResponse(response))
        self._notify(evt.EVT_ACSE_SENT, primitive=response)
        if isinstance(response, AAssociateRJ):
            self.facade._update(rejected=True, reject=response)
            self._notify(evt.EVT_REJECTED)
        else:
            self.facade._set_acceptor_primitive(response)
            self.facade._update(established=True)
            self._notify(evt.EVT_ACCEPTED)
            self._notify(evt.EVT_ESTABLISHED)

    def _on_AAssociateConfirmAccept(self, message: AAssociateConfirmAccept) -> None:
        ac = message.pdu
        self._notify(evt.EVT_ACSE_RECV, primitive=ac)
        self.facade._set_acceptor_primitive(ac)
        proposed = {
            i.sop_class_uid: (i.scu_role, i.scp_role)
            for i in (self.rq.user_information if self.rq else ())
            if isinstance(i, RoleSelectionItem)
        }
        accepted = negotiate_as_requestor(
            self.requested_contexts,
            ac.presentation_contexts,
            tuple(i for i in ac.user_information if isinstance(i, RoleSelectionItem)),
            proposed_roles=proposed,
        )
        self.negotiated.accept(
            [c for c in accepted if c.result == 0],
            [c for c in accepted if c.result != 0],
            ac.maximum_length or 0,
        )
        self.facade._set_contexts(self.negotiated.accepted, self.negotiated.rejected)
        self.facade._update(established=True)
        self._notify(evt.EVT_ACCEPTED)
        self._notify(evt.EVT_ESTABLISHED)
        self._resolve_associate(AssociateOutcome("established"))

    def _on_AAssociateConfirmReject(self, message: AAssociateConfirmReject) -> None:
        self._notify(evt.EVT_ACSE_RECV, primitive=message.pdu)
        self.facade._update(rejected=True, reject=message.pdu)
        self._notify(evt.EVT_REJECTED)
        self._resolve_associate(AssociateOutcome("rejected", reject=message.pdu))

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
        self.facade._update(established=False, released=True)
        self._notify(evt.EVT_RELEASED)

    def _on_AReleaseConfirm(self, message: AReleaseConfirm) -> None:
        if self.release_collision and not self.is_requestor:
            self._tell_dul(AReleaseResponse())
        self.facade._update(established=False, released=True)
        self._finish_waiters("released")
        self._notify(evt.EVT_RELEASED)
        if self.release_done is not None and not self.release_done.done():
            self.release_done.set_result(True)

    def _on_AAbortIndication(self, message: AAbortIndication) -> None:
        already = self.facade.is_aborted
        self.facade._update(established=False, aborted=True, abort_pdu=message.pdu)
        self._finish_waiters(message.reason)
        if not already:
            self._notify(evt.EVT_ABORTED)
        self._resolve_associate(AssociateOutcome("aborted", reason=message.reason))

    def _on_TransportReleased(self, message: TransportReleased) -> None:
        self._resolve_associate(AssociateOutcome("aborted", reason=message.reason))
        if self.facade.is_established:
            self.facade._update(established=False, aborted=True)
            self._notify(evt.EVT_ABORTED)
        self._finish_waiters(message.reason)
        self._notify(evt.EVT_CONN_CLOSE, address=self.facade._remote)
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
        if short and not self.on_service_thread:
            self._strand_service().tell(request)
        else:
            self.on_service_thread.add(msg.message_id)
            self._service_thread().tell(request)

    def _strand_service(self) -> pykka.ActorRef[Any]:
        """The service actor on this strand, started with the first short request."""
        if self.strand_service is None:
            self.strand_service = StrandServiceActor.start(
                self.strand, self.facade, self.handlers, self.actor_ref
            )
        return self.strand_service

    def _service_thread(self) -> pykka.ActorRef[Any]:
        """The service actor on a thread, started with the first request that needs it:
        an association that is never asked a C-FIND, C-GET or C-MOVE has none."""
        if self.service is None:
            self.service = ServiceActor.start(
                self.facade, self.handlers, self.actor_ref, self.facade._threads, self.strand
            )
        return self.service

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
        self.facade._update(established=False, aborted=True)
        self._finish_waiters("aborted: protocol error")
        self._notify(evt.EVT_ABORTED)

    def _resolve_associate(self, outcome: AssociateOutcome) -> None:
        if self.associate_done is not None and not self.associate_done.done():
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
            self.release_done.set_result(self.facade.is_released)

    # -- acceptor decisions (PS3.8 7.1.1, PS3.7 D.3.3) ---------------------

    def _decide(self, rq: AAssociateRQ) -> AAssociateAC | AAssociateRJ:
        cfg = self.config
        if cfg.over_limit:
            return AAssociateRJ(2, 3, 2)  # transient, presentation provider, local limit
        if rq.application_context_name != DICOM_APPLICATION_CONTEXT:
            return AAssociateRJ(1, 1, 2)
        if cfg.require_called_aet and rq.called_ae_title != cfg.ae_title:
            return AAssociateRJ(1, 1, 7)
        if cfg.require_calling_aet and rq.calling_ae_title not in cfg.require_calling_aet:
            return AAssociateRJ(1, 1, 3)

        # Maximum length, implementation class UID and version name: the same
        # immutable items for every association of this AE.
        user_info: list[Any] = list(
            base_user_information(
                cfg.maximum_pdu_size,
                cfg.implementation_class_uid,
                cfg.implementation_version_name,
            )
        )
        identity = next((i for i in rq.user_information if isinstance(i, UserIdentityRQItem)), None)
        if identity is not None and self.handlers.get(evt.EVT_USER_ID):
            try:
                verified, response = evt.trigger_intervention(
                    self.handlers,
                    self.facade,
                    evt.EVT_USER_ID,
                    user_id_type=identity.identity_type,
                    primary_field=identity.primary_field,
                    secondary_field=identity.secondary_field,
                )
            except Exception:
                LOGGER.exception("EVT_USER_ID handler raised: rejecting")
                verified, response = False, None
            if not verified:
                return AAssociateRJ(1, 1, 1)
            if identity.positive_response_requested and response is not None:
                user_info.append(UserIdentityACItem(bytes(response)))

        roles = {
            i.sop_class_uid: (i.scu_role, i.scp_role)
            for i in rq.user_information
            if isinstance(i, RoleSelectionItem)
        }
        ac_items, accepted, role_items = negotiate_as_acceptor(
            rq.presentation_contexts,
            cfg.supported_contexts,
            roles,
            transfer_syntax_choice=cfg.transfer_syntax_choice,
        )
        rejected = rejected_contexts(rq.presentation_contexts, ac_items)
        self.negotiated.accept(list(accepted), rejected, rq.maximum_length or 0)
        self.facade._set_contexts(self.negotiated.accepted, rejected)
        extra = len(user_info)
        user_info.extend(role_items)
        user_info.extend(self._extended_responses(rq))
        if len(user_info) > extra or identity is not None:
            user_info = ordered_user_information(user_info)
        return AAssociateAC(
            called_ae_title=rq.called_ae_title,
            calling_ae_title=rq.calling_ae_title,
            presentation_contexts=tuple(ac_items),
            user_information=tuple(user_info),
            application_context_name=rq.application_context_name,
        )

    def _extended_responses(self, rq: AAssociateRQ) -> list[Any]:
        out: list[Any] = []
        window = next(
            (i for i in rq.user_information if isinstance(i, AsynchronousOperationsWindowItem)),
            None,
        )
        # Without a handler no response item is sent: the window is then the
        # default of one outstanding operation each way (PS3.7 D.3.3.3).
        if window is not None and self.handlers.get(evt.EVT_ASYNC_OPS):
            try:
                invoked, performed = evt.trigger_intervention(
                    self.handlers,
                    self.facade,
                    evt.EVT_ASYNC_OPS,
                    invoked=window.maximum_invoked,
                    performed=window.maximum_performed,
                    # pynetdicom documents the two names above but passes these:
                    nr_invoked=window.maximum_invoked,
                    nr_performed=window.maximum_performed,
                )
                out.append(AsynchronousOperationsWindowItem(int(invoked), int(performed)))
            except Exception:
                LOGGER.exception("EVT_ASYNC_OPS handler raised: no response item sent")
        extended = {
            i.sop_class_uid: i.service_class_application_information
            for i in rq.user_information
            if isinstance(i, SOPClassExtendedNegotiationItem)
        }
        if extended and self.handlers.get(evt.EVT_SOP_EXTENDED):
            try:
                answers = evt.trigger_intervention(
                    self.handlers, self.facade, evt.EVT_SOP_EXTENDED, app_info=extended
                )
            except Exception:
                LOGGER.exception("EVT_SOP_EXTENDED handler raised: no response items")
                answers = {}
            for uid, info in (answers or {}).items():
                if info is not None and uid in extended:
                    out.append(SOPClassExtendedNegotiationItem(str(uid), bytes(info)))
        common = {
            i.sop_class_uid: i
            for i in rq.user_information
            if isinstance(i, SOPClassCommonExtendedNegotiationItem)
        }
        if common and self.handlers.get(evt.EVT_SOP_COMMON):
            try:
                agreed = evt.trigger_intervention(
                    self.handlers, self.facade, evt.EVT_SOP_COMMON, items=common
                )
            except Exception:
                LOGGER.exception("EVT_SOP_COMMON handler raised: none accepted")
                agreed = {}
            self.facade._set_common_extended(dict(agreed or {}))
        return out


def _is_pending_status(status: int) -> bool:
    return status in (0xFF00, 0xFF01)
