"""The requestor's asynchronous operations window: requests outstanding at once.

With a window of N agreed in the A-ASSOCIATE-AC (PS3.7 D.3.3.3,
:func:`dicomactors.operations_window.agreed_window`), an SCU may send up to N
requests before the first response comes. :class:`OperationsWindow` keeps them:
each request outstanding is a ``concurrent.futures.Future`` that the association's
strand resolves when the response whose Message ID Being Responded To is the
request's Message ID arrives (in whatever order the peer answers; PS3.7 9.1.1.1
says no two outstanding operations share a Message ID, so a taken one is refused).

A thread that must wait (for a free place in the window, a response, the last
response before a release) serves the association's strand meanwhile, as every
blocking call of the facade does (:meth:`Strand.wait_for`), and gives up after
``dimse_timeout`` without any response: the association is then aborted, which
fails every future still outstanding with :class:`NoResponseError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from time import monotonic
from typing import Any

from dicomactors.actors.association import CLOSED, ResponseReceived, SendRequest
from dicomactors.operations_window import agreed_window

LOGGER = logging.getLogger("dicomactors.association")

_PENDING = (0xFF00, 0xFF01)


class NoResponseError(RuntimeError):
    """A request sent with ``wait=False`` got no response: the association ended first
    (aborted, released or closed by the peer, or no response within ``dimse_timeout``)."""


class _Sink:
    """Where the association actor puts one outstanding request's responses."""

    __slots__ = ("convert", "future", "message_id", "window")

    def __init__(
        self,
        window: OperationsWindow,
        message_id: int,
        convert: Callable[[ResponseReceived], Any],
    ) -> None:
        self.window = window
        self.message_id = message_id
        self.convert = convert
        self.future: Future[Any] = Future()

    def put(self, got: Any) -> None:
        if got is not CLOSED and got.message.status in _PENDING:
            return  # only the final response resolves the future
        self.window._finish(self, got)


class OperationsWindow:
    """The requests one association has outstanding, as futures (one per facade).

    ``ended()`` says why the association ended, for the error of a future that
    got no response.
    """

    def __init__(self, ended: Callable[[], str]) -> None:
        self._ended = ended
        self._cond = threading.Condition(threading.Lock())
        self._outstanding: dict[int, Future[Any]] = {}
        # Final responses (or failures) seen so far: a waiter's sign of progress.
        self._answered = 0

    @property
    def outstanding(self) -> int:
        """How many requests sent with this window have no final response yet."""
        return len(self._outstanding)

    def is_outstanding(self, message_id: int) -> bool:
        return message_id in self._outstanding

    def size(self, assoc: Any) -> int:
        """The window agreed: how many requests this side may have outstanding."""
        status = assoc._board.status
        return agreed_window(status.rq, status.ac, requestor=assoc.is_requestor)

    def submit(
        self,
        assoc: Any,
        context_id: int,
        message: Any,
        dataset: Any,
        convert: Callable[[ResponseReceived], Any],
    ) -> Future[Any]:
        """Send a request once the window has room; a future of ``convert(response)``.

        Blocks (serving the association) while the window is full. Raises
        ``ValueError`` if a request outstanding has the same Message ID, and
        :class:`NoResponseError` if the association ended while waiting.
        """
        message_id = message.message_id
        self.check_free(message_id)
        size = self.size(assoc)
        sink = _Sink(self, message_id, convert)
        while not self._reserve(sink, size):
            if not self._wait(assoc, lambda: len(self._outstanding) < size):
                raise NoResponseError(f"no room in the operations window: {self._ended()}")
        request = SendRequest(context_id, message, dataset, sink)
        told: list[bool] = []
        strand = assoc._strand
        if strand is None:
            told.append(assoc._tell(request))
        else:
            # Sent on this thread if no other serves the association: no wake-up.
            strand.hand_over(lambda: told.append(assoc._tell(request)))
        if not told[0]:
            self._finish(sink, CLOSED)
        return sink.future

    def check_free(self, message_id: int) -> None:
        """``ValueError`` if a request outstanding has this Message ID."""
        if message_id in self._outstanding:
            raise ValueError(
                f"message ID {message_id} belongs to a request still outstanding (no two"
                " outstanding operations may share one, PS3.7 9.1.1.1): pass another msg_id"
            )

    def _reserve(self, sink: _Sink, size: int) -> bool:
        """Take a place in the window for ``sink``'s request, if there is one."""
        with self._cond:
            self.check_free(sink.message_id)
            if len(self._outstanding) >= size:
                return False
            self._outstanding[sink.message_id] = sink.future
            return True

    def result(self, assoc: Any, future: Future[Any]) -> Any:
        """Wait for ``future`` (serving the association); its result or its error."""
        if not future.done():
            self._wait(assoc, future.done)
        return future.result(timeout=0)

    def drain(self, assoc: Any) -> bool:
        """Wait until no request is outstanding; False if the association was aborted
        because a response did not come within ``dimse_timeout``."""
        return self._wait(assoc, lambda: not self._outstanding)

    def fail_all(self) -> None:
        """The association has ended: every future still outstanding fails."""
        with self._cond:
            left = list(self._outstanding.items())
            self._outstanding.clear()
            self._cond.notify_all()
        for message_id, future in left:
            if not future.done():
                future.set_exception(self._error(message_id))

    def _error(self, message_id: int) -> NoResponseError:
        return NoResponseError(f"no response to message ID {message_id}: {self._ended()}")

    def _finish(self, sink: _Sink, got: Any) -> None:
        """The final response to ``sink``'s request, or CLOSED: resolve its future."""
        with self._cond:
            self._outstanding.pop(sink.message_id, None)
            self._answered += 1
            self._cond.notify_all()
        future = sink.future
        if future.done():
            return
        if got is CLOSED:
            future.set_exception(self._error(sink.message_id))
            return
        try:
            value = sink.convert(got)
        except Exception as exc:  # a response that does not convert fails its future only
            future.set_exception(exc)
        else:
            future.set_result(value)

    def _wait(self, assoc: Any, ready: Callable[[], bool]) -> bool:
        """Until ``ready()``; serve the strand meanwhile. After ``dimse_timeout`` with no
        response at all, abort the association and return False."""
        timeout = assoc.dimse_timeout
        while not ready():
            seen = self._answered

            def moved(seen: int = seen) -> bool:
                return self._answered != seen or ready()

            deadline = None if timeout is None else monotonic() + timeout
            strand = assoc._strand
            if strand is not None:
                strand.wait_for(moved, deadline)
            # Another thread serves the strand (or it has ended): wait for its news.
            with self._cond:
                while not moved():
                    left = None if deadline is None else deadline - monotonic()
                    if left is not None and left <= 0:
                        break
                    self._cond.wait(left)
            if not moved():
                LOGGER.error(
                    "no response within dimse_timeout (%ss): aborting the association", timeout
                )
                assoc.abort()
                self.fail_all()
                return ready()
        return True


def why_ended(status: Any) -> str:
    """A few words on how an association ended, from its last status snapshot."""
    if status.aborted:
        return "the association was aborted"
    if status.released:
        return "the association was released"
    if not status.established:
        return "the association is not established"
    return "the association ended"
