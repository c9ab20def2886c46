"""The scripted peer played against real systems: DCMTK storescp and a pynetdicom SCP.

The expected kinds below are what the systems did when these tests were
written; where that is not the reaction the standard asks for, the entry says
so (a finding about that system, not a fault of the harness).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from dicomactors.actors.runtime import WORKERS
from dicomactors.pdu import AAbort, AAssociateAC, AAssociateRJ, AReleaseRP, PDataTF
from harness import behaviours
from harness.malformed import MALFORMED_CASES
from harness.outcome import OutcomeKind, TranscriptEntry, classify
from harness.peer import run_script, start_peer
from harness.script import Close, Expect, ExpectClose, Script, SendPDU, Wait
from harness.systems import LOOPBACK, PeerUnavailable, dcmtk_storescp

ARTIM = 2.0
K = OutcomeKind


@pytest.fixture(scope="module")
def storescp() -> Iterator[int]:
    try:
        with dcmtk_storescp(extra_args=["-ta", str(int(ARTIM))]) as sut:
            yield sut.port
    except PeerUnavailable as missing:
        pytest.skip(str(missing))


def _pynetdicom_scp(**settings: object) -> Iterator[int]:
    ae = AE(ae_title="PYSCP")
    ae.add_supported_context(Verification)
    ae.acse_timeout = ARTIM
    ae.network_timeout = ARTIM
    for name, value in settings.items():
        setattr(ae, name, value)
    server = ae.start_server((LOOPBACK, 0), block=False)
    assert server is not None
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def pyscp() -> Iterator[int]:
    yield from _pynetdicom_scp()


@pytest.fixture(params=["dcmtk", "pynetdicom"])
def system(request: pytest.FixtureRequest) -> tuple[str, int]:
    fixture = "storescp" if request.param == "dcmtk" else "pyscp"
    return request.param, request.getfixturevalue(fixture)


def _play(script: Script, port: int, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    outcome = run_script(script, LOOPBACK, port, timeout)
    print(f"{script.name}: {outcome.describe()}")
    return outcome


# -- scripts and classification without a network ---------------------------------------


def test_a_final_step_must_be_last() -> None:
    with pytest.raises(ValueError, match="last step"):
        Script("requestor", (Close(), Wait(1)))
    with pytest.raises(ValueError):
        Expect((AAbort,), 0)
    with pytest.raises(ValueError):
        Script("server", ())  # type: ignore[arg-type]


def test_classify_keeps_an_abort_and_lets_a_timeout_override() -> None:
    aborted = classify(
        (
            TranscriptEntry(0.0, "us", "sent AAssociateRQ"),
            TranscriptEntry(0.1, "peer", "sent AAssociateAC", AAssociateAC("A", "B", ())),
            TranscriptEntry(0.5, "us", "sent PDataTF"),
            TranscriptEntry(0.7, "peer", "sent AAbort", AAbort(2, 6)),
            TranscriptEntry(0.8, "peer", "closed"),
        )
    )
    assert (aborted.kind, aborted.abort) == (K.ABORTED, (2, 6))
    assert aborted.elapsed == pytest.approx(0.7)
    assert aborted.reaction_time == pytest.approx(0.2)
    rejected_then_closed = classify(
        (
            TranscriptEntry(0.1, "peer", "sent AAssociateRJ", AAssociateRJ(1, 1, 7)),
            TranscriptEntry(0.2, "peer", "closed"),
        )
    )
    assert rejected_then_closed.reject == (1, 1, 7)
    timed_out = classify(
        (
            TranscriptEntry(0.1, "peer", "sent AReleaseRP (ignored)", AReleaseRP()),
            TranscriptEntry(3.0, "harness", "timed out"),
        ),
        completed=False,
        unmet="expected close",
    )
    assert timed_out.kind is K.TIMED_OUT
    assert "unmet: expected close" in timed_out.describe()


def test_every_malformed_case_has_a_script() -> None:
    scripts = behaviours.malformed_behaviours()
    assert len(scripts) == len(MALFORMED_CASES) > 0
    for case in MALFORMED_CASES:
        script = scripts[f"malformed-{case.name}"]
        sent = [step for step in script.steps if not isinstance(step, Expect | Close)]
        assert len(sent) == (2 if case.phase == "established" else 1)


# -- against storescp and the pynetdicom SCP ---------------------------------------------


def test_associate_and_release(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.associate_and_release(), system[1])
    assert outcome.kind is K.RELEASED and outcome.completed
    assert [type(pdu) for pdu in outcome.received] == [AAssociateAC, AReleaseRP]


def test_echo(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.associate_echo_release(), system[1])
    assert outcome.kind is K.RELEASED and outcome.completed
    assert any(isinstance(pdu, PDataTF) for pdu in outcome.received)


@pytest.mark.parametrize("name", list(behaviours.abort_behaviours()))
def test_abort_in_each_state_closes(system: tuple[str, int], name: str) -> None:
    outcome = _play(behaviours.abort_behaviours()[name], system[1])
    # storescp closes with our A-ABORT still unread, which the kernel turns into a reset.
    expected = {K.CLOSED, K.RESET} if system[0] == "dcmtk" else {K.CLOSED}
    assert outcome.kind in expected and outcome.completed
    assert outcome.reaction_time < 1.0


def test_protocol_version_is_rejected(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.unsupported_protocol_version(), system[1])
    assert outcome.kind is K.REJECTED
    assert outcome.reject == (1, 2, 2)


def test_application_context(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.unsupported_application_context(), system[1])
    if system[0] == "dcmtk":
        assert outcome.reject == (1, 1, 2)
    else:
        # Finding: pynetdicom accepts an association for a foreign application context.
        assert outcome.kind is K.ACCEPTED and not outcome.completed


def test_wrong_called_ae_is_rejected_when_checked() -> None:
    for port in _pynetdicom_scp(require_called_aet=True):
        outcome = _play(behaviours.wrong_called_ae(), port)
        assert outcome.kind is K.REJECTED
        assert outcome.reject == (1, 1, 7)


def test_storescp_refuse_rejects_without_reason() -> None:
    with dcmtk_storescp(extra_args=["--refuse"]) as sut:
        outcome = _play(behaviours.associate_and_release(), sut.port)
    assert outcome.kind is K.REJECTED and not outcome.completed
    assert outcome.reject is not None and outcome.reject[:2] == (1, 1)


MALFORMED_SEEN = {
    # name: (dcmtk, pynetdicom)
    "unknown-pdu-type": (K.RESET, K.ABORTED),
    "item-length-overrun": (K.TIMED_OUT, K.ABORTED),  # finding: storescp ignores it
    "uid-over-64": (K.TIMED_OUT, K.ABORTED),  # finding: storescp ignores it
    "duplicate-context-ids": (K.ACCEPTED, K.UNDECODABLE),  # findings for both
    "pdv-past-pdu-end": (K.ABORTED, K.ABORTED),
    "pdv-header-truncated": (K.ABORTED, K.ABORTED),
    "unknown-pdu-type-established": (K.ABORTED, K.ABORTED),
    "release-rq-wrong-length": (K.RELEASED, K.RELEASED),  # finding: both release
}


@pytest.mark.parametrize("name", list(MALFORMED_SEEN))
def test_malformed(system: tuple[str, int], name: str) -> None:
    case = next(case for case in MALFORMED_CASES if case.name == name)
    outcome = _play(behaviours.malformed(case, within=1.0), system[1])
    expected = MALFORMED_SEEN[name][0 if system[0] == "dcmtk" else 1]
    assert outcome.kind is expected


def test_artim_closes_a_silent_connection(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.silent_after_connect(ARTIM), system[1])
    assert outcome.kind is K.CLOSED and outcome.completed
    assert ARTIM - 0.2 < outcome.elapsed < ARTIM + 1.5


def test_p_data_on_an_unaccepted_context_is_aborted(system: tuple[str, int]) -> None:
    outcome = _play(behaviours.p_data_on_unaccepted_context(), system[1])
    assert outcome.kind is K.ABORTED and outcome.completed


def test_pdu_over_the_maximum_is_aborted(storescp: int) -> None:
    outcome = _play(behaviours.pdu_over_maximum(), storescp)
    assert outcome.kind is K.ABORTED and outcome.completed
    assert outcome.reaction_time < 1.0


def test_a_peer_that_stops_reading_is_answered_later(storescp: int) -> None:
    outcome = _play(behaviours.stops_reading(hold=1.0, echoes=100), storescp)
    assert outcome.kind is K.RELEASED and outcome.completed
    answers = [pdu for pdu in outcome.received if isinstance(pdu, PDataTF)]
    assert len(answers) >= 100
    assert outcome.elapsed >= 1.0


# -- the harness on its own ------------------------------------------------------------------


def test_no_connection_raises() -> None:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        run_script(behaviours.associate_and_release(), LOOPBACK, port, 5)


def test_an_unmet_expectation_times_out_and_leaks_nothing() -> None:
    # dicomactors' worker pool (threads parked by earlier tests) is not the harness's.
    def harness_threads() -> set[threading.Thread]:
        pool = WORKERS.threads()
        return {t for t in threading.enumerate() if t not in pool and t.name != "dicomactors-idle"}

    before = harness_threads()
    script = Script("acceptor", (Expect((AAbort,), 0.3),))
    with (
        start_peer(script, LOOPBACK, 0, timeout=5) as run,
        socket.create_connection((LOOPBACK, run.port)),
    ):
        outcome = run.outcome()
    assert outcome.kind is K.TIMED_OUT and not outcome.completed
    assert 0.3 <= outcome.elapsed < 1.0
    # Nothing new is left running (threads of earlier tests may have ended meanwhile).
    assert harness_threads() <= before


# -- scripted acceptors against pynetdicom's SCU ------------------------------------------------


def _scu() -> AE:
    ae = AE(ae_title="PYSCU")
    ae.add_requested_context(Verification)
    ae.acse_timeout = 5
    ae.network_timeout = 5
    return ae


def test_scripted_rejection_reaches_the_scu() -> None:
    with start_peer(behaviours.acceptor_rejecting(1, 1, 7), LOOPBACK, 0, 10) as run:
        assoc = _scu().associate(LOOPBACK, run.port, ae_title="WHOEVER")
        outcome = run.outcome()
    assert assoc.is_rejected
    assert (outcome.kind, outcome.reject, outcome.completed) == (K.REJECTED, (1, 1, 7), True)


def test_scripted_abort_reaches_the_scu() -> None:
    with start_peer(behaviours.acceptor_aborting_after_request(), LOOPBACK, 0, 10) as run:
        assoc = _scu().associate(LOOPBACK, run.port)
        outcome = run.outcome()
    assert assoc.is_aborted
    assert outcome.kind is K.CLOSED and outcome.completed


def test_an_acceptor_that_vanishes_leaves_the_scu_aborted() -> None:
    with start_peer(behaviours.acceptor_accepting_then_vanishing(), LOOPBACK, 0, 10) as run:
        assoc = _scu().associate(LOOPBACK, run.port)
        outcome = run.outcome()
    assert outcome.kind is K.ACCEPTED and outcome.completed
    # pynetdicom's association thread ends when it sees the connection gone.
    assoc.join(5)
    assert not assoc.is_alive()
    assert not assoc.is_established


def test_release_collision_with_pynetdicom() -> None:
    with start_peer(behaviours.acceptor_release_collision(), LOOPBACK, 0, 10) as run:
        assoc = _scu().associate(LOOPBACK, run.port)
        assert assoc.is_established
        assoc.release()
        outcome = run.outcome()
    print(outcome.describe())
    assert outcome.kind is K.RELEASED and outcome.completed
    assert assoc.is_released


def test_expect_close_is_a_step_of_its_own() -> None:
    step = ExpectClose(2.0, ignoring=(PDataTF,))
    assert step.as_expect().accepts_close and step.as_expect().ignoring == (PDataTF,)
    assert not step.as_expect().accepts(AReleaseRP())
    assert SendPDU(AReleaseRP()).pdu == AReleaseRP()
