"""Ready-made scripts: how a well-behaved or a misbehaving peer acts on the wire.

Each builder returns a :class:`~harness.script.Script` whose ``clause`` names
the part of PS3.8 (upper layer) or PS3.7 (message exchange) it exercises and
whose ``expected`` says the reaction the standard asks of the other side.
State names (Sta2, Sta6, ...) and actions (AA-1, AR-4, ...) are those of the
PS3.8 9.2 state table.

Requestor scripts are played against an SCP; acceptor scripts wait for an SCU
to connect. Timings (``within``) are generous defaults for a local process;
ARTIM builders take the system's ARTIM timeout and add a margin.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydicom._uid_dict import UID_dictionary
from pydicom.uid import ImplicitVRLittleEndian

from dicomactors.dimse.commands import CEchoRQ, encode_command
from dicomactors.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AbortSource,
    AReleaseRP,
    AReleaseRQ,
    ContextResult,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    PDataTF,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    encode_pdu,
)
from harness.malformed import MALFORMED_CASES, MalformedCase
from harness.script import (
    CLOSE,
    Close,
    Expect,
    ExpectClose,
    Script,
    SendBytes,
    SendPDU,
    SendReply,
    Step,
    StopReading,
    Trickle,
)

VERIFICATION = next(uid for uid, entry in UID_dictionary.items() if entry[4] == "Verification")
IMPLICIT_VR_LITTLE_ENDIAN = str(ImplicitVRLittleEndian)

HARNESS_AE = "HARNESS"
HARNESS_IMPLEMENTATION_UID = "1.2.826.0.1.3680043.9.7433.1.2"
REPLY_WITHIN = 5.0
"""How long a local system may take to answer a PDU before the run calls it timed out."""
ARTIM_MARGIN = 5.0
"""Added to a system's ARTIM timeout before its silence counts as a finding."""
UNACCEPTABLE_ABSTRACT_SYNTAX = "1.2.826.0.1.3680043.9.7433.99.1"
"""An abstract syntax no system knows, so its presentation context is refused."""

# -- building blocks ------------------------------------------------------------


def verification_context(context_id: int = 1) -> PresentationContextRQItem:
    return PresentationContextRQItem(context_id, VERIFICATION, (IMPLICIT_VR_LITTLE_ENDIAN,))


def associate_rq(
    called: str = "ANY-SCP",
    calling: str = HARNESS_AE,
    contexts: tuple[PresentationContextRQItem, ...] | None = None,
    max_pdu_length: int = 16384,
    protocol_version: int = 1,
    application_context_name: str | None = None,
) -> AAssociateRQ:
    """A well-formed A-ASSOCIATE-RQ proposing Verification unless told otherwise."""
    extra = (
        {}
        if application_context_name is None
        else {"application_context_name": application_context_name}
    )
    return AAssociateRQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=contexts or (verification_context(1),),
        user_information=(
            MaximumLengthItem(max_pdu_length),
            ImplementationClassUIDItem(HARNESS_IMPLEMENTATION_UID),
            ImplementationVersionNameItem("DA_HARNESS"),
        ),
        protocol_version=protocol_version,
        **extra,  # type: ignore[arg-type]
    )


def echo_request(message_id: int = 1, context_id: int = 1) -> PDataTF:
    """A C-ECHO-RQ command in one P-DATA-TF (PS3.7 9.3.5)."""
    command = encode_command(CEchoRQ(message_id, VERIFICATION))
    return PDataTF((PresentationDataValue(context_id, True, True, command),))


def accept_all(rq: PDU) -> AAssociateAC:
    """An A-ASSOCIATE-AC that accepts each proposed context with its first transfer syntax."""
    assert isinstance(rq, AAssociateRQ), f"expected an A-ASSOCIATE-RQ, got {type(rq).__name__}"
    return AAssociateAC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=tuple(
            PresentationContextACItem(
                pc.context_id, ContextResult.ACCEPTANCE, pc.transfer_syntaxes[0]
            )
            for pc in rq.presentation_contexts
        ),
        user_information=(
            MaximumLengthItem(16384),
            ImplementationClassUIDItem(HARNESS_IMPLEMENTATION_UID),
        ),
    )


