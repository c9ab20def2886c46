"""Cut a byte stream into PDUs, bounded by the lengths this node accepts.

A TCP stream carries PDUs back to back, split anywhere. :class:`PDUReader` takes the
bytes in whatever pieces they come and hands back whole decoded PDUs. It reads each
6-byte header first and refuses a PDU whose declared length is above the cap for its
type before it allocates anything for it, so a peer cannot make this node reserve
4 GiB by sending six bytes.

Two ways in:

- ``feed(data)`` for bytes already received (tests, a peer written with asyncio).
- ``recv_buffer()`` and ``advance(n)`` for a socket thread using ``sock.recv_into``:
  small PDUs are read many at a time into a fixed scratch buffer; once a header shows a
  large PDU (64 KiB or more) that is not already complete, the reader allocates one
  bytearray of exactly that PDU's size and ``recv_buffer()`` hands out its free space,
  so a large P-DATA-TF body is received in place, never grown or copied per chunk, and
  its PDVs are memoryview slices of that bytearray.

A P-DATA-TF that is one data set fragment alone is not kept as a PDU at all: its
fragment goes straight after the previous one of its data set in a buffer of the
:class:`~dicomactors.pdu.gather.DataGatherer` (received there in place, or copied
there from the scratch buffer), so a data set arrives already joined; the fragments
that one receive completes come up as one PDV spanning them.

A third way in, ``recv_buffers()`` and ``advance(n)`` for ``sock.recvmsg_into``,
receives most fragments of such a run in place even when many PDUs come in one
receive: the reader predicts that the next PDUs are fragments of the same size on
the same context and hands out, in one list, a 12-byte header area and the next
fragment's slot in the gather buffer, again and again, then the scratch buffer.
``advance`` compares each header received with the prediction: a fragment whose
header matches is already in place; from the first that does not (a shorter last
fragment, a command, an A-ABORT, anything), the bytes are copied out and cut the
ordinary way, with every check.

After a :class:`PDUDecodeError` the stream is out of step and the association must be
aborted, so the reader raises again on any further use.
"""

from __future__ import annotations

import struct

from dicomactors.pdu.codec import PDU_HEADER, PDU_HEADER_LENGTH, PDV_HEADER, decode_pdu
from dicomactors.pdu.errors import PDUDecodeError
from dicomactors.pdu.gather import GATHER_LIMIT, DataGatherer
from dicomactors.pdu.pdus import PDU, AbortReason, PDataTF, PDUType

__all__ = [
    "DEFAULT_MAXIMUM_LENGTH",
    "DEFAULT_MAX_ASSOCIATE_LENGTH",
    "PDUReader",
]

DEFAULT_MAXIMUM_LENGTH = 16 * 1024 * 1024 + PDU_HEADER_LENGTH
"""Cap on the PDU-length field of a P-DATA-TF: 16 MiB, plus slack for peers that count
the 6-byte header in the negotiated maximum length."""

DEFAULT_MAX_ASSOCIATE_LENGTH = 1024 * 1024
"""Cap on the PDU-length field of an A-ASSOCIATE-RQ or -AC."""

_SCRATCH_SIZE = 256 * 1024
_FIRST_SCRATCH_SIZE = 16 * 1024
"""The scratch buffer starts small (most associations exchange a few small PDUs) and
grows to ``_SCRATCH_SIZE`` the first time a receive fills it."""
_IN_PLACE_SIZE = 64 * 1024
"""A PDU at least this long that is not complete in the scratch buffer gets its own
buffer and is received in place; a smaller one waits in the scratch buffer, so that
one ``recv`` can bring many small PDUs."""
_FIXED_LENGTH = 4
"""A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT always have a PDU length of 4."""

_SCATTER_MIN = 8 * 1024
"""Fragments at least this long are predicted for a scatter receive (``recv_buffers``)."""
_SCATTER_PAIRS = 64
"""At most this many predicted fragments per scatter receive (two buffers each)."""

_GATHER_HEADER = PDU_HEADER_LENGTH + PDV_HEADER.size
"""A P-DATA-TF's header and that of its first PDV item: enough to tell whether its
data goes to the :class:`DataGatherer`."""
_KNOWN_TYPES = frozenset(PDUType)
# Plain ints: the header check runs for every PDU, and enum lookups cost more than it.
_P_DATA_TF = int(PDUType.P_DATA_TF)
_DATA_HEADER = struct.Struct(">BxIIBB")
"""A one-PDV P-DATA-TF's PDU and PDV headers: type, PDU length, item length, context,
message control header."""
_ASSOCIATE_TYPES = frozenset({int(PDUType.A_ASSOCIATE_RQ), int(PDUType.A_ASSOCIATE_AC)})


