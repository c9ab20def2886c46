"""The systems ``pytest scenarios/`` starts, each with the capabilities it is configured for.

Every launcher is a context manager yielding a :class:`~harness.systems.SystemUnderTest`
on a free 127.0.0.1 port, with short ARTIM timeouts (:data:`ARTIM_SECONDS`) where the
system lets us set one, a small association limit where it has one, and a C-MOVE
destination (``MOVEDEST`` on a port reserved here, where the c-move scenario listens).
The capabilities added to each system say what its configuration decides, so the
scenarios that depend on it run (see :mod:`harness.conformance`).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from harness import conformance as c
from harness.behaviours import HARNESS_AE
from harness.conformance import security
from harness.systems import (
    DCMQRSCP_SUPPORTS,
    DCMTK_ENV,
    DCMTK_IMAGE,
    DICOMACTORS_SUPPORTS,
    LOOPBACK,
    ORTHANC_IMAGE,
    ORTHANC_READY,
    ORTHANC_SUPPORTS,
    PYNETDICOM_IMAGE,
    PYNETDICOM_SERVICES,
    SystemUnderTest,
    container,
    dcmqrscp_config,
    dicomactors_container,
    find_dcmtk_tool,
    find_orthanc,
    free_port,
    local_available,
    orthanc_config,
    pynetdicom_scp,
    pynetdicom_scp_argv,
    run_process,
)

ARTIM_SECONDS = 2
ASSOCIATION_LIMIT = 3
PYNETDICOM_LIMIT = 40
"""pynetdicom keeps the slots of some connections it gave up on (a finding of its own),
so it gets room enough for the whole run."""
DICOMACTORS_DEFAULT_LIMIT = 10
MOVE_AE = "MOVEDEST"
LOCAL_SYSTEMS = ("dicomactors", "dcmtk", "orthanc", "pynetdicom")

Launcher = Callable[[], AbstractContextManager[SystemUnderTest]]


def _named(sut: SystemUnderTest, name: str, *extra: str) -> SystemUnderTest:
    return dataclasses.replace(sut, name=name, supports=frozenset(sut.supports) | set(extra))


@contextmanager
def _work(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"scenarios-{prefix}-") as directory:
        yield Path(directory)


# -- local processes -------------------------------------------------------------------------


@contextmanager
def dicomactors_local() -> Iterator[SystemUnderTest]:
    """The dicomactors reference SCP (QRSCP) in this process."""
    from dicomactors.apps.qrscp import QRSCP

    with _work("dicomactors") as work:
        move_port = free_port()
        scp = QRSCP(work / "storage", "QRSCP", {MOVE_AE: (LOOPBACK, move_port)})
        scp.ae.acse_timeout = ARTIM_SECONDS
        scp.ae.maximum_associations = ASSOCIATION_LIMIT
        scp.ae.require_called_aet = True
        scp.ae.require_calling_aet = [HARNESS_AE, c.SCU_AE]
        running = scp.start((LOOPBACK, 0))
        tls = scp.ae.start_server(
            (LOOPBACK, 0),
            block=False,
            ssl_context=security.server_context(work),
            evt_handlers=scp.handlers(),
        )
        assert tls is not None
        try:
            yield SystemUnderTest(
                "dicomactors",
                LOOPBACK,
                running.port,
                "QRSCP",
                DICOMACTORS_SUPPORTS
                | {
                    c.CHECKS_CALLED_AET,
                    c.CHECKS_CALLING_AET,
                    c.artim(ARTIM_SECONDS),
                    c.max_associations(ASSOCIATION_LIMIT),
                    c.move_destination(MOVE_AE, LOOPBACK, move_port),
                    security.tls_port(tls.server_address[1]),
                },
                storage_dir=work / "storage",
            )
        finally:
            tls.shutdown()
            running.shutdown()
            scp.index.close()


def _dcmqrscp_files(work: Path, port: int, move_port: int) -> Path:
    storage = work / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    config = work / "dcmqrscp.cfg"
    text = dcmqrscp_config("QRSCP", port, storage, {MOVE_AE: (LOOPBACK, move_port)})
    config.write_text(
        text.replace("MaxAssociations = 16", f"MaxAssociations = {ASSOCIATION_LIMIT}")
    )
    return config


def _dcmqrscp_capabilities(move_port: int) -> set[str]:
    # dcmqrscp answers only to the AE titles of its AETable.
    return {
        c.CHECKS_CALLED_AET,
        c.artim(ARTIM_SECONDS),
        c.max_associations(ASSOCIATION_LIMIT),
        c.move_destination(MOVE_AE, LOOPBACK, move_port),
    }


@contextmanager
def dcmtk_local() -> Iterator[SystemUnderTest]:
    """DCMTK ``dcmqrscp`` (storage, C-FIND, C-GET, C-MOVE), ``-ta 2``, 3 associations."""
    tool = find_dcmtk_tool("dcmqrscp")
    with _work("dcmtk") as work:
        port, move_port = free_port(), free_port()
        config = _dcmqrscp_files(work, port, move_port)
        argv = [tool, "-v", "-ta", str(ARTIM_SECONDS), "-c", str(config), str(port)]
        log = work / "dcmqrscp.log"
        with run_process(argv, log_path=log, env=DCMTK_ENV, ready_port=port, process_group=True):
            yield SystemUnderTest(
                "dcmtk",
                LOOPBACK,
                port,
                "QRSCP",
                DCMQRSCP_SUPPORTS | _dcmqrscp_capabilities(move_port),
                storage_dir=work / "storage",
                log_path=log,
            )


def _orthanc_json(work: Path, dicom_port: int, http_port: int, move_port: int) -> Path:
    # Orthanc answers C-FIND, C-GET and C-MOVE only for modalities it knows: the
    # scenarios' SCU is one, the C-MOVE destination another.
    modalities = {
        "movedest": (MOVE_AE, LOOPBACK, move_port),
        "dascu": (c.SCU_AE, LOOPBACK, move_port),
    }
    settings = orthanc_config("ORTHANC", dicom_port, http_port, work, modalities)
    settings["DicomCheckCalledAet"] = True
    config = work / "orthanc.json"
    config.write_text(json.dumps(settings))
    return config


def _orthanc_capabilities(move_port: int) -> set[str]:
    return {c.CHECKS_CALLED_AET, c.move_destination(MOVE_AE, LOOPBACK, move_port)}


@contextmanager
def orthanc_local() -> Iterator[SystemUnderTest]:
    """Orthanc with ``DicomCheckCalledAet`` on; its ARTIM and association limit are unknown."""
    binary = find_orthanc()
    with _work("orthanc") as work:
        dicom_port, http_port, move_port = free_port(), free_port(), free_port()
        config = _orthanc_json(work, dicom_port, http_port, move_port)
        log = work / "orthanc.log"
        with run_process([binary, str(config)], log_path=log, ready_line=ORTHANC_READY):
            yield SystemUnderTest(
                "orthanc",
                LOOPBACK,
                dicom_port,
                "ORTHANC",
                ORTHANC_SUPPORTS | _orthanc_capabilities(move_port),
                http_port=http_port,
                log_path=log,
            )


PYNETDICOM_NETWORK_TIMEOUT = 15
"""pynetdicom keeps an association's thread (and its slot) until its network timeout once a
peer has gone quiet, so it is not long; but well beyond the harness's reply bound
(``behaviours.REPLY_WITHIN``, 5 s): where pynetdicom takes no action of its own (an
oversized PDU), a timeout as long as the bound would race it, and the verdict would be
whichever ended first."""

PYNETDICOM_ARGS = [
    "--acse-timeout",
    str(ARTIM_SECONDS),
    "--network-timeout",
    str(PYNETDICOM_NETWORK_TIMEOUT),
    "--max-associations",
    str(PYNETDICOM_LIMIT),
    "--require-called-aet",
]


def _pynetdicom_capabilities(move_port: int) -> set[str]:
    return {
        c.CHECKS_CALLED_AET,
        c.artim(ARTIM_SECONDS),
        c.max_associations(PYNETDICOM_LIMIT),
        c.move_destination(MOVE_AE, LOOPBACK, move_port),
    }


@contextmanager
def pynetdicom_local() -> Iterator[SystemUnderTest]:
    """harness/peers/pynetdicom_scp.py with every service, ARTIM 2 s, 3 associations."""
    move_port = free_port()
    with pynetdicom_scp(peers={MOVE_AE: (LOOPBACK, move_port)}, extra_args=PYNETDICOM_ARGS) as sut:
        yield _named(sut, "pynetdicom", *_pynetdicom_capabilities(move_port))


# -- containers (host networking) ------------------------------------------------------------


@contextmanager
def dcmtk_container() -> Iterator[SystemUnderTest]:
    with _work("dcmtk-container") as work:
        port, move_port = free_port(), free_port()
        config = _dcmqrscp_files(work, port, move_port)
        with container(
            DCMTK_IMAGE,
            name="dcmtk-container",
            port=port,
            ae_title="QRSCP",
            supports=DCMQRSCP_SUPPORTS | _dcmqrscp_capabilities(move_port),
            command=["dcmqrscp", "-v", "-ta", str(ARTIM_SECONDS), "-c", str(config), str(port)],
            env=DCMTK_ENV,
            volumes=[work],
        ) as sut:
            yield sut


@contextmanager
def orthanc_container() -> Iterator[SystemUnderTest]:
    with _work("orthanc-container") as work:
        dicom_port, http_port, move_port = free_port(), free_port(), free_port()
        config = _orthanc_json(work, dicom_port, http_port, move_port)
        with container(
            ORTHANC_IMAGE,
            name="orthanc-container",
            port=dicom_port,
            ae_title="ORTHANC",
            supports=ORTHANC_SUPPORTS | _orthanc_capabilities(move_port),
            command=["Orthanc", str(config)],
            volumes=[work],
            ready_line=ORTHANC_READY,
            http_port=http_port,
        ) as sut:
            yield sut


@contextmanager
def pynetdicom_container() -> Iterator[SystemUnderTest]:
    with _work("pynetdicom-container") as work:
        port, move_port = free_port(), free_port()
        argv = pynetdicom_scp_argv(
            "PYNETDICOM",
            port,
            PYNETDICOM_SERVICES,
            work / "storage",
            {MOVE_AE: (LOOPBACK, move_port)},
            PYNETDICOM_ARGS,
        )
        with container(
            PYNETDICOM_IMAGE,
            name="pynetdicom-container",
            port=port,
            ae_title="PYNETDICOM",
            supports=PYNETDICOM_SERVICES | _pynetdicom_capabilities(move_port),
            command=argv,
            volumes=[work],
            ready_line="READY",
        ) as sut:
            yield sut


@contextmanager
def dicomactors_in_container() -> Iterator[SystemUnderTest]:
    """The image runs ``python -m dicomactors.apps.qrscp``, whose command line sets no ARTIM
    and no limit: its defaults (30 s, 10 associations) apply, so the ARTIM scenarios are
    not applicable to it."""
    move_port = free_port()

    def args(port: int, ae_title: str, storage: Path) -> list[str]:
        return [
            *("--port", str(port), "--aet", ae_title, "--storage", str(storage)),
            *("--move-destination", f"{MOVE_AE}={LOOPBACK}:{move_port}"),
        ]

    with dicomactors_container("QRSCP", args=args) as sut:
        yield _named(
            sut,
            "dicomactors-container",
            c.max_associations(DICOMACTORS_DEFAULT_LIMIT),
            c.move_destination(MOVE_AE, LOOPBACK, move_port),
        )


LAUNCHERS: dict[str, Launcher] = {
    "dicomactors": dicomactors_local,
    "dcmtk": dcmtk_local,
    "orthanc": orthanc_local,
    "pynetdicom": pynetdicom_local,
    "dicomactors-container": dicomactors_in_container,
    "dcmtk-container": dcmtk_container,
    "orthanc-container": orthanc_container,
    "pynetdicom-container": pynetdicom_container,
}


def installed(system: str) -> tuple[bool, str]:
    """Whether a local system can start here, and if not why."""
    if system == "dicomactors":
        return True, ""
    return local_available(system)


@contextmanager
def remote(
    host: str, port: int, ae_title: str, capabilities: set[str]
) -> Iterator[SystemUnderTest]:
    """Any other node, already running: only the capabilities given are assumed."""
    yield SystemUnderTest("remote", host, port, ae_title, frozenset(capabilities))


@contextmanager
def user_image(
    image: str,
    port: int | None,
    ae_title: str,
    capabilities: set[str],
    command: str | None = None,
) -> Iterator[SystemUnderTest]:
    """A user's own container image as the system under test, with host networking.

    It must listen on ``port`` (a free one when None), which it is also given as the
    environment variable ``DICOM_PORT`` (and its AE title as ``DICOM_AET``), so an image
    can take both from its environment; or ``command`` (its arguments, in which ``{port}``
    and ``{aet}`` are replaced) tells it. Only the capabilities given are assumed.
    """
    chosen = port if port is not None else free_port()
    argv = None
    if command is not None:
        argv = [part.format(port=chosen, aet=ae_title) for part in shlex.split(command)]
    with container(
        image,
        name=f"image:{image}",
        port=chosen,
        ae_title=ae_title,
        supports=frozenset(capabilities),
        command=argv,
        env={"DICOM_PORT": str(chosen), "DICOM_AET": ae_title},
    ) as sut:
        yield sut
