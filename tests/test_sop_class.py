"""SOP classes by keyword, old pynetdicom names, and service classes (pynetdicom as oracle)."""

from __future__ import annotations

import pynetdicom.sop_class as pnd_sop
import pytest
from pydicom._uid_dict import UID_dictionary
from pydicom.uid import UID

import dicomactors.sop_class as sop
from dicomactors.sop_class import (
    ServiceClass,
    SOPClass,
    all_sop_classes,
    register_uid,
    sop_classes_for,
    uid_to_service_class,
    uid_to_sop_class,
)

SOP_ENTRIES = {
    uid: entry
    for uid, entry in UID_dictionary.items()
    if entry[1] in ("SOP Class", "Meta SOP Class") and entry[4]
}

# pynetdicom's grouping of SOP classes -> the service class we must give them.
PYNETDICOM_GROUPS = {
    "_VERIFICATION_CLASSES": ServiceClass.VERIFICATION,
    "_STORAGE_CLASSES": ServiceClass.STORAGE,
    "_QR_CLASSES": ServiceClass.QUERY_RETRIEVE,
    "_BASIC_WORKLIST_CLASSES": ServiceClass.BASIC_WORKLIST_MANAGEMENT,
    "_STORAGE_COMMITMENT_CLASSES": ServiceClass.STORAGE_COMMITMENT,
    "_PROCEDURE_STEP_CLASSES": ServiceClass.MODALITY_PERFORMED_PROCEDURE_STEP,
    "_PRINT_MANAGEMENT_CLASSES": ServiceClass.PRINT_MANAGEMENT,
    "_UNIFIED_PROCEDURE_STEP_CLASSES": ServiceClass.UNIFIED_PROCEDURE_STEP,
    "_RELEVANT_PATIENT_QUERY_CLASSES": ServiceClass.RELEVANT_PATIENT_INFORMATION_QUERY,
    "_SUBSTANCE_ADMINISTRATION_CLASSES": ServiceClass.SUBSTANCE_ADMINISTRATION_QUERY,
    "_NON_PATIENT_OBJECT_CLASSES": ServiceClass.NON_PATIENT_OBJECT_STORAGE,
    "_HANGING_PROTOCOL_CLASSES": ServiceClass.HANGING_PROTOCOL_QUERY_RETRIEVE,
    "_DEFINED_PROCEDURE_CLASSES": ServiceClass.DEFINED_PROCEDURE_PROTOCOL_QUERY_RETRIEVE,
    "_COLOR_PALETTE_CLASSES": ServiceClass.COLOR_PALETTE_QUERY_RETRIEVE,
    "_IMPLANT_TEMPLATE_CLASSES": ServiceClass.IMPLANT_TEMPLATE_QUERY_RETRIEVE,
    "_PROTOCOL_APPROVAL_CLASSES": ServiceClass.PROTOCOL_APPROVAL_QUERY_RETRIEVE,
    "_INVENTORY_CLASSES": ServiceClass.INVENTORY_QUERY_RETRIEVE,
    "_DISPLAY_SYSTEM_CLASSES": ServiceClass.DISPLAY_SYSTEM_MANAGEMENT,
    "_INSTANCE_AVAILABILITY_CLASSES": ServiceClass.INSTANCE_AVAILABILITY_NOTIFICATION,
    "_MEDIA_CREATION_CLASSES": ServiceClass.MEDIA_CREATION_MANAGEMENT,
    "_MEDIA_STORAGE_CLASSES": ServiceClass.MEDIA_STORAGE,
    "_APPLICATION_EVENT_CLASSES": ServiceClass.APPLICATION_EVENT_LOGGING,
    "_RT_MACHINE_VERIFICATION_CLASSES": ServiceClass.RT_MACHINE_VERIFICATION,
    "_STORAGE_MANAGEMENT_CLASSES": ServiceClass.STORAGE_MANAGEMENT,
}


def test_every_dictionary_sop_class_is_an_attribute_by_keyword() -> None:
    assert len(SOP_ENTRIES) > 300
    for uid, entry in SOP_ENTRIES.items():
        value = getattr(sop, entry[4])
        assert isinstance(value, SOPClass)
        assert value == uid
        assert isinstance(value, UID)


def test_module_import_of_old_and_new_names() -> None:
    from dicomactors.sop_class import (  # noqa: F401 - importability is the point
        CTImageStorage,
        ModalityPerformedProcedureStep,
        ModalityPerformedProcedureStepSOPClass,
        ModalityWorklistInformationFind,
        PatientRootQueryRetrieveInformationModelFind,
        PatientRootQueryRetrieveInformationModelGet,
        StorageCommitmentPushModel,
        StorageCommitmentPushModelSOPClass,
        Verification,
        VerificationSOPClass,
    )

    assert VerificationSOPClass == Verification == "1.2.840.10008.1.1"
    assert StorageCommitmentPushModelSOPClass == StorageCommitmentPushModel
    assert ModalityPerformedProcedureStepSOPClass == "1.2.840.10008.3.1.2.3.3"
    assert ModalityWorklistInformationFind == "1.2.840.10008.5.1.4.31"


