"""Association acceptance and rejection (PS3.8 7.1, 9.3)."""

from __future__ import annotations

from collections.abc import Callable

from dicomactors.pdu import (
    DICOM_APPLICATION_CONTEXT,
    AAssociateAC,
    AAssociateRQ,
    ImplementationClassUIDItem,
)
from harness import behaviours as b
from harness.conformance.core import (
    CHECKS_CALLED_AET,
    CHECKS_CALLING_AET,
    K,
    Verdict,
    accept_pdu,
    negotiate,
    play,
    rejected,
    request_for,
    scenario,
    verdict_of,
)
from harness.systems import SystemUnderTest


@scenario(
    "association-accepted",
    "An A-ASSOCIATE-RQ for Verification to the system's own AE title is accepted",
    "PS3.8 7.1.1, 9.3.3",
    "A-ASSOCIATE-AC, then A-RELEASE-RP",
    group="association",
)
def _association_accepted(sut: SystemUnderTest) -> Verdict:
    outcome = play(b.associate_and_release(sut.ae_title), sut)
    return verdict_of(outcome, outcome.kind is K.RELEASED)


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
    return rejected(play(b.wrong_called_ae("NOT-" + sut.ae_title[:12]), sut), (1, 1, 7))


@scenario(
    "called-aet-leading-spaces",
    "The called AE title with leading spaces is the same title",
    "PS3.8 9.3.2 (Called-AE-title), PS3.5 6.2 (AE)",
    "A-ASSOCIATE-AC: leading and trailing spaces of an AE title are not significant",
    group="association",
)
def _called_aet_spaces(sut: SystemUnderTest) -> Verdict:
    rq = request_for(sut)
    rq = AAssociateRQ(
        ("  " + sut.ae_title)[:16],
        rq.calling_ae_title,
        rq.presentation_contexts,
        rq.user_information,
    )
    outcome = play(negotiate(rq, "called-aet-leading-spaces"), sut)
    return verdict_of(outcome, outcome.kind is K.RELEASED)


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
    return rejected(play(b.unknown_calling_ae("STRANGER", sut.ae_title), sut), (1, 1, 3))


@scenario(
    "application-context-unsupported",
    "An application context name other than DICOM's is rejected",
    "PS3.7 A.2.1, PS3.8 9.3.4",
    "A-ASSOCIATE-RJ result 1, source 1, reason 2 (application context name not supported)",
    group="association",
)
def _application_context(sut: SystemUnderTest) -> Verdict:
    return rejected(play(b.unsupported_application_context(sut.ae_title), sut), (1, 1, 2))


@scenario(
    "protocol-version-unsupported",
    "A protocol version without bit 0 (version 1) is rejected",
    "PS3.8 9.3.2, 9.3.4",
    "A-ASSOCIATE-RJ result 1, source 2 (ACSE), reason 2 (protocol version not supported)",
    group="association",
)
def _protocol_version(sut: SystemUnderTest) -> Verdict:
    return rejected(play(b.unsupported_protocol_version(sut.ae_title), sut), (1, 2, 2))


def _accepted_then(
    sut: SystemUnderTest, name: str, check: Callable[[AAssociateAC], str]
) -> Verdict:
    """Associate, release, and apply ``check`` to the A-ASSOCIATE-AC ('' when it is right)."""
    outcome = play(negotiate(request_for(sut), name), sut)
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC")
    problem = check(ac)
    return verdict_of(outcome, not problem, problem)


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
