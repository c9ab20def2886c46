"""Where actors run: strands for the actors of one connection, pooled threads for the rest.

The parts, one module each:

- :mod:`.pool`: :data:`WORKERS`, the threads every loop runs on, kept for the
  next one; :class:`Done` joins a loop, :class:`Flag` is a cheap event.
- :mod:`.poller`: what a strand sleeps in: an epoll set and a :class:`~.poller.Waker`.
- :mod:`.parking`: :data:`PARKING`, one thread that watches every strand no
  thread serves now (a requestor's, between calls).
- :mod:`.strand`: :class:`Strand`, one thread serving several actors' messages,
  their timers and one socket.
- :mod:`.pykka_glue`: :class:`StrandActor` and :class:`ThreadActor`, the actor
  types as pykka sees them; the only module that touches pykka's internals.

Contract
--------

What a caller may do, from which thread:

- ``Strand(name, held=..., park=...)`` and ``strand.start(...)``: the thread that
  creates the association (the facade, or the server's strand for an acceptor).
- ``ref.tell`` / ``ref.ask`` / ``stop_soon(ref)`` to an actor of a strand: any
  thread. They end in :meth:`Strand.post`.
- ``strand.wait_for(until, deadline, send=...)``: the facade's one call, from
  any thread, on or off the strand (see its docstring for the three cases).
  ``strand.hand_over(send)``: the same for a thread actor handing a response back.
- ``strand.call_later``, ``strand.watch``, ``strand.unwatch``, ``Timer.cancel``:
  only from the strand's own handlers (the thread serving it).
- ``strand.done.join()``: any thread; from a thread serving the strand, or the
  pool thread of the loop itself, it returns at once.

Ordering:

- Messages posted to the actors of one strand are handled one at a time, in
  the order they were posted, on whichever thread serves the strand: no two
  handlers of a strand ever run at once, so an actor needs no lock of its own.
- An ``ask`` from a handler on the strand to another actor of the same strand
  is answered at once: that actor's queued messages, up to and including the
  one asked, are handled first; every other actor's messages stay where they
  were. An actor that asks or stops itself, or is asked while its handler is
  on the stack, gets pykka's order: after the message it is handling.
- Timers fire on the strand, due ones before the next poll; after at most 32
  messages in a row the strand looks at its socket and timers anyway.

Where a message crosses a thread: :meth:`Strand.post` from a thread that does
not serve the strand queues it and wakes the strand's sleeper (its worker, a
thread in ``wait_for``, or :data:`PARKING`) through the strand's waker. From
the serving thread it is only queued: no wake-up.

Locks (none is ever held while a handler runs, except ``_serving``):

- ``Strand._serving``: held by the one thread serving the strand (its worker,
  a thread in ``wait_for``, a thread in ``start``). Only its holder handles
  messages and touches the backlog, the handler stack, the timers and the
  watched socket. A worker lets go of it while it sleeps in its poll, so that a
  waiting thread can take the strand over instead of waking it.
- ``Strand._lock``: the strand's life: live actor count, started, ended, and
  the workers PARKING has sent its way.
- ``Parking._lock``: the parking thread's tables and each strand's ``parked``.
  Taken before a ``Strand._lock``, never after; taken while holding
  ``_serving`` (when a strand parks), and it never waits for ``_serving``.
- ``Workers._lock``: the pool's idle and all-thread lists.
- ``Waker._lock``: a wake never writes to a descriptor being closed.
- the module lock of :class:`Flag`: makes its Event once.

The queue itself is a ``queue.SimpleQueue`` (its own C lock): posting never
takes any of the locks above unless it wakes a sleeper.
"""

from dicomactors.actors.runtime.parking import PARKING
from dicomactors.actors.runtime.pool import WORKERS, Done, Flag, Workers
from dicomactors.actors.runtime.pykka_glue import StrandActor, ThreadActor, stop_soon
from dicomactors.actors.runtime.strand import Member, Strand, Timer

__all__ = [
    "PARKING",
    "WORKERS",
    "Done",
    "Flag",
    "Member",
    "Strand",
    "StrandActor",
    "ThreadActor",
    "Timer",
    "Workers",
    "stop_soon",
]
