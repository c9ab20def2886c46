"""FileRegion and the sendfile path of C-STORE from a file (dicomactors/filedata.py).

The region type is checked against bytes slicing (with Hypothesis) and for its
descriptor's lifetime; ``send_buffers`` is driven over real non-blocking TCP
sockets (partial sends, a peer that closes, a peer that never reads, TLS); and
``send_c_store(path)`` is checked end to end against a dicomactors SCP and a
pynetdicom SCP at 16 KiB, 128 KiB and unlimited PDUs: the data set must arrive
byte-identical, go through ``os.sendfile`` when the fragments are large, never
be read into memory whole, and leave no descriptor open once the association ends.
"""

from __future__ import annotations

import itertools
import os
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from bench.data import write_big_instance
from dicomactors import AE, evt
from dicomactors.actors.transport import pdata_parts, send_buffers
from dicomactors.dimse import fragment_message
from dicomactors.filedata import SENDFILE_MIN, FileRegion, open_region
from dicomactors.pdu import PDataTF, encode_pdu
from dicomactors.pdu.pdus import PresentationDataValue
from dicomactors.scu.storage import read_dicom_file
from tests._peers import client_context, make_tls_files, server_context

KIB = 1024


def _file(directory: Path, data: bytes, name: str = "data.bin") -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def _fds_on(path: Path) -> int:
    """How many of this process's descriptors are open on ``path``."""
    target = os.path.realpath(path)
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == target:
                count += 1
        except OSError:
            continue  # the listing's own descriptor, gone already
    return count


def _open_fd_count(files_only: bool = False) -> int:
    """This process's open descriptors; with ``files_only``, those on files in the
    file system (not sockets, pipes or event fds, which threads open and close)."""
    names = os.listdir("/proc/self/fd")
    if not files_only:
        return len(names)
    count = 0
    for name in names:
        try:
            count += os.readlink(f"/proc/self/fd/{name}").startswith("/")
        except OSError:
            continue  # the listing's own descriptor, gone already
    return count


# -- the region type ---------------------------------------------------------------------------


def test_region_reads_slices_and_indexes_like_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    region = open_region(_file(tmp_path, data), 100)
    tail = data[100:]
    assert len(region) == len(tail)
    assert bytes(region) == region.tobytes() == tail
    assert isinstance(region[10:20], FileRegion)
    assert bytes(region[10:20]) == tail[10:20]
    assert bytes(region[-5:]) == tail[-5:]
    assert bytes(region[50:10]) == b""
    assert bytes(region[5:][5:][:3]) == tail[10:13]
    assert region[0] == tail[0] and region[-1] == tail[-1]
    with pytest.raises(IndexError):
        region[len(tail)]
    with pytest.raises(ValueError, match="step 1"):
        region[::2]
    assert region == tail and region[3:9] == region[3:9]
    assert region != data


def test_region_is_immutable(tmp_path: Path) -> None:
    region = open_region(_file(tmp_path, b"abcdef"))
    with pytest.raises(AttributeError):
        region.offset = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del region.length  # type: ignore[misc]
    assert bytes(region) == b"abcdef"


def test_chunks_cover_the_region_in_order(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    region = open_region(_file(tmp_path, data), 7)
    pieces = region.chunks(1000)
    assert [len(p) for p in pieces] == [1000] * 9 + [993]
    assert b"".join(bytes(p) for p in pieces) == data[7:]
    assert all(later.follows(earlier) for earlier, later in itertools.pairwise(pieces))
    assert bytes(pieces[2].through(pieces[4])) == data[7 + 2000 : 7 + 5000]
    assert not pieces[0].follows(pieces[2])


def test_a_shortened_file_is_an_os_error_not_short_bytes(tmp_path: Path) -> None:
    path = _file(tmp_path, b"x" * 5000)
    region = open_region(path)
    os.truncate(path, 1000)
    with pytest.raises(OSError, match="shortened"):
        region.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=3000),
    offset=st.integers(0, 50),
    slices=st.lists(
        st.tuples(st.none() | st.integers(-4000, 4000), st.none() | st.integers(-4000, 4000)),
        max_size=4,
    ),
)
def test_region_slicing_agrees_with_bytes_slicing(
    data: bytes, offset: int, slices: list[tuple[int | None, int | None]]
) -> None:
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(b"\xee" * offset + data)
        handle.flush()
        region = open_region(handle.name, offset)
        expected = data
        for start, stop in slices:
            region = region[start:stop]
            expected = expected[start:stop]
            assert len(region) == len(expected)
        assert bytes(region) == expected
        if expected:
            assert region[0] == expected[0] and region[-1] == expected[-1]


