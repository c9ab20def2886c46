"""``python -m bench``: dicomactors beside DCMTK and pynetdicom, every peer in its own process.

Starts each SCP as a subprocess (``bench.peers`` for the two Python stacks,
DCMTK's ``storescp`` with ``TCP_NODELAY=1``), drives it with a client in
another process, and prints one table of medians and ratios (issue 6).
``--json FILE`` writes the same table with every raw run.

Timing: the Python clients time themselves from just before A-ASSOCIATE to
just after A-RELEASE (imports excluded); DCMTK's ``storescu`` is timed from
outside, process start included (a few milliseconds, in DCMTK's disfavour
only for the ratios where DCMTK is the anchor, which makes ours look better
by that much: see docs/performance.md for its size).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.convert import convert_timings
from bench.data import KIB, MIB, write_big_instance, write_instances
from bench.delay_proxy import delay_proxy

PYTHON = [sys.executable, "-m", "bench.peers"]
DCMTK_ENV = {**os.environ, "TCP_NODELAY": "1"}
LARGEST_DCMTK_PDU = 131072  # storescp/storescu accept --max-pdu up to 128 KiB
LARGEST_PDU = 16 * MIB  # dicomactors' reader cap; pynetdicom accepts any


def find_dcmtk(name: str) -> str:
    from harness.systems import find_dcmtk_tool

    return find_dcmtk_tool(name)


# -- processes -------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int

    def status(self, field_name: str) -> int:
        """A ``/proc/PID/status`` figure in KiB (VmHWM, VmRSS) or a count (Threads)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        raise KeyError(field_name)


@contextmanager
def python_scp(
    impl: str,
    max_pdu: int,
    max_associations: int = 10,
    store_to_disk: Path | None = None,
    defaults: bool = False,
    window: int = 1,
) -> Iterator[Server]:
    argv = [*PYTHON, f"{impl}-scp", "--max-pdu", str(max_pdu)]
    argv += ["--max-associations", str(max_associations), "--window", str(window)]
    if defaults:
        argv.append("--defaults")
    if store_to_disk is not None:
        argv += ["--store-to-disk", str(store_to_disk)]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdin is not None
    try:
        line = process.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"{impl} SCP did not start: {line!r}")
        server = Server(process, int(line.split()[1]))
        yield server
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def scp_report(server: Server) -> dict[str, Any]:
    """Close the SCP's stdin and read the statistics it prints as it stops."""
    assert server.process.stdin is not None and server.process.stdout is not None
    server.process.stdin.close()
    line = server.process.stdout.readline()
    return json.loads(line) if line.strip() else {}


