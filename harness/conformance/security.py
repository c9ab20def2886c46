"""TLS on a DICOM port (PS3.15 B.1, B.9; the BCP 195 profiles).

For systems that declare ``tls-port=PORT``: the port where they speak DICOM over TLS.
The BCP 195 profiles of PS3.15 Annex B forbid TLS 1.0 and 1.1 (RFC 8996), so a handshake
pinned to either must fail; and a TLS port must not serve DICOM in the clear.
"""

from __future__ import annotations

import socket
import ssl
import time
import warnings
from pathlib import Path

from dicomactors.pdu import AAssociateAC, AAssociateRJ
from harness import behaviours as b
from harness.conformance.core import (
    K,
    Status,
    Verdict,
    capability_value,
    request_for,
    requestor_script,
    scenario,
    verdict_of,
)
from harness.peer import run_script
from harness.script import Close, Expect, SendPDU
from harness.systems import SystemUnderTest

GROUP = "security"

TLS_PORT = "tls-port"
"""Capability ``tls-port=PORT``: the port where the system speaks DICOM over TLS."""


def tls_port(port: int) -> str:
    return f"{TLS_PORT}={port}"


def _port(sut: SystemUnderTest) -> int:
    value = capability_value(sut, TLS_PORT)
    assert value is not None
    return int(value)


def server_context(directory: Path) -> ssl.SSLContext:
    """A TLS server context with a certificate for 127.0.0.1 made in ``directory``
    (TLS 1.2 at least, as BCP 195 asks; no client certificate asked for)."""
    import trustme  # a development dependency: only the scenarios' own TLS server needs it

    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA)
    cert, key = directory / "tls-server.crt", directory / "tls-server.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


def pinned_client(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that offers ``version`` only, with every cipher this OpenSSL has for it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        # Offering a deprecated version is the point of the check.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def handshake(host: str, port: int, version: ssl.TLSVersion) -> tuple[str | None, str]:
    """The version the server agreed to, or None and why the handshake failed.

    ``OSError`` if no connection can be made at all."""
    context = pinned_client(version)
    with socket.create_connection((host, port), timeout=b.REPLY_WITHIN) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return tls.version(), ""
        except (ssl.SSLError, ConnectionError, TimeoutError) as error:
            return None, f"{type(error).__name__}: {error}"


_OUR_SIDE = ("NO_PROTOCOLS_AVAILABLE", "UNSUPPORTED_PROTOCOL", "NO_CIPHERS_AVAILABLE")


def _refused(sut: SystemUnderTest, version: ssl.TLSVersion) -> Verdict:
    start = time.monotonic()
    agreed, why = handshake(sut.host, _port(sut), version)
    elapsed = time.monotonic() - start
    if agreed is not None:
        return Verdict(Status.DEVIATES, f"handshake completed with {agreed}", elapsed)
    if any(code in why for code in _OUR_SIDE):
        seen = f"this machine's OpenSSL cannot offer {version.name}: {why}"
        return Verdict(Status.NOT_RUN, seen, elapsed)
    if why.startswith(TimeoutError.__name__):
        # No answer at all is no refusal: a slow server might still have agreed.
        seen = f"no answer to the ClientHello within {b.REPLY_WITHIN:g} s: no check made"
        return Verdict(Status.NOT_RUN, seen, elapsed)
    return Verdict(Status.PASSED, f"handshake refused: {why}", elapsed)


@scenario(
    "tls-1.0-refused",
    "A TLS handshake that offers TLS 1.0 only",
    "PS3.15 B.1, B.9 (BCP 195: RFC 8996 forbids TLS 1.0)",
    "the handshake fails",
    group=GROUP,
    requires=(TLS_PORT,),
    note="systems declare the port where they speak TLS",
)
def _tls10(sut: SystemUnderTest) -> Verdict:
    return _refused(sut, ssl.TLSVersion.TLSv1)


@scenario(
    "tls-1.1-refused",
    "A TLS handshake that offers TLS 1.1 only",
    "PS3.15 B.1, B.9 (BCP 195: RFC 8996 forbids TLS 1.1)",
    "the handshake fails",
    group=GROUP,
    requires=(TLS_PORT,),
)
def _tls11(sut: SystemUnderTest) -> Verdict:
    return _refused(sut, ssl.TLSVersion.TLSv1_1)


@scenario(
    "tls-1.2-accepted",
    "A TLS 1.2 handshake on the TLS port (the check that the port speaks TLS at all)",
    "PS3.15 B.9 (BCP 195: TLS 1.2 or later)",
    "the handshake completes with TLSv1.2",
    group=GROUP,
    requires=(TLS_PORT,),
)
def _tls12(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    agreed, why = handshake(sut.host, _port(sut), ssl.TLSVersion.TLSv1_2)
    ok = agreed == "TLSv1.2"
    seen = f"handshake completed with {agreed}" if agreed else f"handshake failed: {why}"
    return Verdict(Status.PASSED if ok else Status.DEVIATES, seen, time.monotonic() - start)


@scenario(
    "tls-port-plain-dicom",
    "An A-ASSOCIATE-RQ in the clear on the TLS port",
    "PS3.15 B.1 (the TLS connection is made before any DICOM exchange)",
    "no A-ASSOCIATE-AC or -RJ: the connection is closed (a TLS alert may come first)",
    group=GROUP,
    requires=(TLS_PORT,),
)
def _plain_on_tls(sut: SystemUnderTest) -> Verdict:
    steps = (
        SendPDU(request_for(sut)),
        Expect((AAssociateAC, AAssociateRJ), b.REPLY_WITHIN, or_close=True),
        Close(),
    )
    outcome = run_script(requestor_script("tls-port-plain-dicom", steps), sut.host, _port(sut))
    answered = any(isinstance(pdu, AAssociateAC | AAssociateRJ) for pdu in outcome.received)
    ok = not answered and outcome.kind in (K.CLOSED, K.RESET, K.UNDECODABLE)
    why = "answered in the clear" if answered else "" if ok else "the connection stayed open"
    return verdict_of(outcome, ok, why)
