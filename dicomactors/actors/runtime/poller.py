"""What a strand sleeps in: an epoll set (or a poll set off Linux) and a waker.

A strand's thread sleeps in :meth:`EPoll.poll` on its watched socket and on a
:class:`Waker`, a descriptor another thread makes readable when it posts a
message. Ended strands leave their waker and epoll set (a "kit") for the next
strand: five system calls saved per association and side.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from typing import Any

_ONE = (1).to_bytes(8, sys.byteorder)


class Waker:
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
        """From any thread: end the poll of whoever sleeps on :attr:`fd`."""
        with self._lock:
            if self._closed:
                return
            self.pending = True
            try:
                os.write(self._write_fd, _ONE)
            except OSError:
                pass  # already readable: the poll ends either way

    def clear(self) -> None:
        """From the thread that polled it: make :attr:`fd` unreadable again."""
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


class EPoll:
    """``select.epoll`` with ``select.poll``'s interface (timeouts in milliseconds).

    Unlike a poll set, an epoll set can be changed while another thread sleeps in
    it: a thread that serves the strand meanwhile takes the socket out of it.
    (Without epoll, not on Linux, a plain poll set is used: the worker is then
    woken by data the serving thread reads.)
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


def new_poll_set(waker: Waker) -> Any:
    """An :class:`EPoll` where there is epoll, else a ``select.poll``; the waker in it."""
    poll: Any = EPoll() if hasattr(select, "epoll") else select.poll()
    poll.register(waker.fd, select.POLLIN)
    return poll


#: Wakers and epoll sets of ended strands, each with its waker registered, kept
#: for the next strands (eventfd, epoll_create, epoll_ctl and two close saved).
_KITS: list[tuple[Waker, EPoll]] = []
_KEEP_KITS = 64


def take_kit() -> tuple[Waker, Any]:
    """A waker and a poll set with the waker in it: a kept one if there is one."""
    try:
        return _KITS.pop()  # atomic: no lock needed
    except IndexError:
        pass
    waker = Waker()
    return waker, new_poll_set(waker)


def give_back_kit(waker: Waker, poll: EPoll) -> bool:
    """Keep an ended strand's waker and epoll set (its socket already unwatched);
    False if enough are kept: the caller closes them."""
    if len(_KITS) >= _KEEP_KITS:
        return False
    if waker.pending:
        waker.clear()  # (a late wake from the old strand is at worst a spurious one)
    _KITS.append((waker, poll))
    return True


def milliseconds(seconds: float | None) -> int | None:
    """A poll timeout: None waits for ever; at least 1 ms (0 would not sleep at all)."""
    return None if seconds is None else max(1, int(seconds * 1000))
