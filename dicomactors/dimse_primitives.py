"""DIMSE service primitives as a handler reads them: ``event.request`` (PS3.7 9, 10).

The DIMSE layer carries frozen messages with snake_case fields
(``affected_sop_instance_uid``). A handler written for pynetdicom reads the
PS3.7 keywords of its primitives instead (``event.request.AffectedSOPClassUID``,
``.MoveDestination``, ``.Identifier``), whatever the service. Each class here
(``C_ECHO`` ... ``N_DELETE``, named as pynetdicom names them) is a read-only
view of one message that answers both spellings:

- a keyword the primitive has reads its value: UIDs as pydicom ``UID``, AE
  titles as ``str`` without padding, attribute identifiers as ``Tag``; a
  keyword the message does not carry (an optional element left out) reads None;
- the data set that came with the request reads as a ``BytesIO`` of its
  encoded bytes under the primitive's own keyword (``Identifier`` for C-FIND,
  C-GET and C-MOVE, ``DataSet`` for C-STORE, ``AttributeList``,
  ``ModificationList``, ``ActionInformation``, ``EventInformation``), and so
  does a response's (``Identifier`` again, ``AttributeList``, ``ActionReply``,
  ``EventReply``);
- a keyword the primitive does not have raises AttributeError, as on
  pynetdicom's (``C_FIND.MoveDestination``).

A view made with no message (``C_ECHO()``) starts empty and takes keyword
assignments, for code that builds primitives by hand.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any, ClassVar

from pydicom.tag import Tag
from pydicom.uid import UID

from dicomactors.dimse import (
    CCancelRQ,
    CEchoRQ,
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CGetRQ,
    CGetRSP,
    CMoveRQ,
    CMoveRSP,
    CStoreRQ,
    CStoreRSP,
    NActionRQ,
    NActionRSP,
    NCreateRQ,
    NCreateRSP,
    NDeleteRQ,
    NDeleteRSP,
    NEventReportRQ,
    NEventReportRSP,
    NGetRQ,
    NGetRSP,
    NSetRQ,
    NSetRSP,
)

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "DIMSEPrimitive",
    "DimsePrimitiveType",
    "DimseServiceType",
    "primitive_for",
]

_AE_TITLES = frozenset({"MoveDestination", "MoveOriginatorApplicationEntityTitle"})


def _keywords_of(*message_types: type) -> dict[str, str]:
    """PS3.7 keyword -> field name, over the request and response of one service."""
    found: dict[str, str] = {}
    for message_type in message_types:
        for spec in getattr(message_type, "_elements", ()):
            found.setdefault(spec.keyword, spec.name)
    return found


class DIMSEPrimitive:
    """A DIMSE message read by PS3.7 keyword or by field name (see the module docstring)."""

    __slots__ = ("_dataset", "_values", "message")

    msg_type: ClassVar[str] = ""
    """pynetdicom's name of the service (``"C_MOVE"``)."""
    MESSAGE_TYPES: ClassVar[tuple[type, ...]] = ()
    """The request and response messages of the service."""
    DATASET_KEYWORD: ClassVar[str | None] = None
    """The keyword the request's data set is read under, if the service has one."""
    REPLY_KEYWORD: ClassVar[str | None] = None
    """The keyword the response's data set is read under, if the service has one."""
    _FIELDS: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._FIELDS = _keywords_of(*cls.MESSAGE_TYPES)

    def __init__(self, message: Any = None, dataset: bytes | memoryview | None = None) -> None:
        self.message = message
        self._dataset = dataset
        self._values: dict[str, Any] = {}

    @classmethod
    def keywords(cls) -> frozenset[str]:
        """Every PS3.7 keyword this primitive answers."""
        extra = {keyword for keyword in (cls.DATASET_KEYWORD, cls.REPLY_KEYWORD) if keyword}
        return frozenset({*cls._FIELDS, *extra})

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not slots or class attributes.
        if name.startswith("_"):
            raise AttributeError(name)
        values = self._values
        if name in values:
            return values[name]
        if name in (self.DATASET_KEYWORD, self.REPLY_KEYWORD):
            is_request = self.message is not None and type(self.message) is self.MESSAGE_TYPES[0]
            carried = self.DATASET_KEYWORD if is_request else self.REPLY_KEYWORD
            if name != carried or self._dataset is None:
                return None
            return BytesIO(self._dataset)
        field = self._FIELDS.get(name)
        if field is None:
            if self.message is not None and not name[:1].isupper():
                return getattr(self.message, name)  # our own field names
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        value = getattr(self.message, field, None) if self.message is not None else None
        return _as_pynetdicom(name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in DIMSEPrimitive.__slots__:
            object.__setattr__(self, name, value)
        elif name in self.keywords():
            self._values[name] = value
        else:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def is_valid_request(self) -> bool:
        """True when this is a request the node received or could send."""
        return self.message is not None and type(self.message) is self.MESSAGE_TYPES[0]

    @property
    def is_valid_response(self) -> bool:
        """True when this is a response."""
        return (
            self.message is not None
            and len(self.MESSAGE_TYPES) > 1
            and type(self.message) is self.MESSAGE_TYPES[1]
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


def _as_pynetdicom(keyword: str, value: Any) -> Any:
    """A field's value as pynetdicom's primitives give it."""
    if value is None:
        return None
    if keyword.endswith("UID"):
        return UID(value)
    if keyword in _AE_TITLES:
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
        return text.strip()
    if keyword == "AttributeIdentifierList":
        return [Tag(tag) for tag in value]
    return value


class C_ECHO(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_ECHO"
    MESSAGE_TYPES = (CEchoRQ, CEchoRSP)


class C_STORE(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_STORE"
    MESSAGE_TYPES = (CStoreRQ, CStoreRSP)
    DATASET_KEYWORD = "DataSet"


class C_FIND(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_FIND"
    MESSAGE_TYPES = (CFindRQ, CFindRSP)
    DATASET_KEYWORD = "Identifier"
    REPLY_KEYWORD = "Identifier"


class C_GET(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_GET"
    MESSAGE_TYPES = (CGetRQ, CGetRSP)
    DATASET_KEYWORD = "Identifier"
    REPLY_KEYWORD = "Identifier"


class C_MOVE(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_MOVE"
    MESSAGE_TYPES = (CMoveRQ, CMoveRSP)
    DATASET_KEYWORD = "Identifier"
    REPLY_KEYWORD = "Identifier"


class C_CANCEL(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "C_CANCEL"
    MESSAGE_TYPES = (CCancelRQ,)


class N_EVENT_REPORT(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_EVENT_REPORT"
    MESSAGE_TYPES = (NEventReportRQ, NEventReportRSP)
    DATASET_KEYWORD = "EventInformation"
    REPLY_KEYWORD = "EventReply"


class N_GET(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_GET"
    MESSAGE_TYPES = (NGetRQ, NGetRSP)
    REPLY_KEYWORD = "AttributeList"


class N_SET(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_SET"
    MESSAGE_TYPES = (NSetRQ, NSetRSP)
    DATASET_KEYWORD = "ModificationList"
    REPLY_KEYWORD = "AttributeList"


class N_ACTION(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_ACTION"
    MESSAGE_TYPES = (NActionRQ, NActionRSP)
    DATASET_KEYWORD = "ActionInformation"
    REPLY_KEYWORD = "ActionReply"


class N_CREATE(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_CREATE"
    MESSAGE_TYPES = (NCreateRQ, NCreateRSP)
    DATASET_KEYWORD = "AttributeList"
    REPLY_KEYWORD = "AttributeList"


class N_DELETE(DIMSEPrimitive):
    __slots__ = ()
    msg_type = "N_DELETE"
    MESSAGE_TYPES = (NDeleteRQ, NDeleteRSP)


_BY_MESSAGE: dict[type, type[DIMSEPrimitive]] = {
    message_type: primitive
    for primitive in DIMSEPrimitive.__subclasses__()
    for message_type in primitive.MESSAGE_TYPES
}


def primitive_for(message: Any, dataset: bytes | memoryview | None = None) -> DIMSEPrimitive:
    """The view of ``message`` (a DIMSE request or response) a handler gets."""
    primitive = _BY_MESSAGE.get(type(message))
    if primitive is None:
        raise TypeError(f"{type(message).__name__} is not a DIMSE message")
    return primitive(message, dataset)


DimseServiceType = DIMSEPrimitive
"""Any DIMSE service primitive (pynetdicom's annotation alias)."""
DimsePrimitiveType = DIMSEPrimitive
"""Any DIMSE primitive, C-CANCEL included (pynetdicom's annotation alias)."""
