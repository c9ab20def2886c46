"""The seed guide (pynetdicom's association guide) runs as written on dicomactors.

Two ways:

- ``test_snippet_*``: every code block of ``../shared/seeds/000_2cd4acd1637bf53d.txt`` is
  extracted from the file, ``pynetdicom`` becomes ``dicomactors``, the ports become free ones
  where a test peer listens, the TLS file names become trustme certificates and
  ``time.sleep(20)`` becomes a pause the test ends; each snippet runs in a thread against a
  real peer (an in-process pynetdicom SCP, DCMTK ``echoscu``/``storescu``/``storescp``) and
  the test checks what the guide says happens.
- ``test_guide_*``: the same behaviour written out by hand, with the assertions spelled out.
"""

from __future__ import annotations

import re
import ssl
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dicomactors import AE, StoragePresentationContexts, build_context, build_role, evt
from dicomactors.pdu_primitives import UserIdentityNegotiation
from dicomactors.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelGet,
    VerificationSOPClass,
)
from harness.systems import dcmtk_storescp, wait_until_listening
from tests._peers import (
    AbortingPeer,
    LogRecords,
    TLSFiles,
    client_context,
    ct_dataset,
    ct_file,
    dcmtk_output,
    handshake_version,
    make_tls_files,
    peers_gone,
    pynetdicom_recorder,
    recording_logs,
    run_dcmtk,
    server_context,
    unused_port,
    wait_for_log_line,
)

pytestmark = pytest.mark.timeout(60)

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "000_2cd4acd1637bf53d.txt"
SNIPPET_TIMEOUT = 20.0


# -- extraction -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    index: int
    section: str
    code: str


def extract_snippets(text: str) -> list[Snippet]:
    """The ``.. code-block:: python`` blocks and ``::`` literal blocks, dedented, in order."""
    lines = text.splitlines()
    snippets: list[Snippet] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and re.fullmatch(r"([=\-.~^])\1{2,}", lines[i + 1]):
            section = line.strip()
        stripped = line.strip()
        opens = stripped == ".. code-block:: python" or (
            stripped.endswith("::") and not stripped.startswith("..")
        )
        if not opens:
            i += 1
            continue
        base = len(line) - len(line.lstrip())
        i += 1
        block: list[str] = []
        while i < len(lines):
            current = lines[i]
            if current.strip() and len(current) - len(current.lstrip()) <= base:
                break
            block.append(current)
            i += 1
        code = textwrap.dedent("\n".join(block)).strip("\n")
        if code:
            snippets.append(Snippet(len(snippets) + 1, section, code + "\n"))
    return snippets


def seed_snippets() -> list[Snippet]:
    if not SEED.is_file():
        pytest.skip(f"the seed guide is not here: {SEED} (it lives in ../shared/seeds)")
    return extract_snippets(SEED.read_text())


def snippet(index: int, must_contain: str) -> Snippet:
    """Snippet ``index`` (1-based) of the guide; fails clearly if the guide has changed."""
    found = seed_snippets()[index - 1]
    assert must_contain in found.code, (
        f"snippet {index} is no longer the one expected:\n{found.code}"
    )
    return found


def port_text(code: str, ports: dict[int, int]) -> str:
    for old, new in ports.items():
        code = code.replace(str(old), str(new))
    return code


def adapt(
    code: str,
    *,
    ports: dict[int, int] | None = None,
    tls: TLSFiles | None = None,
    module: str = "dicomactors",
) -> str:
    """The snippet as it runs here: our module, test ports, test certificates, no sleeps."""
    code = code.replace("pynetdicom", module)
    if module == "pynetdicom":  # pynetdicom 3 dropped the old ``...SOPClass`` names
        code = code.replace("VerificationSOPClass", "Verification")
    code = port_text(code, ports or {})
    if tls is not None:
        for name, path in (
            ("server.crt", tls.server_crt),
            ("server.key", tls.server_key),
            ("client.crt", tls.client_crt),
            ("client.key", tls.client_key),
        ):
            code = code.replace(repr(name), repr(str(path)))
    return code.replace("time.sleep(20)", "_guide_pause()")


