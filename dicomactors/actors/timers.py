"""One timer thread for every ARTIM, idle and reply timer in the process.

A timer posts a message to an actor when it fires; it never runs protocol
code itself. Cancelling is cheap (a flag), and a cancelled timer that fires
anyway is harmless because every timer message carries a generation number
the receiving actor compares with its own.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from typing import Any


@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class TimerHandle:
    __slots__ = ("_entry",)

    def __init__(self, entry: _Entry) -> None:
        self._entry = entry

    def cancel(self) -> None:
        self._entry.cancelled = True


class Scheduler:
    """A heap of due times served by one daemon thread, woken by a condition."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        entry = _Entry(monotonic() + max(0.0, delay), next(self._seq), callback)
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dicomactors-timers", daemon=True
                )
                self._thread.start()
            # Wake the thread only when its next deadline moved earlier: restarting
            # an idle timer for every PDU must not cost a thread switch each time.
            if self._heap[0] is entry:
                self._cond.notify()
        return TimerHandle(entry)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0].cancelled:
                    if self._heap:
                        heapq.heappop(self._heap)
                        continue
                    self._cond.wait()
                entry = self._heap[0]
                wait = entry.due - monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            if not entry.cancelled:
                try:
                    entry.callback()
                except Exception:  # a dead actor's ref raises; nothing to do
                    pass


SCHEDULER = Scheduler()


class ActorTimer:
    """A restartable one-shot timer owned by one actor (ARTIM, idle, ...).

    ``start`` (re)arms it; when it fires, ``post(generation)`` is called with
    the generation it was armed with, and the actor ignores stale ones.
    """

    def __init__(self, post: Callable[[int], None], scheduler: Any = None) -> None:
        self._post = post
        # Anything with ``call_later(delay, callback)`` returning a handle with
        # ``cancel()``: a strand (timers fire on the actor's own thread) or, by
        # default, the process-wide timer thread.
        self._scheduler = scheduler if scheduler is not None else SCHEDULER
        self._handle: Any = None
        self.generation = 0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self, seconds: float | None) -> None:
        self.stop()
        if seconds is None:
            return
        self.generation += 1
        generation = self.generation
        self._handle = self._scheduler.call_later(seconds, lambda: self._post(generation))

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.generation += 1

    def is_current(self, generation: int) -> bool:
        return self._handle is not None and generation == self.generation