# -- the descriptor's lifetime -------------------------------------------------------------------


def test_the_file_closes_with_its_last_region_and_not_before(tmp_path: Path) -> None:
    path = _file(tmp_path, b"0123456789" * 100)
    region = open_region(path)
    piece = region[10:20]
    assert _fds_on(path) == 1
    del region
    assert _fds_on(path) == 1  # the slice keeps the file open
    assert bytes(piece) == b"0123456789"
    del piece
    assert _fds_on(path) == 0


def test_read_dicom_file_leaves_nothing_open_when_it_refuses(tmp_path: Path) -> None:
    path = _file(tmp_path, b"not DICOM at all" * 20)
    before = _open_fd_count()
    with pytest.raises(ValueError, match="not a DICOM file"):
        read_dicom_file(path)
    assert _fds_on(path) == 0
    assert _open_fd_count() == before


# -- reading only the head of a file -------------------------------------------------------------


def _element(element: int, vr: bytes, value: bytes) -> bytes:
    if vr in (b"OB", b"UN"):
        return struct.pack("<HH2s2xI", 0x0002, element, vr, len(value)) + value
    return struct.pack("<HH2sH", 0x0002, element, vr, len(value)) + value


def _uid(value: str) -> bytes:
    raw = value.encode()
    return raw + b"\x00" * (len(raw) % 2)


def test_a_file_meta_group_longer_than_the_first_read_is_walked(tmp_path: Path) -> None:
    """A 6000-byte (0002,0001) value pushes the UIDs past the first 4 KiB read."""
    instance = generate_uid()
    meta = (
        _element(0x0001, b"OB", b"\x00\x01" + b"\x00" * 5998)
        + _element(0x0002, b"UI", _uid(CTImageStorage))
        + _element(0x0003, b"UI", _uid(instance))
        + _element(0x0010, b"UI", _uid(ExplicitVRLittleEndian))
    )
    dataset = b"\x08\x00\x18\x00UI" + struct.pack("<H", len(_uid(instance))) + _uid(instance)
    path = _file(tmp_path, b"\x00" * 128 + b"DICM" + meta + dataset, "long-meta.dcm")
    sop_class, sop_instance, syntax, payload = read_dicom_file(path)
    assert (sop_class, sop_instance, syntax) == (CTImageStorage, instance, ExplicitVRLittleEndian)
    assert isinstance(payload, FileRegion)
    assert payload.offset == 132 + len(meta)
    assert bytes(payload) == dataset


def test_a_meta_element_that_overruns_the_file_is_refused(tmp_path: Path) -> None:
    meta = _element(0x0002, b"UI", _uid(CTImageStorage))
    header = struct.pack("<HH2sH", 0x0002, 0x0003, b"UI", 5000)
    path = _file(tmp_path, b"\x00" * 128 + b"DICM" + meta + header + b"1.2", "overrun.dcm")
    with pytest.raises(ValueError, match="overruns"):
        read_dicom_file(path)


def _count_pread(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every ``os.pread`` from now on."""
    sizes: list[int] = []
    real = os.pread

    def counting(fd: int, size: int, offset: int) -> bytes:
        sizes.append(size)
        return real(fd, size, offset)

    monkeypatch.setattr(os, "pread", counting)
    return sizes


def test_a_large_file_is_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_big_instance(tmp_path / "big.dcm", 2 * 512 * 512)
    read = _count_pread(monkeypatch)
    monkeypatch.setattr(Path, "read_bytes", _refuse)
    *_, payload = read_dicom_file(path)
    assert isinstance(payload, FileRegion)
    assert len(payload) > 2 * 512 * 512
    assert sum(read) <= 4 * KIB


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the file was read whole")


# -- send_buffers over real sockets --------------------------------------------------------------


@pytest.fixture
def connected() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A TCP connection on loopback: (non-blocking sender, blocking receiver), small buffers.

    64 KiB, not less: with buffers of a few KiB loopback TCP crawls (about 7 s per MiB,
    sendmsg or sendfile alike) on delayed window updates.
    """
    with socket.create_server(("127.0.0.1", 0)) as server:
        receiver = socket.create_connection(server.getsockname())
        sender, _ = server.accept()
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KIB)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * KIB)
    sender.setblocking(False)
    try:
        yield sender, receiver
    finally:
        sender.close()
        receiver.close()


