"""The strand: one thread serving the messages of several actors, in the order sent.

The actors of one association (association, DUL, DIMSE, short service
handlers) never block on one another, so they share a strand: a message from
one to another is appended to a queue the same thread reads next, instead of
waking another thread (about 20 µs per hop on a 2-core VM, several hops per
DIMSE message). A strand also runs its actors' timers and reads its one
watched socket, on the same thread.

The strand knows its actors only as :class:`Member` (the pykka glue,
:mod:`.pykka_glue`, implements it); the locking rules are in the package
docstring (:mod:`dicomactors.actors.runtime`).
"""

from __future__ import annotations

import heapq
import logging
import queue
import select
import socket
import threading
import weakref
from _thread import get_ident
from collections import deque
from collections.abc import Callable
from time import monotonic
from typing import Any, Protocol

from dicomactors.actors.runtime.parking import PARKING
from dicomactors.actors.runtime.poller import EPoll, give_back_kit, milliseconds, take_kit
from dicomactors.actors.runtime.pool import WORKERS, Done

LOGGER = logging.getLogger("dicomactors.runtime")


class Member(Protocol):
    """An actor a strand serves (:class:`~.pykka_glue.StrandActor`)."""

    #: A :class:`~.pool.Flag`: read as ``actor_stopped._flag`` on every message.
    actor_stopped: Any
    #: Set by the strand once the actor has stopped and left it.
    left_strand: bool

    def strand_setup(self) -> None:
        """Run ``on_start`` (the actor's first message)."""
        ...

    def strand_receive(self, envelope: Any) -> None:
        """Handle one envelope, answer its ``reply_to``; never raises."""
        ...

    def refuse(self, envelope: Any) -> None:
        """An envelope the actor will never handle: answer an ``ask`` with ActorDeadError."""
        ...

    def leave_strand(self) -> None:
        """The actor has stopped: drop what ties it to the strand (no reference cycle)."""
        ...


class _Setup:
    """Queued first for each actor: its ``on_start`` runs on the strand."""


_SETUP = _Setup()


class Timer:
    """A callback due at a ``monotonic`` time on a strand; :meth:`cancel` it from the strand."""

    __slots__ = ("callback", "cancelled", "due")

    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: Timer) -> bool:
        return self.due < other.due


