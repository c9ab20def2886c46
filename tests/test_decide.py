"""The acceptor's decision on its own: ``negotiation.decide`` with no actor and no socket.

Each check of PS3.8 7.1.1 (association limit, application context, called and
calling AE titles, user identity) and each part of the A-ASSOCIATE-AC (contexts,
roles, extended negotiation) is asked of ``decide`` directly, with pynetdicom's
vocabulary where the two meet (the reject reasons).
"""

from __future__ import annotations

import dataclasses

import pytest
from pynetdicom.pdu_primitives import A_ASSOCIATE

from dicomactors.negotiation import (
    Accept,
    AcceptorConfig,
    ExtendedAnswers,
    IdentityVerdict,
    Reject,
    decide,
    screen,
)
from dicomactors.pdu import (
    AAssociateRJ,
    AAssociateRQ,
    ACSERejectReason,
    AsynchronousOperationsWindowItem,
    ContextResult,
    ImplementationClassUIDItem,
    MaximumLengthItem,
    PresentationContextRQItem,
    PresentationRejectReason,
    RejectResult,
    RejectSource,
    RoleSelectionItem,
    ServiceUserRejectReason,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
)
from dicomactors.presentation import build_context

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
JPEG = "1.2.840.10008.1.2.4.50"
GET = "1.2.840.10008.5.1.4.1.2.2.3"

CONFIG = AcceptorConfig(
    ae_title="STORESCP",
    maximum_length=16382,
    implementation_class_uid="1.2.3.4",
    implementation_version_name="TEST_1",
    supported_contexts=(build_context(VERIFICATION), build_context(CT, [EXPLICIT])),
)


def _rq(*items: object, calling: str = "STORESCU", called: str = "STORESCP") -> AAssociateRQ:
    return AAssociateRQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=(
            PresentationContextRQItem(1, VERIFICATION, (IMPLICIT,)),
            PresentationContextRQItem(3, CT, (IMPLICIT, EXPLICIT)),
            PresentationContextRQItem(5, MR, (IMPLICIT,)),
        ),
        user_information=(MaximumLengthItem(0), ImplementationClassUIDItem("9.8.7"), *items),  # type: ignore[arg-type]
    )


def _accepted(decision: object) -> Accept:
    assert isinstance(decision, Accept), decision
    return decision


def _rejection(decision: object) -> AAssociateRJ:
    assert isinstance(decision, Reject), decision
    return decision.rejection


def _pynetdicom_reason(source: int, reason: int) -> str:
    """pynetdicom's wording of a reject reason: the oracle for the triples below."""
    primitive = A_ASSOCIATE()
    primitive.result, primitive.result_source, primitive.diagnostic = 1, source, reason
    return str(primitive.reason_str)


# -- the checks before any handler runs ---------------------------------------------


def test_a_plain_request_is_accepted() -> None:
    decision = _accepted(decide(_rq(), CONFIG))
    assert screen(_rq(), CONFIG) is None
    assert [c.context_id for c in decision.accepted] == [1, 3]
    assert [(c.context_id, c.result) for c in decision.rejected] == [
        (5, ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED)
    ]
    ac = decision.ac
    assert (ac.called_ae_title, ac.calling_ae_title) == ("STORESCP", "STORESCU")
    assert ac.maximum_length == 16382
    assert [(i.context_id, i.result, i.transfer_syntax) for i in ac.presentation_contexts] == [
        (1, 0, IMPLICIT),
        (3, 0, EXPLICIT),
        (5, ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED, IMPLICIT),
    ]


def test_over_the_association_limit_is_a_transient_rejection() -> None:
    over = dataclasses.replace(CONFIG, over_limit=True)
    rejection = _rejection(decide(_rq(), over))
    assert rejection == AAssociateRJ(2, 3, 2)
    assert rejection.result is RejectResult.TRANSIENT
    assert rejection.source is RejectSource.SERVICE_PROVIDER_PRESENTATION
    assert rejection.reason is PresentationRejectReason.LOCAL_LIMIT_EXCEEDED
    assert "Local limit exceeded" in _pynetdicom_reason(3, rejection.reason)


def test_another_application_context_is_rejected() -> None:
    rq = dataclasses.replace(_rq(), application_context_name="1.2.3")
    rejection = _rejection(decide(rq, CONFIG))
    assert rejection == AAssociateRJ(
        RejectResult.PERMANENT,
        RejectSource.SERVICE_USER,
        ServiceUserRejectReason.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
    )
    assert "Application context name not supported" in _pynetdicom_reason(1, 2)


@pytest.mark.parametrize("required", [False, True])
def test_called_ae_title_is_checked_only_when_required(required: bool) -> None:
    config = dataclasses.replace(CONFIG, require_called_aet=required)
    decision = decide(_rq(called="SOMEONE"), config)
    if not required:
        _accepted(decision)
        return
    rejection = _rejection(decision)
    assert rejection == AAssociateRJ(1, 1, 7)
    assert rejection.reason is ServiceUserRejectReason.CALLED_AE_TITLE_NOT_RECOGNIZED
    assert "Called AE title not recognised" in _pynetdicom_reason(1, 7)
    _accepted(decide(_rq(called="STORESCP"), config))


def test_calling_ae_title_must_be_listed_when_a_list_is_given() -> None:
    config = dataclasses.replace(CONFIG, require_calling_aet=("GOODSCU",))
    rejection = _rejection(decide(_rq(calling="BADSCU"), config))
    assert rejection == AAssociateRJ(1, 1, 3)
    assert rejection.reason is ServiceUserRejectReason.CALLING_AE_TITLE_NOT_RECOGNIZED
    assert "Calling AE title not recognised" in _pynetdicom_reason(1, 3)
    _accepted(decide(_rq(calling="GOODSCU"), config))


