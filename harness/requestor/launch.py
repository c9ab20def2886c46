"""The requestor systems the harness can start, locally or in containers.

Each launcher is a context manager yielding a :class:`~harness.requestor.systems.RequestorSystem`
whose ACSE and DIMSE timeouts are set to :data:`TIMEOUT` (declared as ``gives-up``):

- ``dicomactors-scu``, ``pynetdicom-scu``: harness/peers/scu.py over that library;
- ``dcmtk-scu``: DCMTK's ``echoscu``, ``storescu``, ``findscu``, ``getscu``, ``movescu``;
- ``orthanc-scu``: an Orthanc started here, driven over its REST API;
- the ``*-container`` variants: the same in the peer images (host networking), the SCU
  script bind-mounted, each run in a container named uniquely and removed afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from pydicom import dcmread, dcmwrite

from harness.peers.scu import image
from harness.requestor.systems import (
    ACTIONS,
    SCU_SCRIPT,
    CommandRequestor,
    OrthancRequestor,
    Request,
    Requestor,
    RequestorSystem,
    dcmtk_arguments,
    dcmtk_local_argv,
    gives_up,
    scu_script_arguments,
)
from harness.systems import (
    DCMTK_ENV,
    DCMTK_IMAGE,
    DICOMACTORS_IMAGE,
    LOOPBACK,
    ORTHANC_IMAGE,
    ORTHANC_READY,
    PYNETDICOM_IMAGE,
    OrthancRest,
    PeerUnavailable,
    container,
    find_orthanc,
    free_port,
    image_available,
    orthanc_config,
    run_process,
)

TIMEOUT = 3.0
"""The ACSE and DIMSE timeout every requestor started here is given."""
SCU_AE = "SCU"
ORTHANC_AE = "ORTHANCSCU"

Launcher = Callable[[], AbstractContextManager[RequestorSystem]]


def _supports(*actions: str) -> frozenset[str]:
    return frozenset({*actions, gives_up(TIMEOUT)})


@contextmanager
def _work(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"requestor-{prefix}-") as directory:
        yield Path(directory)


def write_instance(path: Path) -> Path:
    """A small Secondary Capture image as a DICOM file, for the store operations."""
    ds = image()
    dcmwrite(path, ds, enforce_file_format=True)
    return path


def _study_of(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).StudyInstanceUID)


def _system(name: str, requestor: Requestor, supports: frozenset[str]) -> RequestorSystem:
    return RequestorSystem(name, LOOPBACK, 0, SCU_AE, supports, requestor=requestor)


# -- local processes ------------------------------------------------------------------------------


def _script_requestor(library: str, argv0: list[str]) -> CommandRequestor:
    def argv(request: Request) -> list[str]:
        return [*argv0, *scu_script_arguments(library, request, TIMEOUT, SCU_AE)]

    return CommandRequestor(argv)


@contextmanager
def dicomactors_scu() -> Iterator[RequestorSystem]:
    """harness/peers/scu.py over dicomactors, in a process of its own."""
    argv0 = [sys.executable, "-u", str(SCU_SCRIPT)]
    yield _system("dicomactors-scu", _script_requestor("dicomactors", argv0), _supports(*ACTIONS))


@contextmanager
def pynetdicom_scu() -> Iterator[RequestorSystem]:
    """harness/peers/scu.py over pynetdicom, in a process of its own."""
    try:
        import pynetdicom  # noqa: F401
    except ImportError as error:
        raise PeerUnavailable(f"pynetdicom is not installed: {error}") from None
    argv0 = [sys.executable, "-u", str(SCU_SCRIPT)]
    yield _system("pynetdicom-scu", _script_requestor("pynetdicom", argv0), _supports(*ACTIONS))


@contextmanager
def dcmtk_scu() -> Iterator[RequestorSystem]:
    """DCMTK's SCU programs, found with find_dcmtk_tool (never pynetdicom's namesakes)."""
    from harness.systems import find_dcmtk_tool

    for tool in ("echoscu", "storescu", "findscu", "getscu", "movescu"):
        find_dcmtk_tool(tool)
    with _work("dcmtk") as work:
        file = write_instance(work / "instance.dcm")
        argv = dcmtk_local_argv(TIMEOUT, file, work)
        requestor = CommandRequestor(argv, DCMTK_ENV)
        yield _system("dcmtk-scu", requestor, _supports(*ACTIONS))


def _orthanc_settings(work: Path, dicom_port: int, http_port: int) -> Path:
    settings = orthanc_config(ORTHANC_AE, dicom_port, http_port, work, {})
    settings["DicomScuTimeout"] = int(TIMEOUT)
    config = work / "orthanc.json"
    config.write_text(json.dumps(settings))
    return config


def _orthanc_system(name: str, work: Path, http_port: int, dicom_port: int) -> RequestorSystem:
    rest = OrthancRest(LOOPBACK, http_port)
    instance = write_instance(work / "instance.dcm")
    uploaded = rest.upload(instance)
    requestor = OrthancRequestor(
        rest.base,
        str(uploaded["ID"]),
        dicom_address=(LOOPBACK, dicom_port),
        ae_title=ORTHANC_AE,
        study_uid=_study_of(instance),
    )
    supports = _supports("echo", "store", "find", "move")
    return RequestorSystem(
        name, LOOPBACK, dicom_port, ORTHANC_AE, supports, requestor=requestor, http_port=http_port
    )


@contextmanager
def orthanc_scu() -> Iterator[RequestorSystem]:
    """Orthanc started here (DicomScuTimeout 3 s), an SCU through its REST API."""
    binary = find_orthanc()
    with _work("orthanc") as work:
        dicom_port, http_port = free_port(), free_port()
        config = _orthanc_settings(work, dicom_port, http_port)
        log = work / "orthanc.log"
        with run_process([binary, str(config)], log_path=log, ready_line=ORTHANC_READY):
            yield _orthanc_system("orthanc-scu", work, http_port, dicom_port)


# -- containers -----------------------------------------------------------------------------------


def _docker_run(image_name: str, name: str, *options: str) -> list[str]:
    return ["docker", "run", "--rm", "--network", "host", "--name", name, *options, image_name]


def _remove_container(name: str) -> None:
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False, timeout=30)


def _container_requestor(
    image_name: str, arguments: Callable[[Request], list[str]], *options: str
) -> CommandRequestor:
    names: dict[Request, str] = {}

    def argv(request: Request) -> list[str]:
        name = f"requestor-{uuid.uuid4().hex[:12]}"
        names[request] = name
        return [*_docker_run(image_name, name, *options), *arguments(request)]

    def cleanup(request: Request) -> None:
        _remove_container(names.pop(request))

    return CommandRequestor(argv, cleanup=cleanup)


def _needs(image_name: str) -> None:
    ok, why = image_available(image_name)
    if not ok:
        raise PeerUnavailable(why)


@contextmanager
def dcmtk_scu_container() -> Iterator[RequestorSystem]:
    """DCMTK's SCU programs in the dcmtk image; the instance to store bind-mounted."""
    _needs(DCMTK_IMAGE)
    with _work("dcmtk-container") as work:
        file = write_instance(work / "instance.dcm")

        def arguments(request: Request) -> list[str]:
            return dcmtk_arguments(request, TIMEOUT, file, work)

        options = ("-e", "TCP_NODELAY=1", "-v", f"{work}:{work}")
        requestor = _container_requestor(DCMTK_IMAGE, arguments, *options)
        yield _system("dcmtk-scu/container", requestor, _supports(*ACTIONS))


