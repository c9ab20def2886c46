"""``dicomactors echo`` against DCMTK's storescp, a pynetdicom SCP and peers that misbehave."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pynetdicom
import pytest

from dicomactors.cli import main
from dicomactors.cli.common import Exit
from dicomactors.pdu import AAbort, AAssociateRQ, PDataTF
from harness import behaviours
from harness.peer import start_peer
from harness.script import Expect, Script, SendReply
from harness.systems import LOOPBACK, PeerUnavailable, dcmtk_storescp, free_port
from tests._cli import assert_fails_in_one_line, run_cli
from tests._peers import make_tls_files

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


def test_peer_that_never_answers_the_echo_times_out() -> None:
    silent = Script(
        "acceptor",
        (
            Expect((AAssociateRQ,), 10),
            SendReply(behaviours.accept_all, "A-ASSOCIATE-AC"),
            Expect((PDataTF,), 10),
            Expect((AAbort,), 10, or_close=True),
        ),
        name="accepts, never answers the C-ECHO",
    )
    with start_peer(silent, LOOPBACK, 0, 20) as run:
        result = run_cli("echo", LOOPBACK, str(run.port), "-td", "1")
    assert_fails_in_one_line(result, Exit.TIMED_OUT, "no answer to C-ECHO in 1 s")


@pytest.mark.parametrize(
    "args", [["echo", LOOPBACK, "99999"], ["echo", LOOPBACK, "104", "-ta", "zero"], ["echo"]]
)
def test_bad_command_lines(args: list[str]) -> None:
    assert_fails_in_one_line(run_cli(*args), Exit.USAGE, "error")


def test_echo_over_tls_with_dcmtk_storescp(tmp_path: Path) -> None:
    """+tls KEY CERT, +cf CA and -ic, as DCMTK spells them; a certificate we do not trust
    fails in one line."""
    (tmp_path / "ours").mkdir()
    (tmp_path / "stranger").mkdir()
    tls = make_tls_files(tmp_path / "ours")
    stranger = make_tls_files(tmp_path / "stranger")
    server = ["+tls", str(tls.server_key), str(tls.server_leaf), "+cf", str(tls.ca_crt), "+px"]
    client = ["+tls", str(tls.client_key), str(tls.client_leaf)]
    try:
        launcher = dcmtk_storescp(extra_args=server)
        with launcher as scp:
            port = str(scp.port)
            ok = run_cli("echo", LOOPBACK, port, *client, "+cf", str(tls.ca_crt))
            untrusted = run_cli("echo", LOOPBACK, port, *client, "+cf", str(stranger.ca_crt))
            unverified = run_cli("echo", LOOPBACK, port, *client)
            ignoring = run_cli("echo", LOOPBACK, port, *client, "-ic")
    except PeerUnavailable as error:
        pytest.skip(str(error))
    assert ok.returncode == Exit.OK, ok.stderr
    assert "Success" in ok.stdout
    assert_fails_in_one_line(untrusted, Exit.UNREACHABLE, "CERTIFICATE_VERIFY_FAILED")
    # Without +cf the system's trusted certificates decide; -ic skips the check, as in DCMTK.
    assert_fails_in_one_line(unverified, Exit.UNREACHABLE, "CERTIFICATE_VERIFY_FAILED")
    assert ignoring.returncode == Exit.OK, ignoring.stderr


def test_tls_files_that_cannot_be_read(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    result = run_cli("echo", LOOPBACK, "104", "+tls", missing, missing)
    assert_fails_in_one_line(result, Exit.INPUT, "cannot load the TLS files")


def test_usage_errors_of_validate_keep_its_own_exit_status() -> None:
    """validate comes from the harness's entry point: its usage errors stay argparse's (2)."""
    result = run_cli("validate", LOOPBACK, "104", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert_fails_in_one_line(run_cli("echo", LOOPBACK, "104", "--no-such"), Exit.USAGE)


def test_a_tool_run_in_process_leaves_the_loggers_as_they_were(
    strict_pynetdicom_port: int, tmp_path: Path
) -> None:
    logger, pdus = logging.getLogger("dicomactors"), logging.getLogger("dicomactors.pdus")
    before = (list(logger.handlers), logger.level, logger.propagate, list(pdus.handlers))
    port = str(strict_pynetdicom_port)
    args = ["echo", LOOPBACK, port, "-aet", "FRIEND", "-aec", "PYSCP", "-d"]
    assert main([*args, "--log-pdus", str(tmp_path)]) == Exit.OK
    assert (list(logger.handlers), logger.level, logger.propagate, list(pdus.handlers)) == before
    assert len(list(tmp_path.glob("*.pdus"))) == 2
