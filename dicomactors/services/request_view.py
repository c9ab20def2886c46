"""A received request as a handler reads it: ``event.request``.

Our messages are frozen values with snake_case fields (``affected_sop_instance_uid``).
Handlers ported from pynetdicom read its primitives' PS3.7 keywords instead
(``event.request.AffectedSOPInstanceUID``), so the view answers both spellings,
with UIDs as pydicom ``UID`` and attribute identifiers as ``Tag`` values as
pynetdicom gives them. A keyword the message type does not carry reads None,
as on a pynetdicom primitive.
"""

from __future__ import annotations

from typing import Any

from pydicom.tag import Tag
from pydicom.uid import UID

_KEYWORDS: dict[type, dict[str, str]] = {}


def _keywords(message_type: type) -> dict[str, str]:
    found = _KEYWORDS.get(message_type)
    if found is None:
        found = {spec.keyword: spec.name for spec in getattr(message_type, "_elements", ())}
        _KEYWORDS[message_type] = found
    return found


_KNOWN_KEYWORDS = frozenset(
    {
        "MessageID",
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
        "Priority",
        "MoveOriginatorApplicationEntityTitle",
        "MoveOriginatorMessageID",
        "MoveDestination",
        "EventTypeID",
        "ActionTypeID",
        "AttributeIdentifierList",
        "Status",
    }
)


class RequestView:
    """Read-only view of a DIMSE message by field name or by PS3.7 keyword."""

    __slots__ = ("message",)

    def __init__(self, message: Any) -> None:
        self.message = message

    def __getattr__(self, name: str) -> Any:
        message = self.message
        field = _keywords(type(message)).get(name)
        if field is None:
            if name in _KNOWN_KEYWORDS:
                return None
            return getattr(message, name)
        value = getattr(message, field)
        if value is None:
            return None
        if name.endswith("UID"):
            return UID(value)
        if name == "AttributeIdentifierList":
            return [Tag(tag) for tag in value]
        return value

    @property
    def is_valid_request(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"RequestView({self.message!r})"
