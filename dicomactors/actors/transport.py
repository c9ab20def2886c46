"""Sockets: connecting, TLS, and reading and writing a connection without blocking.

A connection's socket belongs to its DUL actor, which reads and writes it on
the actor's own strand (see :mod:`dicomactors.actors.runtime`): the strand
polls the socket and, when it is readable, the DUL calls
:meth:`Receiver.read`, which takes what the kernel has, turns the bytes into
PDUs with the pure :class:`PDUReader` and returns them. Nothing else reads or
writes the socket, so a TLS connection is never used from two threads.

A data set read from a file goes out as it is stored: its fragments are
:class:`~dicomactors.filedata.FileRegion` values, which :func:`send_buffers`
hands to ``os.sendfile`` so the kernel sends the file's pages itself.

P-DATA is returned per message part rather than per PDU (:class:`PDataBatch`):
the PDVs of consecutive P-DATA-TF PDUs come back as one P-DATA-TF once a
fragment sequence ends, so the DUL and DIMSE actors see a 512 KiB data set in
16 KiB PDUs as one message instead of 33.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import ssl
import struct
from dataclasses import replace
from time import monotonic
from typing import TypeAlias

from dicomactors.actors.messages import Address, TLSClient
from dicomactors.filedata import SENDFILE_MIN, FileRegion
from dicomactors.pdu import PDataTF, PDUReader, encode_pdu
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
    family = _literal_family(address[0]) if bind_address is None else None
    if family is None:
        sock = socket.create_connection(address, timeout=timeout, source_address=bind_address)
    else:
        # An IP address needs no name lookup (create_connection's getaddrinfo and
        # its loop over the answers cost more than the connect on loopback).
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if sock.gettimeout() != timeout:  # settimeout is a system call even when equal
                sock.settimeout(timeout)
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
    try:
        tune_socket(sock)
        if tls is not None:
            sock = tls.context.wrap_socket(sock, server_hostname=tls.server_hostname)
        if sock.gettimeout() is not None:
            sock.settimeout(None)
    except BaseException:
        sock.close()
        raise
    return sock


def _literal_family(host: str) -> socket.AddressFamily | None:
    """AF_INET or AF_INET6 if ``host`` is an IP address literal, else None (a name)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError, TypeError):
            continue
        return family
    return None


_PDV_HEADER = struct.Struct(">BxII BB")

#: Linux accepts at most 1024 buffers in one ``sendmsg`` (IOV_MAX).
_MAX_BUFFERS = 1024

#: Tells the kernel more data follows at once (Linux), so a PDV header sent
#: before a file region shares a TCP segment with the region's first bytes.
_MSG_MORE = getattr(socket, "MSG_MORE", 0)

SendBuffer: TypeAlias = bytes | memoryview | FileRegion
"""What :func:`send_buffers` sends: bytes, or part of a file sent by the kernel."""


def pdata_parts(pdu: PDataTF) -> list[SendBuffer]:
    """A P-DATA-TF PDU as header bytes and the PDV data itself, for :func:`send_buffers`.

    The data set fragment goes out as the memoryview (or file region) it
    already is: it is never copied into a new bytes object per PDU.
    """
    if len(pdu.pdvs) != 1:
        if any(type(pdv.data) is FileRegion for pdv in pdu.pdvs):
            pdu = PDataTF(tuple(replace(pdv, data=bytes(pdv.data)) for pdv in pdu.pdvs))
        return [encode_pdu(pdu)]
    pdv = pdu.pdvs[0]
    size = len(pdv.data)
    header = _PDV_HEADER.pack(0x04, size + 6, size + 2, pdv.context_id, pdv.message_control_header)
    return [header, pdv.data]


def wait_ready(sock: socket.socket, events: int, timeout: float | None) -> None:
    """Block until ``sock`` is ready for ``events`` (POLLIN/POLLOUT); OSError on timeout."""
    poller = select.poll()
    poller.register(sock.fileno(), events)
    if not poller.poll(None if timeout is None else max(1, int(timeout * 1000))):
        raise TimeoutError(f"socket not ready within {timeout} s")


