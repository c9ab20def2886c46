"""Storage service class SCP: C-STORE (PS3.4 Annex B, PS3.7 9.1.1).

The handler sees the data set decoded on demand (``event.dataset``) or the
bytes as received (``event.encoded_dataset()``), so it can write a file
without decoding and re-encoding.
"""

from __future__ import annotations

import mmap
import tempfile
from pathlib import Path
from typing import Any

from dicomactors import events as evt
from dicomactors.dimse import CStoreRQ, CStoreRSP, DatasetSink, DatasetSinkFactory
from dicomactors.dimse.commands import DIMSEMessage
from dicomactors.dimse_primitives import primitive_for
from dicomactors.services.common import run_status_handler
from dicomactors.status import Status

#: 0xA700 Out of resources; 0xC000-0xCFFF Cannot understand (PS3.4 B.2.3).
CANNOT_UNDERSTAND = 0xC000


def handle_c_store(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    context = request.context
    if request.dataset is None:
        # PS3.7 9.3.1.1 (Table 9.3-1): a C-STORE-RQ's Command Data Set Type is
        # never 0101H (no data set); there is nothing for a handler to store.
        status: int = CANNOT_UNDERSTAND
        extra: dict[str, Any] = {"error_comment": "C-STORE-RQ without a data set"}
    elif rq.affected_sop_class_uid != context.abstract_syntax:
        # The context was negotiated for another SOP Class (PS3.7 9.3.1.1, PS3.8 7.1.1.13):
        # the instance is refused before any handler sees it.
        status = Status.SOP_CLASS_NOT_SUPPORTED
        extra = {"error_comment": "not the presentation context's SOP Class"}
    else:
        status, extra = _run_handler(assoc, handlers, request)
    send(
        CStoreRSP(
            message_id_being_responded_to=rq.message_id,
            status=status,
            affected_sop_class_uid=rq.affected_sop_class_uid,
            affected_sop_instance_uid=rq.affected_sop_instance_uid,
            **extra,
        )
    )


def _run_handler(
    assoc: Any, handlers: evt.HandlerTable, request: Any
) -> tuple[int, dict[str, Any]]:
    rq = request.message
    context = request.context
    return run_status_handler(
        assoc,
        handlers,
        evt.EVT_C_STORE,
        CANNOT_UNDERSTAND,
        context=context.as_tuple,
        request=primitive_for(rq, request.dataset),
        dataset_bytes=request.dataset if request.dataset is not None else b"",
        transfer_syntax=str(context.transfer_syntax[0]),
    )


class SpoolFileSink:
    """A :class:`~dicomactors.dimse.DatasetSink` that writes a data set to a temporary file.

    The DIMSE actor hands the finished data set on as :meth:`view`: a read-only
    memory map of the file, which is unlinked at once, so the handler sees
    ordinary bytes-like data that live in the page cache rather than in the
    process's own memory, and nothing is left on disk once it is dropped.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in close/abort)
            prefix="dicomactors-", suffix=".part", dir=directory, delete=False
        )
        self.path = Path(self._file.name)
        self.size = 0

    def write(self, fragment: memoryview | bytes) -> None:
        self._file.write(fragment)
        self.size += len(fragment)

    def close(self) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def view(self) -> bytes | memoryview:
        """The data set as written: a read-only map of the file, which is unlinked."""
        try:
            if not self.size:
                return b""
            with self.path.open("rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            return memoryview(mapped)
        finally:
            self.path.unlink(missing_ok=True)


def spool_to_disk(directory: str | Path | None = None) -> DatasetSinkFactory:
    """A sink factory that streams every C-STORE data set to a file in ``directory``.

    Give it to the DIMSE actor (``DIMSEActor.start(strand, upper, sink_factory=spool_to_disk())``):
    a received instance then never sits in memory, whatever its size.
    """

    def factory(context_id: int, command: DIMSEMessage) -> DatasetSink | None:
        if isinstance(command, CStoreRQ):
            return SpoolFileSink(directory)
        return None

    return factory