@pytest.mark.parametrize(
    ("old_name", "keyword"),
    [
        # "... SOP Class" entries get an XxxSOPClass alias by rule
        ("VerificationSOPClass", "Verification"),
        ("BasicFilmSessionSOPClass", "BasicFilmSession"),
        ("PrinterSOPClass", "Printer"),
        ("BasicGrayscalePrintManagementMetaSOPClass", "BasicGrayscalePrintManagementMeta"),
        ("DisplaySystemSOPClass", "DisplaySystem"),
        ("MediaCreationManagementSOPClass", "MediaCreationManagement"),
        ("InstanceAvailabilityNotificationSOPClass", "InstanceAvailabilityNotification"),
        ("ProceduralEventLoggingSOPClass", "ProceduralEventLogging"),
        ("UnifiedProcedureStepPushSOPClass", "UnifiedProcedureStepPush"),
        (
            "ModalityPerformedProcedureStepRetrieveSOPClass",
            "ModalityPerformedProcedureStepRetrieve",
        ),
        # 1.x storage spellings, by rule
        ("DigitalXRayImagePresentationStorage", "DigitalXRayImageStorageForPresentation"),
        (
            "DigitalMammographyXRayImageProcessingStorage",
            "DigitalMammographyXRayImageStorageForProcessing",
        ),
        ("UltrasoundMultiframeImageStorage", "UltrasoundMultiFrameImageStorage"),
        (
            "MultiframeTrueColorSecondaryCaptureImageStorage",
            "MultiFrameTrueColorSecondaryCaptureImageStorage",
        ),
        # renames no rule derives
        ("ModalityWorklistInformationFind", "ModalityWorklistInformationModelFind"),
        ("ColorPaletteInformationModelMove", "ColorPaletteQueryRetrieveInformationModelMove"),
        ("ProductCharacteristicsQueryInformationModelFind", "ProductCharacteristicsQuery"),
        (
            "PseudoColorSoftcopyPresentationStageStorage",
            "PseudoColorSoftcopyPresentationStateStorage",
        ),
    ],
)
def test_old_pynetdicom_names(old_name: str, keyword: str) -> None:
    assert getattr(sop, old_name) == getattr(sop, keyword)


def test_well_known_instances_old_and_new_names() -> None:
    assert sop.StorageCommitmentPushModelInstance == "1.2.840.10008.1.20.1.1"
    assert sop.StorageCommitmentPushModelSOPInstance == "1.2.840.10008.1.20.1.1"
    assert sop.DisplaySystemSOPInstance == "1.2.840.10008.5.1.1.40.1"


def test_every_pynetdicom_name_is_available_with_the_same_uid() -> None:
    """pynetdicom 3's current names, for every UID pydicom's dictionary knows."""
    checked = 0
    for name in dir(pnd_sop):
        value = getattr(pnd_sop, name)
        if isinstance(value, pnd_sop.SOPClass) and str(value) in SOP_ENTRIES:
            assert getattr(sop, name) == value, name
            checked += 1
    assert checked > 240


@pytest.mark.parametrize(("group", "service"), sorted(PYNETDICOM_GROUPS.items()))
def test_service_class_matches_pynetdicom_grouping(group: str, service: ServiceClass) -> None:
    uids = [uid for uid in getattr(pnd_sop, group).values() if uid in SOP_ENTRIES]
    assert uids
    for uid in uids:
        assert uid_to_service_class(uid) is service, (uid, UID(uid).name)


def test_pynetdicom_groups_cover_the_table() -> None:
    groups = {n for n in dir(pnd_sop) if n.startswith("_") and n.endswith("_CLASSES")}
    assert groups - {"_SERVICE_CLASSES"} == set(PYNETDICOM_GROUPS)


@pytest.mark.parametrize(
    ("keyword", "service"),
    [
        ("DICOSCTImageStorage", ServiceClass.STORAGE),
        ("VOILUTBox", ServiceClass.PRINT_MANAGEMENT),
        ("StoredPrintStorage", ServiceClass.STORAGE),
        ("DetachedPatientManagement", ServiceClass.OTHER),
        ("VideoEndoscopicImageRealTimeCommunication", ServiceClass.OTHER),
        ("UnifiedProcedureStepPushTrial", ServiceClass.UNIFIED_PROCEDURE_STEP),
        ("PatientStudyOnlyQueryRetrieveInformationModelGet", ServiceClass.QUERY_RETRIEVE),
    ],
)
def test_service_class_of_classes_pynetdicom_lacks(keyword: str, service: ServiceClass) -> None:
    assert getattr(sop, keyword).service_class is service


