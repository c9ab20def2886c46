"""Systems under test: third-party DICOM nodes started on loopback for the tests to talk to.

Each system is described by one frozen `SystemUnderTest` (where it listens, its AE title and
what it supports). The launchers are context managers: they start the peer on a free
127.0.0.1 port, wait until it listens (its log line, or the port in LISTEN state; never a
blind sleep), yield its `SystemUnderTest` and stop it afterwards (terminate, wait, kill on
timeout), removing the temporary directories they made.

Local processes: `dcmtk_storescp`, `dcmtk_dcmqrscp`, `orthanc`, `pynetdicom_scp`.
Containers (images from ``docker/build.sh``, host networking): `container` and the
``*_container`` variants; `docker_available` says whether they can run and, if not, why.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PYNETDICOM_SCP_SCRIPT = Path(__file__).parent / "peers" / "pynetdicom_scp.py"

# Images built by docker/build.sh.
DCMTK_IMAGE = "dicomactors/dcmtk:latest"
ORTHANC_IMAGE = "dicomactors/orthanc:latest"
PYNETDICOM_IMAGE = "dicomactors/pynetdicom:latest"
DICOMACTORS_IMAGE = "dicomactors/dicomactors:latest"

# DCMTK leaves Nagle's algorithm on without it; every C-STORE would wait on a delayed ACK.
DCMTK_ENV = {"TCP_NODELAY": "1"}


class Capability(StrEnum):
    """What a system under test supports, as the scenarios ask for it."""

    ECHO = "echo"
    STORE = "store"
    FIND = "find"
    GET = "get"
    MOVE = "move"
    COMMITMENT = "commitment"
    N_SERVICES = "nservices"
    TLS = "tls"


@dataclass(frozen=True)
class SystemUnderTest:
    """One DICOM node to test: where it listens, its AE title and what it supports."""

    name: str
    host: str
    port: int
    ae_title: str
    supports: frozenset[str]
    storage_dir: Path | None = field(default=None, kw_only=True)
    http_port: int | None = field(default=None, kw_only=True)
    log_path: Path | None = field(default=None, kw_only=True)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def supports_all(self, *capabilities: str) -> bool:
        return all(capability in self.supports for capability in capabilities)


class PeerUnavailable(RuntimeError):
    """The peer's program or image is not installed here; tests should skip."""


class PeerStartError(RuntimeError):
    """The peer did not come up; the message carries the end of its log."""


# Capabilities of each system as we start it.
STORESCP_SUPPORTS = frozenset({Capability.ECHO, Capability.STORE})
DCMQRSCP_SUPPORTS = frozenset(
    {Capability.ECHO, Capability.STORE, Capability.FIND, Capability.GET, Capability.MOVE}
)
ORTHANC_SUPPORTS = frozenset(
    {
        Capability.ECHO,
        Capability.STORE,
        Capability.FIND,
        Capability.GET,
        Capability.MOVE,
        Capability.COMMITMENT,
    }
)
PYNETDICOM_SERVICES = frozenset({"echo", "store", "find", "get", "move", "commitment", "nservices"})
DICOMACTORS_SUPPORTS = frozenset(
    {Capability.ECHO, Capability.STORE, Capability.FIND, Capability.GET, Capability.MOVE}
)


