"""``Event.dataset_path`` and ``_config.STORE_RECV_CHUNKED_DATASET``, as pynetdicom has them.

pynetdicom's documented use: set the flag, and the ``EVT_C_STORE`` handler finds
the received data set as a DICOM file at ``event.dataset_path`` (read it with
``dcmread``, or move it where it belongs); without the flag the attribute is
``None``, and an event without a request has none (``AttributeError``). DCMTK's
``storescu`` sends the instance, to an SCP built from ``dicomactors`` and, as the
oracle, from ``pynetdicom``.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread

from harness.systems import PeerUnavailable, find_dcmtk_tool
from tests._peers import ct_file, dcmtk_output, run_dcmtk

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", autouse=True)
def dcmtk_installed() -> None:
    try:
        find_dcmtk_tool("storescu")
    except PeerUnavailable as exc:
        pytest.skip(str(exc))


def _store_with_storescu(lib_name: str, chunked: bool, tmp_path: Path) -> dict[str, Any]:
    """Run an SCP of ``lib_name`` with the flag set to ``chunked``; storescu sends one CT."""
    lib = importlib.import_module(lib_name)
    config: Any = importlib.import_module(f"{lib_name}._config")
    sop = importlib.import_module(f"{lib_name}.sop_class")
    seen: dict[str, Any] = {}

    def handle_store(event: Any, destination: Path) -> int:
        path = event.dataset_path
        if path is None:
            seen["dataset"] = event.dataset  # the data set is in memory
            return 0x0000
        seen["path"] = Path(path)
        seen["read"] = dcmread(path)
        seen["file_meta"] = seen["read"].file_meta
        shutil.copyfile(path, destination)  # what a handler keeping the file does
        return 0x0000

    source = tmp_path / "sent.dcm"
    sent = ct_file(source)
    kept = tmp_path / "kept.dcm"
    ae = lib.AE(ae_title="STORE_SCP")
    ae.add_supported_context(sop.CTImageStorage)
    handlers = [(lib.evt.EVT_C_STORE, handle_store, [kept])]
    previous = config.STORE_RECV_CHUNKED_DATASET
    config.STORE_RECV_CHUNKED_DATASET = chunked
    try:
        server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
        try:
            port = server.server_address[1]
            result = run_dcmtk("storescu", "-aec", "STORE_SCP", "127.0.0.1", str(port), str(source))
            assert result.returncode == 0, dcmtk_output(result)
        finally:
            server.shutdown()
    finally:
        config.STORE_RECV_CHUNKED_DATASET = previous
    seen["sent"] = sent
    seen["kept"] = kept
    return seen


@pytest.mark.parametrize("lib_name", ["dicomactors", "pynetdicom"])
def test_a_data_set_received_into_a_file_has_its_path(lib_name: str, tmp_path: Path) -> None:
    seen = _store_with_storescu(lib_name, True, tmp_path)
    sent = seen["sent"]
    assert "dataset" not in seen
    assert seen["read"].SOPInstanceUID == sent.SOPInstanceUID
    assert seen["read"].PixelData == sent.PixelData
    meta = seen["file_meta"]
    assert meta.MediaStorageSOPInstanceUID == sent.SOPInstanceUID
    assert meta.MediaStorageSOPClassUID == sent.SOPClassUID
    assert seen["path"].suffix == ".dcm"
    # Removed once the handler returned; the copy the handler made is a whole file.
    assert not seen["path"].exists()
    assert dcmread(seen["kept"]).SOPInstanceUID == sent.SOPInstanceUID


@pytest.mark.parametrize("lib_name", ["dicomactors", "pynetdicom"])
def test_without_the_flag_dataset_path_is_none(lib_name: str, tmp_path: Path) -> None:
    seen = _store_with_storescu(lib_name, False, tmp_path)
    assert "path" not in seen
    assert seen["dataset"].SOPInstanceUID == seen["sent"].SOPInstanceUID


@pytest.mark.parametrize("lib_name", ["dicomactors", "pynetdicom"])
def test_an_event_without_a_request_has_no_dataset_path(lib_name: str) -> None:
    lib = importlib.import_module(lib_name)
    event = lib.events.Event(None, lib.evt.EVT_ACCEPTED, {})
    with pytest.raises(AttributeError, match="STORE_RECV_CHUNKED_DATASET"):
        event.dataset_path  # noqa: B018


def test_store_to_disk_gives_a_path_too(tmp_path: Path) -> None:
    """``ae.store_to_disk`` (our own switch, per AE) receives into a file as the flag does."""
    import dicomactors

    spool = tmp_path / "spool"
    spool.mkdir()
    paths: list[Path] = []

    def handle_store(event: Any) -> int:
        paths.append(event.dataset_path)
        assert dcmread(event.dataset_path).SOPInstanceUID == event.request.AffectedSOPInstanceUID
        return 0x0000

    ae = dicomactors.AE(ae_title="STORE_SCP")
    ae.add_supported_context(dicomactors.sop_class.CTImageStorage)
    ae.store_to_disk = spool
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(dicomactors.evt.EVT_C_STORE, handle_store)]
    )
    try:
        source = tmp_path / "sent.dcm"
        ct_file(source)
        result = run_dcmtk(
            "storescu", "-aec", "STORE_SCP", "127.0.0.1", str(server.port), str(source)
        )
        assert result.returncode == 0, dcmtk_output(result)
    finally:
        server.shutdown()
    assert len(paths) == 1 and not paths[0].exists()
    assert list(spool.iterdir()) == []  # nothing is left behind
