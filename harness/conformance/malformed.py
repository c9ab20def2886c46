"""Malformed PDUs (PS3.8 9.3): one scenario per class the decoder knows."""

from __future__ import annotations

from collections.abc import Callable

from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
)
from harness import behaviours as b
from harness.conformance.core import (
    MALFORMED_WITHIN,
    SCENARIOS,
    Scenario,
    Verdict,
    ended,
    play,
    request_for,
    requestor_script,
)
from harness.malformed import MALFORMED_CASES, MalformedCase
from harness.script import Close, Expect, Script, SendBytes, SendPDU, Step
from harness.systems import SystemUnderTest

_DEFAULT_CALLED = b"ANY-SCP".ljust(16)


def malformed_bytes(case: MalformedCase, called: str) -> bytes:
    """The case's bytes, with the called AE title of an A-ASSOCIATE-RQ set to ``called``.

    The catalogue builds its requests to ``ANY-SCP``; a system that checks the called AE
    title would reject them for that before it looked at the fault, so the title is set
    to the system's own (unless the fault is in that field).
    """
    data = case.build()
    if data[:1] == b"\x01" and data[10:26] == _DEFAULT_CALLED and "called-ae" not in case.name:
        data = data[:10] + called.encode("ascii").ljust(16) + data[26:]
    return data


def malformed_script(case: MalformedCase, sut: SystemUnderTest) -> Script:
    steps: list[Step] = []
    if case.phase == "established":
        steps += [SendPDU(request_for(sut)), Expect((AAssociateAC,), b.REPLY_WITHIN)]
    steps.append(SendBytes(malformed_bytes(case, sut.ae_title)))
    steps.append(Expect((AAbort, AAssociateAC, AAssociateRJ), MALFORMED_WITHIN, or_close=True))
    steps.append(Close())
    return requestor_script(f"malformed-{case.name}", steps)


def _malformed_run(case: MalformedCase) -> Callable[[SystemUnderTest], Verdict]:
    def run(sut: SystemUnderTest) -> Verdict:
        outcome = play(malformed_script(case, sut), sut)
        sta2 = sut if case.phase == "associate" else None
        return ended(outcome, "the malformed PDU was not refused", artim_running=sta2)

    return run


for _case in MALFORMED_CASES:
    _reason = _case.expected_abort_reason
    SCENARIOS.append(
        Scenario(
            f"malformed-{_case.name}",
            f"Malformed PDU: {_case.name.replace('-', ' ')}"
            + (" (on an established association)" if _case.phase == "established" else ""),
            f"{_case.clause}; PS3.8 9.2 (AA-1, AA-8)",
            "A-ABORT"
            + (f" (reason {_reason} fits)" if _reason is not None else "")
            + " and close, or close at once",
            _malformed_run(_case),
            group="malformed",
        )
    )
