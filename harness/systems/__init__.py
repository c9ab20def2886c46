"""Systems under test: DICOM nodes started on loopback (or in containers) for the tests to
talk to.

Each system is described by one frozen `SystemUnderTest` (where it listens, its AE title and
what it supports). The launchers are context managers: they start the peer on a free
127.0.0.1 port, wait until it listens (its log line, or the port in LISTEN state; never a
blind sleep), yield its `SystemUnderTest` and stop it afterwards (terminate, wait, kill on
timeout), removing the temporary directories they made.

- `base`: `SystemUnderTest`, `Capability`, images, ports and readiness;
- `processes`: starting and stopping a local process;
- `peer_config`: each peer's configuration, shared by local and container launchers;
- `local`: `dcmtk_storescp`, `dcmtk_dcmqrscp`, `orthanc`, `pynetdicom_scp`;
- `containers`: `container` and the ``*_container`` variants, `docker_available`;
- `orthanc_rest`: `OrthancRest`.
"""

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
    PYNETDICOM_SCP_SCRIPT,
    PYNETDICOM_SERVICES,
    START_TIMEOUT,
    STOP_TIMEOUT,
    STORESCP_SUPPORTS,
    Capability,
    PeerStartError,
    PeerUnavailable,
    SystemUnderTest,
    free_port,
    is_listening,
    wait_until_listening,
)
from harness.systems.containers import (
    container,
    dcmtk_dcmqrscp_container,
    dcmtk_storescp_container,
    dicomactors_container,
    docker_available,
    image_available,
    orthanc_container,
    pynetdicom_container,
)
from harness.systems.local import (
    dcmtk_dcmqrscp,
    dcmtk_storescp,
    find_dcmtk_tool,
    find_orthanc,
    fragile_scp,
    local_available,
    orthanc,
    pynetdicom_scp,
)
from harness.systems.orthanc_rest import OrthancRest
from harness.systems.peer_config import (
    ORTHANC_READY,
    PYNETDICOM_READY,
    dcmqrscp_config,
    orthanc_config,
    pynetdicom_scp_argv,
)
from harness.systems.processes import RunningProcess, run_process, stop_process, work_dir

__all__ = [
    "DCMQRSCP_SUPPORTS",
    "DCMTK_ENV",
    "DCMTK_IMAGE",
    "DICOMACTORS_IMAGE",
    "DICOMACTORS_SUPPORTS",
    "LOOPBACK",
    "ORTHANC_IMAGE",
    "ORTHANC_READY",
    "ORTHANC_SUPPORTS",
    "PYNETDICOM_IMAGE",
    "PYNETDICOM_READY",
    "PYNETDICOM_SCP_SCRIPT",
    "PYNETDICOM_SERVICES",
    "START_TIMEOUT",
    "STOP_TIMEOUT",
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
    "find_orthanc",
    "fragile_scp",
    "free_port",
    "image_available",
    "is_listening",
    "local_available",
    "orthanc",
    "orthanc_config",
    "orthanc_container",
    "pynetdicom_container",
    "pynetdicom_scp",
    "pynetdicom_scp_argv",
    "run_process",
    "stop_process",
    "wait_until_listening",
    "work_dir",
]
