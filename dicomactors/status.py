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

from pydicom import Dataset

__all__ = [
    "APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS",
    "GENERAL_STATUS",
    "MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS",
    "MODALITY_WORKLIST_SERVICE_CLASS_STATUS",
    "NON_PATIENT_SERVICE_CLASS_STATUS",
    "PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS",
    "PROCEDURE_STEP_STATUS",
    "QR_FIND_SERVICE_CLASS_STATUS",
    "QR_GET_SERVICE_CLASS_STATUS",
    "QR_MOVE_SERVICE_CLASS_STATUS",
    "RELEVANT_PATIENT_SERVICE_CLASS_STATUS",
    "RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS",
    "STATUS_CANCEL",
    "STATUS_FAILURE",
    "STATUS_PENDING",
    "STATUS_SUCCESS",
    "STATUS_UNKNOWN",
    "STATUS_WARNING",
    "STORAGE_COMMITMENT_SERVICE_CLASS_STATUS",
    "STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS",
    "STORAGE_SERVICE_CLASS_STATUS",
    "SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS",
    "UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS",
    "VERIFICATION_SERVICE_CLASS_STATUS",
    "QueryRetrieveStatus",
    "Service",
    "Status",
    "StatusCategory",
    "StatusDictType",
    "StorageStatus",
    "code_to_category",
    "code_to_status",
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
    """The general status codes of PS3.7 Annex C, and C-MOVE's 0xA801 (pynetdicom has it here)."""

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
    MOVE_DESTINATION_UNKNOWN = 0xA801
    CANCEL = 0xFE00
    PENDING = 0xFF00
    PENDING_WARNING = 0xFF01

    @classmethod
    def add(cls, name: str, code: int) -> None:
        """Give status ``code`` the name ``name`` on this class (``Status.add("X", 0xC001)``).

        The name is a plain class attribute holding the code, not a new member.
        """
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a valid Python identifier")
        setattr(cls, name, int(code))


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


# -- pynetdicom's status tables ------------------------------------------------
#
# pynetdicom publishes, per service class, a mapping of every status code the
# service can answer to ``(category, description)``, the general codes of PS3.7
# Annex C included. Code written for it looks statuses up there, so the same
# tables are built here, from the standard's PS3.4 status tables.

STATUS_SUCCESS = StatusCategory.SUCCESS.value
STATUS_WARNING = StatusCategory.WARNING.value
STATUS_FAILURE = StatusCategory.FAILURE.value
STATUS_CANCEL = StatusCategory.CANCEL.value
STATUS_PENDING = StatusCategory.PENDING.value
STATUS_UNKNOWN = "Unknown"

StatusDictType = dict[int, tuple[str, str]]

_CATEGORY_WORDS = {
    "success": STATUS_SUCCESS,
    "warning": STATUS_WARNING,
    "failure": STATUS_FAILURE,
    "cancel": STATUS_CANCEL,
    "pending": STATUS_PENDING,
}


def _status_table(
    codes: dict[int, tuple[str, str]],
    ranges: tuple[tuple[int, int, str, str], ...] = (),
    *,
    general: bool = True,
) -> StatusDictType:
    """A status table: each range expanded, then the codes, then PS3.7 Annex C's."""
    table: StatusDictType = {}
    for low, high, category, text in ranges:
        for code in range(low, high + 1):
            table[code] = (_CATEGORY_WORDS[category], text)
    for code, (category, text) in codes.items():
        table[code] = (_CATEGORY_WORDS[category], text)
    if general:
        table.update(GENERAL_STATUS)
    return table


# PS3.7 C: the codes every service may answer, whatever its class.
GENERAL_STATUS: StatusDictType = _status_table(
    {
        0x0000: ("success", ""),
        **{
            code: (status_category(code).value.lower(), text)
            for code, text in _GENERAL.items()
            if 0x0105 <= code <= 0x0213
        },
        0xFE00: ("cancel", ""),
    },
    general=False,
)

VERIFICATION_SERVICE_CLASS_STATUS: StatusDictType = GENERAL_STATUS

# PS3.4 B.2.3
STORAGE_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xB000: ("warning", "Coercion of Data Elements"),
        0xB006: ("warning", "Elements Discarded"),
        0xB007: ("warning", "Data Set Does Not Match SOP Class"),
    },
    (
        (0xA700, 0xA7FF, "failure", "Refused: Out of Resources"),
        (0xA900, 0xA9FF, "failure", "Data Set Does Not Match SOP Class"),
        (0xC000, 0xCFFF, "failure", "Cannot Understand"),
    ),
)

_UNABLE_TO_PROCESS = ((0xC000, 0xCFFF, "failure", "Unable to Process"),)

