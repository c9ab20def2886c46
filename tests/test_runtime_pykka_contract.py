"""What dicomactors.actors.runtime.pykka_glue relies on in pykka's internals.

A strand replays pykka's actor loop one message at a time with pykka's own
private pieces (see the pykka_glue docstring). pyproject.toml pins the pykka
versions these were checked against; each test below names one piece and fails
the day a pykka release changes it, before a strand misbehaves at run time.
"""

from __future__ import annotations

import inspect
import threading
from importlib.metadata import version
from typing import Any

import pykka
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pykka import ActorRegistry, ThreadingFuture
from pykka._envelope import Envelope
from pykka.messages import ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop

from dicomactors.actors.runtime import Strand, StrandActor, stop_soon
from dicomactors.actors.runtime.pykka_glue import _PYKKA_MESSAGES

#: The range pyproject.toml pins (kept equal to it by the first test).
PINNED = ">=4.0,<4.6"


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_installed_pykka_is_in_the_pinned_range_and_the_pin_is_in_pyproject() -> None:
    from pathlib import Path

    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert f'"pykka{PINNED}"' in pyproject
    assert Version(version("pykka")) in SpecifierSet(PINNED)


def test_envelope_carries_a_message_and_an_optional_reply_to() -> None:
    assert _parameters(Envelope.__init__) == ["self", "message", "reply_to"]
    assert set(Envelope.__slots__) == {"message", "reply_to"}
    future: ThreadingFuture[Any] = ThreadingFuture()
    told, asked = Envelope("m"), Envelope("m", reply_to=future)
    assert (told.message, told.reply_to) == ("m", None)
    assert asked.reply_to is future


class _Capturing(pykka.Actor):
    """Never started: its inbox is a list, to see what pykka's ActorRef puts in it."""

    @staticmethod
    def _create_actor_inbox() -> Any:
        return _ListInbox()

    @staticmethod
    def _create_future() -> ThreadingFuture[Any]:
        return ThreadingFuture()

    def _start_actor_loop(self) -> None:
        pass


class _ListInbox(list[Any]):
    def put(self, envelope: Any, /) -> None:
        self.append(envelope)


def test_actor_ref_tell_ask_and_stop_put_envelopes_and_stop_is_an_actor_stop() -> None:
    actor = _Capturing()
    ref = actor.actor_ref
    ref.tell("told")
    ref.ask("asked", block=False)
    ref.stop(block=False)
    actor.stop()
    inbox: list[Any] = list(actor.actor_inbox)  # type: ignore[call-overload]
    assert all(type(envelope) is Envelope for envelope in inbox)
    told, asked, stopped, stopped_by_actor = inbox
    assert (told.message, told.reply_to) == ("told", None)
    assert asked.message == "asked" and isinstance(asked.reply_to, ThreadingFuture)
    assert type(stopped.message) is _ActorStop and type(stopped_by_actor.message) is _ActorStop
    assert _ActorStop() == _ActorStop()  # a NamedTuple with no fields: stop_soon makes its own


def test_actor_init_sets_only_what_strand_actor_sets_itself() -> None:
    """StrandActor skips Actor.__init__ (its uuid4): it must set the same fields."""
    actor = _Capturing.__new__(_Capturing)
    pykka.Actor.__init__(actor)
    assert set(vars(actor)) == {"actor_urn", "actor_inbox", "actor_stopped", "_actor_ref"}
    mine = StrandActor.__new__(StrandActor)
    StrandActor.__init__(mine, Strand("contract"))
    assert set(vars(actor)) <= set(vars(mine))
    assert type(mine.actor_ref) is not pykka.ActorRef and isinstance(mine.actor_ref, pykka.ActorRef)


def test_the_hooks_for_new_actor_types_exist_and_start_calls_the_loop_once() -> None:
    for hook in ("_create_actor_inbox", "_create_future", "_start_actor_loop"):
        assert callable(getattr(pykka.Actor, hook))
    calls: list[str] = []

    class Counting(_Capturing):
        def _start_actor_loop(self) -> None:
            calls.append("loop")

    ref = Counting.start()
    try:
        assert calls == ["loop"]
    finally:
        ActorRegistry.unregister(ref)


