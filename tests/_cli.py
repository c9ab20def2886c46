"""Running the ``dicomactors`` tools as a user would: a subprocess, its output and status."""

from __future__ import annotations

import subprocess
import sys

from dicomactors.cli.common import Exit

CLI_TIMEOUT = 90.0


def run_cli(*args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``python -m dicomactors.cli ARGS``, from this interpreter (the venv's, under test.sh)."""
    return subprocess.run(
        [sys.executable, "-m", "dicomactors.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def assert_fails_in_one_line(
    result: subprocess.CompletedProcess[str], code: Exit, *words: str
) -> str:
    """The tool ended with ``code`` and one line on stderr (no traceback) naming ``words``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]
