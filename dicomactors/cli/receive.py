"""Received C-STOREs to a directory, for ``store-scp`` and ``get``: a safe file layout.

A file's path is built only from UIDs that match the UID grammar of PS3.5 9.1
(:func:`~dicomactors.apps.qrscp.is_valid_uid`), so no peer can write outside the
directory: ``DIR/<SOP Instance UID>.dcm``, or with ``by_study``
``DIR/<Study Instance UID>/<SOP Instance UID>.dcm``. An instance with an invalid UID is
refused (0xA900) and nothing is written. Each file is written under a temporary name and
renamed, so a file under its final name is always complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from pydicom import Dataset

from dicomactors.apps.qrscp import is_valid_uid
from dicomactors.status import StorageStatus

LOGGER = logging.getLogger("dicomactors.cli")


def _refusal(code: int, comment: str) -> Dataset:
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment[:64]
    return status


class Receiver:
    """An ``EVT_C_STORE`` handler that writes what arrives to ``folder`` (or drops it)."""

    def __init__(self, folder: Path | None, *, by_study: bool = False) -> None:
        self.folder = folder.resolve() if folder is not None else None
        self.by_study = by_study
        self.received = 0
        self.bytes = 0
        self.refused = 0
        self.paths: list[Path] = []
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> int | Dataset:
        request = event.request
        sop_instance = str(request.affected_sop_instance_uid)
        if not is_valid_uid(sop_instance) or not is_valid_uid(str(request.affected_sop_class_uid)):
            return self._refuse(f"invalid SOP UIDs ({sop_instance[:40]!r})")
        data = event.encoded_dataset(include_meta=True)
        path = None
        if self.folder is not None:
            try:
                path = self._path_for(event, sop_instance)
            except ValueError as why:
                return self._refuse(str(why))
            _write_atomically(path, data)
        with self._lock:
            self.received += 1
            self.bytes += len(data)
            if path is not None:
                self.paths.append(path)
        LOGGER.info("stored %s from %s", path or sop_instance, event.assoc.requestor.ae_title)
        return 0x0000

    def _path_for(self, event: Any, sop_instance: str) -> Path:
        assert self.folder is not None
        folder = self.folder
        if self.by_study:
            study = str(event.dataset.get("StudyInstanceUID", ""))
            if not is_valid_uid(study):
                raise ValueError(f"invalid Study Instance UID {study[:40]!r}")
            folder = folder / study
        path = (folder / f"{sop_instance}.dcm").resolve()
        if not path.is_relative_to(self.folder):  # cannot happen with valid UIDs
            raise ValueError(f"{path} is outside {self.folder}")
        return path

    def _refuse(self, why: str) -> Dataset:
        with self._lock:
            self.refused += 1
        LOGGER.warning("C-STORE refused: %s", why)
        return _refusal(StorageStatus.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, why)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
