"""Issue 14, defects 2 and 3: connections that have not sent their A-ASSOCIATE-RQ.

2. They do not count against ``AE.maximum_associations``: they have their own
   bound, ``AE.maximum_pending_connections`` (the oldest is closed when a new
   one would pass it), and each is closed when ARTIM expires (PS3.8 9.1.4).
3. ``server.shutdown()`` closes them at once, and aborts the established
   associations, instead of waiting for ARTIM.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from dicomactors import AE
from dicomactors.sop_class import VerificationSOPClass

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def node() -> Iterator[tuple[AE, object, int]]:
    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[])
    assert server is not None
    yield ae, server, server.server_address[1]
    server.shutdown()
    ae.shutdown()


def _echo(port: int) -> float:
    """Seconds to associate, echo and release; fails unless all three succeed."""
    client = AE(ae_title="LEGIT")
    client.add_requested_context(VerificationSOPClass)
    began = time.monotonic()
    assoc = client.associate("127.0.0.1", port, ae_title="DA_SCP")
    assert assoc.is_established, "a legitimate association was not accepted"
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    return time.monotonic() - began


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_connections_do_not_count_against_maximum_associations(node) -> None:
    ae, _, port = node
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(ae.maximum_associations)]
    try:
        assert _echo(port) < 2.0
    finally:
        for sock in idle:
            sock.close()


def test_a_legitimate_client_is_served_while_100_connections_trickle(node) -> None:
    _ae, _, port = node
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    try:
        for sock in slow:
            sock.send(b"\x01")  # the first byte of an A-ASSOCIATE-RQ, and no more
        for _ in range(3):
            assert _echo(port) < 2.0
    finally:
        for sock in slow:
            sock.close()


def test_pending_connections_have_their_own_bound(node) -> None:
    ae, _, port = node
    bound = ae.maximum_pending_connections
    first = socket.create_connection(("127.0.0.1", port))
    others = [socket.create_connection(("127.0.0.1", port)) for _ in range(bound)]
    try:
        # One past the bound: the oldest pending connection is closed, at once.
        assert _closed_within(first, 5.0)
        assert _echo(port) < 2.0
    finally:
        first.close()
        for sock in others:
            sock.close()


def test_a_pending_connection_is_closed_when_artim_expires() -> None:
    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    ae.acse_timeout = 1
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[])
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1])) as sock:
            sock.send(b"\x01\x00")
            assert _closed_within(sock, 10.0)
    finally:
        server.shutdown()
        ae.shutdown()


def test_shutdown_closes_pending_and_established_connections_at_once() -> None:
    ae = AE(ae_title="DA_SCP")
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[])
    port = server.server_address[1]
    pending = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    client = AE(ae_title="LEGIT")
    client.add_requested_context(VerificationSOPClass)
    established = [client.associate("127.0.0.1", port, ae_title="DA_SCP") for _ in range(2)]
    assert all(assoc.is_established for assoc in established)
    began = time.monotonic()
    server.shutdown()
    elapsed = time.monotonic() - began
    try:
        assert elapsed < 2.0, f"shutdown took {elapsed:.1f}s"
        assert all(_closed_within(sock, 2.0) for sock in pending)
        for assoc in established:
            assoc.join(5)
            assert assoc.is_aborted
    finally:
        for sock in pending:
            sock.close()
        ae.shutdown()
