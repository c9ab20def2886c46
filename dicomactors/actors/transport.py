"""Sockets: connecting, TLS, and the blocking reader thread of a connection.

The reader thread is the only place that calls ``recv``. It blocks there (no
polling), turns bytes into PDUs with the pure :class:`PDUReader` and tells the
DUL actor about them, in order, followed by the close. A PDU that arrived
just before the peer closed is therefore always delivered before the close.

P-DATA is delivered per message part rather than per PDU (:class:`PDataBatch`):
the PDVs of consecutive P-DATA-TF PDUs travel to the DUL as one P-DATA-TF once
a fragment sequence ends, so the DUL and DIMSE actors see a 512 KiB data set
in 16 KiB PDUs as one message instead of 33.
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from time import monotonic

import pykka

from dicomactors.actors.messages import (
    Address,
    InvalidPDUReceived,
    PDUReceived,
    TLSClient,
    TLSEstablished,
    TransportClosed,
)
from dicomactors.pdu import PDataTF, PDUDecodeError, PDUReader, encode_pdu
from dicomactors.pdu.pdus import PDU, PresentationDataValue

LOGGER = logging.getLogger("dicomactors.transport")

#: Socket buffer sizes: large enough for a 1 MiB PDU to move in a few calls.
SOCKET_BUFFER = 4 * 1024 * 1024


def tune_socket(sock: socket.socket) -> None:
    """TCP_NODELAY (DIMSE is request/response: Nagle only adds delay) and big buffers."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
    except OSError:
        pass


def connect(
    address: Address,
    timeout: float | None,
    bind_address: Address | None = None,
    tls: TLSClient | None = None,
) -> socket.socket:
    """Open a TCP (and optionally TLS) connection; raises OSError on failure."""
    sock = socket.create_connection(address, timeout=timeout, source_address=bind_address)
    try:
        tune_socket(sock)
        if tls is not None:
            sock = tls.context.wrap_socket(sock, server_hostname=tls.server_hostname)
        sock.settimeout(None)
    except BaseException:
        sock.close()
        raise
    return sock


_PDV_HEADER = struct.Struct(">BxII BB")

#: Linux accepts at most 1024 buffers in one ``sendmsg`` (IOV_MAX).
_MAX_BUFFERS = 1024


def pdata_parts(pdu: PDataTF) -> list[bytes | memoryview]:
    """A P-DATA-TF PDU as header bytes and the PDV data itself, for :func:`send_buffers`.

    The data set fragment goes out as the memoryview it already is: it is never
    copied into a new bytes object per PDU.
    """
    if len(pdu.pdvs) != 1:
        return [encode_pdu(pdu)]
    pdv = pdu.pdvs[0]
    size = len(pdv.data)
    header = _PDV_HEADER.pack(0x04, size + 6, size + 2, pdv.context_id, pdv.message_control_header)
    return [header, pdv.data]


def send_buffers(sock: socket.socket, buffers: list[bytes | memoryview]) -> None:
    """Send ``buffers`` back to back, with as few system calls as the kernel allows.

    A plain socket gets them in ``sendmsg`` calls (gathered writes, no joining);
    a TLS socket, which has no ``sendmsg``, gets them joined into one record stream.
    """
    if isinstance(sock, ssl.SSLSocket):
        sock.sendall(b"".join(buffers))
        return
    pending = [memoryview(b).cast("B") for b in buffers if len(b)]
    while pending:
        batch = pending[:_MAX_BUFFERS]
        sent = sock.sendmsg(batch)
        # Drop what went out; a partial send leaves the rest of one buffer.
        index = 0
        while index < len(batch) and sent >= len(batch[index]):
            sent -= len(batch[index])
            index += 1
        del pending[:index]
        if sent:
            pending[0] = pending[0][sent:]


