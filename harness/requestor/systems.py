"""Systems under test as requestors: how to make each one connect to the harness.

A :class:`RequestorSystem` is a :class:`~harness.systems.SystemUnderTest` (name, its own
AE title, what it supports) with a :class:`Requestor`: given a :class:`Request` (an
operation, and the host, port and AE title of the acceptor the harness plays) it makes
the system connect and run that operation, as a :class:`RequestorJob` whose
:meth:`~RequestorJob.finish` gives the :class:`RequestorResult` (exit status, output).

- :class:`CommandRequestor`: a program per request (DCMTK's ``echoscu``, ``storescu``,
  ``findscu``, ``getscu``, ``movescu``; harness/peers/scu.py over pynetdicom or
  dicomactors; a user's ``--trigger`` command), locally or in a container;
- :class:`OrthancRequestor`: Orthanc's REST API, which makes Orthanc an SCU;
- :class:`WaitingRequestor`: nothing to start: the system connects by itself.

The launchers (context managers yielding a system) are in :mod:`harness.requestor.launch`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from pydicom.dataset import Dataset

from dicomactors.ae import AE
from harness.systems import SystemUnderTest, find_dcmtk_tool, stop_process

GIVES_UP = "gives-up"
"""Capability ``gives-up=SECONDS``: the system's own ACSE and DIMSE timeout, after which it
gives up waiting for an answer (PS3.8 leaves it local: the system declares it)."""

SCU_SCRIPT = Path(__file__).resolve().parent.parent / "peers" / "scu.py"
ACTIONS = ("echo", "store", "find", "get", "move")


@dataclass(frozen=True)
class Request:
    """Connect to ``host``:``port``, calling ``called_ae_title``, and run ``action``."""

    action: str
    host: str
    port: int
    called_ae_title: str


@dataclass(frozen=True)
class RequestorResult:
    """What the system's own run gave: its exit status (None if it had to be stopped, or
    has none), its output, how long it ran."""

    exit_status: int | None
    output: str
    elapsed: float
    ended: bool = True

    def describe(self) -> str:
        how = (
            f"exit status {self.exit_status}"
            if self.ended
            else f"still running after {self.elapsed:.1f} s: stopped"
        )
        tail = self.output.strip().splitlines()[-6:]
        return how + ("".join(f"\n    | {line}" for line in tail) if tail else "")


class RequestorJob(Protocol):
    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the run to end; whether it has."""
        ...

    def finish(self, wait: float) -> RequestorResult:
        """Wait up to ``wait`` seconds for the run to end by itself, then stop it."""
        ...


class Requestor(Protocol):
    def start(self, request: Request) -> RequestorJob: ...


@dataclass(frozen=True)
class RequestorSystem(SystemUnderTest):
    """A system under test in the requestor role; ``host``/``port`` are where it runs, if
    anywhere (0: it listens nowhere the scenarios need)."""

    requestor: Requestor = field(kw_only=True)
    listen_host: str = field(default="127.0.0.1", kw_only=True)
    listen_port: int = field(default=0, kw_only=True)
    """Where the harness listens for it (0: a port the OS picks, told in each request)."""
    acceptor_ae_title: str = field(default="HARNESS-SCP", kw_only=True)
    """The AE title it is asked to call."""


def gives_up(seconds: float) -> str:
    return f"{GIVES_UP}={seconds:g}"


# -- a program per request -------------------------------------------------------------------


