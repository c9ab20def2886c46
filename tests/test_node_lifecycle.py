"""Associations come and go without leaving threads, actors or sockets behind."""

from __future__ import annotations

import threading

import pykka

from dicomactors import AE, evt
from dicomactors.sop_class import VerificationSOPClass
from tests.conftest import Resources


def _requestor() -> AE:
    ae = AE(ae_title="LEAKCHECK")
    ae.add_requested_context(VerificationSOPClass)
    return ae


def _record_acceptors(server) -> list:
    """Every association the server accepts from now on (its facade), in order."""
    acceptors: list = []
    server.bind(evt.EVT_CONN_OPEN, lambda event: acceptors.append(event.assoc))
    return acceptors


def _wait_for_acceptors(server, acceptors: list) -> None:
    """The acceptor side ends when its DUL sees the close: join each one's threads."""
    for acceptor in acceptors:
        assert acceptor.join(10)
    acceptors.clear()
    assert server.active_associations == []


def test_a_thousand_associate_release_cycles_leave_nothing_behind(scp):
    _scp_ae, server, port = scp
    acceptors = _record_acceptors(server)
    ae = _requestor()
    # One cycle first: imports and the first pool threads are one-off costs.
    warm = ae.associate("127.0.0.1", port)
    assert warm.is_established
    warm.release()
    assert warm.join(10)
    _wait_for_acceptors(server, acceptors)
    before = Resources.now()

    for _ in range(1000):
        assoc = ae.associate("127.0.0.1", port)
        assert assoc.is_established
        assoc.release()
        assert assoc.is_released
        assert assoc.join(10), "the requestor's actors did not stop"

    _wait_for_acceptors(server, acceptors)
    assert ae.active_associations == []
    after = Resources.now()
    # Threads may only have gone (one of an earlier test's peers ending meanwhile is
    # not a leak of this one); actors and sockets are exactly as before.
    assert after.threads <= before.threads, f"before {before}, after {after}"
    assert (after.actors, after.sockets) == (before.actors, before.sockets)


def test_server_shutdown_stops_every_actor_and_thread():
    before_threads = {t.ident for t in threading.enumerate()}
    before_actors = set(pykka.ActorRegistry.get_all())
    ae = AE()
    ae.add_supported_context(VerificationSOPClass)
    opened = threading.Event()
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_ESTABLISHED, lambda e: opened.set())]
    )
    client = _requestor()
    assoc = client.associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    assert opened.wait(5)
    server.shutdown()  # aborts the acceptor side while the requestor is still established
    assert assoc.join(10)
    assert assoc.is_aborted
    assert set(pykka.ActorRegistry.get_all()) <= before_actors
    leftover = [
        t
        for t in threading.enumerate()
        if t.ident not in before_threads and t.name != "dicomactors-idle"
    ]
    assert leftover == []


def test_with_block_releases_and_joins(scp):
    _, _server, port = scp
    with _requestor().associate("127.0.0.1", port) as assoc:
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0
    assert assoc.is_released
    assert not assoc.is_alive()


def test_with_block_aborts_on_error(scp):
    _, _server, port = scp
    try:
        with _requestor().associate("127.0.0.1", port) as assoc:
            raise KeyError("boom")
    except KeyError:
        pass
    assert assoc.is_aborted
    assert not assoc.is_alive()


def test_association_limit_rejects_transient_then_frees_up():
    ae = AE(ae_title="LIMITED")
    ae.add_supported_context(VerificationSOPClass)
    ae.maximum_associations = 2
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        client = _requestor()
        first = client.associate("127.0.0.1", server.port)
        second = client.associate("127.0.0.1", server.port)
        assert first.is_established and second.is_established
        third = client.associate("127.0.0.1", server.port)
        assert third.is_rejected
        # rejected-transient, service-provider (presentation), local limit exceeded
        assert (third.result, third.result_source, third.result_reason) == (2, 3, 2)
        first.release()
        assert first.join(5)
        _wait_for_acceptors_at_most(server, 1)
        fourth = client.associate("127.0.0.1", server.port)
        assert fourth.is_established
        fourth.release()
        second.release()
    finally:
        server.shutdown()


def _wait_for_acceptors_at_most(server, count: int) -> None:
    """Join ended acceptors until at most ``count`` remain alive."""
    for acceptor in list(server.ae.active_associations):
        if acceptor.is_acceptor and not acceptor.is_established:
            assert acceptor.join(10)
    assert len(server.active_associations) <= count
