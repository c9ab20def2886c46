"""How the actors run: strands for the actors of one connection, threads for the rest.

pykka lets an actor type decide where its messages wait and which thread
handles them (``_create_actor_inbox``, ``_create_future``, ``_start_actor_loop``).
dicomactors uses two types:

- :class:`ThreadActor`: pykka's own ``ThreadingActor`` (one thread per actor)
  with a C ``SimpleQueue`` for an inbox. The server and service actors are
  these: a service actor runs user handlers, which may block.
- :class:`StrandActor`: actors that never block on one another share a
  :class:`Strand`, one thread that handles their messages one at a time in
  the order they were sent. The association, DIMSE and DUL actors of one
  association share one strand.

A strand changes where actors run, not what they are. Each keeps its own
state, sees only its own messages, in order, through ``on_receive``, and gets
``on_start``, ``on_stop`` and ``on_failure`` as pykka's own loop gives them.
What it saves is the thread wake-up per message between them: a message from
the DUL actor to the DIMSE actor of the same association is appended to a
queue the same thread reads next, instead of waking another thread (about
20 µs per hop on a 2-core VM, with several hops per DIMSE message).

``ask`` (and ``stop``) from inside a strand to another actor of the same
strand cannot wait for the thread it runs on: the strand then handles that
actor's queued messages, up to and including the one asked, at once, and
leaves every other actor's messages where they were. An actor that asks or
stops itself gets pykka's usual order: after the message it is handling.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import queue
import select
import socket
import sys
import threading
from _thread import get_ident
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any

import pykka
from pykka import ActorDeadError, ThreadingFuture
from pykka._envelope import Envelope
from pykka.messages import ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop

LOGGER = logging.getLogger("dicomactors.runtime")

#: Messages pykka itself handles (Actor._handle_receive); the rest go to on_receive.
_PYKKA_MESSAGES = frozenset({_ActorStop, ProxyCall, ProxyGetAttr, ProxySetAttr})


_FLAG_LOCK = threading.Lock()


class Flag(threading.Event):
    """A ``threading.Event`` that is a plain attribute until somebody waits on it.

    An association makes several events that are set and read but rarely waited
    on (each actor's ``actor_stopped``, each loop's :class:`Done`, the facade's
    end): a real Event costs a Condition and a lock each (5 µs here). The
    Condition is made by the first ``wait`` instead.
    """

    def __init__(self) -> None:  # no Condition: see wait()
        self._flag = False
        self._waitable: threading.Event | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        # Read after the flag is written; wait() writes the event before reading it.
        waitable = self._waitable
        if waitable is not None:
            waitable.set()

    def clear(self) -> None:
        self._flag = False
        waitable = self._waitable
        if waitable is not None:
            waitable.clear()

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        with _FLAG_LOCK:
            if self._waitable is None:
                self._waitable = threading.Event()
            waitable = self._waitable
        if self._flag:  # set before the event existed: nobody set the event
            return True
        return waitable.wait(timeout)


class Done:
    """Joinable like a thread: set when a strand or thread actor has finished its loop.

    The thread itself goes back to :data:`WORKERS` for the next one.
    """

    __slots__ = ("_event", "thread")

    def __init__(self) -> None:
        self._event = Flag()
        # The pool thread running the loop, while it runs (a loop never joins itself).
        self.thread: threading.Thread | None = None

    def set(self) -> None:
        self._event.set()

    def is_alive(self) -> bool:
        return not self._event.is_set()

    def join(self, timeout: float | None = None) -> None:
        self._event.wait(timeout)


class _Worker:
    __slots__ = ("inbox", "thread")

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[tuple[Callable[[], None], Done, str]] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None


class Workers:
    """Threads that run strands and thread actors, kept for the next one when done.

    Starting a thread costs about 150 µs of CPU here and the starter waits for
    it to run; an association needs one or two. A finished loop hands its
    thread back; an idle thread waits ``idle_seconds`` for new work, then ends.
    At most ``keep`` idle threads are kept. The threads are daemon threads, like
    pynetdicom's: an association left open does not keep the program alive.
    """

    def __init__(self, keep: int = 64, idle_seconds: float = 10.0) -> None:
        self.keep = keep
        self.idle_seconds = idle_seconds
        self._idle: list[_Worker] = []
        self._all: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def run(self, target: Callable[[], None], name: str, done: Done | None = None) -> Done:
        """Run ``target`` on a thread of the pool; the returned :class:`Done` joins it."""
        done = done if done is not None else Done()
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is not None:
            worker.inbox.put((target, done, name))
            return done
        worker = _Worker()
        worker.thread = threading.Thread(
            target=self._serve, args=(worker, (target, done, name)), name=name, daemon=True
        )
        worker.thread.start()
        return done

    def threads(self) -> set[threading.Thread]:
        """Every thread of the pool now, busy or idle."""
        with self._lock:
            return set(self._all)

    def idle_threads(self) -> int:
        """Threads waiting for work now (what a thread count should leave out), the
        parking thread included while it has nothing parked."""
        with self._lock:
            return len(self._idle) + PARKING.idle()

    def _serve(self, worker: _Worker, job: tuple[Callable[[], None], Done, str] | None) -> None:
        thread = threading.current_thread()
        with self._lock:
            self._all.add(thread)
        try:
            self._work(worker, job, thread)
        finally:
            with self._lock:
                self._all.discard(thread)

    def _work(
        self,
        worker: _Worker,
        job: tuple[Callable[[], None], Done, str] | None,
        thread: threading.Thread,
    ) -> None:
        while job is not None:
            target, done, name = job
            thread.name = name
            done.thread = thread
            try:
                target()
            except BaseException:  # the loops handle their own errors; never lose a thread
                LOGGER.exception("%s ended with an error", name)
            with self._lock:
                parked = len(self._idle) < self.keep
                if parked:
                    self._idle.append(worker)
            thread.name = "dicomactors-idle"
            done.thread = None
            # Parked before ``done`` is set: whoever joins sees this thread idle.
            done.set()
            if not parked:
                return
            job = self._next(worker)

    def _next(self, worker: _Worker) -> tuple[Callable[[], None], Done, str] | None:
        try:
            return worker.inbox.get(timeout=self.idle_seconds)
        except queue.Empty:
            pass
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return None
        # Taken from the idle list just now: its job is on the way.
        return worker.inbox.get()


WORKERS = Workers()
"""The process-wide pool every strand and thread actor runs on."""


class ThreadActor(pykka.ThreadingActor):
    """pykka's ThreadingActor on a pooled thread, with a C ``SimpleQueue`` inbox.

    ``done`` joins its loop (the thread itself goes back to the pool).
    """

    done: Done

    @staticmethod
    def _create_actor_inbox() -> Any:
        return queue.SimpleQueue()

    def _start_actor_loop(self) -> None:
        # A subclass may have made ``done`` in its __init__ so that its owner holds it;
        # it is set before the loop starts, so on_start can hand it on.
        self.done = getattr(self, "done", None) or Done()
        WORKERS.run(self._actor_loop, type(self).__name__, self.done)


class _Setup:
    """Queued first for each actor: its ``on_start`` runs on the strand."""


_SETUP = _Setup()


class _Waker:
    """A file descriptor another thread makes readable to end the strand's poll."""

    def __init__(self) -> None:
        # wake() and close() never overlap: a closed descriptor's number may be
        # reused at once by another file, which must not receive our 8 bytes.
        self._lock = threading.Lock()
        self._closed = False
        # Set by wake(), cleared by clear(): whether a read is needed to clear it.
        self.pending = False
        if hasattr(os, "eventfd"):
            self.fd = self._write_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:  # pragma: no cover - not Linux
            self.fd, self._write_fd = os.pipe()
            os.set_blocking(self.fd, False)
            os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.pending = True
            try:
                os.write(self._write_fd, _ONE)
            except OSError:
                pass  # already readable: the poll ends either way

    def clear(self) -> None:
        self.pending = False
        try:
            os.read(self.fd, 4096)
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
        for fd in {self.fd, self._write_fd}:
            try:
                os.close(fd)
            except OSError:
                pass


