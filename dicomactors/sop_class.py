"""SOP classes by keyword, each tagged with the service class it belongs to.

Every SOP class and meta SOP class in pydicom's UID dictionary is available as a
module attribute named by its pydicom keyword (``CTImageStorage``,
``Verification``, ...).  The names older pynetdicom releases used are available
too: ``VerificationSOPClass`` and every other ``XxxSOPClass`` for a dictionary
entry named "... SOP Class", the 1.x storage spellings (``...PresentationStorage``,
``Multiframe...``) and a short table of renames no rule can derive.

The service class of each SOP class (PS3.4) is derived from its keyword by an
ordered table of patterns, so new dictionary entries land in the right place
without a hand-typed UID list.
"""

from __future__ import annotations

import keyword as _pykeyword
import re
from enum import StrEnum
from typing import cast

from pydicom._uid_dict import UID_dictionary
from pydicom.uid import UID

__all__ = [
    "SOPClass",
    "ServiceClass",
    "all_sop_classes",
    "register_uid",
    "sop_classes_for",
    "uid_to_service_class",
    "uid_to_sop_class",
]


class ServiceClass(StrEnum):
    """The PS3.4 service class a SOP class belongs to."""

    VERIFICATION = "Verification"
    STORAGE = "Storage"
    QUERY_RETRIEVE = "QueryRetrieve"
    BASIC_WORKLIST_MANAGEMENT = "BasicWorklistManagement"
    STORAGE_COMMITMENT = "StorageCommitment"
    MODALITY_PERFORMED_PROCEDURE_STEP = "ModalityPerformedProcedureStep"
    PRINT_MANAGEMENT = "PrintManagement"
    UNIFIED_PROCEDURE_STEP = "UnifiedProcedureStep"
    RELEVANT_PATIENT_INFORMATION_QUERY = "RelevantPatientInformationQuery"
    SUBSTANCE_ADMINISTRATION_QUERY = "SubstanceAdministrationQuery"
    NON_PATIENT_OBJECT_STORAGE = "NonPatientObjectStorage"
    HANGING_PROTOCOL_QUERY_RETRIEVE = "HangingProtocolQueryRetrieve"
    DEFINED_PROCEDURE_PROTOCOL_QUERY_RETRIEVE = "DefinedProcedureProtocolQueryRetrieve"
    COLOR_PALETTE_QUERY_RETRIEVE = "ColorPaletteQueryRetrieve"
    IMPLANT_TEMPLATE_QUERY_RETRIEVE = "ImplantTemplateQueryRetrieve"
    PROTOCOL_APPROVAL_QUERY_RETRIEVE = "ProtocolApprovalQueryRetrieve"
    INVENTORY_QUERY_RETRIEVE = "InventoryQueryRetrieve"
    DISPLAY_SYSTEM_MANAGEMENT = "DisplaySystemManagement"
    INSTANCE_AVAILABILITY_NOTIFICATION = "InstanceAvailabilityNotification"
    MEDIA_CREATION_MANAGEMENT = "MediaCreationManagement"
    MEDIA_STORAGE = "MediaStorage"
    APPLICATION_EVENT_LOGGING = "ApplicationEventLogging"
    RT_MACHINE_VERIFICATION = "RTMachineVerification"
    STORAGE_MANAGEMENT = "StorageManagement"
    OTHER = "Other"
    """Retired services, real-time video and UIDs this module does not know."""


_QR_OPS = "(Find|Move|Get)"
_NON_PATIENT_STEMS = (
    "HangingProtocol|ColorPalette|GenericImplantTemplate|ImplantAssemblyTemplate"
    "|ImplantTemplateGroup|CTDefinedProcedureProtocol|XADefinedProcedureProtocol"
    "|ProtocolApproval|Inventory"
)

