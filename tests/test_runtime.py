"""The actor runtime: strands, thread actors and the worker pool (dicomactors/actors/runtime/)."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future
from typing import Any

import pykka
import pytest

from dicomactors.actors.runtime import WORKERS, Strand, StrandActor, ThreadActor, stop_soon


class Recorder(StrandActor):
    """Records (name, message, thread) for every message; answers 'ask' with its log length."""

    def __init__(
        self,
        strand: Strand,
        name: str,
        log: list[tuple[str, Any, int]],
        failed: threading.Event | None = None,
    ) -> None:
        super().__init__(strand)
        self.name = name
        self.log = log
        self.peer: pykka.ActorRef[Any] | None = None
        self.failed = failed if failed is not None else threading.Event()

    def on_receive(self, message: Any) -> Any:
        self.log.append((self.name, message, threading.get_ident()))
        if isinstance(message, tuple) and message[0] == "forward":
            assert self.peer is not None
            self.peer.tell(message[1])
        elif isinstance(message, tuple) and message[0] == "ask-peer":
            assert self.peer is not None
            return self.peer.ask(message[1], timeout=5)
        elif message == "boom":
            raise RuntimeError("boom")
        elif isinstance(message, tuple) and message[0] == "arm":
            fired: Future[int] = message[1]
            self.strand.call_later(0.01, lambda: fired.set_result(threading.get_ident()))
        elif isinstance(message, Future):
            message.set_result(len(self.log))
        return len(self.log)

    def on_failure(self, *args: Any) -> None:
        self.failed.set()


def _pair(name: str = "t") -> tuple[Strand, pykka.ActorRef[Any], pykka.ActorRef[Any], list[Any]]:
    log: list[tuple[str, Any, int]] = []
    strand = Strand(name)
    a = Recorder.start(strand, "a", log)
    b = Recorder.start(strand, "b", log)
    a.proxy().peer = b  # type: ignore[attr-defined]
    b.proxy().peer = a  # type: ignore[attr-defined]
    return strand, a, b, log


def _stop(strand: Strand, *refs: pykka.ActorRef[Any]) -> None:
    for ref in refs:
        stop_soon(ref)
    strand.done.join(10)
    assert not strand.done.is_alive()


def test_actors_of_a_strand_see_messages_in_order_on_one_thread() -> None:
    strand, a, b, log = _pair()
    for i in range(50):
        a.tell(("forward", i))
    done: Future[int] = Future()
    a.tell(("forward", done))
    assert done.result(10) > 0
    _stop(strand, a, b)
    to_b = [m for name, m, _ in log if name == "b" and isinstance(m, int)]
    assert to_b == list(range(50))
    assert len({thread for _, _, thread in log}) == 1


def test_an_ask_between_strand_mates_is_answered_after_the_earlier_messages() -> None:
    strand, a, b, log = _pair()
    b.tell("first")
    b.tell("second")
    # a asks b on the strand's own thread: b's queued messages come first.
    answer = a.ask(("ask-peer", "question"), timeout=10)
    _stop(strand, a, b)
    to_b = [m for name, m, _ in log if name == "b"]
    assert to_b[:3] == ["first", "second", "question"]
    assert answer == log.index(("b", "question", log[0][2])) + 1


def test_a_failing_actor_stops_alone() -> None:
    log: list[tuple[str, Any, int]] = []
    failed = threading.Event()
    strand = Strand("failing")
    a = Recorder.start(strand, "a", log, failed)
    b = Recorder.start(strand, "b", log)
    a.tell("boom")
    # pykka's semantics: the actor that raised is stopped and told on_failure.
    assert failed.wait(10)
    done: Future[int] = Future()
    b.tell(done)
    assert done.result(10) > 0
    assert not a.is_alive()
    _stop(strand, b)


def test_the_strand_ends_with_its_last_actor_and_its_thread_goes_back_to_the_pool() -> None:
    strand, a, b, _log = _pair()
    done: Future[int] = Future()
    a.tell(done)
    done.result(10)
    busy = WORKERS.threads()
    _stop(strand, a, b)
    assert WORKERS.idle_threads() >= 1
    assert WORKERS.threads() <= busy | WORKERS.threads()
    with pytest.raises(RuntimeError, match="has ended"):
        Recorder.start(strand, "late", [])


class Reader(StrandActor):
    def __init__(self, strand: Strand, sock: socket.socket, got: list[tuple[bytes, int]]) -> None:
        super().__init__(strand)
        self.sock = sock
        self.got = got
        self.seen = threading.Event()
        self.spins_left = -1
        self.spins_left_when_read = -1

    def on_start(self) -> None:
        self.sock.setblocking(False)
        self.strand.watch(self.sock, self._readable)

    def _readable(self) -> None:
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        self.got.append((data, threading.get_ident()))
        self.spins_left_when_read = self.spins_left
        self.seen.set()

    def on_receive(self, message: Any) -> Any:
        if message == "thread":
            return threading.get_ident()
        if isinstance(message, tuple) and message[0] == "spin":
            # Re-posts itself: a queue that never empties by itself.
            self.spins_left = message[1]
            if message[1] and not self.seen.is_set():
                self.actor_ref.tell(("spin", message[1] - 1))
        return None

    def on_stop(self) -> None:
        self.strand.unwatch()
        self.sock.close()


def test_the_watched_socket_is_read_on_the_strand() -> None:
    left, right = socket.socketpair()
    got: list[tuple[bytes, int]] = []
    strand = Strand("reader")
    reader = Reader.start(strand, left, got)
    right.sendall(b"hello")
    thread = reader.ask("thread", timeout=10)
    assert reader.proxy().seen.get(timeout=10).wait(10)
    _stop(strand, reader)
    right.close()
    assert got == [(b"hello", thread)]


def test_a_busy_queue_does_not_starve_the_socket() -> None:
    left, right = socket.socketpair()
    got: list[tuple[bytes, int]] = []
    strand = Strand("busy", held=True)
    reader = Reader.start(strand, left, got)
    right.sendall(b"x")
    reader.tell(("spin", 10_000))
    strand.start()
    assert reader.proxy().seen.get(timeout=10).wait(10)
    left_when_read = reader.proxy().spins_left_when_read.get(timeout=10)
    _stop(strand, reader)
    right.close()
    assert got and got[0][0] == b"x"
    # Read within a few dozen messages, not after the 10,000 the queue held.
    assert 10_000 - 100 < left_when_read <= 10_000


def test_timers_fire_on_the_strand() -> None:
    log: list[tuple[str, Any, int]] = []
    strand = Strand("timers")
    actor = Recorder.start(strand, "a", log)
    fired: Future[int] = Future()
    actor.tell(("arm", fired))
    assert fired.result(10) == log[0][2]
    _stop(strand, actor)


def test_a_waiting_thread_serves_the_strand_itself() -> None:
    strand, a, b, log = _pair("takeover")
    ready: Future[int] = Future()
    a.tell(ready)
    ready.result(10)  # the worker has started and is now idle
    answered: Future[int] = Future()
    strand.wait_for(answered.done, send=lambda: a.tell(("forward", answered)))
    assert answered.done()
    me = threading.get_ident()
    handled_here = [name for name, message, thread in log if message is answered]
    assert handled_here == ["b"]
    assert [t for _, m, t in log if m is answered] == [me]
    # The worker takes over again afterwards.
    later: Future[int] = Future()
    a.tell(later)
    later.result(10)
    assert log[-1][2] != me
    _stop(strand, a, b)


class Slow(ThreadActor):
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Future):
            message.set_result((threading.get_ident(), self.done))
        return None


def test_a_thread_actor_runs_on_a_pool_thread_and_done_joins_it() -> None:
    ref = Slow.start()
    where: Future[Any] = Future()
    ref.tell(where)
    thread_id, done = where.result(10)
    assert thread_id in {t.ident for t in WORKERS.threads()}
    assert done.is_alive()
    ref.stop()
    done.join(10)
    assert not done.is_alive()