class SnippetRun:
    """A snippet executing in a thread; ``pause`` points let the test act in between."""

    def __init__(self, code: str, prelude: str = "") -> None:
        self.code = prelude + code
        self.namespace: dict[str, Any] = {"__name__": "guide_snippet"}
        self.error: BaseException | None = None
        self.paused = threading.Semaphore(0)
        self.resume = threading.Semaphore(0)
        self.namespace["_guide_pause"] = self._pause
        self._thread = threading.Thread(target=self._run, name="guide-snippet", daemon=True)
        self._thread.start()

    def _pause(self) -> None:
        self.paused.release()
        assert self.resume.acquire(timeout=SNIPPET_TIMEOUT), "the test did not resume the snippet"

    def _run(self) -> None:
        try:
            exec(compile(self.code, "<guide snippet>", "exec"), self.namespace)
        except BaseException as error:  # reported by finish()
            self.error = error

    def wait_paused(self) -> None:
        assert self.paused.acquire(timeout=SNIPPET_TIMEOUT), "the snippet did not reach its pause"

    def wait_for(self, name: str) -> Any:
        """Wait until the snippet has bound ``name`` (a blocking server sets ``ae`` first)."""
        for _ in range(int(SNIPPET_TIMEOUT / 0.05)):
            if name in self.namespace:
                return self.namespace[name]
            self._thread.join(0.05)
            if not self._thread.is_alive() and name not in self.namespace:
                break
        raise AssertionError(f"the snippet never bound {name!r} (error: {self.error!r})")

    def finish(self, timeout: float = SNIPPET_TIMEOUT) -> dict[str, Any]:
        """Wait for the end of the snippet; re-raise what it raised."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the snippet is still running"
        if self.error is not None:
            raise self.error
        return self.namespace

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def run_to_end(code: str, prelude: str = "") -> dict[str, Any]:
    return SnippetRun(code, prelude).finish()


SCU_PRELUDE = (
    "from dicomactors import AE\n"
    "from dicomactors.sop_class import VerificationSOPClass\n"
    "ae = AE()\n"
    "ae.add_requested_context(VerificationSOPClass)\n"
)
SCP_PRELUDE = (
    "from dicomactors import AE\n"
    "from dicomactors.sop_class import VerificationSOPClass\n"
    "ae = AE()\n"
    "ae.add_supported_context(VerificationSOPClass)\n"
    "ae.require_called_aet = True\n"
)


@pytest.fixture
def logs() -> Iterator[LogRecords]:
    """What the snippets log under ``dicomactors`` (their LOGGER after the rename)."""
    with recording_logs("dicomactors") as records:
        yield records


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def echoscu(port: int, *args: str) -> str:
    result = run_dcmtk("echoscu", "-v", *args, "127.0.0.1", str(port))
    return f"rc={result.returncode}\n" + dcmtk_output(result)


def echo_ok(port: int, *args: str) -> bool:
    out = echoscu(port, *args)
    return out.startswith("rc=0") and "Received Echo Response (Success)" in out


def stop_blocking_server(run: SnippetRun) -> None:
    """``ae.shutdown()`` from the test thread ends the snippet's blocking ``start_server``."""
    ae = run.wait_for("ae")
    peers_gone(ae)
    peers_gone(ae)
    ae.shutdown()
    run.finish()


def wait_listening(port: int) -> None:
    wait_until_listening(port, timeout=SNIPPET_TIMEOUT)


# -- (a) the snippets, extracted ------------------------------------------------------------


def test_extraction_finds_every_snippet() -> None:
    snippets = seed_snippets()
    assert len(snippets) == 16
    assert all(
        "pynetdicom" in s.code or s.code.startswith(("assoc =", "ae.start_server"))
        for s in snippets
    )
    for s in snippets:
        compile(adapt(s.code), f"<snippet {s.index}>", "exec")


@pytest.mark.parametrize("peer", ["pynetdicom", "dcmtk-storescp"])
def test_snippet_01_associate_and_release(peer: str) -> None:
    """Associates with the default called AE title ``ANY-SCP`` and releases."""
    code = snippet(1, "ae.associate('127.0.0.1', 11112)").code
    if peer == "pynetdicom":
        with pynetdicom_recorder() as recorder:
            ns = run_to_end(adapt(code, ports={11112: recorder.port}))
        assert [r.called_ae for r in recorder.requests] == ["ANY-SCP"]
    else:
        with dcmtk_storescp(extra_args=["-d"]) as scp:
            ns = run_to_end(adapt(code, ports={11112: scp.port}))
            assert scp.log_path is not None
            log = wait_for_log_line(scp.log_path, "Association Release")
        assert re.search(r"Called Application Name:\s+ANY-SCP", log), log
    assert ns["assoc"].is_released
    assert not ns["assoc"].is_established


