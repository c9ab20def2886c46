"""The DIMSE, service, TLS and acceptor-grid scenarios: their inputs are what they claim,
and a node made to misbehave is judged DEVIATES.

Misbehaving nodes are scripted acceptors (:mod:`harness.peer`) or a Python TLS server,
all on 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dicomactors.dimse.commands import CEchoRQ, CEchoRSP, decode_command, encode_command
from dicomactors.dimse.errors import DIMSEDecodeError
from dicomactors.fsm import Event, State
from dicomactors.pdu import (
    AAbort,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from harness import behaviours as b
from harness import conformance as c
from harness.conformance import Status, security, settle
from harness.conformance import acceptor_grid as grid
from harness.conformance import dimse_faults as faults
from harness.peer import start_peer
from harness.script import Abort, Close, Expect, Script, SendPDU, SendReply, Step, Wait
from harness.stategrid import NOT_DRIVABLE, Role
from harness.systems import LOOPBACK, SystemUnderTest

pytestmark = pytest.mark.timeout(60)


# -- the fault messages are what they claim -------------------------------------------------


def test_command_set_rebuilds_a_well_formed_command_exactly() -> None:
    encoded = encode_command(CEchoRQ(1, b.VERIFICATION))
    assert faults.command_set(faults.command_elements(encoded)) == encoded


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (faults.missing_command_field, "Command Field (0000,0100) is missing"),
        (faults.unknown_command, "unknown Command Field 0x0050"),
        (faults.missing_affected_sop_class, "lacks its mandatory AffectedSOPClassUID"),
        (faults.wrong_group_length, "Command Group Length says"),
    ],
    ids=["no-command-field", "unknown-command", "no-affected-sop-class", "group-length"],
)
def test_each_faulty_command_set_has_its_fault_and_no_other(
    build: Callable[[], bytes], reason: str
) -> None:
    with pytest.raises(DIMSEDecodeError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        decode_command(build())


def test_the_echo_announcing_a_data_set_is_an_echo_with_a_data_set() -> None:
    message = decode_command(faults.echo_announcing_data_set(4))
    assert message == CEchoRQ(4, b.VERIFICATION, has_dataset=True)


def test_the_wrong_group_length_is_ten_bytes_over() -> None:
    data = faults.wrong_group_length()
    claimed = int.from_bytes(data[8:12], "little")
    assert claimed == len(data) - 12 + 10


# -- misbehaving nodes ---------------------------------------------------------------------


def _response(rsp: CEchoRSP) -> PDataTF:
    return PDataTF((PresentationDataValue(1, True, True, encode_command(rsp)),))


@contextmanager
def _node(*after_accept: Step) -> Iterator[SystemUnderTest]:
    """A scripted acceptor: it accepts every context, then plays ``after_accept``."""
    steps = (Expect((AAssociateRQ,), 10), SendReply(b.accept_all), *after_accept)
    with start_peer(Script("acceptor", steps), LOOPBACK, 0, timeout=20) as run:
        yield SystemUnderTest("misbehaving", LOOPBACK, run.port, "ANY-SCP", frozenset({"echo"}))


def test_a_node_answering_an_unknown_command_with_success_deviates() -> None:
    with _node(Expect((PDataTF,), 10), SendPDU(_response(CEchoRSP(1, 0))), Close()) as sut:
        verdict = c.scenario_by_id("command-unknown").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen
    assert "carried out as if valid" in verdict.seen


def test_a_node_answering_an_unknown_command_with_success_then_aborting_deviates() -> None:
    """The A-ABORT after the success does not undo it: the fault was carried out."""
    steps = (Expect((PDataTF,), 10), SendPDU(_response(CEchoRSP(1, 0))), Abort())
    with _node(*steps) as sut:
        verdict = c.scenario_by_id("command-unknown").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen
    assert "carried out as if valid" in verdict.seen


def test_a_node_refusing_an_unknown_command_with_0x0211_passes() -> None:
    with _node(Expect((PDataTF,), 10), SendPDU(_response(CEchoRSP(1, 0x0211))), Close()) as sut:
        verdict = c.scenario_by_id("command-unknown").check(sut)
    assert verdict.status is Status.PASSED, verdict.seen


def test_a_node_that_answers_the_second_of_a_reused_message_id_with_an_abort_deviates() -> None:
    steps = (
        Expect((PDataTF,), 10),
        SendPDU(_response(CEchoRSP(7, 0))),
        Expect((PDataTF,), 10),
        SendPDU(AAbort()),
        Close(),
    )
    with _node(*steps) as sut:
        verdict = c.scenario_by_id("message-id-reused").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen


def test_an_abort_on_the_nodes_own_idle_timeout_is_no_answer() -> None:
    """Silence, then an A-ABORT well after ANSWER_WITHIN: the node timed out, it did not
    refuse the fault."""
    steps = (Expect((PDataTF,), 10), Wait(settle.ANSWER_WITHIN + 1), Abort())
    with _node(*steps) as sut:
        verdict = c.scenario_by_id("command-missing-command-field").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen
    assert "idle timeout" in verdict.seen


def test_a_node_answering_a_release_rp_in_sta6_with_data_deviates() -> None:
    steps = (Expect((AReleaseRP,), 10), SendPDU(_response(CEchoRSP(1, 0))), Close())
    with _node(*steps) as sut:
        verdict = c.scenario_by_id("grid-sta6-evt13").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen


def test_a_node_answering_a_pdu_in_sta13_deviates_from_aa6() -> None:
    steps = (
        Expect((AReleaseRQ,), 10),
        SendPDU(AReleaseRP()),
        Expect((PDataTF,), 10),
        SendPDU(AAbort()),
        Close(),
    )
    with _node(*steps) as sut:
        verdict = c.scenario_by_id("grid-sta13-evt10").check(sut)
    assert verdict.status is Status.DEVIATES, verdict.seen


@pytest.mark.parametrize("cell", ["grid-sta13-evt10", "grid-sta13-evt19"])
def test_a_node_that_closes_at_once_after_its_release_rp_leaves_sta13_unprobed(
    cell: str,
) -> None:
    """The event never reached the node in Sta13: no verdict on the cell either way."""
    with _node(Expect((AReleaseRQ,), 10), SendPDU(AReleaseRP()), Close()) as sut:
        verdict = c.scenario_by_id(cell).check(sut)
    assert verdict.status is Status.NOT_APPLICABLE, verdict.seen
    assert "before the event" in verdict.seen


def test_a_node_that_aborts_an_unexpected_release_rp_matches_aa8() -> None:
    with _node(Expect((AReleaseRP,), 10), SendPDU(AAbort(2, 2)), Close()) as sut:
        verdict = c.scenario_by_id("grid-sta6-evt13").check(sut)
    assert verdict.status is Status.PASSED, verdict.seen


# -- the acceptor grid -----------------------------------------------------------------------


def test_every_acceptor_cell_is_probed_once_or_not_drivable_with_a_reason() -> None:
    probed = [
        entry.cell
        for entry in c.SCENARIOS
        if entry.cell is not None and entry.role is Role.ACCEPTOR
    ]
    assert len(probed) == len(set(probed)) == len(grid.ACCEPTOR_DRIVABLE) == 30
    assert set(probed) == grid.ACCEPTOR_DRIVABLE
    unreachable = NOT_DRIVABLE[Role.ACCEPTOR]
    assert set(unreachable) | set(probed) == {(s, e) for s in State for e in Event}
    assert not set(unreachable) & set(probed)
    assert all(reason for reason in unreachable.values())


def test_the_reasons_name_the_state_or_the_event() -> None:
    unreachable = NOT_DRIVABLE[Role.ACCEPTOR]
    assert "Sta5" in unreachable[(State.STA5_AWAITING_AC_OR_RJ, Event.EVT3_A_ASSOCIATE_AC_RECEIVED)]
    local = unreachable[(State.STA6_ESTABLISHED, Event.EVT9_P_DATA_LOCAL)]
    assert "local primitive" in local
    sta8 = unreachable[(State.STA8_AWAITING_LOCAL_RELEASE_RESPONSE, Event.EVT10_P_DATA_RECEIVED)]
    assert "timing" in sta8


# -- TLS ---------------------------------------------------------------------------------------


@contextmanager
def _tls_server(context: ssl.SSLContext) -> Iterator[int]:
    """Accepts TLS connections and completes handshakes until closed; yields its port."""
    listener = socket.create_server((LOOPBACK, 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(sock, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _tls_sut(port: int) -> SystemUnderTest:
    return SystemUnderTest("tls", LOOPBACK, port, "ANY-SCP", frozenset({security.tls_port(port)}))


def test_a_tls_port_that_never_answers_the_client_hello_gives_no_verdict() -> None:
    """Silence is no refusal: under load a server that would agree may be slow."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        verdict = c.scenario_by_id("tls-1.0-refused").check(_tls_sut(listener.getsockname()[1]))
    assert verdict.status is Status.NOT_RUN, verdict.seen
    assert "no answer" in verdict.seen