def _type_name(pdu_type: int) -> str:
    return PDUType(pdu_type).name.replace("_", "-")


class PDUReader:
    """Incremental PDU reader (PS3.8 9.3.1 framing).

    ``maximum_length`` caps the PDU-length field of a P-DATA-TF (the bytes after the
    6-byte header; the value a negotiated maximum length applies to, PS3.8 D.1) and
    ``max_associate_length`` that of an A-ASSOCIATE-RQ/AC. Both are plain attributes:
    the DUL may lower ``maximum_length`` once it has negotiated a maximum length.
    Data sets up to ``gather_limit`` bytes are received back to back in one buffer
    (:mod:`dicomactors.pdu.gather`).
    """

    def __init__(
        self,
        maximum_length: int = DEFAULT_MAXIMUM_LENGTH,
        max_associate_length: int = DEFAULT_MAX_ASSOCIATE_LENGTH,
        gather_limit: int = GATHER_LIMIT,
    ) -> None:
        self.maximum_length = maximum_length
        self.max_associate_length = max_associate_length
        self._scratch = bytearray(_FIRST_SCRATCH_SIZE)
        self._scratch_view = memoryview(self._scratch)
        self._scratch_filled = 0
        # The PDU being received in place, header included, once its header is known
        # and it was not complete in the scratch buffer.
        self._body: bytearray | None = None
        self._body_filled = 0
        # Data set fragments go back to back in one buffer (pdu.gather); the one being
        # received in place, its bytes so far and its last-fragment flag:
        self._gather = DataGatherer(gather_limit)
        self._slot: memoryview | None = None
        self._slot_filled = 0
        self._slot_last = False
        # The buffers of the last recv_buffers() when they were a scatter receive.
        self._scatter: _Scatter | None = None
        self._error: PDUDecodeError | None = None

    @property
    def buffered(self) -> int:
        """Bytes of a PDU received so far but not yet complete (0 between PDUs)."""
        if self._slot is not None:
            return _GATHER_HEADER + self._slot_filled
        if self._body is not None:
            return self._body_filled
        return self._scratch_filled

    def feed(self, data: bytes | bytearray | memoryview) -> list[PDU]:
        """Take the next bytes of the stream; return the PDUs they complete, in order."""
        source = memoryview(data).cast("B")
        pdus: list[PDU] = []
        while source:
            space = self.recv_buffer()
            count = min(len(space), len(source))
            space[:count] = source[:count]
            source = source[count:]
            pdus.extend(self.advance(count))
        return pdus

    def recv_buffer(self) -> memoryview:
        """Writable space for the next bytes of the stream, e.g. for ``sock.recv_into``.

        Write into it, then call :meth:`advance` with the number of bytes written,
        before asking for the next buffer.
        """
        self._raise_if_failed()
        self._scatter = None
        if self._slot is not None:
            return self._slot[self._slot_filled :]
        if self._body is not None:
            return memoryview(self._body)[self._body_filled :]
        return self._scratch_view[self._scratch_filled :]

    def advance(self, count: int) -> list[PDU]:
        """Account for ``count`` bytes written into the last :meth:`recv_buffer`, or
        across the last :meth:`recv_buffers` in their order."""
        self._raise_if_failed()
        if self._scatter is not None:
            return self._advance_scatter(count)
        slot = self._slot
        body = self._body
        if slot is not None:
            space = len(slot) - self._slot_filled
        elif body is not None:
            space = len(body) - self._body_filled
        else:
            space = len(self._scratch) - self._scratch_filled
        if not 0 <= count <= space:
            raise ValueError(f"advance({count}) is more than the buffer handed out")
        if slot is not None:
            self._slot_filled += count
            if self._slot_filled < len(slot):
                return []
            self._slot = None
            done = self._gather.finish(self._slot_last, len(slot)) or self._gather.flush()
            return [done] if done is not None else []
        if body is None:
            return self._advance_scratch(count)
        try:
            self._body_filled += count
            if self._body_filled < len(body):
                return []
            self._body = None
            return [self._decode(body)]
        except PDUDecodeError as exc:
            self._error = exc
            raise

    def _advance_scratch(self, count: int) -> list[PDU]:
        try:
            self._scratch_filled += count
            full = self._scratch_filled == len(self._scratch)
            pdus = self._cut_scratch()
            if full and len(self._scratch) < _SCRATCH_SIZE:
                self._grow_scratch()
            return pdus
        except PDUDecodeError as exc:
            self._error = exc
            raise

    def recv_buffers(self) -> list[memoryview]:
        """Writable space for the next bytes of the stream, as buffers to fill in order,
        e.g. for ``sock.recvmsg_into``; then call :meth:`advance` with the total written.

        Usually one buffer, :meth:`recv_buffer`. In a run of data set fragments (see
        :mod:`dicomactors.pdu.gather`) the next PDUs are predicted to be more fragments
        of the same size: the buffers are then a 12-byte header area and the next
        fragment's slot in the gather buffer, repeated, then the scratch buffer, so that
        one receive puts every fragment in place. :meth:`advance` checks each header:
        from the first that is not the predicted one, the bytes are cut the ordinary way.
        """
        buffer = self.recv_buffer()
        if self._body is not None or self._scratch_filled:
            return [buffer]
        slot = self._slot
        if slot is not None:
            if self._slot_last:
                return [buffer]
            size = len(slot)
            skip = size
        else:
            size = self._gather.open_fragment_size
            skip = 0
        if size < _SCATTER_MIN or size + 6 > self.maximum_length:
            return [buffer]
        context_id, slots = self._gather.ahead(skip, size, _SCATTER_PAIRS)
        if not slots:
            return [buffer]
        headers = memoryview(bytearray(_GATHER_HEADER * len(slots)))
        buffers = [buffer] if slot is not None else []
        for index, fragment in enumerate(slots):
            buffers.append(headers[index * _GATHER_HEADER : (index + 1) * _GATHER_HEADER])
            buffers.append(fragment)
        buffers.append(self._scratch_view)
        self._scatter = _Scatter(
            buffers,
            slot is not None,
            _DATA_HEADER.pack(_P_DATA_TF, size + 6, size + 2, context_id, 0),
            _DATA_HEADER.pack(_P_DATA_TF, size + 6, size + 2, context_id, 2),
        )
        return buffers

    def _advance_scatter(self, count: int) -> list[PDU]:
        scatter = self._scatter
        assert scatter is not None
        self._scatter = None
        buffers = scatter.buffers
        if not 0 <= count <= sum(len(b) for b in buffers):
            raise ValueError(f"advance({count}) is more than the buffers handed out")
        gather = self._gather
        left = count
        index = 0
        if scatter.in_slot:
            head = buffers[0]
            taken = min(left, len(head))
            left -= taken
            self._slot_filled += taken
            if taken < len(head):
                return []
            assert self._slot is not None
            gather.finish(False, len(self._slot))
            self._slot = None
            index = 1
        last_pair = len(buffers) - 1  # the scratch buffer comes after the pairs
        while index < last_pair and left:
            header = buffers[index]
            if left < _GATHER_HEADER:
                break
            is_last = header == scatter.last_header
            if not is_last and header != scatter.header:
                break
            fragment = buffers[index + 1]
            size = len(fragment)
            left -= _GATHER_HEADER
            index += 2
            if left < size:
                self._slot = fragment
                self._slot_filled = left
                self._slot_last = is_last
                left = 0
                break
            left -= size
            done = gather.finish(is_last, size)
            if done is not None:
                # The data set is complete: what follows is cut the ordinary way.
                if not left:
                    return [done]
                if index == last_pair:
                    return [done, *self._advance_scratch(left)]
                return [done, *self._spill(buffers, index, left)]
        if index < last_pair and left:
            return self._spill(buffers, index, left)
        if left:
            # Every prediction held: the rest is in the scratch buffer, as after recv_into.
            return self._advance_scratch(left)
        done = gather.flush()
        return [done] if done is not None else []

    def _spill(self, buffers: list[memoryview], index: int, count: int) -> list[PDU]:
        """The ``count`` bytes received from ``buffers[index]`` on, which were not the
        predicted fragments, cut the ordinary way (they are copied out first: the gather
        buffer they partly sit in is the one the next fragments are laid in)."""
        parts = []
        for buffer in buffers[index:]:
            if not count:
                break
            part = buffer[:count]
            parts.append(part)
            count -= len(part)
        # The fragments finished in place so far are handed up by the cut, before
        # any PDU it decodes.
        return self.feed(b"".join(parts))

    def _grow_scratch(self) -> None:
        bigger = bytearray(_SCRATCH_SIZE)
        bigger[: self._scratch_filled] = self._scratch_view[: self._scratch_filled]
        self._scratch_view.release()
        self._scratch = bigger
        self._scratch_view = memoryview(bigger)

    def _cut_scratch(self) -> list[PDU]:
        view = self._scratch_view
        end = self._scratch_filled
        start = 0
        pdus: list[PDU] = []
        while start < end:
            available = end - start
            # The type is in the first byte: refuse an unknown one without waiting for more.
            if view[start] not in _KNOWN_TYPES:
                raise PDUDecodeError(
                    0,
                    f"unrecognized PDU type 0x{view[start]:02X}",
                    AbortReason.UNRECOGNIZED_PDU,
                )
            if available < PDU_HEADER_LENGTH:
                break
            pdu_type, length = PDU_HEADER.unpack_from(view, start)
            self._check_length(pdu_type, length)
            total = PDU_HEADER_LENGTH + length
            if pdu_type == _P_DATA_TF and total > _GATHER_HEADER:
                if available < _GATHER_HEADER:
                    break
                taken = self._gather_from_scratch(view, start, available, length)
                if taken is True:  # the rest of its fragment is received in place
                    start = end
                    continue
                if taken is not False:
                    if taken is not None:
                        pdus.append(taken)
                    start += total
                    continue
            if available >= total:
                self._flush_gathered(pdus)
                # Copied out: the scratch buffer is reused by the next receive.
                pdus.append(self._decode(bytes(view[start : start + total])))
                start += total
            elif total < _IN_PLACE_SIZE:
                break
            else:
                self._flush_gathered(pdus)
                body = bytearray(total)
                body[:available] = view[start:end]
                self._body = body
                self._body_filled = available
                start = end
        self._flush_gathered(pdus)
        remaining = end - start
        if remaining and start:
            self._scratch[:remaining] = self._scratch[start:end]
        self._scratch_filled = remaining
        return pdus

    def _flush_gathered(self, pdus: list[PDU]) -> None:
        """Hand up the gathered fragments not yet handed up, before any other PDU."""
        span = self._gather.flush()
        if span is not None:
            pdus.append(span)

    def _gather_from_scratch(
        self, view: memoryview, start: int, available: int, length: int
    ) -> PDataTF | bool | None:
        """Give the P-DATA-TF at ``start`` to the gatherer if it is one data fragment
        alone and return: if it is complete here, the data set's PDU when it was the
        last fragment, else None (handed up later, see ``_flush_gathered``); True if the
        rest of its fragment is to be received in place; False if it is not one to
        gather (cut as usual)."""
        item_length, context_id, control = PDV_HEADER.unpack_from(view, start + PDU_HEADER_LENGTH)
        if item_length != length - 4 or control & 1:
            return False  # several PDVs, or a command fragment
        size = item_length - 2
        have = min(available - _GATHER_HEADER, size)
        if have < size and PDU_HEADER_LENGTH + length < _IN_PLACE_SIZE:
            return False  # a small one waits in the scratch buffer for its rest
        is_last = bool(control & 2)
        slot = self._gather.slot(size, is_last, context_id)
        if slot is None:
            return False
        first = start + _GATHER_HEADER
        slot[:have] = view[first : first + have]
        if have == size:
            return self._gather.finish(is_last, size)
        self._slot = slot
        self._slot_filled = have
        self._slot_last = is_last
        return True

    def _decode(self, buffer: bytes | bytearray) -> PDU:
        pdu = decode_pdu(buffer)
        if type(pdu) is PDataTF:
            self._gather.note(pdu.pdvs)
        return pdu

    def _check_length(self, pdu_type: int, length: int) -> None:
        if pdu_type == _P_DATA_TF:
            cap, name = self.maximum_length, "maximum_length"
        elif pdu_type in _ASSOCIATE_TYPES:
            cap, name = self.max_associate_length, "max_associate_length"
        else:
            if length != _FIXED_LENGTH:
                raise PDUDecodeError(
                    2,
                    f"{_type_name(pdu_type)} PDU length is {length}, expected 4",
                    AbortReason.INVALID_PDU_PARAMETER_VALUE,
                )
            return
        if length > cap:
            raise PDUDecodeError(
                2,
                f"{_type_name(pdu_type)} declares {length} bytes, above {name} {cap}",
                AbortReason.INVALID_PDU_PARAMETER_VALUE,
            )

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error = self._error
            raise PDUDecodeError(
                error.offset, f"reader failed earlier: {error.reason}", error.abort_reason
            )


class _Scatter:
    """The buffers of a scatter receive and the headers predicted in them."""

    __slots__ = ("buffers", "header", "in_slot", "last_header")

    def __init__(
        self, buffers: list[memoryview], in_slot: bool, header: bytes, last_header: bytes
    ) -> None:
        self.buffers = buffers
        # buffers[0] is the rest of a fragment being received in place.
        self.in_slot = in_slot
        self.header = header
        self.last_header = last_header
