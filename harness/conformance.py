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

import itertools
import threading
import time
import traceback
import uuid
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

from dicomactors.dataset import encode_dataset
from dicomactors.dimse.commands import (
    CEchoRQ,
    CEchoRSP,
    CStoreRQ,
    CStoreRSP,
    decode_command,
    encode_command,
)
from dicomactors.pdu import (
    DICOM_APPLICATION_CONTEXT,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    ImplementationClassUIDItem,
    MaximumLengthItem,
    PDataTF,
    PresentationContextRQItem,
    PresentationDataValue,
    RoleSelectionItem,
    encode_pdu,
)
from harness import behaviours as b
from harness.malformed import MALFORMED_CASES, MalformedCase
from harness.outcome import Outcome, OutcomeKind
from harness.peer import run_script
from harness.script import Close, Expect, Script, SendBytes, SendPDU, SendReply, Step
from harness.systems import Capability, SystemUnderTest

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
_ENDED = frozenset({K.ABORTED, K.CLOSED, K.RESET})


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


# -- capabilities -----------------------------------------------------------------------------


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


def _move_destination(sut: SystemUnderTest) -> tuple[str, str, int]:
    value = capability_value(sut, MOVE_DESTINATION)
    assert value is not None
    ae_title, _, where = value.partition("@")
    host, _, port = where.rpartition(":")
    return ae_title, host, int(port)


# -- the catalogue ----------------------------------------------------------------------------

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
) -> Callable[[Callable[[SystemUnderTest], Verdict]], Callable[[SystemUnderTest], Verdict]]:
    def register(run: Callable[[SystemUnderTest], Verdict]) -> Callable[[SystemUnderTest], Verdict]:
        SCENARIOS.append(Scenario(id, title, clause, expected, run, tuple(requires), group, note))
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
    with _system(source) as sut:
        results = []
        for entry in chosen:
            result = Result(entry, sut.name, entry.check(sut))
            if on_result is not None:
                on_result(result)
            results.append(result)
    return results


@contextmanager
def _system(source: SystemSource) -> Iterator[SystemUnderTest]:
    if isinstance(source, SystemUnderTest):
        yield source
    else:
        with source() as sut:
            yield sut


# -- helpers for scripted scenarios -------------------------------------------------------------


def _play(script: Script, sut: SystemUnderTest) -> Outcome:
    return run_script(script, sut.host, sut.port, RUN_TIMEOUT)


def _verdict(outcome: Outcome, ok: bool, why: str = "") -> Verdict:
    seen = outcome.headline() + (f"; {why}" if why else "")
    return Verdict(
        Status.PASSED if ok else Status.DEVIATES, seen, outcome.elapsed, outcome.describe()
    )


def _script(name: str, steps: Iterable[Step], **options: Any) -> Script:
    return Script("requestor", tuple(steps), name=name, **options)


def _negotiate(rq: AAssociateRQ, name: str) -> Script:
    """Send ``rq``; on an A-ASSOCIATE-AC release at once."""
    return _script(
        name,
        (
            SendPDU(rq),
            Expect((AAssociateAC,), b.REPLY_WITHIN),
            SendPDU(AReleaseRQ()),
            Expect((AReleaseRP,), b.REPLY_WITHIN),
            Close(),
        ),
    )


def _ac(outcome: Outcome) -> AAssociateAC | None:
    return next((pdu for pdu in outcome.received if isinstance(pdu, AAssociateAC)), None)


def _results(ac: AAssociateAC) -> dict[int, tuple[int, str | None]]:
    return {pc.context_id: (pc.result, pc.transfer_syntax) for pc in ac.presentation_contexts}


def _p_data(outcome: Outcome) -> list[PDataTF]:
    return [pdu for pdu in outcome.received if isinstance(pdu, PDataTF)]


def _command(outcome: Outcome) -> Any:
    """The first DIMSE command the system sent, reassembled from its PDVs, or None."""
    data = b""
    for pdu in _p_data(outcome):
        for pdv in pdu.pdvs:
            if pdv.is_command:
                data += bytes(pdv.data)
                if pdv.is_last:
                    return decode_command(data)
    return None


def _context(context_id: int, abstract: str, *syntaxes: str) -> PresentationContextRQItem:
    return PresentationContextRQItem(context_id, abstract, syntaxes or (IMPLICIT,))


