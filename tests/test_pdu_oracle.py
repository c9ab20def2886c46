"""Byte-for-byte agreement with pynetdicom's PDU encoder, used here only as an oracle.

Each of our values is rebuilt as the equivalent pynetdicom PDU object; both encodings
must be identical, and our decoder must read pynetdicom's bytes back to the value.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pynetdicom import pdu as pn
from pynetdicom import pdu_items as pni

from dicomactors.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    PDataTF,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserInformationSubItem,
    decode_pdu,
    encode_pdu,
)
from tests.test_pdu_codec import PDU_STRATEGIES

# -- our values as pynetdicom objects --------------------------------------------------


def _pn_sub_item(sub: UserInformationSubItem) -> Any:
    item: Any
    if isinstance(sub, MaximumLengthItem):
        item = pni.MaximumLengthSubItem()
        item.maximum_length_received = sub.maximum_length
    elif isinstance(sub, ImplementationClassUIDItem):
        item = pni.ImplementationClassUIDSubItem()
        item.implementation_class_uid = sub.implementation_class_uid
    elif isinstance(sub, ImplementationVersionNameItem):
        item = pni.ImplementationVersionNameSubItem()
        item.implementation_version_name = sub.implementation_version_name
    elif isinstance(sub, AsynchronousOperationsWindowItem):
        item = pni.AsynchronousOperationsWindowSubItem()
        item.maximum_number_operations_invoked = sub.maximum_invoked
        item.maximum_number_operations_performed = sub.maximum_performed
    elif isinstance(sub, RoleSelectionItem):
        item = pni.SCP_SCU_RoleSelectionSubItem()
        item.sop_class_uid = sub.sop_class_uid
        item.scu_role = int(sub.scu_role)
        item.scp_role = int(sub.scp_role)
    elif isinstance(sub, SOPClassExtendedNegotiationItem):
        item = pni.SOPClassExtendedNegotiationSubItem()
        item.sop_class_uid = sub.sop_class_uid
        item.service_class_application_information = sub.service_class_application_information
    elif isinstance(sub, SOPClassCommonExtendedNegotiationItem):
        item = pni.SOPClassCommonExtendedNegotiationSubItem()
        item.sop_class_uid = sub.sop_class_uid
        item.service_class_uid = sub.service_class_uid
        item.related_general_sop_class_identification = list(sub.related_general_sop_class_uids)
    elif isinstance(sub, UserIdentityRQItem):
        item = pni.UserIdentitySubItemRQ()
        item.user_identity_type = sub.identity_type
        item.positive_response_requested = int(sub.positive_response_requested)
        item.primary_field = sub.primary_field
        item.secondary_field = sub.secondary_field
    else:
        item = pni.UserIdentitySubItemAC()
        item.server_response = sub.server_response
    return item


def _pn_common(target: Any, pdu: AAssociateRQ | AAssociateAC, contexts: list[Any]) -> Any:
    target.protocol_version = pdu.protocol_version
    application_context = pni.ApplicationContextItem()
    application_context.application_context_name = pdu.application_context_name
    user_information = pni.UserInformationItem()
    user_information.user_data = [_pn_sub_item(sub) for sub in pdu.user_information]
    target.variable_items = [application_context, *contexts, user_information]
    return target


def _pn_syntax(kind: type, value: str | None) -> Any:
    item = kind()
    if value is None:
        # Our encoding of "no transfer syntax" for a rejected context is an empty
        # sub-item; pynetdicom's setter refuses an empty name, so set it underneath.
        item._transfer_syntax_name = ""
    elif kind is pni.AbstractSyntaxSubItem:
        item.abstract_syntax_name = value
    else:
        item.transfer_syntax_name = value
    return item


def _pn_associate_rq(pdu: AAssociateRQ) -> Any:
    rq = pn.A_ASSOCIATE_RQ()
    rq.called_ae_title = pdu.called_ae_title
    rq.calling_ae_title = pdu.calling_ae_title
    contexts = []
    for context in pdu.presentation_contexts:
        item = pni.PresentationContextItemRQ()
        item.presentation_context_id = context.context_id
        item.abstract_transfer_syntax_sub_items = [
            _pn_syntax(pni.AbstractSyntaxSubItem, context.abstract_syntax),
            *[_pn_syntax(pni.TransferSyntaxSubItem, ts) for ts in context.transfer_syntaxes],
        ]
        contexts.append(item)
    return _pn_common(rq, pdu, contexts)


def _pn_associate_ac(pdu: AAssociateAC) -> Any:
    ac = pn.A_ASSOCIATE_AC()
    ac._reserved_aet = pdu.called_ae_title
    ac._reserved_aec = pdu.calling_ae_title
    contexts = []
    for context in pdu.presentation_contexts:
        item = pni.PresentationContextItemAC()
        item.presentation_context_id = context.context_id
        item.result_reason = context.result
        item.transfer_syntax_sub_item = [
            _pn_syntax(pni.TransferSyntaxSubItem, context.transfer_syntax)
        ]
        contexts.append(item)
    return _pn_common(ac, pdu, contexts)


def _pn_p_data_tf(pdu: PDataTF) -> Any:
    p_data = pn.P_DATA_TF()
    for pdv in pdu.pdvs:
        item = pni.PresentationDataValueItem()
        item.presentation_context_id = pdv.context_id
        item.presentation_data_value = bytes((pdv.message_control_header,)) + bytes(pdv.data)
        p_data.presentation_data_value_items.append(item)
    return p_data


def _pn_pdu(pdu: PDU) -> Any:
    if isinstance(pdu, AAssociateRQ):
        return _pn_associate_rq(pdu)
    if isinstance(pdu, AAssociateAC):
        return _pn_associate_ac(pdu)
    if isinstance(pdu, PDataTF):
        return _pn_p_data_tf(pdu)
    if isinstance(pdu, AAssociateRJ):
        rj = pn.A_ASSOCIATE_RJ()
        rj.result, rj.source, rj.reason_diagnostic = pdu.result, pdu.source, pdu.reason
        return rj
    if isinstance(pdu, AReleaseRQ):
        return pn.A_RELEASE_RQ()
    if isinstance(pdu, AReleaseRP):
        return pn.A_RELEASE_RP()
    abort = pn.A_ABORT_RQ()
    abort.source, abort.reason_diagnostic = pdu.source, pdu.reason
    return abort


def _assert_agrees(pdu: PDU) -> None:
    theirs = _pn_pdu(pdu).encode()
    assert encode_pdu(pdu) == theirs
    assert decode_pdu(theirs) == pdu


# -- every PDU and every item, by hand -------------------------------------------------

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

SUB_ITEMS: dict[str, UserInformationSubItem] = {
    "maximum-length": MaximumLengthItem(16382),
    "maximum-length-unlimited": MaximumLengthItem(0),
    "implementation-class-uid": ImplementationClassUIDItem("1.2.826.0.1.3680043.9.7433.1.1"),
    "implementation-version-name": ImplementationVersionNameItem("DICOMACTORS_010"),
    "async-window": AsynchronousOperationsWindowItem(5, 3),
    "role-selection": RoleSelectionItem(CT_IMAGE_STORAGE, True, False),
    "role-selection-scp": RoleSelectionItem(CT_IMAGE_STORAGE, False, True),
    "extended-negotiation": SOPClassExtendedNegotiationItem(
        "1.2.840.10008.5.1.4.1.2.1.1", b"\x01\x01\x00"
    ),
    "common-extended-negotiation": SOPClassCommonExtendedNegotiationItem(
        CT_IMAGE_STORAGE, "1.2.840.10008.4.2", ("1.2.840.10008.5.1.4.1.1.2.1", "1.2.3")
    ),
    "common-extended-negotiation-no-related": SOPClassCommonExtendedNegotiationItem(
        CT_IMAGE_STORAGE, "1.2.840.10008.4.2"
    ),
    "user-identity-username": UserIdentityRQItem(1, False, b"alice"),
    "user-identity-passcode": UserIdentityRQItem(2, True, b"alice", b"secret"),
    "user-identity-kerberos": UserIdentityRQItem(3, True, b"\x60\x82kerberos-ticket"),
    "user-identity-saml": UserIdentityRQItem(4, False, b"<saml:Assertion/>"),
    "user-identity-jwt": UserIdentityRQItem(5, True, b"eyJhbGciOiJIUzI1NiJ9.e30.sig"),
    "user-identity-ac": UserIdentityACItem(b"server-token"),
}


def _rq(subs: tuple[UserInformationSubItem, ...]) -> AAssociateRQ:
    return AAssociateRQ(
        "ANY-SCP",
        "STORESCU",
        (
            PresentationContextRQItem(1, VERIFICATION, (IMPLICIT_LE,)),
            PresentationContextRQItem(3, CT_IMAGE_STORAGE, (EXPLICIT_LE, IMPLICIT_LE)),
        ),
        subs,
    )


def _ac(subs: tuple[UserInformationSubItem, ...]) -> AAssociateAC:
    return AAssociateAC(
        "ANY-SCP",
        "STORESCU",
        (
            PresentationContextACItem(1, 0, IMPLICIT_LE),
            PresentationContextACItem(3, 4, None),
            PresentationContextACItem(5, 3, None),
            PresentationContextACItem(7, 1, None),
            PresentationContextACItem(9, 2, None),
        ),
        subs,
    )


@pytest.mark.parametrize("name", SUB_ITEMS)
def test_each_sub_item_in_associate_rq(name: str) -> None:
    _assert_agrees(_rq((MaximumLengthItem(16382), SUB_ITEMS[name])))


@pytest.mark.parametrize("name", SUB_ITEMS)
def test_each_sub_item_in_associate_ac(name: str) -> None:
    _assert_agrees(_ac((SUB_ITEMS[name],)))


def test_all_sub_items_together() -> None:
    subs = tuple(SUB_ITEMS.values())
    _assert_agrees(_rq(subs))
    _assert_agrees(_ac(subs))


@pytest.mark.parametrize(
    "pdu",
    [
        _rq(()),
        _ac(()),
        AAssociateRQ(
            "A",
            "B",
            tuple(
                PresentationContextRQItem(2 * n + 1, CT_IMAGE_STORAGE, (EXPLICIT_LE,))
                for n in range(128)
            ),
            protocol_version=3,
        ),
        AAssociateRJ(1, 1, 1),
        AAssociateRJ(2, 3, 2),
        AAssociateRJ(1, 2, 2),
        PDataTF((PresentationDataValue(1, True, True, b"\x00" * 32),)),
        PDataTF(
            (
                PresentationDataValue(1, False, False, b"\x01\x02"),
                PresentationDataValue(3, False, True, b""),
                PresentationDataValue(255, True, False, bytes(range(256))),
            )
        ),
        AReleaseRQ(),
        AReleaseRP(),
        AAbort(0, 0),
        AAbort(2, 1),
        AAbort(2, 6),
    ],
    ids=lambda pdu: type(pdu).__name__,
)
def test_each_pdu(pdu: PDU) -> None:
    _assert_agrees(pdu)


# -- and by Hypothesis ----------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(*PDU_STRATEGIES.values()))
def test_agrees_with_pynetdicom_on_generated_pdus(pdu: PDU) -> None:
    _assert_agrees(pdu)
