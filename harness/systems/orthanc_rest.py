"""Orthanc's REST API, the few calls the tests need."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from harness.systems.base import SystemUnderTest


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
