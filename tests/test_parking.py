"""Parked strands (a requestor's): no thread while idle, yet every event still handled;
and an association that ends leaves no reference cycle for the garbage collector."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from dicomactors import AE, evt
from dicomactors.actors.runtime import PARKING, Strand, StrandActor
from dicomactors.sop_class import VerificationSOPClass


class Echo(StrandActor):
    """Answers a Future with the thread that handled it; ("arm", future): the same
    from a timer 50 ms later."""

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Future):
            message.set_result(threading.get_ident())
        elif isinstance(message, tuple) and message[0] == "arm":
            ref, fired = self.actor_ref, message[1]
            self.strand.call_later(0.05, lambda: ref.tell(fired))
        return None


def _parked_strand() -> tuple[Strand, Any]:
    strand = Strand("parking-test", held=True, park=True)
    ref = Echo.start(strand)
    strand.start(inline=True)  # this thread runs on_start, then the strand parks
    return strand, ref


def _strand_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_an_idle_parked_strand_has_no_thread() -> None:
    strand, ref = _parked_strand()
    try:
        assert strand.parked
        assert _strand_threads("parking-test") == []
        assert PARKING.idle() == 0  # the parking thread watches it: not idle
    finally:
        ref.stop(timeout=5)
    strand.done.join(5)
    assert not strand.done.is_alive()


def test_a_message_from_another_thread_gets_a_parked_strand_a_worker() -> None:
    strand, ref = _parked_strand()
    try:
        answered: Future[int] = Future()
        ref.tell(answered)
        handler_thread = answered.result(timeout=5)
        assert handler_thread != threading.get_ident()
    finally:
        ref.stop(timeout=5)
    strand.done.join(5)
    assert not strand.done.is_alive()


def test_a_timer_of_a_parked_strand_fires() -> None:
    _, ref = _parked_strand()
    try:
        fired: Future[int] = Future()
        ref.tell(("arm", fired))  # armed on a worker, which parks the strand again
        assert fired.result(timeout=5) != threading.get_ident()
    finally:
        ref.stop(timeout=5)


@pytest.fixture
def scp() -> Iterator[int]:
    ae = AE(ae_title="PARK_SCP")
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def _requestor(**timeouts: Any) -> AE:
    ae = AE(ae_title="PARKER")
    ae.add_requested_context(VerificationSOPClass)
    for name, value in timeouts.items():
        setattr(ae, name, value)
    return ae


def test_an_established_requestor_is_parked_between_calls(scp: int) -> None:
    assoc = _requestor().associate("127.0.0.1", scp)
    assert assoc.is_established
    assert assoc._strand is not None and assoc._strand.parked
    assert _strand_threads(f"assoc-{assoc.name}") == []
    assert assoc.send_c_echo().Status == 0
    assert assoc._strand.parked
    assoc.release()
    assert assoc.is_released and not assoc.is_alive()


def test_the_network_timeout_of_a_parked_requestor_aborts_it(scp: int) -> None:
    # Nobody calls the association: its idle timer fires through the parking thread.
    assoc = _requestor(network_timeout=0.2).associate("127.0.0.1", scp)
    assert assoc.is_established
    assert assoc.join(5)
    assert assoc.is_aborted


def test_a_peer_abort_reaches_a_parked_requestor() -> None:
    ae = AE(ae_title="PARK_SCP")
    ae.add_supported_context(VerificationSOPClass)
    aborted = threading.Event()
    server = ae.start_server(("127.0.0.1", 0), block=False)
    assoc = _requestor().associate(
        "127.0.0.1",
        server.server_address[1],
        evt_handlers=[(evt.EVT_ABORTED, lambda event: aborted.set())],
    )
    assert assoc.is_established
    server.shutdown()  # A-ABORT from the acceptor while the requestor sits parked
    assert aborted.wait(5)
    assert assoc.join(5)
    assert assoc.is_aborted


def test_an_associate_echo_release_cycle_leaves_no_reference_cycle(scp: int) -> None:
    ae = _requestor()
    # A first cycle: imports, the pool and the parking thread are one-off.
    first = ae.associate("127.0.0.1", scp)
    first.send_c_echo()
    first.release()
    del first
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assoc = ae.associate("127.0.0.1", scp)
        assert assoc.send_c_echo().Status == 0
        assoc.release()
        assert assoc.join(5)
        del assoc
        gc.collect()
        ours = [o for o in gc.garbage if type(o).__module__.startswith("dicomactors")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    assert ours == []


def test_a_service_user_kept_alone_says_its_association_is_gone(scp: int) -> None:
    ae = _requestor()
    assoc = ae.associate("127.0.0.1", scp)
    requestor, acceptor = assoc.requestor, assoc.acceptor
    assert requestor.assoc is assoc and acceptor.assoc is assoc
    assoc.release()
    assert assoc.join(5)
    del assoc
    # The service users do not keep the association (no cycle); they say so clearly.
    with pytest.raises(ReferenceError, match="keep the Association object"):
        _ = requestor.assoc
    assert requestor.is_requestor and requestor.ae_title