# PS3.4 C.4.1.1.4 (and the other C-FIND based query services: U, X, BB, HH)
QR_FIND_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xA700: ("failure", "Refused: Out of Resources"),
        0xA710: ("failure", "Invalid Prior Record Key"),
        0xA900: ("failure", "Identifier Does Not Match SOP Class"),
        0xB001: ("warning", "Matching reached the response limit; more matches may follow"),
        0xFF00: ("pending", "Matches are continuing, current match supplied"),
        0xFF01: ("pending", "Matches are continuing, optional keys not supported"),
    },
    _UNABLE_TO_PROCESS,
)

_RETRIEVE_CODES: dict[int, tuple[str, str]] = {
    0xA701: ("failure", "Refused: Out of resources, unable to calculate number of matches"),
    0xA702: ("failure", "Refused: Out of resources, unable to perform sub-operations"),
    0xA900: ("failure", "Identifier does not match SOP class"),
    0xAA00: ("failure", "None of the frames requested were found in the SOP instance"),
    0xAA01: ("failure", "Unable to create new object for this SOP class"),
    0xAA02: ("failure", "Unable to extract frames"),
    0xAA03: ("failure", "Time-based request received for a non-time-based SOP instance"),
    0xAA04: ("failure", "Invalid request"),
    0xB000: ("warning", "Sub-operations complete, one or more failures or warnings"),
    0xFF00: ("pending", "Sub-operations are continuing"),
}

# PS3.4 C.4.2.1.5 (C-MOVE) and C.4.3.1.4 (C-GET)
QR_MOVE_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {**_RETRIEVE_CODES, 0xA801: ("failure", "Move destination unknown")}, _UNABLE_TO_PROCESS
)
QR_GET_SERVICE_CLASS_STATUS: StatusDictType = _status_table(_RETRIEVE_CODES, _UNABLE_TO_PROCESS)

_FIND_PENDING = {
    0xFF00: ("pending", "Matches are continuing, current match supplied"),
    0xFF01: ("pending", "Matches are continuing, one or more optional keys not supported"),
}

# PS3.4 K.4.1.1.4
MODALITY_WORKLIST_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xA700: ("failure", "Refused: Out of resources"),
        0xA900: ("failure", "Identifier does not match SOP class"),
        **_FIND_PENDING,
    },
    _UNABLE_TO_PROCESS,
)

# PS3.4 Q.2.1.1.4
RELEVANT_PATIENT_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xA700: ("failure", "Out of resources"),
        0xA900: ("failure", "Identifier does not match SOP class"),
        0xC000: ("failure", "Unable to process"),
        0xC100: ("failure", "More than one match found"),
        0xC200: ("failure", "Unable to support requested template"),
        0xFF00: ("pending", "Current match is supplied"),
    }
)

# PS3.4 V.4.1.1.4
SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xA700: ("failure", "Out of resources"),
        0xA900: ("failure", "Identifier does not match SOP class"),
        **_FIND_PENDING,
    },
    _UNABLE_TO_PROCESS,
)

# PS3.4 GG.4.2
NON_PATIENT_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xA700: ("failure", "Out of resources"),
        0xA900: ("failure", "Data set does not match SOP class"),
        0xC000: ("failure", "Cannot understand"),
    }
)

# PS3.4 F.7 (Modality Performed Procedure Step)
PROCEDURE_STEP_STATUS: StatusDictType = _status_table(
    {
        0x0001: ("warning", "Requested optional attributes are not supported"),
        0x0110: ("failure", "Performed procedure step object may no longer be updated"),
    }
)

# PS3.4 H.4 (Basic Print Management)
PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xB600: ("warning", "Memory allocation not supported"),
        0xB601: ("warning", "Film session printing (collation) is not supported"),
        0xB602: ("warning", "Film session contains no image boxes (empty page)"),
        0xB603: ("warning", "Film box contains no image boxes (empty page)"),
        0xB604: ("warning", "Image larger than the image box: it has been demagnified"),
        0xB605: ("warning", "Requested density outside the printer's range: its limit is used"),
        0xB609: ("warning", "Image larger than the image box: it has been cropped to fit"),
        0xB60A: ("warning", "Image larger than the image box: it has been decimated to fit"),
        0xC600: ("failure", "Film session contains no film boxes"),
        0xC601: ("failure", "Unable to create print job: print queue is full"),
        0xC602: ("failure", "Unable to create print job: print queue is full"),
        0xC603: ("failure", "Image size is larger than the image box size"),
        0xC605: ("failure", "Insufficient memory in printer to store the image"),
        0xC613: ("failure", "Combined print image size is larger than the image box size"),
        0xC616: ("failure", "An earlier film box has not been printed yet"),
    }
)

# PS3.4 J.3 (Storage Commitment) uses the general codes only.
STORAGE_COMMITMENT_SERVICE_CLASS_STATUS: StatusDictType = GENERAL_STATUS

# PS3.4 KK (Storage Management)
STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {0xB010: ("warning", "Attribute list error: some key attributes not supported for matching")}
)

