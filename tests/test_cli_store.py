"""``dicomactors store`` against DCMTK's storescp and pynetdicom SCPs: recursive sends, the
progress bar on a terminal, the summary and ``--json``, and every failure in one line."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynetdicom
import pytest
from pydicom import dcmread
from pydicom.uid import CTImageStorage

from dicomactors.cli.common import Exit
from harness.systems import LOOPBACK, PeerUnavailable, dcmtk_storescp, free_port
from tests._cli import assert_fails_in_one_line, run_cli, write_ct_files


@pytest.fixture
def storescp(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    out = tmp_path / "received"
    out.mkdir()
    try:
        launcher = dcmtk_storescp(ae_title="STORESCP", output_dir=out)
        with launcher as scp:
            yield scp.port, out
    except PeerUnavailable as error:
        pytest.skip(str(error))


def pynetdicom_scp(answer: Any) -> Any:
    """An in-process pynetdicom CT storage SCP whose C-STORE handler is ``answer(event)``."""
    ae = pynetdicom.AE(ae_title="PYSCP")
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(pynetdicom.evt.EVT_C_STORE, answer)]
    )
    assert server is not None
    return server


def test_recursive_send_of_50_files_to_dcmtk_storescp(
    tmp_path: Path, storescp: tuple[int, Path]
) -> None:
    port, received = storescp
    sent = write_ct_files(tmp_path / "scans", 50, nested=True)
    result = run_cli(
        "store", LOOPBACK, str(port), "-aec", "STORESCP", "+r", str(tmp_path / "scans")
    )
    assert result.returncode == Exit.OK, result.stderr
    assert "sent 50 of 50 files" in result.stdout
    assert "failed 0" in result.stdout
    assert "files/s" in result.stdout
    assert result.stderr == ""  # not a terminal: no progress bar
    assert {dcmread(p).SOPInstanceUID for p in received.iterdir()} == {
        dcmread(p).SOPInstanceUID for p in sent
    }


def test_progress_bar_on_a_terminal(tmp_path: Path, storescp: tuple[int, Path]) -> None:
    port, _ = storescp
    write_ct_files(tmp_path / "scans", 50, nested=True)
    controller, terminal = pty.openpty()
    # A new pty reports no size: the bar must show all the same.
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "dicomactors.cli", "store", LOOPBACK, str(port),
             "+r", str(tmp_path / "scans")],
            stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end closed: the process has ended
                break
            if not chunk:
                break
            shown += chunk
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == Exit.OK
    assert b"50/50" in shown, shown
    assert "sent 50 of 50 files" in stdout


def test_glob_and_json_against_pynetdicom(tmp_path: Path) -> None:
    write_ct_files(tmp_path / "scans", 6, nested=True)
    got: list[str] = []

    def keep(event: Any) -> int:
        got.append(str(event.dataset.SOPInstanceUID))
        return 0x0000

    server = pynetdicom_scp(keep)
    try:
        port = str(server.server_address[1])
        pattern = str(tmp_path / "scans" / "**" / "*.dcm")
        result = run_cli("store", LOOPBACK, port, "+r", pattern, "--json")
    finally:
        server.shutdown()
    assert result.returncode == Exit.OK, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["sent"], summary["failed"]) == (6, 6, 0)
    assert len(got) == 6


def test_statuses_other_than_success_are_counted(tmp_path: Path) -> None:
    write_ct_files(tmp_path / "scans", 6)
    answers = iter([0x0000, 0xB000, 0xA700, 0x0000, 0xB000, 0xA700])
    server = pynetdicom_scp(lambda event: next(answers))
    try:
        port = str(server.server_address[1])
        result = run_cli("store", LOOPBACK, port, "+r", str(tmp_path / "scans"), "--json")
    finally:
        server.shutdown()
    assert result.returncode == Exit.FAILED, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == 4 and summary["failed"] == 2
    assert summary["statuses"] == {"0xA700": 2, "0xB000": 2}
    assert all("0xA700" in failure["reason"] for failure in summary["failures"])


def test_peer_aborting_midway_ends_in_one_line_with_a_summary(tmp_path: Path) -> None:
    write_ct_files(tmp_path / "scans", 10)
    seen: list[int] = []

    def abort_third(event: Any) -> int:
        seen.append(1)
        if len(seen) == 3:
            event.assoc.abort()
        return 0x0000

    server = pynetdicom_scp(abort_third)
    try:
        port = str(server.server_address[1])
        result = run_cli("store", LOOPBACK, port, "+r", str(tmp_path / "scans"))
    finally:
        server.shutdown()
    assert_fails_in_one_line(result, Exit.ABORTED, "C-STORE")
    assert "sent 2 of 10 files" in result.stdout
    assert "not sent 8" in result.stdout


def test_bad_files(tmp_path: Path, storescp: tuple[int, Path]) -> None:
    port, _ = storescp
    write_ct_files(tmp_path / "scans", 3)
    (tmp_path / "scans" / "notes.txt").write_text("not DICOM")
    some_bad = run_cli("store", LOOPBACK, str(port), "+r", str(tmp_path / "scans"))
    assert some_bad.returncode == Exit.FAILED
    assert "sent 3 of 4 files" in some_bad.stdout
    assert "notes.txt: not a DICOM file" in some_bad.stdout
    all_bad = run_cli("store", LOOPBACK, str(port), str(tmp_path / "scans" / "notes.txt"))
    assert_fails_in_one_line(all_bad, Exit.INPUT, "not a DICOM file")
    missing = run_cli("store", LOOPBACK, str(port), str(tmp_path / "nothing.dcm"))
    assert_fails_in_one_line(missing, Exit.INPUT, "no such file")
    folder = run_cli("store", LOOPBACK, str(port), str(tmp_path / "scans"))
    assert_fails_in_one_line(folder, Exit.INPUT, "+r")
    no_match = run_cli("store", LOOPBACK, str(port), str(tmp_path / "*.nothing"))
    assert_fails_in_one_line(no_match, Exit.INPUT, "no file matches")


def test_peer_down(tmp_path: Path) -> None:
    write_ct_files(tmp_path, 1)
    result = run_cli("store", LOOPBACK, str(free_port()), "+r", str(tmp_path))
    assert_fails_in_one_line(result, Exit.UNREACHABLE, "cannot connect")
