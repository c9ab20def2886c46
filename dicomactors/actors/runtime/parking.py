"""The parking thread: one thread that watches every strand no thread serves now.

A strand made with ``park=True`` (a requestor's) has no thread of its own
while it has nothing to do: its epoll set (its socket and its waker) sits in
this thread's epoll set, and its next timer in a table this thread sleeps by.
Whatever comes first -- data, a message from another thread, a timer -- gets
the strand a worker for as long as it has work. A requestor's strand spends
most of its life like this: the thread that calls ``associate``,
``send_c_echo`` and ``release`` serves it while it waits for the answer, so a
worker of its own would only be woken to go back to sleep, and once more to
end (three thread wake-ups per association on the SCU).

While nothing is parked the thread is idle, named like an idle pool thread and
counted with them (:meth:`Workers.idle_threads`).
"""

from __future__ import annotations

import logging
import select
import threading
from time import monotonic
from typing import Any, Protocol

from dicomactors.actors.runtime.poller import Waker
from dicomactors.actors.runtime.pool import WORKERS

LOGGER = logging.getLogger("dicomactors.runtime")


class Parkable(Protocol):
    """What the parking thread needs of a strand."""

    name: str
    #: True while the parking thread watches it (written under the parking lock only).
    parked: bool

    def parking_fd(self) -> int:
        """The epoll descriptor to watch (the strand's socket and waker are in it)."""
        ...

    def worker_coming(self) -> None:
        """Count a worker on its way, before anyone can see the strand unparked."""
        ...

    def run_parked(self) -> None:
        """A worker's turn: serve what there is, then park again."""
        ...


class Parking:
    """The one thread that watches parked strands (see the module docstring).

    ``_lock`` guards everything here and each strand's ``parked``; it is taken
    before a strand's own ``_lock`` (:meth:`Parkable.worker_coming`), never after.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoll: Any = None
        self._waker: Waker | None = None
        # The epoll descriptor of every strand registered here, parked or not.
        self._strands: dict[int, Parkable] = {}
        # Parked strands with a timer: when it is due.
        self._due: dict[Parkable, float] = {}
        self._parked = 0
        # When the thread's poll ends by itself (None: only on an event).
        self._wakes_at: float | None = None
        self._thread: threading.Thread | None = None

    def idle(self) -> int:
        """1 if the thread runs and has nothing parked (an idle thread), else 0."""
        return 1 if self._thread is not None and not self._parked else 0

    def park(self, strand: Parkable, fd: int, due: float | None) -> None:
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
            strand.parked = True
            self._parked += 1
            if self._parked == 1:
                self._thread.name = "dicomactors-parking"  # type: ignore[union-attr]
            wake = False
            if due is not None:
                self._due[strand] = due
                wake = self._wakes_at is None or due < self._wakes_at
        if wake:
            self._waker.wake()  # type: ignore[union-attr]

    def unpark(self, strand: Parkable, fd: int) -> None:
        """Stop watching ``strand``: the calling thread serves it (or a worker is on its way)."""
        with self._lock:
            if strand.parked:
                self._take(strand, fd)

    def forget(self, fd: int) -> None:
        """``fd`` (a strand's epoll set) is about to close: drop it."""
        with self._lock:
            strand = self._strands.pop(fd, None)
            if strand is None:
                return
            if strand.parked:
                self._take(strand, None)
            self._epoll.unregister(fd)

    def _take(self, strand: Parkable, fd: int | None) -> None:
        strand.parked = False
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
        self._waker = Waker()
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
            for strand in self._ready(events, waker):
                WORKERS.run(strand.run_parked, strand.name)

    def _ready(self, events: list[tuple[int, int]], waker: Waker) -> list[Parkable]:
        """The strands an event or a timer unparks now (each counted a worker)."""
        now = monotonic()
        ready: list[Parkable] = []
        with self._lock:
            for fd, _ in events:
                if fd == waker.fd:
                    waker.clear()
                    continue
                strand = self._strands.get(fd)
                if strand is not None and strand.parked:
                    ready.append(strand)
                    self._take(strand, None)
            for strand, when in list(self._due.items()):
                if when <= now:
                    ready.append(strand)
                    self._take(strand, strand.parking_fd())
            for strand in ready:
                # Counted before a thread serving it now could see it unparked
                # with no worker on its way (and park it again).
                strand.worker_coming()
        return ready


PARKING = Parking()
"""The thread that watches parked strands (started with the first one)."""

WORKERS.count_as_idle(PARKING.idle)
