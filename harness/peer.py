"""A pykka actor that plays a :class:`~harness.script.Script` over a raw socket.

The actor owns the socket and the script's position. One I/O thread per run
makes the connection (connects as requestor, accepts one connection as
acceptor), then blocks on ``recv``, feeds the bytes to a ``PDUReader`` and
tells the actor what arrived: a PDU, bytes that do not decode, the peer
closing or resetting. Timers post messages for the script's waits and for
the run's deadline; nothing polls. When the run ends, whatever ended it, the
actor shuts the socket, joins the I/O thread, cancels its timers, resolves
the outcome future and stops.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import pykka

from dicomactors.dimse.commands import decode_command
from dicomactors.dimse.errors import DIMSEDecodeError
from dicomactors.pdu import PDUDecodeError, PDUReader, encode_pdu
from dicomactors.pdu.pdus import PDU, PDataTF, PresentationDataValue
from harness.outcome import IGNORED, Outcome, Party, TranscriptEntry, classify
from harness.script import (
    Abort,
    Close,
    Expect,
    ExpectClose,
    ExpectMessage,
    HalfClose,
    Script,
    SendBytes,
    SendPDU,
    SendReply,
    StopReading,
    Trickle,
    Wait,
)

_RECV_SIZE = 65536
_JOIN_TIMEOUT = 5.0

# -- messages to the actor -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Connected:
    sock: socket.socket
    at: float


@dataclass(frozen=True, slots=True)
class _ConnectFailed:
    error: OSError


@dataclass(frozen=True, slots=True)
class _Received:
    pdu: PDU
    at: float


@dataclass(frozen=True, slots=True)
class _Undecodable:
    error: PDUDecodeError
    at: float


@dataclass(frozen=True, slots=True)
class _ConnectionEnded:
    """The peer closed (``reset`` False) or reset the connection."""

    reset: bool
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class _TimerFired:
    token: int


@dataclass(frozen=True, slots=True)
class _RunDeadline:
    pass


@dataclass(frozen=True, slots=True)
class _ResumeReading:
    token: int


# Events waiting for an Expect: a PDU, or the end of the connection.
_Event = _Received | _ConnectionEnded | _Undecodable


def _post(ref: pykka.ActorRef[Any], message: object) -> None:
    """Tell the actor, unless it has already stopped (late timers, late reads)."""
    with contextlib.suppress(pykka.ActorDeadError):
        ref.tell(message)


class ScriptedPeer(pykka.ThreadingActor):
    """Plays one script over one connection and resolves ``done`` with its :class:`Outcome`.

    Give ``address`` (host, port) to play the requestor, or ``listener`` (a
    bound, listening socket, which the actor then owns) to play the acceptor.
    ``timeout`` bounds the whole run, connection included.
    """

    def __init__(
        self,
        script: Script,
        done: pykka.Future[Outcome],
        *,
        address: tuple[str, int] | None = None,
        listener: socket.socket | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__()
        if (address is None) == (listener is None):
            raise ValueError("give either address (requestor) or listener (acceptor)")
        self._script = script
        self._done = done
        self._address = address
        self._listener = listener
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._io_thread: threading.Thread | None = None
        self._reading = threading.Event()
        self._reading.set()
        self._timers: list[threading.Timer] = []
        self._token = 0
        self._started = time.monotonic()
        self._transcript: list[TranscriptEntry] = []
        self._inbox: deque[_Event] = deque()
        self._last_received: PDU | None = None
        self._index = 0
        self._expect: Expect | None = None
        self._message: list[PresentationDataValue] = []
        self._trickled = 0
        self._waiting = False
        self._ended = False
        self._finished = False
        self._resolved = False

    # -- lifecycle -------------------------------------------------------------

    def on_start(self) -> None:
        self._started = time.monotonic()
        self._io_thread = threading.Thread(
            target=self._io, name=f"scripted-peer-io-{self._script.name or 'run'}", daemon=True
        )
        self._io_thread.start()
        self._schedule(self._timeout, _RunDeadline())

    def on_receive(self, message: Any) -> Any:
        if self._finished:
            return None
        match message:
            case _Connected(sock=sock, at=at):
                self._sock = sock
                self._started = at
                self._advance()
            case _ConnectFailed(error=error):
                self._fail(error)
            case _Received() | _Undecodable() | _ConnectionEnded():
                self._on_event(message)
            case _TimerFired(token=token) if token == self._token:
                self._on_timer()
            case _ResumeReading():
                self._reading.set()
            case _RunDeadline():
                self._log("harness", "timed out")
                self._finish(unmet=f"the run took longer than {self._timeout:g} s")
            case _:
                pass
        return None

    def on_stop(self) -> None:
        self._finish(unmet="the peer actor was stopped", stopping=True)

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finished = True
        self._release_resources()
        self._resolve(None, (exception_type, exception_value, traceback))

    # -- the I/O thread --------------------------------------------------------

    def _io(self) -> None:
        ref = self.actor_ref
        try:
            sock = self._connect()
        except OSError as error:
            _post(ref, _ConnectFailed(error))
            return
        _post(ref, _Connected(sock, time.monotonic()))
        limit = self._script.receive_max_pdu_length
        reader = PDUReader(maximum_length=limit) if limit else PDUReader()
        while True:
            self._reading.wait()
            try:
                data = sock.recv(_RECV_SIZE)
            except ConnectionResetError as error:
                _post(ref, _ConnectionEnded(True, str(error), time.monotonic()))
                return
            except OSError as error:
                # Our own shutdown at the end of the run lands here too.
                _post(ref, _ConnectionEnded(True, str(error), time.monotonic()))
                return
            now = time.monotonic()
            if not data:
                _post(ref, _ConnectionEnded(False, "closed", now))
                return
            try:
                pdus = reader.feed(data)
            except PDUDecodeError as error:
                _post(ref, _Undecodable(error, now))
                return
            for pdu in pdus:
                _post(ref, _Received(pdu, now))

    def _connect(self) -> socket.socket:
        if self._listener is not None:
            self._listener.settimeout(self._timeout)
            try:
                sock, _ = self._listener.accept()
            finally:
                self._listener.close()
            sock.settimeout(None)
        else:
            assert self._address is not None
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if self._script.receive_buffer_size is not None:
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_RCVBUF, self._script.receive_buffer_size
                )
            sock.settimeout(self._timeout)
            try:
                sock.connect(self._address)
            except OSError:
                sock.close()
                raise
            sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A peer that never reads must not hold a send (and the actor) forever.
        seconds = int(self._timeout)
        micros = int((self._timeout - seconds) * 1_000_000)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(seconds, micros))
        return sock

    # -- playing the script ----------------------------------------------------

    def _advance(self) -> None:
        """Play steps until one has to wait, or the script ends."""
        steps = self._script.steps
        while not self._finished and self._index < len(steps):
            step = steps[self._index]
            if isinstance(step, Expect | ExpectClose | ExpectMessage | Wait):
                self._log("harness", f"step {self._index + 1}: {_step_name(step)}")
            match step:
                case Expect() | ExpectClose() | ExpectMessage():
                    self._expect = step.as_expect()
                    if not self._match_expectation():
                        if not self._finished:
                            self._schedule_step(self._expect.within)
                        return
                case Wait(seconds=seconds):
                    if not self._ended:
                        self._schedule_step(seconds)
                        return
                case Trickle():
                    self._trickled = 0
                    if self._trickle_next(step):
                        return
                case SendPDU(pdu=pdu):
                    self._send(encode_pdu(pdu), f"sent {type(pdu).__name__}", pdu)
                case SendBytes(data=data):
                    self._send(data, f"sent {len(data)} raw bytes")
                case SendReply(build=build, label=label):
                    self._send_reply(build, label)
                case HalfClose():
                    self._half_close()
                case StopReading(seconds=seconds):
                    self._reading.clear()
                    self._log("us", f"stopped reading for {seconds:g} s")
                    self._schedule(seconds, _ResumeReading(self._token))
                case Abort():
                    self._send(encode_pdu(step.pdu), "sent AAbort", step.pdu)
                    self._log("us", "closed")
                    self._finish()
                    return
                case Close():
                    self._log("us", "closed")
                    self._finish()
                    return
            if self._finished:
                return
            self._index += 1
        self._finish()

    def _on_timer(self) -> None:
        step = self._script.steps[self._index]
        match step:
            case Expect() | ExpectClose() | ExpectMessage():
                assert self._expect is not None
                self._log("harness", "timed out")
                self._finish(unmet=f"expected {self._expect.describe()}")
                return
            case Trickle():
                if self._trickle_next(step):
                    return
        self._index += 1
        self._advance()

    def _on_event(self, event: _Event) -> None:
        if self._record(event):
            self._resume()

    def _record(self, event: _Event) -> bool:
        """Log an event and queue it for the next Expect; False if it adds nothing."""
        if isinstance(event, _ConnectionEnded):
            if self._ended:
                return False
            self._ended = True
            kind = f"reset: {event.reason}" if event.reset else "closed"
            self._log("peer", kind, at=event.at)
        elif isinstance(event, _Received):
            self._log("peer", f"sent {type(event.pdu).__name__}", event.pdu, at=event.at)
        else:
            self._log("peer", f"undecodable: {event.error}", at=event.at)
        self._inbox.append(event)
        return True

    def _resume(self) -> None:
        """A new event may meet the pending expectation, or end a wait early."""
        if self._index >= len(self._script.steps):
            return
        step = self._script.steps[self._index]
        if isinstance(step, Expect | ExpectClose | ExpectMessage):
            if self._expect is not None and self._match_expectation():
                self._next_step()
        elif isinstance(step, Wait | Trickle) and self._ended:
            # Nothing more can happen on this connection: skip the rest of the pause.
            self._next_step()

    def _next_step(self) -> None:
        self._token += 1
        self._index += 1
        self._advance()

    def _match_expectation(self) -> bool:
        """Consume queued events for the pending Expect: True when it is met."""
        expect = self._expect
        assert expect is not None
        while self._inbox:
            event = self._inbox.popleft()
            if isinstance(event, _Received):
                self._last_received = event.pdu
                if expect.accepts(event.pdu):
                    if expect.whole_message and not self._gather(event.pdu):
                        continue
                    self._expect = None
                    return True
                if isinstance(event.pdu, expect.ignoring):
                    self._mark_ignored(event)
                    continue
                got = type(event.pdu).__name__
            elif isinstance(event, _ConnectionEnded):
                if expect.accepts_close:
                    self._expect = None
                    return True
                got = "the connection to end"
            else:
                got = "undecodable bytes"
            self._finish(unmet=f"expected {expect.describe()}, got {got}")
            return False
        return False

    def _gather(self, pdu: PDU) -> bool:
        """Add a P-DATA-TF's PDVs to the message being gathered; True once it is whole,
        and then the last PDU received is that message as one P-DATA-TF."""
        assert isinstance(pdu, PDataTF)
        self._message.extend(pdu.pdvs)
        if not message_is_whole(self._message):
            return False
        self._last_received = PDataTF(tuple(self._message))
        self._message = []
        return True

    def _mark_ignored(self, event: _Received) -> None:
        """An ignored PDU crossed our last action on the wire: it is no reaction to it."""
        for index in range(len(self._transcript) - 1, -1, -1):
            entry = self._transcript[index]
            if entry.pdu is event.pdu and entry.party == "peer":
                self._transcript[index] = replace(entry, event=entry.event + IGNORED)
                return

    def _trickle_next(self, step: Trickle) -> bool:
        """Send the next piece; True while more remain (a timer is then set)."""
        if self._ended:
            self._log("harness", "trickle stopped: connection gone")
            return False
        piece = step.data[self._trickled : self._trickled + step.chunk]
        self._trickled += len(piece)
        self._send(piece, f"trickled {self._trickled}/{len(step.data)} bytes", quiet=True)
        if self._finished or self._ended or self._trickled >= len(step.data):
            self._log("us", f"trickled {self._trickled}/{len(step.data)} bytes")
            return False
        self._schedule_step(step.interval)
        return True

    # -- doing things on the socket ----------------------------------------------

    def _send(self, data: bytes, what: str, pdu: PDU | None = None, *, quiet: bool = False) -> None:
        if self._ended:
            self._log("harness", f"not {what}: the connection is gone")
            return
        assert self._sock is not None
        at = time.monotonic()
        try:
            self._sock.sendall(data)
        except BlockingIOError:
            self._log("harness", "timed out")
            self._finish(unmet=f"{what}: the peer stopped reading and the send blocked")
            return
        except OSError as error:
            if not quiet:
                self._log("us", f"tried: {what}")
            self._record(_ConnectionEnded(True, str(error), time.monotonic()))
            return
        if not quiet:
            self._log("us", what, pdu, at=at)

    def _send_reply(self, build: Any, label: str) -> None:
        if self._last_received is None:
            self._finish(unmet=f"{label}: nothing received to reply to")
            return
        made = build(self._last_received)
        if isinstance(made, bytes | bytearray):
            self._send(bytes(made), f"sent {label} ({len(made)} raw bytes)")
        else:
            self._send(encode_pdu(made), f"sent {type(made).__name__}", made)

    def _half_close(self) -> None:
        assert self._sock is not None
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        self._log("us", "half-closed (SHUT_WR)")

    # -- time ------------------------------------------------------------------------

    def _schedule_step(self, delay: float) -> None:
        self._token += 1
        self._schedule(delay, _TimerFired(self._token))

    def _schedule(self, delay: float, message: object) -> None:
        timer = threading.Timer(delay, _post, args=(self.actor_ref, message))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _log(
        self, party: Party, event: str, pdu: PDU | None = None, at: float | None = None
    ) -> None:
        when = (time.monotonic() if at is None else at) - self._started
        self._transcript.append(TranscriptEntry(round(when, 6), party, event, pdu))

    # -- the end -----------------------------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        self._finished = True
        self._release_resources()
        self._resolve(None, (type(error), error, error.__traceback__))
        self.stop()

    def _finish(self, unmet: str | None = None, *, stopping: bool = False) -> None:
        if self._finished:
            return
        self._finished = True
        self._release_resources()
        outcome = classify(tuple(self._transcript), 0.0, unmet is None, unmet)
        self._resolve(outcome)
        if not stopping:
            self.stop()

    def _release_resources(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._reading.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        thread = self._io_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)
        if self._sock is not None:
            self._sock.close()

    def _resolve(self, outcome: Outcome | None, exc_info: Any = None) -> None:
        if self._resolved:
            return
        self._resolved = True
        if outcome is not None:
            self._done.set(outcome)
        else:
            self._done.set_exception(exc_info)


def message_is_whole(pdvs: list[PresentationDataValue]) -> bool:
    """Whether ``pdvs`` hold a whole DIMSE message: the command's last fragment and, when
    the command announces a data set (or cannot be decoded: nothing more is awaited), the
    data set's last fragment."""
    command = b""
    for index, pdv in enumerate(pdvs):
        if not pdv.is_command:
            continue
        command += bytes(pdv.data)
        if pdv.is_last:
            try:
                has_dataset = decode_command(command).has_dataset
            except DIMSEDecodeError:
                return True
            rest = pdvs[index + 1 :]
            return not has_dataset or any(not p.is_command and p.is_last for p in rest)
    return False


