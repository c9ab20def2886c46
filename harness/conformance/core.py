"""Conformance scenarios: what a DICOM node does on the wire, checked clause by clause.

Each :class:`Scenario` names the PS3.7 or PS3.8 clause it checks and the reaction the
standard asks for, says which systems it applies to (by the capabilities their
:class:`~harness.systems.SystemUnderTest` declares) and runs against one system, giving a
:class:`Verdict`: PASSED, DEVIATES (the reaction seen is not the one asked for),
NOT_APPLICABLE (the system does not declare what the scenario needs), NOT_RUN (the check
could not be made: nobody listens, the node did not accept the association the scenario
needs, the node is down; never a finding) or ERROR (an exception inside the scenario: a
defect of the suite, which no input may cause). They are plain functions of a system, so
they run under pytest (``scenarios/``) and outside it (``dicomactors validate``); the run
path that watches the node between them (liveness, restart) is :mod:`.run`.

A transient rejection for want of resources (A-ASSOCIATE-RJ result 2, source 3:
congestion or a local limit, PS3.8 9.3.4) that a scenario does not probe is the system's
load, not its reaction: :func:`play` and :func:`scu_association` wait for the system to
wind down (:data:`WIND_DOWN`) and try again. The bounds the harness chose where no clause
times an answer (``behaviours.REPLY_WITHIN``, :data:`MALFORMED_WITHIN`) grow with the
system's measured round trip (:func:`reply_within`); while its ARTIM runs, a close when
that timer expires is no answer (:func:`closed_by_artim`).

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

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


WIND_DOWN = 10.0
"""Seconds a system may take to free the slots of earlier associations (a transient
rejection, e.g. DCMTK counting forked children until they are reaped) before a scenario
that meets one gives up waiting."""


ROUND_TRIP_MARGIN = 50.0
"""An answer the standard does not time is due within this many measured round trips (a
C-ECHO on a fresh association), and never sooner than ``behaviours.REPLY_WITHIN``."""


class Status(StrEnum):
    PASSED = "passed"
    DEVIATES = "deviates"
    NOT_APPLICABLE = "not applicable"
    NOT_RUN = "not run"
    ERROR = "error"


class NotServed(Exception):
    """The scenario could not be made: no connection, or no association to run it on.

    Not a reaction to the scenario's input; :meth:`Scenario.check` turns it into NOT_RUN.
    """


class NoConnection(NotServed, OSError):
    """Nobody accepted the TCP connection (refused, unreachable, timed out)."""


class NotAccepted(NotServed):
    """The system did not accept the (well-formed) association the scenario needs."""


class AssociationEnded(Exception):
    """The system ended the association (abort, close) in the middle of an exchange the
    scenario needs: a reaction, and a deviation when the exchange was well-formed."""


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
    probes_transient: bool = False
    """The scenario looks for a transient rejection itself: no wind-down and retry."""

    def applies(self, sut: SystemUnderTest) -> bool:
        return all(has_capability(sut, key) for key in self.requires)

    def check(self, sut: SystemUnderTest) -> Verdict:
        """Run against ``sut`` if it applies; never raises."""
        if not self.applies(sut):
            missing = [key for key in self.requires if not has_capability(sut, key)]
            why = f"the system does not declare {', '.join(missing)}"
            return Verdict(Status.NOT_APPLICABLE, why + (f" ({self.note})" if self.note else ""))
        started = time.monotonic()
        token = _RETRY_TRANSIENT.set(not self.probes_transient)
        try:
            return self.run(sut)
        except NotServed as error:
            return Verdict(Status.NOT_RUN, str(error), time.monotonic() - started)
        except AssociationEnded as error:
            return Verdict(Status.DEVIATES, str(error), time.monotonic() - started)
        except ConnectionError as error:
            seen = f"the connection failed before a reaction could be judged: {error}"
            return Verdict(Status.NOT_RUN, seen, time.monotonic() - started)
        except Exception as error:
            seen = f"suite defect: {type(error).__name__}: {error}"
            return Verdict(Status.ERROR, seen, time.monotonic() - started, traceback.format_exc())
        finally:
            _RETRY_TRANSIENT.reset(token)


_RETRY_TRANSIENT: ContextVar[bool] = ContextVar("retry_transient", default=True)


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
    probes_transient: bool = False,
) -> Callable[[Callable[[SystemUnderTest], Verdict]], Callable[[SystemUnderTest], Verdict]]:
    def register(run: Callable[[SystemUnderTest], Verdict]) -> Callable[[SystemUnderTest], Verdict]:
        entry = Scenario(
            id,
            title,
            clause,
            expected,
            run,
            tuple(requires),
            group,
            note,
            role,
            cell,
            probes_transient,
        )
        SCENARIOS.append(entry)
        return run

    return register


def scenario_by_id(scenario_id: str) -> Scenario:
    for entry in SCENARIOS:
        if entry.id == scenario_id:
            return entry
    raise KeyError(scenario_id)


ROUND_TRIPS: dict[tuple[str, int], float] = {}
"""The measured C-ECHO round trip of each system, by address (see :mod:`.run`)."""


HARNESS_BOUNDS = frozenset({b.REPLY_WITHIN, MALFORMED_WITHIN})
"""The bounds the harness chose (no clause times these answers): they grow with the
measured round trip."""


def reply_within(sut: SystemUnderTest) -> float:
    """How long an answer the standard does not time may take from this system."""
    measured = ROUND_TRIPS.get(sut.address, 0.0)
    return max(b.REPLY_WITHIN, ROUND_TRIP_MARGIN * measured)


def _paced(script: Script, sut: SystemUnderTest) -> Script:
    """The script with the harness's own bounds (``behaviours.REPLY_WITHIN``,
    :data:`MALFORMED_WITHIN`) grown to the system's measured round trip; bounds a clause
    sets (ARTIM, a deliberate wait) stay as they are."""
    measured = ROUND_TRIP_MARGIN * ROUND_TRIPS.get(sut.address, 0.0)
    if measured <= min(HARNESS_BOUNDS):
        return script
    steps = tuple(
        dataclasses.replace(step, within=max(step.within, measured))
        if isinstance(step, Expect) and step.within in HARNESS_BOUNDS
        else step
        for step in script.steps
    )
    return dataclasses.replace(script, steps=steps)


BUSY = 2, 3
"""A-ASSOCIATE-RJ result 2 (rejected-transient) from source 3 (the service provider,
presentation related), whose reasons are temporary congestion (1) and local limit exceeded
(2): PS3.8 9.3.4, Table 9-21. The node is busy; the rejection says nothing of the request."""


def is_busy_rejection(outcome: Outcome) -> bool:
    return outcome.reject is not None and outcome.reject[:2] == BUSY


def play(script: Script, sut: SystemUnderTest) -> Outcome:
    """Play ``script`` against the system; raises :class:`NoConnection` when nobody accepts
    the connection. A transient rejection the scenario does not probe is waited out."""
    paced = _paced(script, sut)
    deadline = time.monotonic() + WIND_DOWN
    pause = 0.1
    while True:
        try:
            outcome = run_script(paced, sut.host, sut.port, RUN_TIMEOUT)
        except OSError as error:
            raise NoConnection(f"no connection to {sut.host}:{sut.port}: {error}") from error
        if not (_RETRY_TRANSIENT.get() and is_busy_rejection(outcome)):
            return outcome
        if time.monotonic() + pause >= deadline:
            return outcome
        threading.Event().wait(pause)
        pause = min(pause * 2, 1.0)


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


ARTIM_SHARE = 0.75
"""A close this share of the declared ARTIM or later after the connection opened, while
the system's ARTIM runs (Sta2), is taken for the timer, not for a reaction."""


