"""AE.store_to_disk: received C-STORE data sets streamed to a temporary file.

The handler sees the same bytes as without it, but as a read-only map of a file
that is already unlinked, so nothing is left on disk and the instance does not
sit in the process's own memory. A place to stream to that fails aborts the
association (the message cannot be had) and the server goes on serving.
"""

from __future__ import annotations

import mmap
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from dicomactors import AE, evt
from dicomactors.dataset import encode_dataset
from dicomactors.sop_class import Verification
from tests._peers import ct_dataset

LOOPBACK = "127.0.0.1"


def _large_ct() -> Any:
    ds = ct_dataset()
    ds.Rows = ds.Columns = 512
    ds.PixelData = bytes(range(256)) * 2048  # 512 KiB: many 16 KiB PDUs
    return ds


@contextmanager
def _scp(store_to_disk: Any, seen: list[dict[str, Any]]) -> Iterator[int]:
    ae = AE("SPOOLSCP")
    ae.store_to_disk = store_to_disk
    ae.maximum_pdu_size = 16384
    ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.add_supported_context(Verification)

    def on_store(event: Any) -> int:
        data = event.encoded_dataset_bytes
        seen.append(
            {
                "mapped": isinstance(data, memoryview) and isinstance(data.obj, mmap.mmap),
                "bytes": bytes(data),
                "uid": event.dataset.SOPInstanceUID,
                "files": sorted(Path(store_to_disk).iterdir())
                if not isinstance(store_to_disk, bool)
                else None,
            }
        )
        return 0x0000

    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    assert server is not None
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def _store(port: int, ds: Any) -> tuple[Any, Any]:
    ae = AE("SPOOLSCU")
    ae.maximum_pdu_size = 16384
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate(LOOPBACK, port, ae_title="SPOOLSCP")
    assert assoc.is_established
    status = assoc.send_c_store(ds)
    if assoc.is_established:
        assoc.release()
    return status, assoc


def test_a_streamed_data_set_reaches_the_handler_mapped_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    ds = _large_ct()
    seen: list[dict[str, Any]] = []
    with _scp(tmp_path, seen) as port:
        status, _ = _store(port, ds)
    assert status.Status == 0x0000
    assert len(seen) == 1
    assert seen[0]["mapped"] is True
    assert seen[0]["bytes"] == encode_dataset(ds, ExplicitVRLittleEndian)
    assert seen[0]["uid"] == ds.SOPInstanceUID
    # Unlinked before the handler ran, and nothing was left behind after.
    assert seen[0]["files"] == []
    assert list(tmp_path.iterdir()) == []


def test_without_it_the_data_set_is_in_memory() -> None:
    ds = _large_ct()
    seen: list[dict[str, Any]] = []
    with _scp(False, seen) as port:
        status, _ = _store(port, ds)
    assert status.Status == 0x0000
    assert seen[0]["mapped"] is False
    assert seen[0]["bytes"] == encode_dataset(ds, ExplicitVRLittleEndian)


def test_a_place_to_stream_to_that_fails_aborts_and_the_server_serves_on(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    seen: list[dict[str, Any]] = []
    with _scp(spool, seen) as port:
        shutil.rmtree(spool)  # gone by the time the data set arrives
        status, assoc = _store(port, _large_ct())
        assert assoc.is_aborted
        assert "Status" not in status
        assert seen == []
        # Another association is served as usual.
        scu = AE("ECHOSCU")
        scu.add_requested_context(Verification)
        echo = scu.associate(LOOPBACK, port, ae_title="SPOOLSCP")
        assert echo.is_established
        assert echo.send_c_echo().Status == 0x0000
        echo.release()


@pytest.mark.parametrize("value", ["/no/such/directory", 3, None])
def test_a_wrong_setting_is_refused_clearly(value: Any) -> None:
    ae = AE()
    with pytest.raises(ValueError, match="store_to_disk"):
        ae.store_to_disk = value
    assert ae.store_to_disk is False
