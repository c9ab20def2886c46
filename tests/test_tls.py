"""TLS both ways with DCMTK (``+tls``, its BCP 195 profiles) and pynetdicom, TLS 1.3 included.

RSA certificates come from trustme in each run (`tests._peers.make_tls_files`): a CA, a
server certificate for localhost/127.0.0.1 and a client certificate; both sides require and
check the other's certificate.

Observed: DCMTK 3.6.7 (Debian 12, OpenSSL 3) negotiates TLS 1.3 under ``--profile-bcp195``
(+px) and the default ``--profile-bcp195-nd`` (+py), and TLS 1.2 under
``--profile-bcp195-ex`` (+pz), whose cipher list is TLS 1.2 only.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dicomactors import AE, evt
from dicomactors.sop_class import CTImageStorage, Verification
from harness.systems import dcmtk_storescp
from tests._peers import (
    TLSFiles,
    client_context,
    ct_dataset,
    dcmtk_output,
    make_tls_files,
    peers_gone,
    pynetdicom_recorder,
    run_dcmtk,
    server_context,
    wait_for_log_line,
)

pytestmark = pytest.mark.timeout(60)

TLS12, TLS13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
PROTOCOL_LINE = r"Protocol\s*:\s*(TLSv1\.\d)"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def scu() -> AE:
    ae = AE()
    ae.add_requested_context(Verification)
    ae.add_requested_context(CTImageStorage)
    return ae


@pytest.fixture
def our_tls_scp(request: pytest.FixtureRequest, tls: TLSFiles) -> Iterator[Any]:
    """A dicomactors SCP over TLS; ``request.param`` pins the TLS version (None: 1.2 or 1.3)."""
    version = getattr(request, "param", None)
    ae = AE(ae_title="TLS_SCP")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        ssl_context=server_context(tls, version),
        evt_handlers=[(evt.EVT_C_STORE, lambda event: 0x0000)],
    )
    assert server is not None
    try:
        yield server
    finally:
        peers_gone(server)
        server.shutdown()


def dcmtk_tls_args(tls: TLSFiles, profile: str, *, key: Path, cert: Path) -> list[str]:
    return ["+tls", str(key), str(cert), "+cf", str(tls.ca_crt), profile]


# -- DCMTK echoscu -> our SCP -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("+px", "TLSv1.3"), ("+py", "TLSv1.3"), ("+pz", "TLSv1.2")],
    ids=["bcp195", "bcp195-nd", "bcp195-ex"],
)
def test_dcmtk_echoscu_with_our_tls_scp(
    our_tls_scp: Any, tls: TLSFiles, profile: str, expected: str
) -> None:
    args = dcmtk_tls_args(tls, profile, key=tls.client_key, cert=tls.client_leaf)
    result = run_dcmtk("echoscu", "-d", *args, "127.0.0.1", str(our_tls_scp.port))
    text = dcmtk_output(result)
    assert result.returncode == 0, text
    assert "Received Echo Response (Success)" in text
    assert re.findall(PROTOCOL_LINE, text) == [expected]


@pytest.mark.parametrize("our_tls_scp", [TLS12], ids=["tls1.2"], indirect=True)
def test_dcmtk_bcp195_with_our_scp_held_to_tls12(our_tls_scp: Any, tls: TLSFiles) -> None:
    args = dcmtk_tls_args(tls, "+px", key=tls.client_key, cert=tls.client_leaf)
    result = run_dcmtk("echoscu", "-d", *args, "127.0.0.1", str(our_tls_scp.port))
    assert result.returncode == 0, dcmtk_output(result)
    assert re.findall(PROTOCOL_LINE, dcmtk_output(result)) == ["TLSv1.2"]


def test_dcmtk_without_client_certificate_is_refused(our_tls_scp: Any, tls: TLSFiles) -> None:
    result = run_dcmtk(
        "echoscu", "-v", "+tla", "+cf", str(tls.ca_crt), "+px", "127.0.0.1", str(our_tls_scp.port)
    )
    assert result.returncode != 0
    assert "Received Echo Response" not in dcmtk_output(result)
    # The server goes on serving.
    assoc = scu().associate(
        "127.0.0.1", our_tls_scp.port, tls_args=(client_context(tls), "localhost")
    )
    assert assoc.is_established
    assoc.release()


# -- our SCU -> DCMTK storescp ----------------------------------------------------------------


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_our_scu_with_dcmtk_tls_storescp(tls: TLSFiles, version: ssl.TLSVersion) -> None:
    args = dcmtk_tls_args(tls, "+px", key=tls.server_key, cert=tls.server_leaf)
    with dcmtk_storescp(extra_args=["-d", *args]) as scp:
        assoc = scu().associate(
            "127.0.0.1", scp.port, tls_args=(client_context(tls, version), "localhost")
        )
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assert assoc.send_c_store(ct_dataset()).Status == 0x0000
        assoc.release()
        assert scp.log_path is not None
        log = wait_for_log_line(scp.log_path, "Association Release")
    expected = "TLSv1.3" if version is TLS13 else "TLSv1.2"
    assert re.findall(PROTOCOL_LINE, log) == [expected]


def test_our_scu_without_trust_fails_without_raising(tls: TLSFiles, tmp_path: Path) -> None:
    stranger = make_tls_files(tmp_path)  # another CA: storescp's certificate is not trusted
    args = dcmtk_tls_args(tls, "+px", key=tls.server_key, cert=tls.server_leaf)
    with dcmtk_storescp(extra_args=args) as scp:
        assoc = scu().associate(
            "127.0.0.1", scp.port, tls_args=(client_context(stranger), "localhost")
        )
        assert not (assoc.is_established or assoc.is_rejected)
        assert assoc.join(10)
        trusted = scu().associate(
            "127.0.0.1", scp.port, tls_args=(client_context(tls), "localhost")
        )
        assert trusted.is_established
        trusted.release()


# -- pynetdicom -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_our_scu_with_pynetdicom_tls_scp(tls: TLSFiles, version: ssl.TLSVersion) -> None:
    with pynetdicom_recorder(ssl_context=server_context(tls, version)) as scp:
        assoc = scu().associate("127.0.0.1", scp.port, tls_args=(client_context(tls), "localhost"))
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        ds = ct_dataset()
        assert assoc.send_c_store(ds).Status == 0x0000
        assoc.release()
    assert [s.SOPInstanceUID for s in scp.stored] == [ds.SOPInstanceUID]


@pytest.mark.parametrize("our_tls_scp", [TLS12, TLS13], ids=["tls1.2", "tls1.3"], indirect=True)
def test_pynetdicom_scu_with_our_tls_scp(our_tls_scp: Any, tls: TLSFiles) -> None:
    from pynetdicom import AE as PynetdicomAE

    peer = PynetdicomAE()
    peer.add_requested_context("1.2.840.10008.1.1")
    assoc = peer.associate(
        "127.0.0.1", our_tls_scp.port, tls_args=(client_context(tls), "localhost")
    )
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert assoc.is_released


@pytest.mark.parametrize("our_tls_scp", [TLS13], ids=["tls1.3"], indirect=True)
def test_our_scu_with_our_scp_over_tls13(our_tls_scp: Any, tls: TLSFiles) -> None:
    assoc = scu().associate(
        "127.0.0.1", our_tls_scp.port, tls_args=(client_context(tls, TLS13), "localhost")
    )
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assert assoc.send_c_store(ct_dataset()).Status == 0x0000
    assoc.release()
    assert assoc.is_released
    # A client held to TLS 1.2 cannot reach a server held to 1.3: no association, no raise.
    old = scu().associate(
        "127.0.0.1", our_tls_scp.port, tls_args=(client_context(tls, TLS12), "localhost")
    )
    assert not old.is_established