def _associate(rq: AAssociateRQ) -> tuple[Step, ...]:
    return (SendPDU(rq), Expect((AAssociateAC,), REPLY_WITHIN))


def _release() -> tuple[Step, ...]:
    return (SendPDU(AReleaseRQ()), Expect((AReleaseRP,), REPLY_WITHIN), Close())


def _script(
    role: str, steps: Iterable[Step], name: str, clause: str, expected: str, **options: int
) -> Script:
    return Script(
        role,  # type: ignore[arg-type]
        tuple(steps),
        name=name,
        clause=clause,
        expected=expected,
        **options,  # type: ignore[arg-type]
    )


# -- association, release, rejection ----------------------------------------------


def associate_and_release(called: str = "ANY-SCP", calling: str = HARNESS_AE) -> Script:
    """Associate for Verification, then release. Outcome RELEASED.

    PS3.8 7.1, 7.2 and 9.2: the acceptor answers the A-ASSOCIATE-RQ with an
    A-ASSOCIATE-AC (AE-6, AE-7), and an A-RELEASE-RQ with an A-RELEASE-RP (AR-2, AR-4).
    """
    return _script(
        "requestor",
        (*_associate(associate_rq(called, calling)), *_release()),
        "associate-and-release",
        "PS3.8 7.1, 7.2",
        "A-ASSOCIATE-AC, then A-RELEASE-RP",
    )


def associate_echo_release(called: str = "ANY-SCP", calling: str = HARNESS_AE) -> Script:
    """Associate, send one C-ECHO-RQ, expect its response, release. Outcome RELEASED.

    PS3.7 9.1.5: a Verification SCP answers C-ECHO-RQ with a C-ECHO-RSP.
    """
    return _script(
        "requestor",
        (
            *_associate(associate_rq(called, calling)),
            SendPDU(echo_request()),
            Expect((PDataTF,), REPLY_WITHIN),
            *_release(),
        ),
        "c-echo",
        "PS3.7 9.1.5",
        "A-ASSOCIATE-AC, a C-ECHO-RSP in a P-DATA-TF, A-RELEASE-RP",
    )


def expect_reject(
    rq: AAssociateRQ, name: str = "expect-reject", clause: str = "PS3.8 7.1.1.7"
) -> Script:
    """Send ``rq`` and expect an A-ASSOCIATE-RJ; then close as the requestor should.

    PS3.8 9.2 AE-8: the acceptor sends the A-ASSOCIATE-RJ and waits (ARTIM,
    Sta13) for the requestor to close; result, source and reason are in
    ``Outcome.reject``.
    """
    return _script(
        "requestor",
        (SendPDU(rq), Expect((AAssociateRJ,), REPLY_WITHIN, or_close=True), Close()),
        name,
        clause,
        "A-ASSOCIATE-RJ with the result, source and reason the clause names",
    )


def wrong_called_ae(called: str = "NOT-THIS-AE") -> Script:
    """An A-ASSOCIATE-RQ to an AE title the acceptor is not.

    PS3.8 7.1.1.7 and 9.3.4: a rejection, result 1 (permanent), source 1
    (service user), reason 7 (called AE title not recognized), when the
    acceptor checks the called AE title.
    """
    return expect_reject(associate_rq(called=called), "wrong-called-ae", "PS3.8 7.1.1.7, 9.3.4")


def unknown_calling_ae(calling: str = "STRANGER", called: str = "ANY-SCP") -> Script:
    """An A-ASSOCIATE-RQ from an AE title the acceptor does not know.

    PS3.8 9.3.4: rejection 1/1/3 (calling AE title not recognized) when the
    acceptor keeps a list of known peers; acceptance otherwise.
    """
    return expect_reject(associate_rq(called, calling), "unknown-calling-ae", "PS3.8 9.3.4")


def unsupported_application_context(called: str = "ANY-SCP") -> Script:
    """An A-ASSOCIATE-RQ naming an application context other than DICOM's.

    PS3.8 9.3.4 and PS3.7 A.2.1: rejection 1/1/2 (application context name
    not supported).
    """
    rq = associate_rq(called, application_context_name="1.2.826.0.1.3680043.9.7433.99.2")
    return expect_reject(rq, "unsupported-application-context", "PS3.7 A.2.1, PS3.8 9.3.4")


