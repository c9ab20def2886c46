"""The DIMSE messages: one frozen value per message of PS3.7 9.3 (DIMSE-C) and 10.3 (DIMSE-N).

Each class lists its command elements as dataclass fields named after the
PS3.7 keywords in snake case. Fields without a default, and fields marked
``MANDATORY``, are the "M" elements of the PS3.7 tables. ``has_dataset`` maps to
Command Data Set Type (0000,0800).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from dicomactors.aetitle import AETitle
from dicomactors.dimse.elements import MANDATORY, CommandField, Element, Priority, message_type

# ---- the messages of PS3.7 9.3 (DIMSE-C) ------------------------------------


@message_type(CommandField.C_ECHO_RQ)
@dataclass(frozen=True, slots=True)
class CEchoRQ:
    """C-ECHO-RQ (PS3.7 9.3.5.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    has_dataset: bool = False


@message_type(CommandField.C_ECHO_RSP)
@dataclass(frozen=True, slots=True)
class CEchoRSP:
    """C-ECHO-RSP (PS3.7 9.3.5.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.C_STORE_RQ)
@dataclass(frozen=True, slots=True)
class CStoreRQ:
    """C-STORE-RQ (PS3.7 9.3.1.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=MANDATORY)
    move_originator_application_entity_title: AETitle | None = None
    move_originator_message_id: int | None = None
    has_dataset: bool = True


@message_type(CommandField.C_STORE_RSP)
@dataclass(frozen=True, slots=True)
class CStoreRSP:
    """C-STORE-RSP (PS3.7 9.3.1.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.C_FIND_RQ)
@dataclass(frozen=True, slots=True)
class CFindRQ:
    """C-FIND-RQ (PS3.7 9.3.2.1); the Identifier is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=MANDATORY)
    has_dataset: bool = True


@message_type(CommandField.C_FIND_RSP)
@dataclass(frozen=True, slots=True)
class CFindRSP:
    """C-FIND-RSP (PS3.7 9.3.2.2); pending responses carry an Identifier."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.C_GET_RQ)
@dataclass(frozen=True, slots=True)
class CGetRQ:
    """C-GET-RQ (PS3.7 9.3.3.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    priority: int = field(default=Priority.MEDIUM, metadata=MANDATORY)
    has_dataset: bool = True


@message_type(CommandField.C_GET_RSP)
@dataclass(frozen=True, slots=True)
class CGetRSP:
    """C-GET-RSP (PS3.7 9.3.3.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_suboperations: int | None = None
    number_of_completed_suboperations: int | None = None
    number_of_failed_suboperations: int | None = None
    number_of_warning_suboperations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.C_MOVE_RQ)
@dataclass(frozen=True, slots=True)
class CMoveRQ:
    """C-MOVE-RQ (PS3.7 9.3.4.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    move_destination: AETitle
    priority: int = field(default=Priority.MEDIUM, metadata=MANDATORY)
    has_dataset: bool = True


@message_type(CommandField.C_MOVE_RSP)
@dataclass(frozen=True, slots=True)
class CMoveRSP:
    """C-MOVE-RSP (PS3.7 9.3.4.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    number_of_remaining_suboperations: int | None = None
    number_of_completed_suboperations: int | None = None
    number_of_failed_suboperations: int | None = None
    number_of_warning_suboperations: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.C_CANCEL_RQ)
@dataclass(frozen=True, slots=True)
class CCancelRQ:
    """C-CANCEL-RQ for C-FIND, C-GET and C-MOVE (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    has_dataset: bool = False


# ---- the messages of PS3.7 10.3 (DIMSE-N) -----------------------------------


@message_type(CommandField.N_EVENT_REPORT_RQ)
@dataclass(frozen=True, slots=True)
class NEventReportRQ:
    """N-EVENT-REPORT-RQ (PS3.7 10.3.1.1); Event Information is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str
    event_type_id: int
    has_dataset: bool = False


@message_type(CommandField.N_EVENT_REPORT_RSP)
@dataclass(frozen=True, slots=True)
class NEventReportRSP:
    """N-EVENT-REPORT-RSP (PS3.7 10.3.1.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    event_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.N_GET_RQ)
@dataclass(frozen=True, slots=True)
class NGetRQ:
    """N-GET-RQ (PS3.7 10.3.2.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    attribute_identifier_list: tuple[int, ...] | None = None
    has_dataset: bool = False


@message_type(CommandField.N_GET_RSP)
@dataclass(frozen=True, slots=True)
class NGetRSP:
    """N-GET-RSP (PS3.7 10.3.2.2); the Attribute List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.N_SET_RQ)
@dataclass(frozen=True, slots=True)
class NSetRQ:
    """N-SET-RQ (PS3.7 10.3.3.1); the Modification List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    has_dataset: bool = True


@message_type(CommandField.N_SET_RSP)
@dataclass(frozen=True, slots=True)
class NSetRSP:
    """N-SET-RSP (PS3.7 10.3.3.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.N_ACTION_RQ)
@dataclass(frozen=True, slots=True)
class NActionRQ:
    """N-ACTION-RQ (PS3.7 10.3.4.1); Action Information is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    action_type_id: int
    has_dataset: bool = False


@message_type(CommandField.N_ACTION_RSP)
@dataclass(frozen=True, slots=True)
class NActionRSP:
    """N-ACTION-RSP (PS3.7 10.3.4.2); Action Reply is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    action_type_id: int | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.N_CREATE_RQ)
@dataclass(frozen=True, slots=True)
class NCreateRQ:
    """N-CREATE-RQ (PS3.7 10.3.5.1); the Attribute List is the data set."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    affected_sop_class_uid: str
    affected_sop_instance_uid: str | None = None
    has_dataset: bool = False


@message_type(CommandField.N_CREATE_RSP)
@dataclass(frozen=True, slots=True)
class NCreateRSP:
    """N-CREATE-RSP (PS3.7 10.3.5.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    attribute_identifier_list: tuple[int, ...] | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


@message_type(CommandField.N_DELETE_RQ)
@dataclass(frozen=True, slots=True)
class NDeleteRQ:
    """N-DELETE-RQ (PS3.7 10.3.6.1)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id: int
    requested_sop_class_uid: str
    requested_sop_instance_uid: str
    has_dataset: bool = False


@message_type(CommandField.N_DELETE_RSP)
@dataclass(frozen=True, slots=True)
class NDeleteRSP:
    """N-DELETE-RSP (PS3.7 10.3.6.2)."""

    command_field: ClassVar[CommandField]
    _elements: ClassVar[tuple[Element, ...]]

    message_id_being_responded_to: int
    status: int
    affected_sop_class_uid: str | None = None
    affected_sop_instance_uid: str | None = None
    offending_element: tuple[int, ...] | None = None
    error_comment: str | None = None
    error_id: int | None = None
    has_dataset: bool = False


DIMSEResponse = (
    CEchoRSP
    | CStoreRSP
    | CFindRSP
    | CGetRSP
    | CMoveRSP
    | NEventReportRSP
    | NGetRSP
    | NSetRSP
    | NActionRSP
    | NCreateRSP
    | NDeleteRSP
)
DIMSEMessage = (
    CEchoRQ
    | CStoreRQ
    | CFindRQ
    | CGetRQ
    | CMoveRQ
    | CCancelRQ
    | NEventReportRQ
    | NGetRQ
    | NSetRQ
    | NActionRQ
    | NCreateRQ
    | NDeleteRQ
    | DIMSEResponse
)
