"""The runtime's contract (dicomactors/actors/runtime/__init__.py), one clause per test:
ordering, stop while others send, timers, parking and unparking, a handler that
raises, wait_for from on and off the strand, and the pool giving threads back.

Real threads and futures throughout; every wait is on a future, an event or a join.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pykka
import pytest

from dicomactors.actors.runtime import PARKING, Strand, StrandActor, Workers, stop_soon

TIMEOUT = 10


class Logger(StrandActor):
    """Logs every message with the thread that handled it and whether another of the
    strand's handlers was running at the same time."""

    running = 0  # handlers of any Logger running now (class-wide: one strand per test)

    def __init__(self, strand: Strand, log: list[Any]) -> None:
        super().__init__(strand)
        self.log = log
        self.overlaps = 0
        self.peer: pykka.ActorRef[Any] | None = None

    def on_receive(self, message: Any) -> Any:
        Logger.running += 1
        try:
            if Logger.running > 1:
                self.overlaps += 1
            self.log.append(message)
            return self._act(message)
        finally:
            Logger.running -= 1

    def _act(self, message: Any) -> Any:
        kind = message[0] if isinstance(message, tuple) else message
        if kind == "raise":
            raise ValueError("raised by the handler")
        if kind == "future":
            message[1].set_result(threading.get_ident())
        elif kind == "timers":
            self._arm(message[1], message[2])
        elif kind == "wait-own-answer":
            answered: Future[Any] = Future()
            waits = self.strand.wait_for(
                answered.done, send=lambda: self.actor_ref.tell(("future", answered))
            )
            message[1].set_result((waits, answered.done()))
        elif kind == "call":
            message[1]()
        elif kind == "join-own-strand":
            self.strand.done.join(TIMEOUT)  # from inside: returns at once
            message[1].set_result(self.strand.done.is_alive())
        return len(self.log)

    def _arm(self, delays: list[float], fired: Future[list[int]]) -> None:
        order: list[int] = []
        cancelled = self.strand.call_later(0.0, lambda: order.append(-1))
        cancelled.cancel()
        for index, delay in enumerate(delays):

            def fire(index: int = index) -> None:
                order.append(index)
                if len(order) == len(delays):
                    fired.set_result(order)

            self.strand.call_later(delay, fire)


def _stop(strand: Strand, *refs: pykka.ActorRef[Any]) -> None:
    for ref in refs:
        stop_soon(ref)
    strand.done.join(TIMEOUT)
    assert not strand.done.is_alive()


def test_messages_from_several_threads_keep_each_senders_order_and_never_overlap() -> None:
    strand = Strand("order")
    log: list[Any] = []
    ref = Logger.start(strand, log)
    start = threading.Barrier(3)

    def send(sender: str) -> None:
        start.wait(TIMEOUT)
        for index in range(300):
            ref.tell((sender, index))

    senders = [threading.Thread(target=send, args=(name,)) for name in ("x", "y", "z")]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(TIMEOUT)
    last: Future[int] = Future()
    ref.tell(("future", last))
    last.result(TIMEOUT)
    for sender in ("x", "y", "z"):
        assert [m[1] for m in log if isinstance(m, tuple) and m[0] == sender] == list(range(300))
    assert ref.proxy().overlaps.get(timeout=TIMEOUT) == 0
    _stop(strand, ref)


def test_a_stop_while_others_send_answers_every_ask_and_handles_nothing_after_it() -> None:
    strand = Strand("stop-during-send")
    log: list[Any] = []
    ref = Logger.start(strand, log)
    futures: list[Any] = []
    refused: list[Exception] = []
    sending = threading.Event()

    def send() -> None:
        for index in range(2000):
            try:
                futures.append(ref.ask(("ask", index), block=False))
            except pykka.ActorDeadError as error:  # the ref sees it stopped first
                refused.append(error)
            if index == 100:
                sending.set()

    sender = threading.Thread(target=send)
    sender.start()
    assert sending.wait(TIMEOUT)
    stopped = ref.stop(block=False)
    sender.join(TIMEOUT)
    assert stopped.get(timeout=TIMEOUT) is True
    answered = dead = 0
    for future in futures:  # every ask is answered: a result, or ActorDeadError
        try:
            future.get(timeout=TIMEOUT)
            answered += 1
        except pykka.ActorDeadError:
            dead += 1
    assert answered == len(log) and answered + dead == len(futures)
    # The handled asks are a prefix of those sent: none after the stop.
    assert [m[1] for m in log] == list(range(answered))
    strand.done.join(TIMEOUT)
    assert not strand.done.is_alive()


def test_timers_fire_in_due_order_on_the_strand_and_a_cancelled_one_never() -> None:
    strand = Strand("timers-order")
    ref = Logger.start(strand, [])
    fired: Future[list[int]] = Future()
    ref.tell(("timers", [0.06, 0.02, 0.04, 0.0], fired))
    assert fired.result(TIMEOUT) == [3, 1, 2, 0]
    _stop(strand, ref)


