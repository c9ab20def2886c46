"""Lay the data set fragments of a DIMSE message back to back as they are received.

A data set larger than the maximum PDU comes as a run of P-DATA-TF PDUs, each
normally one PDV: ``PDU header (6) | PDV header (6) | fragment``. Cut the
ordinary way, every fragment lives in its own PDU buffer and the message is
joined into one more copy at its end. :class:`DataGatherer` instead gives the
:class:`~dicomactors.pdu.reader.PDUReader` a slot for each fragment right
after the previous one in a single buffer, so a fragment is written once (by
``recv_into``, or from the reader's scratch buffer) and the last fragment's
PDV carries ``joined``: the whole data set, a view of that buffer, with no
join left to do (PS3.8 E.2: a message's fragments come in order, with no
fragment of another message in between).

It only gathers a data set that it has seen from its first fragment, and only
fragments that fill their PDU alone; any other PDV (a command fragment, a PDU
with several PDVs) ends the run, and the message is joined as before. Runs
stop growing at ``limit`` bytes: beyond that, the DIMSE assembler gathers the
data set its own way (see :data:`dicomactors.dimse.reassembly.SPILL_SIZE`).
"""

from __future__ import annotations

from collections.abc import Iterable

from dicomactors.pdu.pdus import PDataTF, PresentationDataValue

__all__ = ["DataGatherer"]

GATHER_LIMIT = 8 * 1024 * 1024
"""The largest data set laid out in one buffer; the DIMSE assembler spills a larger one
into a bytearray of its own (``dimse.reassembly.SPILL_SIZE`` is this value)."""

_SLACK = 64 * 1024
"""A finished data set whose buffer is more than this and an eighth too large is
copied to its size, so that a view does not keep much unused memory alive."""


class DataGatherer:
    """Buffers for runs of one-PDV data fragments; see the module docstring.

    Fragments written one after the other are handed up as one PDV spanning
    them (:meth:`finish` and :meth:`flush`): they are contiguous already, and
    the layers above then see one fragment per receive rather than one per PDU.
    """

    def __init__(self, limit: int = GATHER_LIMIT) -> None:
        self.limit = limit
        self._view: memoryview | None = None  # the open run's buffer
        self._filled = 0
        self._context_id = 0
        # Where the fragments written but not yet handed up begin.
        self._span_start = 0
        # A data set has begun (its last fragment not seen yet), gathered or not.
        self._open = False
        # Size of the last data set gathered: the first guess for the next one.
        self._guess = 0
        # Size of the open run's last fragment: the guess for its next one.
        self._last_size = 0

    def slot(self, size: int, is_last: bool, context_id: int) -> memoryview | None:
        """Where the next data fragment of ``size`` bytes goes, or None: not gathered.

        The caller writes the fragment there, then calls :meth:`finish`.
        """
        if self._view is None:
            if self._open or size > self.limit:
                return None  # joined the ordinary way: begun earlier, or too large
            capacity = size if is_last else min(max(self._guess, 2 * size), self.limit)
            self._view = memoryview(bytearray(capacity))
            self._filled = self._span_start = 0
            self._context_id = context_id
        elif context_id != self._context_id:
            return None  # another context mid-message: the assembler refuses it
        end = self._filled + size
        if end > self.limit:
            return None  # this fragment and the rest: the ordinary way (note() ends the run)
        if end > len(self._view):
            bigger = bytearray(min(max(2 * len(self._view), end), self.limit))
            bigger[: self._filled] = self._view[: self._filled]
            self._view = memoryview(bigger)
        return self._view[self._filled : end]

    def finish(self, is_last: bool, size: int) -> PDataTF | None:
        """The fragment just written into the last :meth:`slot` is complete: the PDU of
        the whole data set's span if it was the last one, else None (see :meth:`flush`)."""
        self._filled += size
        if not is_last:
            self._open = True
            self._last_size = size
            return None
        assert self._view is not None
        joined = self._view[: self._filled]
        if len(self._view) - self._filled > max(_SLACK, self._filled // 8):
            joined = memoryview(bytes(joined))
        pdu = self._span(True, joined)
        self._guess = self._filled
        self._open = False
        self._close()
        return pdu

    @property
    def open_fragment_size(self) -> int:
        """The size of the open run's last fragment (0: no run open, nothing to predict)."""
        return self._last_size if self._open and self._view is not None else 0

    def ahead(self, skip: int, size: int, count: int) -> tuple[int, list[memoryview]]:
        """The open run's context and slots for up to ``count`` more fragments of ``size``
        bytes, the first ``skip`` bytes past those written, within the buffer as it is.

        For a receive that writes fragments before their PDU headers are read: the
        caller takes each one that proves to be this run's next fragment with
        :meth:`finish`, in order, and ignores the rest.
        """
        view = self._view
        assert view is not None
        start = self._filled + skip
        fit = min(count, (len(view) - start) // size) if size else 0
        ends = range(start + size, start + (fit + 1) * size, size)
        return self._context_id, [view[end - size : end] for end in ends]

    def flush(self) -> PDataTF | None:
        """The fragments written since the last PDU handed up, as one PDV (None: none)."""
        if self._view is None or self._span_start == self._filled:
            return None
        return self._span(False, None)

    def note(self, pdvs: Iterable[PresentationDataValue]) -> None:
        """PDVs cut the ordinary way, in stream order (after a :meth:`flush`): they end
        any run."""
        for pdv in pdvs:
            if self._view is not None:
                self._close()
            self._open = not pdv.is_command and not pdv.is_last

    def _span(self, is_last: bool, joined: memoryview | None) -> PDataTF:
        assert self._view is not None
        data = self._view[self._span_start : self._filled]
        self._span_start = self._filled
        pdv = PresentationDataValue(self._context_id, False, is_last, data, joined)
        return PDataTF((pdv,))

    def _close(self) -> None:
        self._view = None
        self._filled = self._span_start = 0
