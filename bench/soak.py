"""Soak runs against a dicomactors SCP in its own process (issue 14).

``python -m bench.soak --cycles 100000 --storm 10000 [--json FILE]`` runs, in
order: a malformed-PDU storm, associate/release and connect/abort churn,
slowloris at the default limits with a legitimate client served throughout,
integrity under load (concurrent associations, SHA-256 of every instance),
peers vanishing part-way through a data set, and shutdown under load. Each
part returns its figures and a list of failures; ``tests/reliability`` runs
the same functions at counts that fit CI.

The SCP is ``bench.soak_server``; its RSS, threads and descriptors are read
from ``/proc/PID``, its actors and busy pool threads from its ``stats`` answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from dicomactors import AE
from dicomactors.dataset import encode_dataset, file_meta_bytes
from dicomactors.dimse import CEchoRQ, CStoreRQ, encode_command
from dicomactors.pdu import (
    AAbort,
    PDataTF,
    PDUReader,
    PresentationContextRQItem,
    PresentationDataValue,
    encode_pdu,
)
from dicomactors.sop_class import VerificationSOPClass
from harness.malformed import MALFORMED_CASES, valid_associate_rq

ECHO_EVERY = 500
#: Descriptors the runtime keeps for reuse beyond the baseline: an eventfd and an
#: epoll set for each of at most 64 ended strands (dicomactors.actors.runtime.poller).
KEPT_DESCRIPTORS = 2 * 64
#: How long the SCP may take to close a connection whose peer half-closed.
CLOSE_BOUND = 10.0


@dataclass(frozen=True)
class Sample:
    """The SCP process at one moment."""

    rss_kib: int
    threads: int
    fds: int
    sockets: int
    actors: int
    threads_busy: int
    calls: int


@dataclass
class Result:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class SoakServer:
    """``bench.soak_server`` in a subprocess: its port, its /proc figures, its stats."""

    def __init__(self, workdir: Path) -> None:
        self.store, self.spool = workdir / "store", workdir / "spool"
        self.store.mkdir()
        self.spool.mkdir()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.soak_server", str(self.store), str(self.spool)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.port = int(self.process.stdout.readline())
        self.lock = threading.Lock()

    def _command(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
            return json.loads(self.process.stdout.readline())  # type: ignore[no-any-return]

    def sample(self) -> Sample:
        pid = self.process.pid
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        stats = self._command("stats")
        links = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass  # closed meanwhile
        return Sample(
            rss_kib=int(fields["VmRSS"].split()[0]),
            threads=int(fields["Threads"]),
            fds=len(links),
            sockets=sum(link.startswith("socket:") for link in links),
            actors=stats["actors"],
            threads_busy=stats["threads_busy"],
            calls=stats["calls"],
        )

    def settle(self, baseline: Sample, timeout: float = 20.0) -> Sample:
        """The first sample with actors, busy threads and sockets back to ``baseline``.

        Connections end asynchronously in the SCP, so this samples until they
        have, up to ``timeout``, and returns the last sample either way.
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self.sample()
            back = (
                now.actors <= baseline.actors
                and now.threads_busy <= baseline.threads_busy
                and now.sockets <= baseline.sockets
            )
            if back or time.monotonic() > deadline:
                return now
            time.sleep(0.05)

    def shutdown(self) -> float:
        seconds = float(self._command("shutdown")["shutdown_seconds"])
        self.process.wait(30)
        return seconds

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def soak_server() -> Iterator[SoakServer]:
    with tempfile.TemporaryDirectory(prefix="dicomactors-soak-") as workdir:
        server = SoakServer(Path(workdir))
        try:
            yield server
        finally:
            server.kill()


# -- clients ---------------------------------------------------------------------


def client_ae() -> AE:
    ae = AE(ae_title="SOAK_SCU")
    ae.add_requested_context(VerificationSOPClass)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    return ae


