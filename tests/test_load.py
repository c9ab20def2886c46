"""Load runs with Locust (harness/load): headless against DCMTK storescp and the dicomactors
SCP, one master with two workers, and nodes that reject or die partway. Every run is a
few seconds on loopback; the counts Locust reports are checked against what the node
holds."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from dicomactors import AE
from dicomactors import events as evt
from dicomactors.cli import COMMAND_GROUP
from dicomactors.sop_class import CTImageStorage, Verification
from harness import systems
from harness.load.cli import locust_argv
from harness.load.instances import GeneratedInstances
from harness.load.integrity import Copy, Stored, compare
from harness.load.outcome import describe_reject
from harness.load.settings import parse_key, parse_services
from tests._peers import make_tls_files, server_context

# Not imported here: importing Locust monkey-patches the process (gevent).
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None, reason="Locust is not installed (the load extra)"
)

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 120  # a bound on a whole run's process, far above the seconds it takes


def _needs_dcmtk() -> None:
    ok, why = systems.local_available("dcmtk")
    if not ok:
        pytest.skip(why)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def load_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.load", *args]


def run_load(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        load_command(*args),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=_env(),
        cwd=ROOT,
    )


def stats(report_dir: Path) -> dict[str, tuple[int, int]]:
    """Locust's CSV: service -> (requests, failures); "Aggregated" for the total."""
    with (report_dir / "load_stats.csv").open() as handle:
        return {
            row["Name"]: (int(row["Request Count"]), int(row["Failure Count"]))
            for row in csv.DictReader(handle)
        }


def failures(report_dir: Path) -> dict[str, int]:
    with (report_dir / "load_failures.csv").open() as handle:
        return {row["Error"]: int(row["Occurrences"]) for row in csv.DictReader(handle)}


def integrity(report_dir: Path) -> dict[str, object]:
    return dict(json.loads((report_dir / "load_integrity.json").read_text()))


def dicom_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and path.suffix != ".part"]


# -- pure parts -----------------------------------------------------------------------------


def test_a_reject_is_spelled_out() -> None:
    assert describe_reject(1, 1, 7) == (
        "association rejected-permanent by DICOM UL service-user: called-AE-title-not-recognized"
    )
    assert describe_reject(2, 3, 1).endswith(
        "(presentation related function): temporary-congestion"
    )


def test_services_and_keys_are_parsed_or_refused_in_one_line() -> None:
    assert parse_services("store:5, echo") == {"C-STORE": 5, "C-ECHO": 1}
    assert parse_services("C-FIND:2") == {"C-FIND": 2}
    with pytest.raises(ValueError, match="unknown service 'print'"):
        parse_services("print")
    assert parse_key("PatientID=LOAD") == ("PatientID", "LOAD")
    with pytest.raises(ValueError):
        parse_key("NoSuchKeyword=1")


def test_compare_finds_lost_duplicated_and_altered_instances() -> None:
    source = GeneratedInstances(512)
    a, b, c = (Stored.of(source.next()) for _ in range(3))
    held = {
        a.sop_instance_uid: [Copy(a.sop_class_uid, a.patient_id, a.fingerprint)],
        b.sop_instance_uid: [Copy(b.sop_class_uid, b.patient_id, a.fingerprint)] * 2,
    }
    report = compare("folder", [a, b, c], held)
    assert (report.stored, report.found) == (3, 2)
    assert report.lost == [c.sop_instance_uid]
    assert report.duplicated == [b.sop_instance_uid]
    assert report.altered == [b.sop_instance_uid]
    assert not report.passed
    assert compare("find", [a], {a.sop_instance_uid: [Copy(a.sop_class_uid, "LOAD")]}).passed


def test_the_front_end_hands_locust_its_own_options(tmp_path: Path) -> None:
    import argparse

    from harness.load.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["::1", "11112", "-u", "20", "-t", "30s", "--master", "--services", "store:3,echo",
         "--find-key", "PatientID=X", "--find-key", "QueryRetrieveLevel=PATIENT",
         "--report-dir", str(tmp_path), "--integrity", "find"]
    )  # fmt: skip
    argv = locust_argv(args)
    assert argv[argv.index("--host") + 1] == "dicom://[::1]:11112"
    assert {"--headless", "--master", "--csv", "--html"} <= set(argv)
    assert argv[argv.index("--services") + 1] == "store:3,echo"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--find-key"] == [
        "PatientID=X",
        "QueryRetrieveLevel=PATIENT",
    ]
    assert argv[argv.index("--integrity-report") + 1] == str(tmp_path / "load_integrity.json")