#: Messages handled in a row before the strand looks at its socket and timers anyway.
_LOOK_AROUND_EVERY = 32


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
        self._queue: queue.SimpleQueue[tuple[Member, Any]] = queue.SimpleQueue()
        # Items taken off the queue early by a synchronous ask, still to be handled.
        self._backlog: deque[tuple[Member, Any]] = deque()
        self._lock = threading.Lock()
        self._live = 0
        self._ended = False
        # Actors whose handler is on this thread's stack now (a synchronous ask nests).
        self._running: list[Member] = []
        # Messages for an actor that was on the stack when they came up (the strand
        # served from inside its handler): handled once that handler returns.
        self._deferred: list[tuple[Member, Any]] = []
        self._timers: list[Timer] = []
        # An epoll set (EPoll) where there is one, else a select.poll.
        self._waker, self._poll = take_kit()
        # True while a thread other than the worker serves the strand: the socket is
        # then out of the worker's epoll set, so its data does not wake the worker.
        self._suspended = False
        # The thread serving the strand in wait_for or hand_over, while it does.
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
        # (A weak reference: the strand's Done must not keep the strand alive in a cycle.)
        me = weakref.ref(self)
        self.done = Done(inside=lambda: (strand := me()) is not None and strand._serving_here())
        # Parking needs an epoll set (Linux): it is what the parking thread watches.
        self._park = park and isinstance(self._poll, EPoll)
        # True while PARKING watches this strand (set and cleared under its lock).
        self.parked = False
        # Set by post() on the serving thread when a message goes to an actor whose
        # handler is on that thread's stack (it waits until the handler returns).
        self._behind_handler = False
        # Workers PARKING has started for this strand that have not yet taken it.
        self._jobs = 0

    # -- called by the actors ---------------------------------------------

    def attach(self, actor: Member) -> None:
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
            self.worker_coming()
            WORKERS.run(self.run_parked, self.name)
            return
        WORKERS.run(self._run, self.name, self.done)

    def wait_for(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None = None,
        *,
        send: Callable[[], object] | None = None,
    ) -> bool:
        """The one call a thread that waits for this strand makes: call ``send`` (tell
        an actor of the strand a request), then wait until ``until()`` is true (None:
        until the strand ends) or ``deadline`` (a ``monotonic`` time) passes.

        - From any other thread, when the strand's worker is asleep: this thread
          serves the strand meanwhile. Its request is queued without waking the
          worker, it takes the response off the socket itself, and the worker is
          woken afterwards only if it has something new to see.
        - When another thread serves the strand now: only ``send``; that thread
          answers, and the caller waits on its own future or queue as usual.
        - From a handler running on the strand (a handler that waits for its own
          association): the strand is served from inside the handler; the actors
          on the stack get their messages once their handlers return.

        False when waiting is pointless: ``send`` was called from a handler on the
        strand and its message went to an actor whose handler is on that stack (it
        acts only after the handler returns). True otherwise.
        """
        return self._serve_while(until, deadline, send, block=True)

    def hand_over(self, send: Callable[[], object]) -> None:
        """Call ``send`` (tell an actor of the strand something) from another thread;
        if the strand's worker is asleep, handle what is queued now on this thread
        instead of waking it (a service actor handing a response back)."""
        self._serve_while(None, None, send, block=False)

    def _serve_while(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None,
        first: Callable[[], object] | None,
        block: bool,
    ) -> bool:
        """:meth:`wait_for` and :meth:`hand_over`; without ``block``, serve only until
        there is nothing to do right now."""
        if self._serving_here():
            self._behind_handler = False
            if first is not None:
                first()
            if self._behind_handler:
                return False
            if self._running and block:
                self._serve_nested(until, deadline)
            return True
        if not self._serving.acquire(blocking=False):
            if first is not None:
                first()
            return True
        if self._park:
            self._visit_parked(until, deadline, first, block)
        else:
            self._visit_awake(until, deadline, first, block)
        return True

    def _visit_awake(
        self,
        until: Callable[[], bool] | None,
        deadline: float | None,
        first: Callable[[], object] | None,
        block: bool,
    ) -> None:
        """Serve a strand whose worker sleeps in its poll (this thread holds
        ``_serving``); wake the worker afterwards only if it has something new to see."""
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
            self._wake_worker_if_needed()

    def _wake_worker_if_needed(self) -> None:
        """The worker sleeps on unless it has something new to see: messages queued
        meanwhile, a timer due before the one it sleeps for, the end."""
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
        """_serve_while for a parking strand (this thread holds ``_serving``): no worker
        sleeps in its poll, so the socket stays in it; the strand is parked again after."""
        try:
            if self.parked:
                PARKING.unpark(self, self.parking_fd())
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

    def parking_fd(self) -> int:
        """The epoll set PARKING watches for this strand (a parking strand has one)."""
        poll = self._poll
        assert isinstance(poll, EPoll)
        return poll.fileno()

    def worker_coming(self) -> None:
        """For PARKING (under its lock): a worker is on its way to this strand."""
        with self._lock:
            self._jobs += 1

    def run_parked(self) -> None:
        """A worker's turn on a parking strand: serve what there is, then park again."""
        self._serving.acquire()
        with self._lock:
            self._jobs -= 1
        try:
            if self.parked:  # parked again by a thread that served it meanwhile
                PARKING.unpark(self, self.parking_fd())
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
            if self._jobs or self.parked or not self._started:
                return
            waker = self._waker
            if waker.pending:  # a wake meant for a thread that served the strand since
                waker.clear()
            PARKING.park(self, self.parking_fd(), self._next_due())
            if not self._queue.empty():  # posted before it was parked: no wake was sent
                waker.wake()
        finally:
            self._serving.release()

    def _serving_here(self) -> bool:
        """True on the thread serving this strand now (e.g. inside one of its handlers)."""
        return get_ident() == self._ident

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

    def post(self, actor: Member, envelope: Any) -> None:
        """Queue ``envelope`` for ``actor`` (from any thread: what its inbox's put does).

        On the serving thread an ``ask`` is answered at once (see the package
        docstring), unless its actor's handler is on the stack.
        """
        if get_ident() == self._ident:
            if actor in self._running:
                self._behind_handler = True
                self._queue.put((actor, envelope))
            elif envelope.reply_to is not None:
                self._handle_now(actor, envelope)
            else:
                self._queue.put((actor, envelope))
            return
        self._queue.put((actor, envelope))
        if self._sleepers or self.parked:
            self._waker.wake()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` on this strand after ``delay`` seconds (call from the strand)."""
        timer = Timer(monotonic() + max(0.0, delay), callback)
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
                events = self._poll.poll(milliseconds(timeout))
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
        if isinstance(self._poll, EPoll):
            if self._park:
                PARKING.forget(self.parking_fd())
            if not give_back_kit(self._waker, self._poll):
                self._waker.close()
                self._poll.close()
        else:
            self._waker.close()
        backlog = self._backlog
        # Whatever arrived for actors that have stopped meanwhile.
        deferred, self._deferred = self._deferred, []
        backlog.extend(deferred)
        while backlog:
            actor, envelope = backlog.popleft()
            actor.refuse(envelope)
        while True:
            try:
                actor, envelope = self._queue.get_nowait()
            except queue.Empty:
                break
            actor.refuse(envelope)

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
                events = poller.poll(milliseconds(timeout))
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

    def _handle(self, actor: Member, envelope: Any) -> None:
        if envelope is _SETUP:
            self._running.append(actor)
            try:
                actor.strand_setup()
            finally:
                self._running.pop()
            self._check_stopped(actor)
            return
        # (A StrandActor's actor_stopped is a Flag: its attribute, not a method call.)
        stopped = actor.actor_stopped
        if stopped._flag:
            actor.refuse(envelope)
            return
        running = self._running
        if actor in running:
            self._deferred.append((actor, envelope))
            return
        running.append(actor)
        try:
            actor.strand_receive(envelope)
        finally:
            running.pop()
            if self._deferred and actor not in running:
                self._take_back(actor)
        if stopped._flag:
            self._check_stopped(actor)

    def _take_back(self, actor: Member) -> None:
        """``actor``'s handler has returned: its deferred messages come next, in order."""
        mine = [item for item in self._deferred if item[0] is actor]
        if mine:
            self._deferred = [item for item in self._deferred if item[0] is not actor]
            self._backlog.extendleft(reversed(mine))

    def _check_stopped(self, actor: Member) -> None:
        if actor.actor_stopped.is_set() and not actor.left_strand:
            actor.left_strand = True
            self._live -= 1
            actor.leave_strand()

    def _handle_now(self, actor: Member, asked: Any) -> None:
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
