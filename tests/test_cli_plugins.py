"""The ``dicomactors`` command finds its sub-commands through an entry-point group."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_command_declared_twice_is_added_once(tmp_path: Path) -> None:
    """An editable install beside a built distribution declares ``validate`` twice;
    argparse would refuse the second (conflicting subparser)."""
    info = tmp_path / "dicomactors_twice-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dicomactors-twice\nVersion: 0\n")
    (info / "entry_points.txt").write_text(
        "[dicomactors.commands]\nvalidate = harness.cli:register\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    done = subprocess.run(
        [sys.executable, "-m", "dicomactors.cli", "validate", "--help"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "usage: dicomactors validate" in done.stdout
