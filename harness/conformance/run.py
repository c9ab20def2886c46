"""The run path: scenarios one after another against a node that may stop serving.

A node is judged on its reactions, so the suite must outlive it. :class:`GuardedSystem`
measures the node's round trip once (the time limits of :mod:`.core` scale with it), then
after each scenario that sent it anything checks, cheaply and with a bound, that it still
answers an A-ASSOCIATE-RQ (an A-ASSOCIATE-AC or -RJ both mean it serves). When it does not:

- the scenario whose input it last saw gets DEVIATES, "the node stopped serving", with the
  transcript of that input (PS3.8 9.2: a malformed PDU calls for an A-ABORT, not a crash);
- a node the suite started (a :class:`Relaunch` of its launcher) is restarted and the run
  goes on; each crash is kept as a :class:`Crash` for the report;
- a node it cannot restart gets NOT_RUN, "the node is down", for every scenario left.

A refused connection is never a finding: a scenario that cannot connect is NOT_RUN.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field

from harness import behaviours as b
from harness.conformance.core import (
    ROUND_TRIPS,
    RUN_TIMEOUT,
    SCENARIOS,
    WIND_DOWN,
    K,
    Result,
    Scenario,
    Status,
    Verdict,
)
from harness.outcome import Outcome
from harness.peer import run_script
from harness.stategrid import Role
from harness.systems import Capability, SystemUnderTest

STOPPED_SERVING = "the node stopped serving"
NODE_DOWN = "the node is down"
ROUND_TRIP_SAMPLES = 3

Launcher = Callable[[], AbstractContextManager[SystemUnderTest]]
SystemSource = SystemUnderTest | Launcher


@dataclass(frozen=True)
class Crash:
    """The node stopped serving after ``scenario``: what the liveness check saw, and
    whether the suite brought it back."""

    system: str
    scenario: str
    seen: str
    restarted: bool
    transcript: str = ""
    restart_error: str = ""


def _answer(sut: SystemUnderTest, within: float) -> Outcome | str:
    """One A-ASSOCIATE-RQ and release, bounded by ``within``: its outcome, or why no
    connection could be made."""
    try:
        script = b.associate_and_release(sut.ae_title)
        return run_script(script, sut.host, sut.port, min(RUN_TIMEOUT, within))
    except OSError as error:
        return f"no connection: {error}"
    except Exception as error:
        # The check itself ran late (e.g. its peer did not stop in time on a loaded
        # machine): no answer this time; the caller tries again until its deadline.
        return f"the check did not complete: {type(error).__name__}: {error}"


def serving(sut: SystemUnderTest, within: float = WIND_DOWN) -> str | None:
    """None when the system answers an association request within ``within`` seconds (a
    loaded node gets that long); otherwise what was seen instead."""
    deadline = time.monotonic() + within
    pause = 0.1
    while True:
        remaining = deadline - time.monotonic()
        answer = _answer(sut, max(remaining, b.REPLY_WITHIN))
        if isinstance(answer, Outcome):
            if answer.kind in (K.RELEASED, K.REJECTED, K.ACCEPTED):
                return None
            seen = answer.headline()
        else:
            seen = answer
        if time.monotonic() + pause >= deadline:
            return seen
        threading.Event().wait(pause)
        pause = min(pause * 2, 1.0)


def measure_round_trip(sut: SystemUnderTest) -> float | None:
    """The median time of one exchange (association, C-ECHO where it declares echo,
    release, divided by the exchanges), or None when it does not answer."""
    echo = Capability.ECHO in sut.supports
    script = (b.associate_echo_release if echo else b.associate_and_release)(sut.ae_title)
    exchanges = 3 if echo else 2
    samples = []
    for _ in range(ROUND_TRIP_SAMPLES):
        try:
            outcome = run_script(script, sut.host, sut.port, RUN_TIMEOUT)
        except Exception:
            return None
        if outcome.kind is not K.RELEASED:
            return None
        samples.append(outcome.elapsed / exchanges)
    return statistics.median(samples)


class Relaunch:
    """Starts a system from its launcher, and again after it has stopped serving."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher
        self._stack: ExitStack | None = None

    def start(self) -> SystemUnderTest:
        stack = ExitStack()
        try:
            sut = stack.enter_context(self.launcher())
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return sut

    def restart(self) -> SystemUnderTest:
        self.stop()
        return self.start()

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()