def test_snippet_02_called_ae_title() -> None:
    code = snippet(2, "ae_title=b'STORE_SCP'").code
    with pynetdicom_recorder("STORE_SCP", require_called_aet=True) as scp:
        ns = run_to_end(adapt(code, ports={11112: scp.port}), SCU_PRELUDE)
        assert ns["assoc"].is_established
        ns["assoc"].release()
    assert [r.called_ae for r in scp.requests] == ["STORE_SCP"]


def test_snippet_03_contexts_per_association() -> None:
    code = snippet(3, "contexts=requested_contexts").code
    with pynetdicom_recorder() as scp:
        ns = run_to_end(adapt(code, ports={11112: scp.port}))
    assert ns["ae"].requested_contexts == []
    assert [r.abstract_syntaxes for r in scp.requests] == [["1.2.840.10008.1.1"]]
    assert ns["assoc"].is_released


def test_snippet_04_extended_negotiation() -> None:
    """127 storage contexts with SCP role selection, plus a user identity the peer receives."""
    code = snippet(4, "UserIdentityNegotiation()").code
    with pynetdicom_recorder() as scp:
        ns = run_to_end(adapt(code, ports={11112: scp.port}))
    (request,) = scp.requests
    expected = [str(c.abstract_syntax) for c in StoragePresentationContexts[:127]]
    # The snippet assigns to ``ae.add_requested_context`` instead of calling it, so the
    # Patient Root Get context is not proposed: 127 contexts, as written.
    assert request.abstract_syntaxes == expected
    assert request.role_items == 127
    assert scp.user_ids == [(2, b"username", b"password")]
    assert ns["assoc"].is_released


def test_snippet_05_evt_handlers_with_extra_args(logs: LogRecords) -> None:
    code = snippet(5, "['optional', 'parameters']").code
    with pynetdicom_recorder() as scp:
        ns = run_to_end(adapt(code, ports={11112: scp.port}))
    assert logs.matching(rf"^Connected with remote at \('127\.0\.0\.1', {scp.port}\)$")
    assert logs.matching(r"^Extra args: 'optional' and 'parameters'$")
    assert ns["assoc"].is_released


def test_snippet_06_bind_unbind_on_association(logs: LogRecords) -> None:
    code = snippet(6, "assoc.bind(evt.EVT_CONN_CLOSE, handle_close)").code
    with pynetdicom_recorder() as scp:
        ns = run_to_end(adapt(code, ports={11112: scp.port}))
    # EVT_CONN_OPEN fired while handle_open was bound; EVT_CONN_CLOSE after it was bound.
    assert len(logs.matching(r"^Connected with remote at")) == 1
    assert logs.matching(rf"^Disconnected from remote at \('127\.0\.0\.1', {scp.port}\)$")
    assert ns["assoc"].get_handlers(evt.EVT_CONN_OPEN) == []


def test_snippet_07_tls_client(tls_files: TLSFiles) -> None:
    """As written the snippet builds its client context with ``Purpose.CLIENT_AUTH``, a
    server-side context in Python 3.10+: no TLS client can use it. dicomactors, like
    pynetdicom (the oracle, same snippet), reports a failed connection without raising.
    With ``Purpose.SERVER_AUTH`` and a host name it associates over TLS."""
    code = snippet(7, "tls_args=(ssl_cx, None)").code
    with pynetdicom_recorder(ssl_context=server_context(tls_files)) as scp:
        ports = {11112: scp.port}
        ours = run_to_end(adapt(code, ports=ports, tls=tls_files))
        oracle = run_to_end(adapt(code, ports=ports, tls=tls_files, module="pynetdicom"))
        for ns in (ours, oracle):
            assert not (ns["assoc"].is_established or ns["assoc"].is_rejected)
        # Ours is a connection failure; pynetdicom flags a failed connection as aborted.
        assert not ours["assoc"].is_aborted
        assert scp.requests == []
        fixed = adapt(code, ports=ports, tls=tls_files)
        fixed = fixed.replace("ssl.Purpose.CLIENT_AUTH", "ssl.Purpose.SERVER_AUTH")
        fixed = fixed.replace("tls_args=(ssl_cx, None)", "tls_args=(ssl_cx, 'localhost')")
        ns = run_to_end(fixed)
        assert ns["assoc"].is_released
        assert [r.called_ae for r in scp.requests] == ["ANY-SCP"]


