"""A TCP proxy on loopback that adds a fixed delay each way: a link with latency.

Each connection accepted is forwarded to the target; every chunk read from one
side is written to the other ``delay`` seconds after it was read, so the link's
throughput is kept and only its latency grows (as on a long cable, not a slow
one). Four threads per connection (a reader and a writer each way), a bounded
queue between them (``MAX_CHUNKS`` chunks of at most ``CHUNK`` bytes), at most
``max_connections`` connections at once; everything stops with :meth:`close`.

Waiting for a chunk's time is the point of this module, so it sleeps: it is a
piece of the measured link, never a way to synchronise a test.

``python -m bench.delay_proxy --target-port PORT [--delay-ms 1]`` runs one and
prints ``READY <port>`` until its standard input closes.
"""

from __future__ import annotations

import argparse
import queue
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 256 * 1024
MAX_CHUNKS = 64
_END = b""


class DelayProxy:
    """Listens on 127.0.0.1 (``port``) and forwards to ``target`` with ``delay`` each way."""

    def __init__(self, target: tuple[str, int], delay: float, max_connections: int = 8) -> None:
        self.target = target
        self.delay = delay
        self.max_connections = max_connections
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._start(self._accept_loop, "delay-proxy-accept")

    def _start(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                refuse = self._closed or len(self._sockets) >= 2 * self.max_connections
            if refuse:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, server]
            ends = [2]  # the directions still open; the last one to end closes both
            self._pipe(client, server, "up", ends)
            self._pipe(server, client, "down", ends)

    def _pipe(self, source: socket.socket, sink: socket.socket, name: str, ends: list[int]) -> None:
        """Forward ``source`` to ``sink``, each chunk ``delay`` after it was read."""
        line: queue.Queue[tuple[float, bytes]] = queue.Queue(MAX_CHUNKS)
        self._start(self._read, f"delay-proxy-{name}-read", source, line)
        self._start(self._write, f"delay-proxy-{name}-write", sink, line, (source, ends))

    def _ended(self, pair: tuple[socket.socket, socket.socket], ends: list[int]) -> None:
        with self._lock:
            ends[0] -= 1
            last = ends[0] == 0
            if last:
                self._sockets = [s for s in self._sockets if s not in pair]
        if last:
            for sock in pair:
                sock.close()

    def _read(self, source: socket.socket, line: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = _END
            line.put((time.monotonic() + self.delay, data))
            if not data:
                return

    def _write(
        self,
        sink: socket.socket,
        line: queue.Queue[tuple[float, bytes]],
        end: tuple[socket.socket, list[int]],
    ) -> None:
        try:
            self._forward(sink, line)
        finally:
            source, ends = end
            self._ended((source, sink), ends)

    def _forward(self, sink: socket.socket, line: queue.Queue[tuple[float, bytes]]) -> None:
        """Write each chunk when it is due, until the reader's end; once the sink has
        failed, drain the line (so that its reader never blocks) and write nothing."""
        broken = False
        while True:
            due, data = line.get()
            if not data:
                if not broken:
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            if broken:
                continue
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                sink.sendall(data)
            except OSError:
                broken = True  # the other side is gone: the reader's side ends too
                try:
                    sink.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop accepting, close every connection and join every thread."""
        with self._lock:
            self._closed = True
            sockets, threads = list(self._sockets), list(self._threads)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (Linux)
        except OSError:
            pass
        self._listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in threads:
            thread.join(10)


@contextmanager
def delay_proxy(target: tuple[str, int], delay: float) -> Iterator[DelayProxy]:
    proxy = DelayProxy(target, delay)
    try:
        yield proxy
    finally:
        proxy.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.delay_proxy")
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=1.0, help="added each way")
    args = parser.parse_args(argv)
    with delay_proxy(("127.0.0.1", args.target_port), args.delay_ms / 1000) as proxy:
        print(f"READY {proxy.port}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
