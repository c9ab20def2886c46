"""The harness as acceptor: its script engine, each requestor system's trigger, the grid's
cells and the ``validate --role scu`` command, against real SCUs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from dicomactors.dimse.commands import CEchoRQ, CStoreRQ, encode_command
from dicomactors.fsm import STANDARD_TABLE, Event, State
from dicomactors.pdu.pdus import (
    AAbort,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from harness.conformance import SCENARIOS
from harness.conformance.requestor_grid import NOT_DRIVABLE_REQUESTOR
from harness.outcome import OutcomeKind
from harness.peer import message_is_whole
from harness.requestor.acceptor import (
    Ending,
    accept,
    acceptor_script,
    play_acceptor,
    request_of,
    respond,
)
from harness.requestor.launch import REQUESTOR_LAUNCHERS
from harness.requestor.systems import Request, RequestorSystem, trigger_command
from harness.requestor.validate import parse_listen
from harness.script import Expect, ExpectClose, ExpectMessage, SendPDU
from harness.stategrid import NOT_DRIVABLE, Role
from harness.systems import PeerStartError, PeerUnavailable, docker_available, free_port

VERIFICATION = "1.2.840.10008.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _pdv(data: bytes, command: bool, last: bool) -> PresentationDataValue:
    return PresentationDataValue(1, command, last, data)


# -- pure parts -------------------------------------------------------------------------------


def test_a_message_is_whole_when_its_command_and_announced_data_set_have_come() -> None:
    echo = encode_command(CEchoRQ(1, VERIFICATION))
    store = encode_command(CStoreRQ(1, SECONDARY_CAPTURE, "1.2.3"))
    assert message_is_whole([_pdv(echo, True, True)])
    assert not message_is_whole([_pdv(echo[:10], True, False)])
    assert message_is_whole([_pdv(echo[:10], True, False), _pdv(echo[10:], True, True)])
    assert not message_is_whole([_pdv(store, True, True)])
    assert not message_is_whole([_pdv(store, True, True), _pdv(b"ab", False, False)])
    assert message_is_whole([_pdv(store, True, True), _pdv(b"ab", False, True)])
    # A command that does not decode awaits nothing more: the reply builder decides.
    assert message_is_whole([_pdv(b"\x00" * 12, True, True)])


def test_respond_answers_the_request_it_was_given() -> None:
    request = PDataTF((_pdv(encode_command(CEchoRQ(7, VERIFICATION)), True, True),))
    reply = respond(0x0122, message_id=lambda m: m + 1, context_id=lambda c: 3).build(request)
    assert isinstance(reply, PDataTF)
    found = request_of(reply)
    assert found is not None
    response, context = found
    assert context == 3
    assert (response.message_id_being_responded_to, response.status) == (8, 0x0122)  # type: ignore[union-attr]


def test_trigger_commands_and_listen_addresses() -> None:
    argv = trigger_command("tool -aec {aet} {host} {port} --do {action}")
    request = Request("echo", "127.0.0.1", 104, "HARNESS")
    assert argv(request) == ["tool", "-aec", "HARNESS", "127.0.0.1", "104", "--do", "echo"]
    assert parse_listen("11112") == ("127.0.0.1", 11112)
    assert parse_listen("::1:11112") == ("::1", 11112)
    with pytest.raises(Exception, match="HOST"):
        parse_listen("nowhere")


def test_the_requestor_grid_probes_45_cells_and_gives_a_reason_for_every_other() -> None:
    probed = {s.cell for s in SCENARIOS if s.role is Role.REQUESTOR and s.cell is not None}
    assert len(probed) == 45
    assert all(cell in STANDARD_TABLE for cell in probed)
    every = {(state, event) for state in State for event in Event}
    assert set(NOT_DRIVABLE_REQUESTOR) == every - probed
    assert NOT_DRIVABLE[Role.REQUESTOR] == NOT_DRIVABLE_REQUESTOR
    assert all(reason for reason in NOT_DRIVABLE_REQUESTOR.values())


def test_requestor_scenarios_cite_clauses_and_stay_out_of_the_acceptor_role() -> None:
    ours = [s for s in SCENARIOS if s.group.startswith("requestor-")]
    assert len(ours) >= 90
    assert all(s.role is Role.REQUESTOR and s.clause.startswith("PS3.") for s in ours)


# -- the engine and each system's trigger, against real SCUs ------------------------------------


def _well_behaved() -> object:
    return acceptor_script(
        "well-behaved",
        (
            Expect((AAssociateRQ,), 10),
            accept(),
            ExpectMessage(10),
            respond(0),
            Expect((AReleaseRQ,), 10),
            SendPDU(AReleaseRP()),
            ExpectClose(10),
        ),
    )


@pytest.fixture(scope="module", params=sorted(REQUESTOR_LAUNCHERS))
def system(request: pytest.FixtureRequest) -> Iterator[RequestorSystem]:
    name: str = request.param
    if name.endswith("-container"):
        ok, why = docker_available()
        if not ok:
            pytest.skip(why)
    try:
        with REQUESTOR_LAUNCHERS[name]() as started:
            yield started
    except (PeerUnavailable, PeerStartError) as error:
        pytest.skip(f"{name}: {error}")


@pytest.mark.parametrize("action", ["echo", "store", "find", "get", "move"])
def test_each_system_connects_runs_the_operation_and_releases(
    system: RequestorSystem, action: str
) -> None:
    if action not in system.supports:
        pytest.skip(f"{system.name} runs no {action} here")
    if system.name.endswith("container") and action != "echo":
        pytest.skip("one operation per container is enough to show its trigger")
    ex = play_acceptor(_well_behaved(), system, action)  # type: ignore[arg-type]
    assert ex.outcome.completed, ex.describe()
    assert ex.ending is Ending.RELEASE
    assert ex.result.ended and ex.result.exit_status == 0, ex.describe()
    request = next(pdu for pdu in ex.received if isinstance(pdu, AAssociateRQ))
    assert request.called_ae_title == system.acceptor_ae_title


def test_the_engine_records_an_abort_and_the_end_of_the_systems_run() -> None:
    with REQUESTOR_LAUNCHERS["dicomactors-scu"]() as system:
        script = acceptor_script(
            "abort-in-sta5", (Expect((AAssociateRQ,), 10), SendPDU(AAbort(0, 0)), ExpectClose(10))
        )
        ex = play_acceptor(script, system)
    assert ex.outcome.completed, ex.describe()
    assert ex.ending is Ending.CLOSE
    assert ex.outcome.kind is OutcomeKind.CLOSED
    assert ex.result.exit_status == 2  # no association: scu.py's exit status


def test_validate_role_scu_runs_the_requestor_scenarios_with_a_trigger(tmp_path: object) -> None:
    from harness.systems import find_dcmtk_tool

    try:
        echoscu = find_dcmtk_tool("echoscu")
    except PeerUnavailable as error:
        pytest.skip(str(error))
    command = [
        sys.executable, "-m", "dicomactors.cli", "validate", "--role", "scu",
        "--listen", str(free_port()), "--aet", "MYSCP", "--capability", "echo",
        "--scenario", "requestor-rejected-1-1-1", "--scenario", "requestor-abort-sta5",
        "--trigger", f"{echoscu} -ta 3 -aec {{aet}} {{host}} {{port}}",
        "--report-dir", str(tmp_path), "--strict",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passed          requestor-rejected-1-1-1" in run.stdout
    assert "passed          requestor-abort-sta5" in run.stdout


def test_validate_role_scu_waits_for_a_system_that_connects_by_itself(tmp_path: object) -> None:
    from harness.systems import find_dcmtk_tool

    try:
        echoscu = find_dcmtk_tool("echoscu")
    except PeerUnavailable as error:
        pytest.skip(str(error))
    port = free_port()
    command = [
        sys.executable, "-u", "-m", "dicomactors.cli", "validate", "--role", "scu",
        "--listen", f"127.0.0.1:{port}", "--aet", "MYSCP", "--capability", "echo",
        "--scenario", "requestor-rejected-2-3-2", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as validate:
        assert validate.stdout is not None
        line = validate.stdout.readline()
        assert line.startswith(f"waiting for the system to connect to 127.0.0.1:{port} as MYSCP")
        scu = subprocess.run(
            [echoscu, "-ta", "3", "-aec", "MYSCP", "127.0.0.1", str(port)],
            capture_output=True,
            timeout=60,
        )
        rest = validate.stdout.read()
        assert validate.wait(60) == 0
    assert scu.returncode != 0  # rejected
    assert "passed          requestor-rejected-2-3-2" in rest


def test_a_system_that_never_connects_is_no_finding_and_costs_no_run_timeout() -> None:
    from harness.requestor.systems import CommandRequestor

    system = RequestorSystem(
        "gone",
        "127.0.0.1",
        0,
        "GONE",
        frozenset({"echo"}),
        requestor=CommandRequestor(lambda request: [sys.executable, "-c", "pass"]),
    )
    started = time.monotonic()
    with pytest.raises(ConnectionError, match="never requested an association"):
        play_acceptor(_well_behaved(), system)  # type: ignore[arg-type]
    assert time.monotonic() - started < 30
    rejection = next(s for s in SCENARIOS if s.id == "requestor-rejected-1-1-1")
    verdict = rejection.check(system)
    # A check that could not be made is "not run": never a finding, never a suite defect.
    assert verdict.status.value == "not run", verdict
