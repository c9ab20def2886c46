"""Conformance scenarios: what a DICOM node does on the wire, checked clause by clause.

Each :class:`Scenario` names the PS3.7 or PS3.8 clause it checks and the reaction the
standard asks for, says which systems it applies to (by the capabilities their
:class:`~harness.systems.SystemUnderTest` declares) and runs against one system, giving a
:class:`Verdict`: PASSED, DEVIATES (the reaction seen is not the one asked for),
NOT_APPLICABLE (the system does not declare what the scenario needs) or ERROR (the check
itself could not be made, e.g. nobody listens). They are plain functions of a system, so
they run under pytest (``scenarios/``) and outside it (``dicomactors validate``).

Scripted scenarios play a :mod:`harness.behaviours` script with a raw-socket peer; service
scenarios (C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE) use the dicomactors SCU.

Capabilities beyond :class:`~harness.systems.Capability` are plain strings in
``SystemUnderTest.supports``; those with a value are ``"key=value"``:

- ``checks-called-aet``: the node rejects an association to an AE title it is not;
- ``checks-calling-aet``: it rejects callers it does not know (``HARNESS`` and
  ``DASCU`` must be known to it, ``STRANGER`` must not);
- ``artim=SECONDS``: its ARTIM timeout, for the ARTIM scenarios;
- ``max-associations=N``: how many associations it serves at once;
- ``move-destination=AET@HOST:PORT``: a C-MOVE destination it knows, where the
  scenario listens;
- ``initiates-release``: it requests releases itself (for release collision).

How those are set is the node's local configuration, not the standard's, so the
scenarios that need them are NOT_APPLICABLE unless the system declares them.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydicom import Dataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from dicomactors.dimse.commands import (
    CEchoRSP,
    decode_command,
)
from dicomactors.fsm import Event, State
from dicomactors.pdu import (
    AAssociateAC,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PresentationContextRQItem,
)
from harness import behaviours as b
from harness.outcome import Outcome, OutcomeKind
from harness.peer import run_script
from harness.script import Close, Expect, Script, SendPDU, Step
from harness.stategrid import Role
from harness.systems import SystemUnderTest

CHECKS_CALLED_AET = "checks-called-aet"


CHECKS_CALLING_AET = "checks-calling-aet"


ARTIM = "artim"


MAX_ASSOCIATIONS = "max-associations"


MOVE_DESTINATION = "move-destination"


INITIATES_RELEASE = "initiates-release"


SCU_AE = "DASCU"


UNKNOWN_TRANSFER_SYNTAX = "1.2.826.0.1.3680043.9.7433.99.3"


IMPLICIT = str(ImplicitVRLittleEndian)


EXPLICIT = str(ExplicitVRLittleEndian)


SECONDARY_CAPTURE = str(SecondaryCaptureImageStorage)


SMALL_MAXIMUM = 64


"""Our maximum PDU length in max-pdu-small-respected: a C-ECHO-RSP must be split to fit."""


MALFORMED_WITHIN = 2.0


RUN_TIMEOUT = 60.0


STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"


STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"


K = OutcomeKind


ENDED = frozenset({K.ABORTED, K.CLOSED, K.RESET})


class Status(StrEnum):
    PASSED = "passed"
    DEVIATES = "deviates"
    NOT_APPLICABLE = "not applicable"
    ERROR = "error"


@dataclass(frozen=True)
class Verdict:
    """What one scenario saw of one system: ``seen`` is the reaction, ``elapsed`` its timing."""

    status: Status
    seen: str
    elapsed: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class Scenario:
    """One check: its clause, the reaction asked for, and how to run it against a system."""

    id: str
    title: str
    clause: str
    expected: str
    run: Callable[[SystemUnderTest], Verdict]
    requires: tuple[str, ...] = ()
    group: str = ""
    note: str = ""
    role: Role = Role.ACCEPTOR
    """The role the system under test plays: scenarios of each role run against systems of it."""
    cell: tuple[State, Event] | None = None
    """The PS3.8 Table 9-10 cell this scenario probes, if any: it fills that state-grid cell."""

    def applies(self, sut: SystemUnderTest) -> bool:
        return all(has_capability(sut, key) for key in self.requires)

    def check(self, sut: SystemUnderTest) -> Verdict:
        """Run against ``sut`` if it applies; never raises."""
        if not self.applies(sut):
            missing = [key for key in self.requires if not has_capability(sut, key)]
            why = f"the system does not declare {', '.join(missing)}"
            return Verdict(Status.NOT_APPLICABLE, why + (f" ({self.note})" if self.note else ""))
        started = time.monotonic()
        try:
            return self.run(sut)
        except OSError as error:
            seen = f"no connection to {sut.host}:{sut.port}: {error}"
            return Verdict(Status.ERROR, seen, time.monotonic() - started, traceback.format_exc())
        except Exception as error:
            seen = f"{type(error).__name__}: {error}"
            return Verdict(Status.ERROR, seen, time.monotonic() - started, traceback.format_exc())


@dataclass(frozen=True)
class Result:
    """A scenario's verdict for one system, as the report keeps it."""

    scenario: Scenario
    system: str
    verdict: Verdict

    @property
    def is_finding(self) -> bool:
        return self.verdict.status is Status.DEVIATES