def test_uid_lookups() -> None:
    assert uid_to_sop_class("1.2.840.10008.5.1.4.1.1.2") is sop.CTImageStorage
    assert uid_to_sop_class(UID("1.2.840.10008.1.1")).service_class is ServiceClass.VERIFICATION
    unknown = uid_to_sop_class("1.2.3.4.5")
    assert isinstance(unknown, SOPClass)
    assert unknown == "1.2.3.4.5"
    assert unknown.service_class is ServiceClass.OTHER
    assert uid_to_service_class("1.2.840.10008.5.1.4.31") is ServiceClass.BASIC_WORKLIST_MANAGEMENT
    assert SOPClass("1.2.840.10008.5.1.4.1.1.4").service_class is ServiceClass.STORAGE


@pytest.mark.parametrize(
    ("keyword", "dimse"),
    [
        ("PatientRootQueryRetrieveInformationModelFind", "C-FIND"),
        ("StudyRootQueryRetrieveInformationModelMove", "C-MOVE"),
        ("CompositeInstanceRetrieveWithoutBulkDataGet", "C-GET"),
        ("ModalityWorklistInformationModelFind", "C-FIND"),
        ("GeneralRelevantPatientInformationQuery", "C-FIND"),
        ("CTImageStorage", None),
        ("Verification", None),
    ],
)
def test_dimse_service(keyword: str, dimse: str | None) -> None:
    assert getattr(sop, keyword).dimse_service == dimse


def test_meta_sop_class_flag() -> None:
    assert sop.BasicGrayscalePrintManagementMeta.is_meta
    assert not sop.BasicFilmSession.is_meta


def test_sop_classes_for_is_sorted_numerically_and_skips_retired() -> None:
    storage = sop_classes_for(ServiceClass.STORAGE)
    parts = [tuple(int(p) for p in uid.split(".")) for uid in storage]
    assert parts == sorted(parts)
    assert not any(uid.is_retired for uid in storage)
    assert any(uid.is_retired for uid in sop_classes_for(ServiceClass.STORAGE, retired=True))
    newer = [uid for uid, _, _ in sop._NEWER_THAN_PYDICOM if uid not in UID_dictionary]
    assert len(all_sop_classes()) == len(SOP_ENTRIES) + len(newer)


def test_classes_newer_than_pydicom_agree_with_it_and_with_pynetdicom() -> None:
    for uid, _name, keyword in sop._NEWER_THAN_PYDICOM:
        if uid in UID_dictionary:  # a pydicom that lists it: the dictionary decides
            assert UID_dictionary[uid][4] == keyword
        assert getattr(sop, keyword) == uid == getattr(pnd_sop, keyword)
        assert getattr(sop, keyword).service_class is ServiceClass.STORAGE


def test_service_class_names_are_pynetdicoms() -> None:
    theirs = {n for n in dir(pnd_sop) if n.endswith("ServiceClass") and n != "ServiceClass"}
    assert theirs <= set(dir(sop))
    assert sop.StorageServiceClass is ServiceClass.STORAGE
    assert sop.ProcedureStepServiceClass is ServiceClass.MODALITY_PERFORMED_PROCEDURE_STEP
    for name in theirs:
        assert isinstance(getattr(sop, name), ServiceClass), name


def test_register_uid_takes_pynetdicoms_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    for table in ("_BY_UID", "_BY_NAME", "_REGISTERED_DIMSE"):  # leave no trace for other tests
        monkeypatch.setattr(sop, table, dict(getattr(sop, table)))
    # The *ServiceClass names are set from the ServiceClass enum, unseen by mypy.
    qr_service: ServiceClass = sop.QueryRetrieveServiceClass  # type: ignore[assignment]
    registered = sop.register_uid(
        "1.2.826.0.1.3680043.9.3811.99.1", "H16PrivateFind", qr_service, "C-FIND"
    )
    assert sop.H16PrivateFind == registered
    assert registered.dimse_service == "C-FIND"
    with pytest.raises(ValueError, match="dimse_msg_type"):
        sop.register_uid("1.2.826.0.1.3680043.9.3811.99.2", "H16Bad", qr_service)
    with pytest.raises(TypeError, match="ServiceClass"):
        sop.register_uid("1.2.826.0.1.3680043.9.3811.99.3", "H16Bad", object)  # type: ignore[arg-type]


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchSOPClass"):
        _ = sop.NoSuchSOPClass


def test_register_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sop, "_BY_UID", dict(sop._BY_UID))
    monkeypatch.setattr(sop, "_BY_NAME", dict(sop._BY_NAME))
    registered = register_uid("1.2.246.352.70.1.70", "FooStorage", ServiceClass.STORAGE)
    assert sop.FooStorage is registered
    assert uid_to_service_class("1.2.246.352.70.1.70") is ServiceClass.STORAGE
    with pytest.raises(ValueError, match="identifier"):
        register_uid("1.2.3", "not valid", ServiceClass.STORAGE)
    with pytest.raises(TypeError, match="ServiceClass"):
        register_uid("1.2.3", "Bar", "Storage")  # type: ignore[arg-type]
