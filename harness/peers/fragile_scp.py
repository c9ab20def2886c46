"""A DICOM node that crashes on purpose, to show the suite outlives the node it judges.

The dicomactors QRSCP (storage, C-FIND, C-GET, C-MOVE, C-ECHO) behind a relay that
follows the PDU stream of every connection and ends the whole process (exit status
:data:`CRASH_STATUS`) the moment a PDU of one type arrives (``--crash-on``, by default
0xFF: an unknown PDU type, which PS3.8 9.2 answers with an A-ABORT, AA-1, not a crash).
Everything else passes through, so the node behaves as the QRSCP does until then.

``python -m harness.peers.fragile_scp [--port P] [--aet AET] [--crash-on TYPE]`` prints
``READY <port>`` once it listens.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

from dicomactors.apps.qrscp import QRSCP

CRASH_STATUS = 70
PDU_HEADER = 6


class PDUWatch:
    """Walks the PDU headers of a byte stream; ends the process on the fatal type."""

    def __init__(self, fatal: int) -> None:
        self.fatal = fatal
        self.header = b""
        self.skip = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.skip:
                step = min(self.skip, len(view))
                self.skip -= step
                view = view[step:]
                continue
            need = PDU_HEADER - len(self.header)
            self.header += bytes(view[:need])
            view = view[need:]
            if len(self.header) < PDU_HEADER:
                return
            if self.header[0] == self.fatal:
                os._exit(CRASH_STATUS)
            self.skip = int.from_bytes(self.header[2:6], "big")
            self.header = b""


def _pipe(source: socket.socket, sink: socket.socket, watch: PDUWatch | None) -> None:
    try:
        while data := source.recv(65536):
            if watch is not None:
                watch.feed(data)
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay(client: socket.socket, upstream: tuple[str, int], fatal: int) -> None:
    try:
        server = socket.create_connection(upstream)
    except OSError:
        client.close()
        return
    for sock in (client, server):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=_pipe, args=(server, client, None), daemon=True)
    back.start()
    _pipe(client, server, PDUWatch(fatal))
    back.join()
    client.close()
    server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--aet", default="FRAGILE")
    parser.add_argument("--crash-on", type=lambda text: int(text, 0), default=0xFF)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="fragile-scp-") as work:
        scp = QRSCP(Path(work) / "storage", args.aet)
        scp.ae.acse_timeout = 5
        running = scp.start(("127.0.0.1", 0))
        upstream = ("127.0.0.1", running.port)
        listener = socket.create_server(("127.0.0.1", args.port))
        print(f"READY {listener.getsockname()[1]}", flush=True)
        try:
            while True:
                client, _ = listener.accept()
                threading.Thread(
                    target=_relay, args=(client, upstream, args.crash_on), daemon=True
                ).start()
        finally:
            listener.close()
            running.shutdown()
            scp.index.close()


if __name__ == "__main__":
    sys.exit(main())