@dataclass
class GuardedSystem:
    """A system under test watched between scenarios (see the module's docstring)."""

    current: SystemUnderTest
    relaunch: Relaunch | None = None
    crashes: list[Crash] = field(default_factory=list)
    down: str | None = None

    def __post_init__(self) -> None:
        self._measure()

    def _measure(self) -> None:
        if self.current.port <= 0:
            return  # it does not listen: it plays only the requestor
        round_trip = measure_round_trip(self.current)
        if round_trip is not None:
            ROUND_TRIPS[self.current.address] = round_trip
            return
        seen = serving(self.current)
        if seen is not None:
            self.down = f"it does not answer an association request ({seen})"

    @property
    def round_trip(self) -> float | None:
        return ROUND_TRIPS.get(self.current.address)

    def check(self, entry: Scenario) -> Verdict:
        """The scenario's verdict, or NOT_RUN when the node is down; never raises.

        Only scenarios where the system is the acceptor are watched: as a requestor it is
        started for each scenario by the scenario itself."""
        if entry.role is not Role.ACCEPTOR or not entry.applies(self.current):
            return entry.check(self.current)
        if self.down is not None:
            return Verdict(Status.NOT_RUN, f"{NODE_DOWN}: {self.down}")
        verdict = entry.check(self.current)
        seen = serving(self.current)
        if seen is None:
            return verdict
        # It answered before this scenario (checked after the previous one): whatever
        # stopped it came with this scenario's input.
        self._recover(entry, seen, verdict)
        before = f"the scenario saw: {verdict.status.value}: {verdict.seen}"
        return Verdict(
            Status.DEVIATES,
            f"{STOPPED_SERVING} ({seen}); {before}",
            verdict.elapsed,
            verdict.detail,
        )

    def _recover(self, entry: Scenario, seen: str, verdict: Verdict) -> None:
        name = self.current.name
        if self.relaunch is None:
            self.down = f"it stopped serving after {entry.id} and was not started here"
            self.crashes.append(Crash(name, entry.id, seen, False, verdict.detail))
            return
        try:
            self.current = self.relaunch.restart()
        except Exception as error:
            why = f"{type(error).__name__}: {error}"
            self.down = f"it stopped serving after {entry.id} and could not be restarted"
            self.crashes.append(Crash(name, entry.id, seen, False, verdict.detail, why))
            return
        self.crashes.append(Crash(name, entry.id, seen, True, verdict.detail))
        self._measure()


@dataclass
class RunRecord:
    """What a guarded run leaves: every result, every crash, the systems as they ended."""

    results: list[Result] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    systems: dict[str, SystemUnderTest] = field(default_factory=dict)
    round_trips: dict[str, float] = field(default_factory=dict)


@contextmanager
def guarded(source: SystemSource) -> Iterator[GuardedSystem]:
    """A :class:`GuardedSystem` for a running system (never restarted) or a launcher (started
    here, restarted when it stops serving, stopped afterwards)."""
    if isinstance(source, SystemUnderTest):
        yield GuardedSystem(source)
        return
    relaunch = Relaunch(source)
    sut = relaunch.start()
    try:
        yield GuardedSystem(sut, relaunch)
    finally:
        relaunch.stop()


def run_guarded(
    source: SystemSource,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> RunRecord:
    """Run ``scenarios`` (all by default) against a system or a launcher of one."""
    chosen = list(SCENARIOS if scenarios is None else scenarios)
    record = RunRecord()
    with guarded(source) as guard:
        for entry in chosen:
            result = Result(entry, guard.current.name, guard.check(entry))
            if on_result is not None:
                on_result(result)
            record.results.append(result)
        record.crashes = list(guard.crashes)
        record.systems[guard.current.name] = guard.current
        if guard.round_trip is not None:
            record.round_trips[guard.current.name] = guard.round_trip
    return record


def run_scenarios(
    source: SystemSource,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """The results of :func:`run_guarded`."""
    return run_guarded(source, scenarios, on_result).results


__all__ = [
    "NODE_DOWN",
    "STOPPED_SERVING",
    "Crash",
    "GuardedSystem",
    "Relaunch",
    "RunRecord",
    "guarded",
    "measure_round_trip",
    "run_guarded",
    "run_scenarios",
    "serving",
]