def test_the_limit_is_checked_before_the_ae_titles() -> None:
    config = dataclasses.replace(
        CONFIG, over_limit=True, require_called_aet=True, require_calling_aet=("X",)
    )
    assert _rejection(decide(_rq(called="NOBODY"), config)).source == 3


def test_the_acse_provider_reasons_are_named_as_pynetdicom_names_them() -> None:
    assert "Protocol version not supported" in _pynetdicom_reason(
        2, ACSERejectReason.PROTOCOL_VERSION_NOT_SUPPORTED
    )


# -- user identity ------------------------------------------------------------------

IDENTITY = UserIdentityRQItem(1, True, b"alice", b"")


def test_a_refused_identity_is_rejected_with_no_reason_given() -> None:
    rejection = _rejection(decide(_rq(IDENTITY), CONFIG, IdentityVerdict(False)))
    assert rejection == AAssociateRJ(1, 1, 1)
    assert rejection.reason is ServiceUserRejectReason.NO_REASON_GIVEN


def test_an_identity_nobody_judged_is_accepted_without_a_response() -> None:
    ac = _accepted(decide(_rq(IDENTITY), CONFIG, None)).ac
    assert not [i for i in ac.user_information if isinstance(i, UserIdentityACItem)]


def test_a_verified_identity_answers_with_the_server_response_when_asked() -> None:
    ac = _accepted(decide(_rq(IDENTITY), CONFIG, IdentityVerdict(True, b"token"))).ac
    assert [i for i in ac.user_information if isinstance(i, UserIdentityACItem)] == [
        UserIdentityACItem(b"token")
    ]
    # Not asked for: no response item, whatever the handler gave.
    unasked = UserIdentityRQItem(1, False, b"alice", b"")
    ac = _accepted(decide(_rq(unasked), CONFIG, IdentityVerdict(True, b"token"))).ac
    assert not [i for i in ac.user_information if isinstance(i, UserIdentityACItem)]


# -- contexts and roles -------------------------------------------------------------


def test_no_common_transfer_syntax_rejects_the_context_only() -> None:
    rq = dataclasses.replace(
        _rq(), presentation_contexts=(PresentationContextRQItem(1, CT, (JPEG,)),)
    )
    decision = _accepted(decide(rq, CONFIG))
    assert decision.accepted == ()
    assert decision.rejected[0].result == ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED


def test_roles_are_agreed_and_answered_with_a_role_selection_item() -> None:
    supported = (build_context(GET), build_context(CT, [EXPLICIT]))
    supported[1].scu_role, supported[1].scp_role = True, True
    config = dataclasses.replace(CONFIG, supported_contexts=supported)
    rq = dataclasses.replace(
        _rq(RoleSelectionItem(CT, False, True)),
        presentation_contexts=(
            PresentationContextRQItem(1, GET, (IMPLICIT,)),
            PresentationContextRQItem(3, CT, (EXPLICIT,)),
        ),
    )
    decision = _accepted(decide(rq, config))
    ct = next(c for c in decision.accepted if c.abstract_syntax == CT)
    # The requestor is SCP only, so we (the acceptor) are SCU only.
    assert (ct.as_scu, ct.as_scp) == (True, False)
    roles = [i for i in decision.ac.user_information if isinstance(i, RoleSelectionItem)]
    assert roles == [RoleSelectionItem(CT, False, True)]


def test_a_context_on_which_no_side_may_act_is_a_user_rejection() -> None:
    supported = (build_context(CT, [EXPLICIT]),)
    supported[0].scu_role, supported[0].scp_role = False, False
    config = dataclasses.replace(CONFIG, supported_contexts=supported)
    rq = dataclasses.replace(
        _rq(RoleSelectionItem(CT, True, False)),
        presentation_contexts=(PresentationContextRQItem(1, CT, (EXPLICIT,)),),
    )
    decision = _accepted(decide(rq, config))
    assert decision.accepted == ()
    assert decision.rejected[0].result == ContextResult.USER_REJECTION


# -- extended negotiation -------------------------------------------------------------


def test_extended_answers_go_into_the_ac_in_the_standard_order() -> None:
    rq = _rq(
        AsynchronousOperationsWindowItem(5, 5),
        SOPClassExtendedNegotiationItem(CT, b"\x01"),
        IDENTITY,
    )
    answers = ExtendedAnswers((2, 3), ((CT, b"\x02"), (MR, b"\x03")))
    ac = _accepted(decide(rq, CONFIG, IdentityVerdict(True, b"ok"), answers)).ac
    kinds = [type(i).__name__ for i in ac.user_information]
    assert kinds == [
        "MaximumLengthItem",
        "ImplementationClassUIDItem",
        "AsynchronousOperationsWindowItem",
        "ImplementationVersionNameItem",
        "SOPClassExtendedNegotiationItem",
        "UserIdentityACItem",
    ]
    assert AsynchronousOperationsWindowItem(2, 3) in ac.user_information
    # Only the SOP class the requestor asked about is answered.
    assert [i for i in ac.user_information if isinstance(i, SOPClassExtendedNegotiationItem)] == [
        SOPClassExtendedNegotiationItem(CT, b"\x02")
    ]


def test_no_window_item_is_sent_for_a_window_nobody_proposed() -> None:
    ac = _accepted(decide(_rq(), CONFIG, None, ExtendedAnswers((2, 3)))).ac
    assert not [i for i in ac.user_information if isinstance(i, AsynchronousOperationsWindowItem)]


def test_the_plain_ac_carries_the_same_fixed_items_every_time() -> None:
    first, second = _accepted(decide(_rq(), CONFIG)), _accepted(decide(_rq(), CONFIG))
    assert first.ac.user_information is second.ac.user_information