def send_buffers(
    sock: socket.socket, buffers: list[SendBuffer], timeout: float | None = None
) -> None:
    """Send ``buffers`` back to back, with as few system calls as the kernel allows.

    A plain socket gets byte buffers in ``sendmsg`` calls (gathered writes, no
    joining) and file regions through ``os.sendfile``; a TLS socket, which has
    neither, gets them read and joined into one record stream. The socket may
    be non-blocking: when the kernel's buffer is full this waits until it
    drains, up to ``timeout`` seconds without progress.
    """
    if isinstance(sock, ssl.SSLSocket):
        joined = b"".join(bytes(b) if isinstance(b, FileRegion) else b for b in buffers)
        _send_tls(sock, memoryview(joined), timeout)
        return
    if len(buffers) == 1 and not isinstance(one := buffers[0], FileRegion):
        # One PDU (A-ASSOCIATE, A-RELEASE, a small P-DATA): usually one plain send.
        only = memoryview(one).cast("B")
        try:
            sent = sock.send(only)
        except BlockingIOError:
            sent = 0
        if sent == len(only):
            return
        buffers = [only[sent:]]
    if any(type(b) is FileRegion and len(b) < SENDFILE_MIN for b in buffers):
        buffers = _read_small_regions(buffers)
    start = 0
    for index, buffer in enumerate(buffers):
        if type(buffer) is FileRegion:
            if index > start:
                _send_gathered(sock, buffers[start:index], timeout, _MSG_MORE)
            _send_file(sock, buffer, timeout)
            start = index + 1
    if start < len(buffers):
        _send_gathered(sock, buffers[start:], timeout, 0)


def _read_small_regions(buffers: list[SendBuffer]) -> list[SendBuffer]:
    """``buffers`` with regions under ``SENDFILE_MIN`` replaced by their bytes.

    The fragments of one data set are consecutive regions of one file, so a
    run of them (with the PDV headers between them) is read in one ``pread``.
    """
    out = list(buffers)
    index = 0
    while index < len(out):
        first = out[index]
        if not isinstance(first, FileRegion) or len(first) >= SENDFILE_MIN:
            index += 1
            continue
        members = [index]
        last = first
        for later in range(index + 1, len(out)):
            item = out[later]
            if isinstance(item, FileRegion):
                if len(item) >= SENDFILE_MIN or not item.follows(last):
                    break
                members.append(later)
                last = item
        data = memoryview(first.through(last).tobytes())
        for member in members:
            region = out[member]
            assert isinstance(region, FileRegion)
            start = region.offset - first.offset
            out[member] = data[start : start + len(region)]
        index = members[-1] + 1
    return out


def _send_gathered(
    sock: socket.socket, buffers: list[SendBuffer], timeout: float | None, flags: int
) -> None:
    # Only the byte buffers between file regions come here.
    pending = [memoryview(b).cast("B") for b in buffers if len(b)]  # type: ignore[arg-type]
    while pending:
        batch = pending[:_MAX_BUFFERS]
        try:
            sent = sock.sendmsg(batch, (), flags)
        except BlockingIOError:
            wait_ready(sock, select.POLLOUT, timeout)
            continue
        # Drop what went out; a partial send leaves the rest of one buffer.
        index = 0
        while index < len(batch) and sent >= len(batch[index]):
            sent -= len(batch[index])
            index += 1
        del pending[:index]
        if sent:
            pending[0] = pending[0][sent:]


def _send_file(sock: socket.socket, region: FileRegion, timeout: float | None) -> None:
    """Send a file region with ``os.sendfile``: the kernel sends the file's pages."""
    out = sock.fileno()
    source = region.fileno()
    offset = region.offset
    left = len(region)
    while left:
        try:
            sent = os.sendfile(out, source, offset, left)
        except BlockingIOError:
            wait_ready(sock, select.POLLOUT, timeout)
            continue
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            # This file (or socket) cannot be spliced: send the rest as bytes.
            rest = region[offset - region.offset :]
            _send_gathered(sock, [rest.tobytes()], timeout, 0)
            return
        if sent == 0:
            raise OSError(
                errno.EIO,
                f"{region.name} ended at {offset}, inside the region being sent"
                " (the file was shortened)",
            )
        offset += sent
        left -= sent


