"""The asynchronous operations window (PS3.7 D.3.3.3), used on both sides.

dicomactors to dicomactors with a window of 8: requests outstanding at once on the
SCU, handled at once on the SCP (shown by handlers that wait for each other, never
by timing), responses answered out of order and matched by Message ID, release
and abort with requests outstanding. A window of 1 stays serial. Against
pynetdicom's and DCMTK's SCPs, which answer the item with a window of one or not
at all, the same calls work and every status comes back.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydicom import Dataset

from dicomactors import AE, evt
from dicomactors.operations_window import UNLIMITED_WINDOW, agreed_window
from dicomactors.pdu import AAssociateAC, AAssociateRQ, AsynchronousOperationsWindowItem
from dicomactors.pdu_primitives import AsynchronousOperationsWindowNegotiation
from dicomactors.scu.window import NoResponseError
from dicomactors.sop_class import CTImageStorage
from harness.systems import DCMTK_ENV, find_dcmtk_tool, free_port, wait_until_listening
from tests._peers import ct_dataset, ct_file, pynetdicom_recorder

#: How long a handler waits for the others before the test fails (never reached when it passes).
MEETING = 10.0


def _window(invoked: int, performed: int = 1) -> list[Any]:
    return [AsynchronousOperationsWindowNegotiation(invoked, performed)]


def _scu() -> AE:
    ae = AE("WINDOW-SCU")
    ae.add_requested_context(CTImageStorage)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    return ae


@contextmanager
def _scp(
    on_store: Callable[[Any], int],
    window: tuple[int, int] | None,
    extra: list[Any] | None = None,
) -> Iterator[Any]:
    """A dicomactors storage SCP that answers the window item with ``window`` (None: no
    EVT_ASYNC_OPS handler, so no item and a window of one)."""
    ae = AE("WINDOW-SCP")
    ae.add_supported_context(CTImageStorage)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    handlers: list[Any] = [(evt.EVT_C_STORE, on_store), *(extra or [])]
    if window is not None:
        handlers.append((evt.EVT_ASYNC_OPS, lambda event: window))
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    assert server is not None
    try:
        yield server
    finally:
        server.shutdown()


class Meeting:
    """Store handlers that return only once ``size`` of them run at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.all_in = threading.Event()
        self.message_ids: list[int] = []

    def arrive(self, event: Any) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.message_ids.append(event.request.MessageID)
            if self.running >= self.size:
                self.all_in.set()

    def leave(self) -> None:
        with self.lock:
            self.running -= 1

    def handler(self, event: Any) -> int:
        self.arrive(event)
        try:
            met = self.all_in.wait(MEETING)
        finally:
            self.leave()
        return 0x0000 if met else 0xA700


def _datasets(count: int) -> list[Dataset]:
    return [ct_dataset() for _ in range(count)]


# -- the window agreed -----------------------------------------------------------------


def _rq(item: AsynchronousOperationsWindowItem | None) -> AAssociateRQ:
    return AAssociateRQ("SCP", "SCU", (), () if item is None else (item,))


def _ac(item: AsynchronousOperationsWindowItem | None) -> AAssociateAC:
    return AAssociateAC("SCP", "SCU", (), () if item is None else (item,))


@pytest.mark.parametrize(
    ("proposed", "answered", "invoked", "performed"),
    [
        (None, None, 1, 1),
        ((8, 2), None, 1, 1),  # no item in the AC: the default, one each way
        ((8, 2), (8, 2), 8, 2),
        ((8, 2), (4, 1), 4, 1),
        ((4, 1), (16, 16), 4, 1),  # never more than was proposed
        ((0, 0), (0, 0), UNLIMITED_WINDOW, UNLIMITED_WINDOW),
        ((0, 1), (5, 1), 5, 1),
    ],
)
def test_agreed_window(proposed, answered, invoked, performed):
    rq = _rq(None if proposed is None else AsynchronousOperationsWindowItem(*proposed))
    ac = _ac(None if answered is None else AsynchronousOperationsWindowItem(*answered))
    assert agreed_window(rq, ac) == invoked
    assert agreed_window(rq, ac, requestor=False) == performed


# -- dicomactors to dicomactors ----------------------------------------------------------