@pytest.mark.parametrize("outcome", ["established", "rejected", "aborted", "failed"])
def test_snippet_08_four_outcomes(outcome: str) -> None:
    """The snippet runs without raising whatever the outcome, and tells them apart."""
    code = snippet(8, "# Do something useful...").code
    if outcome == "established":
        with pynetdicom_recorder() as scp:
            assoc = run_to_end(adapt(code, ports={11112: scp.port}))["assoc"]
        assert assoc.is_released
    elif outcome == "rejected":
        with pynetdicom_recorder("ELSEWHERE", require_called_aet=True) as scp:
            assoc = run_to_end(adapt(code, ports={11112: scp.port}))["assoc"]
        assert assoc.is_rejected
        assert (assoc.result, assoc.result_source, assoc.result_reason) == (1, 1, 7)
    elif outcome == "aborted":
        peer = AbortingPeer()
        try:
            assoc = run_to_end(adapt(code, ports={11112: peer.port}))["assoc"]
        finally:
            peer.close()
        assert assoc.is_aborted
        assert not assoc.is_rejected
    else:
        assoc = run_to_end(adapt(code, ports={11112: unused_port()}))["assoc"]
        assert not (assoc.is_established or assoc.is_rejected or assoc.is_aborted)
    assert not assoc.is_established


def test_snippet_09_blocking_server() -> None:
    code = snippet(9, "ae.start_server(('', 11112))").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}))
    wait_listening(port)
    assert echo_ok(port), echoscu(port)
    assert run.running
    stop_blocking_server(run)


def test_snippet_10_non_blocking_then_blocking() -> None:
    code = snippet(10, "block=False)").code
    first, second = unused_port(), unused_port()
    run = SnippetRun(adapt(code, ports={11112: first, 11113: second}))
    wait_listening(first)
    wait_listening(second)
    server = run.wait_for("server")
    assert server.server_address[1] == first
    assert echo_ok(first)
    assert echo_ok(second)
    assert run.running  # the second start_server blocks
    stop_blocking_server(run)  # AE.shutdown() stops both
    assert not echo_ok(first)


def test_snippet_11_server_ae_title() -> None:
    code = snippet(11, "ae_title=b'STORE_SCP'").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}), SCP_PRELUDE)
    wait_listening(port)
    assert echo_ok(port, "-aec", "STORE_SCP")
    refused = echoscu(port, "-aec", run.wait_for("ae").ae_title)
    assert "Called AE Title Not Recognized" in refused, refused
    stop_blocking_server(run)


def test_snippet_12_server_contexts(tmp_path: Path) -> None:
    code = snippet(12, "contexts=supported_cx").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}))
    wait_listening(port)
    assert echo_ok(port)
    assert run.wait_for("ae").supported_contexts == []
    ct = tmp_path / "ct.dcm"
    ct_file(ct)
    stored = run_dcmtk("storescu", "-v", "127.0.0.1", str(port), str(ct))
    assert "No Acceptable Presentation Contexts" in dcmtk_output(stored), dcmtk_output(stored)
    stop_blocking_server(run)


def test_snippet_13_server_evt_handlers(logs: LogRecords) -> None:
    code = snippet(13, "ae.start_server(('', 11112), evt_handlers=handlers)").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}))
    wait_listening(port)
    assert echo_ok(port)
    logs.wait_for(r"^Connected with remote at \('127\.0\.0\.1', \d+\)$")
    logs.wait_for(r"^Extra args: 'optional' and 'parameters'$")
    stop_blocking_server(run)


