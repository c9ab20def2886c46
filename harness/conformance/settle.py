"""Keeping the node's load out of a verdict: transient rejections waited out, idle timeouts
told apart from answers.

A node may still count associations that were released a moment ago (DCMTK counts a
forked child until it is reaped) and turn the next one away with a transient
A-ASSOCIATE-RJ (result 2, PS3.8 7.1.1.7). That is no reaction to what a scenario probes:
:func:`play_settled` and :func:`settled_association` try again, with backoff, for up to
:data:`~harness.conformance.limit.WIND_DOWN` seconds. A node that stays silent and then
ends the association on its own idle timeout has not answered: an end later than
:data:`ANSWER_WITHIN` after our last send is no answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from harness.conformance.core import play, scu_association
from harness.conformance.limit import WIND_DOWN
from harness.outcome import Outcome
from harness.script import Script
from harness.systems import SystemUnderTest

ANSWER_WITHIN = 3.0
"""An A-ABORT or a close later than this after our last send is no answer to it but the
node's own idle timeout (pynetdicom's network timeout, say) ending a silence. Kept well
below the reply window, so that the two never race."""


def is_transient(outcome: Outcome) -> bool:
    return outcome.reject is not None and outcome.reject[0] == 2


def _pauses() -> Iterator[None]:
    """Yield after each backoff pause until the wind-down time is spent."""
    deadline = time.monotonic() + WIND_DOWN
    pause = 0.1
    while time.monotonic() + pause < deadline:
        threading.Event().wait(pause)
        pause = min(pause * 2, 1.0)
        yield


def play_settled(script: Script, sut: SystemUnderTest) -> Outcome:
    """:func:`~harness.conformance.core.play`, played again while the association the
    script asks for is rejected as transient (for up to the wind-down time)."""
    outcome = play(script, sut)
    if not is_transient(outcome):
        return outcome
    for _ in _pauses():
        outcome = play(script, sut)
        if not is_transient(outcome):
            break
    return outcome


def _transient_rejection(assoc: Any) -> bool:
    return bool(assoc.is_rejected) and getattr(assoc, "result", None) == 2


@contextmanager
def settled_association(sut: SystemUnderTest, *contexts: str, **kwargs: Any) -> Iterator[Any]:
    """:func:`~harness.conformance.core.scu_association`, asked again while the system
    rejects it as transient (for up to the wind-down time)."""
    with ExitStack() as stack:
        assoc = stack.enter_context(scu_association(sut, *contexts, **kwargs))
        if _transient_rejection(assoc):
            for _ in _pauses():
                stack.close()
                assoc = stack.enter_context(scu_association(sut, *contexts, **kwargs))
                if not _transient_rejection(assoc):
                    break
        yield assoc