def _send_tls(sock: ssl.SSLSocket, data: memoryview, timeout: float | None) -> None:
    while data:
        try:
            sent = sock.send(data)
        except (ssl.SSLWantWriteError, BlockingIOError):
            wait_ready(sock, select.POLLOUT, timeout)
            continue
        except ssl.SSLWantReadError:
            wait_ready(sock, select.POLLIN, timeout)
            continue
        data = data[sent:]


def close_socket(sock: socket.socket) -> None:
    """Shut down both directions (this wakes the reader's recv) and close."""
    if sock.fileno() < 0:
        return  # closed already
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


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


#: Bytes one :meth:`Receiver.read` takes before letting the strand serve its messages.
READ_BUDGET = 4 * 1024 * 1024


class Receiver:
    """Reads whatever a non-blocking socket holds and returns it as PDUs."""

    def __init__(self, sock: socket.socket, reader: PDUReader) -> None:
        self.sock = sock
        self._reader = reader
        self._batch = PDataBatch()

    def read(self, budget: int = READ_BUDGET) -> tuple[list[PDU], bool, bool]:
        """``(pdus, closed, more)``: the PDUs now complete, whether the peer closed,
        and whether the budget ran out with data possibly left to read.

        Raises :class:`PDUDecodeError` for a malformed PDU and ``OSError`` when
        the connection fails; call :meth:`held` then for what was complete before.
        """
        reader = self._reader
        recv_into = self.sock.recv_into
        batch = self._batch
        # A plain socket that filled less than the buffer has nothing more now: one
        # more recv would only fail (EAGAIN), and the poll is level-triggered, so
        # anything that comes meanwhile is seen. TLS may hold decrypted bytes the
        # poll cannot see: it is read until it says it wants more.
        plain = not isinstance(self.sock, ssl.SSLSocket)
        # Only a plain socket has recvmsg_into: the reader's scatter receive (several
        # buffers, a data set's fragments put in place) is for it alone.
        recvmsg_into = self.sock.recvmsg_into if plain else None
        out: list[PDU] = []
        taken = 0
        while taken < budget:
            try:
                if recvmsg_into is None:
                    space = len(buffer := reader.recv_buffer())
                    count = recv_into(buffer)
                elif len(buffers := reader.recv_buffers()) == 1:
                    space = len(buffers[0])
                    count = recv_into(buffers[0])
                else:
                    space = sum(map(len, buffers))
                    count = recvmsg_into(buffers)[0]
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return out, False, False
            if count == 0:
                out.extend(batch.flush())
                return out, True, False
            taken += count
            pdus = reader.advance(count)
            if pdus:
                out.extend(batch.add(pdus, monotonic()))
            if plain and count < space:
                return out, False, False
        return out, False, True

    def held(self) -> list[PDU]:
        """P-DATA held back for the rest of its fragment sequence."""
        return self._batch.flush()


def discard_input(sock: socket.socket) -> bool:
    """After a malformed PDU: throw away what is readable; True once the peer closed."""
    scratch = bytearray(65536)
    while True:
        try:
            if not sock.recv_into(scratch):
                return True
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False


def start_tls_server(sock: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket:
    """Wrap an accepted socket for TLS; the handshake is driven by :func:`continue_handshake`."""
    tls = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
    tls.setblocking(False)
    return tls


def continue_handshake(sock: ssl.SSLSocket, timeout: float | None) -> bool:
    """Take the TLS handshake as far as the peer's bytes allow; True once it is done.

    Raises ``ssl.SSLError`` (or ``OSError``) when the handshake fails.
    """
    while True:
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except ssl.SSLWantWriteError:
            wait_ready(sock, select.POLLOUT, timeout)
            continue
        return True