# -- ports and readiness ------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _listening_ports() -> set[int] | None:
    """Ports in LISTEN state on this host (Linux /proc), or None where /proc says nothing."""
    ports: set[int] = set()
    seen = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        seen = True
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports if seen else None


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something listens on the port, without connecting where /proc can tell."""
    ports = _listening_ports()
    if ports is not None:
        return port in ports
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_listening(
    port: int,
    *,
    timeout: float = START_TIMEOUT,
    interval: float = 0.05,
    exited: Callable[[float], bool] | None = None,
) -> None:
    """A bounded series of checks that the port listens; between them, wait on the peer.

    ``exited(seconds)`` waits up to that long for the peer to end and says whether it did, so
    a peer that dies at start-up fails at once instead of at the deadline.
    """
    deadline = time.monotonic() + timeout
    while not is_listening(port):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PeerStartError(f"nothing listened on port {port} within {timeout:.0f} s")
        step = min(interval, remaining)
        if exited is not None:
            if exited(step):
                raise PeerStartError(f"the peer exited before listening on port {port}")
        else:
            threading.Event().wait(step)


# -- local processes ----------------------------------------------------------------------


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


def find_dcmtk_tool(name: str) -> str:
    """The path of a DCMTK program.

    pynetdicom installs Python scripts with the same names (``storescp``, ``echoscu``, ...)
    that may come first on PATH, so scripts are skipped; ``DCMTK_BIN`` names the directory.
    """
    directories = []
    if os.environ.get("DCMTK_BIN"):
        directories.append(os.environ["DCMTK_BIN"])
    directories += [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]
    for directory in directories:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            with candidate.open("rb") as handle:
                if handle.read(2) != b"#!":
                    return str(candidate)
    raise PeerUnavailable(f"DCMTK's {name} is not installed (apt-get install dcmtk)")


def find_orthanc() -> str:
    path = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin")
    if path is None:
        raise PeerUnavailable("Orthanc is not installed (apt-get install orthanc)")
    return path


def local_available(system: str) -> tuple[bool, str]:
    """Whether a local peer ("dcmtk", "orthanc", "pynetdicom") can start here, and if not why."""
    try:
        if system == "dcmtk":
            find_dcmtk_tool("storescp")
            find_dcmtk_tool("dcmqrscp")
        elif system == "orthanc":
            find_orthanc()
        elif system == "pynetdicom":
            import pynetdicom  # noqa: F401
        else:
            return False, f"unknown system {system!r}"
    except (PeerUnavailable, ImportError) as error:
        return False, str(error)
    return True, ""


@contextmanager
def _work_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(
        prefix=f"dicomactors-{prefix}-", ignore_cleanup_errors=True
    ) as directory:
        yield Path(directory)


@contextmanager
def dcmtk_storescp(
    ae_title: str = "STORESCP",
    output_dir: Path | None = None,
    *,
    extra_args: Sequence[str] = (),
) -> Iterator[SystemUnderTest]:
    """DCMTK ``storescp``: writes what it receives to ``output_dir``, or drops it (--ignore)."""
    tool = find_dcmtk_tool("storescp")
    with _work_dir("storescp") as work:
        port = free_port()
        storage = ["-od", str(output_dir)] if output_dir is not None else ["--ignore"]
        argv = [tool, "-v", *storage, *extra_args, "-aet", ae_title, str(port)]
        log = work / "storescp.log"
        with run_process(argv, log_path=log, env=DCMTK_ENV, ready_port=port):
            yield SystemUnderTest(
                "dcmtk-storescp",
                LOOPBACK,
                port,
                ae_title,
                STORESCP_SUPPORTS,
                storage_dir=output_dir,
                log_path=log,
            )


def dcmqrscp_config(
    ae_title: str,
    port: int,
    storage_dir: Path,
    peers: Mapping[str, tuple[str, int]],
    max_pdu: int = 16384,
) -> str:
    """A dcmqrscp.cfg: our AE's storage area in the AETable, and each C-MOVE destination
    (AE title -> host, port) in the HostTable, which is where dcmqrscp looks them up."""
    hosts = [
        f"peer{index} = ({peer_aet}, {host}, {peer_port})"
        for index, (peer_aet, (host, peer_port)) in enumerate(sorted(peers.items()))
    ]
    lines = [
        f"NetworkTCPPort = {port}",
        f"MaxPDUSize = {max_pdu}",
        "MaxAssociations = 16",
        "",
        "HostTable BEGIN",
        *hosts,
        "HostTable END",
        "",
        "VendorTable BEGIN",
        "VendorTable END",
        "",
        "AETable BEGIN",
        f"{ae_title} {storage_dir} RW (200, 1024mb) ANY",
        "AETable END",
        "",
    ]
    return "\n".join(lines)


@contextmanager
def dcmtk_dcmqrscp(
    ae_title: str = "QRSCP",
    storage_dir: Path | None = None,
    peers: Mapping[str, tuple[str, int]] | None = None,
    *,
    preload: Iterable[Path] = (),
) -> Iterator[SystemUnderTest]:
    """DCMTK ``dcmqrscp`` over ``storage_dir``; ``peers`` are its C-MOVE
    destinations; ``preload`` files are registered in its index with ``dcmqridx`` first."""
    tool = find_dcmtk_tool("dcmqrscp")
    with _work_dir("dcmqrscp") as work:
        storage = storage_dir if storage_dir is not None else work / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        files = [str(path) for path in preload]
        if files:
            subprocess.run(
                [find_dcmtk_tool("dcmqridx"), str(storage), *files],
                check=True,
                capture_output=True,
                env={**os.environ, **DCMTK_ENV},
            )
        port = free_port()
        config = work / "dcmqrscp.cfg"
        config.write_text(dcmqrscp_config(ae_title, port, storage, peers or {}))
        # Not --single-process: DCMTK 3.6.7's dcmqrscp crashes (SIGSEGV) in that mode when the
        # first association is released. It forks a child per association instead.
        argv = [tool, "-v", "-c", str(config), str(port)]
        log = work / "dcmqrscp.log"
        with run_process(argv, log_path=log, env=DCMTK_ENV, ready_port=port, process_group=True):
            yield SystemUnderTest(
                "dcmtk-dcmqrscp",
                LOOPBACK,
                port,
                ae_title,
                DCMQRSCP_SUPPORTS,
                storage_dir=storage,
                log_path=log,
            )


def orthanc_config(
    ae_title: str,
    dicom_port: int,
    http_port: int,
    work: Path,
    modalities: Mapping[str, tuple[str, str, int]],
) -> dict[str, Any]:
    """Orthanc's JSON configuration; ``modalities`` maps a name to (AE title, host, port)."""
    return {
        "Name": f"dicomactors-{ae_title}",
        "DicomAet": ae_title,
        "DicomPort": dicom_port,
        "HttpPort": http_port,
        "StorageDirectory": str(work / "storage"),
        "IndexDirectory": str(work / "index"),
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomCheckCalledAet": False,
        "DicomModalities": {name: list(entry) for name, entry in modalities.items()},
        "HttpsVerifyPeers": False,
        "Plugins": [],
    }


