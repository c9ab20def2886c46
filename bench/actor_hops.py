"""``python -m bench.actor_hops``: what one message between two actors costs, by runtime.

The figure behind the runtime's pykka choice (docs/architecture.md, "Where actors
run"): two actors pass one message back and forth ``HOPS`` times,

- on one strand (dicomactors' StrandActor: the hop is a queue append on the same thread);
- as pykka ``ThreadingActor`` (pykka's public API alone: each hop wakes the other thread);
- as dicomactors' ThreadActor (pykka's loop on a pooled thread with a C SimpleQueue inbox).

And a facade's round trip: a thread that tells an actor a request and waits for
the answer (``Strand.wait_for`` against pykka's ``ask``). Medians of ``ROUNDS``.
"""

from __future__ import annotations

import statistics
import sys
from concurrent.futures import Future
from importlib.metadata import version
from time import perf_counter
from typing import Any

import pykka

from dicomactors.actors.runtime import Strand, StrandActor, ThreadActor, stop_soon

HOPS = 20_000
ROUNDS = 5


class _Hop:
    """on_receive of a ping-pong actor (mixed into each actor type)."""

    peer: pykka.ActorRef[Any]

    def on_receive(self, message: Any) -> Any:
        left, done = message
        if left == 0:
            done.set_result(None)
        else:
            self.peer.tell((left - 1, done))
        return None


class StrandHop(_Hop, StrandActor):
    pass


class PykkaHop(_Hop, pykka.ThreadingActor):
    pass


class PooledHop(_Hop, ThreadActor):
    pass


def _pair(kind: str) -> tuple[pykka.ActorRef[Any], pykka.ActorRef[Any], Strand | None]:
    if kind == "strand":
        strand = Strand("hops")
        a, b = StrandHop.start(strand), StrandHop.start(strand)
    else:
        strand = None
        cls: Any = PykkaHop if kind == "pykka" else PooledHop
        a, b = cls.start(), cls.start()
    a.proxy().peer = b  # type: ignore[attr-defined]
    b.proxy().peer = a  # type: ignore[attr-defined]
    return a, b, strand


def hop_microseconds(kind: str) -> float:
    """Microseconds per message between two actors of ``kind``, median of ROUNDS."""
    a, b, strand = _pair(kind)
    times = []
    for _ in range(ROUNDS):
        done: Future[None] = Future()
        start = perf_counter()
        a.tell((HOPS, done))
        done.result(60)
        times.append((perf_counter() - start) / HOPS * 1e6)
    for ref in (a, b):
        stop_soon(ref)
    if strand is not None:
        strand.done.join(10)
    return statistics.median(times)


class _Answer:
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Future):
            message.set_result(None)
        return None


class StrandAnswer(_Answer, StrandActor):
    pass


class PykkaAnswer(_Answer, pykka.ThreadingActor):
    pass


def round_trip_microseconds(kind: str, count: int = 2000) -> float:
    """A facade's request and wait for the answer, microseconds each, median of ROUNDS."""
    strand = Strand("round-trip") if kind == "strand" else None
    ref = StrandAnswer.start(strand) if strand is not None else PykkaAnswer.start()
    times = []
    for _ in range(ROUNDS):
        start = perf_counter()
        for _ in range(count):
            if strand is not None:
                answer: Future[None] = Future()
                strand.wait_for(answer.done, send=lambda answer=answer: ref.tell(answer))  # type: ignore[misc]
                answer.result(10)
            else:
                ref.ask("ping", timeout=10)
        times.append((perf_counter() - start) / count * 1e6)
    if strand is not None:
        stop_soon(ref)
        strand.done.join(10)
    else:
        ref.stop()
    return statistics.median(times)


def main() -> None:
    print(f"python {sys.version.split()[0]}, pykka {version('pykka')}")
    for kind, label in (
        ("strand", "StrandActor, one strand"),
        ("pooled", "ThreadActor (pooled thread)"),
        ("pykka", "pykka.ThreadingActor"),
    ):
        print(f"hop between two actors, {label:30} {hop_microseconds(kind):7.2f} µs")
    for kind, label in (("strand", "Strand.wait_for"), ("pykka", "pykka ask")):
        print(f"facade request and answer, {label:30} {round_trip_microseconds(kind):7.2f} µs")


if __name__ == "__main__":
    main()
