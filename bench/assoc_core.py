"""Association-core benchmark: the pure CPU of one associate/release cycle, step by step.

Run as ``python -m bench.assoc_core``. No sockets and no actors: each step of
A-ASSOCIATE that is plain computation is timed on its own, on both sides,
with the AEs of ``bench.peers`` (requested = supported = Verification plus CT
Image Storage) and again with the 128 ``StoragePresentationContexts``:

* requestor: build the A-ASSOCIATE-RQ as ``AE.associate`` does before it
  starts an actor, encode it; decode the A-ASSOCIATE-AC and combine it with
  what was requested (``negotiation.requestor_contexts``, which the
  association actor calls);
* acceptor: decode the A-ASSOCIATE-RQ, decide on it with
  ``negotiation.decide`` (what the association actor calls: the checks, the
  contexts and roles, the A-ASSOCIATE-AC) and encode the A-ASSOCIATE-AC;
* one notification with no handler bound (about a dozen fire per cycle).

A-ASSOCIATE PDUs already decoded once are remembered (a peer that associates
again sends the same bytes), so decoding is also timed on first sight.

Each step is run in batches; the table shows the best and the median batch in
microseconds per call. ``--profile STEP`` prints a cProfile of one step.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from dicomactors import AE, evt
from dicomactors.negotiation import Accept, AcceptorConfig, decide, requestor_contexts
from dicomactors.pdu import AAssociateRQ, decode
from dicomactors.pdu.codec import decode_pdu, encode_pdu
from dicomactors.presentation import StoragePresentationContexts

VERIFICATION = "1.2.840.10008.1.1"


def small_ae() -> AE:
    """``bench.peers``' client and server AE: Verification and CT Image Storage."""
    ae = AE("BENCHSCU")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.add_requested_context(VERIFICATION)
    ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian)
    ae.add_supported_context(VERIFICATION)
    return ae


def storage_ae() -> AE:
    """128 storage SOP classes, each with the four default transfer syntaxes, both ways."""
    ae = AE("BENCHSCU")
    ae.requested_contexts = StoragePresentationContexts
    ae.supported_contexts = StoragePresentationContexts
    return ae


def acceptor_config(ae: AE) -> AcceptorConfig:
    """What an acceptor of ``ae`` decides by, as ``AE`` hands it to the association actor."""
    return AcceptorConfig(
        ae_title="BENCHSCP",
        maximum_length=ae.maximum_pdu_size,
        implementation_class_uid=str(ae.implementation_class_uid),
        implementation_version_name=ae.implementation_version_name,
        supported_contexts=tuple(ae.supported_contexts),
    )


def acceptor_answer(rq: AAssociateRQ, config: AcceptorConfig) -> Accept:
    """The acceptor's decision on ``rq``: ``negotiation.decide``, as the actor calls it."""
    decision = decide(rq, config)
    assert isinstance(decision, Accept), decision
    return decision


def _decode_afresh(pdu: bytes) -> object:
    """Decode ``pdu`` as if its bytes had never been seen (no remembered A-ASSOCIATE)."""
    decode._DECODED_RQ.clear()
    decode._DECODED_AC.clear()
    return decode_pdu(pdu)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], object]
    in_cycle: bool = True  # counted in the per-cycle sum; variants are not


def steps_for(ae: AE) -> list[Step]:
    """The steps of one cycle, each a closure over inputs made once here."""
    rq, numbered = ae._request_pdu(None, "BENCHSCP", 16382, None)
    rq_bytes = encode_pdu(rq)
    config = acceptor_config(ae)
    ac = acceptor_answer(rq, config).ac
    ac_bytes = encode_pdu(ac)
    table = evt.HandlerTable()
    return [
        Step("build RQ", lambda: ae._request_pdu(None, "BENCHSCP", 16382, None)),
        Step("encode RQ", lambda: encode_pdu(rq)),
        Step("decode RQ", lambda: decode_pdu(rq_bytes)),
        Step("decode RQ, first sight", lambda: _decode_afresh(rq_bytes), False),
        Step("acceptor negotiation + AC", lambda: acceptor_answer(rq, config)),
        Step("encode AC", lambda: encode_pdu(ac)),
        Step("decode AC", lambda: decode_pdu(ac_bytes)),
        Step("decode AC, first sight", lambda: _decode_afresh(ac_bytes), False),
        Step("negotiate_as_requestor", lambda: requestor_contexts(rq, numbered, ac)),
        Step(
            "notification, no handler",
            lambda: evt.trigger_notification(table, None, evt.EVT_ACSE_RECV, primitive=rq),
        ),
    ]


def time_step(run: Callable[[], object], repeats: int, budget: float) -> tuple[float, float]:
    """(best, median) microseconds per call over ``repeats`` batches of ~``budget`` s each."""
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < budget / 4:
        run()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    batch = max(1, int(budget / per_call))
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            run()
        results.append((time.perf_counter() - start) / batch * 1e6)
    return min(results), statistics.median(results)


AES: dict[str, Callable[[], AE]] = {
    "2 contexts": small_ae,
    "128 storage contexts": storage_ae,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per batch")
    parser.add_argument("--profile", metavar="STEP", help="cProfile one step (name prefix)")
    parser.add_argument("--case", choices=list(AES), help="only this AE")
    args = parser.parse_args()

    cases = {args.case: AES[args.case]} if args.case else AES
    if args.profile:
        for case, make in cases.items():
            step = next(s for s in steps_for(make()) if s.name.startswith(args.profile))
            print(f"== {case}: {step.name}")
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(2000 if case == "2 contexts" else 50):
                step.run()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return

    totals: dict[str, list[float]] = {}
    print(f"{'step':28} {'AE':22} {'best µs':>10} {'median µs':>10}")
    for case, make in cases.items():
        for step in steps_for(make()):
            best, median = time_step(step.run, args.repeats, args.budget)
            if step.in_cycle:
                totals.setdefault(case, []).append(median)
            print(f"{step.name:28} {case:22} {best:10.1f} {median:10.1f}")
    for case, medians in totals.items():
        print(f"{'one cycle, both sides':28} {case:22} {'':10} {sum(medians):10.1f}")


if __name__ == "__main__":
    main()
