"""The SCU side of the Storage service (PS3.4 B): C-STORE of a data set or of a file.

A file's data set is never decoded by pydicom when it can be helped
(:func:`read_dicom_file` reads only the File Meta Information): it is sent as
stored when its transfer syntax was accepted, from the file to the socket with
``os.sendfile`` when the peer's PDUs are large enough for that to pay, and
otherwise converted at the element-header level (:mod:`dicomactors.store_payload`).
"""

from __future__ import annotations

import itertools
import os
import stat
import struct
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from pydicom import Dataset, dcmread
from pydicom.uid import UID

from dicomactors.aetitle import AETitleLike, normalize_ae_title
from dicomactors.dimse import CStoreRQ
from dicomactors.dimse.fragment import largest_fragment
from dicomactors.filedata import SENDFILE_MIN, FileRegion, open_region
from dicomactors.scu.common import last_response, status_of
from dicomactors.scu.window import NoResponseError
from dicomactors.store_payload import dataset_payload, file_payload
from dicomactors.transcode import Buffer, TranscodeError

#: VRs whose explicit-VR element header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2).
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_META_UIDS = {0x0002: "sop_class", 0x0003: "sop_instance", 0x0010: "transfer_syntax"}


#: Bytes read first from a file to send: the preamble and any usual File Meta Information.
_HEAD = 4096


def read_dicom_file(path: str | Path) -> tuple[str, str, str, FileRegion | memoryview]:
    """(SOP class, SOP instance, transfer syntax, data set) of a DICOM file.

    The data set is returned exactly as stored, after the File Meta
    Information, so it can be sent without decoding and re-encoding. For a
    regular file it is a :class:`~dicomactors.filedata.FileRegion`, never
    read here: only the head of the file is, and the region goes to the
    socket with ``os.sendfile``. The File Meta Information (always Explicit
    VR Little Endian, PS3.10 7.1) is walked element by element: building a
    pydicom data set for three UIDs cost more than sending a 512 KiB instance.
    """
    whole = open_region(path)
    if stat.S_ISREG(os.fstat(whole.fileno()).st_mode):
        found, offset = _walk_file_meta(path, _HeadReader(whole), len(whole))
        dataset: FileRegion | memoryview = whole[offset:]
    else:  # a pipe or a device: no size known beforehand, no sendfile; read it all
        data = Path(path).read_bytes()
        found, offset = _walk_file_meta(path, lambda end: data, len(data))
        dataset = memoryview(data)[offset:]
    return found["sop_class"], found["sop_instance"], found["transfer_syntax"], dataset


class _HeadReader:
    """The first bytes of a file, read ``_HEAD`` at a time and more only when asked for."""

    def __init__(self, region: FileRegion) -> None:
        self._region = region
        self._head = region[:_HEAD].tobytes()

    def __call__(self, end: int) -> bytes:
        if end > len(self._head) and len(self._head) < len(self._region):
            self._head = self._region[: max(end, 2 * len(self._head))].tobytes()
        return self._head


def _walk_file_meta(
    path: str | Path, fetch: Callable[[int], bytes], size: int
) -> tuple[dict[str, str], int]:
    """The File Meta UIDs and the offset of the data set after them.

    ``fetch(end)`` gives the file's first bytes, at least ``end`` of them if
    the file has that many; the values of elements other than the UIDs are
    skipped, never read.
    """
    data = fetch(144)
    if size < 144 or data[128:132] != b"DICM":
        raise ValueError(f"{path} is not a DICOM file with a preamble and File Meta Information")
    found: dict[str, str] = {}
    offset = 132
    while offset + 8 <= size:
        data = fetch(offset + 12)
        group, element = struct.unpack_from("<HH", data, offset)
        if group != 0x0002:
            break
        vr = data[offset + 4 : offset + 6]
        if vr in _LONG_VRS:
            if offset + 12 > size:
                break
            (length,) = struct.unpack_from("<I", data, offset + 8)
            value_start = offset + 12
        else:
            (length,) = struct.unpack_from("<H", data, offset + 6)
            value_start = offset + 8
        if length == 0xFFFFFFFF or value_start + length > size:
            raise ValueError(f"{path}: element (0002,{element:04X}) overruns the file")
        name = _META_UIDS.get(element)
        if name is not None:
            raw = fetch(value_start + length)[value_start : value_start + length]
            found[name] = raw.rstrip(b"\x00 ").decode("ascii", "replace")
        offset = value_start + length
    missing = [name for name in _META_UIDS.values() if not found.get(name)]
    if missing:
        raise ValueError(f"{path}: the File Meta Information lacks {', '.join(missing)}")
    return found, offset


def c_store(
    assoc: Any,
    dataset: Dataset | str | Path,
    msg_id: int,
    priority: int,
    originator_aet: AETitleLike | None,
    originator_id: int | None,
    wait: bool = True,
) -> Dataset | Future[Dataset]:
    """The status of the C-STORE, or with ``wait=False`` a future of it (sent through
    the association's operations window, :mod:`dicomactors.scu.window`)."""
    context_id, request, encoded = _store_request(
        assoc, dataset, msg_id, priority, originator_aet, originator_id
    )
    window = assoc._window
    if wait and not window.outstanding:
        return status_of(last_response(assoc._request(context_id, request, encoded)))
    future = window.submit(assoc, context_id, request, encoded, status_of)
    if not wait:
        return future
    return _status_or_empty(window, assoc, future)


