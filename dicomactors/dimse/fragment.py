"""Fragmenting one DIMSE message into P-DATA-TF PDUs (PS3.8 Annex E, PS3.7 6.3.1)."""

from __future__ import annotations

from collections.abc import Iterator

from dicomactors.filedata import FileRegion
from dicomactors.pdu.pdus import PDataTF, PresentationDataValue

__all__ = ["PDV_OVERHEAD", "fragment_message", "largest_fragment"]

PDV_OVERHEAD = 6
"""Bytes a PDV item adds to its data: item length (4), context ID (1), control header (1)."""


def _room(maximum_length: int) -> int:
    """PDV data one PDU can carry under the peer's Maximum Length Received (0: no limit)."""
    if maximum_length < 0 or 0 < maximum_length <= PDV_OVERHEAD:
        raise ValueError(f"a maximum PDU length of {maximum_length} leaves no room for PDV data")
    return maximum_length - PDV_OVERHEAD if maximum_length else 0


def largest_fragment(size: int, maximum_length: int) -> int:
    """The largest fragment :func:`fragment_message` cuts ``size`` bytes of data into."""
    room = _room(maximum_length)
    return min(size, room) if room else size


def _pdv(
    context_id: int, is_command: bool, is_last: bool, data: bytes | memoryview | FileRegion
) -> PresentationDataValue:
    # A PDV on its way out may carry a FileRegion, which the transport sends
    # (pdata_parts, send_buffers); PresentationDataValue.data is annotated for
    # received PDVs only, whose data is always bytes or a memoryview.
    return PresentationDataValue(context_id, is_command, is_last, data)  # type: ignore[arg-type]


def _fragments(
    context_id: int,
    data: bytes | memoryview | FileRegion,
    is_command: bool,
    room: int,
    *,
    last: bool = True,
) -> Iterator[PDataTF]:
    """PDUs of one PDV each for ``data``; the final one has the last-fragment bit if ``last``."""
    size = len(data)
    if room <= 0 or size <= room:
        yield PDataTF((_pdv(context_id, is_command, last, data),))
        return
    if isinstance(data, FileRegion):
        pieces = data.chunks(room)
        for piece in pieces[:-1]:
            yield PDataTF((_pdv(context_id, is_command, False, piece),))
        yield PDataTF((_pdv(context_id, is_command, last, pieces[-1]),))
        return
    for start in range(0, size, room):
        end = start + room
        pdv = PresentationDataValue(context_id, is_command, last and end >= size, data[start:end])
        yield PDataTF((pdv,))


def fragment_message(
    context_id: int,
    command: bytes,
    dataset: bytes
    | bytearray
    | memoryview
    | FileRegion
    | list[bytes | memoryview | FileRegion]
    | None,
    maximum_length: int,
) -> Iterator[PDataTF]:
    """Yield the P-DATA-TF PDUs that carry one message, one PDV in each.

    ``maximum_length`` is the peer's Maximum Length Received, which bounds
    the PDU's variable field, so each PDV carries at most
    ``maximum_length - 6`` bytes; 0 means no limit. The command set comes
    first, then the data set if there is one; only each part's final
    fragment has the last-fragment bit. Data set fragments are memoryview
    slices of ``dataset``, not copies, or sub-regions of a
    :class:`~dicomactors.filedata.FileRegion`, not read. An empty (but not ``None``) data set
    is sent as one empty last fragment so that the receiver, told by the
    command that a data set follows, still sees it end. A data set given as a
    list of pieces (a converted file: headers, then a region of Pixel Data) is
    fragmented piece by piece, no fragment spanning two pieces.
    """
    room = _room(maximum_length)
    yield from _fragments(context_id, command, True, room)
    if isinstance(dataset, list):
        pieces = [piece for piece in dataset if len(piece)] or [b""]
        for piece in pieces[:-1]:
            yield from _fragments(context_id, _viewed(piece), False, room, last=False)
        dataset = pieces[-1]
    if dataset is not None:
        yield from _fragments(context_id, _viewed(dataset), False, room)


def _viewed(
    data: bytes | bytearray | memoryview | FileRegion,
) -> memoryview | FileRegion:
    return data if isinstance(data, memoryview | FileRegion) else memoryview(data)
