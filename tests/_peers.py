"""Peers and helpers shared by the seed-guide, interop and TLS tests.

- `PynetdicomRecorder`: a pynetdicom SCP in this process that records what it received
  (called and calling AE titles, user identity, proposed contexts, stored instances).
- `AbortingPeer`: a raw socket acceptor that answers an A-ASSOCIATE-RQ with an A-ABORT.
- `TLSFiles`: RSA certificates made with trustme (a CA, a server and a client certificate).
- `run_dcmtk`: a DCMTK program with ``TCP_NODELAY=1``; `ct_file`: a small CT image file.
- `LogRecords`: collects log records of a logger and waits for one that matches.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from dicomactors.pdu import AAbort, AbortSource, encode_pdu
from harness.systems import DCMTK_ENV, find_dcmtk_tool

LOOPBACK = "127.0.0.1"
DCMTK_TIMEOUT = 20.0


# -- DCMTK --------------------------------------------------------------------------------


def run_dcmtk(
    tool: str, *args: str, timeout: float = DCMTK_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK program (not pynetdicom's script of the same name) and capture its output."""
    import os

    return subprocess.run(
        [find_dcmtk_tool(tool), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **DCMTK_ENV},
        stdin=subprocess.DEVNULL,
        check=False,
    )


def wait_for_log_line(path: Path, pattern: str, timeout: float = 10.0) -> str:
    """The peer's log once a line matches ``pattern``: the log is written by a reader thread,
    so it is read again at short intervals up to ``timeout`` (a bounded series of checks)."""
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text() if path.is_file() else ""
        if re.search(pattern, text, re.MULTILINE):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name}: no line matched {pattern!r}:\n{text[-2000:]}")
        threading.Event().wait(0.05)


def dcmtk_output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# -- data ---------------------------------------------------------------------------------


def ct_dataset() -> Dataset:
    """A small CT image instance: enough for C-STORE, with a few pixels."""
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Guide^Test"
    ds.PatientID = "GUIDE-1"
    ds.Modality = "CT"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = b"\x00\x01" * 4
    return ds


def ct_file(path: Path) -> Dataset:
    """Write `ct_dataset` as a DICOM file (explicit VR little endian) and return it."""
    ds = ct_dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
    return ds


# -- logs ---------------------------------------------------------------------------------


class LogRecords(logging.Handler):
    """Keeps the messages logged under one logger; `wait_for` blocks until one matches."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.messages.append(record.getMessage())
            self._changed.notify_all()

    def matching(self, pattern: str) -> list[str]:
        with self._changed:
            return [m for m in self.messages if re.search(pattern, m)]

    def wait_for(self, pattern: str, timeout: float = 10.0) -> str:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(re.search(pattern, m) for m in self.messages), timeout
            )
            if not found:
                raise AssertionError(f"no log message matched {pattern!r}: {self.messages[-10:]}")
            return next(m for m in self.messages if re.search(pattern, m))

    def wait_for_count(self, pattern: str, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until ``count`` messages match; return those that do."""

        def matches() -> list[str]:
            return [m for m in self.messages if re.search(pattern, m)]

        with self._changed:
            self._changed.wait_for(lambda: len(matches()) >= count, timeout)
            return matches()


@contextmanager
def recording_logs(name: str) -> Iterator[LogRecords]:
    """Record logger ``name`` at DEBUG; restore its level and handlers afterwards."""
    logger = logging.getLogger(name)
    level, handlers = logger.level, list(logger.handlers)
    records = LogRecords()
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


# -- our servers -------------------------------------------------------------------------


def peers_gone(owner: Any, timeout: float = 5.0) -> None:
    """Wait until the associations of a dicomactors AE or server have ended.

    Tests that check what a peer saw of a release wait here, so that ``shutdown`` does not
    abort an association the peer is still releasing (the race itself is covered by
    test_seed_guide.test_abort_of_an_ending_association_returns).
    """
    for assoc in list(owner.active_associations):
        assoc.join(timeout)  # one still established (a failed test) is aborted by shutdown


# -- pynetdicom SCP -----------------------------------------------------------------------


@dataclass
class Received:
    """What the pynetdicom SCP saw of one association request."""

    called_ae: str
    calling_ae: str
    max_pdu: int | None
    abstract_syntaxes: list[str]
    role_items: int


@dataclass
class PynetdicomRecorder:
    """A running in-process pynetdicom SCP and what it recorded."""

    port: int
    ae_title: str
    requests: list[Received] = field(default_factory=list)
    user_ids: list[tuple[int, bytes, bytes | None]] = field(default_factory=list)
    stored: list[Dataset] = field(default_factory=list)
    got_request: threading.Event = field(default_factory=threading.Event)