def test_snippet_14_server_bind_unbind(logs: LogRecords) -> None:
    """bind/unbind on the server reach the association running now and those to come."""
    code = snippet(14, "scp.unbind(evt.EVT_CONN_OPEN, handle_open)").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}))
    run.wait_paused()
    scu = AE(ae_title="GUIDE_SCU")
    scu.add_requested_context(VerificationSOPClass)
    running = scu.associate("127.0.0.1", port)
    assert running.is_established
    logs.wait_for(r"^Connected with remote at")
    run.resume.release()
    run.wait_paused()
    assert logs.matching(r"^Bindings changed$")
    running.release()  # the association that was running gets handle_close
    logs.wait_for(r"^Disconnected from remote at")
    later = scu.associate("127.0.0.1", port)
    assert later.is_established
    later.release()
    assert later.is_released
    assert len(logs.matching(r"^Connected with remote at")) == 1  # unbound for the new one
    assert len(logs.wait_for_count(r"^Disconnected from remote at", 2)) == 2
    run.resume.release()
    run.finish()
    assert not echo_ok(port)


def test_snippet_15_tls_server(tls_files: TLSFiles) -> None:
    code = snippet(15, "ssl_context=ssl_cx").code
    port = unused_port()
    ns = run_to_end(adapt(code, ports={11112: port}, tls=tls_files))
    server = ns["server"]
    try:
        # ``maximum_version = TLSv1_2``: a client that offers 1.3 gets 1.2.
        assert handshake_version(port, client_context(tls_files)) == "TLSv1.2"
        scu = AE()
        scu.add_requested_context(VerificationSOPClass)
        assoc = scu.associate("127.0.0.1", port, tls_args=(client_context(tls_files), "localhost"))
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
        # Without a client certificate (CERT_REQUIRED) there is no association.
        anonymous = ssl.create_default_context(cafile=str(tls_files.ca_crt))
        refused = scu.associate("127.0.0.1", port, tls_args=(anonymous, "localhost"))
        assert not refused.is_established
    finally:
        peers_gone(server)
        server.shutdown()


def test_snippet_16_c_store_handler(tmp_path: Path) -> None:
    code = snippet(16, "evt.EVT_C_STORE, handle_store").code
    port = unused_port()
    run = SnippetRun(adapt(code, ports={11112: port}))
    wait_listening(port)
    ct = tmp_path / "ct.dcm"
    ct_file(ct)
    result = run_dcmtk("storescu", "-v", "127.0.0.1", str(port), str(ct))
    assert result.returncode == 0, dcmtk_output(result)
    assert "Received Store Response (Success)" in dcmtk_output(result)
    stop_blocking_server(run)


# -- (b) the same, written out --------------------------------------------------------------


def verification_ae(title: str = "DICOMACTORS") -> AE:
    ae = AE(ae_title=title)
    ae.add_requested_context(VerificationSOPClass)
    return ae


def test_guide_default_called_ae_title_is_any_scp() -> None:
    with dcmtk_storescp(extra_args=["-d"]) as scp:
        assoc = verification_ae().associate("127.0.0.1", scp.port)
        assert assoc.is_established
        assoc.release()
        assert scp.log_path is not None
        log = wait_for_log_line(scp.log_path, "Association Release")
    assert re.search(r"Called Application Name:\s+ANY-SCP\s*$", log, re.MULTILINE)
    assert re.search(r"Calling Application Name:\s+DICOMACTORS\s*$", log, re.MULTILINE)
    assert assoc.is_released


def test_guide_called_ae_title_as_bytes() -> None:
    with dcmtk_storescp(extra_args=["-d"]) as dcmtk, pynetdicom_recorder() as pynet:
        ae = verification_ae()
        for port in (dcmtk.port, pynet.port):
            assoc = ae.associate("127.0.0.1", port, ae_title=b"STORE_SCP")
            assert assoc.is_established
            assert assoc.acceptor.ae_title == "STORE_SCP"
            assoc.release()
        assert dcmtk.log_path is not None
        log = wait_for_log_line(dcmtk.log_path, "Association Release")
    assert re.search(r"Called Application Name:\s+STORE_SCP\s*$", log, re.MULTILINE)
    assert [r.called_ae for r in pynet.requests] == ["STORE_SCP"]


def test_guide_contexts_per_association_replace_the_requested_ones() -> None:
    ae = AE()
    ae.add_requested_context(CTImageStorage)
    with pynetdicom_recorder() as scp:
        assoc = ae.associate("127.0.0.1", scp.port, contexts=[build_context("1.2.840.10008.1.1")])
        assert assoc.is_established
        assert [str(c.abstract_syntax) for c in assoc.accepted_contexts] == ["1.2.840.10008.1.1"]
        assoc.release()
    assert [r.abstract_syntaxes for r in scp.requests] == [["1.2.840.10008.1.1"]]
    assert [str(c.abstract_syntax) for c in ae.requested_contexts] == [CTImageStorage]


