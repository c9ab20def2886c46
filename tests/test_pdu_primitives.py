"""User-facing negotiation parameters: pynetdicom's names, validation, item round trips."""

from __future__ import annotations

from typing import Any

import pynetdicom.pdu_primitives as pnd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomactors.pdu.items import (
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
)
from dicomactors.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
    coerce_uid,
)

CT = "1.2.840.10008.5.1.4.1.1.2"


def _any(value: object) -> Any:
    """Hide a deliberately wrong type from mypy."""
    return value


STORAGE_SERVICE = "1.2.840.10008.4.2"


def test_guide_user_identity_snippet() -> None:
    user_identity = UserIdentityNegotiation()
    user_identity.user_identity_type = 2
    user_identity.primary_field = b"username"
    user_identity.secondary_field = b"password"
    assert user_identity.to_item() == UserIdentityRQItem(2, False, b"username", b"password")


@pytest.mark.parametrize(
    ("ours", "theirs_cls", "attributes"),
    [
        (MaximumLengthNotification, pnd.MaximumLengthNotification, {"maximum_length_received": 0}),
        (
            ImplementationClassUIDNotification,
            pnd.ImplementationClassUIDNotification,
            {"implementation_class_uid": "1.2.3.4"},
        ),
        (
            ImplementationVersionNameNotification,
            pnd.ImplementationVersionNameNotification,
            {"implementation_version_name": "SOME_NAME"},
        ),
        (
            AsynchronousOperationsWindowNegotiation,
            pnd.AsynchronousOperationsWindowNegotiation,
            {"maximum_number_operations_invoked": 0, "maximum_number_operations_performed": 5},
        ),
        (
            SCP_SCU_RoleSelectionNegotiation,
            pnd.SCP_SCU_RoleSelectionNegotiation,
            {"sop_class_uid": CT, "scu_role": False, "scp_role": True},
        ),
        (
            SOPClassExtendedNegotiation,
            pnd.SOPClassExtendedNegotiation,
            {"sop_class_uid": CT, "service_class_application_information": b"\x01\x00"},
        ),
        (
            SOPClassCommonExtendedNegotiation,
            pnd.SOPClassCommonExtendedNegotiation,
            {
                "sop_class_uid": CT,
                "service_class_uid": STORAGE_SERVICE,
                "related_general_sop_class_identification": ["1.2.3", "1.2.4"],
            },
        ),
        (
            UserIdentityNegotiation,
            pnd.UserIdentityNegotiation,
            {
                "user_identity_type": 2,
                "positive_response_requested": True,
                "primary_field": b"user",
                "secondary_field": b"pass",
            },
        ),
    ],
)
def test_same_attribute_names_and_defaults_as_pynetdicom(
    ours: Any, theirs_cls: Any, attributes: dict[str, Any]
) -> None:
    mine, theirs = ours(), theirs_cls()
    for name in attributes:
        assert getattr(mine, name) == getattr(theirs, name), name
    for name, value in attributes.items():
        setattr(mine, name, value)
        setattr(theirs, name, value)
        assert getattr(mine, name) == getattr(theirs, name), name
    # Both build an item from the same values; ours round-trips exactly.
    theirs.from_primitive()
    item = mine.to_item()
    assert ours.from_item(item) == mine


