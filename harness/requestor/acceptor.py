"""The harness as acceptor: a scripted peer listens, the system under test connects.

:func:`play_acceptor` listens on 127.0.0.1 (a port the OS picks), makes the system
connect (its :class:`~harness.requestor.systems.Requestor` runs the operation asked
for), plays a :class:`~harness.script.Script` with role ``"acceptor"`` over that one
connection (the same :class:`~harness.peer.ScriptedPeer` that plays requestors) and
returns an :class:`Exchange`: the run's :class:`~harness.outcome.Outcome`, what the
system's own run gave (exit status and output) and how the system ended the connection.

The reply builders (:func:`accept`, :func:`respond`, ...) make, from the PDU just
received, what a static script cannot know in advance: an A-ASSOCIATE-AC answering the
contexts the system proposed, a DIMSE response to the request it sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from dicomactors.dimse.commands import (
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    DIMSEMessage,
    decode_command,
    encode_command,
)
from dicomactors.pdu import encode_pdu
from dicomactors.pdu.items import (
    ImplementationClassUIDItem,
    MaximumLengthItem,
    PresentationContextACItem,
)
from dicomactors.pdu.pdus import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRQ,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from harness.behaviours import HARNESS_IMPLEMENTATION_UID
from harness.outcome import Outcome
from harness.peer import PeerRun, start_peer
from harness.requestor.systems import (
    Request,
    RequestorJob,
    RequestorResult,
    RequestorSystem,
)
from harness.script import Script, SendReply, Step

OUR_MAXIMUM = 16384
SETTLE = 10.0
"""How long, after the scripted run ends, the system has to end its own run."""


class Ending(StrEnum):
    """How the system under test ended the connection, as the acceptor saw it."""

    RELEASE = "A-RELEASE-RQ"
    ABORT = "A-ABORT"
    CLOSE = "closed"
    RESET = "reset"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Exchange:
    """One scripted acceptor run against one system run."""

    outcome: Outcome
    result: RequestorResult
    ending: Ending

    @property
    def received(self) -> tuple[PDU, ...]:
        return self.outcome.received

    def sent_any(self, *pdu_types: type) -> bool:
        return any(isinstance(pdu, pdu_types) for pdu in self.received)

    def describe(self) -> str:
        return f"{self.outcome.describe()}\nthe system's run: {self.result.describe()}"


def ending_of(outcome: Outcome) -> Ending:
    """The system's last word: its A-RELEASE-RQ or A-ABORT, or its closing the connection."""
    ending = Ending.NOTHING
    for entry in outcome.transcript:
        if entry.party != "peer":
            continue
        if isinstance(entry.pdu, AAbort):
            return Ending.ABORT
        if isinstance(entry.pdu, AReleaseRQ):
            ending = Ending.RELEASE
        elif entry.event == "closed" and ending is Ending.NOTHING:
            ending = Ending.CLOSE
        elif entry.event.startswith("reset") and ending is Ending.NOTHING:
            ending = Ending.RESET
    return ending


def play_acceptor(
    script: Script,
    system: RequestorSystem,
    action: str = "echo",
    timeout: float = 60.0,
) -> Exchange:
    """Listen, make ``system`` connect to run ``action``, play ``script``, collect both ends.

    Raises ``OSError`` when the listening port cannot be had, ``ConnectionError`` (one)
    when the system never requested an association: no reaction of it to judge.
    """
    if script.role != "acceptor":
        raise ValueError("play_acceptor plays acceptor scripts")
    with start_peer(script, system.listen_host, system.listen_port, timeout) as peer:
        request = Request(action, peer.host, peer.port, system.acceptor_ae_title)
        job = system.requestor.start(request)
        watcher = threading.Thread(target=_end_with, args=(job, peer, timeout), daemon=True)
        watcher.start()
        try:
            outcome = peer.outcome()
        finally:
            result = job.finish(SETTLE)
    if not any(isinstance(pdu, AAssociateRQ) for pdu in outcome.received):
        raise ConnectionError(f"the system never requested an association: {result.describe()}")
    return Exchange(outcome, result, ending_of(outcome))


def _end_with(job: RequestorJob, peer: PeerRun, timeout: float) -> None:
    """Once the system's run has ended, the script cannot wait for it much longer (it never
    connected, say): give it SETTLE seconds, then stop it."""
    if job.wait(timeout):
        with contextlib.suppress(Exception):
            peer.outcome(SETTLE)