def test_window_of_eight_has_eight_requests_handled_at_once():
    meeting = Meeting(8)
    with _scp(meeting.handler, (8, 1)) as server:
        assoc = _scu().associate("127.0.0.1", server.port, ext_neg=_window(8))
        assert assoc.is_established
        assert assoc.acceptor.asynchronous_operations == (8, 1)
        futures = [
            assoc.send_c_store(ds, msg_id=n, wait=False)
            for n, ds in enumerate(_datasets(8), start=1)
        ]
        statuses = [future.result(timeout=MEETING + 10) for future in futures]
        assoc.release()
    assert [s.Status for s in statuses] == [0x0000] * 8
    assert meeting.peak == 8
    assert sorted(meeting.message_ids) == list(range(1, 9))


def test_store_many_keeps_the_window_full_and_returns_statuses_in_order(tmp_path):
    meeting = Meeting(4)
    paths = []
    for n in range(12):
        path = tmp_path / f"ct{n}.dcm"
        ct_file(path)
        paths.append(path)
    with _scp(meeting.handler, (4, 1)) as server:
        assoc = _scu().associate("127.0.0.1", server.port, ext_neg=_window(4))
        statuses = assoc.store_many(paths)
        assoc.release()
    assert [s.Status for s in statuses] == [0x0000] * 12
    # The first four met (all in flight at once); the window never went beyond four.
    assert meeting.peak == 4


def test_responses_out_of_order_are_matched_by_message_id():
    """Our SCP answers the four requests last first; each status goes to its request."""
    count = 4
    meeting = Meeting(count)
    sent: dict[int, threading.Event] = {n: threading.Event() for n in range(1, count + 2)}
    sent[count + 1].set()
    received: list[int] = []

    def on_store(event: Any) -> int:
        meeting.arrive(event)
        message_id = event.request.MessageID
        try:
            # Request n is answered only once the response to n + 1 has been sent.
            assert meeting.all_in.wait(MEETING) and sent[message_id + 1].wait(MEETING)
        finally:
            meeting.leave()
        return 0xB000 if message_id % 2 else 0x0000  # odd IDs: a warning

    def on_sent(event: Any) -> None:
        responded_to = getattr(event.message, "message_id_being_responded_to", None)
        if responded_to in sent:
            sent[responded_to].set()

    def on_received(event: Any) -> None:
        responded_to = getattr(event.message, "message_id_being_responded_to", None)
        if responded_to is not None:
            received.append(responded_to)

    with _scp(on_store, (count, 1), [(evt.EVT_DIMSE_SENT, on_sent)]) as server:
        assoc = _scu().associate(
            "127.0.0.1",
            server.port,
            ext_neg=_window(count),
            evt_handlers=[(evt.EVT_DIMSE_RECV, on_received)],
        )
        statuses = assoc.store_many(_datasets(count))
        assoc.release()
    assert received == [4, 3, 2, 1]
    assert [s.Status for s in statuses] == [0xB000, 0x0000, 0xB000, 0x0000]


def test_without_a_window_requests_are_serial():
    """No EVT_ASYNC_OPS handler on the SCP: no item in the AC, a window of one; the SCU
    sends each request after the previous response, and the SCP handles one at a time."""
    meeting = Meeting(1)
    order: list[str] = []
    with _scp(meeting.handler, None) as server:
        assoc = _scu().associate(
            "127.0.0.1",
            server.port,
            ext_neg=_window(8),
            evt_handlers=[
                (evt.EVT_DIMSE_SENT, lambda e: order.append("rq")),
                (evt.EVT_DIMSE_RECV, lambda e: order.append("rsp")),
            ],
        )
        assert assoc.acceptor.asynchronous_operations == (1, 1)
        futures = [
            assoc.send_c_store(ds, msg_id=n, wait=False)
            for n, ds in enumerate(_datasets(3), start=1)
        ]
        statuses = assoc.store_many(_datasets(3))
        assoc.release()
    assert [f.result().Status for f in futures] == [0x0000] * 3
    assert [s.Status for s in statuses] == [0x0000] * 3
    assert order == ["rq", "rsp"] * 6
    assert meeting.peak == 1


def test_a_message_id_still_outstanding_is_refused():
    meeting = Meeting(2)
    with _scp(meeting.handler, (2, 1)) as server:
        assoc = _scu().associate("127.0.0.1", server.port, ext_neg=_window(2))
        first = assoc.send_c_store(ct_dataset(), msg_id=7, wait=False)
        with pytest.raises(ValueError, match="message ID 7"):
            assoc.send_c_store(ct_dataset(), msg_id=7, wait=False)
        second = assoc.send_c_store(ct_dataset(), msg_id=8, wait=False)
        # A blocking call while requests are outstanding waits for a place in the window.
        assert assoc.send_c_store(ct_dataset(), msg_id=9).Status == 0
        assert first.result(MEETING + 10).Status == second.result(MEETING + 10).Status == 0
        assoc.release()


