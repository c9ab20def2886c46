"""Immutable values for the seven PDUs of PS3.8 9.3."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from dicomactors.aetitle import AETitle
from dicomactors.pdu.items import (
    DICOM_APPLICATION_CONTEXT,
    MaximumLengthItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    UserInformationSubItem,
)

__all__ = [
    "PDU",
    "AAbort",
    "AAssociateAC",
    "AAssociateRJ",
    "AAssociateRQ",
    "ACSERejectReason",
    "AReleaseRP",
    "AReleaseRQ",
    "AbortReason",
    "AbortSource",
    "PDUType",
    "PDataTF",
    "PresentationDataValue",
    "PresentationRejectReason",
    "RejectResult",
    "RejectSource",
    "ServiceUserRejectReason",
]


class PDUType(IntEnum):
    """PDU-type values of PS3.8 9.3.1."""

    A_ASSOCIATE_RQ = 0x01
    A_ASSOCIATE_AC = 0x02
    A_ASSOCIATE_RJ = 0x03
    P_DATA_TF = 0x04
    A_RELEASE_RQ = 0x05
    A_RELEASE_RP = 0x06
    A_ABORT = 0x07


def _maximum_length(items: tuple[UserInformationSubItem, ...]) -> int | None:
    for item in items:
        if isinstance(item, MaximumLengthItem):
            return item.maximum_length
    return None


@dataclass(frozen=True, slots=True)
class AAssociateRQ:
    """A-ASSOCIATE-RQ PDU (PS3.8 9.3.2).

    AE titles are kept without their space padding.
    """

    called_ae_title: AETitle
    calling_ae_title: AETitle
    presentation_contexts: tuple[PresentationContextRQItem, ...]
    user_information: tuple[UserInformationSubItem, ...] = ()
    application_context_name: str = DICOM_APPLICATION_CONTEXT
    protocol_version: int = 1

    pdu_type = PDUType.A_ASSOCIATE_RQ

    @property
    def maximum_length(self) -> int | None:
        return _maximum_length(self.user_information)


@dataclass(frozen=True, slots=True)
class AAssociateAC:
    """A-ASSOCIATE-AC PDU (PS3.8 9.3.3)."""

    called_ae_title: AETitle
    calling_ae_title: AETitle
    presentation_contexts: tuple[PresentationContextACItem, ...]
    user_information: tuple[UserInformationSubItem, ...] = ()
    application_context_name: str = DICOM_APPLICATION_CONTEXT
    protocol_version: int = 1

    pdu_type = PDUType.A_ASSOCIATE_AC

    @property
    def maximum_length(self) -> int | None:
        return _maximum_length(self.user_information)


class RejectResult(IntEnum):
    PERMANENT = 1
    TRANSIENT = 2


class RejectSource(IntEnum):
    SERVICE_USER = 1
    SERVICE_PROVIDER_ACSE = 2
    SERVICE_PROVIDER_PRESENTATION = 3


# The reason/diag. of an A-ASSOCIATE-RJ means something different for each source.


class ServiceUserRejectReason(IntEnum):
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AE_TITLE_NOT_RECOGNIZED = 3
    CALLED_AE_TITLE_NOT_RECOGNIZED = 7


class ACSERejectReason(IntEnum):
    NO_REASON_GIVEN = 1
    PROTOCOL_VERSION_NOT_SUPPORTED = 2


class PresentationRejectReason(IntEnum):
    TEMPORARY_CONGESTION = 1
    LOCAL_LIMIT_EXCEEDED = 2


@dataclass(frozen=True, slots=True)
class AAssociateRJ:
    """A-ASSOCIATE-RJ PDU (PS3.8 9.3.4): result, source and reason/diag.

    ``result`` is a :class:`RejectResult`, ``source`` a :class:`RejectSource`,
    and ``reason`` one of the source's reasons: :class:`ServiceUserRejectReason`,
    :class:`ACSERejectReason` or :class:`PresentationRejectReason` (a decoded
    PDU may carry a reason none of them names: it is kept as the int it was).
    """

    result: int
    source: int
    reason: int

    pdu_type = PDUType.A_ASSOCIATE_RJ


@dataclass(frozen=True, slots=True, eq=False)
class PresentationDataValue:
    """One PDV item of a P-DATA-TF PDU (PS3.8 9.3.5.1, Annex E).

    ``data`` may be a memoryview into the received PDU so that no fragment is
    copied until reassembly joins them once. ``joined``, set by the reader on
    the last fragment of a data set it received back to back in one buffer
    (:mod:`dicomactors.pdu.gather`), is the whole data set, already joined;
    it plays no part in encoding or comparing PDVs.
    """

    context_id: int
    is_command: bool
    is_last: bool
    data: bytes | memoryview
    joined: memoryview | None = None

    @property
    def message_control_header(self) -> int:
        return int(self.is_command) | (int(self.is_last) << 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PresentationDataValue):
            return NotImplemented
        return (
            self.context_id == other.context_id
            and self.is_command == other.is_command
            and self.is_last == other.is_last
            and bytes(self.data) == bytes(other.data)
        )

    def __hash__(self) -> int:
        return hash((self.context_id, self.is_command, self.is_last, bytes(self.data)))


@dataclass(frozen=True, slots=True)
class PDataTF:
    """P-DATA-TF PDU (PS3.8 9.3.5): one or more PDVs."""

    pdvs: tuple[PresentationDataValue, ...] = field(default_factory=tuple)

    pdu_type = PDUType.P_DATA_TF


@dataclass(frozen=True, slots=True)
class AReleaseRQ:
    """A-RELEASE-RQ PDU (PS3.8 9.3.6)."""

    pdu_type = PDUType.A_RELEASE_RQ


@dataclass(frozen=True, slots=True)
class AReleaseRP:
    """A-RELEASE-RP PDU (PS3.8 9.3.7)."""

    pdu_type = PDUType.A_RELEASE_RP


class AbortSource(IntEnum):
    SERVICE_USER = 0
    RESERVED = 1
    SERVICE_PROVIDER = 2


class AbortReason(IntEnum):
    """Reason/Diag of an A-ABORT with the service-provider source (PS3.8 9.3.8)."""

    NOT_SPECIFIED = 0
    UNRECOGNIZED_PDU = 1
    UNEXPECTED_PDU = 2
    UNRECOGNIZED_PDU_PARAMETER = 4
    UNEXPECTED_PDU_PARAMETER = 5
    INVALID_PDU_PARAMETER_VALUE = 6


@dataclass(frozen=True, slots=True)
class AAbort:
    """A-ABORT PDU (PS3.8 9.3.8)."""

    source: int = AbortSource.SERVICE_USER
    reason: int = AbortReason.NOT_SPECIFIED

    pdu_type = PDUType.A_ABORT


PDU = AAssociateRQ | AAssociateAC | AAssociateRJ | PDataTF | AReleaseRQ | AReleaseRP | AAbort