def closed_by_artim(outcome: Outcome, sut: SystemUnderTest) -> bool:
    """Whether the system's close came when its declared ARTIM expired (PS3.8 9.1.5)."""
    value = capability_value(sut, ARTIM)
    if value is None or outcome.kind not in (K.CLOSED, K.RESET):
        return False
    return outcome.elapsed >= ARTIM_SHARE * float(value)


def ended(
    outcome: Outcome, unwanted: str = "", *, artim_running: SystemUnderTest | None = None
) -> Verdict:
    """PASSED when the system aborted or closed; ``unwanted`` explains any other reaction.

    With ``artim_running`` (the system, while its ARTIM runs: Sta2), a close when that timer
    expires is no reaction to the input: whether it came just before or just after the
    harness stopped waiting must not decide the verdict."""
    if artim_running is not None and closed_by_artim(outcome, artim_running):
        return verdict_of(outcome, False, f"{unwanted}; closed when ARTIM expired, not in answer")
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


def _associate(ae: Any, sut: SystemUnderTest, **kwargs: Any) -> Any:
    """An established association, waiting out transient rejections; else NotServed."""
    deadline = time.monotonic() + WIND_DOWN
    pause = 0.1
    while True:
        assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title, **kwargs)
        if assoc.is_established:
            return assoc
        busy = assoc.is_rejected and (assoc.result, assoc.result_source) == BUSY
        if not (busy and _RETRY_TRANSIENT.get()) or time.monotonic() + pause >= deadline:
            raise NotAccepted(f"the association the scenario needs was {refusal(assoc)}")
        threading.Event().wait(pause)
        pause = min(pause * 2, 1.0)


def refusal(assoc: Any) -> str:
    if assoc.is_rejected:
        rejection = (assoc.result, assoc.result_source, assoc.result_reason)
        return "rejected: A-ASSOCIATE-RJ ({}, {}, {})".format(*rejection)
    if assoc.is_aborted:
        return "aborted"
    return "not established (no connection, or no A-ASSOCIATE-AC)"


@contextmanager
def scu_association(sut: SystemUnderTest, *contexts: str, **kwargs: Any) -> Iterator[Any]:
    """An association of the dicomactors SCU with the system, released afterwards.

    Raises :class:`NotAccepted` when the system does not accept it (after waiting out a
    transient rejection) and :class:`AssociationEnded` when the system ends it while the
    scenario is using it."""
    ae = scu_ae(*contexts)
    try:
        assoc = _associate(ae, sut, **kwargs)
        try:
            yield assoc
        except (RuntimeError, OSError) as error:
            if assoc.is_established:
                raise
            how = "aborted" if assoc.is_aborted else "closed"
            raise AssociationEnded(
                f"the system {how} the association in the middle of the exchange ({error})"
            ) from error
        finally:
            if assoc.is_established:
                assoc.release()
    finally:
        ae.shutdown()


def wait_until_accepting(sut: SystemUnderTest, within: float = WIND_DOWN) -> bool:
    """Whether the system accepts an association again within ``within`` seconds.

    A system may count a released association until its worker has wound down; the
    scenarios that follow one that filled it up need a free slot. This is the harness
    tidying up, not part of any verdict.
    """
    deadline = time.monotonic() + within
    pause = threading.Event()
    while time.monotonic() < deadline:
        try:
            outcome = run_script(
                b.associate_and_release(sut.ae_title), sut.host, sut.port, RUN_TIMEOUT
            )
        except OSError:
            return False
        if outcome.kind is K.RELEASED:
            return True
        pause.wait(0.2)
    return False


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