def test_a_user_mistake_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad_port = run_load("127.0.0.1", "70000", "--report-dir", str(tmp_path))
    assert bad_port.returncode == 2
    assert bad_port.stderr.strip() == "dicomactors load: port must be 1 to 65535, not 70000"
    bad_service = run_load(
        "127.0.0.1", "11112", "--services", "print", "-t", "1s", "--report-dir", str(tmp_path)
    )
    assert bad_service.returncode != 0
    assert "unknown service 'print'" in bad_service.stderr
    assert "Traceback" not in bad_service.stderr


# -- runs against real nodes ----------------------------------------------------------------


def test_headless_run_against_dcmtk_storescp_accounts_for_every_instance(tmp_path: Path) -> None:
    _needs_dcmtk()
    received, reports = tmp_path / "received", tmp_path / "reports"
    received.mkdir()
    with systems.dcmtk_storescp("STORESCP", received) as node:
        done = run_load(
            node.host, str(node.port), "-u", "4", "-r", "4", "-t", "4s", "--stop-timeout", "10",
            "--called-aet", "STORESCP", "--services", "store:3,echo",
            "--integrity", "folder", "--integrity-folder", str(received),
            "--report-dir", str(reports),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts = stats(reports)
    stores, store_failures = counts["C-STORE"]
    assert stores > 0 and counts["C-ECHO"][0] > 0
    assert store_failures == 0 and counts["Aggregated"][1] == 0
    assert len(dicom_files(received)) == stores
    checked = integrity(reports)
    assert checked["passed"] is True
    assert checked["stored"] == checked["found"] == stores
    assert (reports / "load.html").stat().st_size > 0


def test_headless_run_against_the_dicomactors_scp_with_every_service(tmp_path: Path) -> None:
    _needs_dcmtk()
    storage, reports = tmp_path / "storage", tmp_path / "reports"
    with systems.dcmtk_storescp("MOVEDEST") as destination:
        argv = [
            sys.executable, "-m", "dicomactors.apps.qrscp", "--port", "0", "--aet", "LOADQR",
            "--storage", str(storage),
            "--move-destination", f"MOVEDEST={destination.host}:{destination.port}",
        ]  # fmt: skip
        with systems.run_process(
            argv, log_path=tmp_path / "qrscp.log", ready_line=r"^READY (\d+)", env=_env()
        ) as running:
            assert running.ready_match is not None
            port = running.ready_match.group(1)
            done = run_load(
                "127.0.0.1", port, "-u", "3", "-r", "3", "-t", "5s", "--stop-timeout", "10",
                "--called-aet", "LOADQR", "--services", "store:4,echo,find,get,move",
                "--association", "user", "--move-destination", "MOVEDEST",
                "--find-key", "QueryRetrieveLevel=STUDY", "--find-key", "PatientID=LOAD",
                "--integrity", "get", "--report-dir", str(reports),
            )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts = stats(reports)
    for service in ("C-ECHO", "C-STORE", "C-FIND", "C-GET", "C-MOVE"):
        assert counts[service][0] > 0, service
    assert counts["Aggregated"][1] == 0
    assert len(list(storage.rglob("*.dcm"))) == counts["C-STORE"][0]
    checked = integrity(reports)
    assert checked["passed"] is True
    assert checked["found"] == counts["C-STORE"][0]


def test_one_master_and_two_workers_add_up(tmp_path: Path) -> None:
    _needs_dcmtk()
    received, reports = tmp_path / "received", tmp_path / "reports"
    received.mkdir()
    master_port = str(systems.free_port())
    with systems.dcmtk_storescp("STORESCP", received) as node:
        master = subprocess.Popen(
            load_command(
                node.host, str(node.port), "--master", "--expect-workers", "2",
                "--master-bind-host", "127.0.0.1", "--master-port", master_port,
                "-u", "4", "-r", "4", "-t", "5s", "--stop-timeout", "5",
                "--called-aet", "STORESCP", "--integrity", "folder",
                "--integrity-folder", str(received), "--report-dir", str(reports),
            ),
            env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        workers = [
            subprocess.Popen(
                load_command("--worker", "--master-port", master_port),
                env=_env(),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            output, _ = master.communicate(timeout=RUN_TIMEOUT)
            worker_codes = [worker.wait(timeout=RUN_TIMEOUT) for worker in workers]
        finally:
            processes: list[subprocess.Popen[Any]] = [master, *workers]
            for process in processes:
                if process.poll() is None:
                    process.kill()
    assert master.returncode == 0, output[-2000:]
    assert worker_codes == [0, 0]
    counts = stats(reports)
    stores = counts["C-STORE"][0]
    by_worker = json.loads((reports / "load_workers.json").read_text())
    assert len(by_worker) == 2
    assert all(worker["requests"] > 0 for worker in by_worker.values())
    assert sum(worker["requests"] for worker in by_worker.values()) == counts["Aggregated"][0]
    assert sum(worker["stores"] for worker in by_worker.values()) == stores
    assert len(dicom_files(received)) == stores
    assert integrity(reports)["passed"] is True


def test_a_node_that_rejects_shows_as_failures_with_the_reason(tmp_path: Path) -> None:
    ae = AE("RIGHT")
    ae.add_supported_context(Verification)
    ae.require_called_aet = True
    server = ae.start_server(("127.0.0.1", 0), block=False)
    port = server.server_address[1]
    try:
        done = run_load(
            "127.0.0.1", str(port), "-u", "2", "-r", "2", "-t", "2s", "--stop-timeout", "5",
            "--called-aet", "WRONG", "--services", "echo", "--report-dir", str(tmp_path),
        )  # fmt: skip
    finally:
        server.shutdown()
        ae.shutdown()
    assert done.returncode == 1, done.stderr[-2000:]  # Locust's exit code for failures
    assert "Traceback" not in done.stderr
    requests, failed = stats(tmp_path)["C-ECHO"]
    assert requests > 0 and failed == requests
    reasons = failures(tmp_path)
    reject = (
        "association rejected-permanent by DICOM UL service-user: called-AE-title-not-recognized"
    )
    assert reasons == {reject: requests}


def test_a_node_that_dies_partway_shows_as_failures_not_a_crash(tmp_path: Path) -> None:
    _needs_dcmtk()
    received, reports = tmp_path / "received", tmp_path / "reports"
    received.mkdir()
    with systems.dcmtk_storescp("STORESCP", received) as node:
        run = subprocess.Popen(
            load_command(
                node.host, str(node.port), "-u", "2", "-r", "2", "-t", "6s",
                "--stop-timeout", "5", "--called-aet", "STORESCP", "--dicom-timeout", "5",
                "--integrity", "folder", "--integrity-folder", str(received),
                "--report-dir", str(reports),
            ),
            env=_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        # The node dies once it has taken some instances: the run must go on.
        stored_some = threading.Event()
        deadline = time.monotonic() + 60
        while not stored_some.is_set() and time.monotonic() < deadline and run.poll() is None:
            stored_some.wait(0.05)
            if len(dicom_files(received)) >= 10:
                stored_some.set()
        assert stored_some.is_set(), "the node stored nothing"
        # Leaving the block stops storescp (terminate) while the load still runs.
    output, _ = run.communicate(timeout=RUN_TIMEOUT)
    assert run.returncode == 1, output[-2000:]
    assert "Traceback" not in output
    stores, failed = stats(reports)["C-STORE"]
    assert 0 < failed < stores
    reasons = failures(reports)
    assert sum(reasons.values()) == failed
    assert all(reason.startswith(("C-STORE", "association")) for reason in reasons), reasons
    assert integrity(reports)["passed"] is True  # what it confirmed before dying is there


def test_dicomactors_load_comes_through_the_entry_point_group(tmp_path: Path) -> None:
    """``dicomactors load`` as the installed package will have it: the entry point that
    pyproject.toml declares, here from a distribution made for the test."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    declared = 'load = "harness.load.cli:register"'
    assert declared in pyproject
    installed = {entry.name for entry in entry_points(group=COMMAND_GROUP)}
    if "load" not in installed:  # not installed with this pyproject yet: declare it here
        info = tmp_path / "dicomactors_load_test-0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: dicomactors-load-test\nVersion: 0\n"
        )
        (info / "entry_points.txt").write_text(
            "[dicomactors.commands]\n" + declared.replace('"', "") + "\n"
        )
    env = {**_env(), "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    done = subprocess.run(
        [sys.executable, "-m", "dicomactors.cli", "load", "127.0.0.1", "0"],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "dicomactors load: port must be 1 to 65535, not 0"


def test_users_speak_tls_with_a_client_certificate(tmp_path: Path) -> None:
    pytest.importorskip("trustme")
    tls = make_tls_files(tmp_path)
    stored: list[str] = []

    def on_store(event: Any) -> int:
        stored.append(str(event.dataset.SOPInstanceUID))
        return 0x0000

    ae = AE("TLS_SCP")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CTImageStorage)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        ssl_context=server_context(tls),
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    )
    reports = tmp_path / "reports"
    try:
        done = run_load(
            "127.0.0.1", str(server.server_address[1]), "-u", "2", "-r", "2", "-t", "3s",
            "--stop-timeout", "10", "--called-aet", "TLS_SCP", "--services", "store:2,echo",
            "--dicom-tls-ca", str(tls.ca_crt), "--dicom-tls-cert", str(tls.client_leaf),
            "--dicom-tls-key", str(tls.client_key), "--report-dir", str(reports),
        )  # fmt: skip
    finally:
        server.shutdown()
        ae.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    counts = stats(reports)
    assert counts["C-ECHO"][0] > 0 and counts["Aggregated"][1] == 0
    assert len(stored) == counts["C-STORE"][0] > 0
