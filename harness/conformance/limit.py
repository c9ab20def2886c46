"""The association limit (PS3.8 9.3.4): a within-limit association is not turned away."""

from __future__ import annotations

import time
from typing import Any

from harness import behaviours as b
from harness.conformance.core import (
    MAX_ASSOCIATIONS,
    WIND_DOWN,
    NotAccepted,
    Status,
    Verdict,
    capability_value,
    play,
    refusal,
    request_for,
    scenario,
    scu_ae,
    verdict_of,
    wait_until_accepting,
)
from harness.systems import SystemUnderTest


@scenario(
    "association-limit",
    "One association over the system's limit is rejected as transient",
    "PS3.8 9.3.4, 7.1.1.7",
    "A-ASSOCIATE-RJ result 2 (transient), e.g. source 3 reason 2 (local limit exceeded)",
    group="limit",
    requires=(MAX_ASSOCIATIONS,),
    note="the limit is local configuration",
    probes_transient=True,
)
def _association_limit(sut: SystemUnderTest) -> Verdict:
    limit = int(capability_value(sut, MAX_ASSOCIATIONS) or 0)
    ae = scu_ae(b.VERIFICATION)
    try:
        deadline = time.monotonic() + WIND_DOWN
        while True:
            held = _hold(ae, sut, limit)
            try:
                if not held or held[-1].is_established:
                    outcome = play(b.expect_reject(request_for(sut), "association-limit"), sut)
                    break
            finally:
                _release_all(held)
            # Turned away within the limit. A system that counts a released association
            # until its worker has gone (DCMTK's forked children until they are reaped)
            # says so with a transient rejection: the earlier scenarios' associations
            # may still count. Only a rejection that lasts beyond the wind-down is seen.
            last = held[-1]
            if not last.is_rejected:
                raise NotAccepted(f"association {len(held)} of {limit} was {refusal(last)}")
            transient = last.is_rejected and getattr(last, "result", None) == 2
            if not transient or time.monotonic() >= deadline:
                seen = f"association {len(held)} of {limit} was not accepted"
                return Verdict(Status.DEVIATES, seen)
            wait_until_accepting(sut, deadline - time.monotonic())
    finally:
        ae.shutdown()
        wait_until_accepting(sut)
    ok = outcome.reject is not None and outcome.reject[0] == 2
    return verdict_of(outcome, ok, f"with {limit} associations open")


def _hold(ae: Any, sut: SystemUnderTest, limit: int) -> list[Any]:
    """Open up to ``limit`` associations; stop at the first one not accepted (the last)."""
    held: list[Any] = []
    for _ in range(limit):
        held.append(ae.associate(sut.host, sut.port, ae_title=sut.ae_title))
        if not held[-1].is_established:
            break
    return held


def _release_all(held: list[Any]) -> None:
    for assoc in held:
        if assoc.is_established:
            assoc.release()