# PS3.4 P (Application Event Logging)
APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xB101: ("warning", "Synchronisation Frame of Reference UID does not match the SCP's"),
        0xB102: ("warning", "Study Instance UID coerced: event logged under another study"),
        0xB104: ("warning", "IDs inconsistent in matching a current study; event logged"),
        0xC101: ("failure", "Procedural logging not available for this Study Instance UID"),
        0xC102: ("failure", "Event Information does not match the template"),
        0xC103: ("failure", "Cannot match the event to a current study"),
        0xC104: ("failure", "IDs inconsistent in matching a current study; event not logged"),
        0xC10E: ("failure", "Operator not authorised to add to the administration record"),
        0xC110: ("failure", "Patient cannot be identified from Patient ID or Admission ID"),
        0xC111: ("failure", "Update of the Medication Administration Record failed"),
    }
)

# PS3.4 S (Media Creation Management)
MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0x0001: ("warning", "Requested optional attributes are not supported"),
        0xA510: ("failure", "Initiate Media Creation already received for this SOP instance"),
        0xC201: ("failure", "Media creation request already completed"),
        0xC202: ("failure", "Media creation request in progress and cannot be interrupted"),
        0xC203: ("failure", "Cancellation denied for an unspecified reason"),
    }
)

# PS3.4 CC (Unified Procedure Step)
UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0x0001: ("warning", "Requested optional attributes are not supported"),
        0xA700: ("failure", "Out of resources"),
        0xA900: ("failure", "Identifier does not match SOP class"),
        0xB300: ("warning", "The UPS was created with modifications"),
        0xB301: ("warning", "Deletion lock not granted"),
        0xB304: ("warning", "The UPS is already CANCELED"),
        0xB305: ("warning", "Coerced invalid values to valid values"),
        0xB306: ("warning", "The UPS is already COMPLETED"),
        0xC300: ("failure", "The UPS may no longer be updated"),
        0xC301: ("failure", "The correct Transaction UID was not provided"),
        0xC302: ("failure", "The UPS is already IN PROGRESS"),
        0xC303: ("failure", "The UPS may only become SCHEDULED via N-CREATE"),
        0xC304: ("failure", "The UPS has not met final state requirements for the change"),
        0xC307: ("failure", "No such UPS instance managed by this SCP"),
        0xC308: ("failure", "Receiving AE title is unknown to this SCP"),
        0xC309: ("failure", "The provided value of UPS State was not SCHEDULED"),
        0xC310: ("failure", "The UPS is not yet IN PROGRESS"),
        0xC311: ("failure", "The UPS is already COMPLETED"),
        0xC312: ("failure", "The performer cannot be contacted"),
        0xC313: ("failure", "Performer chooses not to cancel"),
        0xC314: ("failure", "Specified action is not appropriate for the specified instance"),
        0xC315: ("failure", "SCP does not support Event Reports"),
        **_FIND_PENDING,
    },
    _UNABLE_TO_PROCESS,
)

# PS3.4 DD (RT Machine Verification)
RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS: StatusDictType = _status_table(
    {
        0xC112: ("failure", "No such object instance: Machine Verification instance not found"),
        0xC221: ("failure", "Referenced Fraction Group Number not in the referenced plan"),
        0xC222: ("failure", "No beams exist within the referenced fraction group"),
        0xC223: ("failure", "SCU already verifying and cannot process this request now"),
        0xC224: ("failure", "Referenced Beam Number not in the referenced Fraction Group"),
        0xC225: ("failure", "Referenced device or accessory not supported"),
        0xC226: ("failure", "Referenced device or accessory not in the referenced beam"),
        0xC227: ("failure", "No such object instance: Referenced RT Plan not found"),
    }
)

_KNOWN_FAILURES = frozenset(code for code in _GENERAL if 0x0105 <= code <= 0x0213) - _WARNINGS


def code_to_category(code: int) -> str:
    """pynetdicom's category of a status code: a ``STATUS_*`` string.

    Unlike :func:`status_category`, which places every value in a category as
    PS3.7 C.1 does, a code outside the general codes and the service-specific
    ranges (0xA000-0xAFFF and 0xC000-0xCFFF failures, 0xB000-0xBFFF warnings)
    is ``STATUS_UNKNOWN``. A negative or non-integer code raises ValueError.
    """
    if not isinstance(code, int) or isinstance(code, bool) or code < 0:
        raise ValueError(f"a status code is a non-negative int, not {code!r}")
    if code == 0x0000 or code in (0xFF00, 0xFF01, 0xFE00) or code in _WARNINGS:
        return status_category(code).value
    if code in _KNOWN_FAILURES or 0xA000 <= code <= 0xAFFF or 0xC000 <= code <= 0xCFFF:
        return STATUS_FAILURE
    if 0xB000 <= code <= 0xBFFF:
        return STATUS_WARNING
    return STATUS_UNKNOWN


def code_to_status(code: int) -> Dataset:
    """A status data set (as a handler may return) whose Status is ``code``."""
    if not isinstance(code, int) or isinstance(code, bool) or code < 0:
        raise ValueError(f"a status code is a non-negative int, not {code!r}")
    status = Dataset()
    status.Status = code
    return status