@contextmanager
def dcmtk_scp(max_pdu: int | None) -> Iterator[Server]:
    """``storescp --ignore``, with ``--max-pdu`` unless ``None`` (DCMTK's default, 16 KiB)."""
    from harness.systems import free_port, wait_until_listening

    port = free_port()
    argv = [find_dcmtk("storescp"), "--ignore"]
    if max_pdu is not None:
        argv += ["--max-pdu", str(max_pdu)]
    argv += ["-aet", "BENCHSCP", str(port)]
    process = subprocess.Popen(
        argv, env=DCMTK_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    try:
        wait_until_listening(port, timeout=10)
        yield Server(process, port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_json(argv: list[str], stdin: IO[str] | None = None) -> dict[str, Any]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[2:4]} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def python_store(
    impl: str,
    port: int,
    max_pdu: int,
    directory: Path,
    *,
    defaults: bool = False,
    dcmread: bool = False,
    window: int = 1,
) -> dict[str, Any]:
    argv = [*PYTHON, "store", "--impl", impl, "--port", str(port), "--window", str(window)]
    argv += ["--defaults"] if defaults else []
    argv += ["--dcmread"] if dcmread else []
    return run_json([*argv, "--max-pdu", str(max_pdu), "--dir", str(directory)])


def dcmtk_store(port: int, max_pdu: int | None, directory: Path) -> dict[str, Any]:
    """``storescu`` of every file; with ``max_pdu`` ``None``, its default options."""
    files = sorted(str(p) for p in directory.glob("*.dcm"))
    argv = [find_dcmtk("storescu"), "-aec", "BENCHSCP"]
    if max_pdu is not None:
        argv += ["--max-pdu", str(max_pdu), "-xe"]
    argv += ["127.0.0.1", str(port), *files]
    start = time.perf_counter()
    done = subprocess.run(argv, env=DCMTK_ENV, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    failed = 0 if done.returncode == 0 else len(files)
    return {"seconds": seconds, "instances": len(files), "failed": failed}


# -- the table ---------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    ours: str
    anchor: str
    ratio: float | None
    target: float | None
    unit: str
    ours_value: float
    anchor_value: float | None
    runs: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""

    @property
    def met(self) -> str:
        if self.target is None or self.ratio is None:
            return ""
        return "yes" if self.ratio >= self.target else "NO"


def median(values: list[float]) -> float:
    return statistics.median(values)


class Bench:
    def __init__(self, work: Path, repeats: int, quick: bool) -> None:
        self.work = work
        self.repeats = repeats
        self.quick = quick
        self.rows: list[Row] = []
        self.instances = 40 if quick else 200
        self.store_dir = work / "ct512"
        self.small_dir = work / "ct64"
        write_instances(self.store_dir, self.instances, 512 * KIB)
        write_instances(self.small_dir, 5 if quick else 20, 64 * KIB)

    def _rate(self, runs: list[dict[str, Any]]) -> tuple[float, list[float]]:
        for run in runs:
            if run["failed"]:
                raise RuntimeError(f"{run['failed']} stores failed")
        rates = [run["instances"] / run["seconds"] for run in runs]
        return median(rates), rates

    def store_rates(self, max_pdu: int, dcmtk_pdu: int) -> dict[str, tuple[float, list[float]]]:
        """Instances per second for each sender -> receiver pair at this PDU size.

        Every SCP runs for the whole case and the pairs take turns, one run each
        per round: a machine that slows down for a while (a shared VM does) slows
        every pair alike instead of the one that happened to run then.
        """
        directory = self.store_dir
        with (
            python_scp("dicomactors", max_pdu) as ours,
            python_scp("pynetdicom", max_pdu) as theirs,
            dcmtk_scp(dcmtk_pdu) as dcmtk,
            python_scp("dicomactors", dcmtk_pdu) as ours_at_dcmtk_pdu,
        ):
            pairs: dict[str, Callable[[], dict[str, Any]]] = {
                "dicomactors->dicomactors": lambda: python_store(
                    "dicomactors", ours.port, max_pdu, directory
                ),
                "pynetdicom->pynetdicom": lambda: python_store(
                    "pynetdicom", theirs.port, max_pdu, directory
                ),
                "dcmtk->dcmtk": lambda: dcmtk_store(dcmtk.port, dcmtk_pdu, directory),
                "dicomactors->dcmtk": lambda: python_store(
                    "dicomactors", dcmtk.port, dcmtk_pdu, directory
                ),
                "dcmtk->dicomactors": lambda: dcmtk_store(
                    ours_at_dcmtk_pdu.port, dcmtk_pdu, directory
                ),
            }
            if dcmtk_pdu != max_pdu:
                pairs["dicomactors->dicomactors@dcmtk"] = lambda: python_store(
                    "dicomactors", ours_at_dcmtk_pdu.port, dcmtk_pdu, directory
                )
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pairs}
            for _ in range(self.repeats):
                for name, run in pairs.items():
                    runs[name].append(run())
        return {name: self._rate(done) for name, done in runs.items()}

    def defaults_case(self) -> None:
        """C-STORE as the seed guide writes it: default contexts and PDU sizes on every side.

        The SCUs propose ``add_requested_context(CTImageStorage)`` (Implicit VR
        LE first); the SCPs support ``add_supported_context(CTImageStorage)``;
        DCMTK's tools run with their default options (``storescp --ignore``, so
        that no SCP writes files). The files are Explicit VR Little Endian.
        """
        directory = self.store_dir
        size = f"{self.instances} x 512 KiB"
        with (
            python_scp("dicomactors", 0, defaults=True) as ours,
            python_scp("pynetdicom", 0, defaults=True) as theirs,
            dcmtk_scp(None) as dcmtk,
        ):
            ports = {"dicomactors": ours.port, "pynetdicom": theirs.port, "dcmtk": dcmtk.port}
            pairs: dict[str, Callable[[], dict[str, Any]]] = {
                "dcmtk->dcmtk": lambda: dcmtk_store(dcmtk.port, None, directory)
            }
            for how, dcmread in (("path", False), ("dcmread", True)):
                for scp, port in ports.items():
                    pairs[f"{how} dicomactors->{scp}"] = functools.partial(
                        python_store,
                        "dicomactors",
                        port,
                        0,
                        directory,
                        defaults=True,
                        dcmread=dcmread,
                    )
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pairs}
            for _ in range(self.repeats):
                for name, run in pairs.items():
                    runs[name].append(run())
        rates = {name: self._rate(done) for name, done in runs.items()}
        dcm, dcm_runs = rates["dcmtk->dcmtk"]
        targets = {"path dicomactors->dicomactors": 1.0, "dcmread dicomactors->dicomactors": 0.8}
        calls = {"path": "send_c_store(path)", "dcmread": "send_c_store(dcmread(path))"}
        for name, (rate, rate_runs) in rates.items():
            if name == "dcmtk->dcmtk":
                continue
            how, pair = name.split(" ")
            self.rows.append(
                Row(
                    f"defaults: {calls[how]}, {size}",
                    pair,
                    "dcmtk->dcmtk",
                    rate / dcm,
                    targets.get(name),
                    "inst/s",
                    rate,
                    dcm,
                    {"ours": rate_runs, "anchor": dcm_runs},
                )
            )

    def convert_case(self) -> None:
        timings = [convert_timings() for _ in range(self.repeats)]
        ours = median([t["bytes"] for t in timings])
        region = median([t["region"] for t in timings])
        theirs = median([t["pydicom"] for t in timings])
        self.rows.append(
            Row(
                "convert 512 KiB CT, Explicit -> Implicit VR LE",
                "dicomactors.transcode",
                "pydicom read + write",
                theirs / ours,
                None,
                "us per data set",
                ours,
                theirs,
                {"ours": [t["bytes"] for t in timings], "anchor": [t["pydicom"] for t in timings]},
                f"ratio = pydicom's time / ours; from a file region {region:.1f} us; "
                f"target: under 100 us -> {'yes' if ours < 100 else 'NO'}",
            )
        )

    def window_case(self) -> None:
        """C-STORE over a link with 1 ms added each way (a delaying proxy on loopback):
        ``store_many`` with a window of 8 against one ``send_c_store`` at a time."""
        small = self.work / "ct64-window"
        write_instances(small, self.instances, 64 * KIB)
        for label, directory in (("512 KiB", self.store_dir), ("64 KiB", small)):
            rates = window_rates(directory, self.repeats, WINDOW, LINK_DELAY)
            (windowed, windowed_runs), (serial, serial_runs) = rates["window"], rates["serial"]
            ceiling = rates["ceiling"][0]
            self.rows.append(
                Row(
                    f"window {WINDOW}, +1 ms each way: {self.instances} x {label}",
                    f"dicomactors->dicomactors w{WINDOW}",
                    "the same, serial",
                    windowed / serial,
                    3.0,
                    "inst/s",
                    windowed,
                    serial,
                    {"ours": windowed_runs, "anchor": serial_runs},
                    "seed-guide contexts and PDU sizes; SCU, SCP and proxy share this VM; "
                    f"the same window through the proxy with no delay: {ceiling:.0f}",
                )
            )

    def store_cases(self) -> None:
        size = f"{self.instances} x 512 KiB"
        for label, max_pdu, dcmtk_pdu in (
            ("16 KiB PDU", 16 * KIB, 16 * KIB),
            ("largest PDU", LARGEST_PDU, LARGEST_DCMTK_PDU),
        ):
            r = self.store_rates(max_pdu, dcmtk_pdu)
            ours, ours_runs = r["dicomactors->dicomactors"]
            pyn, pyn_runs = r["pynetdicom->pynetdicom"]
            dcm, dcm_runs = r["dcmtk->dcmtk"]
            at_dcmtk, at_dcmtk_runs = r.get("dicomactors->dicomactors@dcmtk", (ours, ours_runs))
            into, into_runs = r["dcmtk->dicomactors"]
            out, out_runs = r["dicomactors->dcmtk"]
            big = f"{max_pdu // KIB} KiB" if max_pdu != LARGEST_PDU else "16 MiB"
            small = f"{dcmtk_pdu // KIB} KiB"
            self.rows += [
                Row(
                    f"tuned: C-STORE {size}, {label} ({big})",
                    "dicomactors->dicomactors",
                    "pynetdicom->pynetdicom",
                    ours / pyn,
                    5.0,
                    "inst/s",
                    ours,
                    pyn,
                    {"ours": ours_runs, "anchor": pyn_runs},
                ),
                Row(
                    f"tuned: C-STORE {size}, {label} ({small})",
                    "dicomactors->dicomactors",
                    "dcmtk->dcmtk",
                    at_dcmtk / dcm,
                    0.7,
                    "inst/s",
                    at_dcmtk,
                    dcm,
                    {"ours": at_dcmtk_runs, "anchor": dcm_runs},
                ),
            ]
            if max_pdu != dcmtk_pdu:
                # The reading of "the largest both sides accept": each pair at
                # its own largest (16 MiB between dicomactors peers, 128 KiB for DCMTK).
                self.rows.append(
                    Row(
                        f"tuned: C-STORE {size}, {label} ({big} vs {small})",
                        "dicomactors->dicomactors",
                        "dcmtk->dcmtk",
                        ours / dcm,
                        0.7,
                        "inst/s",
                        ours,
                        dcm,
                        {"ours": ours_runs, "anchor": dcm_runs},
                        "each pair at the largest PDU both of its sides accept",
                    )
                )
            self.rows += [
                Row(
                    f"tuned: C-STORE {size}, {label} ({small})",
                    "dcmtk->dicomactors",
                    "dcmtk->dcmtk",
                    into / dcm,
                    0.8,
                    "inst/s",
                    into,
                    dcm,
                    {"ours": into_runs, "anchor": dcm_runs},
                ),
                Row(
                    f"tuned: C-STORE {size}, {label} ({small})",
                    "dicomactors->dcmtk",
                    "dcmtk->dcmtk",
                    out / dcm,
                    None,
                    "inst/s",
                    out,
                    dcm,
                    {"ours": out_runs, "anchor": dcm_runs},
                    "SCU side alone, no target",
                ),
            ]

    def echo_case(self) -> None:
        count = 50 if self.quick else 200
        rates: dict[str, list[float]] = {"dicomactors": [], "pynetdicom": []}
        # Both SCPs up for the whole case, the two loops taking turns (see store_rates).
        with (
            python_scp("dicomactors", 16 * KIB) as our_scp,
            python_scp("pynetdicom", 16 * KIB) as their_scp,
        ):
            for _ in range(self.repeats):
                for impl, scp in (("dicomactors", our_scp), ("pynetdicom", their_scp)):
                    argv = [*PYTHON, "echo-loop", "--impl", impl, "--port", str(scp.port)]
                    result = run_json([*argv, "--count", str(count)])
                    if result["failed"]:
                        raise RuntimeError(f"{impl}: {result['failed']} echo cycles failed")
                    rates[impl].append(result["count"] / result["seconds"])
        ours, theirs = median(rates["dicomactors"]), median(rates["pynetdicom"])
        self.rows.append(
            Row(
                f"associate + C-ECHO + release, {count} cycles",
                "dicomactors->dicomactors",
                "pynetdicom->pynetdicom",
                ours / theirs,
                10.0,
                "cycles/s",
                ours,
                theirs,
                {"ours": rates["dicomactors"], "anchor": rates["pynetdicom"]},
            )
        )

    def concurrent_case(self) -> None:
        associations = 40 if self.quick else 200
        processes = 4
        per_process = associations // processes
        per_assoc = len(list(self.small_dir.glob("*.dcm")))
        runs: list[float] = []
        reports: list[dict[str, Any]] = []
        for _ in range(self.repeats):
            with python_scp("dicomactors", 16 * KIB, associations + 10) as scp:
                idle_rss = scp.status("VmRSS")
                clients = [
                    subprocess.Popen(
                        [
                            *PYTHON,
                            "concurrent",
                            "--port",
                            str(scp.port),
                            "--associations",
                            str(per_process),
                            "--dir",
                            str(self.small_dir),
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    for _ in range(processes)
                ]
                for client in clients:
                    assert client.stdout is not None
                    line = client.stdout.readline()
                    if not line.startswith("ASSOCIATED"):
                        raise RuntimeError(f"concurrent client: {line!r}")
                threads_all_open = scp.status("Threads")
                for client in clients:
                    assert client.stdin is not None
                    client.stdin.write("go\n")
                    client.stdin.flush()
                results = []
                for client in clients:
                    out, _ = client.communicate(timeout=600)
                    results.append(json.loads(out.strip().splitlines()[-1]))
                peak_rss = scp.status("VmHWM")
                report = scp_report(scp)
            stored = sum(r["stored"] for r in results)
            attempted = sum(r["attempted"] for r in results)
            seconds = max(r["seconds"] for r in results)
            if stored != attempted or attempted != associations * per_assoc:
                raise RuntimeError(f"concurrent: {stored} of {attempted} stores succeeded")
            runs.append(stored / seconds)
            reports.append(
                {
                    "stored": stored,
                    "seconds": seconds,
                    "vmhwm_kib": peak_rss,
                    "idle_rss_kib": idle_rss,
                    "threads_all_open": threads_all_open,
                    "scp": report,
                }
            )
        last = reports[-1]
        baseline = last["scp"].get("baseline_threads", 1)
        threads_per = (last["threads_all_open"] - baseline) / associations
        rate = median(runs)
        peak = max(r["vmhwm_kib"] for r in reports) / KIB
        self.rows.append(
            Row(
                f"{associations} concurrent associations x {per_assoc} x 64 KiB",
                "dicomactors (4 client processes)",
                "",
                None,
                None,
                "inst/s",
                rate,
                None,
                {"ours": runs},
                f"all {associations * per_assoc} stores succeeded; SCP peak RSS {peak:.0f} MiB; "
                f"{threads_per:.1f} threads per association",
            )
        )
        self.concurrent_detail = reports

    def big_case(self) -> None:
        size = 256 * MIB if self.quick else 1024 * MIB
        (self.work / "big").mkdir(exist_ok=True)
        path = write_big_instance(self.work / "big" / "big.dcm", size)
        instance = path.stat().st_size
        for spool in (None, self.work / "spool"):
            self._big_run(path, size, instance, spool)
        path.unlink()

    def _big_run(self, path: Path, size: int, instance: int, spool: Path | None) -> None:
        """Store the big instance once: held in memory, or streamed to ``spool``."""
        if spool is not None:
            spool.mkdir(exist_ok=True)
        with python_scp("dicomactors", LARGEST_PDU, store_to_disk=spool) as scp:
            before = scp.status("VmHWM")
            result = python_store("dicomactors", scp.port, LARGEST_PDU, path.parent)
            peak = scp.status("VmHWM")
            report = scp_report(scp)
        if result["failed"] or report.get("bytes", 0) < size:
            raise RuntimeError(f"big instance not stored: {result} {report}")
        growth = (peak - before) * KIB
        ratio = growth / instance
        if spool is None:
            case = "16 MiB PDU"
            what = "at most one copy (ratio <= 1.25 incl. buffer slack)"
            met = ratio <= 1.25
        else:
            case = "16 MiB PDU, AE.store_to_disk"
            left = len(list(spool.iterdir()))
            # Streamed: what is held is the PDU being received and the gathered
            # fragments (pdu.gather), whatever the instance's size.
            bound = 4 * LARGEST_PDU
            what = f"streamed, growth <= {bound // MIB} MiB; files left in the spool: {left}"
            met = growth <= bound and left == 0
        self.rows.append(
            Row(
                f"one {size // MIB} MiB instance, {case}",
                "dicomactors->dicomactors",
                "instance size",
                ratio,
                None,
                "RSS growth / size",
                growth / MIB,
                instance / MIB,
                {},
                f"SCP peak RSS {peak / KIB:.0f} MiB, {before / KIB:.0f} MiB before; "
                f"target: {what} -> {'yes' if met else 'NO'}; "
                f"{result['seconds']:.2f} s",
            )
        )

    def table(self) -> str:
        lines = [
            f"{'case':<64} {'ours':<32} {'anchor':<24} {'ours':>10} {'anchor':>10} "
            f"{'ratio':>7} {'target':>7} met",
        ]
        lines.append("-" * len(lines[0]))
        for row in self.rows:
            anchor = f"{row.anchor_value:10.1f}" if row.anchor_value is not None else " " * 10
            ratio = f"{row.ratio:6.2f}x" if row.ratio is not None else " " * 7
            target = f"{row.target:6.1f}x" if row.target is not None else " " * 7
            lines.append(
                f"{row.case:<64} {row.ours:<32} {row.anchor:<24} {row.ours_value:10.1f} "
                f"{anchor} {ratio} {target} {row.met}"
            )
            if row.note:
                lines.append(f"{'':<64} {row.note} ({row.unit})")
        return "\n".join(lines)


WINDOW = 8
LINK_DELAY = 0.001  # seconds added each way by the proxy


def window_rates(
    directory: Path, repeats: int, window: int, delay: float
) -> dict[str, tuple[float, list[float]]]:
    """Instances per second through a delaying proxy to one dicomactors SCP that agrees
    to a window of ``window``: store_many with that window, and the serial loop; and,
    as the ceiling of this machine, the window through a proxy that adds no delay."""
    with (
        python_scp("dicomactors", 0, defaults=True, window=window) as scp,
        delay_proxy(("127.0.0.1", scp.port), delay) as proxy,
        delay_proxy(("127.0.0.1", scp.port), 0.0) as undelayed,
    ):
        pairs = {"serial": (proxy, 1), "window": (proxy, window), "ceiling": (undelayed, window)}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pairs}
        for _ in range(repeats):
            for name, (through, size) in pairs.items():
                runs[name].append(
                    python_store(
                        "dicomactors", through.port, 0, directory, defaults=True, window=size
                    )
                )
    rates: dict[str, tuple[float, list[float]]] = {}
    for name, done in runs.items():
        for run in done:
            if run["failed"]:
                raise RuntimeError(f"{run['failed']} stores failed")
        per_run = [run["instances"] / run["seconds"] for run in done]
        rates[name] = (median(per_run), per_run)
    return rates


def machine() -> dict[str, str]:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key in ("Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor"):
                info[key] = value.strip()
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the table as JSON")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (median)")
    parser.add_argument("--quick", action="store_true", help="smaller cases, for a smoke test")
    parser.add_argument(
        "--cases",
        default="defaults,convert,store,echo,concurrent,big,window",
        help="comma-separated subset to run",
    )
    args = parser.parse_args(argv)
    cases = set(args.cases.split(","))
    with tempfile.TemporaryDirectory(prefix="dicomactors-bench-", dir="/dev/shm") as tmp:
        bench = Bench(Path(tmp), args.repeats, args.quick)
        if "defaults" in cases:
            bench.defaults_case()
        if "convert" in cases:
            bench.convert_case()
        if "store" in cases:
            bench.store_cases()
        if "echo" in cases:
            bench.echo_case()
        if "concurrent" in cases:
            bench.concurrent_case()
        if "big" in cases:
            bench.big_case()
        if "window" in cases:
            bench.window_case()
    info = machine()
    print(bench.table())
    print(
        f"(median of {args.repeats} runs; " + ", ".join(f"{k}: {v}" for k, v in info.items()) + ")"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": info,
                    "repeats": args.repeats,
                    "rows": [asdict(row) for row in bench.rows],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