def has_capability(sut: SystemUnderTest, key: str) -> bool:
    return key in sut.supports or capability_value(sut, key) is not None


def capability_value(sut: SystemUnderTest, key: str) -> str | None:
    prefix = key + "="
    for entry in sut.supports:
        if entry.startswith(prefix):
            return entry[len(prefix) :]
    return None


def artim(seconds: float) -> str:
    return f"{ARTIM}={seconds:g}"


def max_associations(count: int) -> str:
    return f"{MAX_ASSOCIATIONS}={count}"


def move_destination(ae_title: str, host: str, port: int) -> str:
    return f"{MOVE_DESTINATION}={ae_title}@{host}:{port}"


def parse_move_destination(sut: SystemUnderTest) -> tuple[str, str, int]:
    value = capability_value(sut, MOVE_DESTINATION)
    assert value is not None
    ae_title, _, where = value.partition("@")
    host, _, port = where.rpartition(":")
    return ae_title, host, int(port)


SCENARIOS: list[Scenario] = []


def scenario(
    id: str,
    title: str,
    clause: str,
    expected: str,
    *,
    group: str,
    requires: Iterable[str] = (),
    note: str = "",
    role: Role = Role.ACCEPTOR,
    cell: tuple[State, Event] | None = None,
) -> Callable[[Callable[[SystemUnderTest], Verdict]], Callable[[SystemUnderTest], Verdict]]:
    def register(run: Callable[[SystemUnderTest], Verdict]) -> Callable[[SystemUnderTest], Verdict]:
        entry = Scenario(id, title, clause, expected, run, tuple(requires), group, note, role, cell)
        SCENARIOS.append(entry)
        return run

    return register


def scenario_by_id(scenario_id: str) -> Scenario:
    for entry in SCENARIOS:
        if entry.id == scenario_id:
            return entry
    raise KeyError(scenario_id)


SystemSource = SystemUnderTest | Callable[[], AbstractContextManager[SystemUnderTest]]


