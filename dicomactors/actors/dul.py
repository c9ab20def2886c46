"""The DUL actor: one per connection, the only owner of its socket and ARTIM.

It holds the PS3.8 state, feeds every primitive, PDU and timer into the pure
:func:`dicomactors.fsm.step`, and carries out the effects it returns. It reads
its own socket: the strand it runs on polls the socket and calls
:meth:`DULActor._on_readable`, which turns what arrived into PDUs
(:class:`dicomactors.actors.transport.Receiver`) and steps the state table
with each (Evt19 for a malformed one). Primitives arrive from the association
actor (A-ASSOCIATE, A-RELEASE, A-ABORT) and the DIMSE actor (P-DATA). Indications
go up with ``tell``: P-DATA to the DIMSE actor, everything else to the
association actor. Its timers (ARTIM, idle, reply) fire on its strand too.

When the state returns to Sta1 the socket is closed, the association actor
told with :class:`TransportReleased`, and the actor stops itself.
"""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass
from time import monotonic
from typing import Any

import pykka

from dicomactors import fsm
from dicomactors._logging import PDU_LOGGER, log_pdu_bytes
from dicomactors.actors.messages import (
    AAbortIndication,
    AAbortRequest,
    AAssociateConfirmAccept,
    AAssociateConfirmReject,
    AAssociateIndication,
    AAssociateRequest,
    AAssociateResponse,
    AReleaseConfirm,
    AReleaseIndication,
    AReleaseRequest,
    AReleaseResponse,
    ArtimExpired,
    ConnectionFailed,
    ForwardUp,
    IdleTimeout,
    NetworkTimeoutExpired,
    PDataIndication,
    PDataRequest,
    TransportClosed,
    TransportOpened,
    TransportReleased,
)
from dicomactors.actors.runtime import Strand, StrandActor
from dicomactors.actors.timers import ActorTimer
from dicomactors.actors.transport import (
    Receiver,
    SendBuffer,
    close_socket,
    connect,
    continue_handshake,
    discard_input,
    pdata_parts,
    send_buffers,
    start_tls_server,
    tune_socket,
)
from dicomactors.describe import describe_pdu
from dicomactors.fsm import Effect, Event, State
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AbortReason,
    AbortSource,
    ACSERejectReason,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PDUDecodeError,
    PDUReader,
    RejectResult,
    RejectSource,
    encode_pdu,
)

LOGGER = logging.getLogger("dicomactors.dul")

#: The answer to an A-ASSOCIATE-RQ of a protocol version we do not speak (AE-6).
_PROTOCOL_VERSION_NOT_SUPPORTED = AAssociateRJ(
    RejectResult.PERMANENT,
    RejectSource.SERVICE_PROVIDER_ACSE,
    ACSERejectReason.PROTOCOL_VERSION_NOT_SUPPORTED,
)

_PDU_EVENTS: dict[type, Event] = {
    AAssociateAC: Event.EVT3_A_ASSOCIATE_AC_RECEIVED,
    AAssociateRJ: Event.EVT4_A_ASSOCIATE_RJ_RECEIVED,
    AAssociateRQ: Event.EVT6_A_ASSOCIATE_RQ_RECEIVED,
    PDataTF: Event.EVT10_P_DATA_RECEIVED,
    AReleaseRQ: Event.EVT12_A_RELEASE_RQ_RECEIVED,
    AReleaseRP: Event.EVT13_A_RELEASE_RP_RECEIVED,
    AAbort: Event.EVT16_A_ABORT_RECEIVED,
}

_PRIMITIVE_EVENTS: dict[type, Event] = {
    AAssociateRequest: Event.EVT1_A_ASSOCIATE_RQ_LOCAL,
    PDataRequest: Event.EVT9_P_DATA_LOCAL,
    AReleaseRequest: Event.EVT11_A_RELEASE_RQ_LOCAL,
    AReleaseResponse: Event.EVT14_A_RELEASE_RESPONSE_LOCAL,
    AAbortRequest: Event.EVT15_A_ABORT_LOCAL,
}

_NETWORK_TIMEOUT = "network timeout: no PDU for the network_timeout"

#: States in which this side waits for the peer's answer to its own request.
_AWAITING_PEER = frozenset({State.STA5_AWAITING_AC_OR_RJ, State.STA7_AWAITING_RELEASE_RP})


