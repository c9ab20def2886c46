"""Restartable one-shot timers owned by an actor (ARTIM, idle, reply).

A timer posts a message to its actor when it fires; it never runs protocol code
itself. The time-keeping belongs to the actor's strand
(:meth:`dicomactors.actors.runtime.Strand.call_later`), so a timer fires on the
actor's own thread. Cancelling is a flag, and a cancelled timer that fires anyway
is harmless because every timer message carries a generation number the
receiving actor compares with its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Scheduler(Protocol):
    """What runs a callback later (a strand): ``call_later(delay, callback)``,
    returning a handle with ``cancel()``."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any: ...


class ActorTimer:
    """A restartable one-shot timer owned by one actor (ARTIM, idle, ...).

    ``start`` (re)arms it; when it fires, ``post(generation)`` is called with
    the generation it was armed with, and the actor ignores stale ones.
    """

    def __init__(self, post: Callable[[int], None], scheduler: Scheduler) -> None:
        self._post = post
        self._scheduler = scheduler
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
