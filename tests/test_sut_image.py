"""``pytest scenarios/ --sut-image IMAGE``: a user's own container image as the system under
test (here DCMTK's storescp in the dcmtk image, told its port by ``--sut-command``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.systems import DCMTK_IMAGE, image_available

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(600)
def test_a_user_image_runs_as_the_system_under_test(tmp_path: Path) -> None:
    ok, why = image_available(DCMTK_IMAGE)
    if not ok:
        pytest.skip(why)
    argv = [
        sys.executable, "-m", "pytest", "scenarios/test_association.py", "-q",
        "-p", "no:randomly", "-p", "no:cacheprovider",
        "--sut-image", DCMTK_IMAGE, "--sut-aet", "STORESCP",
        "--sut-command", "storescp -v --ignore -aet {aet} {port}",
        "--sut-capability", "echo", "--sut-capability", "store",
        "--report-dir", str(tmp_path), "-k", "association-accepted or called-aet-wrong",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((tmp_path / "conformance.json").read_text())
    verdicts = {(r["system"], r["scenario"]): r["status"] for r in report["results"]}
    system = f"image:{DCMTK_IMAGE}"
    assert verdicts[(system, "association-accepted")] == "passed"
    assert verdicts[(system, "called-aet-wrong")] == "not applicable"
    assert (tmp_path / "conformance.junit.xml").is_file()