def test_a_handler_that_raises_answers_an_ask_and_on_a_tell_stops_its_actor_alone() -> None:
    strand = Strand("raising")
    log: list[Any] = []
    failing, other = Logger.start(strand, log), Logger.start(strand, log)
    with pytest.raises(ValueError, match="raised by the handler"):
        failing.ask(("raise",), timeout=TIMEOUT)
    assert failing.is_alive()  # an ask's error goes to the asker
    failing.tell(("raise",))
    with pytest.raises(pykka.ActorDeadError):
        failing.ask("after", timeout=TIMEOUT)
    assert not failing.is_alive()
    # Its strand-mate goes on, on the same strand.
    assert other.ask("still here", timeout=TIMEOUT) == len(log)
    _stop(strand, other)


def test_wait_for_from_a_handler_for_its_own_actor_returns_false_at_once() -> None:
    """The message waits behind the handler that waits for it: no wait, no deadlock."""
    strand = Strand("own-answer")
    ref = Logger.start(strand, [])
    outcome: Future[tuple[bool, bool]] = Future()
    ref.tell(("wait-own-answer", outcome))
    assert outcome.result(TIMEOUT) == (False, False)
    _stop(strand, ref)


def test_wait_for_from_a_strand_mates_handler_serves_the_strand_nested() -> None:
    strand = Strand("mate-answer")
    log: list[Any] = []
    asker, answerer = Logger.start(strand, log), Logger.start(strand, log)
    outcome: Future[bool] = Future()

    def ask_mate() -> None:
        answered: Future[Any] = Future()
        waits = strand.wait_for(answered.done, send=lambda: answerer.tell(("future", answered)))
        outcome.set_result(waits and answered.done())

    asker.tell(("call", ask_mate))
    assert outcome.result(TIMEOUT) is True
    _stop(strand, asker, answerer)


def test_done_joined_from_inside_its_own_strand_returns_at_once() -> None:
    strand = Strand("self-join")
    ref = Logger.start(strand, [])
    alive: Future[bool] = Future()
    ref.tell(("join-own-strand", alive))
    assert alive.result(TIMEOUT) is True
    _stop(strand, ref)


def test_wait_for_from_another_thread_unparks_serves_here_and_parks_again() -> None:
    strand = Strand("park-visit", held=True, park=True)
    ref = Logger.start(strand, [])
    strand.start(inline=True)
    assert strand.parked and PARKING.idle() == 0
    answered: Future[int] = Future()
    assert strand.wait_for(answered.done, send=lambda: ref.tell(("future", answered)))
    assert answered.result(0) == threading.get_ident()  # handled on this very thread
    assert strand.parked  # parked again once this thread let go
    # A message from a thread that does not wait gets the strand a worker, then it parks.
    later: Future[int] = Future()
    ref.tell(("future", later))
    assert later.result(TIMEOUT) != threading.get_ident()
    _stop(strand, ref)


def test_hand_over_from_another_thread_is_handled_when_the_worker_sleeps() -> None:
    strand = Strand("hand-over")
    log: list[Any] = []
    ref = Logger.start(strand, log)
    ready: Future[int] = Future()
    ref.tell(("future", ready))
    worker = ready.result(TIMEOUT)
    handed: Future[int] = Future()
    strand.hand_over(lambda: ref.tell(("future", handed)))
    # Either here (the worker slept) or on the worker (it was still busy): never lost.
    assert handed.result(TIMEOUT) in {worker, threading.get_ident()}
    _stop(strand, ref)


def test_the_pool_gives_a_finished_threads_back_for_the_next_job() -> None:
    pool = Workers(keep=1, idle_seconds=TIMEOUT)
    first: Future[threading.Thread] = Future()
    done = pool.run(lambda: first.set_result(threading.current_thread()), "pool-test")
    done.join(TIMEOUT)
    assert not done.is_alive() and pool.idle_threads() == 1
    second: Future[threading.Thread] = Future()
    pool.run(lambda: second.set_result(threading.current_thread()), "pool-test").join(TIMEOUT)
    assert second.result(TIMEOUT) is first.result(TIMEOUT)
    assert pool.threads() == {first.result()}


def test_the_pool_keeps_no_more_idle_threads_than_asked_and_lets_idle_ones_end() -> None:
    pool = Workers(keep=0, idle_seconds=TIMEOUT)
    ran: Future[threading.Thread] = Future()
    pool.run(lambda: ran.set_result(threading.current_thread()), "pool-keep-0").join(TIMEOUT)
    thread = ran.result(TIMEOUT)
    thread.join(TIMEOUT)  # not kept: the thread ends
    assert not thread.is_alive() and pool.threads() == set()
    short = Workers(keep=1, idle_seconds=0.01)
    ran2: Future[threading.Thread] = Future()
    short.run(lambda: ran2.set_result(threading.current_thread()), "pool-idle").join(TIMEOUT)
    ran2.result(TIMEOUT).join(TIMEOUT)  # kept, then idle too long: it ends
    assert short.threads() == set() and short.idle_threads() == 0


def test_an_error_escaping_a_job_does_not_lose_the_pool_thread() -> None:
    pool = Workers(keep=1, idle_seconds=TIMEOUT)

    def fail() -> None:
        raise RuntimeError("a loop that did not handle its own error")

    failed = pool.run(fail, "pool-error")
    failed.join(TIMEOUT)
    assert not failed.is_alive() and pool.idle_threads() == 1
