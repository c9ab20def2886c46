"""The conformance suite itself: the report writer, ``dicomactors validate`` and its exit codes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dicomactors.apps.qrscp import QRSCP, RunningQRSCP
from dicomactors.cli import main
from dicomactors.pdu import (
    AAssociateAC,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDUReader,
    encode_pdu,
)
from harness import behaviours as b
from harness import conformance as c
from harness.conformance import SCENARIOS, Result, Scenario, Status, Verdict
from harness.report import SCHEMA, as_html, summary_table, write_report
from harness.systems import LOOPBACK, SystemUnderTest
from tests._hostile import serving


@pytest.fixture
def qrscp(tmp_path: Path) -> Iterator[RunningQRSCP]:
    scp = QRSCP(tmp_path / "storage", "QRSCP")
    scp.ae.acse_timeout = 2
    running = scp.start((LOOPBACK, 0))
    try:
        yield running
    finally:
        running.shutdown()
        scp.index.close()


def _scenario(id: str, status: Status) -> Scenario:
    return Scenario(
        id, f"title of {id}", "PS3.8 9.9", "what the clause asks", lambda s: Verdict(status, "")
    )


def _results() -> list[Result]:
    return [
        Result(_scenario("one", Status.PASSED), "alpha", Verdict(Status.PASSED, "fine", 0.01)),
        Result(_scenario("one", Status.PASSED), "beta", Verdict(Status.DEVIATES, "odd <b>", 0.2)),
        Result(_scenario("two", Status.PASSED), "alpha", Verdict(Status.NOT_APPLICABLE, "n/a")),
        Result(_scenario("two", Status.PASSED), "beta", Verdict(Status.ERROR, "broke", 1.0)),
    ]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "td" and values.get("class"):
            self.classes.append(str(values["class"]))
        if values.get("id"):
            self.ids.append(str(values["id"]))


def test_the_report_has_its_schema_and_a_matrix(tmp_path: Path) -> None:
    results = _results()
    json_path, html_path = write_report(results, tmp_path / "out")
    report = json.loads(json_path.read_text())
    assert report["schema"] == SCHEMA
    assert set(report) == {
        "schema", "generated", "systems", "scenarios", "results", "findings", "summary",
        "crashes", "state_grids",
    }  # fmt: skip
    assert [s["id"] for s in report["scenarios"]] == ["one", "two"]
    assert report["scenarios"][0] == {
        "id": "one", "title": "title of one", "clause": "PS3.8 9.9",
        "expected": "what the clause asks", "group": "", "role": "acceptor", "cell": None,
    }  # fmt: skip
    assert {(r["scenario"], r["system"], r["status"]) for r in report["results"]} == {
        ("one", "alpha", "passed"), ("one", "beta", "deviates"),
        ("two", "alpha", "not applicable"), ("two", "beta", "error"),
    }  # fmt: skip
    assert report["findings"] == {
        "beta": [{"scenario": "one", "clause": "PS3.8 9.9", "expected": "what the clause asks",
                  "seen": "odd <b>", "elapsed": 0.2}]
    }  # fmt: skip
    assert report["summary"]["beta"] == {
        "passed": 0, "deviates": 1, "not applicable": 0, "not run": 0, "error": 1,
    }  # fmt: skip
    page = html_path.read_text()
    cells = _Cells()
    cells.feed(page)
    assert "matrix" in cells.ids and {"one", "two"} <= set(cells.ids)
    matrix = [k for k in cells.classes if k in ("passed", "deviates", "not-applicable", "error")]
    assert matrix == ["passed", "deviates", "not-applicable", "error"]
    assert "odd &lt;b&gt;" in page and "odd <b>" not in page
    assert "what the clause asks" in page and "0.200 s" in page
    assert "<h3>beta</h3>" in as_html(results)  # the findings, per system
    table = summary_table(results).splitlines()
    assert table[0].split() == [
        "system", "passed", "deviates", "not", "applicable", "not", "run", "error",
    ]  # fmt: skip
    assert table[2].split() == ["alpha", "1", "0", "1", "0", "0"]


def test_the_catalogue_names_a_clause_for_every_scenario() -> None:
    assert len(SCENARIOS) >= 40
    assert len({entry.id for entry in SCENARIOS}) == len(SCENARIOS)
    for entry in SCENARIOS:
        assert entry.clause.startswith(("PS3.4", "PS3.7", "PS3.8", "PS3.15")), entry.id
        assert entry.expected, entry.id
    assert SCENARIOS[-1].id == "association-limit"


def test_a_scenario_needing_configuration_is_not_applicable_until_declared() -> None:
    called = c.scenario_by_id("called-aet-wrong")
    bare = SystemUnderTest("x", LOOPBACK, 1, "X", frozenset())
    verdict = called.check(bare)
    assert verdict.status is Status.NOT_APPLICABLE and "checks-called-aet" in verdict.seen
    declared = SystemUnderTest("x", LOOPBACK, 1, "X", frozenset({c.CHECKS_CALLED_AET}))
    assert called.applies(declared)
    assert (
        c.capability_value(
            SystemUnderTest("x", LOOPBACK, 1, "X", frozenset({c.artim(2.5)})), c.ARTIM
        )
        == "2.5"
    )


def test_nobody_listening_is_not_run_never_a_finding() -> None:
    from harness.systems import free_port

    sut = SystemUnderTest("gone", LOOPBACK, free_port(), "X", frozenset({"echo"}))
    verdict = c.scenario_by_id("association-accepted").check(sut)
    assert verdict.status is Status.NOT_RUN and "no connection" in verdict.seen
    verdict = c.scenario_by_id("c-echo").check(sut)
    assert verdict.status is Status.NOT_RUN and "not established" in verdict.seen


def test_validate_against_our_qrscp_passes_everything(
    qrscp: RunningQRSCP, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    argv = [
        "validate", LOOPBACK, str(qrscp.port), "--aet", "QRSCP", "--report-dir", str(reports),
        "--artim", "2", "--capability", "echo", "--capability", "store",
        "--capability", "find", "--capability", "get", "--capability", "move", "--strict", "-q",
    ]  # fmt: skip
    # The maximum-length check is a known node bug (see scenarios/conftest.py).
    chosen = [e.id for e in SCENARIOS if e.id != "pdu-over-maximum"]
    for scenario_id in chosen:
        argv += ["--scenario", scenario_id]
    assert main(argv) == 0
    report = json.loads((reports / "conformance.json").read_text())
    statuses = {r["status"] for r in report["results"]}
    assert statuses <= {"passed", "not applicable"}
    passed = [r["scenario"] for r in report["results"] if r["status"] == "passed"]
    assert {
        "association-accepted",
        "c-store",
        "c-find",
        "c-get",
        "artim-silent-after-connect",
    } <= set(passed)
    assert report["findings"] == {}
    assert (reports / "conformance.html").is_file()
    assert "report:" in capsys.readouterr().out


def _accept_without_maximum_length(rq: object) -> AAssociateAC:
    ac = b.accept_all(rq)  # type: ignore[arg-type]
    return AAssociateAC(ac.called_ae_title, ac.calling_ae_title, ac.presentation_contexts, ())


def _acceptor_without_maximum_length(sock: socket.socket) -> None:
    """Accept every association, leaving the Maximum Length sub-item out of the AC; release."""
    reader = PDUReader()
    with sock:
        while data := sock.recv(65536):
            for pdu in reader.feed(data):
                if isinstance(pdu, AAssociateRQ):
                    sock.sendall(encode_pdu(_accept_without_maximum_length(pdu)))
                elif isinstance(pdu, AReleaseRQ):
                    sock.sendall(encode_pdu(AReleaseRP()))
                    return


def test_validate_records_a_finding_of_a_misbehaving_acceptor(tmp_path: Path) -> None:
    """An acceptor that leaves the Maximum Length sub-item out of its A-ASSOCIATE-AC (for
    every association: validate checks between scenarios that the node still serves)."""
    reports = tmp_path / "reports"
    with serving(_acceptor_without_maximum_length) as port:
        argv = ["validate", LOOPBACK, str(port), "--report-dir", str(reports), "-q"]
        assert main([*argv, "--scenario", "ac-maximum-length"]) == 0
    report = json.loads((reports / "conformance.json").read_text())
    [finding] = report["findings"]["remote"]
    assert finding["scenario"] == "ac-maximum-length"
    assert finding["clause"] == "PS3.8 D.1"
    assert "no Maximum Length sub-item" in finding["seen"]


def test_strict_validate_exits_1_on_a_finding(tmp_path: Path) -> None:
    """Against DCMTK storescp: it accepts an A-RELEASE-RQ of the wrong length (a finding)."""
    from harness.systems import PeerUnavailable, dcmtk_storescp

    try:
        launcher = dcmtk_storescp(extra_args=["-ta", "2"])
        sut = launcher.__enter__()
    except PeerUnavailable as missing:
        pytest.skip(str(missing))
    try:
        base = [
            sys.executable, "-m", "dicomactors.cli", "validate", LOOPBACK, str(sut.port),
            "--aet", sut.ae_title, "--scenario", "malformed-release-rq-wrong-length",
            "--scenario", "association-accepted", "-q",
        ]  # fmt: skip
        lenient = subprocess.run(
            [*base, "--report-dir", str(tmp_path / "a")], capture_output=True, text=True, timeout=60
        )
        strict = subprocess.run(
            [*base, "--report-dir", str(tmp_path / "b"), "--strict"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        launcher.__exit__(None, None, None)
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert strict.returncode == 1, strict.stdout + strict.stderr
    report = json.loads((tmp_path / "b" / "conformance.json").read_text())
    assert [f["scenario"] for f in report["findings"]["remote"]] == [
        "malformed-release-rq-wrong-length"
    ]
    assert "malformed-release-rq-wrong-length" in strict.stdout


def test_echo_command(qrscp: RunningQRSCP, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["echo", LOOPBACK, str(qrscp.port), "-aec", "QRSCP"]) == 0
    assert "(QRSCP): Success" in capsys.readouterr().out