def _drain(sock: socket.socket, size: int) -> tuple[threading.Thread, bytearray]:
    got = bytearray()

    def run() -> None:
        while len(got) < size:
            chunk = sock.recv(65536)
            if not chunk:
                return
            got.extend(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, got


def _count_sendfile(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"calls": 0, "short": 0, "blocked": 0}
    real = os.sendfile

    def counting(out: int, source: int, offset: int | None, count: int) -> int:
        counts["calls"] += 1
        try:
            sent = real(out, source, offset, count)
        except BlockingIOError:
            counts["blocked"] += 1
            raise
        counts["short"] += sent < count
        return sent

    monkeypatch.setattr(os, "sendfile", counting)
    return counts


def test_send_buffers_sends_regions_with_sendfile_through_partial_sends(
    tmp_path: Path, connected: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, receiver = connected
    data = os.urandom(3 * 1024 * KIB)
    region = open_region(_file(tmp_path, data))
    buffers: list[Any] = [
        b"head",
        region[: 1024 * KIB],
        memoryview(b"between"),
        region[1024 * KIB : 1024 * KIB + 100],  # under SENDFILE_MIN: read, not sendfile'd
        region[1024 * KIB + 100 :],
        b"tail",
    ]
    expected = b"".join(bytes(b) for b in buffers)
    counts = _count_sendfile(monkeypatch)
    thread, got = _drain(receiver, len(expected))
    send_buffers(sender, buffers, timeout=10)
    thread.join(10)
    assert bytes(got) == expected
    assert counts["calls"] >= 2
    assert counts["short"] + counts["blocked"] > 0  # the small buffers forced partial sends


def test_contiguous_small_regions_are_read_once(
    tmp_path: Path, connected: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, receiver = connected
    data = os.urandom(200 * KIB)
    region = open_region(_file(tmp_path, data))
    parts: list[Any] = []
    for pdu in fragment_message(1, b"C" * 20, region, 16 * KIB):
        parts.extend(pdata_parts(pdu))
    expected = b"".join(bytes(p) for p in parts)
    reads = _count_pread(monkeypatch)
    counts = _count_sendfile(monkeypatch)
    thread, got = _drain(receiver, len(expected))
    send_buffers(sender, parts, timeout=10)
    thread.join(10)
    assert bytes(got) == expected
    assert reads == [len(data)] and counts["calls"] == 0


def test_a_peer_that_closes_mid_send_is_an_os_error(
    tmp_path: Path, connected: tuple[socket.socket, socket.socket]
) -> None:
    sender, receiver = connected
    region = open_region(_file(tmp_path, os.urandom(4 * 1024 * KIB)))

    def close_after_first_bytes() -> None:
        receiver.recv(1)
        # Closed with unread data (and no linger): the sender sees a reset.
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        receiver.close()

    closer = threading.Thread(target=close_after_first_bytes, daemon=True)
    closer.start()
    with pytest.raises(OSError):
        send_buffers(sender, [b"x", region], timeout=10)
    closer.join(10)


def test_a_peer_that_never_reads_times_out(
    tmp_path: Path, connected: tuple[socket.socket, socket.socket]
) -> None:
    sender, _ = connected
    region = open_region(_file(tmp_path, os.urandom(8 * 1024 * KIB)))
    with pytest.raises(TimeoutError):
        send_buffers(sender, [region], timeout=0.2)


def test_tls_sockets_get_the_region_bytes(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    data = os.urandom(300 * KIB)
    region = open_region(_file(tmp_path, data))
    with socket.create_server(("127.0.0.1", 0)) as server:
        raw = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
    got = bytearray()
    size = 4 + len(data) + 4

    def serve() -> None:
        with server_context(files).wrap_socket(accepted, server_side=True) as tls_server:
            while len(got) < size:
                chunk = tls_server.recv(65536)
                if not chunk:
                    return
                got.extend(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with client_context(files).wrap_socket(raw, server_hostname="localhost") as tls_client:
        assert isinstance(tls_client, ssl.SSLSocket)
        send_buffers(tls_client, [b"head", region[:SENDFILE_MIN], region[SENDFILE_MIN:], b"tail"])
        thread.join(10)
    assert bytes(got) == b"head" + data + b"tail"


def test_a_pdu_of_several_pdvs_is_encoded_with_the_region_bytes(tmp_path: Path) -> None:
    data = os.urandom(1000)
    region = open_region(_file(tmp_path, data))
    with_region = PDataTF(
        (
            PresentationDataValue(1, True, True, b"command"),
            PresentationDataValue(1, False, True, region[100:600]),  # type: ignore[arg-type]
        )
    )
    with_bytes = PDataTF(
        (
            PresentationDataValue(1, True, True, b"command"),
            PresentationDataValue(1, False, True, data[100:600]),
        )
    )
    assert pdata_parts(with_region) == [encode_pdu(with_bytes)]


# -- C-STORE from a file, end to end ---------------------------------------------------------------

PDU_SIZES = [16 * KIB, 128 * KIB, 512 * KIB, 0]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CT file of about 1.5 MiB: 3 PDUs of 512 KiB, or 12 of 128 KiB, each with a short
    last one."""
    return write_big_instance(tmp_path_factory.mktemp("filedata") / "ct.dcm", 3 * 512 * 512 * 2)


def _dataset_bytes(path: Path) -> bytes:
    *_, payload = read_dicom_file(path)
    return bytes(payload)


def _store_with(
    port: int, path: Path, ssl_context: ssl.SSLContext | None = None
) -> tuple[int, int]:
    """C-STORE ``path``; (status, descriptors left open on the file after release)."""
    ae = AE(ae_title="FILESCU")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    tls = (ssl_context, "localhost") if ssl_context is not None else None
    assoc = ae.associate("127.0.0.1", port, ae_title="FILESCP", tls_args=tls)
    assert assoc.is_established
    try:
        status = assoc.send_c_store(str(path)).Status
    finally:
        assoc.release()
    return status, _fds_on(path)


def _our_scp(max_pdu: int, received: list[bytes], ssl_context: ssl.SSLContext | None = None) -> Any:
    def on_store(event: Any) -> int:
        received.append(event.encoded_dataset(include_meta=False))
        return 0x0000

    ae = AE(ae_title="FILESCP")
    ae.maximum_pdu_size = max_pdu
    ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
        ssl_context=ssl_context,
    )
    assert server is not None
    return server


def _pynetdicom_scp(max_pdu: int, received: list[bytes]) -> Any:
    from pynetdicom import AE as PynetdicomAE
    from pynetdicom import evt as pynetdicom_evt

    def on_store(event: Any) -> int:
        received.append(event.request.DataSet.getvalue())
        return 0x0000

    ae = PynetdicomAE(ae_title="FILESCP")
    ae.maximum_pdu_size = max_pdu
    ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian)
    return ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(pynetdicom_evt.EVT_C_STORE, on_store)],
    )


@pytest.mark.parametrize("max_pdu", PDU_SIZES, ids=["16KiB", "128KiB", "512KiB", "unlimited"])
@pytest.mark.parametrize("scp", [_our_scp, _pynetdicom_scp], ids=["dicomactors", "pynetdicom"])
def test_a_file_arrives_byte_identical(
    instance: Path,
    max_pdu: int,
    scp: Callable[[int, list[bytes]], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[bytes] = []
    server = scp(max_pdu, received)
    counts = _count_sendfile(monkeypatch)
    monkeypatch.setattr(Path, "read_bytes", _refuse)
    try:
        status, left_open = _store_with(server.server_address[1], instance)
    finally:
        server.shutdown()
    assert status == 0x0000
    monkeypatch.undo()
    assert received == [_dataset_bytes(instance)]
    assert left_open == 0
    if 0 < max_pdu - 6 < SENDFILE_MIN:
        assert counts["calls"] == 0  # fragments under SENDFILE_MIN go as bytes
    else:
        assert counts["calls"] > 0


def test_no_descriptor_outlives_the_association(instance: Path) -> None:
    received: list[bytes] = []
    server = _our_scp(512 * KIB, received)
    try:
        _store_with(server.server_address[1], instance)  # threads and pools warmed up
        before = _open_fd_count(files_only=True)
        for _ in range(3):
            status, left_open = _store_with(server.server_address[1], instance)
            assert (status, left_open) == (0x0000, 0)
        # Sockets of the in-process SCP close on its own threads: files are what we count.
        assert _open_fd_count(files_only=True) == before
    finally:
        server.shutdown()
    assert len(received) == 4


def test_a_file_over_tls_arrives_byte_identical(instance: Path, tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    received: list[bytes] = []
    server = _our_scp(512 * KIB, received, server_context(files))
    try:
        status, left_open = _store_with(server.server_address[1], instance, client_context(files))
    finally:
        server.shutdown()
    assert (status, left_open) == (0x0000, 0)
    assert received == [_dataset_bytes(instance)]