def echo(ae: AE, port: int) -> bool:
    assoc = ae.associate("127.0.0.1", port, ae_title="SOAK_SCP")
    if not assoc.is_established:
        return False
    try:
        return int(assoc.send_c_echo().Status) == 0
    finally:
        assoc.release()


def _read_until_close(sock: socket.socket, timeout: float) -> bool:
    """Whether the peer closed (or reset) ``sock`` within ``timeout``."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


def _first_answer(sock: socket.socket, timeout: float) -> str:
    """'pdata', 'abort', 'closed' or 'none': what the SCP did first within ``timeout``."""
    reader = PDUReader()
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            return "closed"
        if not data:
            return "closed"
        for pdu in reader.feed(data):
            return (
                "pdata"
                if isinstance(pdu, PDataTF)
                else "abort"
                if isinstance(pdu, AAbort)
                else "other"
            )
    return "none"


def _establish(sock: socket.socket, called: str = "SOAK_SCP") -> None:
    sock.sendall(encode_pdu(valid_associate_rq(called=called)))
    _await_answer(sock)


def _await_answer(sock: socket.socket) -> None:
    """Read until the first PDU (the A-ASSOCIATE-AC or -RJ) has come whole."""
    reader = PDUReader()
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("the SCP closed instead of answering the A-ASSOCIATE-RQ")
        if reader.feed(data):
            return


# -- the parts -------------------------------------------------------------------


def _mutated_echo(rng: random.Random) -> bytes:
    """A P-DATA-TF whose C-ECHO-RQ command has 1-3 bytes changed; its framing is intact."""
    command = bytearray(encode_command(CEchoRQ(rng.randrange(1, 65536), VerificationSOPClass)))
    for _ in range(rng.randint(1, 3)):
        command[rng.randrange(len(command))] = rng.randrange(256)
    # A data set fragment follows, so a command whose mutation now announces a
    # data set is complete too: either way the SCP has a whole message to answer.
    pdvs = (
        PresentationDataValue(1, True, True, bytes(command)),
        PresentationDataValue(1, False, True, b"\x08\x00\x18\x00\x02\x00\x00\x00"),
    )
    return encode_pdu(PDataTF(pdvs))


def _mutated_associate(rng: random.Random) -> bytes:
    pdu = bytearray(encode_pdu(valid_associate_rq(called="SOAK_SCP")))
    for _ in range(rng.randint(1, 4)):
        pdu[rng.randrange(len(pdu))] = rng.randrange(256)
    return bytes(pdu)


def storm(server: SoakServer, count: int, seed: int = 14) -> Result:
    """``count`` malformed PDUs, each on a fresh connection; an echo every ECHO_EVERY.

    Catalogued cases (harness.malformed) alternate with random mutations of an
    A-ASSOCIATE-RQ and of a C-ECHO-RQ's command. A mutated command keeps its
    PDU framing, so the SCP must answer it (a response or an A-ABORT) at once:
    silence is a failure. After any other case the client half-closes and the
    SCP must close within CLOSE_BOUND.
    """
    result = Result("storm")
    rng = random.Random(seed)
    ae = client_ae()
    outcomes: dict[str, int] = {}
    start = server.sample()
    warm = start
    peak = start.rss_kib
    began = time.monotonic()
    for index in range(count):
        kind = index % 3
        with socket.create_connection(("127.0.0.1", server.port), timeout=CLOSE_BOUND) as sock:
            if kind == 2:
                _establish(sock)
                sock.sendall(_mutated_echo(rng))
                answer = _first_answer(sock, CLOSE_BOUND)
                outcomes[answer] = outcomes.get(answer, 0) + 1
                if answer in ("none", "other"):
                    result.failures.append(f"case {index}: mutated C-ECHO-RQ got {answer}")
                continue
            if kind == 0:
                case = MALFORMED_CASES[(index // 3) % len(MALFORMED_CASES)]
                if case.phase == "established":
                    _establish(sock)
                payload = case.build()
            else:
                payload = _mutated_associate(rng)
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the SCP closed first: that is an answer
            if not _read_until_close(sock, CLOSE_BOUND):
                result.failures.append(f"case {index}: not closed within {CLOSE_BOUND}s")
        if (index + 1) % ECHO_EVERY == 0:
            if not echo(ae, server.port):
                result.failures.append(f"echo after case {index} failed")
            sample = server.sample()
            peak = max(peak, sample.rss_kib)
            if index + 1 == ECHO_EVERY:
                warm = sample
    end = server.settle(start)
    result.figures = {
        "cases": count,
        "seconds": round(time.monotonic() - began, 1),
        "mutated_echo_answers": outcomes,
        "rss_kib_start": start.rss_kib,
        "rss_kib_after_first_500": warm.rss_kib,
        "rss_kib_peak": peak,
        "rss_kib_end": end.rss_kib,
        "threads_start_end": (start.threads, end.threads),
        "fds_start_end": (start.fds, end.fds),
        "sockets_start_end": (start.sockets, end.sockets),
        "actors_start_end": (start.actors, end.actors),
    }
    return result


def _established(assoc: Any, result: Result, what: str) -> bool:
    """Whether ``assoc`` is up; a rejected-transient answer is counted, anything else fails.

    A client that aborts and reconnects at once can find the SCP still counting
    associations whose A-ABORT it has not yet read: at the limit, the rejection
    (2, 3, 2) is the answer PS3.8 asks for, not a fault.
    """
    if assoc.is_established:
        return True
    if assoc.is_rejected and assoc.result == 2:
        result.figures["transient_rejections"] = result.figures.get("transient_rejections", 0) + 1
    else:
        result.failures.append(f"{what}: not established")
    return False


def churn(server: SoakServer, cycles: int, aborts: int) -> Result:
    """``cycles`` associate/release and ``aborts`` connect/abort cycles, then back to baseline."""
    result = Result("churn")
    ae = client_ae()
    echo(ae, server.port)  # warm-up: the pool's first threads, imports
    baseline = server.settle(server.sample())
    began = time.monotonic()
    rss: list[int] = []
    for index in range(cycles):
        assoc = ae.associate("127.0.0.1", server.port, ae_title="SOAK_SCP")
        if not _established(assoc, result, f"cycle {index}"):
            continue
        assoc.release()
        if index % max(1, cycles // 20) == 0:
            rss.append(server.sample().rss_kib)
    release_seconds = time.monotonic() - began
    for index in range(aborts):
        assoc = ae.associate("127.0.0.1", server.port, ae_title="SOAK_SCP")
        if not _established(assoc, result, f"abort cycle {index}"):
            continue
        assoc.abort()
    end = server.settle(baseline)
    for name in ("actors", "threads_busy", "sockets"):
        if getattr(end, name) > getattr(baseline, name):
            result.failures.append(f"{name}: {getattr(baseline, name)} -> {getattr(end, name)}")
    if end.fds > baseline.fds + KEPT_DESCRIPTORS:
        result.failures.append(f"descriptors: {baseline.fds} -> {end.fds}")
    result.figures |= {
        "associate_release_cycles": cycles,
        "connect_abort_cycles": aborts,
        "cycles_per_second": round(cycles / release_seconds, 1) if release_seconds else None,
        "seconds": round(time.monotonic() - began, 1),
        "baseline": asdict(baseline),
        "end": asdict(end),
        "rss_kib_every_5_percent": rss,
    }
    return result


def slowloris(server: SoakServer, slow: int, seconds: float, bound: float = 2.0) -> Result:
    """``slow`` connections trickle an A-ASSOCIATE-RQ a byte at a time while a client echoes.

    Every legitimate association must be accepted within ``bound`` seconds.
    """
    result = Result("slowloris")
    ae = client_ae()
    request = encode_pdu(valid_associate_rq(called="SOAK_SCP"))
    sockets = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(slow)]
    sent = [0] * slow
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.5):
            for index, sock in enumerate(sockets):
                if sent[index] < len(request) - 1:
                    try:
                        sock.send(request[sent[index] : sent[index] + 1])
                        sent[index] += 1
                    except OSError:
                        sent[index] = len(request)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            began = time.monotonic()
            ok = echo(ae, server.port)
            latency = time.monotonic() - began
            latencies.append(latency)
            if not ok or latency > bound:
                result.failures.append(f"echo {len(latencies)}: ok={ok} in {latency:.2f}s")
    finally:
        stop.set()
        thread.join()
        for sock in sockets:
            sock.close()
    result.figures = {
        "slow_connections": slow,
        "echoes": len(latencies),
        "worst_seconds": round(max(latencies), 3) if latencies else None,
    }
    return result


def _instance(size: int, rng: random.Random) -> tuple[str, bytes]:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Soak^Test"
    ds.BitsAllocated = 8
    ds.PixelData = rng.randbytes(size + size % 2)
    ds["PixelData"].VR = "OB"
    return str(ds.SOPInstanceUID), encode_dataset(ds, ExplicitVRLittleEndian)


def integrity(server: SoakServer, associations: int, per: int, largest: int) -> Result:
    """``associations`` at once, each storing ``per`` instances of 1 KiB to ``largest`` bytes.

    Each instance is sent from a file exactly as encoded; the SCP's copy must
    have the same SHA-256.
    """
    result = Result("integrity")
    rng = random.Random(1414)
    sizes = [1024, largest] + [rng.randint(1024, largest) for _ in range(per - 2)]
    began = time.monotonic()
    sent: dict[str, str] = {}
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="dicomactors-soak-files-") as folder:

        def one(worker: int) -> None:
            local = random.Random(worker)
            ae = client_ae()
            assoc = ae.associate("127.0.0.1", server.port, ae_title="SOAK_SCP")
            if not assoc.is_established:
                with lock:
                    result.failures.append(f"association {worker} not established")
                return
            try:
                for number, size in enumerate(sizes):
                    uid, body = _instance(size, local)
                    path = Path(folder) / f"{worker}-{number}.dcm"
                    meta = file_meta_bytes(CTImageStorage, uid, ExplicitVRLittleEndian)
                    path.write_bytes(meta + body)
                    status = int(assoc.send_c_store(path).Status)
                    with lock:
                        sent[uid] = hashlib.sha256(body).hexdigest()
                        if status != 0:
                            result.failures.append(f"{uid}: status 0x{status:04X}")
            finally:
                assoc.release()

        threads = [threading.Thread(target=one, args=(n,)) for n in range(associations)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    mismatched = 0
    for uid, digest in sent.items():
        stored = server.store / uid
        if not stored.exists() or hashlib.sha256(stored.read_bytes()).hexdigest() != digest:
            mismatched += 1
    if mismatched:
        result.failures.append(f"{mismatched} of {len(sent)} instances differ or are missing")
    result.figures = {
        "associations": associations,
        "instances": len(sent),
        "bytes": sum(sizes) * associations,
        "sha256_mismatches": mismatched,
        "seconds": round(time.monotonic() - began, 1),
    }
    return result


def vanish(server: SoakServer, fractions: tuple[float, ...] = (0.0, 0.5, 0.99)) -> Result:
    """A peer that closes after ``fraction`` of a data set: no file, no handler call."""
    result = Result("vanish")
    rng = random.Random(99)
    baseline = server.sample()
    for fraction in fractions:
        uid, body = _instance(512 * 1024, rng)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            accepted = _establish_ct(sock)
            command = encode_command(CStoreRQ(1, CTImageStorage, uid))
            sock.sendall(
                encode_pdu(PDataTF((PresentationDataValue(accepted, True, True, command),)))
            )
            cut = int(len(body) * fraction)
            for start in range(0, cut, 16000):
                piece = body[start : min(cut, start + 16000)]
                sock.sendall(
                    encode_pdu(PDataTF((PresentationDataValue(accepted, False, False, piece),)))
                )
        if (server.store / uid).exists():
            result.failures.append(f"{fraction:.0%}: a file was stored")
    end = server.settle(baseline)
    leftovers = list(server.spool.iterdir())
    if end.calls != baseline.calls:
        result.failures.append(f"the handler was called {end.calls - baseline.calls} times")
    if leftovers:
        result.failures.append(f"partial files left in the spool: {leftovers}")
    result.figures = {"fractions": list(fractions), "handler_calls": end.calls - baseline.calls}
    return result


def _establish_ct(sock: socket.socket) -> int:
    context = PresentationContextRQItem(1, CTImageStorage, (ExplicitVRLittleEndian,))
    sock.sendall(encode_pdu(valid_associate_rq((context,), called="SOAK_SCP")))
    _await_answer(sock)
    return 1


def shutdown_under_load(server: SoakServer, workers: int, pending: int) -> Result:
    """``server.shutdown()`` while ``workers`` clients echo and ``pending`` sockets send nothing."""
    result = Result("shutdown")
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(pending)]
    stop, loaded = threading.Event(), threading.Event()
    served = [0]

    def load() -> None:
        ae = client_ae()
        while not stop.is_set():
            try:
                if not echo(ae, server.port):
                    return  # the server is shutting down
            except Exception:
                return
            served[0] += 1
            if served[0] >= 3 * workers:
                loaded.set()

    threads = [threading.Thread(target=load, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    if not loaded.wait(30):
        result.failures.append(f"the load was never served ({served[0]} echoes)")
    seconds = server.shutdown()
    stop.set()
    for thread in threads:
        thread.join(30)
    closed = sum(_read_until_close(sock, 2.0) for sock in idle)
    for sock in idle:
        sock.close()
    if seconds > 2.0:
        result.failures.append(f"shutdown took {seconds:.1f}s")
    if closed != pending:
        result.failures.append(f"{pending - closed} pending connections left open")
    result.figures = {
        "seconds": round(seconds, 2),
        "echoes_before": served[0],
        "pending_closed": closed,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--cycles", type=int, default=2000, help="associate/release cycles")
    parser.add_argument("--aborts", type=int, default=None, help="connect/abort cycles (cycles/5)")
    parser.add_argument("--storm", type=int, default=1500, help="malformed PDUs")
    parser.add_argument("--slow", type=int, default=100, help="slowloris connections")
    parser.add_argument("--slow-seconds", type=float, default=20.0)
    parser.add_argument("--associations", type=int, default=16)
    parser.add_argument("--per", type=int, default=10)
    parser.add_argument("--largest", type=int, default=8 << 20)
    parser.add_argument("--parts", default="storm,churn,slowloris,integrity,vanish,shutdown")
    parser.add_argument("--json", type=Path, help="write every part's figures here")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    results: list[Result] = []

    def report(result: Result) -> None:
        results.append(result)
        state = "ok" if not result.failures else f"{len(result.failures)} FAILURES"
        print(f"{result.name}: {state} {json.dumps(result.figures)}", flush=True)
        for failure in result.failures[:20]:
            print(f"  {failure}", flush=True)
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))

    with soak_server() as server:
        if "storm" in parts:
            report(storm(server, args.storm))
        if "churn" in parts:
            aborts = args.cycles // 5 if args.aborts is None else args.aborts
            report(churn(server, args.cycles, aborts))
        if "slowloris" in parts:
            report(slowloris(server, args.slow, args.slow_seconds))
        if "integrity" in parts:
            report(integrity(server, args.associations, args.per, args.largest))
        if "vanish" in parts:
            report(vanish(server))
        if "shutdown" in parts:
            report(shutdown_under_load(server, 4, 20))
    return 0 if all(not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
