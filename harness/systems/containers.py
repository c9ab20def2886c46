"""Systems under test in containers (images from ``docker/build.sh``, host networking):
`container` runs any image, the ``*_container`` launchers run the peers' images;
`docker_available` says whether they can run here and, if not, why."""

from __future__ import annotations

import importlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.systems.base import (
    DCMQRSCP_SUPPORTS,
    DCMTK_ENV,
    DCMTK_IMAGE,
    DICOMACTORS_IMAGE,
    DICOMACTORS_SUPPORTS,
    LOOPBACK,
    ORTHANC_IMAGE,
    ORTHANC_SUPPORTS,
    PYNETDICOM_IMAGE,
    PYNETDICOM_SERVICES,
    STORESCP_SUPPORTS,
    PeerUnavailable,
    SystemUnderTest,
    free_port,
    wait_until_listening,
)
from harness.systems.peer_config import (
    ORTHANC_READY,
    PYNETDICOM_READY,
    dcmqrscp_config,
    orthanc_config,
    pynetdicom_scp_argv,
)
from harness.systems.processes import work_dir


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
    with work_dir("dcmqrscp-container") as work:
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
    with work_dir("orthanc-container") as work:
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
    with work_dir("pynetdicom-container") as work:
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
    with work_dir("dicomactors-container") as work:
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
