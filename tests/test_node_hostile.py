"""Hostile input to a running dicomactors SCP: each malformed PDU ends its own
connection as PS3.8 says, within a bound, and the server keeps serving."""

from __future__ import annotations

import socket
import time

import pytest

from dicomactors import AE
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AbortSource,
    PDUReader,
    encode_pdu,
)
from dicomactors.sop_class import VerificationSOPClass
from harness.malformed import MALFORMED_CASES, MalformedCase, valid_associate_rq

BOUND = 5.0  # seconds: the SCP's acse_timeout (ARTIM) in the fixture, plus slack


def _read_pdus_until_close(sock: socket.socket, deadline: float) -> tuple[list, bool]:
    """Every PDU the peer sends until it closes (True) or the deadline (False)."""
    reader = PDUReader()
    pdus: list = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return pdus, False
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return pdus, False
        except ConnectionResetError:
            return pdus, True
        if not data:
            return pdus, True
        pdus.extend(reader.feed(data))
        if pdus and isinstance(pdus[-1], AAbort):
            # A well-behaved peer closes after an A-ABORT; the SCP must close too.
            sock.shutdown(socket.SHUT_WR)


def _establish(sock: socket.socket) -> None:
    sock.sendall(encode_pdu(valid_associate_rq(called="DA_SCP")))
    reader = PDUReader()
    sock.settimeout(BOUND)
    while True:
        data = sock.recv(65536)
        assert data, "the SCP closed instead of answering a valid A-ASSOCIATE-RQ"
        pdus = reader.feed(data)
        if pdus:
            assert isinstance(pdus[0], AAssociateAC), pdus
            return


def _echo_works(port: int) -> None:
    ae = AE(ae_title="AFTER")
    ae.add_requested_context(VerificationSOPClass)
    assoc = ae.associate("127.0.0.1", port, ae_title="DA_SCP")
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0
    assoc.release()


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=lambda c: c.name)
def test_malformed_pdu_is_aborted_and_server_keeps_serving(scp, case: MalformedCase):
    _, _server, port = scp
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        if case.phase == "established":
            _establish(sock)
        sock.sendall(case.build())
        pdus, closed = _read_pdus_until_close(sock, start + BOUND)
    elapsed = time.monotonic() - start
    assert closed, f"the SCP did not close the connection within {BOUND}s"
    aborts = [p for p in pdus if isinstance(p, AAbort)]
    assert len(aborts) == 1, f"expected one A-ABORT, got {pdus}"
    if case.phase == "associate":
        # Sta2 + Evt19 is AA-1: A-ABORT with the service-user source (PS3.8 Table 9-9).
        assert aborts[0].source == AbortSource.SERVICE_USER
    else:
        # Sta6 + Evt19 is AA-8: service-provider source, the reason the decoder found.
        assert aborts[0].source == AbortSource.SERVICE_PROVIDER
        assert aborts[0].reason == case.expected_abort_reason
    assert elapsed < BOUND
    _echo_works(port)


def test_silent_connection_is_closed_when_artim_expires():
    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.acse_timeout = 0.5
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        start = time.monotonic()
        with socket.create_connection(server.server_address, timeout=5) as sock:
            sock.settimeout(5)
            assert sock.recv(1) == b""  # closed by the SCP, nothing sent
        elapsed = time.monotonic() - start
        assert 0.4 < elapsed < 3, elapsed
        _echo_works(server.server_address[1])
    finally:
        server.shutdown()


def test_request_trickled_too_slowly_is_closed_when_artim_expires():
    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.acse_timeout = 0.5
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        rq = encode_pdu(valid_associate_rq(called="DA_SCP"))
        start = time.monotonic()
        with socket.create_connection(server.server_address, timeout=5) as sock:
            sock.sendall(rq[:10])  # a request that never completes
            sock.settimeout(5)
            assert sock.recv(1) == b""
        assert time.monotonic() - start < 3
    finally:
        server.shutdown()


def test_pipelined_requests_are_all_answered_before_the_release(scp):
    """100 C-ECHO-RQs sent back to back, then an A-RELEASE-RQ: every response comes
    before the A-RELEASE-RP (the release indication travels behind the P-DATA)."""
    from dicomactors.dimse import CEchoRQ, encode_command, fragment_message
    from dicomactors.pdu import AReleaseRP, AReleaseRQ, PDataTF

    _, _server, port = scp
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        sock.sendall(encode_pdu(valid_associate_rq(called="DA_SCP")))
        reader = PDUReader()
        pdus: list = []
        while not pdus:
            pdus.extend(reader.feed(sock.recv(65536)))
        context_id = pdus[0].presentation_contexts[0].context_id
        requests = b"".join(
            encode_pdu(pdu)
            for message_id in range(1, 101)
            for pdu in fragment_message(
                context_id,
                encode_command(CEchoRQ(message_id, str(VerificationSOPClass))),
                None,
                16382,
            )
        )
        sock.sendall(requests + encode_pdu(AReleaseRQ()))
        received: list = []
        while not (received and isinstance(received[-1], AReleaseRP)):
            data = sock.recv(65536)
            assert data, f"closed after {len(received)} PDUs"
            received.extend(reader.feed(data))
    assert sum(isinstance(p, PDataTF) for p in received) == 100