def run_scenarios(
    source: SystemSource,
    scenarios: Iterable[Scenario] | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run ``scenarios`` (all by default) against a system or a factory of one (a context
    manager that starts it and stops it afterwards)."""
    chosen = list(SCENARIOS if scenarios is None else scenarios)
    with open_system(source) as sut:
        results = []
        for entry in chosen:
            result = Result(entry, sut.name, entry.check(sut))
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results


@contextmanager
def open_system(source: SystemSource) -> Iterator[SystemUnderTest]:
    if isinstance(source, SystemUnderTest):
        yield source
    else:
        with source() as sut:
            yield sut


def play(script: Script, sut: SystemUnderTest) -> Outcome:
    return run_script(script, sut.host, sut.port, RUN_TIMEOUT)


def verdict_of(outcome: Outcome, ok: bool, why: str = "") -> Verdict:
    seen = outcome.headline() + (f"; {why}" if why else "")
    return Verdict(
        Status.PASSED if ok else Status.DEVIATES, seen, outcome.elapsed, outcome.describe()
    )


def requestor_script(name: str, steps: Iterable[Step], **options: Any) -> Script:
    return Script("requestor", tuple(steps), name=name, **options)


def negotiate(rq: AAssociateRQ, name: str) -> Script:
    """Send ``rq``; on an A-ASSOCIATE-AC release at once."""
    return requestor_script(
        name,
        (
            SendPDU(rq),
            Expect((AAssociateAC,), b.REPLY_WITHIN),
            SendPDU(AReleaseRQ()),
            Expect((AReleaseRP,), b.REPLY_WITHIN),
            Close(),
        ),
    )


def accept_pdu(outcome: Outcome) -> AAssociateAC | None:
    return next((pdu for pdu in outcome.received if isinstance(pdu, AAssociateAC)), None)


def context_results(ac: AAssociateAC) -> dict[int, tuple[int, str | None]]:
    return {pc.context_id: (pc.result, pc.transfer_syntax) for pc in ac.presentation_contexts}


def p_data_pdus(outcome: Outcome) -> list[PDataTF]:
    return [pdu for pdu in outcome.received if isinstance(pdu, PDataTF)]


def first_command(outcome: Outcome) -> Any:
    """The first DIMSE command the system sent, reassembled from its PDVs, or None."""
    data = b""
    for pdu in p_data_pdus(outcome):
        for pdv in pdu.pdvs:
            if pdv.is_command:
                data += bytes(pdv.data)
                if pdv.is_last:
                    return decode_command(data)
    return None


def rq_context(context_id: int, abstract: str, *syntaxes: str) -> PresentationContextRQItem:
    return PresentationContextRQItem(context_id, abstract, syntaxes or (IMPLICIT,))


def request_for(
    sut: SystemUnderTest,
    contexts: tuple[PresentationContextRQItem, ...] | None = None,
    max_pdu_length: int = 16384,
    extra_items: tuple[Any, ...] = (),
) -> AAssociateRQ:
    rq = b.associate_rq(sut.ae_title, contexts=contexts, max_pdu_length=max_pdu_length)
    if extra_items:
        rq = AAssociateRQ(
            rq.called_ae_title,
            rq.calling_ae_title,
            rq.presentation_contexts,
            rq.user_information + extra_items,
        )
    return rq


def ended(outcome: Outcome, unwanted: str = "") -> Verdict:
    """PASSED when the system aborted or closed; ``unwanted`` explains any other reaction."""
    return verdict_of(outcome, outcome.kind in ENDED, "" if outcome.kind in ENDED else unwanted)


def rejected(outcome: Outcome, wanted: tuple[int, int, int]) -> Verdict:
    if outcome.reject == wanted:
        return verdict_of(outcome, True)
    return verdict_of(outcome, False, "expected A-ASSOCIATE-RJ ({}, {}, {})".format(*wanted))


def echo_answered(response: Any, message_id: int) -> str:
    if not isinstance(response, CEchoRSP):
        return f"no C-ECHO-RSP (got {type(response).__name__})"
    if response.message_id_being_responded_to != message_id or response.status != 0:
        answered = response.message_id_being_responded_to
        return f"C-ECHO-RSP for message {answered}, status {response.status:#06x}"
    return ""


def ct_instance(patient_id: str, pixels: int = 16) -> Dataset:
    """A small Secondary Capture image of ``pixels`` bytes (an even number)."""
    ds = Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = patient_id
    ds.PatientName = "HARNESS^CONFORMANCE"
    ds.StudyDate = "20240101"
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 1
    ds.Columns = pixels
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes(pixels)
    return ds


def scu_ae(*contexts: str, ae_title: str = SCU_AE) -> Any:
    from dicomactors.ae import AE

    ae = AE(ae_title)
    for uid in contexts:
        ae.add_requested_context(uid)
    ae.acse_timeout = 10
    ae.dimse_timeout = 20
    ae.network_timeout = 20
    return ae


@contextmanager
def scu_association(sut: SystemUnderTest, *contexts: str, **kwargs: Any) -> Iterator[Any]:
    ae = scu_ae(*contexts)
    assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title, **kwargs)
    try:
        yield assoc
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()


@dataclass
class Summary:
    """Counts of statuses per system, for the terminal and the report."""

    counts: dict[str, dict[Status, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Iterable[Result]) -> Summary:
        summary = cls()
        for result in results:
            row = summary.counts.setdefault(result.system, {status: 0 for status in Status})
            row[result.verdict.status] += 1
        return summary