def unsupported_protocol_version(called: str = "ANY-SCP") -> Script:
    """An A-ASSOCIATE-RQ whose protocol version lacks bit 0 (version 1).

    PS3.8 9.3.2 and 9.3.4: rejection 1/2/2 (ACSE provider: protocol version
    not supported).
    """
    rq = associate_rq(called, protocol_version=0x0002)
    return expect_reject(rq, "unsupported-protocol-version", "PS3.8 9.3.2, 9.3.4")


# -- abort in each state ---------------------------------------------------------------

_CLOSE_AFTER_ABORT = (
    "close the transport connection without answering (AA-2 in Sta2, AA-3 in Sta3, Sta6, Sta8)"
)


def abort_before_request() -> Script:
    """Connect and send an A-ABORT before any A-ASSOCIATE-RQ (Sta2).

    PS3.8 9.2, Sta2 Evt16: AA-2, stop ARTIM and close the connection.
    """
    return _script(
        "requestor",
        (SendPDU(AAbort()), ExpectClose(REPLY_WITHIN)),
        "abort-before-request",
        "PS3.8 9.2 (Sta2, Evt16, AA-2)",
        _CLOSE_AFTER_ABORT,
    )


def abort_after_request(called: str = "ANY-SCP") -> Script:
    """Send the A-ASSOCIATE-RQ and at once an A-ABORT, before any answer (Sta3).

    PS3.8 9.2, Sta3 Evt16: AA-3, indicate the abort and close. An A-ASSOCIATE-AC
    or -RJ that crossed the A-ABORT on the wire is ignored.
    """
    return _script(
        "requestor",
        (
            SendPDU(associate_rq(called)),
            SendPDU(AAbort()),
            ExpectClose(REPLY_WITHIN, ignoring=(AAssociateAC, AAssociateRJ)),
        ),
        "abort-after-request",
        "PS3.8 9.2 (Sta3, Evt16, AA-3)",
        _CLOSE_AFTER_ABORT,
    )


def abort_established(called: str = "ANY-SCP") -> Script:
    """Associate, then send an A-ABORT (Sta6).

    PS3.8 9.2, Sta6 Evt16: AA-3, indicate the abort and close.
    """
    return _script(
        "requestor",
        (*_associate(associate_rq(called)), SendPDU(AAbort()), ExpectClose(REPLY_WITHIN)),
        "abort-established",
        "PS3.8 9.2 (Sta6, Evt16, AA-3)",
        _CLOSE_AFTER_ABORT,
    )


def abort_awaiting_release(called: str = "ANY-SCP") -> Script:
    """Associate, send an A-RELEASE-RQ and at once an A-ABORT (Sta8 at the acceptor).

    PS3.8 9.2, Sta8 Evt16: AA-3, close. An A-RELEASE-RP that crossed the
    A-ABORT is ignored.
    """
    return _script(
        "requestor",
        (
            *_associate(associate_rq(called)),
            SendPDU(AReleaseRQ()),
            SendPDU(AAbort()),
            ExpectClose(REPLY_WITHIN, ignoring=(AReleaseRP,)),
        ),
        "abort-awaiting-release",
        "PS3.8 9.2 (Sta8, Evt16, AA-3)",
        _CLOSE_AFTER_ABORT,
    )


def abort_behaviours(called: str = "ANY-SCP") -> dict[str, Script]:
    """An A-ABORT in each state a requestor can put an acceptor in."""
    scripts = (
        abort_before_request(),
        abort_after_request(called),
        abort_established(called),
        abort_awaiting_release(called),
    )
    return {script.name: script for script in scripts}


# -- malformed PDUs -----------------------------------------------------------------


def malformed(case: MalformedCase, called: str = "ANY-SCP", within: float = REPLY_WITHIN) -> Script:
    """Send one malformed PDU from :mod:`harness.malformed` in its phase.

    PS3.8 9.2: an invalid or unrecognized PDU gets an A-ABORT (AA-1 in Sta2,
    service-user source; AA-8 once associated, service-provider source, with
    the reason of PS3.8 9.3.8) and then the connection is closed; closing at
    once is the lesser reaction. ``case.expected_abort_reason`` is the reason
    that fits the fault.
    """
    steps: list[Step] = []
    if case.phase == "established":
        steps.extend(_associate(associate_rq(called)))
    steps.append(SendBytes(case.build()))
    # An A-ASSOCIATE-RQ that the acceptor accepts or rejects anyway is a finding, not a hang.
    steps.append(Expect((AAbort, AAssociateAC, AAssociateRJ), within, or_close=True))
    steps.append(Close())
    reason = case.expected_abort_reason
    return _script(
        "requestor",
        steps,
        f"malformed-{case.name}",
        f"{case.clause}; PS3.8 9.2 (AA-1, AA-8)",
        "A-ABORT"
        + (f" with reason {reason}" if reason is not None else "")
        + ", then close (or close at once)",
    )