def _script_container(library: str, image_name: str, name: str) -> RequestorSystem:
    peers = SCU_SCRIPT.parent

    def arguments(request: Request) -> list[str]:
        return ["/opt/scu/scu.py", *scu_script_arguments(library, request, TIMEOUT, SCU_AE)]

    options = ("-v", f"{peers}:/opt/scu:ro", "--entrypoint", "python3")
    requestor = _container_requestor(image_name, arguments, *options)
    return _system(name, requestor, _supports(*ACTIONS))


@contextmanager
def pynetdicom_scu_container() -> Iterator[RequestorSystem]:
    _needs(PYNETDICOM_IMAGE)
    yield _script_container("pynetdicom", PYNETDICOM_IMAGE, "pynetdicom-scu/container")


@contextmanager
def dicomactors_scu_container() -> Iterator[RequestorSystem]:
    """The dicomactors of the image (installed when the image was built) as SCU."""
    _needs(DICOMACTORS_IMAGE)
    yield _script_container("dicomactors", DICOMACTORS_IMAGE, "dicomactors-scu/container")


@contextmanager
def orthanc_scu_container() -> Iterator[RequestorSystem]:
    """Orthanc in the orthanc image, an SCU through its REST API."""
    with _work("orthanc-container") as work:
        dicom_port, http_port = free_port(), free_port()
        config = _orthanc_settings(work, dicom_port, http_port)
        with container(
            ORTHANC_IMAGE,
            name="orthanc-scu/container",
            port=dicom_port,
            ae_title=ORTHANC_AE,
            supports=frozenset(),
            command=["Orthanc", str(config)],
            volumes=[work],
            ready_line=ORTHANC_READY,
        ):
            yield _orthanc_system("orthanc-scu/container", work, http_port, dicom_port)


REQUESTOR_LAUNCHERS: dict[str, Launcher] = {
    "dicomactors-scu": dicomactors_scu,
    "dcmtk-scu": dcmtk_scu,
    "orthanc-scu": orthanc_scu,
    "pynetdicom-scu": pynetdicom_scu,
    "dicomactors-scu-container": dicomactors_scu_container,
    "dcmtk-scu-container": dcmtk_scu_container,
    "orthanc-scu-container": orthanc_scu_container,
    "pynetdicom-scu-container": pynetdicom_scu_container,
}
"""Name -> launcher; the local ones first, each ``NAME-container`` beside its ``NAME``."""