# Ordered: the first pattern that fully matches a keyword decides its service class.
_SERVICE_CLASS_RULES: tuple[tuple[re.Pattern[str], ServiceClass], ...] = tuple(
    (re.compile(pattern), service)
    for pattern, service in (
        ("Verification", ServiceClass.VERIFICATION),
        ("StorageCommitment(Push|Pull)Model", ServiceClass.STORAGE_COMMITMENT),
        ("ModalityPerformedProcedureStep.*", ServiceClass.MODALITY_PERFORMED_PROCEDURE_STEP),
        ("ModalityWorklistInformationModelFind", ServiceClass.BASIC_WORKLIST_MANAGEMENT),
        ("UnifiedProcedureStep.*", ServiceClass.UNIFIED_PROCEDURE_STEP),
        (".*Logging", ServiceClass.APPLICATION_EVENT_LOGGING),
        (
            "(ProductCharacteristics|SubstanceApproval)Query",
            ServiceClass.SUBSTANCE_ADMINISTRATION_QUERY,
        ),
        (".*RelevantPatientInformationQuery", ServiceClass.RELEVANT_PATIENT_INFORMATION_QUERY),
        ("InstanceAvailabilityNotification", ServiceClass.INSTANCE_AVAILABILITY_NOTIFICATION),
        ("MediaCreationManagement", ServiceClass.MEDIA_CREATION_MANAGEMENT),
        ("DisplaySystem", ServiceClass.DISPLAY_SYSTEM_MANAGEMENT),
        ("RT(Conventional|Ion)MachineVerification(Trial)?", ServiceClass.RT_MACHINE_VERIFICATION),
        ("InventoryCreation", ServiceClass.STORAGE_MANAGEMENT),
        ("MediaStorageDirectoryStorage", ServiceClass.MEDIA_STORAGE),
        (f"HangingProtocolInformationModel{_QR_OPS}", ServiceClass.HANGING_PROTOCOL_QUERY_RETRIEVE),
        (
            f"ColorPaletteQueryRetrieveInformationModel{_QR_OPS}",
            ServiceClass.COLOR_PALETTE_QUERY_RETRIEVE,
        ),
        (
            f"DefinedProcedureProtocolInformationModel{_QR_OPS}",
            ServiceClass.DEFINED_PROCEDURE_PROTOCOL_QUERY_RETRIEVE,
        ),
        (
            f"(GenericImplantTemplate|ImplantAssemblyTemplate|ImplantTemplateGroup)"
            f"InformationModel{_QR_OPS}",
            ServiceClass.IMPLANT_TEMPLATE_QUERY_RETRIEVE,
        ),
        (
            f"ProtocolApprovalInformationModel{_QR_OPS}",
            ServiceClass.PROTOCOL_APPROVAL_QUERY_RETRIEVE,
        ),
        (f"Inventory{_QR_OPS}", ServiceClass.INVENTORY_QUERY_RETRIEVE),
        (
            f".*QueryRetrieveInformationModel{_QR_OPS}|CompositeInstance.*{_QR_OPS}"
            "|RepositoryQuery",
            ServiceClass.QUERY_RETRIEVE,
        ),
        (f"({_NON_PATIENT_STEMS})Storage", ServiceClass.NON_PATIENT_OBJECT_STORAGE),
        (".*Storage(Trial|Retired|ForPresentation|ForProcessing)?", ServiceClass.STORAGE),
    )
)

# Basic print management: everything else under the print root (PS3.4 Annex H).
_PRINT_ROOT = "1.2.840.10008.5.1.1."

# pynetdicom renames that no spelling rule reproduces (keyword -> extra names).
_EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "ModalityWorklistInformationModelFind": ("ModalityWorklistInformationFind",),
    "ColorPaletteQueryRetrieveInformationModelFind": ("ColorPaletteInformationModelFind",),
    "ColorPaletteQueryRetrieveInformationModelMove": ("ColorPaletteInformationModelMove",),
    "ColorPaletteQueryRetrieveInformationModelGet": ("ColorPaletteInformationModelGet",),
    "PseudoColorSoftcopyPresentationStateStorage": (
        "PseudoColorSoftcopyPresentationStageStorage",
        "PseudocolorSoftcopyPresentationStageStorage",
    ),
    "VariableModalityLUTSoftcopyPresentationStateStorage": (
        "VariableModalityLUTSoftcopyPresentationStageStorage",
    ),
    "OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage": (
        "OphthlamicOpticalCoherenceTomographyBscanVolumeAnalysisStorage",
        "OphthlamicOpticalCoherenceTomographyBScanVolumeAnalysisStorage",
    ),
    "RTBrachyApplicationSetupDeliveryInstructionStorage": (
        "RTBrachyApplicationSetupDeliveryInstructionsStorage",
    ),
    "RoboticRadiationRecordStorage": ("RoboticArmRadiationRecordStorage",),
    "ProductCharacteristicsQuery": ("ProductCharacteristicsQueryInformationModelFind",),
    "SubstanceApprovalQuery": ("SubstanceApprovalQueryInformationModelFind",),
    "PerformedImagingAgentAdministrationSRStorage": (
        "PerformedImagingAgestAdministrationSRStorage",
    ),
    "MacularGridThicknessAndVolumeReportStorage": ("MacularGridThicknessAndVolumeReport",),
}


