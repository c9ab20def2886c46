"""The debug log's summaries of PDUs and DIMSE messages (dicomactors.describe), what
``-d`` shows of a whole association against DCMTK's storescp, and ``--log-pdus``."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicomactors import read_pdu_log
from dicomactors.describe import describe_message, describe_pdu
from dicomactors.dimse.commands import CStoreRSP
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationDataValue,
)
from harness import behaviours
from harness.systems import LOOPBACK, PeerUnavailable, dcmtk_storescp
from tests._cli import run_cli


def test_reject_and_abort_in_words() -> None:
    assert describe_pdu(AAssociateRJ(1, 1, 7)) == (
        "A-ASSOCIATE-RJ: rejected permanently by the service user: called AE title not recognised"
    )
    assert describe_pdu(AAbort(2, 2)) == "A-ABORT, source service-provider, reason unexpected-pdu"


def test_p_data_lists_its_pdvs() -> None:
    pdu = PDataTF((PresentationDataValue(3, True, True, b"x" * 10),))
    assert describe_pdu(pdu) == "P-DATA-TF, 1 PDV: context 3 command last 10 bytes"


def test_association_request_lists_contexts_with_names() -> None:
    text = describe_pdu(behaviours.associate_rq(called="PACS"))
    assert text.startswith("A-ASSOCIATE-RQ, ")
    assert "called 'PACS'" in text
    assert "Verification SOP Class" in text and "Implicit VR Little Endian" in text


def test_dimse_message_with_command_fields() -> None:
    text = describe_message(CStoreRSP(7, 0xB000, "1.2.840.10008.5.1.4.1.1.2", "1.2.3"))
    assert text.startswith("CStoreRSP: message_id_being_responded_to=7, status=0xB000")
    assert "(CT Image Storage)" in text


def test_debug_option_shows_pdus_messages_and_states_by_association() -> None:
    try:
        launcher = dcmtk_storescp()
        with launcher as scp:
            result = run_cli("echo", LOOPBACK, str(scp.port), "-d")
    except PeerUnavailable as error:
        pytest.skip(str(error))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("D: ")]
    assert lines and all(line.startswith("D: assoc-R") for line in lines)
    wanted = [
        "sending A-ASSOCIATE-RQ",
        "received A-ASSOCIATE-AC",
        "STA5_AWAITING_AC_OR_RJ + EVT3_A_ASSOCIATE_AC_RECEIVED",
        "sending CEchoRQ: message_id=1",
        "sending P-DATA-TF, 1 PDV: context 1 command last",
        "received CEchoRSP: message_id_being_responded_to=1, status=0x0000",
        "sending A-RELEASE-RQ",
        "received A-RELEASE-RP",
    ]
    for text in wanted:
        assert any(text in line for line in lines), text
    assert "context 1: acceptance, 1.2.840.10008.1.2" in result.stderr


def test_log_pdus_writes_each_associations_stream(tmp_path: Path) -> None:
    """--log-pdus: the PDUs of each direction in their own file, readable back in order."""
    try:
        launcher = dcmtk_storescp()
        with launcher as scp:
            result = run_cli("echo", LOOPBACK, str(scp.port), "--log-pdus", str(tmp_path))
    except PeerUnavailable as error:
        pytest.skip(str(error))
    assert result.returncode == 0, result.stderr
    sent = read_pdu_log(_one(tmp_path, "*.sent.pdus"))
    received = read_pdu_log(_one(tmp_path, "*.received.pdus"))
    assert [type(pdu) for pdu in sent] == [AAssociateRQ, PDataTF, AReleaseRQ]
    assert [type(pdu) for pdu in received] == [AAssociateAC, PDataTF, AReleaseRP]
    assert isinstance(sent[0], AAssociateRQ) and sent[0].called_ae_title == "ANY-SCP"


def _one(folder: Path, pattern: str) -> Path:
    found = list(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]
