"""C-STORE with the seed guide's default contexts: files and read data sets, never decoded.

With ``add_requested_context(CTImageStorage)`` on both sides, a dicomactors
SCP accepts Explicit VR Little Endian (DCMTK's choice) and a file in it goes
as stored; a default pynetdicom SCP accepts Implicit VR Little Endian (first
in its own list), and the SCU converts the file at the element-header level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from bench.data import write_instances
from dicomactors import AE, evt
from dicomactors.dataset import encode_dataset
from dicomactors.scu import storage as scu
from dicomactors.syntax_choice import TransferSyntaxChoice

KIB = 1024


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instances(tmp_path_factory.mktemp("ct"), 1, 512 * KIB)[0]


def _our_scp(received: list[tuple[str, bytes]], choice: TransferSyntaxChoice | None) -> Any:
    def on_store(event: Any) -> int:
        syntax = str(event.context.transfer_syntax)
        received.append((syntax, event.encoded_dataset(include_meta=False)))
        return 0x0000

    ae = AE(ae_title="STORESCP")
    if choice is not None:
        ae.transfer_syntax_choice = choice
    ae.add_supported_context(CTImageStorage)
    return ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )


def _pynetdicom_scp(received: list[tuple[str, bytes]], choice: object = None) -> Any:
    from pynetdicom import AE as PynetdicomAE
    from pynetdicom import evt as pynetdicom_evt

    def on_store(event: Any) -> int:
        syntax = str(event.context.transfer_syntax)
        received.append((syntax, event.request.DataSet.getvalue()))
        return 0x0000

    ae = PynetdicomAE(ae_title="STORESCP")
    ae.add_supported_context(CTImageStorage)
    return ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(pynetdicom_evt.EVT_C_STORE, on_store)]
    )


def _store(port: int, what: Any) -> int:
    ae = AE(ae_title="STORESCU")
    ae.add_requested_context(CTImageStorage)
    assoc = ae.associate("127.0.0.1", port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        return int(assoc.send_c_store(what).Status)
    finally:
        assoc.release()


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the SCU decoded or encoded the data set with pydicom")


SCPS = [
    pytest.param(_our_scp, None, ExplicitVRLittleEndian, id="dicomactors-default"),
    pytest.param(
        _our_scp, TransferSyntaxChoice.ACCEPTOR, ImplicitVRLittleEndian, id="dicomactors-acceptor"
    ),
    pytest.param(_pynetdicom_scp, None, ImplicitVRLittleEndian, id="pynetdicom-default"),
]


@pytest.mark.parametrize(("scp", "choice", "expected"), SCPS)
def test_a_file_is_sent_without_pydicom(
    instance: Path, scp: Any, choice: Any, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, bytes]] = []
    server = scp(received, choice)
    monkeypatch.setattr(scu, "dcmread", _refuse)
    try:
        status = _store(server.server_address[1], str(instance))
    finally:
        server.shutdown()
    monkeypatch.undo()
    assert status == 0x0000
    assert received == [(expected, encode_dataset(dcmread(instance), expected))]


@pytest.mark.parametrize(("scp", "choice", "expected"), SCPS)
def test_a_read_data_set_reuses_what_pydicom_read(
    instance: Path, scp: Any, choice: Any, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, bytes]] = []
    server = scp(received, choice)
    ds = dcmread(instance)
    # Only the elements the SCU reads itself (the SOP UIDs) are encoded again, one by one.
    monkeypatch.setattr("dicomactors.store_payload.encode_dataset", _refuse)
    try:
        status = _store(server.server_address[1], ds)
    finally:
        server.shutdown()
    monkeypatch.undo()
    assert status == 0x0000
    assert received == [(expected, encode_dataset(dcmread(instance), expected))]


def test_the_choice_is_set_by_name_and_a_wrong_one_is_refused() -> None:
    ae = AE()
    assert ae.transfer_syntax_choice is TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT
    ae.transfer_syntax_choice = "requestor"  # type: ignore[assignment]
    assert ae.transfer_syntax_choice is TransferSyntaxChoice.REQUESTOR
    with pytest.raises(ValueError, match="transfer_syntax_choice must be one of"):
        ae.transfer_syntax_choice = "dcmtk"  # type: ignore[assignment]
