"""``Association.network_timeout_response`` (pynetdicom 2.1): release or abort a silent peer.

A scripted peer (harness/) goes silent once the association is established;
the network timeout then expires on our side, as requestor and as acceptor.
With ``"A-ABORT"`` (pynetdicom's default) the association is aborted; with
``"A-RELEASE"`` it is released, and aborted only if the peer does not answer
the A-RELEASE-RQ within the acse_timeout.
"""

from __future__ import annotations

import threading

import pytest

from dicomactors import AE, Association, evt
from dicomactors.pdu.pdus import AAbort, AAssociateAC, AAssociateRQ, AReleaseRP, AReleaseRQ
from dicomactors.sop_class import Verification
from harness.behaviours import accept_all, associate_rq
from harness.outcome import OutcomeKind
from harness.peer import start_peer
from harness.script import Close, Expect, ExpectClose, Script, SendPDU, SendReply

IDLE = 0.5
"""The network timeout under test: the peer is silent far longer than this."""
WITHIN = 15.0


def test_the_default_is_pynetdicoms_and_bad_values_are_refused() -> None:
    assoc = Association(AE(), "requestor", evt.HandlerTable())  # no actors: a plain value
    assert assoc.network_timeout_response == "A-ABORT"
    with pytest.raises(ValueError, match="'A-ABORT' or 'A-RELEASE'"):
        assoc.network_timeout_response = "RELEASE"
    assoc.network_timeout_response = "A-RELEASE"
    assert assoc.network_timeout_response == "A-RELEASE"


@pytest.mark.parametrize("response", ["A-RELEASE", "A-ABORT"])
def test_an_acceptor_releases_or_aborts_a_silent_requestor(response: str) -> None:
    ae = AE(ae_title="ANY-SCP")
    ae.add_supported_context(Verification)
    ae.network_timeout = IDLE
    ended: list[str] = []
    done = threading.Event()

    def end(event: evt.Event) -> None:
        ended.append(event.event.name)
        done.set()

    def established(event: evt.Event) -> None:
        if response == "A-RELEASE":
            event.assoc.network_timeout_response = "A-RELEASE"

    handlers = [
        (evt.EVT_ESTABLISHED, established),
        (evt.EVT_RELEASED, end),
        (evt.EVT_ABORTED, end),
    ]
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
    try:
        script = Script(
            "requestor",
            (
                SendPDU(associate_rq()),
                Expect((AAssociateAC,), WITHIN),
                # A-RELEASE-RQ answered, the acceptor closes; A-ABORT: we close (AA-3).
                *(
                    (Expect((AReleaseRQ,), WITHIN), SendPDU(AReleaseRP()), ExpectClose(WITHIN))
                    if response == "A-RELEASE"
                    else (Expect((AAbort,), WITHIN), Close())
                ),
            ),
            name="silent-requestor",
        )
        with start_peer(script, "127.0.0.1", server.port, timeout=WITHIN * 2) as run:
            outcome = run.outcome()
        assert outcome.completed, outcome.describe()
        assert done.wait(WITHIN)
        assert ended == ["EVT_RELEASED" if response == "A-RELEASE" else "EVT_ABORTED"]
    finally:
        server.shutdown()


def _release_on_network_timeout(event: evt.Event) -> None:
    # Set once the association is established, on its own thread: before the network
    # timeout can expire, however late the caller of associate() gets to run.
    event.assoc.network_timeout_response = "A-RELEASE"


RELEASE_ON_NETWORK_TIMEOUT = (evt.EVT_ESTABLISHED, _release_on_network_timeout)


def _silent_acceptor(*after_release: object) -> Script:
    return Script(
        "acceptor",
        (
            Expect((AAssociateRQ,), WITHIN),
            SendReply(accept_all, "A-ASSOCIATE-AC"),
            Expect((AReleaseRQ,), WITHIN),
            *after_release,  # type: ignore[arg-type]
        ),
        name="silent-acceptor",
    )


def test_a_requestor_releases_a_silent_acceptor() -> None:
    with start_peer(_silent_acceptor(SendPDU(AReleaseRP()), ExpectClose(WITHIN))) as run:
        ae = AE()
        ae.add_requested_context(Verification)
        ae.network_timeout = IDLE
        assoc = ae.associate(
            "127.0.0.1", run.port, ae_title="ANY-SCP", evt_handlers=[RELEASE_ON_NETWORK_TIMEOUT]
        )
        assert assoc.is_established
        assert assoc.network_timeout_response == "A-RELEASE"
        assert assoc.join(WITHIN)
        outcome = run.outcome()
    assert outcome.completed, outcome.describe()
    assert outcome.kind is OutcomeKind.CLOSED or outcome.kind is OutcomeKind.RELEASED
    assert assoc.is_released and not assoc.is_aborted


def test_a_release_the_peer_does_not_answer_ends_in_an_abort() -> None:
    """The A-RELEASE-RQ goes unanswered: after the acse_timeout, A-ABORT (as any release)."""
    with start_peer(_silent_acceptor(Expect((AAbort,), WITHIN), Close())) as run:
        ae = AE()
        ae.add_requested_context(Verification)
        ae.network_timeout = IDLE
        ae.acse_timeout = IDLE
        assoc = ae.associate(
            "127.0.0.1", run.port, ae_title="ANY-SCP", evt_handlers=[RELEASE_ON_NETWORK_TIMEOUT]
        )
        assert assoc.join(WITHIN)
        outcome = run.outcome()
    assert outcome.completed, outcome.describe()
    assert assoc.is_aborted and not assoc.is_released


def test_a_requestor_aborts_a_silent_acceptor_by_default() -> None:
    script = Script(
        "acceptor",
        (
            Expect((AAssociateRQ,), WITHIN),
            SendReply(accept_all, "A-ASSOCIATE-AC"),
            Expect((AAbort,), WITHIN),
            Close(),
        ),
        name="silent-acceptor",
    )
    with start_peer(script) as run:
        ae = AE()
        ae.add_requested_context(Verification)
        ae.network_timeout = IDLE
        assoc = ae.associate("127.0.0.1", run.port, ae_title="ANY-SCP")
        assert assoc.is_established
        assert assoc.join(WITHIN)
        outcome = run.outcome()
    assert outcome.completed, outcome.describe()
    assert assoc.is_aborted
    assert "network timeout" in assoc.close_reason