def test_guide_extended_negotiation_roles_and_user_identity() -> None:
    ae = AE()
    ae.requested_contexts = StoragePresentationContexts[:127]
    items: list[Any] = [
        build_role(str(c.abstract_syntax), scp_role=True) for c in StoragePresentationContexts[:127]
    ]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.primary_field = b"username"
    identity.secondary_field = b"password"
    items.append(identity)
    with pynetdicom_recorder() as scp:
        assoc = ae.associate("127.0.0.1", scp.port, ext_neg=items)
        assert assoc.is_established
        ct = next(c for c in assoc.accepted_contexts if c.abstract_syntax == CTImageStorage)
        # The peer accepted the role we asked for: we act as the Storage SCP on it.
        assert (ct.as_scu, ct.as_scp) == (False, True)
        with pytest.raises(ValueError):
            assoc.send_c_store(ct_dataset())  # we are not the SCU on that context
        assoc.release()
    (request,) = scp.requests
    assert len(request.abstract_syntaxes) == 127
    assert request.role_items == 127
    assert scp.user_ids == [(2, b"username", b"password")]


def test_guide_evt_handlers_get_their_extra_arguments() -> None:
    calls: list[tuple[str, Any]] = []

    def handle_open(event: Any) -> None:
        calls.append(("open", event.address))

    def handle_accepted(event: Any, arg1: str, arg2: str) -> None:
        calls.append(("accepted", (event.event, arg1, arg2)))

    handlers = [
        (evt.EVT_CONN_OPEN, handle_open),
        (evt.EVT_ACCEPTED, handle_accepted, ["optional", "parameters"]),
    ]
    with pynetdicom_recorder() as scp:
        assoc = verification_ae().associate("localhost", scp.port, evt_handlers=handlers)
        assoc.release()
    assert calls == [
        ("open", ("127.0.0.1", scp.port)),
        ("accepted", (evt.EVT_ACCEPTED, "optional", "parameters")),
    ]


def test_guide_bind_and_unbind_on_an_association() -> None:
    closed: list[Any] = []

    def handle_open(event: Any) -> None:
        pass

    def handle_close(event: Any) -> None:
        closed.append(event.address)

    with pynetdicom_recorder() as scp:
        assoc = verification_ae().associate(
            "127.0.0.1", scp.port, evt_handlers=[(evt.EVT_CONN_OPEN, handle_open)]
        )
        assert assoc.get_handlers(evt.EVT_CONN_OPEN) == [(handle_open, None)]
        assoc.unbind(evt.EVT_CONN_OPEN, handle_open)
        assoc.bind(evt.EVT_CONN_CLOSE, handle_close)
        assert assoc.get_handlers(evt.EVT_CONN_OPEN) == []
        assoc.release()
    assert closed == [("127.0.0.1", scp.port)]


def test_guide_bind_and_unbind_on_a_server() -> None:
    opened: list[Any] = []
    closed: list[Any] = []

    def handle_open(event: Any) -> None:
        opened.append(event.assoc)

    def handle_close(event: Any) -> None:
        closed.append(event.assoc)

    scp = AE()
    scp.add_supported_context(VerificationSOPClass)
    server = scp.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_CONN_OPEN, handle_open)]
    )
    assert server is not None
    try:
        scu = verification_ae()
        first = scu.associate("127.0.0.1", server.port)
        assert first.is_established and len(opened) == 1
        server.unbind(evt.EVT_CONN_OPEN, handle_open)
        server.bind(evt.EVT_CONN_CLOSE, handle_close)
        (running,) = server.active_associations
        assert running.get_handlers(evt.EVT_CONN_CLOSE) == [(handle_close, None)]
        first.release()
        second = scu.associate("127.0.0.1", server.port)
        assert second.is_established
        second.release()
        # Requestor associations are not touched by a server's bindings.
        assert first.get_handlers(evt.EVT_CONN_CLOSE) == []
    finally:
        peers_gone(server)
        server.shutdown()
    assert len(opened) == 1  # not for the second association
    assert len(closed) == 2 and closed[0] is running  # the running one, and the new one