_ONE = (1).to_bytes(8, sys.byteorder)


class _EPoll:
    """``select.epoll`` with ``select.poll``'s interface (timeouts in milliseconds).

    Unlike a poll set, an epoll set can be changed while another thread sleeps in
    it: a thread that serves the strand meanwhile takes the socket out of it.
    (Without epoll, not on Linux, a plain poll set is used: the worker is then
    woken by data the serving thread reads, as before.)
    """

    __slots__ = ("_epoll",)

    def __init__(self) -> None:
        self._epoll = select.epoll()

    def register(self, fd: int, events: int) -> None:
        self._epoll.register(fd, events)

    def unregister(self, fd: int) -> None:
        self._epoll.unregister(fd)

    def poll(self, timeout: int | None = None) -> list[tuple[int, int]]:
        return self._epoll.poll(-1 if timeout is None else timeout / 1000)

    def fileno(self) -> int:
        return self._epoll.fileno()

    def close(self) -> None:
        self._epoll.close()


#: Wakers and epoll sets of ended strands, each with its waker registered, kept
#: for the next strands: five system calls (eventfd, epoll_create, epoll_ctl and
#: two close) an association saves on each side.
_KITS: list[tuple[_Waker, _EPoll]] = []
_KEEP_KITS = 64


def _take_kit() -> tuple[_Waker, _EPoll] | None:
    try:
        return _KITS.pop()  # atomic: no lock needed
    except IndexError:
        return None


