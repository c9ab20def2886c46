"""The two actor types dicomactors runs, as pykka sees them; the only module that
touches pykka's internals.

pykka lets an actor type decide where its messages wait and which thread
handles them (``_create_actor_inbox``, ``_create_future``, ``_start_actor_loop``,
documented by pykka as the hooks "for implementors of new actor types").

- :class:`ThreadActor`: pykka's ``ThreadingActor`` on a pooled thread, with a C
  ``SimpleQueue`` for an inbox. The service actors that run user handlers which
  may block (C-FIND, C-MOVE, C-GET, N-ACTION) are these.
- :class:`StrandActor`: an actor served by a :class:`~.strand.Strand` it shares
  with others. The association, DUL, DIMSE and short service actors of one
  association share one strand; the server's actor has a strand of its own.

A strand changes where actors run, not what they are: each keeps its own state,
sees only its own messages, in order, through ``on_receive``, and gets
``on_start``, ``on_stop`` and ``on_failure`` as pykka's own loop gives them. To
do so it replays pykka's loop one message at a time, with pykka's own pieces:
``Envelope``, ``_ActorStop``, ``Actor._actor_loop_setup``, ``_handle_receive``,
``_handle_failure`` and ``_stop``. These are private to pykka, so pyproject.toml
pins the pykka versions they were checked against and
tests/test_runtime_pykka_contract.py fails the day a pykka release changes
them (docs/architecture.md, "Where actors run", has the figures behind the choice).
"""

from __future__ import annotations

import itertools
import logging
import queue
import sys
from typing import Any

import pykka
from pykka import ActorDeadError, ThreadingFuture
from pykka._envelope import Envelope
from pykka.messages import ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop

from dicomactors.actors.runtime.pool import WORKERS, Done, Flag
from dicomactors.actors.runtime.strand import Strand

LOGGER = logging.getLogger("dicomactors.runtime")

#: Messages pykka itself handles (Actor._handle_receive); the rest go to on_receive.
_PYKKA_MESSAGES = frozenset({_ActorStop, ProxyCall, ProxyGetAttr, ProxySetAttr})


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


def refuse(actor: Any, envelope: Any) -> None:
    """A message its actor will never handle: an ``ask`` gets ActorDeadError (a stop
    is answered: the actor has stopped), as pykka's own loop does at its end."""
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
            refuse(self, envelope)
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
    """An actor served by a :class:`~.strand.Strand` it shares with others
    (a :class:`~.strand.Member` of it)."""

    def __init__(self, strand: Strand) -> None:
        self.strand = strand
        self.left_strand = False
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

    # -- what the strand calls (Member), on the strand's thread ---------------

    def strand_setup(self) -> None:
        self._actor_loop_setup()

    def strand_receive(self, envelope: Envelope[Any]) -> None:
        """One turn of pykka's ``_actor_loop_running`` for this envelope."""
        try:
            message = envelope.message
            if type(message) in _PYKKA_MESSAGES:  # stop and proxy calls: pykka's own
                response = self._handle_receive(message)
            else:
                response = self.on_receive(message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                envelope.reply_to.set_exception()
            else:
                self._handle_failure(*sys.exc_info())
                try:
                    self.on_failure(*sys.exc_info())
                except Exception:
                    self._handle_failure(*sys.exc_info())
        except BaseException:
            LOGGER.debug("%r in %s: stopping every actor", sys.exc_info()[1], self)
            self._stop()
            pykka.ActorRegistry.stop_all(block=False)

    def refuse(self, envelope: Any) -> None:
        refuse(self, envelope)

    def leave_strand(self) -> None:
        # The inbox (which its ActorRef keeps) lets go of the actor: no reference
        # cycle is left for the garbage collector, refcounting frees the actor.
        inbox = self.actor_inbox
        if isinstance(inbox, _StrandInbox):
            inbox.actor = None


def stop_soon(ref: pykka.ActorRef[Any]) -> None:
    """Tell ``ref`` to stop after its queued messages; nothing to wait on, no error if gone."""
    try:
        ref.tell(_ActorStop())
    except ActorDeadError:
        pass