@contextmanager
def pynetdicom_recorder(
    ae_title: str = "PYNETDICOM",
    *,
    require_called_aet: bool = False,
    require_calling_aet: Sequence[str] = (),
    storage: bool = True,
    user_id_response: bytes | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[PynetdicomRecorder]:
    """A pynetdicom SCP on 127.0.0.1 (Verification, and the storage classes as SCP)."""
    from pynetdicom import AE, StoragePresentationContexts, evt

    ae = AE(ae_title=ae_title)
    ae.add_supported_context("1.2.840.10008.1.1")
    if storage:
        for context in StoragePresentationContexts:
            # scu_role=True too: a requestor that also offers the SCP role is accepted.
            ae.add_supported_context(str(context.abstract_syntax), scu_role=True, scp_role=True)
    ae.require_called_aet = require_called_aet
    ae.require_calling_aet = list(require_calling_aet)
    recorder = PynetdicomRecorder(port=0, ae_title=ae_title)

    def on_requested(event: Any) -> None:
        rq = event.assoc.requestor.primitive
        items = rq.user_information or []
        recorder.requests.append(
            Received(
                called_ae=str(rq.called_ae_title).strip(),
                calling_ae=str(rq.calling_ae_title).strip(),
                max_pdu=rq.maximum_length_received,
                abstract_syntaxes=[
                    str(c.abstract_syntax) for c in rq.presentation_context_definition_list
                ],
                role_items=sum(
                    1 for i in items if type(i).__name__ == "SCP_SCU_RoleSelectionNegotiation"
                ),
            )
        )
        recorder.got_request.set()

    def on_user_id(event: Any) -> tuple[bool, bytes | None]:
        recorder.user_ids.append((event.user_id_type, event.primary_field, event.secondary_field))
        return True, user_id_response

    def on_store(event: Any) -> int:
        recorder.stored.append(event.dataset)
        return 0x0000

    handlers: list[Any] = [
        (evt.EVT_REQUESTED, on_requested),
        (evt.EVT_USER_ID, on_user_id),
        (evt.EVT_C_STORE, on_store),
    ]
    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=handlers, ssl_context=ssl_context
    )
    assert server is not None
    recorder.port = server.server_address[1]
    try:
        yield recorder
    finally:
        server.shutdown()


# -- a peer that aborts -------------------------------------------------------------------


class AbortingPeer:
    """Accepts one connection at a time, reads the A-ASSOCIATE-RQ, answers A-ABORT."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="aborting-peer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                header = _recv_exactly(conn, 6)
                length = int.from_bytes(header[2:6], "big")
                _recv_exactly(conn, length)
                conn.sendall(encode_pdu(AAbort(AbortSource.SERVICE_USER, 0)))

    def close(self) -> None:
        self._listener.close()
        self._thread.join(5)


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def unused_port() -> int:
    """A port where nothing listens (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# -- TLS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    """PEM files of a trustme RSA CA, a server (localhost, 127.0.0.1) and a client cert.

    ``server_crt`` and ``client_crt`` hold the leaf followed by the CA, so each may serve
    as a certificate chain and as a CA file, as the guide's snippets use them.
    """

    ca_crt: Path
    server_crt: Path
    server_key: Path
    client_crt: Path
    client_key: Path
    server_leaf: Path
    client_leaf: Path


def make_tls_files(directory: Path) -> TLSFiles:
    import trustme

    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    server = ca.issue_cert("localhost", "127.0.0.1", key_type=trustme.KeyType.RSA)
    client = ca.issue_cert("client.dicomactors.test", key_type=trustme.KeyType.RSA)

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    ca_pem = ca.cert_pem.bytes()
    server_chain = b"".join(blob.bytes() for blob in server.cert_chain_pems)
    client_chain = b"".join(blob.bytes() for blob in client.cert_chain_pems)
    return TLSFiles(
        ca_crt=write("ca.crt", ca_pem),
        server_crt=write("server.crt", server_chain + ca_pem),
        server_key=write("server.key", server.private_key_pem.bytes()),
        client_crt=write("client.crt", client_chain + ca_pem),
        client_key=write("client.key", client.private_key_pem.bytes()),
        server_leaf=write("server-leaf.crt", server_chain),
        client_leaf=write("client-leaf.crt", client_chain),
    )


def client_context(files: TLSFiles, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client context that trusts the CA and presents the client certificate."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(files.ca_crt))
    context.load_cert_chain(certfile=str(files.client_leaf), keyfile=str(files.client_key))
    if version is not None:
        context.minimum_version = context.maximum_version = version
    return context


def server_context(files: TLSFiles, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context that requires a client certificate signed by the CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(files.ca_crt))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(certfile=str(files.server_leaf), keyfile=str(files.server_key))
    if version is not None:
        context.minimum_version = context.maximum_version = version
    return context


def handshake_version(port: int, context: ssl.SSLContext, hostname: str = "localhost") -> str:
    """Connect, complete a TLS handshake and say which version was agreed."""
    with (
        socket.create_connection((LOOPBACK, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        version = tls.version()
        assert version is not None
        return version
