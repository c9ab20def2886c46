"""The one way up: the association actor publishes immutable status snapshots and the
facade shows them, each before the event that announces it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dicomactors import AE, evt
from dicomactors.actors.status import AssociationStatus
from dicomactors.sop_class import CTImageStorage, Verification


def test_a_snapshot_is_immutable_and_replaced_whole() -> None:
    first = AssociationStatus()
    second = first._replace(established=True, local=("127.0.0.1", 1))
    assert not first.established and first.local is None
    assert second.established and second.local == ("127.0.0.1", 1)
    with pytest.raises(AttributeError):
        first.established = True  # type: ignore[misc]


def test_handlers_see_the_status_their_event_announces() -> None:
    seen: dict[str, Any] = {}
    done = threading.Event()

    def on_established(event: Any) -> None:
        assoc = event.assoc
        seen[assoc.mode] = (
            assoc.is_established,
            [c.abstract_syntax for c in assoc.accepted_contexts],
            [c.abstract_syntax for c in assoc.rejected_contexts],
            assoc.requestor.ae_title,
            assoc.acceptor.ae_title,
            assoc.remote["port"] is not None,
        )

    def on_released(event: Any) -> None:
        seen["released " + event.assoc.mode] = (
            event.assoc.is_released,
            event.assoc.is_established,
        )
        if event.assoc.is_acceptor:
            done.set()

    scp = AE("SNAPSCP")
    scp.add_supported_context(Verification)
    server = scp.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_ESTABLISHED, on_established), (evt.EVT_RELEASED, on_released)],
    )
    try:
        ae = AE("SNAPSCU")
        ae.add_requested_context(Verification)
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate(
            "127.0.0.1",
            server.port,
            ae_title="SNAPSCP",
            evt_handlers=[(evt.EVT_ESTABLISHED, on_established), (evt.EVT_RELEASED, on_released)],
        )
        assert assoc.is_established
        assoc.release()
        assert done.wait(10)
    finally:
        server.shutdown()
    expected = (True, [Verification], [CTImageStorage], "SNAPSCU", "SNAPSCP", True)
    assert seen["requestor"] == expected
    assert seen["acceptor"] == expected
    assert seen["released requestor"] == (True, False)
    assert seen["released acceptor"] == (True, False)
    assert assoc.is_released and not assoc.is_alive()
    assert assoc.close_reason


def test_a_rejection_is_shown_with_its_reasons() -> None:
    scp = AE("SNAPSCP")
    scp.add_supported_context(Verification)
    scp.require_called_aet = True
    server = scp.start_server(("127.0.0.1", 0), block=False)
    try:
        ae = AE("SNAPSCU")
        ae.add_requested_context(Verification)
        assoc = ae.associate("127.0.0.1", server.port, ae_title="SOMEONE")
    finally:
        server.shutdown()
    assert assoc.is_rejected and not assoc.is_established
    assert (assoc.result, assoc.result_source, assoc.result_reason) == (1, 1, 7)
    assert assoc.rejection is not None and assoc.rejection.reason == 7
    assert assoc.acceptor.primitive is None