def _give_back_kit(waker: _Waker, poll: _EPoll) -> bool:
    """Keep an ended strand's waker and epoll set (its socket already unwatched);
    False if enough are kept: close them."""
    if len(_KITS) >= _KEEP_KITS:
        return False
    if waker.pending:
        waker.clear()  # (a late wake from the old strand is at worst a spurious one)
    _KITS.append((waker, poll))
    return True


def _milliseconds(seconds: float | None) -> int | None:
    """A poll timeout: None waits for ever; at least 1 ms (0 would not sleep at all)."""
    return None if seconds is None else max(1, int(seconds * 1000))


class _Timer:
    __slots__ = ("callback", "cancelled", "due")

    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: _Timer) -> bool:
        return self.due < other.due


#: Messages handled in a row before the strand looks at its socket and timers anyway.
_LOOK_AROUND_EVERY = 32


class _Parking:
    """One thread that watches every parked strand: a strand no thread serves now.

    A strand made with ``park=True`` (a requestor's) has no thread of its own
    while it has nothing to do: its epoll set (its socket and its waker) sits in
    this thread's epoll set, and its next timer in a table this thread sleeps
    by. Whatever comes first -- data, a message from another thread, a timer --
    gets the strand a worker for as long as it has work. A requestor's strand
    spends most of its life like this: the thread that calls ``associate``,
    ``send_c_echo`` and ``release`` serves it while it waits for the answer, so a
    worker of its own would only be woken to go back to sleep, and once more to
    end (three thread wake-ups per association on the SCU).

    While nothing is parked the thread is idle, named like an idle pool thread
    and counted with them (:meth:`Workers.idle_threads`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoll: Any = None
        self._waker: _Waker | None = None
        # The epoll descriptor of every strand registered here, parked or not.
        self._strands: dict[int, Strand] = {}
        # Parked strands with a timer: when it is due.
        self._due: dict[Strand, float] = {}
        self._parked = 0
        # When the thread's poll ends by itself (None: only on an event).
        self._wakes_at: float | None = None
        self._thread: threading.Thread | None = None

    def idle(self) -> int:
        """1 if the thread runs and has nothing parked (an idle thread), else 0."""
        return 1 if self._thread is not None and not self._parked else 0

    def park(self, strand: Strand, fd: int, due: float | None) -> None:
        """Watch ``strand`` (its epoll descriptor ``fd``, its next timer ``due``)."""
        with self._lock:
            if self._epoll is None:
                self._start()
            events = select.EPOLLIN | select.EPOLLONESHOT
            if fd in self._strands:
                self._epoll.modify(fd, events)
            else:
                self._strands[fd] = strand
                self._epoll.register(fd, events)
            strand._parked = True
            self._parked += 1
            if self._parked == 1:
                self._thread.name = "dicomactors-parking"  # type: ignore[union-attr]
            wake = False
            if due is not None:
                self._due[strand] = due
                wake = self._wakes_at is None or due < self._wakes_at
        if wake:
            self._waker.wake()  # type: ignore[union-attr]

    def unpark(self, strand: Strand, fd: int) -> None:
        """Stop watching ``strand``: the calling thread serves it (or a worker is on its way)."""
        with self._lock:
            if strand._parked:
                self._take(strand, fd)

    def forget(self, fd: int) -> None:
        """``fd`` (a strand's epoll set) is about to close: drop it."""
        with self._lock:
            strand = self._strands.pop(fd, None)
            if strand is None:
                return
            if strand._parked:
                self._take(strand, None)
            self._epoll.unregister(fd)

    def _take(self, strand: Strand, fd: int | None) -> None:
        strand._parked = False
        self._parked -= 1
        if not self._parked:
            self._thread.name = "dicomactors-idle"  # type: ignore[union-attr]
        self._due.pop(strand, None)
        if fd is not None:
            # Disarmed (one-shot) if it fired; else what this thread reads must
            # not wake the watcher.
            try:
                self._epoll.modify(fd, 0)
            except OSError:  # pragma: no cover - registered until forget()
                LOGGER.debug("parking: %s was not registered", strand.name, exc_info=True)

    def _start(self) -> None:
        self._epoll = select.epoll()
        self._waker = _Waker()
        self._epoll.register(self._waker.fd, select.EPOLLIN)
        self._thread = threading.Thread(target=self._watch, name="dicomactors-idle", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            try:
                self._watch_once()
            except Exception:  # pragma: no cover - the thread must outlive a bug
                LOGGER.exception("parking thread: unexpected error")

    def _watch_once(self) -> None:
        epoll, waker = self._epoll, self._waker
        assert waker is not None
        while True:
            with self._lock:
                due = min(self._due.values(), default=None)
                self._wakes_at = due
            events = epoll.poll(-1 if due is None else max(0.0, due - monotonic()))
            now = monotonic()
            ready: list[Strand] = []
            with self._lock:
                for fd, _ in events:
                    if fd == waker.fd:
                        waker.clear()
                        continue
                    strand = self._strands.get(fd)
                    if strand is not None and strand._parked:
                        ready.append(strand)
                        self._take(strand, None)
                for strand, when in list(self._due.items()):
                    if when <= now:
                        ready.append(strand)
                        self._take(strand, strand._parking_fd())
                for strand in ready:
                    # Counted before a thread serving it now could see it unparked
                    # with no worker on its way (and park it again).
                    with strand._lock:
                        strand._jobs += 1
            for strand in ready:
                WORKERS.run(strand._run_parked, strand.name)


PARKING = _Parking()
"""The thread that watches parked strands (started with the first one)."""


class Strand:
    """One thread serving the messages of several actors, in the order they arrive.

    Besides messages, a strand serves two kinds of events for its actors, on
    the same thread: timers (:meth:`call_later`, whose callbacks post messages)
    and one watched socket (:meth:`watch`: the DUL actor reads its connection
    when the socket is readable). While idle the thread sleeps in ``poll`` on
    the socket and a waker that a message from another thread sets off.

    The thread starts with the first actor and ends when the last of its actors
    has stopped. Actors join a strand when they start; none may join once it
    has ended.
    """

    def __init__(self, name: str, held: bool = False, park: bool = False) -> None:
        """``held``: do not start the thread with the first actor but on :meth:`start`,
        so that the first messages are queued before it runs (one wake-up less).

        ``park``: a strand that a waiting caller usually serves (a requestor's):
        whenever it has nothing to do it gives its thread back and :data:`PARKING`
        watches it, instead of a worker sleeping in its poll (see :class:`_Parking`).
        """
        self.name = name
        self._held = held
        self._queue: queue.SimpleQueue[tuple[StrandActor, Any]] = queue.SimpleQueue()
        # Items taken off the queue early by a synchronous ask, still to be handled.
        self._backlog: deque[tuple[StrandActor, Any]] = deque()
        self._lock = threading.Lock()
        self._live = 0
        self._ended = False
        # Actors whose handler is on this thread's stack now (a synchronous ask nests).
        self._running: list[StrandActor] = []
        # Messages for an actor that was on the stack when they came up (the strand
        # served from inside its handler): handled once that handler returns.
        self._deferred: list[tuple[StrandActor, Any]] = []
        self._timers: list[_Timer] = []
        kit = _take_kit()
        # An epoll set (_EPoll) where there is one, else a select.poll.
        self._poll: Any
        if kit is not None:
            self._waker, self._poll = kit
        else:
            self._waker = _Waker()
            self._poll = _EPoll() if hasattr(select, "epoll") else select.poll()
            self._poll.register(self._waker.fd, select.POLLIN)
        # True while a thread other than the worker serves the strand: the socket is
        # then out of the worker's epoll set, so its data does not wake the worker.
        self._suspended = False
        # The thread serving the strand in serve_while, while it does.
        self._visitor: int | None = None
        # Threads asleep in a poll on this strand (a message from elsewhere wakes them).
        self._sleepers: set[int] = set()
        # Held by the thread serving the strand; a worker lets go of it while it
        # sleeps, so that a thread about to wait for the strand can serve it instead.
        self._serving = threading.Lock()
        self._worker: int | None = None
        # When the worker's current poll ends by itself (None: only on an event).
        self._worker_wakes_at: float | None = None
        self._watched: int | None = None
        self._on_readable: Callable[[], None] | None = None
        self._started = False
        self._ident: int | None = None
        self.done = Done()
        # Parking needs an epoll set (Linux): it is what the parking thread watches.
        self._park = park and isinstance(self._poll, _EPoll)
        # True while PARKING watches this strand (set and cleared under its lock).
        self._parked = False
        # Workers PARKING has started for this strand that have not yet taken it.
        self._jobs = 0

    # -- called by the actors ---------------------------------------------

    def attach(self, actor: StrandActor) -> None:
        with self._lock:
            if self._ended:
                raise RuntimeError(f"strand {self.name} has ended: it takes no new actors")
            self._live += 1
            start = not self._started and not self._held
            self._started = self._started or start
        self._queue.put((actor, _SETUP))
        if start:
            WORKERS.run(self._run, self.name, self.done)

    def start(
        self,
        *,
        inline: bool = False,
        until: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> None:
        """Start a strand made with ``held=True`` (its first messages are queued).

        With ``inline`` the calling thread serves the strand first: its queued
        messages, and its socket and timers without blocking, until it has
        nothing to do right now. With ``until`` it serves it, sleeping in its
        poll as a worker would, until ``until()`` is true or ``deadline`` (a
        ``monotonic`` time) passes. Only then does a worker thread take over.
        A caller that would otherwise hand the strand to a worker and wait for
        it (an SCU waiting for its A-ASSOCIATE-AC, a server that has just
        accepted) saves the hand-over on the way: about one thread wake-up.
        """
        with self._lock:
            self._held = False
            start = not self._started and self._live > 0
            self._started = self._started or start
        if not start:
            return
        if self._park and (inline or until is not None):
            self._serving.acquire()
            try:
                self._serve(until, block=until is not None, deadline=deadline)
            finally:
                self._let_go()  # parked, or ended
            return
        if inline or until is not None:
            with self._serving:
                ended = self._serve(until, block=until is not None, deadline=deadline)
            if ended:
                self._finish()
                self.done.set()
                return
        if self._park:
            with self._lock:
                self._jobs += 1
            WORKERS.run(self._run_parked, self.name)
            return
        WORKERS.run(self._run, self.name, self.done)

    def serve_while(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None = None,
        first: Callable[[], object] | None = None,
        block: bool = True,
    ) -> None:
        """Call ``first`` (e.g. tell an actor a request), then serve the strand on this
        thread until ``until()`` (None: until it ends) or ``deadline`` -- if its
        worker is asleep. If the worker is busy, only ``first`` is called. Without
        ``block``, serve only until there is nothing to do right now.

        For a thread that would only wait for the strand (a facade method waiting
        for a response): its request is queued without waking the worker, and it
        takes the response off the socket itself instead of being woken by the
        worker for it. The worker sleeps on; it is woken when this thread is done.
        """
        if self.serving_here():
            if first is not None:
                first()
            if self._running and block:
                self._serve_nested(until, deadline)
            return
        if not self._serving.acquire(blocking=False):
            if first is not None:
                first()
            return
        if self._park:
            self._visit_parked(until, deadline, first, block)
            return
        # While this thread serves the strand, the worker's poll leaves the socket
        # alone: data this thread reads would only wake the worker for nothing.
        self._visitor = get_ident()
        suspend = self._watched is not None and not self._ended
        if suspend:
            try:
                self._poll.unregister(self._watched)  # type: ignore[arg-type]
            except (OSError, ValueError):
                suspend = False
            self._suspended = suspend
        try:
            self._visit(until, deadline, first, block)
        finally:
            self._visitor = None
            if suspend:
                self._suspended = False
                if self._watched is not None:
                    # Data that came meanwhile and was not read wakes the worker now.
                    self._poll.register(self._watched, select.POLLIN)
            self._serving.release()
            # The worker sleeps on unless it has something new to see: messages
            # queued meanwhile, a timer due before the one it sleeps for, the end.
            due = self._next_due()
            wakes_at = self._worker_wakes_at
            # (wakes_at was taken a little after the timer's due time was read: a
            # millisecond's slack, the poll's own resolution.)
            earlier = due is not None and (wakes_at is None or due < wakes_at - 0.001)
            # A worker that is not asleep in its poll looks at all of these anyway.
            asleep = self._worker in self._sleepers
            if asleep and (earlier or not self._live or not self._queue.empty()):
                self._waker.wake()

    def _visit_parked(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None,
        first: Callable[[], object] | None,
        block: bool,
    ) -> None:
        """serve_while for a parking strand (this thread holds ``_serving``): no worker
        sleeps in its poll, so the socket stays in it; the strand is parked again after."""
        try:
            if self._parked:
                PARKING.unpark(self, self._parking_fd())
            self._visit(until, deadline, first, block)
        finally:
            self._let_go()

    def _visit(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None,
        first: Callable[[], object] | None,
        block: bool,
    ) -> None:
        """On this thread, which holds ``_serving``: ``first()``, then serve the strand
        until ``until()`` (or ``deadline``), as the thread the strand's handlers see."""
        outer = self._ident
        self._ident = get_ident()
        try:
            if first is not None:
                first()
            if self._started and not self._ended and self._live:
                self._serve(until, block=block, deadline=deadline, look=block)
        finally:
            self._ident = outer

    def _parking_fd(self) -> int:
        """The epoll set PARKING watches for this strand (a parking strand has one)."""
        poll = self._poll
        assert isinstance(poll, _EPoll)
        return poll.fileno()

    def _run_parked(self) -> None:
        """A worker's turn on a parking strand: serve what there is, then park again."""
        self._serving.acquire()
        with self._lock:
            self._jobs -= 1
        try:
            if self._parked:  # parked again by a thread that served it meanwhile
                PARKING.unpark(self, self._parking_fd())
            if not self._ended and self._live:
                self._serve(None, block=False)
        finally:
            self._let_go()

    def _let_go(self) -> None:
        """Release ``_serving`` of a parking strand, parked again -- or ended, if every
        actor has stopped, or left to a worker that PARKING has started meanwhile."""
        try:
            if self._ended:
                with self._lock:
                    last = self._jobs == 0
                if last:
                    self.done.set()
                return
            if not self._live:
                self._finish()
                with self._lock:
                    last = self._jobs == 0
                if last:
                    self.done.set()
                return
            if self._jobs or self._parked or not self._started:
                return
            waker = self._waker
            if waker.pending:  # a wake meant for a thread that served the strand since
                waker.clear()
            PARKING.park(self, self._parking_fd(), self._next_due())
            if not self._queue.empty():  # posted before it was parked: no wake was sent
                waker.wake()
        finally:
            self._serving.release()

    def serving_here(self) -> bool:
        """True on the thread serving this strand now (e.g. inside one of its handlers)."""
        return get_ident() == self._ident

    def handling(self, ref: pykka.ActorRef[Any]) -> bool:
        """True if ``ref``'s actor is inside a handler on this thread now: a message to
        it waits until that handler returns."""
        return self.serving_here() and any(actor.actor_ref == ref for actor in self._running)

    def _serve_nested(self, until: Callable[[], bool] | None, deadline: float | None) -> None:
        """Serve the strand from inside a handler running on it (a handler that waits
        for its own association: a response, the release). The actors on the stack
        get their messages after their handler returns; ``until=None`` means until
        they are the only ones left."""
        running = self._running

        def done() -> bool:
            if until is None:
                return self._live <= len(set(running))
            return until()

        if not done():
            self._serve(done, block=True, deadline=deadline)

    def post(self, actor: StrandActor, envelope: Any) -> None:
        if get_ident() == self._ident:
            if envelope.reply_to is not None and actor not in self._running:
                self._handle_now(actor, envelope)
            else:
                self._queue.put((actor, envelope))
            return
        self._queue.put((actor, envelope))
        if self._sleepers or self._parked:
            self._waker.wake()

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        """Run ``callback`` on this strand after ``delay`` seconds (call from the strand)."""
        timer = _Timer(monotonic() + max(0.0, delay), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def watch(self, sock: socket.socket, on_readable: Callable[[], None]) -> None:
        """Call ``on_readable`` on this strand whenever ``sock`` is readable (one socket)."""
        self.unwatch()
        self._watched = sock.fileno()
        self._on_readable = on_readable
        if not self._suspended:
            self._poll.register(self._watched, select.POLLIN)

    def unwatch(self) -> None:
        if self._watched is not None and not self._suspended:
            try:
                self._poll.unregister(self._watched)
            except (KeyError, ValueError, OSError):
                pass
        self._watched = None
        self._on_readable = None

    # -- the thread ---------------------------------------------------------

    def _run(self) -> None:
        """A worker's loop: serve until every actor has stopped."""
        me = self._worker = get_ident()
        while True:
            # Asleep (for a thread serving the strand now) before trying to take it:
            # that thread then wakes this one when it is done, if there is anything
            # to see; else this one sleeps on in its poll.
            self._sleepers.add(me)
            if self._serving.acquire(blocking=False):
                self._sleepers.discard(me)
                try:
                    if self._serve(None, block=True):
                        break
                finally:
                    self._serving.release()
                continue
            self._worker_wakes_at = self._next_due()
            wakes_at = self._worker_wakes_at
            timeout = None if wakes_at is None else wakes_at - monotonic()
            try:
                events = self._poll.poll(_milliseconds(timeout))
            finally:
                self._sleepers.discard(me)
            for fd, _ in events:
                if fd == self._waker.fd:
                    self._waker.clear()
            # Socket events and timers are the strand's: seen once it is taken.
        self._finish()

    def _serve(
        self,
        until: Callable[[], bool] | None,
        *,
        block: bool,
        deadline: float | None = None,
        look: bool = True,
    ) -> bool:
        """Serve messages, the socket and timers; True once every actor has stopped.

        Stops early (False) when ``until()`` is true, when ``deadline`` passes,
        or, without ``block``, as soon as there is nothing to do right now.
        """
        outer = self._ident
        self._ident = get_ident()
        backlog = self._backlog
        get_nowait = self._queue.get_nowait
        handled = 0
        try:
            while self._live:
                if until is not None and until():
                    return False
                if backlog:
                    item = backlog.popleft()
                else:
                    try:
                        item = get_nowait()
                    except queue.Empty:
                        if not block:
                            # A thread passing through (not the strand's own
                            # worker) leaves the socket and timers to the worker,
                            # which polls them anyway.
                            if look and self._look_around():
                                continue
                            return False
                        if deadline is not None and monotonic() >= deadline:
                            return False
                        self._wait(deadline)
                        handled = 0
                        continue
                self._handle(*item)
                handled += 1
                if handled >= _LOOK_AROUND_EVERY:
                    # A busy queue must not starve the socket and the timers (a
                    # C-CANCEL arriving while a handler floods us with responses).
                    handled = 0
                    self._look_around()
            return True
        finally:
            self._ident = outer

    def _look_around(self) -> bool:
        """Due timers and a readable socket, without waiting; True if there was any."""
        queued = not self._queue.empty()
        self._fire_timers()
        events = self._poller().poll(0)
        self._dispatch(events)
        return bool(events) or queued or not self._queue.empty()

    def _finish(self) -> None:
        """Every actor has stopped: release the socket and the waker, refuse what is left."""
        with self._lock:
            self._ended = True
        self.unwatch()
        # Cancelled timers hold their actors' timers, which hold this strand.
        self._timers.clear()
        if isinstance(self._poll, _EPoll):
            if self._park:
                PARKING.forget(self._parking_fd())
            if not _give_back_kit(self._waker, self._poll):
                self._waker.close()
                self._poll.close()
        else:
            self._waker.close()
        backlog = self._backlog
        # Whatever arrived for actors that have stopped meanwhile.
        deferred, self._deferred = self._deferred, []
        backlog.extend(deferred)
        while backlog:
            _refuse(*backlog.popleft())
        while True:
            try:
                _refuse(*self._queue.get_nowait())
            except queue.Empty:
                break

    def _wait(self, deadline: float | None = None) -> None:
        """Fire due timers; with nothing queued, sleep until a message, timer or read."""
        timeout = self._fire_timers()
        if deadline is not None:
            left = max(0.0, deadline - monotonic())
            timeout = left if timeout is None else min(timeout, left)
        if not self._queue.empty():
            return
        me = get_ident()
        self._sleepers.add(me)
        try:
            if not self._queue.empty():  # posted between the check above and the flag
                return
            poller = self._poller()
            if self._worker == me:
                self._worker_wakes_at = None if timeout is None else monotonic() + timeout
            # Only the worker lets go of the strand while it sleeps. A thread that
            # took it over keeps it: it alone must see what it is waiting for.
            let_go = self._worker == me
            if let_go:
                self._serving.release()
            try:
                events = poller.poll(_milliseconds(timeout))
            finally:
                # Awake before it waits for the strand: a thread serving it meanwhile
                # need not wake it (it serves on as soon as it has the strand).
                self._sleepers.discard(me)
                if let_go:
                    self._serving.acquire()
                    self._ident = me
        finally:
            self._sleepers.discard(me)
        if self._live:
            # Stale if another thread served the strand meanwhile: a read then
            # finds nothing, a closed socket is no longer watched.
            self._dispatch(events)

    def _poller(self) -> Any:
        """The strand's poll object for its worker (or before it has one); a fresh one
        for a thread serving it meanwhile (one poll object cannot be polled twice at once)."""
        if self._visitor != get_ident():
            return self._poll
        poller = select.poll()
        poller.register(self._waker.fd, select.POLLIN)
        if self._watched is not None:
            poller.register(self._watched, select.POLLIN)
        return poller

    def _dispatch(self, events: list[tuple[int, int]]) -> None:
        for fd, flags in events:
            if fd == self._waker.fd:
                self._waker.clear()
            elif fd == self._watched and self._on_readable is not None:
                if flags & select.POLLNVAL:  # closed without unwatch: stop polling it
                    self.unwatch()
                else:
                    self._on_readable()

    def _next_due(self) -> float | None:
        """When the next timer that is not cancelled is due (None: no timer)."""
        due = [timer.due for timer in self._timers if not timer.cancelled]
        return min(due) if due else None

    def _fire_timers(self) -> float | None:
        """Run the callbacks of due timers; seconds until the next one (None: none)."""
        timers = self._timers
        while timers:
            first = timers[0]
            if first.cancelled:
                heapq.heappop(timers)
                continue
            wait = first.due - monotonic()
            if wait > 0:
                return wait
            heapq.heappop(timers)
            try:
                first.callback()
            except Exception:  # a timer of an actor that has stopped: nothing to do
                LOGGER.debug("timer callback failed on %s", self.name, exc_info=True)
        return None

    def _handle(self, actor: StrandActor, envelope: Any) -> None:
        if envelope is _SETUP:
            self._running.append(actor)
            try:
                actor._actor_loop_setup()
            finally:
                self._running.pop()
            self._check_stopped(actor)
            return
        # (A StrandActor's actor_stopped is a Flag: its attribute, not a method call.)
        stopped = actor.actor_stopped
        if stopped._flag:  # type: ignore[attr-defined]
            _refuse(actor, envelope)
            return
        running = self._running
        if actor in running:
            self._deferred.append((actor, envelope))
            return
        running.append(actor)
        try:
            message = envelope.message
            if type(message) in _PYKKA_MESSAGES:  # stop and proxy calls: pykka's own
                response = actor._handle_receive(message)
            else:
                response = actor.on_receive(message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                envelope.reply_to.set_exception()
            else:
                actor._handle_failure(*sys.exc_info())
                try:
                    actor.on_failure(*sys.exc_info())
                except Exception:
                    actor._handle_failure(*sys.exc_info())
        except BaseException:
            LOGGER.debug("%r in %s: stopping every actor", sys.exc_info()[1], actor)
            actor._stop()
            pykka.ActorRegistry.stop_all(block=False)
        finally:
            running.pop()
            if self._deferred and actor not in running:
                self._take_back(actor)
        if stopped._flag:  # type: ignore[attr-defined]
            self._check_stopped(actor)

    def _take_back(self, actor: StrandActor) -> None:
        """``actor``'s handler has returned: its deferred messages come next, in order."""
        mine = [item for item in self._deferred if item[0] is actor]
        if mine:
            self._deferred = [item for item in self._deferred if item[0] is not actor]
            self._backlog.extendleft(reversed(mine))

    def _check_stopped(self, actor: StrandActor) -> None:
        if actor.actor_stopped.is_set() and not actor._strand_done:
            actor._strand_done = True
            self._live -= 1
            # The inbox (which its ActorRef keeps) lets go of the actor: no reference
            # cycle is left for the garbage collector, refcounting frees the actor.
            inbox = actor.actor_inbox
            if isinstance(inbox, _StrandInbox):
                inbox.actor = None

    def _handle_now(self, actor: StrandActor, asked: Any) -> None:
        """Handle ``actor``'s queued messages up to ``asked`` now, on this thread."""
        backlog = self._backlog
        while True:
            try:
                backlog.append(self._queue.get_nowait())
            except queue.Empty:
                break
        mine = [item for item in backlog if item[0] is actor]
        if mine:
            others = [item for item in backlog if item[0] is not actor]
            backlog.clear()
            backlog.extend(others)
        for item in mine:
            self._handle(*item)
        self._handle(actor, asked)


def _refuse(actor: Any, envelope: Any) -> None:
    """A message its actor will never handle: an ``ask`` gets ActorDeadError."""
    reply_to = getattr(envelope, "reply_to", None)
    if reply_to is None:
        return
    if isinstance(envelope.message, _ActorStop):
        reply_to.set(None)
        return
    error = ActorDeadError(f"{actor.actor_ref} stopped before handling the message")
    reply_to.set_exception(exc_info=(ActorDeadError, error, None))


class _StrandInbox:
    """What pykka's ActorRef puts envelopes into: the strand's queue, tagged with the actor."""

    __slots__ = ("actor", "actor_ref", "strand")

    def __init__(self, strand: Strand, actor: StrandActor) -> None:
        self.strand = strand
        self.actor: StrandActor | None = actor
        # What a refusal names once the actor has stopped and is let go.
        self.actor_ref = f"{type(actor).__name__} ({actor.actor_urn})"

    def put(
        self, envelope: Envelope[Any], block: bool = True, timeout: float | None = None
    ) -> None:
        actor = self.actor
        if actor is None:  # stopped (pykka's ref checks first; this is the race)
            _refuse(self, envelope)
            return
        self.strand.post(actor, envelope)

    def empty(self) -> bool:
        return True


_ACTOR_NUMBERS = itertools.count(1)


class _StrandActorRef(pykka.ActorRef[Any]):
    """pykka's ActorRef with ``tell`` reading the stopped Flag directly (several
    messages per DIMSE message go through it)."""

    def tell(self, message: Any) -> None:
        if self.actor_stopped._flag:  # type: ignore[attr-defined]
            raise ActorDeadError(f"{self} not found")
        self.actor_inbox.put(Envelope(message))


class StrandActor(pykka.Actor):
    """An actor served by a :class:`Strand` it shares with others."""

    def __init__(self, strand: Strand) -> None:
        self.strand = strand
        self._strand_done = False
        # pykka's Actor.__init__ without its uuid4 (a third of the actor's own
        # set-up): the URN only has to be unique among this process's actors.
        self.actor_urn = f"urn:dicomactors:{next(_ACTOR_NUMBERS)}"
        self.actor_inbox = self._create_actor_inbox()
        self.actor_stopped = Flag()
        self._actor_ref = _StrandActorRef(self)

    def _create_actor_inbox(self) -> Any:  # type: ignore[override]
        return _StrandInbox(self.strand, self)

    @staticmethod
    def _create_future() -> ThreadingFuture[Any]:
        return ThreadingFuture()

    def _start_actor_loop(self) -> None:
        self.strand.attach(self)

    def stop_soon(self) -> None:
        """Stop after the messages already queued (pykka's stop, minus the future)."""
        stop_soon(self.actor_ref)


def stop_soon(ref: pykka.ActorRef[Any]) -> None:
    """Tell ``ref`` to stop after its queued messages; nothing to wait on, no error if gone."""
    try:
        ref.tell(_ActorStop())
    except ActorDeadError:
        pass
