"""The four outcomes of an association request, from scripted raw-socket acceptors."""

from __future__ import annotations

import socket
import threading

import pytest

from dicomactors import AE
from dicomactors.pdu import AAbort, AAssociateRJ, encode_pdu
from dicomactors.sop_class import VerificationSOPClass


def _scu() -> AE:
    ae = AE(ae_title="OUTCOMES")
    ae.add_requested_context(VerificationSOPClass)
    ae.acse_timeout = 5
    return ae


def _answer_once(reply: bytes) -> tuple[int, threading.Thread]:
    """A one-shot acceptor: read the request, send ``reply``, close at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(reply)

    thread = threading.Thread(target=serve)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize("attempt", range(25))
def test_reject_then_immediate_close_is_a_rejection(attempt: int):
    port, thread = _answer_once(encode_pdu(AAssociateRJ(1, 1, 7)))
    assoc = _scu().associate("127.0.0.1", port)
    thread.join(5)
    assert assoc.is_rejected, f"outcome {assoc!r}: the RJ before the close was lost"
    assert not assoc.is_aborted
    assert (assoc.result, assoc.result_source, assoc.result_reason) == (1, 1, 7)
    assert assoc.join(5)


def test_abort_answer_is_aborted():
    port, thread = _answer_once(encode_pdu(AAbort(0, 0)))
    assoc = _scu().associate("127.0.0.1", port)
    thread.join(5)
    assert assoc.is_aborted
    assert not assoc.is_established and not assoc.is_rejected
    assert assoc.abort_pdu == AAbort(0, 0)
    assert assoc.join(5)


def test_connection_refused_is_neither_and_raises_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: the connect is refused
        assoc = _scu().associate("127.0.0.1", port)
    assert not (assoc.is_established or assoc.is_rejected or assoc.is_aborted)
    assert "connection failed" in assoc.close_reason or assoc.join(5)
    assert assoc.join(5)


def test_services_need_an_established_association():
    port, thread = _answer_once(encode_pdu(AAssociateRJ(2, 1, 1)))
    assoc = _scu().associate("127.0.0.1", port)
    thread.join(5)
    with pytest.raises(RuntimeError, match="not established"):
        assoc.send_c_echo()