ORTHANC_READY = r"Orthanc has started"


@contextmanager
def orthanc(
    ae_title: str = "ORTHANC",
    modalities: Mapping[str, tuple[str, str, int]] | None = None,
) -> Iterator[SystemUnderTest]:
    """Orthanc as a plain process with its own config; `OrthancRest` talks to its HTTP port."""
    binary = find_orthanc()
    with _work_dir("orthanc") as work:
        dicom_port, http_port = free_port(), free_port()
        config = work / "orthanc.json"
        config.write_text(
            json.dumps(orthanc_config(ae_title, dicom_port, http_port, work, modalities or {}))
        )
        log = work / "orthanc.log"
        with run_process([binary, str(config)], log_path=log, ready_line=ORTHANC_READY):
            yield SystemUnderTest(
                "orthanc",
                LOOPBACK,
                dicom_port,
                ae_title,
                ORTHANC_SUPPORTS,
                storage_dir=work / "storage",
                http_port=http_port,
                log_path=log,
            )


class OrthancRest:
    """The few REST calls the tests need: upload an instance, read the statistics."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.base = f"http://{host}:{port}"
        self.timeout = timeout

    @classmethod
    def of(cls, system: SystemUnderTest) -> OrthancRest:
        if system.http_port is None:
            raise ValueError(f"{system.name} has no HTTP port")
        return cls(system.host, system.http_port)

    def _request(self, method: str, path: str, body: bytes | None = None) -> Any:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/dicom")
        # Loopback only: bypass any proxy the environment names.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"null")

    def system(self) -> dict[str, Any]:
        return dict(self._request("GET", "/system"))

    def statistics(self) -> dict[str, Any]:
        return dict(self._request("GET", "/statistics"))

    def instances(self) -> list[str]:
        return list(self._request("GET", "/instances"))

    def upload(self, dicom_file: Path | bytes) -> dict[str, Any]:
        body = dicom_file if isinstance(dicom_file, bytes) else Path(dicom_file).read_bytes()
        return dict(self._request("POST", "/instances", body))


PYNETDICOM_READY = r"^READY (\d+)"


def pynetdicom_scp_argv(
    ae_title: str,
    port: int,
    services: Iterable[str],
    storage_dir: Path | None,
    peers: Mapping[str, tuple[str, int]],
    extra_args: Sequence[str] = (),
) -> list[str]:
    argv = ["--port", str(port), "--aet", ae_title, "--services", ",".join(sorted(services))]
    if storage_dir is not None:
        argv += ["--storage-dir", str(storage_dir)]
    for peer_aet, (host, peer_port) in sorted(peers.items()):
        argv += ["--peer", f"{peer_aet}={host}:{peer_port}"]
    return argv + list(extra_args)


@contextmanager
def pynetdicom_scp(
    ae_title: str = "PYNETDICOM",
    services: Iterable[str] = PYNETDICOM_SERVICES,
    *,
    storage_dir: Path | None = None,
    peers: Mapping[str, tuple[str, int]] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[SystemUnderTest]:
    """A pynetdicom SCP in its own process (harness/peers/pynetdicom_scp.py); it picks its
    port and says so (``READY <port>``). ``peers`` are C-MOVE / commitment destinations."""
    chosen = frozenset(services)
    unknown = chosen - PYNETDICOM_SERVICES
    if unknown:
        raise ValueError(f"unknown pynetdicom services: {sorted(unknown)}")
    with _work_dir("pynetdicom") as work:
        storage = storage_dir if storage_dir is not None else work / "storage"
        args = pynetdicom_scp_argv(ae_title, 0, chosen, storage, peers or {}, extra_args)
        argv = [sys.executable, "-u", str(PYNETDICOM_SCP_SCRIPT), *args]
        log = work / "pynetdicom.log"
        with run_process(argv, log_path=log, ready_line=PYNETDICOM_READY) as running:
            assert running.ready_match is not None
            port = int(running.ready_match.group(1))
            yield SystemUnderTest(
                "pynetdicom",
                LOOPBACK,
                port,
                ae_title,
                frozenset(chosen),
                storage_dir=storage,
                log_path=log,
            )


# -- containers ---------------------------------------------------------------------------


def _quiet_testcontainers() -> None:
    # Ryuk, testcontainers' reaper, is an image that cannot be pulled here; we stop our
    # containers ourselves. Must be set before testcontainers reads its configuration.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")


def _docker_module() -> Any:
    # By its import name: mypy would take the repository's docker/ folder for it.
    return importlib.import_module("docker")


def docker_available() -> tuple[bool, str]:
    """Whether a Docker engine answers here; if not, the reason to give when skipping."""
    _quiet_testcontainers()
    try:
        docker = _docker_module()
    except ImportError:
        return False, "the docker Python package is not installed (pip install testcontainers)"
    try:
        client = docker.DockerClient.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as error:
        return False, f"no Docker engine answers ({type(error).__name__}: {error})"
    return True, ""


def image_available(image: str) -> tuple[bool, str]:
    """Whether the engine answers and has the image (docker/build.sh builds them)."""
    ok, reason = docker_available()
    if not ok:
        return ok, reason
    client = _docker_module().DockerClient.from_env(timeout=5)
    try:
        client.images.get(image)
    except Exception:
        return False, f"image {image} is not built (run docker/build.sh or scripts/setup.sh)"
    finally:
        client.close()
    return True, ""


@contextmanager
def container(
    image: str,
    *,
    name: str,
    port: int,
    ae_title: str,
    supports: frozenset[str],
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    volumes: Iterable[Path] = (),
    ready_line: str | None = None,
    timeout: float = 60.0,
    storage_dir: Path | None = None,
    http_port: int | None = None,
) -> Iterator[SystemUnderTest]:
    """Run ``image`` with host networking; the peer listens on 127.0.0.1:``port``.

    ``volumes`` are bind-mounted at the same path inside, so configuration files written on
    the host name the same paths in the container. Ready when ``ready_line`` (a regex) is in
    its log, then when the port listens.
    """
    ok, reason = image_available(image)
    if not ok:
        raise PeerUnavailable(reason)
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    peer = DockerContainer(image).with_kwargs(network_mode="host")
    if command is not None:
        peer = peer.with_command(list(command))
    for key, value in (env or {}).items():
        peer = peer.with_env(key, value)
    for volume in volumes:
        peer = peer.with_volume_mapping(str(volume), str(volume), "rw")
    if ready_line is not None:
        strategy = LogMessageWaitStrategy(re.compile(ready_line, re.MULTILINE))
        peer = peer.waiting_for(strategy.with_startup_timeout(int(timeout)))
    with peer:
        wrapped = peer.get_wrapped_container()

        def exited(seconds: float) -> bool:
            threading.Event().wait(seconds)
            wrapped.reload()
            return bool(wrapped.status in ("exited", "dead"))

        wait_until_listening(port, timeout=timeout, exited=exited)
        yield SystemUnderTest(
            name,
            LOOPBACK,
            port,
            ae_title,
            supports,
            storage_dir=storage_dir,
            http_port=http_port,
        )


@contextmanager
def dcmtk_storescp_container(ae_title: str = "STORESCP") -> Iterator[SystemUnderTest]:
    """``storescp --ignore`` in the dcmtk image."""
    port = free_port()
    with container(
        DCMTK_IMAGE,
        name="dcmtk-storescp/container",
        port=port,
        ae_title=ae_title,
        supports=STORESCP_SUPPORTS,
        command=["storescp", "-v", "--ignore", "-aet", ae_title, str(port)],
        env=DCMTK_ENV,
    ) as system:
        yield system


@contextmanager
def dcmtk_dcmqrscp_container(
    ae_title: str = "QRSCP",
    peers: Mapping[str, tuple[str, int]] | None = None,
) -> Iterator[SystemUnderTest]:
    """``dcmqrscp`` in the dcmtk image, its config and storage bind-mounted from a temp dir."""
    with _work_dir("dcmqrscp-container") as work:
        storage = work / "storage"
        storage.mkdir()
        port = free_port()
        config = work / "dcmqrscp.cfg"
        config.write_text(dcmqrscp_config(ae_title, port, storage, peers or {}))
        with container(
            DCMTK_IMAGE,
            name="dcmtk-dcmqrscp/container",
            port=port,
            ae_title=ae_title,
            supports=DCMQRSCP_SUPPORTS,
            command=["dcmqrscp", "-v", "-c", str(config), str(port)],
            env=DCMTK_ENV,
            volumes=[work],
            storage_dir=storage,
        ) as system:
            yield system


@contextmanager
def orthanc_container(
    ae_title: str = "ORTHANC",
    modalities: Mapping[str, tuple[str, str, int]] | None = None,
) -> Iterator[SystemUnderTest]:
    """Orthanc in the orthanc image, its config, storage and index bind-mounted."""
    with _work_dir("orthanc-container") as work:
        dicom_port, http_port = free_port(), free_port()
        config = work / "orthanc.json"
        config.write_text(
            json.dumps(orthanc_config(ae_title, dicom_port, http_port, work, modalities or {}))
        )
        with container(
            ORTHANC_IMAGE,
            name="orthanc/container",
            port=dicom_port,
            ae_title=ae_title,
            supports=ORTHANC_SUPPORTS,
            command=["Orthanc", str(config)],
            volumes=[work],
            ready_line=ORTHANC_READY,
            storage_dir=work / "storage",
            http_port=http_port,
        ) as system:
            yield system


@contextmanager
def pynetdicom_container(
    ae_title: str = "PYNETDICOM",
    services: Iterable[str] = PYNETDICOM_SERVICES,
    *,
    peers: Mapping[str, tuple[str, int]] | None = None,
) -> Iterator[SystemUnderTest]:
    """harness/peers/pynetdicom_scp.py in the pynetdicom image."""
    chosen = frozenset(services)
    with _work_dir("pynetdicom-container") as work:
        storage = work / "storage"
        port = free_port()
        with container(
            PYNETDICOM_IMAGE,
            name="pynetdicom/container",
            port=port,
            ae_title=ae_title,
            supports=chosen,
            command=pynetdicom_scp_argv(ae_title, port, chosen, storage, peers or {}),
            volumes=[work],
            ready_line=PYNETDICOM_READY.lstrip("^"),
            storage_dir=storage,
        ) as system:
            yield system


@contextmanager
def dicomactors_container(
    ae_title: str = "DICOMACTORS",
    *,
    args: Callable[[int, str, Path], Sequence[str]] | None = None,
) -> Iterator[SystemUnderTest]:
    """The dicomactors reference SCP (``python -m dicomactors.apps.qrscp``) in its image.

    ``args(port, ae_title, storage_dir)`` gives its command-line arguments; by default
    ``--port PORT --aet AET --storage-dir DIR``.
    """
    with _work_dir("dicomactors-container") as work:
        storage = work / "storage"
        storage.mkdir()
        port = free_port()
        if args is None:
            command = ["--port", str(port), "--aet", ae_title, "--storage-dir", str(storage)]
        else:
            command = list(args(port, ae_title, storage))
        with container(
            DICOMACTORS_IMAGE,
            name="dicomactors/container",
            port=port,
            ae_title=ae_title,
            supports=DICOMACTORS_SUPPORTS,
            command=command,
            volumes=[work],
            storage_dir=storage,
        ) as system:
            yield system


__all__ = [
    "DCMQRSCP_SUPPORTS",
    "DCMTK_IMAGE",
    "DICOMACTORS_IMAGE",
    "DICOMACTORS_SUPPORTS",
    "LOOPBACK",
    "ORTHANC_IMAGE",
    "ORTHANC_SUPPORTS",
    "PYNETDICOM_IMAGE",
    "PYNETDICOM_SERVICES",
    "STORESCP_SUPPORTS",
    "Capability",
    "OrthancRest",
    "PeerStartError",
    "PeerUnavailable",
    "RunningProcess",
    "SystemUnderTest",
    "container",
    "dcmqrscp_config",
    "dcmtk_dcmqrscp",
    "dcmtk_dcmqrscp_container",
    "dcmtk_storescp",
    "dcmtk_storescp_container",
    "dicomactors_container",
    "docker_available",
    "find_dcmtk_tool",
    "free_port",
    "image_available",
    "is_listening",
    "local_available",
    "orthanc",
    "orthanc_config",
    "orthanc_container",
    "pynetdicom_container",
    "pynetdicom_scp",
    "run_process",
    "stop_process",
    "wait_until_listening",
]