def test_guide_tls_both_sides(tls_files: TLSFiles) -> None:
    # tls_args: our SCU, a pynetdicom SCP with TLS.
    with pynetdicom_recorder(ssl_context=server_context(tls_files)) as scp:
        assoc = verification_ae().associate(
            "127.0.0.1", scp.port, tls_args=(client_context(tls_files), "localhost")
        )
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
    assert len(scp.requests) == 1
    # ssl_context: our SCP, a pynetdicom SCU with TLS.
    from pynetdicom import AE as PynetdicomAE

    ours = AE()
    ours.add_supported_context(VerificationSOPClass)
    server = ours.start_server(("127.0.0.1", 0), block=False, ssl_context=server_context(tls_files))
    assert server is not None
    try:
        peer = PynetdicomAE()
        peer.add_requested_context("1.2.840.10008.1.1")
        theirs = peer.associate(
            "127.0.0.1", server.port, tls_args=(client_context(tls_files), "localhost")
        )
        assert theirs.is_established
        assert theirs.send_c_echo().Status == 0x0000
        theirs.release()
    finally:
        peers_gone(server)
        server.shutdown()


def test_guide_four_outcomes() -> None:
    ae = verification_ae()
    with pynetdicom_recorder() as scp:
        established = ae.associate("127.0.0.1", scp.port)
        assert established.is_established
        established.release()
        assert established.is_released
    with pynetdicom_recorder("ELSEWHERE", require_called_aet=True) as scp:
        rejected = ae.associate("127.0.0.1", scp.port)
    assert rejected.is_rejected and not rejected.is_established
    assert (rejected.result, rejected.result_source, rejected.result_reason) == (1, 1, 7)
    peer = AbortingPeer()
    try:
        aborted = ae.associate("127.0.0.1", peer.port)
    finally:
        peer.close()
    assert aborted.is_aborted and not (aborted.is_established or aborted.is_rejected)
    failed = ae.associate("127.0.0.1", unused_port())  # no exception
    assert not (failed.is_established or failed.is_rejected or failed.is_aborted)
    assert failed.join(10)  # its actors end soon after associate() returns


def test_guide_services_need_an_established_association_and_a_context() -> None:
    ae = verification_ae()
    failed = ae.associate("127.0.0.1", unused_port())
    with pytest.raises(RuntimeError):
        failed.send_c_echo()
    with pynetdicom_recorder() as scp:
        assoc = ae.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        with pytest.raises(ValueError):
            assoc.send_c_store(ct_dataset())  # only Verification was accepted
        assert assoc.send_c_echo().Status == 0x0000  # still usable after the ValueError
        assoc.release()
        with pytest.raises(RuntimeError):
            assoc.send_c_echo()  # released
    assert scp.stored == []


def test_guide_release_is_seen_by_the_peer() -> None:
    with dcmtk_storescp() as scp:
        assoc = verification_ae().associate("127.0.0.1", scp.port)
        assert assoc.is_established
        assoc.release()
        assert scp.log_path is not None
        wait_for_log_line(scp.log_path, "^I: Association Release$")
    assert assoc.is_released and not assoc.is_aborted and not assoc.is_alive()


@pytest.mark.parametrize("peer", ["pynetdicom", "dicomactors"])
def test_guide_acceptor_user_identity_positive_response(peer: str) -> None:
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 4  # SAML: pynetdicom answers types 3 to 5 only
    identity.primary_field = b"<saml/>"
    identity.positive_response_requested = True
    ae = verification_ae()
    if peer == "pynetdicom":
        with pynetdicom_recorder(user_id_response=b"WELCOME") as scp:
            assoc = ae.associate("127.0.0.1", scp.port, ext_neg=[identity])
            assert assoc.is_established
            assoc.release()
        assert scp.user_ids == [(4, b"<saml/>", b"")]
    else:
        seen: list[tuple[int, bytes]] = []

        def on_user_id(event: Any) -> tuple[bool, bytes]:
            seen.append((event.user_id_type, event.primary_field))
            return True, b"WELCOME"

        ours = AE()
        ours.add_supported_context(VerificationSOPClass)
        server = ours.start_server(
            ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_USER_ID, on_user_id)]
        )
        assert server is not None
        try:
            assoc = ae.associate("127.0.0.1", server.port, ext_neg=[identity])
            assert assoc.is_established
            assoc.release()
        finally:
            peers_gone(server)
            server.shutdown()
        assert seen == [(4, b"<saml/>")]
    response = assoc.acceptor.user_identity
    assert response is not None and response.server_response == b"WELCOME"