def _classify(keyword: str, uid: str) -> ServiceClass:
    for pattern, service in _SERVICE_CLASS_RULES:
        if pattern.fullmatch(keyword):
            return service
    if uid.startswith(_PRINT_ROOT):
        return ServiceClass.PRINT_MANAGEMENT
    return ServiceClass.OTHER


class SOPClass(UID):
    """A SOP class UID that knows its service class.

    ``SOPClass("1.2.840.10008.1.1").service_class`` is ``ServiceClass.VERIFICATION``;
    a UID the dictionary does not list gets ``ServiceClass.OTHER`` unless one is
    given.
    """

    _service_class: ServiceClass

    def __new__(cls, val: str, service_class: ServiceClass | None = None) -> SOPClass:
        obj = cast(SOPClass, super().__new__(cls, str(val)))
        if service_class is None:
            known = _BY_UID.get(str(val))
            service_class = known.service_class if known is not None else ServiceClass.OTHER
        obj._service_class = ServiceClass(service_class)
        return obj

    @property
    def service_class(self) -> ServiceClass:
        """The service class this SOP class belongs to."""
        return self._service_class

    @property
    def is_meta(self) -> bool:
        """True for a meta SOP class (a bundle of SOP classes, e.g. print management)."""
        return UID_dictionary.get(str(self), ("", ""))[1] == "Meta SOP Class"

    @property
    def dimse_service(self) -> str | None:
        """``"C-FIND"``, ``"C-MOVE"`` or ``"C-GET"`` for query/retrieve style classes."""
        registered = _REGISTERED_DIMSE.get(str(self))
        if registered:
            return registered
        keyword = self.keyword
        for suffix, service in (("Find", "C-FIND"), ("Move", "C-MOVE"), ("Get", "C-GET")):
            if keyword.endswith(suffix):
                return service
        if keyword.endswith("Query"):
            return "C-FIND"
        return None


_BY_UID: dict[str, SOPClass] = {}
_BY_NAME: dict[str, SOPClass] = {}

# SOP classes the standard (PS3.6 Table A-1, 2024 editions) defines that the
# installed pydicom's UID dictionary predates: (UID, name, keyword). Each is
# used only while pydicom lacks its UID; from the pydicom release that lists
# it, the dictionary's own entry is used (tests/test_sop_class.py checks they agree).
_NEWER_THAN_PYDICOM: tuple[tuple[str, str, str], ...] = (
    (
        "1.2.840.10008.5.1.4.1.1.9.100.1",
        "Waveform Presentation State Storage",
        "WaveformPresentationStateStorage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.9.100.2",
        "Waveform Acquisition Presentation State Storage",
        "WaveformAcquisitionPresentationStateStorage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.66.7",
        "Label Map Segmentation Storage",
        "LabelMapSegmentationStorage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.66.8",
        "Height Map Segmentation Storage",
        "HeightMapSegmentationStorage",
    ),
)

# pynetdicom names its service classes ``<Name>ServiceClass``; here each is the
# ServiceClass member of that name (usable wherever a service class is asked
# for, e.g. ``register_uid``). Where pynetdicom's name is not the member's value:
_SERVICE_CLASS_NAMES: dict[str, ServiceClass] = {
    "ProcedureStepServiceClass": ServiceClass.MODALITY_PERFORMED_PROCEDURE_STEP,
}


def _old_names(keyword: str, name: str) -> list[str]:
    """The names older pynetdicom releases gave the SOP class ``keyword``."""
    names = list(_EXTRA_NAMES.get(keyword, ()))
    if "SOP Class" in name:
        names.append(f"{keyword}SOPClass")
    old = keyword.replace("StorageForPresentation", "PresentationStorage")
    old = old.replace("StorageForProcessing", "ProcessingStorage")
    old = old.replace("MultiFrame", "Multiframe")
    if old != keyword:
        names.append(old)
    return names


def _bind(name: str, sop_class: SOPClass) -> None:
    existing = _BY_NAME.get(name)
    if existing is not None and existing != sop_class:
        raise ValueError(f"SOP class name {name!r} is already bound to {existing}")
    _BY_NAME[name] = sop_class


