"""Local peer processes: start one, copy its output to a log, wait until it is ready,
stop it (and its process group) afterwards."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from harness.systems.base import START_TIMEOUT, STOP_TIMEOUT, PeerStartError, wait_until_listening


class _LogWatcher:
    """Copies a process's output to its log file and spots the line that says it is ready."""

    def __init__(self, stream: IO[str], log_path: Path, ready: re.Pattern[str] | None) -> None:
        self._stream = stream
        self._log_path = log_path
        self._ready = ready
        self.match: re.Match[str] | None = None
        self.lines: list[str] = []
        self.decided = threading.Event()  # ready line seen, or end of output
        self._thread = threading.Thread(target=self._run, name=f"log:{log_path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self._log_path.open("a") as log:
            for line in self._stream:
                log.write(line)
                log.flush()
                self.lines.append(line)
                if self.match is None and self._ready is not None:
                    self.match = self._ready.search(line)
                    if self.match is not None:
                        self.decided.set()
        self.decided.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def tail(self, count: int = 20) -> str:
        return "".join(self.lines[-count:])


@dataclass
class RunningProcess:
    """A started peer process; `ready_match` is the match of its ready line, if it has one."""

    process: subprocess.Popen[str]
    log_path: Path
    watcher: _LogWatcher

    @property
    def ready_match(self) -> re.Match[str] | None:
        return self.watcher.match

    def exited_within(self, seconds: float) -> bool:
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True


def stop_process(
    process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT, *, group: bool = False
) -> None:
    """Terminate, wait, and kill if it does not end in time; with ``group``, the signals go
    to the process group it leads (it was started in a session of its own), children too."""

    def send(signum: signal.Signals) -> None:
        try:
            if group:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        except ProcessLookupError:
            pass

    if process.poll() is not None and not group:
        return
    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=timeout)


@contextmanager
def run_process(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ready_line: str | None = None,
    ready_port: int | None = None,
    timeout: float = START_TIMEOUT,
    process_group: bool = False,
) -> Iterator[RunningProcess]:
    """Start a process, wait until its ``ready_line`` (a regex) is logged or ``ready_port``
    listens, yield it, and stop it on exit. With ``process_group`` it leads a new session
    and stopping it stops its children (a forking server's)."""
    full_env = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        env=full_env,
        cwd=cwd,
        start_new_session=process_group,
    )
    assert process.stdout is not None
    pattern = re.compile(ready_line) if ready_line is not None else None
    watcher = _LogWatcher(process.stdout, log_path, pattern)
    running = RunningProcess(process, log_path, watcher)
    try:
        if pattern is not None:
            watcher.decided.wait(timeout)
            if watcher.match is None:
                stop_process(process, group=process_group)
                watcher.join(STOP_TIMEOUT)
                why = "exited" if process.poll() is not None else f"timed out after {timeout} s"
                raise PeerStartError(
                    f"{argv[0]} {why} before logging {ready_line!r}; its log:\n{watcher.tail()}"
                )
        if ready_port is not None:
            try:
                wait_until_listening(ready_port, timeout=timeout, exited=running.exited_within)
            except PeerStartError as error:
                stop_process(process, group=process_group)
                watcher.join(STOP_TIMEOUT)
                raise PeerStartError(f"{argv[0]}: {error}; its log:\n{watcher.tail()}") from None
        yield running
    finally:
        stop_process(process, group=process_group)
        watcher.join(STOP_TIMEOUT)


@contextmanager
def work_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory for one peer, removed when it stops."""
    with tempfile.TemporaryDirectory(
        prefix=f"dicomactors-{prefix}-", ignore_cleanup_errors=True
    ) as directory:
        yield Path(directory)
