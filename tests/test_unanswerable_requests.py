"""Issue 14, defects 1 and 4: every request gets an answer, and only a whole one reaches a handler.

1. A C-ECHO-RQ or C-STORE-RQ whose UID holds a non-ASCII byte decodes, but the
   response that echoes the UID cannot be encoded. It was logged and dropped,
   and the peer waited forever; now a Processing failure (0110H) goes instead.
   The same holds for a handler's own status whose Error Comment cannot be
   encoded.
4. A C-STORE-RQ whose Command Data Set Type says "no data set" reached the
   handler with 0 bytes and got its 0x0000; now it gets 0xC000 and the handler
   is never called (PS3.7 9.3.1.1: a C-STORE-RQ always has a data set).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom import Dataset
from pydicom.uid import CTImageStorage, generate_uid

from dicomactors import AE, evt
from dicomactors.dataset import encode_dataset
from dicomactors.dimse import CEchoRQ, CStoreRQ, encode_command
from dicomactors.dimse.substitute import PROCESSING_FAILURE
from dicomactors.sop_class import VerificationSOPClass
from dicomactors.status import StorageStatus
from tests.reliability.rawpeer import RawPeer

ECHO_CONTEXT, STORE_CONTEXT = 1, 3


def _non_ascii(command: bytes, uid: str) -> bytes:
    """``command`` with the last character of ``uid`` replaced by 0xEF (same length)."""
    raw = uid.encode()
    assert raw in command
    return command.replace(raw, raw[:-1] + b"\xef")


class Node:
    """A dicomactors SCP whose handlers record that they ran."""

    def __init__(self, echo_handler: bool, store_status: Any = 0x0000) -> None:
        self.calls: list[str] = []
        self.ae = AE(ae_title="DA_SCP")
        self.ae.add_supported_context(VerificationSOPClass)
        self.ae.add_supported_context(CTImageStorage)
        self.ae.acse_timeout = 5
        handlers: list[Any] = [(evt.EVT_C_STORE, self._on_store(store_status))]
        if echo_handler:
            handlers.append((evt.EVT_C_ECHO, self._on_echo))
        self.server = self.ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        self.port = self.server.server_address[1]

    def _on_echo(self, event: evt.Event) -> int:
        self.calls.append("echo")
        return 0x0000

    def _on_store(self, status: Any) -> Any:
        def handler(event: evt.Event) -> Any:
            self.calls.append("store")
            return status

        return handler

    def peer(self) -> RawPeer:
        return RawPeer(self.port, (VerificationSOPClass, CTImageStorage), called="DA_SCP")

    def close(self) -> None:
        self.server.shutdown()
        self.ae.shutdown()


@pytest.fixture
def node() -> Iterator[Node]:
    running = Node(echo_handler=False)
    yield running
    running.close()


def _store_rq(sop_instance: str, has_dataset: bool = True) -> bytes:
    return encode_command(
        CStoreRQ(
            message_id=7,
            affected_sop_class_uid=CTImageStorage,
            affected_sop_instance_uid=sop_instance,
            has_dataset=has_dataset,
        )
    )


def _dataset(sop_instance: str, syntax: str) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_instance
    ds.PatientName = "Doe^John"
    return encode_dataset(ds, syntax)


def _answered(peer: RawPeer, status: int) -> None:
    outcome = peer.outcome(timeout=10)
    assert outcome.response is not None, f"no response: {outcome}"
    assert outcome.response.status == status  # type: ignore[attr-defined]
    # The association still serves a well-formed request afterwards.
    peer.send_command(encode_command(CEchoRQ(9, VerificationSOPClass)), ECHO_CONTEXT)
    after = peer.outcome(timeout=10)
    assert after.response is not None and after.response.status == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("echo_handler", [False, True], ids=["no-handler", "handler"])
def test_c_echo_with_a_non_ascii_uid_is_answered(echo_handler: bool) -> None:
    node = Node(echo_handler)
    try:
        peer = node.peer()
        command = encode_command(CEchoRQ(1, VerificationSOPClass))
        peer.send_command(_non_ascii(command, VerificationSOPClass), ECHO_CONTEXT)
        _answered(peer, PROCESSING_FAILURE)
        peer.close()
    finally:
        node.close()


def test_c_store_with_a_non_ascii_uid_is_answered(node: Node) -> None:
    peer = node.peer()
    uid = generate_uid()
    dataset = _dataset(uid, peer.accepted[STORE_CONTEXT])
    peer.send_command(_non_ascii(_store_rq(uid), uid), STORE_CONTEXT, dataset)
    _answered(peer, PROCESSING_FAILURE)
    peer.close()


def test_a_handler_status_that_cannot_be_encoded_is_answered() -> None:
    status = Dataset()
    status.Status = 0xA700
    status.ErrorComment = "plus de ressources: disque plein à 100 %"
    node = Node(echo_handler=False, store_status=status)
    try:
        peer = node.peer()
        uid = generate_uid()
        peer.send_command(
            _store_rq(uid), STORE_CONTEXT, _dataset(uid, peer.accepted[STORE_CONTEXT])
        )
        _answered(peer, PROCESSING_FAILURE)
        assert node.calls == ["store"]
        peer.close()
    finally:
        node.close()


def test_c_store_without_a_data_set_never_reaches_the_handler(node: Node) -> None:
    peer = node.peer()
    peer.send_command(_store_rq(generate_uid(), has_dataset=False), STORE_CONTEXT)
    _answered(peer, StorageStatus.CANNOT_UNDERSTAND)
    assert node.calls == []
    peer.close()