def test_a_tls_server_that_takes_tls_1_0_deviates(tmp_path: Path) -> None:
    context = security.server_context(tmp_path)
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    with _tls_server(context) as port:
        verdict = c.scenario_by_id("tls-1.0-refused").check(_tls_sut(port))
    if verdict.status is Status.NOT_RUN:
        pytest.skip(f"this machine's OpenSSL cannot make the check: {verdict.seen}")
    assert verdict.status is Status.DEVIATES, verdict.seen
    assert "TLSv1" in verdict.seen


def test_a_bcp195_tls_server_refuses_tls_1_1_and_takes_1_2(tmp_path: Path) -> None:
    with _tls_server(security.server_context(tmp_path)) as port:
        old = c.scenario_by_id("tls-1.1-refused").check(_tls_sut(port))
        new = c.scenario_by_id("tls-1.2-accepted").check(_tls_sut(port))
    assert old.status is Status.PASSED, old.seen
    assert new.status is Status.PASSED, new.seen


def test_a_port_that_answers_dicom_in_the_clear_deviates() -> None:
    steps = (Expect((AReleaseRQ,), 10), SendPDU(AReleaseRP()), Close())
    with _node(*steps) as sut:
        plain = _tls_sut(sut.port)
        verdict = c.scenario_by_id("tls-port-plain-dicom").check(plain)
    assert verdict.status is Status.DEVIATES, verdict.seen
    assert "answered in the clear" in verdict.seen
