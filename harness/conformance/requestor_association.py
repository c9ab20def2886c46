"""Association establishment with the system as requestor (PS3.8 7.1, 9.3.2 to 9.3.4, D.1).

The acceptor answers the system's A-ASSOCIATE-RQ in every way PS3.8 allows, and in ways
it does not: a smaller maximum PDU length, each rejection, no usable context, a context
the system never proposed, malformed A-ASSOCIATE-AC and -RJ PDUs, no answer at all.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from dicomactors.pdu import encode_pdu
from dicomactors.pdu.items import ItemType, PresentationContextACItem
from dicomactors.pdu.pdus import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
)
from harness.conformance.requestor_core import (
    MARGIN,
    REPLY_WITHIN,
    Reaction,
    Verdict,
    aborted,
    closed_quietly,
    exchange,
    gave_up,
    give_up_time,
    judged,
    requestor_scenario,
)
from harness.malformed import MALFORMED_CASES
from harness.requestor.acceptor import (
    accept,
    accept_bytes,
    acceptor_script,
    respond,
)
from harness.requestor.systems import GIVES_UP, RequestorSystem
from harness.script import Close, Expect, ExpectClose, ExpectMessage, SendBytes, SendPDU, SendReply

GROUP = "requestor-association"
ANY_PDU = (AAssociateAC, AAssociateRJ, AAssociateRQ, PDataTF, AReleaseRQ, AReleaseRP, AAbort)
SMALL_MAXIMUM = 128
"""Our maximum PDU length in requestor-max-pdu-smaller: the C-STORE must be split to fit."""

# -- a smaller maximum PDU length ----------------------------------------------------------


@requestor_scenario(
    "requestor-max-pdu-smaller",
    "an A-ASSOCIATE-AC with a smaller maximum PDU length than the system's",
    "PS3.8 D.1, 9.3.3",
    f"no P-DATA-TF longer than the acceptor's maximum ({SMALL_MAXIMUM} bytes)",
    group=GROUP,
    action="store",
)
def max_pdu_smaller(system: RequestorSystem) -> Verdict:
    script = acceptor_script(
        "requestor-max-pdu-smaller",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            accept(SMALL_MAXIMUM),
            ExpectMessage(REPLY_WITHIN),
            respond(0),
            Expect((AReleaseRQ,), REPLY_WITHIN),
            SendPDU(AReleaseRP()),
            ExpectClose(REPLY_WITHIN),
        ),
        receive_max_pdu_length=SMALL_MAXIMUM,
    )
    ex = exchange(system, script, "store")
    if ex.outcome.kind.value == "undecodable":
        return judged(ex, False, f"a PDU over our maximum of {SMALL_MAXIMUM} bytes came")
    p_data = [pdu for pdu in ex.received if isinstance(pdu, PDataTF)]
    if not p_data:
        return judged(ex, False, "no P-DATA-TF came: the C-STORE was not sent")
    return judged(ex, ex.outcome.completed, f"{len(p_data)} P-DATA-TF, each within the maximum")


# -- each rejection ---------------------------------------------------------------------------

REJECTIONS = tuple(
    (result, source, reason)
    for result in (1, 2)
    for source, reason in ((1, 1), (1, 2), (1, 3), (1, 7), (2, 1), (2, 2), (3, 1), (3, 2))
)
"""Every (result, source, reason) of PS3.8 9.3.4: permanent or transient, each source with
each reason it may give."""


def _rejection(result: int, source: int, reason: int) -> Callable[[RequestorSystem], Verdict]:
    def run(system: RequestorSystem) -> Verdict:
        script = acceptor_script(
            f"requestor-rejected-{result}-{source}-{reason}",
            (
                Expect((AAssociateRQ,), REPLY_WITHIN),
                SendPDU(AAssociateRJ(result, source, reason)),
                Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            ),
        )
        ex = exchange(system, script)
        return closed_quietly(ex, Reaction.after(ex, 1))

    return run


for _result, _source, _reason in REJECTIONS:
    requestor_scenario(
        f"requestor-rejected-{_result}-{_source}-{_reason}",
        f"A-ASSOCIATE-RJ result {_result}, source {_source}, reason {_reason}",
        "PS3.8 9.3.4, 9.2 (Sta5, Evt4, AE-4)",
        "the system closes the connection and sends nothing more (AE-4)",
        group=GROUP,
    )(_rejection(_result, _source, _reason))


# -- contexts -----------------------------------------------------------------------------------


def _none_accepted(rq: AAssociateRQ) -> tuple[PresentationContextACItem, ...]:
    # Result 3: abstract syntax not supported (provider rejection), PS3.8 9.3.3.2.
    return tuple(
        PresentationContextACItem(pc.context_id, 3, None) for pc in rq.presentation_contexts
    )


@requestor_scenario(
    "requestor-no-context-accepted",
    "an A-ASSOCIATE-AC that accepts none of the proposed contexts",
    "PS3.8 9.3.3.2, PS3.7 7.1.1.13",
    "no P-DATA-TF (no context to send it on): the system releases or aborts",
    group=GROUP,
)
def no_context_accepted(system: RequestorSystem) -> Verdict:
    return _unusable_contexts(
        system, "requestor-no-context-accepted", _none_accepted, "with no context accepted"
    )


def _unusable_contexts(
    system: RequestorSystem,
    name: str,
    contexts: Callable[[AAssociateRQ], tuple[PresentationContextACItem, ...]],
    where: str,
) -> Verdict:
    """Accept with ``contexts`` (none the system can use): it must release or abort and
    send no P-DATA-TF."""
    script = acceptor_script(
        name,
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            accept(contexts=contexts),
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            SendPDU(AReleaseRP()),
            ExpectClose(REPLY_WITHIN),
        ),
    )
    ex = exchange(system, script)
    reaction = Reaction.after(ex, 1)
    if "PDataTF" in reaction.pdus:
        return judged(ex, False, f"a P-DATA-TF came {where}")
    ok = reaction.first in ("AReleaseRQ", "AAbort")
    return judged(ex, ok, f"the system's reaction: {reaction.first}")


def _unproposed(rq: AAssociateRQ) -> tuple[PresentationContextACItem, ...]:
    used = {pc.context_id for pc in rq.presentation_contexts}
    stranger = next(cid for cid in range(255, 0, -2) if cid not in used)
    first = rq.presentation_contexts[0]
    return (PresentationContextACItem(stranger, 0, first.transfer_syntaxes[0]),)


@requestor_scenario(
    "requestor-unproposed-context",
    "an A-ASSOCIATE-AC whose only context ID the system never proposed",
    "PS3.8 9.3.3.2, 9.3.2.2",
    "the system sends nothing on the context it never proposed: it aborts or releases",
    group=GROUP,
)
def unproposed_context(system: RequestorSystem) -> Verdict:
    return _unusable_contexts(
        system,
        "requestor-unproposed-context",
        _unproposed,
        "on the context the system never proposed",
    )


# -- malformed A-ASSOCIATE-AC and -RJ ------------------------------------------------------------

_VARIABLE_FIELD = 74  # header (6) + fixed fields (68), as in an A-ASSOCIATE-RQ


def _with_length(pdu: bytearray, length: int) -> bytes:
    struct.pack_into(">I", pdu, 2, length)
    return bytes(pdu)


def _item(pdu: bytes | bytearray, item_type: int, start: int = _VARIABLE_FIELD) -> int:
    offset = start
    while offset + 4 <= len(pdu):
        if pdu[offset] == item_type:
            return offset
        offset += 4 + struct.unpack_from(">H", pdu, offset + 2)[0]
    raise ValueError(f"no item of type {item_type:#x}")


def _ac_length_short(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    return _with_length(pdu, len(pdu) - 6 - 10)


def _ac_declares_4gib(ac: AAssociateAC) -> bytes:
    return _with_length(bytearray(encode_pdu(ac)), 0xFFFFFFFF)


def _ac_fixed_fields_short(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))[:40]
    return _with_length(pdu, 34)


def _ac_item_overrun(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    offset = _item(pdu, ItemType.PRESENTATION_CONTEXT_AC)
    struct.pack_into(">H", pdu, offset + 2, 0xFFF0)
    return bytes(pdu)


def _ac_unrecognized_item(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    pdu[_item(pdu, ItemType.USER_INFORMATION)] = 0x99
    return bytes(pdu)


def _ac_unexpected_item(ac: AAssociateAC) -> bytes:
    # A request's presentation context item (0x20) inside an A-ASSOCIATE-AC.
    pdu = bytearray(encode_pdu(ac))
    pdu[_item(pdu, ItemType.PRESENTATION_CONTEXT_AC)] = ItemType.PRESENTATION_CONTEXT_RQ
    return bytes(pdu)


def _ac_no_application_context(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    offset = _item(pdu, ItemType.APPLICATION_CONTEXT)
    length = 4 + struct.unpack_from(">H", pdu, offset + 2)[0]
    del pdu[offset : offset + length]
    return _with_length(pdu, len(pdu) - 6)


def _ac_maximum_length_wrong(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    user = _item(pdu, ItemType.USER_INFORMATION)
    maximum = _item(pdu, ItemType.MAXIMUM_LENGTH, user + 4)
    pdu[maximum + 8 : maximum + 8] = b"\x00\x00"
    struct.pack_into(">H", pdu, maximum + 2, 6)
    struct.pack_into(">H", pdu, user + 2, struct.unpack_from(">H", pdu, user + 2)[0] + 2)
    return _with_length(pdu, len(pdu) - 6)


def _ac_unknown_pdu_type(ac: AAssociateAC) -> bytes:
    pdu = bytearray(encode_pdu(ac))
    pdu[0] = 0xFF
    return bytes(pdu)


MALFORMED_ACCEPTS: dict[str, Callable[[AAssociateAC], bytes]] = {
    "ac-length-short": _ac_length_short,
    "ac-declares-4gib": _ac_declares_4gib,
    "ac-fixed-fields-short": _ac_fixed_fields_short,
    "ac-item-length-overrun": _ac_item_overrun,
    "ac-unrecognized-item-type": _ac_unrecognized_item,
    "ac-unexpected-item-type": _ac_unexpected_item,
    "ac-no-application-context": _ac_no_application_context,
    "ac-maximum-length-sub-item-wrong-length": _ac_maximum_length_wrong,
    "ac-unknown-pdu-type": _ac_unknown_pdu_type,
}
"""Malformed answers in Sta5, each an invalid PDU (Evt19): the A-ASSOCIATE-AC the
acceptor would send, broken as the decoder's error classes (harness/malformed.py) break
an A-ASSOCIATE-RQ."""


def _malformed_answer(
    reply: SendReply | SendBytes, name: str
) -> Callable[[RequestorSystem], Verdict]:
    def run(system: RequestorSystem) -> Verdict:
        script = acceptor_script(
            f"requestor-malformed-{name}",
            (
                Expect((AAssociateRQ,), REPLY_WITHIN),
                reply,
                Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
                Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
            ),
        )
        ex = exchange(system, script)
        return aborted(ex, Reaction.after(ex, 1))

    return run


for _name, _build in MALFORMED_ACCEPTS.items():
    requestor_scenario(
        f"requestor-malformed-{_name}",
        f"a malformed A-ASSOCIATE-AC ({_name})",
        "PS3.8 9.3.3, 9.2 (Sta5, Evt19, AA-8)",
        "the system sends an A-ABORT (AA-8) and waits for the close",
        group=GROUP,
    )(_malformed_answer(accept_bytes(_build, _name), _name))

_RJ_CASE = next(case for case in MALFORMED_CASES if case.name == "associate-rj-wrong-length")
requestor_scenario(
    "requestor-malformed-rj-wrong-length",
    "a malformed A-ASSOCIATE-RJ (its length is not 4)",
    f"{_RJ_CASE.clause}, 9.2 (Sta5, Evt19, AA-8)",
    "the system sends an A-ABORT (AA-8) and waits for the close",
    group=GROUP,
)(_malformed_answer(SendBytes(_RJ_CASE.build()), "rj-wrong-length"))


# -- no answer, and an abort while waiting ---------------------------------------------------


@requestor_scenario(
    "requestor-no-answer",
    "no answer to the A-ASSOCIATE-RQ",
    "PS3.8 9.2 (Sta5), 9.1.4 (the ACSE timeout is local)",
    "the system gives up within its own timeout (A-ABORT, or closing)",
    group=GROUP,
    requires=(GIVES_UP,),
)
def no_answer(system: RequestorSystem) -> Verdict:
    within = give_up_time(system) + MARGIN
    script = acceptor_script(
        "requestor-no-answer",
        (Expect((AAssociateRQ,), REPLY_WITHIN), Expect((AAbort,), within, or_close=True), Close()),
    )
    ex = exchange(system, script)
    return gave_up(ex, Reaction.after(ex, 0), system)


@requestor_scenario(
    "requestor-abort-sta5",
    "an A-ABORT in answer to the A-ASSOCIATE-RQ",
    "PS3.8 9.2 (Sta5, Evt16, AA-3), 9.3.8",
    "the system closes the connection and sends nothing (AA-3)",
    group=GROUP,
)
def abort_sta5(system: RequestorSystem) -> Verdict:
    script = acceptor_script(
        "requestor-abort-sta5",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            SendPDU(AAbort(0, 0)),
            Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
        ),
    )
    ex = exchange(system, script)
    return closed_quietly(ex, Reaction.after(ex, 1))
