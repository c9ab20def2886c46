"""Code that relies on pynetdicom's defaults runs unchanged: ``AE()`` is ``"PYNETDICOM"``.

A PACS set up for a pynetdicom script that never names its AE knows that
script as ``PYNETDICOM``. Here DCMTK's ``dcmqrscp`` knows ``PYNETDICOM`` as a
C-MOVE destination (its HostTable), and the script, written as pynetdicom's
examples write one, moves a study to itself by its own title. pynetdicom runs
the same script as the oracle.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset

from harness.systems import PeerUnavailable, dcmtk_dcmqrscp, find_dcmtk_tool, free_port
from tests._peers import ct_file

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", autouse=True)
def dcmtk_installed() -> None:
    try:
        find_dcmtk_tool("dcmqrscp")
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("lib_name", ["dicomactors", "pynetdicom"])
def test_a_default_ae_moves_a_study_to_itself(lib_name: str, tmp_path: Path) -> None:
    lib = importlib.import_module(lib_name)
    sop = importlib.import_module(f"{lib_name}.sop_class")
    ds = ct_file(tmp_path / "ct.dcm")
    port = free_port()
    received: list[str] = []

    def handle_store(event: Any) -> int:
        received.append(event.request.AffectedSOPInstanceUID)
        return 0x0000

    ae = lib.AE()
    assert ae.ae_title == "PYNETDICOM"
    ae.add_requested_context(sop.StudyRootQueryRetrieveInformationModelMove)
    ae.add_supported_context(sop.CTImageStorage)
    peers = {"PYNETDICOM": ("127.0.0.1", port)}
    with dcmtk_dcmqrscp("QRSCP", peers=peers, preload=[tmp_path / "ct.dcm"]) as qr:
        server = ae.start_server(
            ("127.0.0.1", port), block=False, evt_handlers=[(lib.evt.EVT_C_STORE, handle_store)]
        )
        try:
            assoc = ae.associate("127.0.0.1", qr.port, ae_title="QRSCP")
            assert assoc.is_established
            query = Dataset()
            query.QueryRetrieveLevel = "STUDY"
            query.StudyInstanceUID = ds.StudyInstanceUID
            responses = list(
                assoc.send_c_move(
                    query, ae.ae_title, sop.StudyRootQueryRetrieveInformationModelMove
                )
            )
            assoc.release()
        finally:
            server.shutdown()
    assert responses[-1][0].Status == 0x0000
    assert received == [ds.SOPInstanceUID]
