"""``python -m dicomactors.apps.qrscp`` as a process: it listens, stores, answers, stops."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from harness import systems
from tests.test_qr_support import corpus, query, scu_ae, store_all

pytestmark = pytest.mark.timeout(60)


def test_the_command_line_app_stores_and_finds(tmp_path: Path) -> None:
    argv = [
        sys.executable, "-m", "dicomactors.apps.qrscp", "--port", "0", "--aet", "CLIQR",
        "--storage", str(tmp_path / "store"), "--move-destination", "ELSEWHERE=127.0.0.1:104",
    ]  # fmt: skip
    with systems.run_process(
        argv, log_path=tmp_path / "qrscp.log", ready_line=r"^READY (\d+)"
    ) as running:
        assert running.ready_match is not None
        port = int(running.ready_match.group(1))
        data = corpus()
        store_all(port, data, ae_title="CLIQR")
        assoc = scu_ae().associate("127.0.0.1", port, ae_title="CLIQR")
        assert assoc.is_established
        try:
            found = list(assoc.send_c_find(query("PATIENT", PatientID=""), "P"))
        finally:
            assoc.release()
    assert running.process.returncode == 0
    assert {str(i.PatientID) for _, i in found[:-1] if i is not None} == {"PID001", "PID002"}
    stored = sorted(p.name for p in (tmp_path / "store").rglob("*.dcm"))
    assert stored == sorted(f"{ds.SOPInstanceUID}.dcm" for ds in data)
    assert not list((tmp_path / "store").rglob("*.part"))
    assert re.fullmatch(r"[0-9.]+\.dcm", stored[0])
