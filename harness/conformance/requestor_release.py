"""Release and abort with the system as requestor (PS3.8 7.2, 7.3, 9.2).

The acceptor aborts the established association and the release it awaits, answers the
system's A-RELEASE-RQ late or never, sends a P-DATA-TF while the system awaits the
A-RELEASE-RP, collides with the release, and leaves the connection open after its
A-RELEASE-RP.
"""

from __future__ import annotations

from dicomactors.pdu.pdus import AAbort, AAssociateRQ, AReleaseRP, AReleaseRQ
from harness import behaviours as b
from harness.conformance.requestor_core import (
    MARGIN,
    REPLY_WITHIN,
    Reaction,
    Verdict,
    closed_quietly,
    exchange,
    gave_up,
    give_up_time,
    judged,
    requestor_scenario,
)
from harness.conformance.requestor_grid import ANY_PDU
from harness.requestor.acceptor import accept, acceptor_script, respond
from harness.requestor.systems import GIVES_UP, RequestorSystem
from harness.script import Close, Expect, ExpectClose, ExpectMessage, SendPDU, Wait

GROUP = "requestor-release"
_ESTABLISHED = (Expect((AAssociateRQ,), REPLY_WITHIN), accept(), ExpectMessage(REPLY_WITHIN))
_RELEASING = (*_ESTABLISHED, respond(0), Expect((AReleaseRQ,), REPLY_WITHIN))


@requestor_scenario(
    "requestor-abort-sta6",
    "an A-ABORT while the system awaits its response (Sta6)",
    "PS3.8 7.3, 9.2 (Sta6, Evt16, AA-3)",
    "the system closes the connection and sends nothing (AA-3)",
    group=GROUP,
)
def abort_sta6(system: RequestorSystem) -> Verdict:
    steps = (*_ESTABLISHED, SendPDU(AAbort(0, 0)), Expect(ANY_PDU, REPLY_WITHIN, or_close=True))
    ex = exchange(system, acceptor_script("requestor-abort-sta6", steps))
    return closed_quietly(ex, Reaction.after(ex, 2))


@requestor_scenario(
    "requestor-abort-sta7",
    "an A-ABORT in answer to the A-RELEASE-RQ (Sta7)",
    "PS3.8 7.3, 9.2 (Sta7, Evt16, AA-3)",
    "the system closes the connection and sends nothing (AA-3)",
    group=GROUP,
)
def abort_sta7(system: RequestorSystem) -> Verdict:
    steps = (*_RELEASING, SendPDU(AAbort(2, 0)), Expect(ANY_PDU, REPLY_WITHIN, or_close=True))
    ex = exchange(system, acceptor_script("requestor-abort-sta7", steps))
    return closed_quietly(ex, Reaction.after(ex, 3))


@requestor_scenario(
    "requestor-release-rp-late",
    "the A-RELEASE-RP comes late (half the system's timeout)",
    "PS3.8 7.2, 9.2 (Sta7, Evt13, AR-3)",
    "the system waits for it, then closes the connection (AR-3)",
    group=GROUP,
    requires=(GIVES_UP,),
)
def release_rp_late(system: RequestorSystem) -> Verdict:
    late = give_up_time(system) / 2
    steps = (
        *_RELEASING,
        Wait(late),
        SendPDU(AReleaseRP()),
        Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
    )
    ex = exchange(system, acceptor_script("requestor-release-rp-late", steps))
    before = Reaction.after(ex, 2, until_next_move=True).past_release_request()
    if before.pdus or before.ended_connection:
        return judged(ex, False, f"before our late A-RELEASE-RP, {before.describe()}")
    return closed_quietly(ex, Reaction.after(ex, 3))


@requestor_scenario(
    "requestor-release-rp-never",
    "no A-RELEASE-RP ever",
    "PS3.8 7.2, 9.2 (Sta7; the timeout is local)",
    "the system gives up within its own timeout (A-ABORT, or closing)",
    group=GROUP,
    requires=(GIVES_UP,),
)
def release_rp_never(system: RequestorSystem) -> Verdict:
    within = give_up_time(system) + MARGIN
    steps = (*_RELEASING, Expect((AAbort,), within, or_close=True), Close())
    ex = exchange(system, acceptor_script("requestor-release-rp-never", steps))
    return gave_up(ex, Reaction.after(ex, 2).past_release_request(), system)


@requestor_scenario(
    "requestor-p-data-sta7",
    "a P-DATA-TF while the system awaits the A-RELEASE-RP",
    "PS3.8 7.2, 9.2 (Sta7, Evt10, AR-6)",
    "the system takes it (AR-6), still awaits the A-RELEASE-RP, then closes (AR-3)",
    group=GROUP,
)
def p_data_sta7(system: RequestorSystem) -> Verdict:
    steps = (
        *_RELEASING,
        SendPDU(b.echo_request(7)),
        SendPDU(AReleaseRP()),
        Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
    )
    ex = exchange(system, acceptor_script("requestor-p-data-sta7", steps))
    before = Reaction.after(ex, 3, until_next_move=True)
    if before.pdus or before.ended_connection:
        return judged(ex, False, f"after the P-DATA-TF, {before.describe()}")
    return closed_quietly(ex, Reaction.after(ex, 4))


@requestor_scenario(
    "requestor-release-collision",
    "a release collision: the acceptor requests release too",
    "PS3.8 7.2 (release collision), 9.2 (Sta7 Evt12 AR-8, Sta9 AR-9, Sta11 Evt13 AR-3)",
    "the system answers with an A-RELEASE-RP, takes ours, and closes",
    group=GROUP,
)
def release_collision(system: RequestorSystem) -> Verdict:
    steps = (
        *_RELEASING,
        SendPDU(AReleaseRQ()),
        Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
        SendPDU(AReleaseRP()),
        Expect(ANY_PDU, REPLY_WITHIN, or_close=True),
    )
    ex = exchange(system, acceptor_script("requestor-release-collision", steps))
    answer = Reaction.after(ex, 3, until_next_move=True)
    if answer.first != "AReleaseRP":
        return judged(ex, False, f"to our A-RELEASE-RQ the system answered {answer.first}")
    return closed_quietly(ex, Reaction.after(ex, 4))


@requestor_scenario(
    "requestor-no-close-after-release",
    "the acceptor leaves the connection open after its A-RELEASE-RP",
    "PS3.8 7.2, 9.2 (Sta7, Evt13, AR-3)",
    "the system closes the connection itself (AR-3)",
    group=GROUP,
)
def no_close_after_release(system: RequestorSystem) -> Verdict:
    steps = (*_RELEASING, SendPDU(AReleaseRP()), ExpectClose(REPLY_WITHIN))
    ex = exchange(system, acceptor_script("requestor-no-close-after-release", steps))
    return closed_quietly(ex, Reaction.after(ex, 3))
