"""The suite outlives the node it judges (issue 12, deliverable 4).

Every acceptor scenario, against nodes that refuse, reset, close at once or answer
garbage, ends in a verdict: no scenario raises (an ERROR is a defect of the suite) and a
refused connection is never a finding. A node that crashes on one class of malformed PDU
(harness/peers/fragile_scp.py) is caught: the scenario whose input killed it deviates
with "the node stopped serving" and that input's transcript; a node the suite started is
restarted and the run goes on; one it cannot restart leaves the rest "not run".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dicomactors.cli import main
from harness import conformance as c
from harness.conformance import (
    NODE_DOWN,
    SCENARIOS,
    STOPPED_SERVING,
    Scenario,
    Status,
    run_guarded,
    security,
)
from harness.stategrid import Role
from harness.systems import LOOPBACK, SystemUnderTest, fragile_scp, free_port
from tests._hostile import hostile_node, refused_port

KILLER = "malformed-unknown-pdu-type-established"
"""The only scenario that sends a PDU of type 0xFF, the fragile node's fatal input."""

EVERYTHING = frozenset(
    {
        "echo",
        "store",
        "find",
        "get",
        "move",
        "commitment",
        "nservices",
        c.CHECKS_CALLED_AET,
        c.CHECKS_CALLING_AET,
        c.INITIATES_RELEASE,
        c.artim(1),
        c.max_associations(2),
    }
)


def _acceptor_scenarios() -> list[Scenario]:
    return [entry for entry in SCENARIOS if entry.role is Role.ACCEPTOR]


def _everything(port: int) -> SystemUnderTest:
    extra = {c.move_destination("MOVEDEST", LOOPBACK, free_port()), security.tls_port(port)}
    supports = EVERYTHING | extra
    return SystemUnderTest("hostile", LOOPBACK, port, "HOSTILE", supports)


@pytest.fixture(params=["refused", "reset", "close", "garbage", "accept-then-close"])
def hostile(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    if request.param == "refused":
        yield request.param, refused_port()
        return
    with hostile_node(request.param) as port:
        yield request.param, port


@pytest.mark.timeout(600)
def test_every_scenario_ends_in_a_verdict_against_a_hostile_node(
    hostile: tuple[str, int],
) -> None:
    kind, port = hostile
    sut = _everything(port)
    verdicts = {entry.id: entry.check(sut) for entry in _acceptor_scenarios()}
    defects = {i: f"{v.seen}\n{v.detail}" for i, v in verdicts.items() if v.status is Status.ERROR}
    assert defects == {}
    if kind == "refused":
        never = (Status.NOT_RUN, Status.NOT_APPLICABLE)
        findings = {i: v.seen for i, v in verdicts.items() if v.status not in never}
        assert findings == {}


@pytest.mark.parametrize("kind", ["refused", "garbage"])
def test_the_guarded_run_marks_a_node_that_never_answers_not_run(kind: str) -> None:
    scenarios = _acceptor_scenarios()
    if kind == "refused":
        record = run_guarded(_everything(refused_port()), scenarios)
    else:
        with hostile_node(kind) as port:
            record = run_guarded(_everything(port), scenarios)
    statuses = {r.verdict.status for r in record.results}
    assert statuses <= {Status.NOT_RUN, Status.NOT_APPLICABLE} and Status.NOT_RUN in statuses
    down = [r for r in record.results if r.verdict.status is Status.NOT_RUN]
    assert all(NODE_DOWN in r.verdict.seen for r in down)
    assert record.crashes == []


def _ids(*names: str) -> list[Scenario]:
    return [c.scenario_by_id(name) for name in names]


@pytest.mark.timeout(300)
def test_a_node_the_suite_started_is_restarted_after_the_input_that_killed_it() -> None:
    chosen = _ids("association-accepted", KILLER, "c-echo", "c-store", "c-find-no-match")
    record = run_guarded(fragile_scp, chosen)
    verdicts = {r.scenario.id: r.verdict for r in record.results}
    killed = verdicts.pop(KILLER)
    assert killed.status is Status.DEVIATES and STOPPED_SERVING in killed.seen
    assert "sent AAssociateRQ" in killed.detail  # the transcript of the fatal input
    assert {i: v.status for i, v in verdicts.items()} == dict.fromkeys(verdicts, Status.PASSED)
    [crash] = record.crashes
    assert (crash.system, crash.scenario, crash.restarted) == ("fragile", KILLER, True)


@pytest.mark.timeout(300)
def test_validate_against_a_node_that_dies_reports_the_input_and_no_false_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    with fragile_scp() as sut:
        argv = ["validate", LOOPBACK, str(sut.port), "--aet", sut.ae_title]
        for capability in ("echo", "store", "find"):
            argv += ["--capability", capability]
        assert main([*argv, "--report-dir", str(reports), "-q"]) == 0
        assert sut.log_path is not None
    report = json.loads((reports / "conformance.json").read_text())
    assert [f["scenario"] for f in report["findings"]["remote"]] == [KILLER]
    [crash] = report["crashes"]
    assert crash["scenario"] == KILLER and crash["restarted"] is False
    statuses = [(r["scenario"], r["status"]) for r in report["results"]]
    after = statuses[[s for s, _ in statuses].index(KILLER) + 1 :]
    assert after and {status for _, status in after} <= {"not run", "not applicable"}
    assert report["summary"]["remote"]["error"] == 0
    out = capsys.readouterr().out
    assert f"stopped serving after {KILLER}" in out
    junit = (reports / "conformance.junit.xml").read_text()
    assert f'name="{KILLER}"' in junit and 'type="deviates"' in junit
