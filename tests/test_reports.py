"""The reports people and CI read: JUnit XML, the HTML's folded transcripts, filters and
state grids, and the grids as markdown (issue 12, deliverable 5)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from dicomactors.fsm import Event, State
from harness.conformance import Crash, Result, Scenario, Status, Verdict
from harness.grids import grids_from_results, grids_markdown
from harness.junit import junit_xml
from harness.report import JUNIT_NAME, write_report
from harness.stategrid import Mark, Role

PROBED = (State.STA6_ESTABLISHED, Event.EVT19_INVALID_PDU_RECEIVED)
OTHER = (State.STA6_ESTABLISHED, Event.EVT10_P_DATA_RECEIVED)
OUT_OF_REACH = (State.STA4_AWAITING_TRANSPORT_OPEN, Event.EVT3_A_ASSOCIATE_AC_RECEIVED)


def _scenario(id: str, group: str, cell: tuple[State, Event] | None = None) -> Scenario:
    return Scenario(
        id,
        f"title of {id}",
        "PS3.8 9.2",
        "A-ABORT",
        lambda s: Verdict(Status.PASSED, ""),
        group=group,
        cell=cell,
    )


def _results() -> list[Result]:
    invalid = _scenario("invalid-pdu", "state-grid", PROBED)
    p_data = _scenario("p-data", "state-grid", OTHER)
    plain = _scenario("plain", "association")
    return [
        Result(invalid, "alpha", Verdict(Status.PASSED, "aborted", 0.01, "transcript <1>")),
        Result(invalid, "beta", Verdict(Status.DEVIATES, "answered", 0.02, "transcript <2>")),
        Result(p_data, "alpha", Verdict(Status.NOT_RUN, "the node is down")),
        Result(plain, "alpha", Verdict(Status.NOT_APPLICABLE, "needs echo")),
        Result(plain, "beta", Verdict(Status.ERROR, "suite defect: KeyError", 0.0, "Traceback")),
    ]


def test_junit_has_one_case_per_scenario_and_system_with_its_clause_and_verdict() -> None:
    root = ET.fromstring(junit_xml(_results()))
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"alpha", "beta"}
    alpha, beta = suites["alpha"], suites["beta"]
    assert (alpha.get("tests"), alpha.get("failures"), alpha.get("skipped")) == ("3", "0", "2")
    assert (beta.get("tests"), beta.get("failures"), beta.get("errors")) == ("2", "1", "1")
    [deviates] = [case for case in beta.iter("testcase") if case.get("name") == "invalid-pdu"]
    assert deviates.get("classname") == "beta.state-grid"
    failure = deviates.find("failure")
    assert failure is not None and failure.get("message") == "answered"
    assert "PS3.8 9.2" in (failure.text or "") and "transcript <2>" in (failure.text or "")
    properties = {p.get("name"): p.get("value") for p in deviates.iter("property")}
    assert properties == {"clause": "PS3.8 9.2", "verdict": "deviates", "role": "acceptor"}
    [skipped] = [case for case in alpha.iter("testcase") if case.get("name") == "p-data"]
    element = skipped.find("skipped")
    assert element is not None and element.get("message") == "not run: the node is down"


def test_grids_come_from_the_scenarios_that_probe_a_cell() -> None:
    not_drivable = {Role.ACCEPTOR: {OUT_OF_REACH: "an acceptor never waits for a transport"}}
    grids = {grid.system: grid for grid in grids_from_results(_results(), not_drivable)}
    assert set(grids) == {"alpha", "beta"}
    alpha, beta = grids["alpha"], grids["beta"]
    assert alpha.cell(*PROBED).mark is Mark.MATCHES
    assert beta.cell(*PROBED).mark is Mark.DEVIATES and beta.cell(*PROBED).seen == "answered"
    assert alpha.cell(*OTHER).mark is Mark.NOT_PROBED
    assert "the node is down" in alpha.cell(*OTHER).why
    assert alpha.cell(*OUT_OF_REACH).mark is Mark.NOT_DRIVABLE
    assert alpha.counts()[Mark.NOT_DRIVABLE] == 1
    markdown = grids_markdown(grids.values())
    assert "**alpha** as acceptor" in markdown and "1 matches" in markdown


def test_the_html_folds_transcripts_filters_and_shows_grids_and_crashes(tmp_path: Path) -> None:
    crash = Crash("beta", "invalid-pdu", "no connection", True, "transcript <2>")
    markdown = tmp_path / "grids.md"
    json_path, html_path = write_report(
        _results(), tmp_path, crashes=[crash], round_trips={"alpha": 0.002}, state_grid_md=markdown
    )
    page = html_path.read_text()
    assert "<details><summary>transcript</summary><pre>transcript &lt;1&gt;</pre>" in page
    assert 'id="by-status"' in page and 'id="by-group"' in page
    assert '<option value="state-grid">state-grid</option>' in page
    assert 'data-group="state-grid" data-statuses="deviates passed"' in page
    assert page.count('class="state-grid"') == 2
    assert "stopped serving after" in page
    report = json.loads(json_path.read_text())
    assert report["crashes"][0]["scenario"] == "invalid-pdu"
    assert {grid["system"] for grid in report["state_grids"]} == {"alpha", "beta"}
    assert report["systems"][0] == {"name": "alpha", "round_trip": 0.002}
    assert (tmp_path / JUNIT_NAME).is_file()
    assert "**beta** as acceptor" in markdown.read_text()
