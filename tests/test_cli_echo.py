"""``dicomactors echo`` against DCMTK's storescp, a pynetdicom SCP and peers that misbehave."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pynetdicom
import pytest

from dicomactors.cli.common import Exit
from harness import behaviours
from harness.peer import start_peer
from harness.systems import LOOPBACK, PeerUnavailable, dcmtk_storescp, free_port
from tests._cli import assert_fails_in_one_line, run_cli

VERIFICATION = "1.2.840.10008.1.1"


@pytest.fixture
def storescp_port() -> Iterator[int]:
    try:
        launcher = dcmtk_storescp(ae_title="STORESCP")
        with launcher as scp:
            yield scp.port
    except PeerUnavailable as error:
        pytest.skip(str(error))


@pytest.fixture
def strict_pynetdicom_port() -> Iterator[int]:
    """A pynetdicom SCP that knows one calling AE title (FRIEND) and checks its own (PYSCP)."""
    ae = pynetdicom.AE(ae_title="PYSCP")
    ae.add_supported_context(VERIFICATION)
    ae.require_called_aet = True
    ae.require_calling_aet = ["FRIEND"]
    server = ae.start_server((LOOPBACK, 0), block=False)
    assert server is not None
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def test_echo_against_dcmtk_storescp(storescp_port: int) -> None:
    result = run_cli("echo", LOOPBACK, str(storescp_port), "-aec", "STORESCP", "-r", "3", "-v")
    assert result.returncode == Exit.OK, result.stderr
    assert result.stdout.count("0x0000 Success") == 3
    assert "Success x3" in result.stdout


def test_aet_is_the_calling_title_and_aec_the_called_one(strict_pynetdicom_port: int) -> None:
    port = str(strict_pynetdicom_port)
    ok = run_cli("echo", LOOPBACK, port, "-aet", "FRIEND", "-aec", "PYSCP")
    assert ok.returncode == Exit.OK, ok.stderr
    stranger = run_cli("echo", LOOPBACK, port, "-aet", "STRANGER", "-aec", "PYSCP")
    assert_fails_in_one_line(stranger, Exit.REJECTED, "calling AE title not recognised")
    wrong_called = run_cli("echo", LOOPBACK, port, "-aet", "FRIEND", "-aec", "OTHER")
    assert_fails_in_one_line(wrong_called, Exit.REJECTED, "called AE title not recognised")


def test_peer_down() -> None:
    result = run_cli("echo", LOOPBACK, str(free_port()))
    assert_fails_in_one_line(result, Exit.UNREACHABLE, "cannot connect", "refused")


def test_rejected_by_dcmtk_storescp_refuse() -> None:
    try:
        launcher = dcmtk_storescp(extra_args=["--refuse"])
        with launcher as scp:
            result = run_cli("echo", LOOPBACK, str(scp.port))
    except PeerUnavailable as error:
        pytest.skip(str(error))
    assert_fails_in_one_line(result, Exit.REJECTED, "rejected the association")


def test_peer_that_closes_right_after_accepting() -> None:
    with start_peer(behaviours.acceptor_accepting_then_vanishing(), LOOPBACK, 0, 20) as run:
        result = run_cli("echo", LOOPBACK, str(run.port))
    assert_fails_in_one_line(result, Exit.ABORTED, "during C-ECHO")


def test_peer_that_aborts_the_request() -> None:
    with start_peer(behaviours.acceptor_aborting_after_request(), LOOPBACK, 0, 20) as run:
        result = run_cli("echo", LOOPBACK, str(run.port))
    assert_fails_in_one_line(result, Exit.ABORTED)


def test_peer_that_never_answers_times_out() -> None:
    with socket.create_server((LOOPBACK, 0)) as silent:
        result = run_cli("echo", LOOPBACK, str(silent.getsockname()[1]), "-ta", "1")
    assert_fails_in_one_line(result, Exit.TIMED_OUT, "did not answer", "1 s")


@pytest.mark.parametrize(
    "args", [["echo", LOOPBACK, "99999"], ["echo", LOOPBACK, "104", "-ta", "zero"], ["echo"]]
)
def test_bad_command_lines(args: list[str]) -> None:
    assert_fails_in_one_line(run_cli(*args), Exit.USAGE, "error")
