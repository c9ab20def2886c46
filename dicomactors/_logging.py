"""``debug_logger()``: show everything dicomactors logs, as pynetdicom's does; and
``log_pdus(directory)``: keep the raw PDU stream of each association in files.

The DUL logs each PDU twice: a summary on ``dicomactors.dul`` (what ``debug_logger()``
shows), and its bytes on ``dicomactors.pdus``, which stays silent (and costs nothing)
until :func:`log_pdus` gives it a handler. Each association then gets two files in the
directory, ``<process>-<association>.sent.pdus`` and ``.received.pdus``: the PDUs one after
the other, as on the wire (a received PDU is encoded again from what was decoded, so one
the decoder refused is not in the stream). :func:`read_pdu_log` reads one back; a scripted
peer (``harness.script.SendBytes``) can replay it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from dicomactors.pdu import PDU, PDUReader

PDU_LOGGER_NAME = "dicomactors.pdus"

# Apart from the ``dicomactors`` logs: debug_logger() must not turn it on.
_pdu_logger = logging.getLogger(PDU_LOGGER_NAME)
_pdu_logger.propagate = False
_pdu_logger.setLevel(logging.WARNING)


def debug_logger() -> None:
    """Send the ``dicomactors`` logs at DEBUG level to stderr (once)."""
    logger = logging.getLogger("dicomactors")
    if not any(getattr(h, "_dicomactors", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname).1s: %(name)s: %(message)s"))
        handler._dicomactors = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


class PDUFileHandler(logging.Handler):
    """Appends each logged PDU's bytes to its association's file for its direction."""

    def __init__(self, directory: Path) -> None:
        super().__init__(logging.DEBUG)
        self.directory = directory
        self._files_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        data = getattr(record, "pdu_bytes", None)
        if data is None:
            return
        name = f"{os.getpid()}-{record.association}.{record.direction}.pdus"  # type: ignore[attr-defined]
        try:
            with self._files_lock, (self.directory / name).open("ab") as out:
                out.write(data)
        except OSError:
            self.handleError(record)


def log_pdus(directory: str | Path) -> PDUFileHandler:
    """Write the raw PDU stream of every association from now on to ``directory``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    handler = PDUFileHandler(folder)
    _pdu_logger.addHandler(handler)
    _pdu_logger.setLevel(logging.DEBUG)
    return handler


def read_pdu_log(path: str | Path) -> list[PDU]:
    """The PDUs of a file :func:`log_pdus` wrote, in order."""
    reader = PDUReader()
    return reader.feed(Path(path).read_bytes())


#: The DUL's test before it gathers a PDU's bytes for :func:`log_pdu_bytes`.
PDU_LOGGER = _pdu_logger


def log_pdu_bytes(association: str, direction: str, data: bytes) -> None:
    """Log one PDU's bytes (``direction``: "sent" or "received") for :func:`log_pdus`."""
    _pdu_logger.debug(
        "%s: %s %d bytes",
        association,
        direction,
        len(data),
        extra={"association": association, "direction": direction, "pdu_bytes": data},
    )