def acceptor_script(name: str, steps: Iterable[Step], **options: object) -> Script:
    return Script("acceptor", tuple(steps), name=name, **options)  # type: ignore[arg-type]


# -- replies built from what the system sent -----------------------------------------------


def accept(
    maximum: int = OUR_MAXIMUM,
    *,
    contexts: Callable[[AAssociateRQ], tuple[PresentationContextACItem, ...]] | None = None,
) -> SendReply:
    """An A-ASSOCIATE-AC to the request just received: each context accepted with its first
    transfer syntax unless ``contexts`` says otherwise; our maximum PDU length ``maximum``."""

    def build(rq: PDU) -> PDU:
        assert isinstance(rq, AAssociateRQ), f"expected an A-ASSOCIATE-RQ, not {rq!r}"
        items = contexts(rq) if contexts is not None else accepted_contexts(rq)
        return AAssociateAC(
            called_ae_title=rq.called_ae_title,
            calling_ae_title=rq.calling_ae_title,
            presentation_contexts=items,
            user_information=(
                MaximumLengthItem(maximum),
                ImplementationClassUIDItem(HARNESS_IMPLEMENTATION_UID),
            ),
        )

    return SendReply(build, "A-ASSOCIATE-AC")


def accepted_contexts(rq: AAssociateRQ) -> tuple[PresentationContextACItem, ...]:
    return tuple(
        PresentationContextACItem(pc.context_id, 0, pc.transfer_syntaxes[0])
        for pc in rq.presentation_contexts
    )


def accept_bytes(build: Callable[[AAssociateAC], bytes], label: str) -> SendReply:
    """The A-ASSOCIATE-AC :func:`accept` would send, encoded and then altered by ``build``."""
    reply = accept()

    def altered(rq: PDU) -> bytes:
        ac = reply.build(rq)
        assert isinstance(ac, AAssociateAC)
        return build(ac)

    return SendReply(altered, label)


def request_of(message: PDU) -> tuple[DIMSEMessage, int] | None:
    """The DIMSE request a gathered message holds, and its context ID; None if none."""
    if not isinstance(message, PDataTF):
        return None
    command = b"".join(bytes(pdv.data) for pdv in message.pdvs if pdv.is_command)
    if not command:
        return None
    context_id = next(pdv.context_id for pdv in message.pdvs if pdv.is_command)
    try:
        return decode_command(command), context_id
    except Exception:
        return None


def response_to(request: DIMSEMessage, status: int, message_id: int | None = None) -> DIMSEMessage:
    """The final response to ``request`` with ``status``; ``message_id`` overrides the
    Message ID Being Responded To."""
    answered = request.message_id if message_id is None else message_id  # type: ignore[union-attr]
    match request:
        case CEchoRQ():
            return CEchoRSP(answered, status, request.affected_sop_class_uid)
        case CStoreRQ():
            return CStoreRSP(
                answered,
                status,
                request.affected_sop_class_uid,
                request.affected_sop_instance_uid,
            )
        case CFindRQ():
            return CFindRSP(answered, status, request.affected_sop_class_uid)
        case CGetRQ():
            return CGetRSP(answered, status, request.affected_sop_class_uid, 0, 0, 0, 0)
        case CMoveRQ():
            return CMoveRSP(answered, status, request.affected_sop_class_uid, 0, 0, 0, 0)
    raise ValueError(f"no response for {type(request).__name__}")


def respond(
    status: int = 0,
    *,
    message_id: Callable[[int], int] | None = None,
    context_id: Callable[[int], int] | None = None,
) -> SendReply:
    """A P-DATA-TF with the response to the DIMSE request just gathered (ExpectMessage).

    ``message_id`` maps the request's Message ID to the one answered (a wrong one),
    ``context_id`` the request's context ID to the one the response goes on.
    """

    def build(message: PDU) -> PDU | bytes:
        found = request_of(message)
        if found is None:
            return encode_pdu(AAbort())
        request, context = found
        answered = None if message_id is None else message_id(request.message_id)  # type: ignore[union-attr]
        command = encode_command(response_to(request, status, answered))
        on = context if context_id is None else context_id(context)
        return PDataTF((PresentationDataValue(on, True, True, command),))

    return SendReply(build, f"response, status 0x{status:04X}")


def maximum_length_of(rq: PDU) -> int:
    """The maximum PDU length the system announced (0: no limit)."""
    assert isinstance(rq, AAssociateRQ)
    items = rq.user_information
    return next((i.maximum_length for i in items if isinstance(i, MaximumLengthItem)), 0)