def _dictionary_entries() -> list[tuple[str, str, str, str]]:
    """(UID, name, type, keyword) of every dictionary entry, plus those pydicom predates."""
    entries = [(uid, entry[0], entry[1], entry[4]) for uid, entry in UID_dictionary.items()]
    entries += [
        (uid, name, "SOP Class", keyword)
        for uid, name, keyword in _NEWER_THAN_PYDICOM
        if uid not in UID_dictionary
    ]
    return entries


def _load_dictionary() -> None:
    for uid, name, uid_type, keyword in _dictionary_entries():
        if not keyword:
            continue
        if uid_type in ("SOP Class", "Meta SOP Class"):
            sop_class = SOPClass(uid, _classify(keyword, uid))
            _BY_UID[uid] = sop_class
            _bind(keyword, sop_class)
            for old in _old_names(keyword, name):
                _bind(old, sop_class)
        elif uid_type == "Well-known SOP Instance":
            # Well-known instances are plain UIDs, bound as module attributes.
            globals()[keyword] = UID(uid)
            if keyword.endswith("Instance"):
                globals()[keyword.removesuffix("Instance") + "SOPInstance"] = UID(uid)

    for service in ServiceClass:
        if service is not ServiceClass.OTHER:
            globals()[f"{service.value}ServiceClass"] = service
    globals().update(_SERVICE_CLASS_NAMES)


_load_dictionary()


def uid_to_sop_class(uid: str) -> SOPClass:
    """Return the :class:`SOPClass` for ``uid`` (service class OTHER if unknown)."""
    known = _BY_UID.get(str(uid))
    return known if known is not None else SOPClass(uid, ServiceClass.OTHER)


def uid_to_service_class(uid: str) -> ServiceClass:
    """Return the service class of the SOP class ``uid`` (OTHER if unknown)."""
    return uid_to_sop_class(uid).service_class


def all_sop_classes() -> list[SOPClass]:
    """Every known SOP class, in numeric UID order."""
    return sorted(_BY_UID.values(), key=uid_sort_key)


def sop_classes_for(service_class: ServiceClass, *, retired: bool = False) -> list[SOPClass]:
    """The SOP classes of ``service_class`` in numeric UID order.

    Retired SOP classes are left out unless ``retired`` is true.
    """
    return [
        sop_class
        for sop_class in all_sop_classes()
        if sop_class.service_class is service_class and (retired or not sop_class.is_retired)
    ]


def uid_sort_key(uid: str) -> tuple[int, ...]:
    """Sort UIDs by their numeric components rather than as strings."""
    return tuple(int(part) for part in str(uid).split("."))


def register_uid(
    uid: str, keyword: str, service_class: ServiceClass, dimse_msg_type: str = ""
) -> SOPClass:
    """Register a private or new SOP class so that it is importable by ``keyword``.

    ``service_class`` is a :class:`ServiceClass` (``StorageServiceClass`` and the
    other ``*ServiceClass`` names of this module are its members). A class
    registered with ``QueryRetrieveServiceClass`` names the DIMSE service it
    is for in ``dimse_msg_type``: ``"C-FIND"``, ``"C-GET"`` or ``"C-MOVE"``.
    """
    if not isinstance(keyword, str) or not keyword.isidentifier() or _pykeyword.iskeyword(keyword):
        raise ValueError(f"{keyword!r} is not a valid Python identifier")
    if not isinstance(service_class, ServiceClass):
        raise TypeError(
            "service_class must be a ServiceClass such as StorageServiceClass,"
            f" not {service_class!r}"
        )
    if service_class is ServiceClass.QUERY_RETRIEVE and dimse_msg_type not in _QR_SERVICES:
        raise ValueError(
            "dimse_msg_type must be 'C-FIND', 'C-GET' or 'C-MOVE' for a"
            " QueryRetrieveServiceClass SOP class"
        )
    sop_class = SOPClass(uid, service_class)
    if not sop_class.is_valid:
        raise ValueError(f"{uid!r} is not a valid UID")
    if dimse_msg_type:
        _REGISTERED_DIMSE[str(uid)] = dimse_msg_type
    _BY_UID[str(uid)] = sop_class
    _BY_NAME[keyword] = sop_class
    return sop_class


_QR_SERVICES = ("C-FIND", "C-GET", "C-MOVE")
_REGISTERED_DIMSE: dict[str, str] = {}


def __getattr__(name: str) -> SOPClass:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *_BY_NAME})