@dataclass(frozen=True, slots=True)
class DULConfig:
    """Timeouts and limits of one connection, fixed when it starts.

    ``acse_timeout`` is ARTIM and also bounds the wait for an A-ASSOCIATE-AC/RJ
    and an A-RELEASE-RP. ``network_timeout`` aborts a connection idle that
    long. ``maximum_length`` caps what the reader accepts (our Maximum Length
    Received; 0 = the reader's own cap).
    """

    acse_timeout: float | None = 30.0
    network_timeout: float | None = 60.0
    maximum_length: int = 0
    tls_handshake_timeout: float | None = 30.0


@dataclass(frozen=True, slots=True)
class _ReplyTimeout:
    generation: int


@dataclass(frozen=True, slots=True)
class _ReadMore:
    """Posted to itself when a read stopped at its budget: read on after the queue."""


@dataclass(frozen=True, slots=True)
class _HandshakeTimeout:
    generation: int


@dataclass(frozen=True, slots=True)
class _Stop:
    """Sent by the owner when it must go away now (e.g. server shutdown)."""


class DULActor(StrandActor):
    def __init__(
        self,
        strand: Strand,
        upper: pykka.ActorRef[Any],
        dimse: pykka.ActorRef[Any],
        config: DULConfig,
        *,
        sock: socket.socket | None = None,
        tls_server: ssl.SSLContext | None = None,
        name: str = "dul",
    ) -> None:
        super().__init__(strand)
        self.upper = upper
        self.dimse = dimse
        self.config = config
        self.state = State.STA1_IDLE
        self.is_requestor = sock is None
        self.sock = sock
        self.tls_server = tls_server
        self.name = name
        self.receiver: Receiver | None = None
        self.handshaking = False
        self.draining = False
        # The idle timer is armed once and checks, when it fires, how long the
        # connection has really been idle: no timer restart per PDU.
        self.last_activity = monotonic()
        # The timers post through the ref, not ``self``: no reference cycle.
        tell = self.actor_ref.tell
        self.artim = ActorTimer(lambda g: tell(ArtimExpired(g)), strand)
        self.idle = ActorTimer(lambda g: tell(IdleTimeout(g)), strand)
        self.reply = ActorTimer(lambda g: tell(_ReplyTimeout(g)), strand)
        self.handshake = ActorTimer(lambda g: tell(_HandshakeTimeout(g)), strand)
        self._close_reason = ""
        self._finished = False
        # Set by a successful connect (AE-1): Evt2 follows once that step is done.
        self._connected = False

    # -- lifecycle ---------------------------------------------------------

    def on_start(self) -> None:
        if self.sock is not None:
            self._step(Event.EVT5_TRANSPORT_INDICATION, None)

    def on_stop(self) -> None:
        self._teardown()

    def on_failure(self, *args: Any) -> None:
        self._teardown()

    def _teardown(self) -> None:
        self.artim.stop()
        self.idle.stop()
        self.reply.stop()
        self.handshake.stop()
        self._close_transport()
        if not self._finished:
            self._finished = True
            self._up(TransportReleased(self._close_reason or "stopped"))

    # -- messages ----------------------------------------------------------

    def on_receive(self, message: Any) -> Any:
        try:
            self._receive(message)
        except Exception as exc:  # a bug here must not leave a socket open
            LOGGER.exception("%s: unexpected error, closing the connection", self.name)
            self._close_reason = f"internal error: {exc}"
            self.stop_soon()

    def _receive(self, message: Any) -> None:
        kind = type(message)
        if kind is _ReadMore:
            self._on_readable()
        elif kind is TransportClosed:
            if not self._close_reason:
                self._close_reason = message.reason
            self._step(Event.EVT17_TRANSPORT_CLOSED, message)
        elif kind is AAssociateResponse:
            event = (
                Event.EVT7_A_ASSOCIATE_ACCEPT_LOCAL
                if isinstance(message.pdu, AAssociateAC)
                else Event.EVT8_A_ASSOCIATE_REJECT_LOCAL
            )
            self._step(event, message.pdu)
        elif kind is AAbortRequest and self.state is State.STA2_TRANSPORT_OPEN_AWAITING_RQ:
            # Before its A-ASSOCIATE-RQ a connection holds no association to
            # abort: it is closed as ARTIM expiry closes it there (AA-2).
            self.artim.stop()
            self._close_reason = "closed locally before an A-ASSOCIATE-RQ"
            self._step(Event.EVT18_ARTIM_EXPIRED, None)
        elif kind in _PRIMITIVE_EVENTS:
            if kind is AAbortRequest and message.reason:
                self._close_reason = self._close_reason or message.reason
            self._step(_PRIMITIVE_EVENTS[kind], message)
        elif kind is ArtimExpired:
            if self.artim.is_current(message.generation):
                self.artim.stop()
                self._close_reason = "ARTIM timer expired"
                self._step(Event.EVT18_ARTIM_EXPIRED, None)
        elif kind is IdleTimeout:
            if self.idle.is_current(message.generation):
                self._idle_check()
        elif kind is _HandshakeTimeout:
            if self.handshake.is_current(message.generation) and self.handshaking:
                self._lost("TLS handshake did not finish within the acse_timeout")
        elif kind is _ReplyTimeout:
            if self.reply.is_current(message.generation):
                self._local_abort("acse timeout: the peer did not answer in time")
        elif kind is _Stop:
            self._local_abort("stopped by its owner")
            if self.state is not State.STA1_IDLE:
                self._close_reason = self._close_reason or "stopped by its owner"
                self.stop_soon()
        else:
            LOGGER.warning("%s: unexpected message %r", self.name, message)

    def _up(self, message: Any) -> None:
        """Tell the association actor, unless it has already gone."""
        try:
            self.upper.tell(message)
        except pykka.ActorDeadError:
            pass

    def _local_abort(self, reason: str) -> None:
        self._close_reason = reason
        self._up(AAbortIndication(None, reason))
        self._step(
            Event.EVT15_A_ABORT_LOCAL,
            AAbortRequest(AAbort(AbortSource.SERVICE_PROVIDER, AbortReason.NOT_SPECIFIED)),
        )

    # -- the state machine -------------------------------------------------

    def _step(self, event: Event, payload: Any) -> None:
        acceptable = True
        if event is Event.EVT6_A_ASSOCIATE_RQ_RECEIVED:
            acceptable = bool(payload.protocol_version & 1)
        transition = fsm.step(
            self.state, event, associate_rq_acceptable=acceptable, is_requestor=self.is_requestor
        )
        if transition.action is fsm.Action.REFUSE:
            LOGGER.warning(
                "%s: %s is not allowed in %s; refused", self.name, event.name, self.state.name
            )
            return
        previous, self.state = self.state, transition.next_state
        if LOGGER.isEnabledFor(logging.DEBUG):  # the names cost more than the step
            LOGGER.debug(
                "%s: %s + %s -> %s -> %s",
                self.name,
                previous.name,
                event.name,
                transition.action.value,
                self.state.name,
            )
        for effect in transition.effects:
            self._apply(effect, transition.action, event, payload)
        if self.state in _AWAITING_PEER and previous not in _AWAITING_PEER:
            self.reply.start(self.config.acse_timeout)
        elif self.reply.running and self.state not in _AWAITING_PEER:
            self.reply.stop()
        if self.state is State.STA1_IDLE and not self._finished:
            self.stop_soon()
        elif self._connected:
            # Straight on, not through the queue: the A-ASSOCIATE-RQ goes out
            # before the association actor hears of the open connection.
            self._connected = False
            self._step(Event.EVT2_TRANSPORT_CONNECTED, None)

    def _apply(self, effect: Effect, action: fsm.Action, event: Event, payload: Any) -> None:
        if effect is Effect.CONNECT_TRANSPORT:
            self._connect(payload)
        elif effect is Effect.ACCEPT_TRANSPORT:
            assert self.sock is not None
            tune_socket(self.sock)
            self._start_reading()
            self._opened()
        elif effect is Effect.SEND_ASSOCIATE_RQ:
            self._send(self._pending_rq)
        elif effect in (Effect.SEND_ASSOCIATE_AC, Effect.SEND_ASSOCIATE_RJ):
            if isinstance(payload, AAssociateRQ):  # AE-6 not acceptable
                payload = _PROTOCOL_VERSION_NOT_SUPPORTED
                self._close_reason = "protocol version not supported"
            self._send(payload)
        elif effect is Effect.SEND_P_DATA:
            self._send_pdata(payload.pdus)
        elif effect is Effect.SEND_RELEASE_RQ:
            self._send(AReleaseRQ())
        elif effect is Effect.SEND_RELEASE_RP:
            self._send(AReleaseRP())
        elif effect is Effect.SEND_ABORT:
            if event is Event.EVT15_A_ABORT_LOCAL:
                pdu = payload.pdu
            else:
                reason = getattr(payload, "abort_reason", None)
                pdu = fsm.abort_pdu_for(action, event, decoder_reason=reason)
                self._close_reason = self._describe_fault(event, payload)
            self._send(pdu)
        elif effect is Effect.INDICATE_ASSOCIATE:
            self._up(AAssociateIndication(payload))
        elif effect is Effect.CONFIRM_ASSOCIATE_ACCEPTED:
            self._up(AAssociateConfirmAccept(payload))
        elif effect is Effect.CONFIRM_ASSOCIATE_REJECTED:
            self._close_reason = "association rejected"
            self._up(AAssociateConfirmReject(payload))
        elif effect is Effect.INDICATE_P_DATA:
            self.dimse.tell(PDataIndication(payload))
        elif effect is Effect.INDICATE_RELEASE:
            # Through the DIMSE actor, behind the P-DATA that came before it, so
            # that the association sees the peer's last requests before the release.
            self.dimse.tell(ForwardUp(AReleaseIndication()))
        elif effect is Effect.INDICATE_RELEASE_COLLISION:
            self._up(AReleaseIndication(collision=True))
        elif effect is Effect.CONFIRM_RELEASE:
            self._close_reason = "released"
            self._up(AReleaseConfirm())
        elif effect is Effect.INDICATE_ABORT:
            self._close_reason = "aborted by the peer"
            self._up(AAbortIndication(payload, "A-ABORT received from the peer"))
        elif effect is Effect.INDICATE_P_ABORT:
            reason = self._describe_fault(event, payload)
            self._close_reason = self._close_reason or reason
            self._up(AAbortIndication(None, reason))
        elif effect is Effect.START_ARTIM:
            self.artim.start(self.config.acse_timeout)
        elif effect is Effect.STOP_ARTIM:
            self.artim.stop()
        elif effect is Effect.CLOSE_TRANSPORT:
            self._close_transport()

    @staticmethod
    def _describe_fault(event: Event, payload: Any) -> str:
        if event is Event.EVT19_INVALID_PDU_RECEIVED:
            return f"invalid PDU received: {payload}"
        if event is Event.EVT17_TRANSPORT_CLOSED:
            return getattr(payload, "reason", "connection closed")
        if event is Event.EVT18_ARTIM_EXPIRED:
            return "ARTIM timer expired"
        if event is Event.EVT15_A_ABORT_LOCAL:
            return "aborted locally"
        return f"unexpected {type(payload).__name__} PDU"

    # -- transport ---------------------------------------------------------

    def _connect(self, request: AAssociateRequest) -> None:
        self._pending_rq = request.pdu
        try:
            self.sock = connect(
                request.address, request.connection_timeout, request.bind_address, request.tls
            )
        except (OSError, ssl.SSLError) as exc:
            self._close_reason = f"connection failed: {exc}"
            self._up(ConnectionFailed(str(exc)))
            self.state = State.STA1_IDLE
            return
        self._start_reading()
        self._opened()
        self._connected = True

    def _opened(self) -> None:
        assert self.sock is not None
        try:
            local = self.sock.getsockname()[:2]
            remote = self.sock.getpeername()[:2]
        except OSError:
            local = remote = ("", 0)
        self.last_activity = monotonic()
        self.idle.start(self.config.network_timeout)
        self._up(TransportOpened(local, remote))

    def _start_reading(self) -> None:
        """Make the socket non-blocking and have the strand call us when it is readable."""
        assert self.sock is not None
        reader = PDUReader()
        if self.config.maximum_length:
            # Our Maximum Length Received bounds the P-DATA-TF variable field
            # (PS3.8 D.1): a larger PDU is refused by the reader (Evt19, A-ABORT).
            reader.maximum_length = self.config.maximum_length
        self.sock.setblocking(False)
        if self.tls_server is not None:
            try:
                self.sock = start_tls_server(self.sock, self.tls_server)
            except (OSError, ssl.SSLError) as exc:
                self.actor_ref.tell(TransportClosed(f"connection lost: TLS failed: {exc}"))
                return
            self.handshaking = True
            self.handshake.start(self.config.tls_handshake_timeout)
        self.receiver = Receiver(self.sock, reader)
        self.strand.watch(self.sock, self._on_readable)

    def _on_readable(self) -> None:
        """The socket has something: a handshake step, bytes to discard, or PDUs."""
        try:
            self._read()
        except Exception as exc:  # a bug here must not leave a socket open
            LOGGER.exception("%s: unexpected error reading, closing the connection", self.name)
            self._close_reason = f"internal error: {exc}"
            self.stop_soon()

    def _read(self) -> None:
        sock, receiver = self.sock, self.receiver
        if sock is None or receiver is None:
            return
        if self.handshaking:
            try:
                if not continue_handshake(sock, self.config.network_timeout):  # type: ignore[arg-type]
                    return
            except (OSError, ssl.SSLError) as exc:
                self._lost(f"connection lost: TLS handshake failed: {exc}")
                return
            self.handshaking = False
            self.handshake.stop()
        if self.draining:
            try:
                closed = discard_input(sock)
            except OSError as exc:
                self._lost(f"connection lost: {exc}")
                return
            if closed:
                self._lost("peer closed the connection")
            return
        self.last_activity = monotonic()
        try:
            pdus, closed, more = receiver.read()
        except PDUDecodeError as exc:
            self._received(receiver.held())
            self.draining = True
            self._step(Event.EVT19_INVALID_PDU_RECEIVED, exc)
            return
        except OSError as exc:
            self._received(receiver.held())
            self._lost(f"connection lost: {exc}")
            return
        self._received(pdus)
        if closed:
            self._lost("peer closed the connection")
        elif more:
            self.actor_ref.tell(_ReadMore())

    def _received(self, pdus: list[Any]) -> None:
        for pdu in pdus:
            if LOGGER.isEnabledFor(logging.DEBUG):
                LOGGER.debug("%s: received %s", self.name, describe_pdu(pdu))
            if PDU_LOGGER.isEnabledFor(logging.DEBUG):
                log_pdu_bytes(self.name, "received", encode_pdu(pdu))
            self._step(_PDU_EVENTS[type(pdu)], pdu)

    def _lost(self, reason: str) -> None:
        """The connection is gone (closed by the peer, failed): Evt17 once."""
        if self.receiver is None:
            return
        self.strand.unwatch()
        self.receiver = None
        self._receive(TransportClosed(reason))

    def _close_transport(self) -> None:
        """Close the socket (no more polling on it first)."""
        self.strand.unwatch()
        self.receiver = None
        if self.sock is not None:
            close_socket(self.sock)

    def _idle_check(self) -> None:
        timeout = self.config.network_timeout
        if timeout is None:
            return
        idle_for = monotonic() - self.last_activity
        if idle_for < timeout:
            self.idle.start(timeout - idle_for)
        elif self.state is State.STA6_ESTABLISHED:
            # Release or abort is the association's choice (its network_timeout_response).
            self._up(NetworkTimeoutExpired(_NETWORK_TIMEOUT))
        else:
            self._local_abort(_NETWORK_TIMEOUT)

    def _send(self, pdu: Any) -> None:
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug("%s: sending %s", self.name, describe_pdu(pdu))
        data = encode_pdu(pdu)
        if PDU_LOGGER.isEnabledFor(logging.DEBUG):
            log_pdu_bytes(self.name, "sent", data)
        self._write([data])

    def _send_pdata(self, pdus: tuple[PDataTF, ...]) -> None:
        """Send the P-DATA-TF PDUs of one request in gathered writes.

        A request from the DIMSE actor is one whole message, command and data
        set: its PDUs (header and fragment buffers, never joined) go out
        together, in writes of up to ``_SEND_BATCH`` bytes, so that the peer
        is woken once for a command and its data set rather than once each.
        """
        pending: list[SendBuffer] = []
        size = 0
        for pdu in pdus:
            if LOGGER.isEnabledFor(logging.DEBUG):
                LOGGER.debug("%s: sending %s", self.name, describe_pdu(pdu))
            parts = pdata_parts(pdu)
            if PDU_LOGGER.isEnabledFor(logging.DEBUG):
                log_pdu_bytes(self.name, "sent", b"".join(_bytes_of(part) for part in parts))
            pending.extend(parts)
            size += len(pending[-1])
            if size >= _SEND_BATCH:
                self._write(pending)
                pending = []
                size = 0
        if pending:
            self._write(pending)

    def _write(self, buffers: list[SendBuffer]) -> None:
        if self.sock is None or self.receiver is None:
            return  # closed (or never opened): nothing can be sent any more
        try:
            send_buffers(self.sock, buffers, self.config.network_timeout)
        except OSError as exc:
            self._close_reason = f"send failed: {exc}"
            self._close_transport()
            self.actor_ref.tell(TransportClosed(self._close_reason))
        else:
            self.last_activity = monotonic()


def _bytes_of(part: SendBuffer) -> bytes:
    """A send buffer's bytes (a file region's read from its file), for the PDU log."""
    return part if isinstance(part, bytes) else part.tobytes()


#: Bytes of P-DATA queued before a gathered write even in the middle of a message.
_SEND_BATCH = 1024 * 1024

STOP = _Stop()