def test_guide_server_blocking_and_not() -> None:
    ae = AE()
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(("", 0), block=False)
    assert server is not None
    port = server.port
    assert echo_ok(port)
    blocking_port = unused_port()
    returned: list[Any] = []
    thread = threading.Thread(
        target=lambda: returned.append(ae.start_server(("", blocking_port), block=True))
    )
    thread.start()
    wait_listening(blocking_port)
    assert echo_ok(blocking_port)
    assert thread.is_alive()
    peers_gone(server)
    server.shutdown()
    assert not echo_ok(port)
    assert echo_ok(blocking_port)
    peers_gone(ae)
    ae.shutdown()
    thread.join(10)
    assert not thread.is_alive() and returned == [None]
    assert not echo_ok(blocking_port)


def test_guide_server_ae_title_and_contexts() -> None:
    ae = AE(ae_title=b"PARENT")
    ae.add_supported_context(VerificationSOPClass)
    ae.require_called_aet = True
    named = ae.start_server(("127.0.0.1", 0), block=False, ae_title=b"STORE_SCP")
    parent = ae.start_server(("127.0.0.1", 0), block=False)
    only_ct = ae.start_server(
        ("127.0.0.1", 0), block=False, contexts=[build_context(CTImageStorage)]
    )
    assert named is not None and parent is not None and only_ct is not None
    try:
        assert echo_ok(named.port, "-aec", "STORE_SCP")
        assert "Called AE Title Not Recognized" in echoscu(named.port, "-aec", "PARENT")
        assert echo_ok(parent.port, "-aec", "PARENT")  # the parent AE's title by default
        assert "No Acceptable Presentation Contexts" in echoscu(only_ct.port, "-aec", "PARENT")
    finally:
        peers_gone(ae)
        ae.shutdown()


def test_guide_c_store_handler(tmp_path: Path) -> None:
    received: list[Any] = []

    def handle_store(event: Any) -> int:
        received.append(event.dataset.SOPInstanceUID)
        return 0x0000

    ae = AE()
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, handle_store)]
    )
    assert server is not None
    try:
        ct = ct_file(tmp_path / "ct.dcm")
        result = run_dcmtk(
            "storescu", "-v", "127.0.0.1", str(server.port), str(tmp_path / "ct.dcm")
        )
        assert "Received Store Response (Success)" in dcmtk_output(result), dcmtk_output(result)
    finally:
        peers_gone(server)
        server.shutdown()
    assert received == [ct.SOPInstanceUID]


def test_guide_patient_root_get_name_is_the_sop_class() -> None:
    # The ext_neg snippet names this class; the old and new names resolve alike.
    assert PatientRootQueryRetrieveInformationModelGet == "1.2.840.10008.5.1.4.1.2.1.3"


def test_abort_of_an_ending_association_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race ``server.shutdown()`` loses now and then, made certain: the acceptor's actor
    is held just after ``_on_TransportReleased`` has called ``stop(block=False)``, and
    ``abort()`` is told to it in that window."""
    from dicomactors.actors.association import AssociationActor

    stopping, proceed, told = threading.Event(), threading.Event(), threading.Event()
    original = AssociationActor._on_TransportReleased

    def held(self: Any, message: Any) -> None:
        original(self, message)
        if self.assoc.is_acceptor:
            stopping.set()
            proceed.wait(10)

    monkeypatch.setattr(AssociationActor, "_on_TransportReleased", held)
    ae = AE()
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    try:
        requestor = verification_ae().associate("127.0.0.1", server.port)
        assert requestor.is_established
        (acceptor,) = server.active_associations
        tell = acceptor._tell

        def tell_then_signal(message: Any) -> bool:
            sent = tell(message)
            told.set()
            return sent

        monkeypatch.setattr(acceptor, "_tell", tell_then_signal)
        requestor.release()
        assert stopping.wait(10)
        errors: list[BaseException] = []

        def abort() -> None:
            try:
                acceptor.abort()
            except BaseException as error:
                errors.append(error)

        aborting = threading.Thread(target=abort)
        aborting.start()
        assert told.wait(10)
        proceed.set()
        aborting.join(15)
        if errors:
            raise errors[0]
    finally:
        proceed.set()
        server.shutdown()
