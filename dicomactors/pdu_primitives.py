"""User-facing A-ASSOCIATE user information parameters, with pynetdicom's names.

Users build these mutable objects (``UserIdentityNegotiation()``, then set
attributes) and pass them as extended negotiation; each validates on
assignment and turns into the frozen sub-item value of
:mod:`dicomactors.pdu.items` with :meth:`to_item`, and back with
:meth:`from_item`.  PS3.7 Annex D.3.3 and PS3.8 Annex D define the fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydicom.uid import UID

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

__all__ = [
    "AsynchronousOperationsWindowNegotiation",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "MaximumLengthNotification",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "UserIdentityNegotiation",
    "coerce_uid",
]

_UID_CHARACTERS = re.compile(r"[0-9.]{1,64}")
_MAX_UINT16 = 0xFFFF
_MAX_UINT32 = 0xFFFFFFFF


def coerce_uid(value: object, name: str) -> UID:
    """Return ``value`` (str, bytes or UID) as a UID, or raise a clear error.

    Like pynetdicom's default (non-strict) mode, leading zeros in components
    are tolerated; the value must be 1 to 64 characters of digits and dots.
    Trailing NUL padding from the wire is removed.
    """
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{name} must be ASCII, got {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, bytes or UID, not {type(value).__name__}")
    text = value.rstrip("\x00 ")
    if not _UID_CHARACTERS.fullmatch(text):
        raise ValueError(f"{name} must be 1 to 64 characters of digits and '.', got {value!r}")
    return UID(text)


def _optional_uid(value: object, name: str) -> UID | None:
    return None if value is None else coerce_uid(value, name)


def _check_bool(value: object, name: str, allow_none: bool = True) -> None:
    if not (isinstance(value, bool) or (allow_none and value is None)):
        kind = "a bool or None" if allow_none else "a bool"
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")


def _check_int(value: object, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be between 0 and {maximum}, got {value}")
    return value


def _check_bytes(value: object, name: str, allow_none: bool = True) -> None:
    if not (isinstance(value, bytes) or (allow_none and value is None)):
        kind = "bytes or None" if allow_none else "bytes"
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    if isinstance(value, bytes) and len(value) > _MAX_UINT16:
        raise ValueError(f"{name} must be at most {_MAX_UINT16} bytes long")


class _Parameter:
    """Equality by value and a readable repr for the parameter classes."""

    _fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __hash__(self) -> int:
        return hash((type(self), *(_hashable(getattr(self, f)) for f in self._fields)))

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({fields})"


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class MaximumLengthNotification(_Parameter):
    """Maximum length of P-DATA-TF PDUs we can receive; 0 means no limit (PS3.8 D.1)."""

    _fields = ("maximum_length_received",)

    def __init__(self, maximum_length_received: int = 16382) -> None:
        self.maximum_length_received = maximum_length_received

    @property
    def maximum_length_received(self) -> int:
        return self._maximum_length_received

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        self._maximum_length_received = _check_int(value, "maximum_length_received", _MAX_UINT32)

    def to_item(self) -> MaximumLengthItem:
        return MaximumLengthItem(self.maximum_length_received)

    @classmethod
    def from_item(cls, item: MaximumLengthItem) -> MaximumLengthNotification:
        return cls(item.maximum_length)


class ImplementationClassUIDNotification(_Parameter):
    """The implementation class UID of the sender (PS3.7 D.3.3.2)."""

    _fields = ("implementation_class_uid",)

    def __init__(self, implementation_class_uid: str | bytes | None = None) -> None:
        self.implementation_class_uid = implementation_class_uid  # type: ignore[assignment]

    @property
    def implementation_class_uid(self) -> UID | None:
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes | None) -> None:
        self._implementation_class_uid = _optional_uid(value, "implementation_class_uid")

    def to_item(self) -> ImplementationClassUIDItem:
        if self.implementation_class_uid is None:
            raise ValueError("implementation_class_uid must be set before it can be sent")
        return ImplementationClassUIDItem(str(self.implementation_class_uid))

    @classmethod
    def from_item(cls, item: ImplementationClassUIDItem) -> ImplementationClassUIDNotification:
        return cls(item.implementation_class_uid)


class ImplementationVersionNameNotification(_Parameter):
    """The implementation version name of the sender: 1 to 16 characters."""

    _fields = ("implementation_version_name",)

    def __init__(self, implementation_version_name: str | bytes | None = None) -> None:
        self.implementation_version_name = implementation_version_name  # type: ignore[assignment]

    @property
    def implementation_version_name(self) -> str | None:
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | bytes | None) -> None:
        if value is None:
            self._implementation_version_name: str | None = None
            return
        if isinstance(value, bytes):
            try:
                value = value.decode("ascii")
            except UnicodeDecodeError:
                raise ValueError("implementation_version_name must be ASCII") from None
        if not isinstance(value, str):
            raise TypeError(
                f"implementation_version_name must be str or bytes, not {type(value).__name__}"
            )
        if not 1 <= len(value) <= 16:
            raise ValueError(
                f"implementation_version_name must be 1 to 16 characters, got {value!r}"
            )
        if not value.isascii() or any(c == "\\" or not c.isprintable() for c in value):
            raise ValueError(
                "implementation_version_name must be printable ASCII without backslash, "
                f"got {value!r}"
            )
        self._implementation_version_name = value

    def to_item(self) -> ImplementationVersionNameItem:
        if self.implementation_version_name is None:
            raise ValueError("implementation_version_name must be set before it can be sent")
        return ImplementationVersionNameItem(self.implementation_version_name)

    @classmethod
    def from_item(
        cls, item: ImplementationVersionNameItem
    ) -> ImplementationVersionNameNotification:
        return cls(item.implementation_version_name)


class AsynchronousOperationsWindowNegotiation(_Parameter):
    """Outstanding operations each side may invoke/perform; 0 is unlimited (PS3.7 D.3.3.3)."""

    _fields = ("maximum_number_operations_invoked", "maximum_number_operations_performed")

    def __init__(
        self,
        maximum_number_operations_invoked: int = 1,
        maximum_number_operations_performed: int = 1,
    ) -> None:
        self.maximum_number_operations_invoked = maximum_number_operations_invoked
        self.maximum_number_operations_performed = maximum_number_operations_performed

    @property
    def maximum_number_operations_invoked(self) -> int:
        return self._invoked

    @maximum_number_operations_invoked.setter
    def maximum_number_operations_invoked(self, value: int) -> None:
        self._invoked = _check_int(value, "maximum_number_operations_invoked", _MAX_UINT16)

    @property
    def maximum_number_operations_performed(self) -> int:
        return self._performed

    @maximum_number_operations_performed.setter
    def maximum_number_operations_performed(self, value: int) -> None:
        self._performed = _check_int(value, "maximum_number_operations_performed", _MAX_UINT16)

    def to_item(self) -> AsynchronousOperationsWindowItem:
        return AsynchronousOperationsWindowItem(
            self.maximum_number_operations_invoked, self.maximum_number_operations_performed
        )

    @classmethod
    def from_item(
        cls, item: AsynchronousOperationsWindowItem
    ) -> AsynchronousOperationsWindowNegotiation:
        return cls(item.maximum_invoked, item.maximum_performed)


class SCP_SCU_RoleSelectionNegotiation(_Parameter):
    """Roles proposed (requestor) or accepted (acceptor) for one SOP class (PS3.7 D.3.3.4).

    An unset role (``None``) is sent as 0.
    """

    _fields = ("sop_class_uid", "scu_role", "scp_role")

    def __init__(
        self,
        sop_class_uid: str | bytes | None = None,
        scu_role: bool | None = None,
        scp_role: bool | None = None,
    ) -> None:
        self.sop_class_uid = sop_class_uid  # type: ignore[assignment]
        self.scu_role = scu_role
        self.scp_role = scp_role

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = _optional_uid(value, "sop_class_uid")

    @property
    def scu_role(self) -> bool | None:
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        _check_bool(value, "scu_role")
        self._scu_role = value

    @property
    def scp_role(self) -> bool | None:
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        _check_bool(value, "scp_role")
        self._scp_role = value

    def to_item(self) -> RoleSelectionItem:
        if self.sop_class_uid is None:
            raise ValueError("sop_class_uid must be set before a role selection can be sent")
        if not self.scu_role and not self.scp_role:
            raise ValueError("a role selection must propose at least one of scu_role or scp_role")
        return RoleSelectionItem(str(self.sop_class_uid), bool(self.scu_role), bool(self.scp_role))

    @classmethod
    def from_item(cls, item: RoleSelectionItem) -> SCP_SCU_RoleSelectionNegotiation:
        return cls(item.sop_class_uid, item.scu_role, item.scp_role)


class SOPClassExtendedNegotiation(_Parameter):
    """Service-class specific application information for one SOP class (PS3.7 D.3.3.5)."""

    _fields = ("sop_class_uid", "service_class_application_information")

    def __init__(
        self,
        sop_class_uid: str | bytes | None = None,
        service_class_application_information: bytes | None = None,
    ) -> None:
        self.sop_class_uid = sop_class_uid  # type: ignore[assignment]
        self.service_class_application_information = service_class_application_information

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = _optional_uid(value, "sop_class_uid")

    @property
    def service_class_application_information(self) -> bytes | None:
        return self._app_info

    @service_class_application_information.setter
    def service_class_application_information(self, value: bytes | None) -> None:
        _check_bytes(value, "service_class_application_information")
        self._app_info = value

    def to_item(self) -> SOPClassExtendedNegotiationItem:
        if self.sop_class_uid is None or self.service_class_application_information is None:
            raise ValueError(
                "sop_class_uid and service_class_application_information must both be set"
            )
        return SOPClassExtendedNegotiationItem(
            str(self.sop_class_uid), self.service_class_application_information
        )

    @classmethod
    def from_item(cls, item: SOPClassExtendedNegotiationItem) -> SOPClassExtendedNegotiation:
        return cls(item.sop_class_uid, item.service_class_application_information)


class SOPClassCommonExtendedNegotiation(_Parameter):
    """The service class and related general SOP classes of a SOP class (PS3.7 D.3.3.6)."""

    _fields = ("sop_class_uid", "service_class_uid", "related_general_sop_class_identification")

    def __init__(
        self,
        sop_class_uid: str | bytes | None = None,
        service_class_uid: str | bytes | None = None,
        related_general_sop_class_identification: Iterable[str | bytes] = (),
    ) -> None:
        self.sop_class_uid = sop_class_uid  # type: ignore[assignment]
        self.service_class_uid = service_class_uid  # type: ignore[assignment]
        self.related_general_sop_class_identification = list(
            related_general_sop_class_identification
        )

    @property
    def sop_class_uid(self) -> UID | None:
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = _optional_uid(value, "sop_class_uid")

    @property
    def service_class_uid(self) -> UID | None:
        return self._service_class_uid

    @service_class_uid.setter
    def service_class_uid(self, value: str | bytes | None) -> None:
        self._service_class_uid = _optional_uid(value, "service_class_uid")

    @property
    def related_general_sop_class_identification(self) -> list[UID]:
        return self._related

    @related_general_sop_class_identification.setter
    def related_general_sop_class_identification(self, value: Sequence[str | bytes]) -> None:
        if not isinstance(value, list | tuple):
            raise TypeError(
                "related_general_sop_class_identification must be a list of UIDs, "
                f"not {type(value).__name__}"
            )
        self._related = [
            coerce_uid(uid, "related_general_sop_class_identification item") for uid in value
        ]

    def to_item(self) -> SOPClassCommonExtendedNegotiationItem:
        if self.sop_class_uid is None or self.service_class_uid is None:
            raise ValueError("sop_class_uid and service_class_uid must both be set")
        return SOPClassCommonExtendedNegotiationItem(
            str(self.sop_class_uid),
            str(self.service_class_uid),
            tuple(str(uid) for uid in self.related_general_sop_class_identification),
        )

    @classmethod
    def from_item(
        cls, item: SOPClassCommonExtendedNegotiationItem
    ) -> SOPClassCommonExtendedNegotiation:
        return cls(item.sop_class_uid, item.service_class_uid, item.related_general_sop_class_uids)


class UserIdentityNegotiation(_Parameter):
    """User identity request (requestor) or server response (acceptor), PS3.7 D.3.3.7.

    With ``server_response`` set, :meth:`to_item` gives the A-ASSOCIATE-AC
    sub-item; otherwise the request sub-item, which needs ``user_identity_type``
    and ``primary_field`` (and ``secondary_field`` for type 2).
    """

    _fields = (
        "user_identity_type",
        "positive_response_requested",
        "primary_field",
        "secondary_field",
        "server_response",
    )

    def __init__(
        self,
        user_identity_type: int | None = None,
        positive_response_requested: bool = False,
        primary_field: bytes | None = None,
        secondary_field: bytes | None = b"",
        server_response: bytes | None = None,
    ) -> None:
        self.user_identity_type = user_identity_type
        self.positive_response_requested = positive_response_requested
        self.primary_field = primary_field
        self.secondary_field = secondary_field
        self.server_response = server_response

    @property
    def user_identity_type(self) -> int | None:
        return self._user_identity_type

    @user_identity_type.setter
    def user_identity_type(self, value: int | None) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(
                    f"user_identity_type must be an int or None, not {type(value).__name__}"
                )
            if not 1 <= value <= 5:
                raise ValueError(f"user_identity_type must be 1, 2, 3, 4 or 5, got {value}")
        self._user_identity_type = value

    @property
    def positive_response_requested(self) -> bool:
        return self._positive_response_requested

    @positive_response_requested.setter
    def positive_response_requested(self, value: bool) -> None:
        _check_bool(value, "positive_response_requested", allow_none=False)
        self._positive_response_requested = value

    @property
    def primary_field(self) -> bytes | None:
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: bytes | None) -> None:
        _check_bytes(value, "primary_field")
        self._primary_field = value

    @property
    def secondary_field(self) -> bytes | None:
        return self._secondary_field

    @secondary_field.setter
    def secondary_field(self, value: bytes | None) -> None:
        _check_bytes(value, "secondary_field")
        self._secondary_field = value

    @property
    def server_response(self) -> bytes | None:
        return self._server_response

    @server_response.setter
    def server_response(self, value: bytes | None) -> None:
        _check_bytes(value, "server_response")
        self._server_response = value

    def to_item(self) -> UserIdentityRQItem | UserIdentityACItem:
        if self.server_response is not None:
            return UserIdentityACItem(self.server_response)
        if self.user_identity_type is None:
            raise ValueError("user_identity_type must be set for a user identity request")
        if not self.primary_field:
            raise ValueError("primary_field must be set for a user identity request")
        if self.user_identity_type == 2 and not self.secondary_field:
            raise ValueError("secondary_field (the passcode) is required for user_identity_type 2")
        return UserIdentityRQItem(
            self.user_identity_type,
            self.positive_response_requested,
            self.primary_field,
            self.secondary_field or b"",
        )

    @classmethod
    def from_item(cls, item: UserIdentityRQItem | UserIdentityACItem) -> UserIdentityNegotiation:
        if isinstance(item, UserIdentityACItem):
            return cls(server_response=item.server_response)
        return cls(
            item.identity_type,
            item.positive_response_requested,
            item.primary_field,
            item.secondary_field,
        )
