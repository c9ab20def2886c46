"""The worker pool: threads that run strands and thread actors, kept for the next one.

Also the two small joinables everything here hands out: :class:`Flag` (an
event that costs nothing until somebody waits on it) and :class:`Done` (joins a
loop whose thread goes back to the pool).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

LOGGER = logging.getLogger("dicomactors.runtime")

#: Makes the Event behind a Flag once, whoever waits first.
_FLAG_LOCK = threading.Lock()


class Flag(threading.Event):
    """A ``threading.Event`` that is a plain attribute until somebody waits on it.

    An association makes several events that are set and read but rarely waited
    on (each actor's ``actor_stopped``, each loop's :class:`Done`, the facade's
    end): a real Event costs a Condition and a lock each. The Condition is made
    by the first ``wait`` instead.
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

    The thread itself goes back to :data:`WORKERS` for the next one. Joining
    from inside the loop (its own pool thread, or a thread serving the strand
    now: ``inside``) returns at once: a loop cannot end while it waits for itself.
    """

    __slots__ = ("_event", "inside", "thread")

    def __init__(self, inside: Callable[[], bool] | None = None) -> None:
        self._event = Flag()
        # The pool thread running the loop, while it runs (a loop never joins itself).
        self.thread: threading.Thread | None = None
        # True on a thread that runs the loop's handlers without being its pool thread.
        self.inside = inside

    def set(self) -> None:
        self._event.set()

    def is_alive(self) -> bool:
        return not self._event.is_set()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is threading.current_thread():
            return
        if self.inside is not None and self.inside():
            return
        self._event.wait(timeout)


_Job = tuple[Callable[[], None], Done, str]


class _Worker:
    __slots__ = ("inbox", "thread")

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[_Job] = queue.SimpleQueue()
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
        # Other threads of the runtime that count as idle now (the parking thread).
        self._also_idle: list[Callable[[], int]] = []

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

    def count_as_idle(self, idle: Callable[[], int]) -> None:
        """Count ``idle()`` more threads in :meth:`idle_threads` (the parking thread)."""
        self._also_idle.append(idle)

    def idle_threads(self) -> int:
        """Threads waiting for work now (what a thread count should leave out), the
        parking thread included while it has nothing parked."""
        with self._lock:
            idle = len(self._idle)
        return idle + sum(count() for count in self._also_idle)

    def _serve(self, worker: _Worker, job: _Job | None) -> None:
        thread = threading.current_thread()
        with self._lock:
            self._all.add(thread)
        try:
            self._work(worker, job, thread)
        finally:
            with self._lock:
                self._all.discard(thread)

    def _work(self, worker: _Worker, job: _Job | None, thread: threading.Thread) -> None:
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

    def _next(self, worker: _Worker) -> _Job | None:
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
