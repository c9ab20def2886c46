"""The settings of a DICOM load run: where, as whom, which services and how; parsed from
Locust's options (harness/load/options.py). No Locust here, so that it can be imported
outside a Locust process (importing Locust monkey-patches the process)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydicom.datadict import tag_for_keyword

SERVICES = ("C-ECHO", "C-STORE", "C-FIND", "C-GET", "C-MOVE")


@dataclass(frozen=True)
class LoadSettings:
    """What every user of a run does: where, as whom, which services and how."""

    host: str
    port: int
    called_aet: str = "ANY-SCP"
    calling_aet: str = "LOAD"
    services: dict[str, int] = field(default_factory=lambda: {"C-STORE": 1})
    association: str = "task"  # "task": one per task; "user": one kept per user
    max_pdu: int = 16382
    timeout: float = 30.0
    instance_bytes: int = 16384
    store_folder: Path | None = None
    find_keys: tuple[tuple[str, str], ...] = (("QueryRetrieveLevel", "STUDY"),)
    retrieve_keys: tuple[tuple[str, str], ...] = ()
    move_destination: str | None = None
    tls: ssl.SSLContext | None = None
    tls_hostname: str | None = None

    @classmethod
    def from_options(cls, options: Any, host: str | None) -> LoadSettings:
        """Settings from Locust's parsed options (see :func:`add_arguments`) and its host."""
        address = urlsplit(host if host and "//" in host else f"dicom://{host}")
        if address.hostname is None or address.port is None:
            raise ValueError(f"the host must be dicom://HOST:PORT, not {host!r}")
        return cls(
            host=address.hostname,
            port=address.port,
            called_aet=options.called_aet,
            calling_aet=options.calling_aet,
            services=parse_services(options.services),
            association=options.association,
            max_pdu=options.max_pdu,
            timeout=options.dicom_timeout,
            instance_bytes=options.instance_bytes,
            store_folder=Path(options.store_folder) if options.store_folder else None,
            find_keys=tuple(
                parse_key(key) for key in options.find_key or ["QueryRetrieveLevel=STUDY"]
            ),
            retrieve_keys=tuple(parse_key(key) for key in options.retrieve_key or []),
            move_destination=options.move_destination,
            tls=tls_context(options.dicom_tls_ca, options.dicom_tls_cert, options.dicom_tls_key),
            tls_hostname=options.dicom_tls_hostname,
        )


def parse_services(text: str) -> dict[str, int]:
    """``"store:5,echo"`` -> ``{"C-STORE": 5, "C-ECHO": 1}`` (weights of the task mix)."""
    weights: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, weight = item.partition(":")
        service = name.upper() if name.upper().startswith("C-") else f"C-{name.upper()}"
        if service not in SERVICES:
            raise ValueError(f"unknown service {name!r}: choose from {', '.join(SERVICES)}")
        weights[service] = int(weight or 1)
    if not weights or not any(weights.values()):
        raise ValueError(f"no service to run in {text!r}")
    return weights


def parse_key(text: str) -> tuple[str, str]:
    """``"PatientID=LOAD"`` -> ``("PatientID", "LOAD")``; the keyword must be pydicom's."""
    keyword, sep, value = text.partition("=")
    if not sep or not keyword:
        raise ValueError(f"a key is KEYWORD=VALUE, not {text!r}")
    if tag_for_keyword(keyword) is None:
        raise ValueError(f"{keyword!r} is not a DICOM keyword")
    return keyword, value


def tls_context(ca: str | None, cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """A client TLS context trusting ``ca``, with ``cert``/``key`` as our identity if given."""
    if not ca:
        return None
    context = ssl.create_default_context(cafile=ca)
    context.check_hostname = False
    if cert:
        context.load_cert_chain(cert, key)
    return context