def _rq(
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


def _ended(outcome: Outcome, unwanted: str = "") -> Verdict:
    """PASSED when the system aborted or closed; ``unwanted`` explains any other reaction."""
    return _verdict(outcome, outcome.kind in _ENDED, "" if outcome.kind in _ENDED else unwanted)


def _rejected(outcome: Outcome, wanted: tuple[int, int, int]) -> Verdict:
    if outcome.reject == wanted:
        return _verdict(outcome, True)
    return _verdict(outcome, False, "expected A-ASSOCIATE-RJ ({}, {}, {})".format(*wanted))


# -- association acceptance and rejection (PS3.8 7.1, 9.3) ----------------------------------


@scenario(
    "association-accepted",
    "An A-ASSOCIATE-RQ for Verification to the system's own AE title is accepted",
    "PS3.8 7.1.1, 9.3.3",
    "A-ASSOCIATE-AC, then A-RELEASE-RP",
    group="association",
)
def _association_accepted(sut: SystemUnderTest) -> Verdict:
    outcome = _play(b.associate_and_release(sut.ae_title), sut)
    return _verdict(outcome, outcome.kind is K.RELEASED)


@scenario(
    "called-aet-wrong",
    "An association to an AE title the system is not is rejected",
    "PS3.8 7.1.1.7, 9.3.4",
    "A-ASSOCIATE-RJ result 1 (permanent), source 1 (service user), reason 7",
    group="association",
    requires=(CHECKS_CALLED_AET,),
    note="whether the called AE title is checked is local configuration",
)
def _called_aet_wrong(sut: SystemUnderTest) -> Verdict:
    return _rejected(_play(b.wrong_called_ae("NOT-" + sut.ae_title[:12]), sut), (1, 1, 7))


@scenario(
    "called-aet-leading-spaces",
    "The called AE title with leading spaces is the same title",
    "PS3.8 9.3.2 (Called-AE-title), PS3.5 6.2 (AE)",
    "A-ASSOCIATE-AC: leading and trailing spaces of an AE title are not significant",
    group="association",
)
def _called_aet_spaces(sut: SystemUnderTest) -> Verdict:
    rq = _rq(sut)
    rq = AAssociateRQ(
        ("  " + sut.ae_title)[:16],
        rq.calling_ae_title,
        rq.presentation_contexts,
        rq.user_information,
    )
    outcome = _play(_negotiate(rq, "called-aet-leading-spaces"), sut)
    return _verdict(outcome, outcome.kind is K.RELEASED)


@scenario(
    "calling-aet-unknown",
    "An association from an AE title the system does not know is rejected",
    "PS3.8 7.1.1.3, 9.3.4",
    "A-ASSOCIATE-RJ result 1, source 1, reason 3 (calling AE title not recognized)",
    group="association",
    requires=(CHECKS_CALLING_AET,),
    note="whether calling AE titles are checked is local configuration",
)
def _calling_aet_unknown(sut: SystemUnderTest) -> Verdict:
    return _rejected(_play(b.unknown_calling_ae("STRANGER", sut.ae_title), sut), (1, 1, 3))


@scenario(
    "application-context-unsupported",
    "An application context name other than DICOM's is rejected",
    "PS3.7 A.2.1, PS3.8 9.3.4",
    "A-ASSOCIATE-RJ result 1, source 1, reason 2 (application context name not supported)",
    group="association",
)
def _application_context(sut: SystemUnderTest) -> Verdict:
    return _rejected(_play(b.unsupported_application_context(sut.ae_title), sut), (1, 1, 2))


@scenario(
    "protocol-version-unsupported",
    "A protocol version without bit 0 (version 1) is rejected",
    "PS3.8 9.3.2, 9.3.4",
    "A-ASSOCIATE-RJ result 1, source 2 (ACSE), reason 2 (protocol version not supported)",
    group="association",
)
def _protocol_version(sut: SystemUnderTest) -> Verdict:
    return _rejected(_play(b.unsupported_protocol_version(sut.ae_title), sut), (1, 2, 2))


def _accepted_then(
    sut: SystemUnderTest, name: str, check: Callable[[AAssociateAC], str]
) -> Verdict:
    """Associate, release, and apply ``check`` to the A-ASSOCIATE-AC ('' when it is right)."""
    outcome = _play(_negotiate(_rq(sut), name), sut)
    ac = _ac(outcome)
    if ac is None:
        return _verdict(outcome, False, "no A-ASSOCIATE-AC")
    problem = check(ac)
    return _verdict(outcome, not problem, problem)


@scenario(
    "ac-returns-ae-titles",
    "The A-ASSOCIATE-AC carries the called and calling AE titles of the request",
    "PS3.8 9.3.3",
    "Called- and Calling-AE-title fields identical to those of the A-ASSOCIATE-RQ",
    group="association",
)
def _ac_ae_titles(sut: SystemUnderTest) -> Verdict:
    def check(ac: AAssociateAC) -> str:
        got = (ac.called_ae_title.strip(), ac.calling_ae_title.strip())
        wanted = (sut.ae_title.strip(), b.HARNESS_AE)
        return "" if got == wanted else f"AE titles {got}, request had {wanted}"

    return _accepted_then(sut, "ac-returns-ae-titles", check)


@scenario(
    "ac-maximum-length",
    "The A-ASSOCIATE-AC announces the system's maximum PDU length",
    "PS3.8 D.1",
    "a Maximum Length sub-item in the A-ASSOCIATE-AC user information",
    group="association",
)
def _ac_maximum_length(sut: SystemUnderTest) -> Verdict:
    def check(ac: AAssociateAC) -> str:
        return "" if ac.maximum_length is not None else "no Maximum Length sub-item"

    return _accepted_then(sut, "ac-maximum-length", check)


@scenario(
    "ac-implementation-class-uid",
    "The A-ASSOCIATE-AC names the system's implementation class",
    "PS3.7 D.3.3.2",
    "an Implementation Class UID sub-item in the A-ASSOCIATE-AC",
    group="association",
)
def _ac_implementation(sut: SystemUnderTest) -> Verdict:
    def check(ac: AAssociateAC) -> str:
        uids = [
            i.implementation_class_uid
            for i in ac.user_information
            if isinstance(i, ImplementationClassUIDItem)
        ]
        return "" if uids and uids[0] else "no Implementation Class UID sub-item"

    return _accepted_then(sut, "ac-implementation-class-uid", check)


@scenario(
    "ac-application-context",
    "The A-ASSOCIATE-AC names the DICOM application context",
    "PS3.7 A.2.1, PS3.8 9.3.3",
    f"application context name {DICOM_APPLICATION_CONTEXT}",
    group="association",
)
def _ac_application_context(sut: SystemUnderTest) -> Verdict:
    def check(ac: AAssociateAC) -> str:
        name = ac.application_context_name
        return "" if name == DICOM_APPLICATION_CONTEXT else f"application context {name}"

    return _accepted_then(sut, "ac-application-context", check)


# -- presentation contexts and transfer syntaxes (PS3.8 9.3.3.2, PS3.7 D.3.3) ------------------


def _contexts_scenario(
    sut: SystemUnderTest,
    name: str,
    contexts: tuple[PresentationContextRQItem, ...],
    wanted: dict[int, int],
    syntaxes: dict[int, set[str]] | None = None,
) -> Verdict:
    outcome = _play(_negotiate(_rq(sut, contexts), name), sut)
    ac = _ac(outcome)
    if ac is None:
        return _verdict(outcome, False, "no A-ASSOCIATE-AC")
    results = _results(ac)
    got = {cid: result for cid, (result, _) in results.items()}
    seen = "results " + ", ".join(f"{cid}:{got[cid]}" for cid in sorted(got))
    problems = []
    if got != wanted:
        problems.append("expected " + ", ".join(f"{c}:{r}" for c, r in sorted(wanted.items())))
    for cid, allowed in (syntaxes or {}).items():
        chosen = results.get(cid, (None, None))[1]
        if chosen not in allowed:
            problems.append(f"context {cid} accepted with transfer syntax {chosen}")
    return _verdict(outcome, not problems, "; ".join([seen, *problems]))


@scenario(
    "pc-abstract-syntax-not-supported",
    "A context for an abstract syntax the system does not know gets result 3",
    "PS3.8 9.3.3.2",
    "A-ASSOCIATE-AC: Verification context result 0, unknown abstract syntax result 3",
    group="presentation",
)
def _pc_abstract(sut: SystemUnderTest) -> Verdict:
    contexts = (_context(1, b.VERIFICATION), _context(3, b.UNACCEPTABLE_ABSTRACT_SYNTAX))
    return _contexts_scenario(sut, "pc-abstract", contexts, {1: 0, 3: 3})


@scenario(
    "pc-transfer-syntaxes-not-supported",
    "A context whose only transfer syntax the system does not know gets result 4",
    "PS3.8 9.3.3.2",
    "A-ASSOCIATE-AC: context 1 result 0, context 3 (unknown transfer syntax) result 4",
    group="presentation",
)
def _pc_transfer(sut: SystemUnderTest) -> Verdict:
    contexts = (
        _context(1, b.VERIFICATION),
        _context(3, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX),
    )
    return _contexts_scenario(sut, "pc-transfer", contexts, {1: 0, 3: 4})


@scenario(
    "pc-mixed",
    "Accepted, abstract-syntax and transfer-syntax refusals in one request",
    "PS3.8 9.3.3.2",
    "results 1:0, 3:3, 5:4, 7:0 with Implicit VR Little Endian for context 7",
    group="presentation",
)
def _pc_mixed(sut: SystemUnderTest) -> Verdict:
    contexts = (
        _context(1, b.VERIFICATION),
        _context(3, b.UNACCEPTABLE_ABSTRACT_SYNTAX),
        _context(5, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX),
        _context(7, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX, IMPLICIT),
    )
    return _contexts_scenario(
        sut, "pc-mixed", contexts, {1: 0, 3: 3, 5: 4, 7: 0}, {1: {IMPLICIT}, 7: {IMPLICIT}}
    )


@scenario(
    "pc-transfer-syntax-from-proposed",
    "The accepted transfer syntax is one of those proposed",
    "PS3.8 9.3.3.2",
    "context accepted with Explicit or Implicit VR Little Endian, never the unknown syntax",
    group="presentation",
)
def _pc_from_proposed(sut: SystemUnderTest) -> Verdict:
    contexts = (_context(1, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX, EXPLICIT, IMPLICIT),)
    return _contexts_scenario(sut, "pc-from-proposed", contexts, {1: 0}, {1: {EXPLICIT, IMPLICIT}})


@scenario(
    "pc-every-context-answered",
    "Each proposed presentation context is answered once, by its ID",
    "PS3.8 9.3.3, 9.3.3.2",
    "A-ASSOCIATE-AC with one context item for each of IDs 1, 3, 5, 7, 9",
    group="presentation",
)
def _pc_every(sut: SystemUnderTest) -> Verdict:
    contexts = (
        *(_context(cid, b.VERIFICATION) for cid in (1, 3, 5, 7)),
        _context(9, b.UNACCEPTABLE_ABSTRACT_SYNTAX),
    )
    outcome = _play(_negotiate(_rq(sut, contexts), "pc-every"), sut)
    ac = _ac(outcome)
    if ac is None:
        return _verdict(outcome, False, "no A-ASSOCIATE-AC")
    ids = sorted(pc.context_id for pc in ac.presentation_contexts)
    return _verdict(outcome, ids == [1, 3, 5, 7, 9], f"context IDs answered {ids}")


@scenario(
    "pc-only-unsupported",
    "A request whose only context cannot be accepted",
    "PS3.8 9.3.3.2, 9.3.4",
    "A-ASSOCIATE-AC with context result 3, or an A-ASSOCIATE-RJ (permanent)",
    group="presentation",
)
def _pc_only_unsupported(sut: SystemUnderTest) -> Verdict:
    rq = _rq(sut, (_context(1, b.UNACCEPTABLE_ABSTRACT_SYNTAX),))
    outcome = _play(_negotiate(rq, "pc-only-unsupported"), sut)
    ac = _ac(outcome)
    if ac is not None:
        results = _results(ac)
        return _verdict(outcome, results.get(1, (None,))[0] == 3, f"context results {results}")
    return _verdict(outcome, outcome.reject is not None and outcome.reject[0] == 1)


@scenario(
    "role-selection",
    "SCP/SCU role selection for a storage SOP class is answered within what was proposed",
    "PS3.7 D.3.3.4",
    "A-ASSOCIATE-AC accepting the storage context; a role item, if any, only for that class,"
    " with roles no wider than proposed",
    group="presentation",
    requires=(Capability.STORE,),
)
def _role_selection(sut: SystemUnderTest) -> Verdict:
    contexts = (_context(1, b.VERIFICATION), _context(3, SECONDARY_CAPTURE, EXPLICIT, IMPLICIT))
    rq = _rq(sut, contexts, extra_items=(RoleSelectionItem(SECONDARY_CAPTURE, True, True),))
    outcome = _play(_negotiate(rq, "role-selection"), sut)
    ac = _ac(outcome)
    if ac is None:
        return _verdict(outcome, False, "no A-ASSOCIATE-AC")
    roles = [i for i in ac.user_information if isinstance(i, RoleSelectionItem)]
    problems = [
        f"role item for {i.sop_class_uid}" for i in roles if i.sop_class_uid != SECONDARY_CAPTURE
    ]
    if _results(ac).get(3, (None,))[0] != 0:
        problems.append("storage context not accepted")
    answered = ", ".join(f"SCU={int(i.scu_role)} SCP={int(i.scp_role)}" for i in roles) or "none"
    return _verdict(outcome, not problems, "; ".join([f"roles answered: {answered}", *problems]))


# -- maximum PDU length (PS3.8 D.1) -----------------------------------------------------------


def _echo_with(sut: SystemUnderTest, max_pdu_length: int, name: str) -> tuple[Outcome, Any]:
    steps = (
        SendPDU(_rq(sut, max_pdu_length=max_pdu_length)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(b.echo_request(message_id=5)),
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = _play(_script(name, steps), sut)
    return outcome, _command(outcome)


def _echo_answered(response: Any, message_id: int) -> str:
    if not isinstance(response, CEchoRSP):
        return f"no C-ECHO-RSP (got {type(response).__name__})"
    if response.message_id_being_responded_to != message_id or response.status != 0:
        answered = response.message_id_being_responded_to
        return f"C-ECHO-RSP for message {answered}, status {response.status:#06x}"
    return ""


@scenario(
    "max-pdu-small-respected",
    f"The system's PDUs respect our maximum length ({SMALL_MAXIMUM} bytes)",
    "PS3.8 D.1, 9.3.5",
    f"every P-DATA-TF at most {SMALL_MAXIMUM} bytes long: the C-ECHO-RSP is split to fit",
    group="max-pdu",
)
def _max_pdu_small(sut: SystemUnderTest) -> Verdict:
    outcome, response = _echo_with(sut, SMALL_MAXIMUM, "max-pdu-small")
    lengths = [len(encode_pdu(pdu)) - 6 for pdu in _p_data(outcome)]
    problems = [f"P-DATA-TF lengths {lengths}"]
    too_long = [n for n in lengths if n > SMALL_MAXIMUM]
    if too_long:
        problems.append(f"{len(too_long)} over {SMALL_MAXIMUM}")
    if problem := _echo_answered(response, 5):
        problems.append(problem)
    ok = outcome.kind is K.RELEASED and not too_long and len(problems) == 1
    return _verdict(outcome, ok, "; ".join(problems))


@scenario(
    "max-pdu-unlimited-accepted",
    "A maximum length of 0 (no limit) is accepted",
    "PS3.8 D.1",
    "A-ASSOCIATE-AC and a C-ECHO-RSP: 0 means the requestor sets no limit",
    group="max-pdu",
)
def _max_pdu_unlimited(sut: SystemUnderTest) -> Verdict:
    outcome, response = _echo_with(sut, 0, "max-pdu-unlimited")
    problem = _echo_answered(response, 5)
    return _verdict(outcome, outcome.kind is K.RELEASED and not problem, problem)


def _instance(patient_id: str, pixels: int = 16) -> Dataset:
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


@scenario(
    "max-pdu-at-limit-accepted",
    "A P-DATA-TF exactly as long as the system's announced maximum is taken",
    "PS3.8 D.1, 9.3.5",
    "a C-STORE-RSP (any status), no A-ABORT",
    group="max-pdu",
    requires=(Capability.STORE,),
)
def _max_pdu_at_limit(sut: SystemUnderTest) -> Verdict:
    sop_instance = generate_uid()

    def command(ac: Any) -> bytes:
        rq = CStoreRQ(1, SECONDARY_CAPTURE, sop_instance, has_dataset=True)
        return encode_pdu(PDataTF((PresentationDataValue(1, True, True, encode_command(rq)),)))

    steps = (
        SendPDU(_rq(sut, (_context(1, SECONDARY_CAPTURE),))),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendReply(command, "C-STORE-RQ command"),
        SendReply(lambda ac: _store_data_at_limit(ac, sop_instance), "data set at the maximum"),
        Expect((PDataTF,), b.REPLY_WITHIN * 2),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = _play(_script("max-pdu-at-limit", steps), sut)
    ac = _ac(outcome)
    response = _command(outcome)
    announced = ac.maximum_length if ac is not None else None
    if isinstance(response, CStoreRSP):
        seen = f"C-STORE-RSP status {response.status:#06x} (maximum {announced})"
        return _verdict(outcome, outcome.kind is K.RELEASED, seen)
    return _verdict(outcome, False, f"no C-STORE-RSP (maximum {announced})")


def _store_data_at_limit(ac: Any, sop_instance: str) -> bytes:
    maximum = (ac.maximum_length if isinstance(ac, AAssociateAC) else None) or 16384
    ds = _instance("DA-MAXPDU", 2)
    ds.SOPInstanceUID = sop_instance
    base = len(encode_dataset(ds, IMPLICIT))
    pixels = maximum - 6 - base + 2
    ds.Columns = pixels
    ds.PixelData = bytes(pixels)
    data = encode_dataset(ds, IMPLICIT)
    pdu = encode_pdu(PDataTF((PresentationDataValue(1, False, True, data),)))
    assert len(pdu) - 6 == maximum, (len(pdu), maximum)
    return pdu


@scenario(
    "pdu-over-maximum",
    "A P-DATA-TF one byte over the system's announced maximum is refused",
    "PS3.8 D.1, 9.2 (AA-8)",
    "A-ABORT (or close)",
    group="max-pdu",
)
def _pdu_over_maximum(sut: SystemUnderTest) -> Verdict:
    return _ended(_play(b.pdu_over_maximum(sut.ae_title), sut), "the oversized PDU was taken")


@scenario(
    "p-data-on-unaccepted-context",
    "A PDV on a presentation context that was not accepted is refused",
    "PS3.8 9.3.5.1, PS3.7 7.1",
    "A-ABORT (or close), no C-ECHO-RSP",
    group="max-pdu",
)
def _p_data_unaccepted(sut: SystemUnderTest) -> Verdict:
    return _ended(_play(b.p_data_on_unaccepted_context(sut.ae_title), sut), "it was answered")


# -- malformed PDUs (PS3.8 9.3) -----------------------------------------------------------------


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


def _malformed_script(case: MalformedCase, sut: SystemUnderTest) -> Script:
    steps: list[Step] = []
    if case.phase == "established":
        steps += [SendPDU(_rq(sut)), Expect((AAssociateAC,), b.REPLY_WITHIN)]
    steps.append(SendBytes(malformed_bytes(case, sut.ae_title)))
    steps.append(Expect((AAbort, AAssociateAC, AAssociateRJ), MALFORMED_WITHIN, or_close=True))
    steps.append(Close())
    return _script(f"malformed-{case.name}", steps)


def _malformed_run(case: MalformedCase) -> Callable[[SystemUnderTest], Verdict]:
    def run(sut: SystemUnderTest) -> Verdict:
        outcome = _play(_malformed_script(case, sut), sut)
        return _ended(outcome, "the malformed PDU was not refused")

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


# -- ARTIM (PS3.8 9.1.5, 9.2) -----------------------------------------------------------------


def _artim(sut: SystemUnderTest) -> float:
    value = capability_value(sut, ARTIM)
    assert value is not None
    return float(value)


def _artim_verdict(outcome: Outcome, limit: float) -> Verdict:
    ok = outcome.kind in _ENDED
    why = f"connection ended {outcome.elapsed:.2f} s after it opened (ARTIM {limit:g} s)"
    return _verdict(outcome, ok, why)


@scenario(
    "artim-silent-after-connect",
    "A connection on which nothing is sent is closed when ARTIM expires",
    "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
    "close the connection about ARTIM after it opened",
    group="artim",
    requires=(ARTIM,),
    note="the ARTIM timeout is local configuration",
)
def _artim_silent(sut: SystemUnderTest) -> Verdict:
    return _artim_verdict(_play(b.silent_after_connect(_artim(sut)), sut), _artim(sut))


@scenario(
    "artim-incomplete-request",
    "Half an A-ASSOCIATE-RQ, never completed, is given up when ARTIM expires",
    "PS3.8 9.1.5, 9.2 (Sta2, Evt18, AA-2)",
    "close the connection about ARTIM after it opened",
    group="artim",
    requires=(ARTIM,),
)
def _artim_incomplete(sut: SystemUnderTest) -> Verdict:
    return _artim_verdict(_play(b.incomplete_request(_artim(sut), sut.ae_title), sut), _artim(sut))


@scenario(
    "artim-trickled-request",
    "An A-ASSOCIATE-RQ trickled over twice ARTIM is cut off",
    "PS3.8 9.2 (Sta2, Evt18, AA-2)",
    "close while the request is still arriving; ARTIM is not restarted by partial data",
    group="artim",
    requires=(ARTIM,),
)
def _artim_trickled(sut: SystemUnderTest) -> Verdict:
    outcome = _play(b.trickled_request(_artim(sut), sut.ae_title, chunk=8), sut)
    return _artim_verdict(outcome, _artim(sut))


@scenario(
    "release-without-close",
    "After the A-RELEASE-RP the requestor never closes: the system closes after ARTIM",
    "PS3.8 9.2 (Sta13, AR-4, Evt18, AA-2)",
    "A-RELEASE-RP, then close the connection when ARTIM expires",
    group="release",
    requires=(ARTIM,),
)
def _release_without_close(sut: SystemUnderTest) -> Verdict:
    outcome = _play(b.release_without_close(_artim(sut), sut.ae_title), sut)
    if not any(isinstance(pdu, AReleaseRP) for pdu in outcome.received):
        return _verdict(outcome, False, "no A-RELEASE-RP")
    return _artim_verdict(outcome, _artim(sut))


# -- release (PS3.8 7.2, 9.2) -----------------------------------------------------------------


@scenario(
    "release-normal",
    "Echo, then an orderly release",
    "PS3.8 7.2, 9.2 (Sta6 Evt12 AR-2, Sta8 AR-4)",
    "C-ECHO-RSP, then A-RELEASE-RP",
    group="release",
)
def _release_normal(sut: SystemUnderTest) -> Verdict:
    outcome = _play(b.associate_echo_release(sut.ae_title), sut)
    return _verdict(outcome, outcome.kind is K.RELEASED)


@scenario(
    "release-collision",
    "Both sides request a release at once",
    "PS3.8 7.2, 9.2 (Sta7 Evt12 AR-8, Sta10, Sta11, Sta12)",
    "the requestor answers first (AR-9), the acceptor then (AR-10), the requestor closes",
    group="release",
    requires=(INITIATES_RELEASE,),
    note="an SCP that never requests a release itself cannot be driven into a collision",
)
def _release_collision(sut: SystemUnderTest) -> Verdict:  # pragma: no cover - no SUT declares it
    return Verdict(Status.ERROR, "no way to make this system request a release is known")


def _unexpected_first(name: str, first: Any) -> Script:
    return _script(
        name,
        (SendPDU(first), Expect((AAbort,), b.REPLY_WITHIN, or_close=True), Close()),
    )


@scenario(
    "release-rq-unassociated",
    "An A-RELEASE-RQ before any association is refused",
    "PS3.8 9.2 (Sta2, Evt12, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
)
def _release_unassociated(sut: SystemUnderTest) -> Verdict:
    outcome = _play(_unexpected_first("release-rq-unassociated", AReleaseRQ()), sut)
    return _ended(outcome, "answered as if associated")


@scenario(
    "p-data-unassociated",
    "A P-DATA-TF before any association is refused",
    "PS3.8 9.2 (Sta2, Evt10, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
)
def _p_data_unassociated(sut: SystemUnderTest) -> Verdict:
    outcome = _play(_unexpected_first("p-data-unassociated", b.echo_request()), sut)
    return _ended(outcome, "answered as if associated")


@scenario(
    "associate-ac-unexpected",
    "An A-ASSOCIATE-AC sent to an acceptor is refused",
    "PS3.8 9.2 (Sta2, Evt3, AA-1)",
    "A-ABORT and close (or close)",
    group="release",
)
def _ac_unexpected(sut: SystemUnderTest) -> Verdict:
    ac = AAssociateAC(sut.ae_title, b.HARNESS_AE, (), (MaximumLengthItem(16384),))
    return _ended(_play(_unexpected_first("associate-ac-unexpected", ac), sut), "accepted it")


@scenario(
    "associate-rq-twice",
    "A second A-ASSOCIATE-RQ on an established association is refused",
    "PS3.8 9.2 (Sta6, Evt6, AA-8)",
    "A-ABORT (source 2, reason 2 unexpected PDU) and close",
    group="release",
)
def _associate_twice(sut: SystemUnderTest) -> Verdict:
    rq = _rq(sut)
    steps = (
        SendPDU(rq),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        SendPDU(rq),
        Expect((AAbort,), b.REPLY_WITHIN, or_close=True),
        Close(),
    )
    outcome = _play(_script("associate-rq-twice", steps), sut)
    answers = sum(isinstance(pdu, AAssociateAC | AAssociateRJ) for pdu in outcome.received)
    ok = outcome.kind in _ENDED and answers == 1
    return _verdict(outcome, ok, "" if ok else f"{answers} association answers")


# -- abort in each state (PS3.8 7.3, 9.2) --------------------------------------------------------


def _abort_run(name: str) -> Callable[[SystemUnderTest], Verdict]:
    def run(sut: SystemUnderTest) -> Verdict:
        outcome = _play(b.abort_behaviours(sut.ae_title)[name], sut)
        ok = outcome.kind in (K.CLOSED, K.RESET)
        return _verdict(outcome, ok, "" if ok else "a PDU answered the A-ABORT, or no close")

    return run


for _name, _script_of in b.abort_behaviours().items():
    SCENARIOS.append(
        Scenario(
            _name,
            f"A-ABORT {_name.removeprefix('abort-').replace('-', ' ')}",
            _script_of.clause,
            "close the connection, sending nothing (no PDU answers an A-ABORT)",
            _abort_run(_name),
            group="abort",
        )
    )


# -- the association limit (PS3.8 9.3.4) --------------------------------------------------------


def _scu(*contexts: str, ae_title: str = SCU_AE) -> Any:
    from dicomactors.ae import AE

    ae = AE(ae_title)
    for uid in contexts:
        ae.add_requested_context(uid)
    ae.acse_timeout = 10
    ae.dimse_timeout = 20
    ae.network_timeout = 20
    return ae


@contextmanager
def _association(sut: SystemUnderTest, *contexts: str, **kwargs: Any) -> Iterator[Any]:
    ae = _scu(*contexts)
    assoc = ae.associate(sut.host, sut.port, ae_title=sut.ae_title, **kwargs)
    try:
        yield assoc
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()


@scenario(
    "association-limit",
    "One association over the system's limit is rejected as transient",
    "PS3.8 9.3.4, 7.1.1.7",
    "A-ASSOCIATE-RJ result 2 (transient), e.g. source 3 reason 2 (local limit exceeded)",
    group="limit",
    requires=(MAX_ASSOCIATIONS,),
    note="the limit is local configuration",
)
def _association_limit(sut: SystemUnderTest) -> Verdict:
    limit = int(capability_value(sut, MAX_ASSOCIATIONS) or 0)
    ae = _scu(b.VERIFICATION)
    try:
        deadline = time.monotonic() + _WIND_DOWN
        while True:
            held = _hold(ae, sut, limit)
            try:
                if not held or held[-1].is_established:
                    outcome = _play(b.expect_reject(_rq(sut), "association-limit"), sut)
                    break
            finally:
                _release_all(held)
            # Turned away within the limit. A system that counts a released association
            # until its worker has gone (DCMTK's forked children until they are reaped)
            # says so with a transient rejection: the earlier scenarios' associations
            # may still count. Only a rejection that lasts beyond the wind-down is seen.
            last = held[-1]
            transient = last.is_rejected and getattr(last, "result", None) == 2
            if not transient or time.monotonic() >= deadline:
                seen = f"association {len(held)} of {limit} was not accepted"
                return Verdict(Status.DEVIATES, seen)
            _wait_until_accepting(sut, deadline - time.monotonic())
    finally:
        ae.shutdown()
        _wait_until_accepting(sut)
    ok = outcome.reject is not None and outcome.reject[0] == 2
    return _verdict(outcome, ok, f"with {limit} associations open")


_WIND_DOWN = 10.0
"""Seconds the limit scenario allows the system's earlier associations to wind down."""


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


def _wait_until_accepting(sut: SystemUnderTest, within: float = 10.0) -> bool:
    """Whether the system accepts an association again within ``within`` seconds.

    A system may count a released association until its worker has wound down; the
    scenarios that follow the limit scenario need a free slot. This is the harness
    tidying up, not part of any verdict.
    """
    deadline = time.monotonic() + within
    pause = threading.Event()
    while time.monotonic() < deadline:
        outcome = _play(b.associate_and_release(sut.ae_title), sut)
        if outcome.kind is K.RELEASED:
            return True
        pause.wait(0.2)
    return False


# -- DIMSE services through the dicomactors SCU (PS3.7 9) ---------------------------------------


def _timed(start: float) -> float:
    return time.monotonic() - start


def _status_verdict(
    start: float, what: str, status: int | None, ok: bool, more: str = ""
) -> Verdict:
    shown = "no status" if status is None else f"status {status:#06x}"
    seen = f"{what} {shown}" + (f"; {more}" if more else "")
    return Verdict(Status.PASSED if ok else Status.DEVIATES, seen, _timed(start))


def _status_of(ds: Dataset) -> int | None:
    return int(ds.Status) if "Status" in ds else None


@scenario(
    "c-echo",
    "C-ECHO through a Verification context",
    "PS3.7 9.1.5, 9.3.5",
    "C-ECHO-RSP with status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _c_echo(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    with _association(sut, b.VERIFICATION) as assoc:
        if not assoc.is_established:
            return Verdict(Status.DEVIATES, "association not accepted", _timed(start))
        status = _status_of(assoc.send_c_echo())
    return _status_verdict(start, "C-ECHO-RSP", status, status == 0)


def _fragmented_echo(sut: SystemUnderTest, name: str, one_pdu: bool) -> Verdict:
    command = encode_command(CEchoRQ(7, b.VERIFICATION))
    cuts = [0, 10, len(command) // 2, len(command)]
    pdvs = [
        PresentationDataValue(1, True, end == len(command), command[start:end])
        for start, end in itertools.pairwise(cuts)
    ]
    sends: list[Step] = (
        [SendPDU(PDataTF(tuple(pdvs)))] if one_pdu else [SendPDU(PDataTF((pdv,))) for pdv in pdvs]
    )
    steps = (
        SendPDU(_rq(sut)),
        Expect((AAssociateAC,), b.REPLY_WITHIN),
        *sends,
        Expect((PDataTF,), b.REPLY_WITHIN),
        SendPDU(AReleaseRQ()),
        Expect((AReleaseRP,), b.REPLY_WITHIN, ignoring=(PDataTF,)),
        Close(),
    )
    outcome = _play(_script(name, steps), sut)
    problem = _echo_answered(_command(outcome), 7)
    return _verdict(outcome, outcome.kind is K.RELEASED and not problem, problem)


@scenario(
    "c-echo-fragmented-across-pdus",
    "A C-ECHO-RQ command split over three P-DATA-TFs is reassembled",
    "PS3.8 9.3.5.1, PS3.7 E.2 (message fragmentation)",
    "one C-ECHO-RSP for message 7, status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _echo_across(sut: SystemUnderTest) -> Verdict:
    return _fragmented_echo(sut, "c-echo-fragmented-across-pdus", one_pdu=False)


@scenario(
    "c-echo-fragmented-within-pdu",
    "A C-ECHO-RQ command split over three PDVs of one P-DATA-TF is reassembled",
    "PS3.8 9.3.5.1, PS3.7 E.2",
    "one C-ECHO-RSP for message 7, status 0x0000",
    group="dimse",
    requires=(Capability.ECHO,),
)
def _echo_within(sut: SystemUnderTest) -> Verdict:
    return _fragmented_echo(sut, "c-echo-fragmented-within-pdu", one_pdu=True)


def _store(sut: SystemUnderTest, ds: Dataset) -> int | None:
    with _association(sut, SECONDARY_CAPTURE) as assoc:
        if not assoc.is_established:
            return None
        return _status_of(assoc.send_c_store(ds))


def _stored_ok(status: int | None) -> bool:
    return status is not None and (status == 0 or status & 0xF000 == 0xB000)


@scenario(
    "c-store",
    "C-STORE of a Secondary Capture image",
    "PS3.7 9.1.1, 9.3.1; PS3.4 B.2.3",
    "C-STORE-RSP with status 0x0000 (or a warning 0xB...)",
    group="dimse",
    requires=(Capability.STORE,),
)
def _c_store(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    status = _store(sut, _instance(_patient_id()))
    return _status_verdict(start, "C-STORE-RSP", status, _stored_ok(status))


def _patient_id() -> str:
    return "DA-" + uuid.uuid4().hex[:12].upper()


def _query(level: str, **keys: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


@scenario(
    "c-find",
    "C-FIND (Study Root, STUDY level) finds a study just stored",
    "PS3.7 9.1.2, 9.3.2; PS3.4 C.4.1",
    "one pending response (0xFF00) with the study, then 0x0000",
    group="dimse",
    requires=(Capability.STORE, Capability.FIND),
)
def _c_find(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    ds = _instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    query = _query("STUDY", PatientID=ds.PatientID, StudyInstanceUID="")
    with _association(sut, STUDY_ROOT_FIND) as assoc:
        responses = list(assoc.send_c_find(query, STUDY_ROOT_FIND))
    statuses = [_status_of(status) for status, _ in responses]
    studies = [str(i.get("StudyInstanceUID", "")) for s, i in responses if i is not None]
    ok = statuses[-1:] == [0] and studies == [str(ds.StudyInstanceUID)]
    shown = [f"{s:#06x}" if s is not None else None for s in statuses]
    more = f"statuses {shown}, {len(studies)} matches"
    return _status_verdict(start, "C-FIND final", statuses[-1] if statuses else None, ok, more)


@scenario(
    "c-find-no-match",
    "C-FIND for a patient nobody has stored",
    "PS3.7 9.1.2; PS3.4 C.4.1.1.4",
    "no pending response, final status 0x0000",
    group="dimse",
    requires=(Capability.FIND,),
)
def _c_find_none(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    query = _query("STUDY", PatientID=_patient_id(), StudyInstanceUID="")
    with _association(sut, STUDY_ROOT_FIND) as assoc:
        statuses = [_status_of(status) for status, _ in assoc.send_c_find(query, STUDY_ROOT_FIND)]
    more = f"{len(statuses) - 1} pending responses"
    return _status_verdict(
        start, "C-FIND final", statuses[-1] if statuses else None, statuses == [0], more
    )


@scenario(
    "c-get",
    "C-GET (Study Root) returns a stored instance over C-STORE sub-operations",
    "PS3.7 9.1.3, 9.3.3; PS3.4 C.4.3",
    "a C-STORE sub-operation with the instance, final status 0x0000 with 1 completed",
    group="dimse",
    requires=(Capability.STORE, Capability.GET),
)
def _c_get(sut: SystemUnderTest) -> Verdict:
    from dicomactors import events as evt
    from dicomactors.presentation import build_context, build_role

    start = time.monotonic()
    ds = _instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    received: list[str] = []

    def on_store(event: Any) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0

    contexts = [build_context(STUDY_ROOT_GET), build_context(SECONDARY_CAPTURE)]
    with _association(
        sut,
        contexts=contexts,
        ext_neg=[build_role(SECONDARY_CAPTURE, scp_role=True)],
        evt_handlers=[(evt.EVT_C_STORE, on_store)],
    ) as assoc:
        query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
        responses = list(assoc.send_c_get(query, STUDY_ROOT_GET))
    final = responses[-1][0] if responses else Dataset()
    status = _status_of(final)
    completed = final.get("NumberOfCompletedSuboperations")
    ok = status == 0 and received == [str(ds.SOPInstanceUID)]
    return _status_verdict(
        start, "C-GET final", status, ok, f"{completed} completed, {len(received)} received"
    )


@scenario(
    "c-move",
    "C-MOVE (Study Root) sends a stored instance to a known destination",
    "PS3.7 9.1.4, 9.3.4; PS3.4 C.4.2",
    "the instance arrives at the destination; final status 0x0000",
    group="dimse",
    requires=(Capability.STORE, Capability.MOVE, MOVE_DESTINATION),
    note="move destinations are local configuration",
)
def _c_move(sut: SystemUnderTest) -> Verdict:
    from dicomactors import events as evt
    from dicomactors.ae import AE

    start = time.monotonic()
    ds = _instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    destination, host, port = _move_destination(sut)
    received: list[str] = []

    def on_store(event: Any) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0

    store_ae = AE(destination)
    store_ae.add_supported_context(SECONDARY_CAPTURE, [EXPLICIT, IMPLICIT])
    server = store_ae.start_server(
        (host, port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    try:
        with _association(sut, STUDY_ROOT_MOVE) as assoc:
            query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
            responses = list(assoc.send_c_move(query, destination, STUDY_ROOT_MOVE))
    finally:
        assert server is not None
        server.shutdown()
        store_ae.shutdown()
    status = _status_of(responses[-1][0]) if responses else None
    ok = status == 0 and received == [str(ds.SOPInstanceUID)]
    return _status_verdict(start, "C-MOVE final", status, ok, f"{len(received)} received")


@scenario(
    "c-move-unknown-destination",
    "C-MOVE of a stored study to a destination AE title the system does not know",
    "PS3.7 9.1.4; PS3.4 C.4.2.1.5",
    "final status 0xA801 (refused: move destination unknown)",
    group="dimse",
    requires=(Capability.STORE, Capability.MOVE),
)
def _c_move_unknown(sut: SystemUnderTest) -> Verdict:
    start = time.monotonic()
    ds = _instance(_patient_id())
    stored = _store(sut, ds)
    if not _stored_ok(stored):
        return _status_verdict(start, "C-STORE-RSP (setting up)", stored, False)
    query = _query("STUDY", StudyInstanceUID=ds.StudyInstanceUID)
    with _association(sut, STUDY_ROOT_MOVE) as assoc:
        responses = list(assoc.send_c_move(query, "NO-SUCH-DEST", STUDY_ROOT_MOVE))
    status = _status_of(responses[-1][0]) if responses else None
    return _status_verdict(start, "C-MOVE final", status, status == 0xA801)


# -- flow control and robustness ----------------------------------------------------------------


@scenario(
    "stops-reading",
    "A requestor that stops reading for a while is answered once it reads again",
    "PS3.8 9.1.1",
    "all 100 C-ECHO-RSPs and the A-RELEASE-RP, late but complete",
    group="robustness",
    requires=(Capability.ECHO,),
)
def _stops_reading(sut: SystemUnderTest) -> Verdict:
    outcome = _play(b.stops_reading(sut.ae_title, hold=1.0, echoes=100), sut)
    answers = sum(len(pdu.pdvs) for pdu in _p_data(outcome))
    ok = outcome.kind is K.RELEASED
    return _verdict(outcome, ok, f"{answers} PDVs answered")


@scenario(
    "still-serving-after-hostile-input",
    "After malformed PDUs and aborts the system still serves new associations",
    "PS3.8 7.3, 7.4, 9.2",
    "a fresh association, C-ECHO and release succeed",
    group="robustness",
)
def _still_serving(sut: SystemUnderTest) -> Verdict:
    for case in MALFORMED_CASES[:3]:
        _play(_malformed_script(case, sut), sut)
    _play(b.abort_established(sut.ae_title), sut)
    outcome = _play(b.associate_echo_release(sut.ae_title), sut)
    return _verdict(outcome, outcome.kind is K.RELEASED)


# The association limit fills the system up: it goes last.
SCENARIOS.sort(key=lambda entry: entry.group == "limit")


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


__all__ = [
    "ARTIM",
    "CHECKS_CALLED_AET",
    "CHECKS_CALLING_AET",
    "INITIATES_RELEASE",
    "MAX_ASSOCIATIONS",
    "MOVE_DESTINATION",
    "SCENARIOS",
    "Result",
    "Scenario",
    "Status",
    "Summary",
    "Verdict",
    "artim",
    "capability_value",
    "has_capability",
    "max_associations",
    "move_destination",
    "run_scenarios",
    "scenario_by_id",
]
