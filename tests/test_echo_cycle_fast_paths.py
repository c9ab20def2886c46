"""The short cuts of the associate / C-ECHO / release cycle give what the long way gave."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pydicom import Dataset

from dicomactors.actors.transport import connect, send_buffers
from dicomactors.dataset import blank_dataset
from dicomactors.dimse import CEchoRSP, status_dataset
from dicomactors.pdu import PDUDecodeError, PDUReader
from dicomactors.scu.common import status_of as _status

# -- status data sets ----------------------------------------------------------


def test_blank_dataset_is_what_dataset_makes() -> None:
    assert blank_dataset().__dict__ == Dataset().__dict__
    assert type(blank_dataset()) is Dataset


def test_blank_datasets_share_no_containers() -> None:
    first, second = blank_dataset(), blank_dataset()
    first.PatientName = "A^B"
    first._private_blocks[(0x0009, "X")] = None  # type: ignore[index, assignment]
    assert len(second) == 0
    assert second._private_blocks == {}
    for name, value in first.__dict__.items():
        if isinstance(value, dict | list | set):
            assert value is not second.__dict__[name], name


@pytest.mark.parametrize("status", [0x0000, 0x0110, 0xA700, 0xFF00])
def test_status_only_dataset_equals_the_pydicom_way(status: int) -> None:
    expected = Dataset()
    expected.Status = status
    got = status_dataset(
        CEchoRSP(
            message_id_being_responded_to=1,
            status=status,
            affected_sop_class_uid="1.2.840.10008.1.1",
        )
    )
    assert got == expected
    assert got.Status == status
    assert got[0x00000900].VR == "US"
    assert repr(got) == repr(expected)


def _response(**details: object) -> object:
    class Received:
        message = CEchoRSP(
            message_id_being_responded_to=1,
            status=0x0110,
            affected_sop_class_uid="1.2.840.10008.1.1",
            **details,  # type: ignore[arg-type]
        )

    return Received()


@pytest.mark.parametrize(
    "details",
    [{}, {"error_comment": "broken"}, {"error_id": 7}, {"offending_element": (0x00100010,)}],
)
def test_scu_status_matches_status_dataset(details: dict[str, object]) -> None:
    """Built the pydicom way (Dataset() and attribute assignment), as before the
    short cut, the status data set is the same."""
    response = _response(**details)
    message = response.message  # type: ignore[attr-defined]
    expected = Dataset()
    expected.Status = message.status
    if message.offending_element is not None:
        expected.OffendingElement = list(message.offending_element)
    if message.error_comment is not None:
        expected.ErrorComment = message.error_comment
    if message.error_id is not None:
        expected.ErrorID = message.error_id
    assert _status(response) == expected
    assert _status(response) == status_dataset(message)


def test_scu_status_without_a_response_is_empty() -> None:
    assert _status(None) == Dataset()


# -- connect -------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server
    server.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_connect_by_address_or_name(listener: socket.socket, host: str) -> None:
    port = listener.getsockname()[1]
    sock = connect((host, port), timeout=5)
    peer, _ = listener.accept()
    try:
        assert sock.getpeername()[1] == port
        assert sock.gettimeout() is None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        sock.sendall(b"ping")
        assert peer.recv(4) == b"ping"
    finally:
        peer.close()
        sock.close()


def test_connect_to_a_closed_port_raises_oserror(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(OSError):
        connect(("127.0.0.1", port), timeout=5)


# -- send_buffers ----------------------------------------------------------------


def test_one_buffer_larger_than_the_socket_buffer_arrives_whole() -> None:
    left, right = socket.socketpair()
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    left.setblocking(False)
    data = bytes(range(256)) * 4096  # 1 MiB: many partial sends
    received = bytearray()

    def drain() -> None:
        while len(received) < len(data):
            chunk = right.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        send_buffers(left, [memoryview(bytearray(data))], timeout=10)
        reader.join(10)
    finally:
        left.close()
        right.close()
    assert bytes(received) == data


def test_one_empty_buffer_sends_nothing() -> None:
    left, right = socket.socketpair()
    try:
        send_buffers(left, [b""])
        send_buffers(left, [b"x"])
        assert right.recv(10) == b"x"
    finally:
        left.close()
        right.close()


# -- the reader's header check ---------------------------------------------------


def test_oversized_pdata_is_named_in_the_error() -> None:
    reader = PDUReader(maximum_length=100)
    with pytest.raises(PDUDecodeError, match="P-DATA-TF declares 101 bytes"):
        reader.feed(b"\x04\x00" + (101).to_bytes(4, "big"))


def test_fixed_length_pdu_with_wrong_length_is_named_in_the_error() -> None:
    with pytest.raises(PDUDecodeError, match="A-RELEASE-RQ PDU length is 5"):
        PDUReader().feed(b"\x05\x00" + (5).to_bytes(4, "big"))