class _Hooks(_Capturing):
    """Records the hooks pykka's private pieces call."""

    def __init__(self, fail_in: str = "") -> None:
        super().__init__()
        self.calls: list[str] = []
        self.fail_in = fail_in

    def on_start(self) -> None:
        self.calls.append("on_start")
        if self.fail_in == "on_start":
            raise RuntimeError("on_start")

    def on_stop(self) -> None:
        self.calls.append("on_stop")

    def on_receive(self, message: Any) -> Any:
        self.calls.append(f"on_receive {message}")
        return "answer"

    def method(self, value: int) -> int:
        return value + 1


def test_actor_loop_setup_runs_on_start_and_a_failure_stops_the_actor() -> None:
    assert _parameters(pykka.Actor._actor_loop_setup) == ["self"]
    actor = _Hooks()
    actor._actor_loop_setup()
    assert actor.calls == ["on_start"] and not actor.actor_stopped.is_set()
    failing = _Hooks(fail_in="on_start")
    ActorRegistry.register(failing.actor_ref)
    failing._actor_loop_setup()  # logs, does not raise
    assert failing.actor_stopped.is_set()
    assert failing.actor_ref not in ActorRegistry.get_all()


def test_handle_receive_dispatches_stop_proxy_messages_and_the_rest() -> None:
    assert _parameters(pykka.Actor._handle_receive) == ["self", "message"]
    assert {ProxyCall, ProxyGetAttr, ProxySetAttr, _ActorStop} == set(_PYKKA_MESSAGES)
    actor = _Hooks()
    assert actor._handle_receive("plain") == "answer"
    assert actor._handle_receive(ProxyCall(attr_path=("method",), args=(1,), kwargs={})) == 2
    assert actor._handle_receive(ProxyGetAttr(attr_path=("fail_in",))) == ""
    actor._handle_receive(ProxySetAttr(attr_path=("fail_in",), value="x"))
    assert actor.fail_in == "x"
    assert actor._handle_receive(_ActorStop()) is None
    assert actor.actor_stopped.is_set()
    assert actor.calls == ["on_receive plain", "on_stop"]


def test_stop_and_handle_failure_unregister_and_set_actor_stopped() -> None:
    assert _parameters(pykka.Actor._stop) == ["self"]
    assert _parameters(pykka.Actor._handle_failure) == [
        "self",
        "exception_type",
        "exception_value",
        "traceback",
    ]
    stopping = _Hooks()
    ActorRegistry.register(stopping.actor_ref)
    stopping._stop()
    assert stopping.actor_stopped.is_set() and stopping.calls == ["on_stop"]
    assert stopping.actor_ref not in ActorRegistry.get_all()
    failing = _Hooks()
    ActorRegistry.register(failing.actor_ref)
    error = RuntimeError("x")
    failing._handle_failure(RuntimeError, error, None)
    assert failing.actor_stopped.is_set() and failing.calls == []  # on_stop is not called
    assert failing.actor_ref not in ActorRegistry.get_all()


def test_actor_stopped_is_only_set_and_read_through_the_event_interface() -> None:
    """A StrandActor's actor_stopped is a Flag (an Event without a Condition): pykka
    must use only is_set, set and wait on it."""
    source = inspect.getsource(pykka._actor) + inspect.getsource(pykka._ref)  # type: ignore[attr-defined]
    uses = {
        line.split("actor_stopped.", 1)[1].split("(", 1)[0]
        for line in source.splitlines()
        if "actor_stopped." in line
    }
    assert uses <= {"is_set", "set", "wait"}, uses


def test_a_strand_actor_stopped_by_pykkas_own_stop_answers_the_stop() -> None:
    """End to end through the pieces above: ActorRef.stop on a StrandActor."""
    stopped = threading.Event()

    class Stopping(StrandActor):
        def on_stop(self) -> None:
            stopped.set()

    strand = Strand("contract-stop")
    ref = Stopping.start(strand)
    assert ref.stop(timeout=10) is True
    assert stopped.is_set()
    strand.done.join(10)
    assert not strand.done.is_alive()
    stop_soon(ref)  # gone: no error
    with pytest.raises(pykka.ActorDeadError):
        ref.ask("late", timeout=1)
