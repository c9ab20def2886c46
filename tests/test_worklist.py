"""Basic Worklist Management (PS3.4 K): C-FIND on the Modality Worklist model,
as SCU and SCP, against pynetdicom both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
from pydicom import Dataset

from dicomactors import AE, evt
from dicomactors.sop_class import ModalityWorklistInformationFind

WORKLIST = [("CT", "ALICE^A", "1001"), ("MR", "BOB^B", "1002"), ("CT", "CAROL^C", "1003")]


def _items() -> list[Dataset]:
    out = []
    for modality, name, accession in WORKLIST:
        item = Dataset()
        item.PatientName = name
        item.AccessionNumber = accession
        step = Dataset()
        step.Modality = modality
        step.ScheduledStationAETitle = "SCANNER"
        item.ScheduledProcedureStepSequence = [step]
        out.append(item)
    return out


def _handler(event: Any) -> Iterator[tuple[int, Dataset | None]]:
    """The same handler for both implementations: match on the step's modality."""
    query = event.identifier
    wanted = query.ScheduledProcedureStepSequence[0].Modality
    for item in _items():
        if event.is_cancelled:
            yield 0xFE00, None
            return
        if item.ScheduledProcedureStepSequence[0].Modality == wanted:
            yield 0xFF00, item


def _query(modality: str) -> Dataset:
    query = Dataset()
    query.PatientName = ""
    query.AccessionNumber = ""
    step = Dataset()
    step.Modality = modality
    query.ScheduledProcedureStepSequence = [step]
    return query


def test_dicomactors_scu_against_pynetdicom_worklist_scp():
    scp = pynetdicom.AE(ae_title="MWL")
    scp.add_supported_context(ModalityWorklistInformationFind)
    server = scp.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(pynetdicom.evt.EVT_C_FIND, _handler)]
    )
    assert server is not None
    try:
        scu = AE()
        scu.add_requested_context(ModalityWorklistInformationFind)
        assoc = scu.associate("127.0.0.1", server.server_address[1])
        assert assoc.is_established
        results = list(assoc.send_c_find(_query("CT"), "W"))
        assoc.release()
    finally:
        server.shutdown()
    pending = [i for status, i in results if status.Status == 0xFF00 and i is not None]
    assert sorted(str(i.PatientName) for i in pending) == ["ALICE^A", "CAROL^C"]
    assert results[-1][0].Status == 0x0000


def test_pynetdicom_scu_against_dicomactors_worklist_scp():
    scp = AE(ae_title="MWL")
    scp.add_supported_context(ModalityWorklistInformationFind)
    server = scp.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, _handler)]
    )
    try:
        scu = pynetdicom.AE()
        scu.add_requested_context(ModalityWorklistInformationFind)
        assoc = scu.associate("127.0.0.1", server.port)
        assert assoc.is_established
        results = list(assoc.send_c_find(_query("MR"), ModalityWorklistInformationFind))
        assoc.release()
    finally:
        server.shutdown()
    pending = [i for status, i in results if status.Status == 0xFF00 and i is not None]
    assert [str(i.PatientName) for i in pending] == ["BOB^B"]
    assert pending[0].ScheduledProcedureStepSequence[0].Modality == "MR"
    assert results[-1][0].Status == 0x0000
