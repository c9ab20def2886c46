"""C-CANCEL, handler statuses and pynetdicom as peer: SCU and SCP on both sides."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset
from pynetdicom import AE as PynetdicomAE
from pynetdicom import build_role as pynetdicom_role
from pynetdicom import evt as pevt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    CTImageStorage,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from dicomactors import events as evt
from dicomactors.ae import AE
from dicomactors.apps.qrscp import QRSCP
from tests.test_qr_support import corpus, query, running_qrscp, scu_ae, store_all

pytestmark = pytest.mark.timeout(60)
ENDLESS = 100_000


def _endless_matches(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    """Matches without end until the request is cancelled (then the cancel status)."""
    for number in range(ENDLESS):
        if event.is_cancelled:
            yield 0xFE00, None
            return
        match = Dataset()
        match.QueryRetrieveLevel = "STUDY"
        match.StudyInstanceUID = f"1.2.3.{number}"
        yield 0xFF00, match


def _one_match_then_cancel(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    """One match, then wait for the C-CANCEL as a long query would.

    pynetdicom's own SCP reads a C-CANCEL only between the responses its DUL sends: with
    an endless flood of matches queued, it reads ours after the flood (seen here on an
    idle machine). ``event.is_cancelled`` is the flag pynetdicom offers (no callback),
    so the handler looks at it until the deadline."""
    match = Dataset()
    match.QueryRetrieveLevel = "STUDY"
    match.StudyInstanceUID = "1.2.3.1"
    yield 0xFF00, match
    pause = threading.Event()
    deadline = time.monotonic() + 30
    cancelled = False  # pynetdicom's is_cancelled takes the C-CANCEL: read it once a turn
    while not cancelled and time.monotonic() < deadline:
        cancelled = event.is_cancelled or pause.wait(0.01)
    yield (0xFE00 if cancelled else 0xC000), None


def _cancel_after_first(assoc: Any) -> list[int]:
    statuses = []
    for status, _ in assoc.send_c_find(query("STUDY", StudyInstanceUID=""), "S", msg_id=7):
        statuses.append(int(status.Status))
        if len(statuses) == 1:
            assoc.send_c_cancel(7)
    return statuses


def test_cancel_a_find_against_our_scp() -> None:
    ae = AE("DASCP")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, _endless_matches)]
    )
    assert server is not None
    try:
        assoc = scu_ae().associate("127.0.0.1", server.port, ae_title="DASCP")
        assert assoc.is_established
        try:
            statuses = _cancel_after_first(assoc)
        finally:
            assoc.release()
    finally:
        server.shutdown()
    assert statuses[-1] == 0xFE00
    assert len(statuses) < ENDLESS
    assert set(statuses[:-1]) == {0xFF00}


def test_cancel_a_find_against_pynetdicom() -> None:
    ae = PynetdicomAE(ae_title="PYNETDICOM")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(pevt.EVT_C_FIND, _one_match_then_cancel)]
    )
    assert server is not None
    try:
        assoc = scu_ae().associate("127.0.0.1", server.server_address[1], ae_title="PYNETDICOM")
        assert assoc.is_established
        try:
            statuses = _cancel_after_first(assoc)
        finally:
            assoc.release()
    finally:
        server.shutdown()
    assert statuses == [0xFF00, 0xFE00]


def test_pynetdicom_scu_cancels_a_find_against_our_scp() -> None:
    ae = AE("DASCP")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, _endless_matches)]
    )
    assert server is not None
    try:
        scu = PynetdicomAE(ae_title="PYSCU")
        scu.add_requested_context(StudyRootQueryRetrieveInformationModelFind)
        assoc = scu.associate("127.0.0.1", server.port, ae_title="DASCP")
        assert assoc.is_established
        statuses = []
        context_id = assoc.accepted_contexts[0].context_id
        try:
            for status, _ in assoc.send_c_find(
                query("STUDY", StudyInstanceUID=""), StudyRootQueryRetrieveInformationModelFind,
                msg_id=3,
            ):  # fmt: skip
                statuses.append(int(status.Status))
                if len(statuses) == 1:
                    assoc.send_c_cancel(3, context_id)
        finally:
            assoc.release()
    finally:
        server.shutdown()
    assert statuses[-1] == 0xFE00


def test_pynetdicom_scu_finds_and_gets_from_our_qrscp(tmp_path: Path) -> None:
    data = corpus()
    with running_qrscp(tmp_path / "store") as qrscp:
        store_all(qrscp.port, data)
        ae = PynetdicomAE(ae_title="PYSCU")
        ae.add_requested_context(PatientRootQueryRetrieveInformationModelFind)
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
        for uid in (CTImageStorage, MRImageStorage):
            ae.add_requested_context(uid)
        received: list[str] = []

        def on_store(event: Any) -> int:
            received.append(str(event.dataset.SOPInstanceUID))
            return 0x0000

        roles: list[Any] = [
            pynetdicom_role(uid, scp_role=True) for uid in (CTImageStorage, MRImageStorage)
        ]
        assoc = ae.associate(
            "127.0.0.1", qrscp.port, ae_title="QRSCP", ext_neg=roles,
            evt_handlers=[(pevt.EVT_C_STORE, on_store)],
        )  # fmt: skip
        assert assoc.is_established
        try:
            found = list(
                assoc.send_c_find(
                    query("PATIENT", PatientID="", PatientName="*"),
                    PatientRootQueryRetrieveInformationModelFind,
                )
            )
            study = str(data[0].StudyInstanceUID)
            got = list(
                assoc.send_c_get(
                    query("STUDY", StudyInstanceUID=study),
                    StudyRootQueryRetrieveInformationModelGet,
                )
            )
        finally:
            assoc.release()
    assert found[-1][0].Status == 0x0000
    assert {str(i.PatientID) for _, i in found[:-1] if i is not None} == {"PID001", "PID002"}
    assert got[-1][0].Status == 0x0000
    assert sorted(received) == sorted(
        str(ds.SOPInstanceUID) for ds in data if ds.StudyInstanceUID == study
    )


def test_get_without_the_storage_role_counts_failures(tmp_path: Path) -> None:
    """A sub-operation whose context is not there fails; the final status is 0xB000."""
    data = corpus()
    with running_qrscp(tmp_path / "store") as qrscp:
        store_all(qrscp.port, data)
        assoc = scu_ae().associate("127.0.0.1", qrscp.port, ae_title="QRSCP")  # no roles
        assert assoc.is_established
        study = str(data[0].StudyInstanceUID)
        try:
            results = list(assoc.send_c_get(query("STUDY", StudyInstanceUID=study), "S"))
        finally:
            assoc.release()
    expected = {str(ds.SOPInstanceUID) for ds in data if ds.StudyInstanceUID == study}
    final, identifier = results[-1]
    assert final.Status == 0xB000
    assert final.NumberOfFailedSuboperations == len(expected)
    assert final.NumberOfCompletedSuboperations == 0
    assert identifier is not None
    assert set(identifier.FailedSOPInstanceUIDList) == expected


def _serve(handlers: list[Any]) -> Any:
    ae = AE("DASCP")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context("1.2.840.10008.5.1.4.1.2.2.2")  # Study Root MOVE
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
    return ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)


def _raises(event: Any) -> Iterator[Any]:
    raise RuntimeError("broken handler")
    yield  # pragma: no cover


@pytest.mark.parametrize(
    ("event", "operation", "expected"),
    [
        (evt.EVT_C_FIND, "find", 0xC311),
        (evt.EVT_C_GET, "get", 0xC411),
        (evt.EVT_C_MOVE, "move", 0xC511),
    ],
)
def test_a_raising_handler_gives_a_failure(event: Any, operation: str, expected: int) -> None:
    server = _serve([(event, _raises)])
    try:
        assoc = scu_ae().associate("127.0.0.1", server.port, ae_title="DASCP")
        identifier = query("STUDY", StudyInstanceUID="1.2.3")
        try:
            if operation == "find":
                results = list(assoc.send_c_find(identifier, "S"))
            elif operation == "get":
                results = list(assoc.send_c_get(identifier, "S"))
            else:
                results = list(assoc.send_c_move(identifier, "ANYWHERE", "S"))
        finally:
            assoc.release()
    finally:
        server.shutdown()
    assert [int(s.Status) for s, _ in results] == [expected]


def test_unknown_move_destination_and_handler_statuses() -> None:
    def move(event: Any) -> Iterator[Any]:
        yield None, None

    def find(event: Any) -> Iterator[Any]:
        yield 0xA700, None  # out of resources, the handler's own final status

    server = _serve([(evt.EVT_C_MOVE, move), (evt.EVT_C_FIND, find)])
    try:
        assoc = scu_ae().associate("127.0.0.1", server.port, ae_title="DASCP")
        try:
            moved = list(assoc.send_c_move(query("STUDY", StudyInstanceUID="1"), "X", "S"))
            found = list(assoc.send_c_find(query("STUDY", StudyInstanceUID=""), "S"))
        finally:
            assoc.release()
    finally:
        server.shutdown()
    assert [int(s.Status) for s, _ in moved] == [0xA801]
    assert [int(s.Status) for s, _ in found] == [0xA700]


def test_scu_checks() -> None:
    ae = scu_ae()
    qrscp_ae = AE("X")
    qrscp_ae.add_supported_context(PatientRootQueryRetrieveInformationModelFind)
    server = qrscp_ae.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    try:
        assoc = ae.associate("127.0.0.1", server.port)
        assert assoc.is_established
        with pytest.raises(ValueError, match="no accepted presentation context"):
            assoc.send_c_find(query("STUDY"), "S")
        with pytest.raises(ValueError, match="has no C-GET"):
            assoc.send_c_get(query("STUDY"), "W")
        with pytest.raises(ValueError, match="unknown query model"):
            assoc.send_c_find(query("STUDY"), "Z")
        assoc.release()
        with pytest.raises(RuntimeError, match="not established"):
            assoc.send_c_find(query("STUDY"), "P")
    finally:
        server.shutdown()


def test_qrscp_refuses_uids_that_are_not_uids(tmp_path: Path) -> None:
    scp = QRSCP(tmp_path / "store")
    try:
        for bad in ("../../etc", "1.2/3", "1..2", "1.2.", "", "1.02", "a.b", "1" * 65):
            with pytest.raises(ValueError):
                scp.path_for("1.2.3", "1.2.4", bad)
            with pytest.raises(ValueError):
                scp.path_for(bad, "1.2.4", "1.2.5")
        assert scp.path_for("1.2.3", "1.2.4", "1.2.5").is_relative_to(scp.storage_dir)
    finally:
        scp.index.close()


def test_qrscp_stores_nothing_for_a_hostile_uid(tmp_path: Path) -> None:
    data = corpus()[:1]
    data[0].StudyInstanceUID = "1.2.3/../../../escape"
    with running_qrscp(tmp_path / "store") as qrscp:
        ae = AE("LOADER")
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate("127.0.0.1", qrscp.port, ae_title="QRSCP")
        try:
            status = assoc.send_c_store(data[0])
        finally:
            assoc.release()
        assert int(status.Status) == 0xA900
        assert len(qrscp.scp.index) == 0
    files = [p for p in itertools.chain(tmp_path.rglob("*")) if p.is_file()]
    assert [p.name for p in files] == ["index.sqlite"]
