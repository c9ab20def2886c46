"""The configuration each peer reads (dcmqrscp.cfg, Orthanc's JSON, the pynetdicom SCP's
arguments) and the log lines that say it is ready: shared by the local and container
launchers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


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