def test_release_waits_for_outstanding_responses():
    meeting = Meeting(3)
    with _scp(meeting.handler, (3, 1)) as server:
        assoc = _scu().associate("127.0.0.1", server.port, ext_neg=_window(3))
        futures = [
            assoc.send_c_store(ds, msg_id=n, wait=False)
            for n, ds in enumerate(_datasets(3), start=1)
        ]
        assoc.release()
        assert assoc.is_released
    assert [f.result(timeout=0).Status for f in futures] == [0x0000] * 3


def test_abort_fails_every_outstanding_request_and_leaves_nothing_behind():
    meeting = Meeting(3)
    go_on = threading.Event()

    def on_store(event: Any) -> int:
        meeting.arrive(event)
        go_on.wait(MEETING)
        meeting.leave()
        return 0x0000

    with _scp(on_store, (3, 1)) as server:
        assoc = _scu().associate("127.0.0.1", server.port, ext_neg=_window(3))
        futures = [
            assoc.send_c_store(ds, msg_id=n, wait=False)
            for n, ds in enumerate(_datasets(3), start=1)
        ]
        assert meeting.all_in.wait(MEETING)
        assoc.abort()
        for future in futures:
            with pytest.raises(NoResponseError, match="aborted"):
                future.result(timeout=MEETING)
        assert assoc.join(MEETING)
        go_on.set()  # the SCP's handlers return; their responses have nowhere to go
        for peer in list(server.active_associations):
            assert peer.join(MEETING)
        assert not server.active_associations
    with pytest.raises(RuntimeError, match="not established"):
        assoc.send_c_store(ct_dataset(), wait=False)


# -- third-party SCPs, which run serially ----------------------------------------------


def test_pynetdicom_scp_answers_every_request(tmp_path):
    paths = []
    for n in range(6):
        ct_file(tmp_path / f"ct{n}.dcm")
        paths.append(tmp_path / f"ct{n}.dcm")
    with pynetdicom_recorder() as peer:
        assoc = _scu().associate("127.0.0.1", peer.port, ext_neg=_window(8))
        assert assoc.is_established
        futures = [assoc.send_c_store(paths[0], msg_id=100, wait=False)]
        statuses = assoc.store_many(paths[1:])
        assoc.release()
    assert [s.Status for s in [futures[0].result(timeout=0), *statuses]] == [0x0000] * 6
    assert len(peer.stored) == 6


def test_dcmtk_storescp_answers_every_request(tmp_path):
    paths = []
    for n in range(6):
        ct_file(tmp_path / f"ct{n}.dcm")
        paths.append(tmp_path / f"ct{n}.dcm")
    out = tmp_path / "received"
    out.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [find_dcmtk_tool("storescp"), "-od", str(out), "-aet", "STORESCP", str(port)],
        env={**os.environ, **DCMTK_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, timeout=10)
        assoc = _scu().associate("127.0.0.1", port, ae_title="STORESCP", ext_neg=_window(8))
        assert assoc.is_established
        statuses = assoc.store_many(paths)
        assoc.release()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert [s.Status for s in statuses] == [0x0000] * 6
    assert len(list(out.iterdir())) == 6


# -- the bench's delaying proxy ----------------------------------------------------------


def test_delay_proxy_forwards_both_ways_no_sooner_than_its_delay():
    """Bytes cross unchanged, a round trip takes at least the two delays, and closing
    the proxy ends its threads."""
    import socket
    import time

    from bench.delay_proxy import DelayProxy

    with socket.create_server(("127.0.0.1", 0)) as listener:
        proxy = DelayProxy(listener.getsockname(), 0.02)
        try:
            client = socket.create_connection(("127.0.0.1", proxy.port), timeout=MEETING)
            server, _ = listener.accept()
            with client, server:
                payload = os.urandom(700_000)
                start = time.monotonic()
                client.sendall(b"x")
                assert server.recv(1) == b"x"
                server.sendall(b"y")
                assert client.recv(1) == b"y"
                assert time.monotonic() - start >= 0.04
                client.sendall(payload)
                client.shutdown(socket.SHUT_WR)
                got = bytearray()
                while chunk := server.recv(1 << 16):
                    got += chunk
                assert bytes(got) == payload
        finally:
            proxy.close()
    assert not any(t.name.startswith("delay-proxy") for t in threading.enumerate())