def malformed_behaviours(
    called: str = "ANY-SCP", within: float = REPLY_WITHIN
) -> dict[str, Script]:
    """A script for every case in :data:`harness.malformed.MALFORMED_CASES`."""
    return {f"malformed-{case.name}": malformed(case, called, within) for case in MALFORMED_CASES}


# -- ARTIM -----------------------------------------------------------------------------


def silent_after_connect(artim: float) -> Script:
    """Connect and send nothing.

    PS3.8 9.1.5 and 9.2: the acceptor starts ARTIM when the connection opens
    (AE-5) and closes it when ARTIM expires (Sta2 Evt18, AA-2).
    """
    return _script(
        "requestor",
        (ExpectClose(artim + ARTIM_MARGIN),),
        "artim-silent-after-connect",
        "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
        f"close the connection after ARTIM ({artim:g} s)",
    )


def incomplete_request(artim: float, called: str = "ANY-SCP") -> Script:
    """Send the first half of an A-ASSOCIATE-RQ and never the rest.

    PS3.8 9.2: ARTIM runs from the connection until a whole A-ASSOCIATE-RQ
    arrives (AE-6 stops it), so the acceptor closes once it expires (AA-2).
    """
    data = encode_pdu(associate_rq(called))
    return _script(
        "requestor",
        (SendBytes(data[: len(data) // 2]), ExpectClose(artim + ARTIM_MARGIN)),
        "artim-incomplete-request",
        "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
        f"close the connection after ARTIM ({artim:g} s)",
    )


def trickled_request(artim: float, called: str = "ANY-SCP", chunk: int = 1) -> Script:
    """Trickle a whole A-ASSOCIATE-RQ so slowly that it takes about twice ARTIM.

    PS3.8 9.2: ARTIM is not restarted by partial data, so the acceptor closes
    while the request is still arriving; an answer means it waited too long.
    """
    data = encode_pdu(associate_rq(called))
    rate = len(data) / (2 * artim)
    return _script(
        "requestor",
        (
            Trickle(data, rate, chunk),
            Expect((AAssociateAC, AAssociateRJ, AAbort), artim + ARTIM_MARGIN, or_close=True),
            Close(),
        ),
        "artim-trickled-request",
        "PS3.8 9.2 (Sta2, Evt18, AA-2)",
        f"close the connection about ARTIM ({artim:g} s) after it opened, mid-request",
    )


def release_without_close(artim: float, called: str = "ANY-SCP") -> Script:
    """Send an A-RELEASE-RQ, take the A-RELEASE-RP, and never close the connection.

    PS3.8 9.2 AR-4: the acceptor sends the A-RELEASE-RP and starts ARTIM
    (Sta13); on expiry it closes the connection itself (Evt18, AR-5/AA-2).
    """
    return _script(
        "requestor",
        (
            *_associate(associate_rq(called)),
            SendPDU(AReleaseRQ()),
            ExpectClose(artim + ARTIM_MARGIN + REPLY_WITHIN, ignoring=(AReleaseRP,)),
        ),
        "artim-release-without-close",
        "PS3.8 9.2 (Sta13, AR-4, Evt18)",
        f"A-RELEASE-RP, then close the connection after ARTIM ({artim:g} s)",
    )


def artim_behaviours(artim: float, called: str = "ANY-SCP") -> dict[str, Script]:
    scripts = (
        silent_after_connect(artim),
        incomplete_request(artim, called),
        trickled_request(artim, called),
        release_without_close(artim, called),
    )
    return {script.name: script for script in scripts}


# -- what is sent on an established association ---------------------------------------


def _oversized_p_data(ac: PDU, fallback_maximum: int) -> PDataTF:
    maximum = ac.maximum_length if isinstance(ac, AAssociateAC) else None
    limit = maximum or fallback_maximum
    command = encode_command(CEchoRQ(1, VERIFICATION))
    # PDU length = PDV item (4 + 2 + data): one byte over the announced maximum.
    data = command + bytes(limit + 1 - 6 - len(command))
    return PDataTF((PresentationDataValue(1, True, False, data),))


def pdu_over_maximum(called: str = "ANY-SCP", fallback_maximum: int = 16384) -> Script:
    """Associate, then send a P-DATA-TF one byte over the maximum the acceptor announced.

    PS3.8 D.1: a PDU must not exceed the receiver's maximum length. The receiver
    should refuse it with an A-ABORT (invalid PDU parameter value) and close.
    When the A-ASSOCIATE-AC announces no limit, ``fallback_maximum`` is used.
    """
    return _script(
        "requestor",
        (
            *_associate(associate_rq(called)),
            SendReply(lambda ac: _oversized_p_data(ac, fallback_maximum), "oversized P-DATA-TF"),
            Expect((AAbort,), REPLY_WITHIN, or_close=True, ignoring=(PDataTF,)),
            Close(),
        ),
        "pdu-over-maximum",
        "PS3.8 D.1, 9.2 (AA-8)",
        "A-ABORT (or close): the PDU is longer than the negotiated maximum",
    )


def p_data_on_unaccepted_context(called: str = "ANY-SCP") -> Script:
    """Propose Verification (1) and an unknown abstract syntax (3); echo on context 3.

    PS3.8 9.3.5.1 and PS3.7 7.1: a PDV must name a presentation context the
    association accepted. The receiver cannot interpret the PDV and should
    abort (A-ABORT, AA-8) rather than answer.
    """
    contexts = (
        verification_context(1),
        PresentationContextRQItem(3, UNACCEPTABLE_ABSTRACT_SYNTAX, (IMPLICIT_VR_LITTLE_ENDIAN,)),
    )
    return _script(
        "requestor",
        (
            *_associate(associate_rq(called, contexts=contexts)),
            SendPDU(echo_request(context_id=3)),
            Expect((AAbort, PDataTF), REPLY_WITHIN, or_close=True),
            Close(),
        ),
        "p-data-on-unaccepted-context",
        "PS3.8 9.3.5.1, PS3.7 7.1",
        "A-ABORT and close; a C-ECHO-RSP means the context was not checked",
    )


def stops_reading(
    called: str = "ANY-SCP", hold: float = 2.0, echoes: int = 200, receive_buffer: int = 4096
) -> Script:
    """Associate, stop reading, send ``echoes`` C-ECHO-RQs, release; resume after ``hold``.

    PS3.8 9.1.1 leaves flow control to TCP: a peer that reads slowly must only
    slow the other side down. The acceptor should answer every echo and the
    release once reading resumes. Outcome RELEASED; ABORTED, CLOSED or
    TIMED_OUT if it gave up on us or hung.
    """
    steps: list[Step] = [*_associate(associate_rq(called)), StopReading(hold)]
    steps.extend(SendPDU(echo_request(message_id=n + 1)) for n in range(echoes))
    steps.append(SendPDU(AReleaseRQ()))
    steps.append(Expect((AReleaseRP,), hold + REPLY_WITHIN * 2, ignoring=(PDataTF,)))
    steps.append(Close())
    return _script(
        "requestor",
        steps,
        "stops-reading",
        "PS3.8 9.1.1",
        "answer all echoes and the release once the peer reads again",
        receive_buffer_size=receive_buffer,
    )


# -- scripted acceptors, for testing SCUs -------------------------------------------------


def acceptor_rejecting(result: int, source: int, reason: int) -> Script:
    """Answer the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ, then wait for the SCU to close.

    PS3.8 9.2 AE-8 / Sta5 Evt4 (AE-4): the requestor issues an A-ASSOCIATE
    confirmation (reject) and closes the connection.
    """
    return _script(
        "acceptor",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            SendPDU(AAssociateRJ(result, source, reason)),
            ExpectClose(REPLY_WITHIN),
        ),
        f"acceptor-rejecting-{result}-{source}-{reason}",
        "PS3.8 9.2 (Sta5, Evt4, AE-4), 9.3.4",
        "the requestor reports the rejection and closes the connection",
    )


def acceptor_aborting_after_request(
    source: int = AbortSource.SERVICE_USER, reason: int = 0
) -> Script:
    """Answer the A-ASSOCIATE-RQ with an A-ABORT, then wait for the SCU to close.

    PS3.8 9.2 Sta5 Evt16: AA-3, the requestor indicates the abort and closes.
    """
    return _script(
        "acceptor",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            SendPDU(AAbort(source, reason)),
            ExpectClose(REPLY_WITHIN),
        ),
        "acceptor-aborting-after-request",
        "PS3.8 9.2 (Sta5, Evt16, AA-3)",
        "the requestor reports the abort and closes the connection",
    )


def acceptor_accepting_then_vanishing() -> Script:
    """Accept the association, then close the connection without release or abort.

    PS3.8 9.2 Evt17 in Sta6: AA-4, the requestor indicates an A-P-ABORT.
    """
    return _script(
        "acceptor",
        (Expect((AAssociateRQ,), REPLY_WITHIN), SendReply(accept_all, "A-ASSOCIATE-AC"), Close()),
        "acceptor-accepting-then-vanishing",
        "PS3.8 9.2 (Sta6, Evt17, AA-4)",
        "the requestor reports a provider abort (A-P-ABORT)",
    )


def acceptor_never_releasing(hold: float = 10.0) -> Script:
    """Accept, take the A-RELEASE-RQ, and never answer it.

    PS3.8 9.2 Sta7 has no timer: the requestor's own timeout must end the
    wait with an A-ABORT (or by closing).
    """
    return _script(
        "acceptor",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            SendReply(accept_all, "A-ASSOCIATE-AC"),
            Expect((AReleaseRQ,), hold, ignoring=(PDataTF,)),
            Expect((AAbort,), hold, or_close=True),
            Close(),
        ),
        "acceptor-never-releasing",
        "PS3.8 9.2 (Sta7)",
        "the requestor aborts or closes after its own timeout",
    )