class ProcessJob:
    """A program run for one request; its output goes to a temporary file (no pipe to fill)."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self._output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish)
        self._cleanup = cleanup
        self._started = time.monotonic()
        self._process = subprocess.Popen(
            list(argv),
            stdout=self._output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )

    def wait(self, timeout: float) -> bool:
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def finish(self, wait: float) -> RequestorResult:
        ended = True
        try:
            self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            ended = False
            stop_process(self._process)
        if self._cleanup is not None:
            self._cleanup()
        elapsed = time.monotonic() - self._started
        self._output.seek(0)
        output = self._output.read().decode("utf-8", "replace")
        self._output.close()
        return RequestorResult(self._process.returncode if ended else None, output, elapsed, ended)


@dataclass(frozen=True)
class CommandRequestor:
    """Runs ``argv(request)`` for each request (with ``env`` added to the environment);
    ``cleanup(request)``, if given, runs once the program has ended or been stopped."""

    argv: Callable[[Request], Sequence[str]]
    env: Mapping[str, str] = field(default_factory=dict)
    cleanup: Callable[[Request], None] | None = None

    def start(self, request: Request) -> RequestorJob:
        cleanup = None if self.cleanup is None else (lambda: self.cleanup(request))  # type: ignore[misc]
        return ProcessJob(self.argv(request), self.env, cleanup)


def trigger_command(template: str) -> Callable[[Request], list[str]]:
    """A ``--trigger`` command line: ``{host}``, ``{port}``, ``{aet}`` and ``{action}`` in it
    are replaced by the request's."""

    def argv(request: Request) -> list[str]:
        return shlex.split(
            template.format(
                host=request.host,
                port=request.port,
                aet=request.called_ae_title,
                action=request.action,
            )
        )

    return argv


# -- DCMTK's SCU programs ----------------------------------------------------------------------

DCMTK_SCU_AE = "DCMTKSCU"
_STUDY = "1.2.826.0.1.3680043.9.7433.3.1"
_QUERY_KEYS = ("-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={_STUDY}")


def dcmtk_arguments(request: Request, timeout: float, file: Path | None, out: Path) -> list[str]:
    """The program name and arguments of the DCMTK tool for ``request`` (no path)."""
    common = [
        "-aet", DCMTK_SCU_AE, "-aec", request.called_ae_title,
        "-to", f"{timeout:g}", "-ta", f"{timeout:g}", "-td", f"{timeout:g}",
    ]  # fmt: skip
    where = [request.host, str(request.port)]
    match request.action:
        case "echo":
            return ["echoscu", *common, *where]
        case "store":
            assert file is not None
            return ["storescu", *common, *where, str(file)]
        case "find":
            return ["findscu", "-S", *common, *_QUERY_KEYS, *where]
        case "get":
            return ["getscu", "-S", *common, "-od", str(out), *_QUERY_KEYS, *where]
        case "move":
            return ["movescu", "-S", *common, "-aem", DCMTK_SCU_AE, *_QUERY_KEYS, *where]
    raise ValueError(f"unknown action {request.action!r}")


def dcmtk_local_argv(timeout: float, file: Path, out: Path) -> Callable[[Request], list[str]]:
    def argv(request: Request) -> list[str]:
        name, *rest = dcmtk_arguments(request, timeout, file, out)
        return [find_dcmtk_tool(name), *rest]

    return argv


def scu_script_arguments(
    library: str, request: Request, timeout: float, ae_title: str
) -> list[str]:
    return [
        "--library", library, request.action, request.host, str(request.port),
        "--called", request.called_ae_title, "--aet", ae_title, "--timeout", f"{timeout:g}",
    ]  # fmt: skip


# -- Orthanc's REST API ------------------------------------------------------------------------