def store_many(
    assoc: Any,
    datasets: Iterable[Dataset | str | Path],
    priority: int,
    originator_aet: AETitleLike | None,
    originator_id: int | None,
) -> list[Dataset]:
    """C-STORE each data set or file, keeping the operations window full; the statuses
    in the order given (an empty Dataset for a request the association ended before
    answering). Message IDs are numbered here, skipping those still outstanding."""
    window = assoc._window
    numbers = _message_ids(window)
    sent: deque[Future[Dataset]] = deque()
    statuses: list[Dataset] = []
    for dataset in datasets:
        context_id, request, encoded = _store_request(
            assoc, dataset, next(numbers), priority, originator_aet, originator_id
        )
        try:
            sent.append(window.submit(assoc, context_id, request, encoded, status_of))
        except NoResponseError:
            statuses.append(Dataset())
        while sent and sent[0].done():
            statuses.append(_status_or_empty(window, assoc, sent.popleft()))
    statuses.extend(_status_or_empty(window, assoc, future) for future in sent)
    return statuses


def _message_ids(window: Any) -> Iterator[int]:
    """1, 2, ... 65535, 1, ...: Message IDs no outstanding request has."""
    for number in itertools.cycle(range(1, 0x10000)):
        if not window.is_outstanding(number):
            yield number


def _status_or_empty(window: Any, assoc: Any, future: Future[Dataset]) -> Dataset:
    try:
        status: Dataset = window.result(assoc, future)
    except NoResponseError:
        return Dataset()
    return status


def _store_request(
    assoc: Any,
    dataset: Dataset | str | Path,
    msg_id: int,
    priority: int,
    originator_aet: AETitleLike | None,
    originator_id: int | None,
) -> tuple[int, CStoreRQ, Buffer | list[Buffer]]:
    """(context ID, C-STORE-RQ, data set to send) for a data set or a file."""
    assoc._check_established()
    if isinstance(dataset, str | Path):
        sop_class, sop_instance, syntax, payload = read_dicom_file(dataset)
        context = assoc._context_for(sop_class, syntax)
        accepted = str(context.transfer_syntax[0])
        encoded: Buffer | list[Buffer]
        encoded = _file_payload(assoc, dataset, payload, syntax, accepted)
    elif isinstance(dataset, Dataset):
        if "SOPClassUID" not in dataset or "SOPInstanceUID" not in dataset:
            raise AttributeError(
                "the dataset to store needs SOPClassUID and SOPInstanceUID elements"
            )
        sop_class, sop_instance = str(dataset.SOPClassUID), str(dataset.SOPInstanceUID)
        syntax = None
        meta = getattr(dataset, "file_meta", None)
        if meta is not None and "TransferSyntaxUID" in meta:
            syntax = str(meta.TransferSyntaxUID)
        context = assoc._context_for(sop_class, syntax)
        accepted = str(context.transfer_syntax[0])
        encoded = _outgoing(assoc, _encode_for(dataset, accepted, syntax))
    else:
        raise TypeError(f"send_c_store takes a pydicom Dataset or a file path, not {dataset!r}")

    request = CStoreRQ(
        message_id=assoc._message_id(msg_id),
        affected_sop_class_uid=sop_class,
        affected_sop_instance_uid=sop_instance,
        priority=priority,
        move_originator_application_entity_title=(
            normalize_ae_title(originator_aet) if originator_aet is not None else None
        ),
        move_originator_message_id=originator_id,
    )
    return context.context_id, request, encoded


def _sendfile_pays(assoc: Any, size: int) -> bool:
    """Whether the data set's PDV fragments are big enough for ``os.sendfile`` to pay.

    Fragments smaller than ``SENDFILE_MIN`` (a small data set, or a peer whose
    Maximum Length Received is small) cost less read at once and sent as bytes.
    """
    peer = assoc.acceptor if assoc.is_requestor else assoc.requestor
    return largest_fragment(size, peer.maximum_length or 0) >= SENDFILE_MIN


def _file_payload(
    assoc: Any, path: str | Path, stored: FileRegion | memoryview, syntax: str, accepted: str
) -> Buffer | list[Buffer]:
    """A file's data set for the accepted syntax: as stored, or converted without decoding.

    Only a file that cannot be converted at the element-header level (one the
    converter finds malformed, or in a compressed syntax) is read by pydicom.
    """
    try:
        pieces = file_payload(stored, syntax, accepted)
    except TranscodeError:
        pieces = None
    if pieces is None:
        return _outgoing(assoc, _encode_for(dcmread(path), accepted, syntax))
    return _outgoing(assoc, pieces)


def _outgoing(assoc: Any, pieces: list[Buffer]) -> Buffer | list[Buffer]:
    """The pieces to send, file regions read where ``os.sendfile`` would not pay."""
    out = [
        piece.tobytes()
        if type(piece) is FileRegion and not _sendfile_pays(assoc, len(piece))
        else piece
        for piece in pieces
    ]
    return out[0] if len(out) == 1 else out


def _encode_for(ds: Dataset, accepted: str, own: str | None) -> list[Buffer]:
    compressed = UID(accepted).is_compressed or (own is not None and UID(own).is_compressed)
    if compressed and own != accepted:
        raise ValueError(
            f"the data set is in {own} but the accepted transfer syntax is {accepted}:"
            " compressed data is sent as it is, never transcoded"
        )
    return dataset_payload(ds, accepted)
