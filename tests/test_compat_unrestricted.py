"""``_config.UNRESTRICTED_STORAGE_SERVICE``: pynetdicom's storage SCP for any SOP class.

pynetdicom documents it: set the flag, start a server with no supported
contexts, and every storage-like context a requestor proposes (a storage SOP
class, a private or unknown UID) is accepted; other services are negotiated as
usual. DCMTK's ``storescu`` sends a CT image, pynetdicom's SCU an instance of a
private SOP class and a Verification request, to an SCP built from
``dicomactors`` and, as the oracle, from ``pynetdicom``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynetdicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from harness.systems import PeerUnavailable, find_dcmtk_tool
from tests._peers import ct_dataset, ct_file, dcmtk_output, run_dcmtk

pytestmark = pytest.mark.timeout(120)

PRIVATE_SOP_CLASS = "1.2.826.0.1.3680043.9.7433.99.2"
VERIFICATION = "1.2.840.10008.1.1"


@pytest.fixture(scope="module", autouse=True)
def dcmtk_installed() -> None:
    try:
        find_dcmtk_tool("storescu")
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=["dicomactors", "pynetdicom"])
def unrestricted_scp(request: pytest.FixtureRequest) -> Iterator[tuple[int, list[str]]]:
    lib = importlib.import_module(request.param)
    config: Any = importlib.import_module(f"{request.param}._config")
    received: list[str] = []

    def handle_store(event: Any) -> int:
        received.append(str(event.request.AffectedSOPClassUID))
        return 0x0000

    previous = config.UNRESTRICTED_STORAGE_SERVICE
    config.UNRESTRICTED_STORAGE_SERVICE = True
    try:
        ae = lib.AE(ae_title="STORE_SCP")  # no supported context at all
        server = ae.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(lib.evt.EVT_C_STORE, handle_store)]
        )
        try:
            yield server.server_address[1], received
        finally:
            server.shutdown()
    finally:
        config.UNRESTRICTED_STORAGE_SERVICE = previous


def test_storescu_stores_a_ct_image(
    unrestricted_scp: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, received = unrestricted_scp
    ds = ct_file(tmp_path / "ct.dcm")
    result = run_dcmtk(
        "storescu", "-aec", "STORE_SCP", "127.0.0.1", str(port), str(tmp_path / "ct.dcm")
    )
    assert result.returncode == 0, dcmtk_output(result)
    assert received == [ds.SOPClassUID]


def test_a_private_sop_class_is_stored_and_verification_refused(
    unrestricted_scp: tuple[int, list[str]],
) -> None:
    port, received = unrestricted_scp
    ds = ct_dataset()
    ds.SOPClassUID = PRIVATE_SOP_CLASS
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    scu = pynetdicom.AE(ae_title="SCU")
    scu.add_requested_context(PRIVATE_SOP_CLASS, ExplicitVRLittleEndian)
    scu.add_requested_context(VERIFICATION)
    assoc = scu.associate("127.0.0.1", port, ae_title="STORE_SCP")
    assert assoc.is_established
    try:
        accepted = {str(cx.abstract_syntax) for cx in assoc.accepted_contexts}
        assert accepted == {PRIVATE_SOP_CLASS}  # Verification is not supported
        assert assoc.send_c_store(ds).Status == 0x0000
    finally:
        assoc.release()
    assert received == [PRIVATE_SOP_CLASS]
