"""Timeouts: whatever times out is aborted, and its actors, threads and socket are released."""

from __future__ import annotations

import socket
import threading
import time

from pydicom import Dataset

from dicomactors import AE, evt
from dicomactors.pdu import AAbort, PDUReader
from dicomactors.sop_class import VerificationSOPClass


def _scu(**settings: float) -> AE:
    ae = AE(ae_title="TIMEOUTS")
    ae.add_requested_context(VerificationSOPClass)
    for name, value in settings.items():
        setattr(ae, name, value)
    return ae


def test_acse_timeout_aborts_when_the_acceptor_never_answers():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        accepted: list[socket.socket] = []
        got_rq = threading.Event()

        def silent_acceptor() -> None:
            conn, _ = listener.accept()
            accepted.append(conn)
            conn.recv(65536)  # the A-ASSOCIATE-RQ, never answered
            got_rq.set()

        thread = threading.Thread(target=silent_acceptor)
        thread.start()
        start = time.monotonic()
        assoc = _scu(acse_timeout=0.5).associate("127.0.0.1", listener.getsockname()[1])
        elapsed = time.monotonic() - start
        thread.join(5)
        assert got_rq.is_set()
        assert not assoc.is_established
        assert assoc.is_aborted
        assert 0.4 < elapsed < 3, elapsed
        # The requestor sent an A-ABORT before it closed.
        conn = accepted[0]
        conn.settimeout(5)
        pdus = PDUReader().feed(conn.recv(65536))
        assert any(isinstance(p, AAbort) for p in pdus), pdus
        conn.close()
        assert assoc.join(5)


def test_network_timeout_aborts_an_idle_association():
    ae = AE(ae_title="IDLE_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.network_timeout = 0.5
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        aborted = threading.Event()
        assoc = _scu().associate(
            "127.0.0.1",
            server.port,
            evt_handlers=[(evt.EVT_ABORTED, lambda e: aborted.set())],
        )
        assert assoc.is_established
        (acceptor,) = server.active_associations
        assert aborted.wait(5), "the idle association was not aborted by the SCP"
        assert assoc.join(5)
        assert assoc.is_aborted
        assert acceptor.join(5)
        assert acceptor.is_aborted
        assert server.active_associations == []
    finally:
        server.shutdown()


def test_dimse_timeout_aborts_and_returns_an_empty_status():
    release_handler = threading.Event()

    def slow_echo(event: evt.Event) -> int:
        release_handler.wait(10)
        return 0

    ae = AE(ae_title="SLOW_SCP")
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, slow_echo)]
    )
    try:
        assoc = _scu(dimse_timeout=0.5).associate("127.0.0.1", server.port)
        assert assoc.is_established
        start = time.monotonic()
        status = assoc.send_c_echo()
        assert status == Dataset()
        assert 0.4 < time.monotonic() - start < 3
        # The SCP reads the A-ABORT once its C-ECHO handler returns (short requests are
        # handled on the association's own thread); the SCU waits for it to close.
        release_handler.set()
        assert assoc.join(5)
        assert assoc.is_aborted
    finally:
        release_handler.set()
        server.shutdown()