def close_socket(sock: socket.socket) -> None:
    """Shut down both directions (this wakes the reader's recv) and close."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _quiet(deliver: Callable[[object], None]) -> Callable[[object], None]:
    """``deliver`` that ignores a receiver that has already stopped."""

    def send(message: object) -> None:
        try:
            deliver(message)
        except pykka.ActorDeadError:
            pass

    return send


#: P-DATA held back in the reader is delivered once it reaches this many bytes...
HOLD_BYTES = 4 * 1024 * 1024
#: ...or has waited this long for the rest of its fragment sequence.
HOLD_SECONDS = 0.5


class PDataBatch:
    """P-DATA PDVs received but not yet delivered, until a fragment sequence ends.

    Nothing can be done with part of a command or data set except buffer it, so
    the reader keeps the PDVs of consecutive P-DATA-TF PDUs and delivers them
    as one P-DATA-TF (PS3.8 9.3.5 allows any number of PDVs in one) when a PDV
    with the last-fragment bit arrives, when another kind of PDU arrives, when
    ``HOLD_BYTES`` are held (so a huge data set still reaches the DIMSE actor,
    and its PDU buffers are freed, as it comes) or when the oldest has waited
    ``HOLD_SECONDS`` (so a slow peer's data still restarts the idle timer).
    """

    def __init__(self, hold_bytes: int = HOLD_BYTES, hold_seconds: float = HOLD_SECONDS) -> None:
        self.hold_bytes = hold_bytes
        self.hold_seconds = hold_seconds
        self._pdvs: list[PresentationDataValue] = []
        self._size = 0
        self._since = 0.0

    def add(self, pdus: list[PDU], now: float) -> list[PDU]:
        """Take the PDUs of one receive; return those to deliver now, in order."""
        out: list[PDU] = []
        held = self._pdvs
        ends = False
        for pdu in pdus:
            if type(pdu) is PDataTF:
                if not held:
                    self._since = now
                for pdv in pdu.pdvs:
                    held.append(pdv)
                    self._size += len(pdv.data)
                    ends = ends or pdv.is_last
            else:
                out.extend(self.flush())
                held = self._pdvs
                out.append(pdu)
        if held and (
            ends or self._size >= self.hold_bytes or now - self._since >= self.hold_seconds
        ):
            out.extend(self.flush())
        return out

    def flush(self) -> list[PDU]:
        """Whatever is held, as one P-DATA-TF (or nothing)."""
        if not self._pdvs:
            return []
        pdu = PDataTF(tuple(self._pdvs))
        self._pdvs = []
        self._size = 0
        return [pdu]


class SocketReader(threading.Thread):
    """Blocks on ``recv_into`` and tells ``deliver`` about PDUs and the close."""

    def __init__(
        self,
        sock: socket.socket,
        reader: PDUReader,
        deliver: Callable[[object], None],
        name: str,
        tls_server: ssl.SSLContext | None = None,
        handshake_timeout: float | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.sock = sock
        self._reader = reader
        self._deliver = _quiet(deliver)
        self._tls_server = tls_server
        self._handshake_timeout = handshake_timeout
        self._batch = PDataBatch()

    def _handshake(self) -> None:
        assert self._tls_server is not None
        raw = self.sock
        raw.settimeout(self._handshake_timeout)
        tls = self._tls_server.wrap_socket(raw, server_side=True)
        tls.settimeout(None)
        self.sock = tls

    def run(self) -> None:
        reason = "peer closed the connection"
        try:
            if self._tls_server is not None:
                self._handshake()
                self._deliver(TLSEstablished(self.sock))  # type: ignore[arg-type]
            self._read()
        except PDUDecodeError as exc:
            self._deliver_held()
            self._deliver(InvalidPDUReceived(exc))
            reason = self._drain()
        except (OSError, ValueError) as exc:
            reason = f"connection lost: {exc}"
        self._deliver_held()
        self._deliver(TransportClosed(reason))

    def _deliver_held(self) -> None:
        for pdu in self._batch.flush():
            self._deliver(PDUReceived(pdu))

    def _read(self) -> None:
        reader = self._reader
        recv_into = self.sock.recv_into
        deliver = self._deliver
        batch = self._batch
        while True:
            buf = reader.recv_buffer()
            n = recv_into(buf)
            if n == 0:
                return
            pdus = reader.advance(n)
            if pdus:
                for pdu in batch.add(pdus, monotonic()):
                    deliver(PDUReceived(pdu))

    def _drain(self) -> str:
        """After a bad PDU: discard input until the peer or the DUL closes."""
        scratch = bytearray(65536)
        try:
            while self.sock.recv_into(scratch):
                pass
        except (OSError, ValueError) as exc:
            return f"connection lost: {exc}"
        return "peer closed the connection"