def _timeval(seconds: int, micros: int) -> bytes:
    return struct.pack("ll", seconds, micros)


def _step_name(step: object) -> str:
    if isinstance(step, Expect | ExpectClose | ExpectMessage):
        return f"expect {step.as_expect().describe()}"
    if isinstance(step, Wait):
        return f"wait {step.seconds:g} s"
    return type(step).__name__


# -- the blocking convenience --------------------------------------------------------


class PeerRun:
    """A scripted peer at work: its port (for an acceptor), its outcome, its end.

    Use as a context manager, or call :meth:`stop`; :meth:`outcome` waits for
    the run to end. The actor stops itself when the run ends, so leaving the
    block early only matters for a run that is still going.
    """

    def __init__(self, script: Script, host: str, port: int, timeout: float) -> None:
        self.script = script
        self.timeout = timeout
        self._done: pykka.ThreadingFuture[Outcome] = pykka.ThreadingFuture()
        if script.role == "acceptor":
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if script.receive_buffer_size is not None:
                    listener.setsockopt(
                        socket.SOL_SOCKET, socket.SO_RCVBUF, script.receive_buffer_size
                    )
                listener.bind((host, port))
                listener.listen(1)
            except OSError:
                listener.close()
                raise
            self.host, self.port = listener.getsockname()[:2]
            self._ref = ScriptedPeer.start(script, self._done, listener=listener, timeout=timeout)
        else:
            self.host, self.port = host, port
            self._ref = ScriptedPeer.start(
                script, self._done, address=(host, port), timeout=timeout
            )

    def outcome(self, timeout: float | None = None) -> Outcome:
        """Wait for the run to end and return its outcome (raises if it could not start)."""
        wait = self.timeout + _JOIN_TIMEOUT * 2 if timeout is None else timeout
        try:
            return self._done.get(timeout=wait)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the actor (ending a run still going) and wait until it has stopped."""
        with contextlib.suppress(pykka.ActorDeadError):
            self._ref.stop(block=True, timeout=self.timeout + _JOIN_TIMEOUT * 2)

    def __enter__(self) -> PeerRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_peer(
    script: Script, host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0
) -> PeerRun:
    """Start a scripted peer: a requestor connects to host:port, an acceptor
    listens there (port 0 picks a free one; see ``PeerRun.port``)."""
    return PeerRun(script, host, port, timeout)


def run_script(script: Script, host: str, port: int, timeout: float = 30.0) -> Outcome:
    """Play ``script`` as requestor against host:port and return its outcome.

    Raises ``OSError`` when no connection can be made: that is no reaction
    of the system under test, the system is not there.
    """
    with start_peer(script, host, port, timeout) as run:
        return run.outcome()
