"""Reassembling DIMSE messages from the PDVs of P-DATA-TF PDUs (PS3.8 Annex E).

A message is its command set fragments, the last one flagged, then (when
the command's Command Data Set Type says so) its data set fragments, the
last one flagged, all on one presentation context and with no fragment of
another message in between (PS3.7 6.3.1, PS3.8 E.2). The assembler keeps
data set fragments as the memoryviews the PDU decoder produced and joins
them once when the last one arrives (a data set that came in one fragment is
handed on as that view, not copied; one whose fragments the PDU reader laid
back to back, see :mod:`dicomactors.pdu.gather`, as the reader's view of them
all), or hands each to a sink as it comes so
that a large data set can be streamed to disk. A data set that grows past
``SPILL_SIZE`` is instead appended to one bytearray as its fragments arrive,
so that each received PDU can be freed at once and the whole message is
never held twice (fragments plus the joined copy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Never, Protocol

from dicomactors.dimse.commands import DIMSEMessage, decode_command
from dicomactors.dimse.errors import DIMSEDecodeError, DIMSEProtocolError
from dicomactors.pdu.gather import GATHER_LIMIT
from dicomactors.pdu.pdus import PDataTF, PresentationDataValue

__all__ = [
    "AssembledMessage",
    "DatasetSink",
    "DatasetSinkFactory",
    "MessageAssembler",
]


class DatasetSink(Protocol):
    """Receives the data set fragments of one message as they arrive."""

    def write(self, fragment: memoryview | bytes) -> None:
        """Take the next fragment; it may be a view into a PDU buffer, so copy it now."""

    def close(self) -> None:
        """The last fragment has been written."""

    def abort(self) -> None:
        """The message will never complete: discard what was written."""


SPILL_SIZE = GATHER_LIMIT
"""Above this many bytes a data set is gathered in one growing bytearray (see above);
the PDU reader lays data sets out back to back up to the same size."""

DatasetSinkFactory = Callable[[int, DIMSEMessage], DatasetSink | None]
"""Called with (context ID, command) once a command that has a data set is
complete; returns a sink to stream that data set into, or None to keep it in
memory."""


@dataclass(frozen=True, slots=True)
class AssembledMessage:
    """One complete DIMSE message.

    ``dataset`` is the encoded data set, or None if the command has none or
    it went to ``sink`` (already closed by then). A large one is a memoryview
    of the bytearray it was gathered in (never copied into bytes, see
    :data:`SPILL_SIZE`).
    """

    context_id: int
    command: DIMSEMessage
    dataset: bytes | memoryview | None
    sink: DatasetSink | None = None


class MessageAssembler:
    """Turns a stream of PDVs into complete messages, one at a time.

    Any :class:`~dicomactors.dimse.errors.DIMSEError` leaves the assembler
    empty (an open sink is aborted), ready for the next message, though the
    association is normally aborted after one.
    """

    def __init__(self, dataset_sink_factory: DatasetSinkFactory | None = None) -> None:
        self._sink_factory = dataset_sink_factory
        self._context_id: int | None = None
        self._command_parts: list[bytes | memoryview] = []
        self._command: DIMSEMessage | None = None
        self._dataset_parts: list[bytes | memoryview] = []
        self._dataset_size = 0
        self._spilled: bytearray | None = None
        self._sink: DatasetSink | None = None

    @property
    def in_progress(self) -> bool:
        """True between the first fragment of a message and its last."""
        return self._context_id is not None

    def add_pdata(self, pdu: PDataTF) -> list[AssembledMessage]:
        """Feed every PDV of one P-DATA-TF; return the messages it completed."""
        return self.add_all(pdu.pdvs)

    def add_all(self, pdvs: Iterable[PresentationDataValue]) -> list[AssembledMessage]:
        done = []
        for pdv in pdvs:
            message = self.add(pdv)
            if message is not None:
                done.append(message)
        return done

    def add(self, pdv: PresentationDataValue) -> AssembledMessage | None:
        """Feed one PDV; return the message it completes, if it completes one."""
        if self._context_id is None:
            self._context_id = pdv.context_id
        elif pdv.context_id != self._context_id:
            self._fail(
                f"fragment for presentation context {pdv.context_id} in the middle of "
                f"a message on context {self._context_id}"
            )
        if pdv.is_command:
            return self._add_command(pdv)
        return self._add_dataset(pdv)

    def abort(self) -> None:
        """Drop any partial message, aborting its sink (e.g. on A-ABORT)."""
        sink = self._sink
        self._reset()
        if sink is not None:
            sink.abort()

    def _add_command(self, pdv: PresentationDataValue) -> AssembledMessage | None:
        if self._command is not None:
            self._fail(
                f"command fragment arrived while the data set of "
                f"{type(self._command).__name__} was expected"
            )
        self._command_parts.append(pdv.data)
        if not pdv.is_last:
            return None
        parts = self._command_parts
        encoded = parts[0] if len(parts) == 1 else b"".join(parts)
        try:
            command = decode_command(encoded)
        except DIMSEDecodeError:
            self.abort()
            raise
        context_id = pdv.context_id
        if not command.has_dataset:
            self._reset()
            return AssembledMessage(context_id, command, None)
        self._command = command
        self._command_parts = []
        if self._sink_factory is not None:
            try:
                self._sink = self._sink_factory(context_id, command)
            except OSError as exc:
                self._fail(f"no place to stream the data set to: {exc}")
        return None

    def _add_dataset(self, pdv: PresentationDataValue) -> AssembledMessage | None:
        command = self._command
        if command is None:
            if self._command_parts:
                self._fail("data set fragment before the command set was complete")
            self._fail("data set fragment with no command set before it")
        sink = self._sink
        if sink is not None:
            try:
                sink.write(pdv.data)
            except OSError as exc:  # e.g. the disk is full: the message cannot be had
                self._fail(f"the data set could not be streamed: {exc}")
        elif self._spilled is not None:
            self._spilled += pdv.data
        else:
            self._dataset_parts.append(pdv.data)
            self._dataset_size += len(pdv.data)
            if self._dataset_size > SPILL_SIZE:
                spilled = bytearray()
                for part in self._dataset_parts:
                    spilled += part
                self._spilled = spilled
                self._dataset_parts = []
        if not pdv.is_last:
            return None
        context_id = pdv.context_id
        if sink is not None:
            self._reset()
            try:
                sink.close()
            except OSError as exc:
                sink.abort()
                raise DIMSEProtocolError(f"the data set could not be streamed: {exc}") from exc
            return AssembledMessage(context_id, command, None, sink)
        gathered = self._spilled
        parts = self._dataset_parts
        joined = pdv.joined
        dataset: bytes | memoryview
        if gathered is not None:
            dataset = memoryview(gathered)
        elif joined is not None and len(joined) == self._dataset_size:
            # The reader received the fragments back to back (pdu.gather): no join.
            dataset = joined
        elif len(parts) == 1:
            # The whole data set came in one PDV: hand on its view of the PDU, uncopied.
            dataset = parts[0]
        else:
            dataset = b"".join(parts)
        self._reset()
        return AssembledMessage(context_id, command, dataset)

    def _fail(self, reason: str) -> Never:
        self.abort()
        raise DIMSEProtocolError(reason)

    def _reset(self) -> None:
        self._context_id = None
        self._command_parts = []
        self._command = None
        self._dataset_parts = []
        self._dataset_size = 0
        self._spilled = None
        self._sink = None
