"""DIMSE responses to the system's requests (PS3.7 9.1, 9.3, Annex C; PS3.4 B.2.3).

The acceptor answers the system's C-STORE-RQ with warning and failure statuses, and its
C-ECHO-RQ with a wrong Message ID Being Responded To, on a context it never proposed, or
not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from dicomactors.pdu.pdus import AAbort, AAssociateRQ, AReleaseRP, AReleaseRQ
from harness.conformance.requestor_core import (
    MARGIN,
    REPLY_WITHIN,
    Reaction,
    Verdict,
    exchange,
    gave_up,
    give_up_time,
    judged,
    requestor_scenario,
)
from harness.conformance.requestor_grid import ANY_PDU
from harness.requestor.acceptor import accept, acceptor_script, respond
from harness.requestor.systems import GIVES_UP, RequestorSystem
from harness.script import Close, Expect, ExpectClose, ExpectMessage, SendPDU, SendReply

GROUP = "requestor-dimse"
_ESTABLISHED = (Expect((AAssociateRQ,), REPLY_WITHIN), accept(), ExpectMessage(REPLY_WITHIN))

_B23 = "PS3.4 B.2.3"
STATUSES: dict[str, tuple[str, int, str]] = {
    "store-warning-coercion": ("store", 0xB000, f"{_B23} (Warning: coercion of data elements)"),
    "store-warning-elements-discarded": ("store", 0xB006, f"{_B23} (Warning: elements discarded)"),
    "store-warning-not-matching": ("store", 0xB007, f"{_B23} (Warning: data set does not match)"),
    "store-failure-out-of-resources": ("store", 0xA700, f"{_B23} (Refused: out of resources)"),
    "store-failure-not-matching": ("store", 0xA900, f"{_B23} (Error: data set does not match)"),
    "store-failure-cannot-understand": ("store", 0xC000, f"{_B23} (Error: cannot understand)"),
    "echo-failure-not-supported": (
        "echo",
        0x0122,
        "PS3.7 C.5.1 (Failure: SOP class not supported)",
    ),
}
"""A response status per scenario: the operation it answers, the status, its clause."""


def _status_run(action: str, status: int) -> Callable[[RequestorSystem], Verdict]:
    def run(system: RequestorSystem) -> Verdict:
        steps = (
            *_ESTABLISHED,
            respond(status),
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            SendPDU(AReleaseRP()),
            ExpectClose(REPLY_WITHIN),
        )
        ex = exchange(system, acceptor_script(f"requestor-status-{status:04x}", steps), action)
        reaction = Reaction.after(ex, 2)
        ok = reaction.first == "AReleaseRQ"
        return judged(ex, ok, f"after status 0x{status:04X} the system sent {reaction.first}")

    return run


for _name, (_action, _status, _clause) in STATUSES.items():
    requestor_scenario(
        f"requestor-{_name}",
        f"a {_action.upper()} response with status 0x{_status:04X}",
        f"PS3.7 9.1, Annex C; {_clause}",
        "the system takes the response as the answer and releases the association normally",
        group=GROUP,
        action=_action,
    )(_status_run(_action, _status))


def _misanswered(ex_name: str, reply: SendReply) -> Callable[[RequestorSystem], Verdict]:
    """Answer with ``reply``: the system must not take it as its response."""

    def run(system: RequestorSystem) -> Verdict:
        within = give_up_time(system) + MARGIN
        steps = (
            *_ESTABLISHED,
            reply,
            Expect((AAbort, AReleaseRQ), within, or_close=True),
            SendPDU(AReleaseRP()),
            ExpectClose(REPLY_WITHIN),
        )
        ex = exchange(system, acceptor_script(ex_name, steps))
        reaction = Reaction.after(ex, 2)
        ours = [e for e in ex.outcome.transcript if e.party == "us"]
        if len(ours) < 2:
            return judged(ex, False, "the system never sent its request")
        answered_at = ours[1].at
        first = next((e for e in reaction.entries), None)
        if first is None:
            return judged(ex, False, "the system neither gave up nor went on")
        if isinstance(first.pdu, AAbort):
            return judged(ex, True, "the system aborted")
        waited = first.at - answered_at
        if waited < give_up_time(system) / 2:
            what = first.event
            return judged(ex, False, f"{what} {waited:.3f} s later: it took it as the response")
        return judged(ex, True, f"the system waited {waited:.1f} s, then: {first.event}")

    return run


def _other_message(message_id: int) -> int:
    return (message_id + 1000) % 0x10000


def _stranger_context(context_id: int) -> int:
    return 255 if context_id != 255 else 253


requestor_scenario(
    "requestor-response-wrong-message-id",
    "a C-ECHO-RSP whose Message ID Being Responded To is not the request's",
    "PS3.7 9.3.5.2, 9.1.5 (Message ID Being Responded To)",
    "the system does not take it as its response: it aborts, or waits until its own timeout",
    group=GROUP,
    requires=(GIVES_UP,),
)(_misanswered("requestor-response-wrong-message-id", respond(0, message_id=_other_message)))

requestor_scenario(
    "requestor-response-wrong-context",
    "a C-ECHO-RSP on a presentation context the system never proposed",
    "PS3.8 9.3.5.1, PS3.7 7.1.1.13",
    "the system does not take it as its response: it aborts (AA-8), or waits until its timeout",
    group=GROUP,
    requires=(GIVES_UP,),
)(_misanswered("requestor-response-wrong-context", respond(0, context_id=_stranger_context)))


@requestor_scenario(
    "requestor-response-never",
    "no response to the C-ECHO-RQ",
    "PS3.7 9.1.5 (the DIMSE timeout is local), PS3.8 7.3",
    "the system gives up within its own timeout (A-ABORT, release, or closing)",
    group=GROUP,
    requires=(GIVES_UP,),
)
def response_never(system: RequestorSystem) -> Verdict:
    within = give_up_time(system) + MARGIN
    steps = (
        *_ESTABLISHED,
        Expect((AAbort, AReleaseRQ), within, or_close=True),
        SendPDU(AReleaseRP()),
        Close(),
    )
    ex = exchange(system, acceptor_script("requestor-response-never", steps))
    return gave_up(ex, Reaction.after(ex, 1), system)
