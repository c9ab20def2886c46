"""Local processes as systems under test: DCMTK's storescp and dcmqrscp, Orthanc and the
pynetdicom SCP, each on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.systems.base import (
    DCMQRSCP_SUPPORTS,
    DCMTK_ENV,
    DICOMACTORS_SUPPORTS,
    LOOPBACK,
    ORTHANC_SUPPORTS,
    PYNETDICOM_SCP_SCRIPT,
    PYNETDICOM_SERVICES,
    STORESCP_SUPPORTS,
    PeerUnavailable,
    SystemUnderTest,
    free_port,
)
from harness.systems.peer_config import (
    ORTHANC_READY,
    PYNETDICOM_READY,
    dcmqrscp_config,
    orthanc_config,
    pynetdicom_scp_argv,
)
from harness.systems.processes import run_process, work_dir


def find_dcmtk_tool(name: str) -> str:
    """The path of a DCMTK program.

    pynetdicom installs Python scripts with the same names (``storescp``, ``echoscu``, ...)
    that come first on PATH in a virtual environment, so only native (ELF) executables
    count; ``DCMTK_BIN`` names the directory to look in first.
    """
    directories = []
    if os.environ.get("DCMTK_BIN"):
        directories.append(os.environ["DCMTK_BIN"])
    directories += [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]
    for directory in directories:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            with candidate.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
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
def dcmtk_storescp(
    ae_title: str = "STORESCP",
    output_dir: Path | None = None,
    *,
    extra_args: Sequence[str] = (),
) -> Iterator[SystemUnderTest]:
    """DCMTK ``storescp``: writes what it receives to ``output_dir``, or drops it (--ignore)."""
    tool = find_dcmtk_tool("storescp")
    with work_dir("storescp") as work:
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
    with work_dir("dcmqrscp") as work:
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


@contextmanager
def orthanc(
    ae_title: str = "ORTHANC",
    modalities: Mapping[str, tuple[str, str, int]] | None = None,
) -> Iterator[SystemUnderTest]:
    """Orthanc as a plain process with its own config; `OrthancRest` talks to its HTTP port."""
    binary = find_orthanc()
    with work_dir("orthanc") as work:
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
    with work_dir("pynetdicom") as work:
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


FRAGILE_SCP_MODULE = "harness.peers.fragile_scp"


@contextmanager
def fragile_scp(ae_title: str = "FRAGILE", crash_on: int = 0xFF) -> Iterator[SystemUnderTest]:
    """The dicomactors QRSCP behind a relay that crashes the process on a PDU of type
    ``crash_on`` (harness/peers/fragile_scp.py): a node that dies on purpose."""
    with work_dir("fragile") as work:
        argv = [sys.executable, "-u", "-m", FRAGILE_SCP_MODULE, "--aet", ae_title]
        argv += ["--crash-on", hex(crash_on)]
        log = work / "fragile.log"
        with run_process(argv, log_path=log, ready_line=PYNETDICOM_READY) as running:
            assert running.ready_match is not None
            port = int(running.ready_match.group(1))
            yield SystemUnderTest(
                "fragile", LOOPBACK, port, ae_title, DICOMACTORS_SUPPORTS, log_path=log
            )
