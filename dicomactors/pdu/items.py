"""Immutable values for the items and sub-items carried inside PDUs.

PS3.8 9.3.2 and 9.3.3 define the variable items of the A-ASSOCIATE PDUs;
PS3.8 Annex D and PS3.7 Annex D define the user-information sub-items.
Every value here is a frozen dataclass: the codec builds them from bytes and
turns them back into bytes, nothing else changes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "DICOM_APPLICATION_CONTEXT",
    "AsynchronousOperationsWindowItem",
    "ContextResult",
    "ImplementationClassUIDItem",
    "ImplementationVersionNameItem",
    "ItemType",
    "MaximumLengthItem",
    "PresentationContextACItem",
    "PresentationContextRQItem",
    "RoleSelectionItem",
    "SOPClassCommonExtendedNegotiationItem",
    "SOPClassExtendedNegotiationItem",
    "UserIdentityACItem",
    "UserIdentityRQItem",
    "UserIdentityType",
    "UserInformationSubItem",
    "ordered_user_information",
]

DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"


class ItemType(IntEnum):
    """Item-type values of PS3.8 9.3 and Annex D."""

    APPLICATION_CONTEXT = 0x10
    PRESENTATION_CONTEXT_RQ = 0x20
    PRESENTATION_CONTEXT_AC = 0x21
    ABSTRACT_SYNTAX = 0x30
    TRANSFER_SYNTAX = 0x40
    USER_INFORMATION = 0x50
    MAXIMUM_LENGTH = 0x51
    IMPLEMENTATION_CLASS_UID = 0x52
    ASYNCHRONOUS_OPERATIONS_WINDOW = 0x53
    ROLE_SELECTION = 0x54
    IMPLEMENTATION_VERSION_NAME = 0x55
    SOP_CLASS_EXTENDED_NEGOTIATION = 0x56
    SOP_CLASS_COMMON_EXTENDED_NEGOTIATION = 0x57
    USER_IDENTITY_RQ = 0x58
    USER_IDENTITY_AC = 0x59


class ContextResult(IntEnum):
    """Result/Reason of a presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    NO_REASON = 2
    ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
    TRANSFER_SYNTAXES_NOT_SUPPORTED = 4


@dataclass(frozen=True, slots=True)
class PresentationContextRQItem:
    """Presentation context item of an A-ASSOCIATE-RQ (type 0x20)."""

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PresentationContextACItem:
    """Presentation context item of an A-ASSOCIATE-AC (type 0x21).

    ``transfer_syntax`` is ``None`` only when the context was not accepted and
    the peer left the sub-item out (its value is not significant then).
    """

    context_id: int
    result: int
    transfer_syntax: str | None


# -- user information sub-items (PS3.8 Annex D, PS3.7 Annex D) ---------------


@dataclass(frozen=True, slots=True)
class MaximumLengthItem:
    """Maximum length sub-item (0x51): 0 means no limit."""

    maximum_length: int


@dataclass(frozen=True, slots=True)
class ImplementationClassUIDItem:
    """Implementation class UID sub-item (0x52)."""

    implementation_class_uid: str


@dataclass(frozen=True, slots=True)
class AsynchronousOperationsWindowItem:
    """Asynchronous operations window sub-item (0x53); 0 means unlimited."""

    maximum_invoked: int
    maximum_performed: int


@dataclass(frozen=True, slots=True)
class RoleSelectionItem:
    """SCP/SCU role selection sub-item (0x54)."""

    sop_class_uid: str
    scu_role: bool
    scp_role: bool


@dataclass(frozen=True, slots=True)
class ImplementationVersionNameItem:
    """Implementation version name sub-item (0x55): 1 to 16 characters."""

    implementation_version_name: str


@dataclass(frozen=True, slots=True)
class SOPClassExtendedNegotiationItem:
    """SOP class extended negotiation sub-item (0x56)."""

    sop_class_uid: str
    service_class_application_information: bytes


@dataclass(frozen=True, slots=True)
class SOPClassCommonExtendedNegotiationItem:
    """SOP class common extended negotiation sub-item (0x57), version 0."""

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_class_uids: tuple[str, ...] = ()


class UserIdentityType(IntEnum):
    """User identity types of PS3.7 D.3.3.7."""

    USERNAME = 1
    USERNAME_AND_PASSCODE = 2
    KERBEROS = 3
    SAML = 4
    JWT = 5


@dataclass(frozen=True, slots=True)
class UserIdentityRQItem:
    """User identity negotiation request sub-item (0x58)."""

    identity_type: int
    positive_response_requested: bool
    primary_field: bytes
    secondary_field: bytes = b""


@dataclass(frozen=True, slots=True)
class UserIdentityACItem:
    """User identity negotiation response sub-item (0x59)."""

    server_response: bytes


UserInformationSubItem = (
    MaximumLengthItem
    | ImplementationClassUIDItem
    | AsynchronousOperationsWindowItem
    | RoleSelectionItem
    | ImplementationVersionNameItem
    | SOPClassExtendedNegotiationItem
    | SOPClassCommonExtendedNegotiationItem
    | UserIdentityRQItem
    | UserIdentityACItem
)

_USER_INFORMATION_ORDER: dict[type, int] = {
    MaximumLengthItem: 0,
    ImplementationClassUIDItem: 1,
    AsynchronousOperationsWindowItem: 2,
    RoleSelectionItem: 3,
    ImplementationVersionNameItem: 4,
    SOPClassExtendedNegotiationItem: 5,
    SOPClassCommonExtendedNegotiationItem: 6,
    UserIdentityRQItem: 7,
    UserIdentityACItem: 7,
}


def ordered_user_information(
    items: Iterable[UserInformationSubItem],
) -> list[UserInformationSubItem]:
    """User information sub-items in the order PS3.7 D.3.3 lists them (a stable sort).

    Raises ``KeyError`` for something that is not a user information sub-item.
    """
    order = _USER_INFORMATION_ORDER
    return sorted(items, key=lambda item: order[type(item)])