class ThreadJob:
    """A call made on a thread of its own; its result or error is the run's output."""

    def __init__(self, call: Callable[[], str]) -> None:
        self._started = time.monotonic()
        self._output = ""
        self._status: int | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], str]) -> None:
        try:
            self._output = call()
            self._status = 0
        except Exception as error:
            self._output = f"{type(error).__name__}: {error}"
            self._status = 1

    def wait(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def finish(self, wait: float) -> RequestorResult:
        self._thread.join(wait)
        ended = not self._thread.is_alive()
        return RequestorResult(
            self._status if ended else None, self._output, time.monotonic() - self._started, ended
        )


@dataclass(frozen=True)
class OrthancRequestor:
    """Orthanc as SCU: the acceptor becomes modality ``HARNESS`` (PUT /modalities/HARNESS),
    then POST /modalities/HARNESS/echo, /store (the instance ``instance_id``) or /query.

    ``move``: Orthanc as C-MOVE SCP opens the sub-association. The harness's own SCU
    (AE ``MOVER``, made a modality too) asks Orthanc, at ``dicom_address``, to move the
    study ``study_uid`` to the acceptor.
    """

    http_base: str
    instance_id: str = ""
    timeout: float = 60.0
    modality: str = "HARNESS"
    dicom_address: tuple[str, int] | None = None
    ae_title: str = ""
    study_uid: str = ""

    def _call(self, method: str, path: str, body: object) -> str:
        data = json.dumps(body).encode()
        request = urllib.request.Request(self.http_base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return f"HTTP {response.status}: {response.read().decode('utf-8', 'replace')}"
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            raise RuntimeError(f"HTTP {error.code}: {body}") from None

    def start(self, request: Request) -> RequestorJob:
        modality = {"AET": request.called_ae_title, "Host": request.host, "Port": request.port}
        self._call("PUT", f"/modalities/{self.modality}", modality)
        base = f"/modalities/{self.modality}"
        calls: dict[str, Callable[[], str]] = {
            "echo": lambda: self._call("POST", f"{base}/echo", {}),
            "store": lambda: self._call("POST", f"{base}/store", [self.instance_id]),
            "find": lambda: self._call(
                "POST", f"{base}/query", {"Level": "Study", "Query": {"StudyInstanceUID": ""}}
            ),
        }
        if self.dicom_address is not None:
            calls["move"] = lambda: self._move(request.called_ae_title)
        if request.action not in calls:
            raise ValueError(f"Orthanc's REST API makes no {request.action} SCU here")
        return ThreadJob(calls[request.action])

    def _move(self, destination: str) -> str:
        mover = {"AET": MOVER_AE, "Host": "127.0.0.1", "Port": 104}
        self._call("PUT", f"/modalities/{MOVER_AE}", mover)
        assert self.dicom_address is not None
        return c_move_status(self.dicom_address, self.ae_title, self.study_uid, destination)


MOVER_AE = "MOVER"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"


def c_move_status(address: tuple[str, int], called: str, study_uid: str, destination: str) -> str:
    """A C-MOVE of one study to ``destination`` by the dicomactors SCU; its final status."""
    ae = AE(MOVER_AE)
    ae.add_requested_context(STUDY_ROOT_MOVE)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    try:
        assoc = ae.associate(address[0], address[1], ae_title=called)
        if not assoc.is_established:
            raise RuntimeError("the C-MOVE association was not established")
        statuses = [
            int(s.Status) for s, _ in assoc.send_c_move(query, destination, STUDY_ROOT_MOVE)
        ]
        assoc.release()
    finally:
        ae.shutdown()
    if not statuses or statuses[-1] != 0:
        raise RuntimeError(f"C-MOVE statuses {[hex(s) for s in statuses]}")
    return f"C-MOVE status 0x{statuses[-1]:04X}"


# -- a system that connects by itself ------------------------------------------------------------


class _Waiting:
    def __init__(self) -> None:
        self._started = time.monotonic()

    def wait(self, timeout: float) -> bool:
        return False  # nothing of ours runs: only the connection tells

    def finish(self, wait: float) -> RequestorResult:
        return RequestorResult(None, "", time.monotonic() - self._started, True)


@dataclass(frozen=True)
class WaitingRequestor:
    """Starts nothing: the system is told (``announce``) where to connect, and does."""

    announce: Callable[[Request], None] = print

    def start(self, request: Request) -> RequestorJob:
        self.announce(request)
        return _Waiting()


def run_trigger(template: str) -> Any:
    """A requestor that runs the user's ``--trigger`` command for each request."""
    return CommandRequestor(trigger_command(template))
