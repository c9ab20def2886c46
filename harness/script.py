"""The typed steps a scripted peer plays, and the script that holds them.

A script is data: a role (``"requestor"`` connects, ``"acceptor"`` listens and
accepts one connection) and a tuple of frozen steps played in order by
:class:`harness.peer.ScriptedPeer`. Steps that send act at once; steps that
wait (``Expect``, ``ExpectClose``, ``Wait``, ``Trickle``) hold the script until
their event or their time comes. PDUs the peer sends while no ``Expect`` is
pending are queued and matched by the next ``Expect``, in arrival order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from dicomactors.pdu.pdus import PDU, AAbort, AbortReason, AbortSource, PDataTF

Role = Literal["requestor", "acceptor"]
CLOSE: Literal["close"] = "close"


@dataclass(frozen=True, slots=True)
class SendPDU:
    """Encode ``pdu`` with the codec and send it."""

    pdu: PDU


@dataclass(frozen=True, slots=True)
class SendBytes:
    """Send ``data`` exactly as given: for malformed or partial PDUs."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SendReply:
    """Send the PDU that ``build`` makes from the last PDU received.

    For what a static script cannot know in advance: an A-ASSOCIATE-AC that
    answers the presentation contexts of the request just received, or a
    P-DATA-TF sized from the maximum length the A-ASSOCIATE-AC announced.
    ``build`` may return raw bytes instead of a PDU.
    """

    build: Callable[[PDU], PDU | bytes]
    label: str = "reply"


@dataclass(frozen=True, slots=True)
class Expect:
    """Wait up to ``within`` seconds for a PDU of one of ``pdu_types``.

    ``pdu_types`` may instead be ``"close"``: wait for the peer to close the
    connection. With ``or_close`` the peer closing also meets the expectation.
    A reset counts as a close here; the outcome still tells them apart.
    PDUs whose type is in ``ignoring`` are recorded and skipped (for
    example an A-ASSOCIATE-AC that crossed an A-ABORT on the wire).
    Anything else that arrives first ends the run with the expectation unmet.
    """

    pdu_types: tuple[type, ...] | Literal["close"]
    within: float
    or_close: bool = False
    ignoring: tuple[type, ...] = ()
    whole_message: bool = False
    """Wait for P-DATA-TFs until a whole DIMSE message has come (see ExpectMessage)."""

    def __post_init__(self) -> None:
        if self.pdu_types != CLOSE and not isinstance(self.pdu_types, tuple):
            raise TypeError("Expect.pdu_types is a tuple of PDU classes or 'close'")
        if self.within <= 0:
            raise ValueError("Expect.within must be positive")

    @property
    def accepts_close(self) -> bool:
        return self.pdu_types == CLOSE or self.or_close

    def accepts(self, pdu: PDU) -> bool:
        return self.pdu_types != CLOSE and isinstance(pdu, self.pdu_types)

    def as_expect(self) -> Expect:
        return self

    def describe(self) -> str:
        if self.pdu_types == CLOSE:
            wanted = "close"
        elif self.whole_message:
            wanted = "a whole DIMSE message" + (" or close" if self.or_close else "")
        else:
            wanted = " or ".join(t.__name__ for t in self.pdu_types)
            if self.or_close:
                wanted += " or close"
        return f"{wanted} within {self.within:g} s"


@dataclass(frozen=True, slots=True)
class ExpectClose:
    """Wait up to ``within`` seconds for the peer to close the connection."""

    within: float
    ignoring: tuple[type, ...] = ()

    def as_expect(self) -> Expect:
        return Expect(CLOSE, self.within, ignoring=self.ignoring)


@dataclass(frozen=True, slots=True)
class ExpectMessage:
    """Wait up to ``within`` seconds for a whole DIMSE message (PS3.7 6.3.1, PS3.8 9.3.5).

    P-DATA-TFs are gathered until the command's last fragment has come and, when the
    command announces a data set, the data set's last fragment too. A ``SendReply``
    that follows gets them as one P-DATA-TF holding every PDV of the message.
    """

    within: float
    or_close: bool = False

    def as_expect(self) -> Expect:
        return Expect((PDataTF,), self.within, or_close=self.or_close, whole_message=True)


@dataclass(frozen=True, slots=True)
class Wait:
    """Pause the script for ``seconds``: its own timing, e.g. to let ARTIM run.

    If the connection ends during the pause there is nothing left to play,
    and the run ends at once.
    """

    seconds: float


@dataclass(frozen=True, slots=True)
class Trickle:
    """Send ``data`` in pieces of ``chunk`` bytes at about ``bytes_per_second``."""

    data: bytes
    bytes_per_second: float
    chunk: int = 1

    def __post_init__(self) -> None:
        if self.bytes_per_second <= 0 or self.chunk <= 0:
            raise ValueError("Trickle needs a positive rate and chunk size")

    @property
    def interval(self) -> float:
        return self.chunk / self.bytes_per_second


@dataclass(frozen=True, slots=True)
class HalfClose:
    """Shut down our sending side (``shutdown(SHUT_WR)``); keep reading."""


@dataclass(frozen=True, slots=True)
class Close:
    """Close the connection. The run ends here."""


@dataclass(frozen=True, slots=True)
class Abort:
    """Send an A-ABORT with ``source`` and ``reason``, then close. The run ends here."""

    source: int = AbortSource.SERVICE_USER
    reason: int = AbortReason.NOT_SPECIFIED

    @property
    def pdu(self) -> AAbort:
        return AAbort(source=self.source, reason=self.reason)


@dataclass(frozen=True, slots=True)
class StopReading:
    """Stop reading from the socket for ``seconds``; the next steps go on at once.

    What the peer sends meanwhile stays in the kernel's buffers (keep them
    small with ``Script.receive_buffer_size``), so a peer that writes a lot
    finds its sends blocked. An ``Expect`` during the pause can only be met
    once reading resumes.
    """

    seconds: float


Step = (
    SendPDU
    | SendBytes
    | SendReply
    | Expect
    | ExpectClose
    | ExpectMessage
    | Wait
    | Trickle
    | HalfClose
    | Close
    | Abort
    | StopReading
)

_FINAL_STEPS = (Close, Abort)


@dataclass(frozen=True, slots=True)
class Script:
    """A role and the steps a :class:`~harness.peer.ScriptedPeer` plays in order.

    ``receive_max_pdu_length`` is the largest PDU the peer accepts (what it
    would announce in its maximum length sub-item); 0 means no limit.
    ``receive_buffer_size`` sets SO_RCVBUF for scripts that stop reading.
    ``clause`` and ``expected`` name the part of the standard a behaviour
    checks and the reaction it asks for, for reports.
    """

    role: Role
    steps: tuple[Step, ...]
    name: str = ""
    receive_max_pdu_length: int = 0
    receive_buffer_size: int | None = None
    clause: str = ""
    expected: str = ""

    def __post_init__(self) -> None:
        if self.role not in ("requestor", "acceptor"):
            raise ValueError(f"role must be 'requestor' or 'acceptor', not {self.role!r}")
        for step in self.steps[:-1]:
            if isinstance(step, _FINAL_STEPS):
                raise ValueError(f"{type(step).__name__} ends a run: it must be the last step")
