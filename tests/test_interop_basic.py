"""Interop both ways for C-ECHO and C-STORE, AE title rejection, user identity, max PDU.

dicomactors SCU against DCMTK ``storescp``/``dcmqrscp`` and a pynetdicom SCP (subprocess and
in-process); DCMTK ``echoscu``/``storescu`` and a pynetdicom SCU against a dicomactors SCP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from dicomactors import AE, evt
from dicomactors.pdu_primitives import UserIdentityNegotiation
from dicomactors.sop_class import CTImageStorage, Verification
from harness.systems import dcmtk_dcmqrscp, dcmtk_storescp, pynetdicom_scp
from tests._peers import (
    ct_dataset,
    ct_file,
    dcmtk_output,
    peers_gone,
    pynetdicom_recorder,
    run_dcmtk,
    wait_for_log_line,
)

pytestmark = pytest.mark.timeout(60)


def scu(title: str = "DICOMACTORS") -> AE:
    ae = AE(ae_title=title)
    ae.add_requested_context(Verification)
    ae.add_requested_context(CTImageStorage)
    return ae


@pytest.fixture
def our_scp() -> Iterator[tuple[AE, Any, list[Any]]]:
    """A dicomactors SCP (Verification, CT storage) that keeps what it stored."""
    stored: list[Any] = []

    def on_store(event: Any) -> int:
        stored.append(event.dataset)
        return 0x0000

    ae = AE(ae_title="ACTORS_SCP")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    assert server is not None
    try:
        yield ae, server, stored
    finally:
        peers_gone(server)
        server.shutdown()


# -- our SCU ----------------------------------------------------------------------------------


def test_scu_echo_and_store_with_dcmtk_storescp(tmp_path: Path) -> None:
    out = tmp_path / "received"
    out.mkdir()
    with dcmtk_storescp(output_dir=out) as scp:
        assoc = scu().associate("127.0.0.1", scp.port, ae_title=scp.ae_title)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        ds = ct_dataset()
        assert assoc.send_c_store(ds).Status == 0x0000
        assoc.release()
        assert assoc.is_released
    (written,) = list(out.iterdir())
    assert dcmread(written).SOPInstanceUID == ds.SOPInstanceUID


def test_scu_echo_and_store_with_pynetdicom_scp_process(tmp_path: Path) -> None:
    storage = tmp_path / "pynetdicom"
    with pynetdicom_scp(services={"echo", "store"}, storage_dir=storage) as scp:
        assoc = scu().associate("127.0.0.1", scp.port, ae_title=scp.ae_title)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        ds = ct_dataset()
        assert assoc.send_c_store(ds).Status == 0x0000
        assoc.release()
    assert (storage / f"{ds.SOPInstanceUID}.dcm").is_file()


# -- DCMTK and pynetdicom SCUs, our SCP -------------------------------------------------------


def test_dcmtk_echoscu_and_storescu_with_our_scp(
    our_scp: tuple[AE, Any, list[Any]], tmp_path: Path
) -> None:
    _, server, stored = our_scp
    echo = run_dcmtk("echoscu", "-v", "-aec", "ACTORS_SCP", "127.0.0.1", str(server.port))
    assert echo.returncode == 0 and "Received Echo Response (Success)" in dcmtk_output(echo)
    ds = ct_file(tmp_path / "ct.dcm")
    store = run_dcmtk("storescu", "-v", "127.0.0.1", str(server.port), str(tmp_path / "ct.dcm"))
    assert store.returncode == 0, dcmtk_output(store)
    assert "Received Store Response (Success)" in dcmtk_output(store)
    assert [s.SOPInstanceUID for s in stored] == [ds.SOPInstanceUID]
    assert stored[0].PixelData == ds.PixelData


def test_pynetdicom_scu_with_our_scp(our_scp: tuple[AE, Any, list[Any]]) -> None:
    from pynetdicom import AE as PynetdicomAE

    _, server, stored = our_scp
    peer = PynetdicomAE(ae_title="PYNETDICOM_SCU")
    peer.add_requested_context("1.2.840.10008.1.1")
    peer.add_requested_context(CTImageStorage)
    assoc = peer.associate("127.0.0.1", server.port, ae_title="ACTORS_SCP")
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    ds = ct_dataset()
    ds.file_meta = ct_file_meta(ds)
    assert assoc.send_c_store(ds).Status == 0x0000
    assoc.release()
    assert assoc.is_released
    assert [s.SOPInstanceUID for s in stored] == [ds.SOPInstanceUID]


def ct_file_meta(ds: Any) -> Any:
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return meta


# -- AE titles rejected -----------------------------------------------------------------------


def test_called_ae_rejected_by_our_scp_as_echoscu_reports() -> None:
    ae = AE(ae_title="STRICT_SCP")
    ae.add_supported_context(Verification)
    ae.require_called_aet = True
    server = ae.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    try:
        wrong = run_dcmtk("echoscu", "-v", "-aec", "SOMEONE", "127.0.0.1", str(server.port))
        right = run_dcmtk("echoscu", "-v", "-aec", "STRICT_SCP", "127.0.0.1", str(server.port))
    finally:
        peers_gone(server)
        server.shutdown()
    text = dcmtk_output(wrong)
    assert wrong.returncode != 0
    assert "Result: Rejected Permanent, Source: Service User" in text, text
    assert "Reason: Called AE Title Not Recognized" in text
    assert right.returncode == 0, dcmtk_output(right)


def test_calling_ae_rejected_by_our_scp_as_echoscu_reports() -> None:
    ae = AE(ae_title="STRICT_SCP")
    ae.add_supported_context(Verification)
    ae.require_calling_aet = ["FRIEND"]
    server = ae.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    try:
        stranger = run_dcmtk("echoscu", "-v", "-aet", "STRANGER", "127.0.0.1", str(server.port))
        friend = run_dcmtk("echoscu", "-v", "-aet", "FRIEND", "127.0.0.1", str(server.port))
    finally:
        peers_gone(server)
        server.shutdown()
    text = dcmtk_output(stranger)
    assert "Result: Rejected Permanent, Source: Service User" in text, text
    assert "Reason: Calling AE Title Not Recognized" in text
    assert friend.returncode == 0, dcmtk_output(friend)


def test_called_ae_rejected_by_dcmtk_dcmqrscp() -> None:
    """DCMTK 3.6.7's storescp has no option to check the called AE title (it accepts any);
    dcmqrscp refuses a called AE title that is not in its AETable."""
    with dcmtk_dcmqrscp(ae_title="QRSCP") as qr:
        wrong = scu().associate("127.0.0.1", qr.port, ae_title="NOT_QRSCP")
        right = scu().associate("127.0.0.1", qr.port, ae_title="QRSCP")
        assert right.is_established
        right.release()
    assert wrong.is_rejected and not wrong.is_established and not wrong.is_aborted
    assert (wrong.result, wrong.result_source, wrong.result_reason) == (1, 1, 7)


@pytest.mark.parametrize(
    ("options", "expected"),
    [({"require_called_aet": True}, (1, 1, 7)), ({"require_calling_aet": ["FRIEND"]}, (1, 1, 3))],
    ids=["called", "calling"],
)
def test_ae_titles_rejected_by_pynetdicom(
    options: dict[str, Any], expected: tuple[int, ...]
) -> None:
    with pynetdicom_recorder("PYNETDICOM", **options) as scp:
        assoc = scu("STRANGER").associate("127.0.0.1", scp.port, ae_title="ELSEWHERE")
    assert assoc.is_rejected
    assert (assoc.result, assoc.result_source, assoc.result_reason) == expected


def test_storescp_accepts_any_called_ae_title() -> None:
    """What we observed of DCMTK 3.6.7 storescp: it does not check the called AE title."""
    with dcmtk_storescp(ae_title="STORESCP") as scp:
        assoc = scu().associate("127.0.0.1", scp.port, ae_title="NOT_STORESCP")
        assert assoc.is_established
        assoc.release()


# -- user identity ----------------------------------------------------------------------------


def test_user_identity_received_by_pynetdicom() -> None:
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    with pynetdicom_recorder() as scp:
        assoc = scu().associate("127.0.0.1", scp.port, ext_neg=[identity])
        assert assoc.is_established
        assoc.release()
    assert scp.user_ids == [(2, b"alice", b"secret")]


def _keep_pdu(into: list[Any], event: Any) -> None:
    into.append(event.pdu)


def test_user_identity_received_by_our_scp_from_pynetdicom() -> None:
    from pynetdicom import AE as PynetdicomAE
    from pynetdicom import evt as pynetdicom_evt
    from pynetdicom.pdu_primitives import UserIdentityNegotiation as PynetdicomIdentity

    seen: list[tuple[int, bytes, bytes]] = []

    def on_user_id(event: Any) -> tuple[bool, bytes | None]:
        seen.append((event.user_id_type, event.primary_field, event.secondary_field))
        return event.primary_field == b"alice", b"ticket"

    ae = AE()
    ae.add_supported_context(Verification)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_USER_ID, on_user_id)]
    )
    assert server is not None
    try:
        peer = PynetdicomAE()
        peer.add_requested_context("1.2.840.10008.1.1")
        answers: list[tuple[Any, ...]] = []
        for user in (b"alice", b"mallory"):
            identity = PynetdicomIdentity()
            identity.user_identity_type = 2
            identity.primary_field = user
            identity.secondary_field = b"secret"
            # The answer is read off the wire as pynetdicom decodes it. Its own
            # is_rejected and acceptor.primitive are not used: when the acceptor answers
            # before pynetdicom's calling thread looks at its socket, pynetdicom finds
            # the connection already closed, aborts, and drops the A-ASSOCIATE-RJ it had
            # decoded (seen under load in CI).
            received: list[Any] = []
            assoc = peer.associate(
                "127.0.0.1",
                server.port,
                ext_neg=[identity],
                evt_handlers=[(pynetdicom_evt.EVT_PDU_RECV, partial(_keep_pdu, received))],
            )
            answer = next(p for p in received if type(p).__name__.startswith("A_ASSOCIATE_"))
            if type(answer).__name__ == "A_ASSOCIATE_RJ":
                answers.append(("RJ", answer.result, answer.source, answer.reason_diagnostic))
            else:
                answers.append(("AC", assoc.is_established))
            if assoc.is_established:
                assoc.release()
    finally:
        peers_gone(server)
        server.shutdown()
    assert seen == [(2, b"alice", b"secret"), (2, b"mallory", b"secret")]
    # Rejected: permanent, by the service user, no reason given (PS3.8 7.1.1.9).
    assert answers == [("AC", True), ("RJ", 1, 1, 1)]


# -- maximum PDU length -----------------------------------------------------------------------


def test_max_pdu_negotiated_with_storescu(
    our_scp: tuple[AE, Any, list[Any]], tmp_path: Path
) -> None:
    """storescu --max-pdu 8192 says so in its request; we split what we send to fit it, and
    storescu sees our own maximum (16382) in the A-ASSOCIATE-AC."""
    _, server, stored = our_scp
    accepted: list[int | None] = []
    server.bind(
        evt.EVT_ACCEPTED, lambda event: accepted.append(event.assoc.requestor.maximum_length)
    )
    ct_file(tmp_path / "ct.dcm")
    result = run_dcmtk(
        "storescu",
        "-d",
        "--max-pdu",
        "8192",
        "127.0.0.1",
        str(server.port),
        str(tmp_path / "ct.dcm"),
    )
    text = dcmtk_output(result)
    assert result.returncode == 0, text
    assert re.search(r"Our Max PDU Receive Size:\s+8192", text), text
    assert re.search(r"Their Max PDU Receive Size:\s+16382", text), text
    assert accepted == [8192]
    assert len(stored) == 1


def test_max_pdu_we_send_is_respected_by_storescp() -> None:
    """Our max_pdu goes in the request; storescp -pdu 4096 answers with its own."""
    with dcmtk_storescp(extra_args=["-d", "-pdu", "4096"]) as scp:
        assoc = scu().associate("127.0.0.1", scp.port, max_pdu=32768)
        assert assoc.is_established
        assert assoc.acceptor.maximum_length == 4096
        big = ct_dataset()
        big.Rows = big.Columns = 64
        big.PixelData = b"\x01\x00" * 64 * 64  # 8 KiB: must be split into 4 KiB PDUs
        assert assoc.send_c_store(big).Status == 0x0000
        assoc.release()
        assert scp.log_path is not None
        log = wait_for_log_line(scp.log_path, "Association Release")
    assert re.search(r"Their Max PDU Receive Size:\s+32768", log), log
    assert re.search(r"Our Max PDU Receive Size:\s+4096", log), log
