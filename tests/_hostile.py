"""Small local nodes that misbehave at the TCP level, for the suite's own resilience tests.

``hostile_node(kind)`` yields the port of a node on 127.0.0.1 that, for each connection:

- ``reset``: resets it at once (RST, SO_LINGER 0);
- ``close``: closes it at once (FIN);
- ``garbage``: answers what it reads first with bytes that are no PDU, then closes;
- ``accept-then-close``: accepts the association, closes on the first P-DATA-TF (the
  middle of a DIMSE exchange);

and ``refused_port()`` is a port nobody listens on. ``serving(handler)`` runs any
per-connection handler the same way.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dicomactors.pdu import AAssociateRQ, PDUDecodeError, PDUReader, encode_pdu
from harness.behaviours import accept_all
from harness.systems import LOOPBACK, free_port

Handler = Callable[[socket.socket], None]


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close(sock: socket.socket) -> None:
    sock.close()


def _garbage(sock: socket.socket) -> None:
    noise = random.Random(12)
    # A header of PDU type 0x00 (no PDU has it) and its true length, then noise: a decoder
    # knows at once that this is no PDU rather than waiting for more.
    body = bytes(noise.randrange(256) for _ in range(58))
    answer = b"\x00\x00" + struct.pack(">I", len(body)) + body
    with sock:
        try:
            if sock.recv(65536):
                sock.sendall(answer)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except OSError:
            pass


def _accept_then_close(sock: socket.socket) -> None:
    """Accept the association (every context), then close on the first P-DATA-TF."""
    reader = PDUReader()
    with sock:
        try:
            while data := sock.recv(65536):
                for pdu in reader.feed(data):
                    if isinstance(pdu, AAssociateRQ):
                        sock.sendall(encode_pdu(accept_all(pdu)))
                    else:
                        return
        except (OSError, PDUDecodeError):
            pass


KINDS: dict[str, Handler] = {
    "reset": _reset,
    "close": _close,
    "garbage": _garbage,
    "accept-then-close": _accept_then_close,
}


@contextmanager
def serving(handler: Handler) -> Iterator[int]:
    """A listener on a free loopback port calling ``handler`` in a thread per connection."""
    listener = socket.create_server((LOOPBACK, 0))
    port = int(listener.getsockname()[1])
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, name=f"hostile:{port}", daemon=True)
    thread.start()
    try:
        yield port
    finally:
        done.set()
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


@contextmanager
def hostile_node(kind: str) -> Iterator[int]:
    with serving(KINDS[kind]) as port:
        yield port


def refused_port() -> int:
    return free_port()