def test_items_carry_the_values() -> None:
    assert MaximumLengthNotification(32768).to_item() == MaximumLengthItem(32768)
    assert ImplementationClassUIDNotification("1.2.3").to_item() == ImplementationClassUIDItem(
        "1.2.3"
    )
    assert ImplementationVersionNameNotification(b"V1").to_item() == (
        ImplementationVersionNameItem("V1")
    )
    assert AsynchronousOperationsWindowNegotiation(3, 4).to_item() == (
        AsynchronousOperationsWindowItem(3, 4)
    )
    assert SCP_SCU_RoleSelectionNegotiation(CT, True).to_item() == RoleSelectionItem(
        CT, True, False
    )
    assert SOPClassExtendedNegotiation(CT, b"\x01").to_item() == SOPClassExtendedNegotiationItem(
        CT, b"\x01"
    )
    assert SOPClassCommonExtendedNegotiation(CT, STORAGE_SERVICE, ["1.2"]).to_item() == (
        SOPClassCommonExtendedNegotiationItem(CT, STORAGE_SERVICE, ("1.2",))
    )
    response = UserIdentityNegotiation(server_response=b"token")
    assert response.to_item() == UserIdentityACItem(b"token")
    assert UserIdentityNegotiation.from_item(UserIdentityACItem(b"token")) == response
    username_only = UserIdentityNegotiation(1, False, b"user")
    assert username_only.to_item() == UserIdentityRQItem(1, False, b"user", b"")
    assert UserIdentityNegotiation.from_item(username_only.to_item()) == username_only


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: MaximumLengthNotification(-1), ValueError, "maximum_length_received"),
        (lambda: MaximumLengthNotification(2**32), ValueError, "maximum_length_received"),
        (lambda: MaximumLengthNotification(_any("1")), TypeError, "maximum_length_received"),
        (lambda: MaximumLengthNotification(True), TypeError, "maximum_length_received"),
        (lambda: ImplementationClassUIDNotification("1.2.x"), ValueError, "implementation_class"),
        (lambda: ImplementationClassUIDNotification(_any(12)), TypeError, "implementation_class"),
        (lambda: ImplementationClassUIDNotification().to_item(), ValueError, "must be set"),
        (lambda: ImplementationVersionNameNotification(""), ValueError, "1 to 16"),
        (lambda: ImplementationVersionNameNotification("X" * 17), ValueError, "1 to 16"),
        (lambda: ImplementationVersionNameNotification("A\\B"), ValueError, "backslash"),
        (lambda: ImplementationVersionNameNotification().to_item(), ValueError, "must be set"),
        (lambda: AsynchronousOperationsWindowNegotiation(65536), ValueError, "invoked"),
        (lambda: AsynchronousOperationsWindowNegotiation(1, -1), ValueError, "performed"),
        (lambda: SCP_SCU_RoleSelectionNegotiation(CT, _any(1)), TypeError, "scu_role"),
        (lambda: SCP_SCU_RoleSelectionNegotiation(CT).to_item(), ValueError, "at least one"),
        (
            lambda: SCP_SCU_RoleSelectionNegotiation(None, True).to_item(),
            ValueError,
            "sop_class_uid",
        ),
        (
            lambda: SOPClassExtendedNegotiation(CT, _any("text")),
            TypeError,
            "application_information",
        ),
        (lambda: SOPClassExtendedNegotiation(CT).to_item(), ValueError, "both be set"),
        (lambda: SOPClassCommonExtendedNegotiation(CT).to_item(), ValueError, "both be set"),
        (
            lambda: SOPClassCommonExtendedNegotiation(CT, STORAGE_SERVICE, ["bad uid"]),
            ValueError,
            "related_general",
        ),
        (lambda: UserIdentityNegotiation(6), ValueError, "user_identity_type"),
        (lambda: UserIdentityNegotiation(_any("2")), TypeError, "user_identity_type"),
        (lambda: UserIdentityNegotiation(1, _any(None)), TypeError, "positive_response"),
        (lambda: UserIdentityNegotiation(1, False, _any("user")), TypeError, "primary_field"),
        (lambda: UserIdentityNegotiation().to_item(), ValueError, "user_identity_type"),
        (lambda: UserIdentityNegotiation(1).to_item(), ValueError, "primary_field"),
        (lambda: UserIdentityNegotiation(2, False, b"u").to_item(), ValueError, "secondary"),
    ],
)
def test_validation_errors(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_setting_related_sop_classes_needs_a_list() -> None:
    item = SOPClassCommonExtendedNegotiation(CT, STORAGE_SERVICE)
    with pytest.raises(TypeError, match="list"):
        item.related_general_sop_class_identification = "1.2.3"  # type: ignore[assignment]


def test_coerce_uid_tolerates_padding_and_bytes() -> None:
    assert coerce_uid(b"1.2.3\x00", "uid") == "1.2.3"
    assert coerce_uid("1.02.3", "uid") == "1.02.3"  # non-conformant but accepted, like pynetdicom
    with pytest.raises(ValueError, match="ASCII"):
        coerce_uid("1.2".encode("utf-16"), "uid")


uids = st.lists(st.integers(0, 99999), min_size=2, max_size=8).map(
    lambda parts: ".".join(map(str, parts))
)


@given(
    uids,
    st.booleans(),
    st.booleans(),
    st.binary(max_size=64),
    st.lists(uids, max_size=4),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
)
def test_round_trips(
    uid: str,
    scu: bool,
    scp: bool,
    info: bytes,
    related: list[str],
    invoked: int,
    performed: int,
) -> None:
    window = AsynchronousOperationsWindowNegotiation(invoked, performed)
    assert AsynchronousOperationsWindowNegotiation.from_item(window.to_item()) == window
    if scu or scp:
        role = SCP_SCU_RoleSelectionNegotiation(uid, scu, scp)
        assert SCP_SCU_RoleSelectionNegotiation.from_item(role.to_item()) == role
    extended = SOPClassExtendedNegotiation(uid, info)
    assert SOPClassExtendedNegotiation.from_item(extended.to_item()) == extended
    common = SOPClassCommonExtendedNegotiation(uid, uid, related)
    assert SOPClassCommonExtendedNegotiation.from_item(common.to_item()) == common