def acceptor_release_collision() -> Script:
    """Accept; when the requestor asks to release, ask to release too (a collision).

    PS3.8 9.2 and 7.2 (release collision): the requestor (Sta7, Evt12, AR-8 to
    Sta9) answers with an A-RELEASE-RP first (AR-9, Sta11); the acceptor (Sta10)
    then answers with its own A-RELEASE-RP (AR-10, Sta12 to Sta13) and the
    requestor closes.
    """
    return _script(
        "acceptor",
        (
            Expect((AAssociateRQ,), REPLY_WITHIN),
            SendReply(accept_all, "A-ASSOCIATE-AC"),
            Expect((AReleaseRQ,), REPLY_WITHIN * 2, ignoring=(PDataTF,)),
            SendPDU(AReleaseRQ()),
            Expect((AReleaseRP,), REPLY_WITHIN),
            SendPDU(AReleaseRP()),
            ExpectClose(REPLY_WITHIN),
        ),
        "acceptor-release-collision",
        "PS3.8 7.2, 9.2 (Sta7 Evt12 AR-8; Sta9 AR-9; Sta11 Evt13 AR-3)",
        "the requestor sends A-RELEASE-RP, takes ours, and closes",
    )


__all__ = [
    "ARTIM_MARGIN",
    "CLOSE",
    "HARNESS_AE",
    "REPLY_WITHIN",
    "abort_after_request",
    "abort_awaiting_release",
    "abort_before_request",
    "abort_behaviours",
    "abort_established",
    "accept_all",
    "acceptor_aborting_after_request",
    "acceptor_accepting_then_vanishing",
    "acceptor_never_releasing",
    "acceptor_rejecting",
    "acceptor_release_collision",
    "artim_behaviours",
    "associate_and_release",
    "associate_echo_release",
    "associate_rq",
    "echo_request",
    "expect_reject",
    "incomplete_request",
    "malformed",
    "malformed_behaviours",
    "p_data_on_unaccepted_context",
    "pdu_over_maximum",
    "release_without_close",
    "silent_after_connect",
    "stops_reading",
    "trickled_request",
    "unknown_calling_ae",
    "unsupported_application_context",
    "unsupported_protocol_version",
    "verification_context",
    "wrong_called_ae",
]
