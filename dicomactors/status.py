"""DIMSE status codes and what they mean (PS3.7 Annex C, PS3.4 per service class).

A status's category follows from its value alone (PS3.7 C.1): 0x0000 is
success, 0xFE00 cancel, 0xFF00 and 0xFF01 pending, 0x0001, 0x0107, 0x0116
and the 0xBxxx range are warnings, and everything else is a failure. Its
meaning can depend on the service: 0xB000 is "coercion of data elements" to
a Storage SCP but "sub-operations complete with failures" to a C-MOVE SCP, so
:func:`status_description` takes the service when the caller knows it.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "QueryRetrieveStatus",
    "Service",
    "Status",
    "StatusCategory",
    "StorageStatus",
    "status_category",
    "status_description",
]


class StatusCategory(StrEnum):
    SUCCESS = "Success"
    WARNING = "Warning"
    FAILURE = "Failure"
    CANCEL = "Cancel"
    PENDING = "Pending"


class Service(StrEnum):
    """Service classes whose status codes have their own meanings (PS3.4)."""

    VERIFICATION = "verification"
    STORAGE = "storage"
    FIND = "find"
    GET = "get"
    MOVE = "move"
    WORKLIST = "worklist"
    STORAGE_COMMITMENT = "storage_commitment"
    MPPS = "mpps"
    N_SERVICE = "n_service"  # any DIMSE-N service: the general codes of PS3.7 C


class Status(IntEnum):
    """The general status codes of PS3.7 Annex C."""

    SUCCESS = 0x0000
    OPTIONAL_ATTRIBUTES_NOT_SUPPORTED = 0x0001
    NO_SUCH_ATTRIBUTE = 0x0105
    INVALID_ATTRIBUTE_VALUE = 0x0106
    ATTRIBUTE_LIST_ERROR = 0x0107
    PROCESSING_FAILURE = 0x0110
    DUPLICATE_SOP_INSTANCE = 0x0111
    NO_SUCH_SOP_INSTANCE = 0x0112
    NO_SUCH_EVENT_TYPE = 0x0113
    NO_SUCH_ARGUMENT = 0x0114
    INVALID_ARGUMENT_VALUE = 0x0115
    ATTRIBUTE_VALUE_OUT_OF_RANGE = 0x0116
    INVALID_OBJECT_INSTANCE = 0x0117
    NO_SUCH_SOP_CLASS = 0x0118
    CLASS_INSTANCE_CONFLICT = 0x0119
    MISSING_ATTRIBUTE = 0x0120
    MISSING_ATTRIBUTE_VALUE = 0x0121
    SOP_CLASS_NOT_SUPPORTED = 0x0122
    NO_SUCH_ACTION = 0x0123
    NOT_AUTHORIZED = 0x0124
    DUPLICATE_INVOCATION = 0x0210
    UNRECOGNIZED_OPERATION = 0x0211
    MISTYPED_ARGUMENT = 0x0212
    RESOURCE_LIMITATION = 0x0213
    CANCEL = 0xFE00
    PENDING = 0xFF00
    PENDING_WARNING = 0xFF01


class StorageStatus(IntEnum):
    """Storage Service Class codes (PS3.4 B.2.3); each failure is the first of a range."""

    OUT_OF_RESOURCES = 0xA700
    DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
    CANNOT_UNDERSTAND = 0xC000
    COERCION_OF_DATA_ELEMENTS = 0xB000
    ELEMENTS_DISCARDED = 0xB006
    DATA_SET_DOES_NOT_MATCH_SOP_CLASS_WARNING = 0xB007


class QueryRetrieveStatus(IntEnum):
    """Query/Retrieve and Worklist codes (PS3.4 C.4.1-C.4.3, K.4)."""

    OUT_OF_RESOURCES = 0xA700
    OUT_OF_RESOURCES_MATCHES = 0xA701
    OUT_OF_RESOURCES_SUBOPERATIONS = 0xA702
    MOVE_DESTINATION_UNKNOWN = 0xA801
    IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS = 0xA900
    NONE_OF_THE_FRAMES_FOUND = 0xAA00
    UNABLE_TO_CREATE_NEW_OBJECT = 0xAA01
    UNABLE_TO_EXTRACT_FRAMES = 0xAA02
    TIME_BASED_REQUEST_FOR_NON_TIME_BASED = 0xAA03
    INVALID_REQUEST = 0xAA04
    SUBOPERATIONS_COMPLETE_WITH_FAILURES = 0xB000
    UNABLE_TO_PROCESS = 0xC000
    MATCHES_CONTINUING = 0xFF00
    MATCHES_CONTINUING_OPTIONAL_KEYS_UNSUPPORTED = 0xFF01


_WARNINGS = frozenset({0x0001, 0x0107, 0x0116})


def status_category(code: int) -> StatusCategory:
    """The category of any status value (PS3.7 C.1)."""
    if code == 0x0000:
        return StatusCategory.SUCCESS
    if code in (0xFF00, 0xFF01):
        return StatusCategory.PENDING
    if code == 0xFE00:
        return StatusCategory.CANCEL
    if code in _WARNINGS or 0xB000 <= code <= 0xBFFF:
        return StatusCategory.WARNING
    return StatusCategory.FAILURE


_GENERAL: dict[int, str] = {
    0x0000: "Success",
    0x0001: "Requested optional attributes are not supported",
    0x0105: "No such attribute",
    0x0106: "Invalid attribute value",
    0x0107: "Attribute list error",
    0x0110: "Processing failure",
    0x0111: "Duplicate SOP instance",
    0x0112: "No such SOP instance",
    0x0113: "No such event type",
    0x0114: "No such argument",
    0x0115: "Invalid argument value",
    0x0116: "Attribute value out of range",
    0x0117: "Invalid object instance",
    0x0118: "No such SOP class",
    0x0119: "Class-instance conflict",
    0x0120: "Missing attribute",
    0x0121: "Missing attribute value",
    0x0122: "Refused: SOP class not supported",
    0x0123: "No such action",
    0x0124: "Refused: not authorized",
    0x0210: "Duplicate invocation",
    0x0211: "Unrecognized operation",
    0x0212: "Mistyped argument",
    0x0213: "Resource limitation",
    0xFE00: "Cancelled",
    0xFF00: "Pending",
    0xFF01: "Pending, with a warning",
}

# Ranges the standard reserves to service-specific meanings; used when the
# service is unknown or gives the code no meaning of its own.
_GENERAL_RANGES: tuple[tuple[int, int, str], ...] = (
    (0xA700, 0xA7FF, "Refused: out of resources"),
    (0xA900, 0xA9FF, "Error: data set does not match SOP class"),
    (0xB000, 0xBFFF, "Warning (service specific)"),
    (0xC000, 0xCFFF, "Error: unable to process (service specific)"),
)

_FIND: dict[int, str] = {
    0xA700: "Refused: out of resources",
    0xA900: "Failed: identifier does not match SOP class",
    0xFE00: "Matching terminated due to cancel request",
    0xFF00: "Pending: matches are continuing, current match supplied",
    0xFF01: "Pending: matches are continuing, optional keys not supported",
}

_RETRIEVE: dict[int, str] = {
    0xA701: "Refused: out of resources, unable to calculate number of matches",
    0xA702: "Refused: out of resources, unable to perform sub-operations",
    0xA900: "Failed: identifier does not match SOP class",
    0xAA00: "Failed: none of the frames requested were found in the SOP instance",
    0xAA01: "Failed: unable to create new object for this SOP class",
    0xAA02: "Failed: unable to extract frames",
    0xAA03: "Failed: time-based request received for a non-time-based original SOP instance",
    0xAA04: "Failed: invalid request",
    0xB000: "Warning: sub-operations complete, one or more failures or warnings",
    0xFE00: "Sub-operations terminated due to cancel request",
    0xFF00: "Pending: sub-operations are continuing",
}

_SERVICES: dict[Service, tuple[dict[int, str], tuple[tuple[int, int, str], ...]]] = {
    Service.VERIFICATION: ({}, ()),
    Service.STORAGE: (
        {
            0xB000: "Warning: coercion of data elements",
            0xB006: "Warning: elements discarded",
            0xB007: "Warning: data set does not match SOP class",
        },
        (
            (0xA700, 0xA7FF, "Refused: out of resources"),
            (0xA900, 0xA9FF, "Error: data set does not match SOP class"),
            (0xC000, 0xCFFF, "Error: cannot understand"),
        ),
    ),
    Service.FIND: (_FIND, ((0xC000, 0xCFFF, "Failed: unable to process"),)),
    Service.WORKLIST: (_FIND, ((0xC000, 0xCFFF, "Failed: unable to process"),)),
    Service.GET: (_RETRIEVE, ((0xC000, 0xCFFF, "Failed: unable to process"),)),
    Service.MOVE: (
        {**_RETRIEVE, 0xA801: "Refused: move destination unknown"},
        ((0xC000, 0xCFFF, "Failed: unable to process"),),
    ),
    Service.STORAGE_COMMITMENT: ({}, ()),
    Service.MPPS: (
        {0x0110: "Processing failure: the performed procedure step may no longer be updated"},
        (),
    ),
    Service.N_SERVICE: ({}, ()),
}


def status_description(code: int, service: Service | str | None = None) -> str:
    """What status ``code`` means, in the given service if one is named.

    ``service`` is a :class:`Service` or its value (``"storage"``, ``"move"``,
    ...). Codes the standard does not define get a description that names
    their category.
    """
    if service is not None:
        specific, ranges = _SERVICES[Service(service)]
        if code in specific:
            return specific[code]
        for low, high, text in ranges:
            if low <= code <= high:
                return text
    if code in _GENERAL:
        return _GENERAL[code]
    for low, high, text in _GENERAL_RANGES:
        if low <= code <= high:
            return text
    return f"Unknown {status_category(code).value.lower()} status 0x{code:04X}"
