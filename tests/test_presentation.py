"""PresentationContext, build_context/build_role, the ready-made lists, and uids."""

from __future__ import annotations

import pynetdicom.presentation as pnd
import pytest
from pydicom.uid import (
    PYDICOM_ROOT_UID,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

import dicomactors.presentation as presentation
from dicomactors.pdu.items import PresentationContextRQItem
from dicomactors.pdu_primitives import SCP_SCU_RoleSelectionNegotiation
from dicomactors.presentation import (
    PresentationContext,
    PresentationContextTuple,
    StoragePresentationContexts,
    build_context,
    build_role,
)
from dicomactors.sop_class import PatientRootQueryRetrieveInformationModelGet
from dicomactors.uids import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_CLASS_UID_ENTROPY,
    IMPLEMENTATION_VERSION_NAME,
)

# Lists that must hold exactly the UIDs of pynetdicom's list of the same name.
SAME_AS_PYNETDICOM = [
    "ApplicationEventLoggingPresentationContexts",
    "BasicWorklistManagementPresentationContexts",
    "ColorPalettePresentationContexts",
    "DefinedProcedureProtocolPresentationContexts",
    "DisplaySystemPresentationContexts",
    "HangingProtocolPresentationContexts",
    "ImplantTemplatePresentationContexts",
    "InstanceAvailabilityPresentationContexts",
    "MediaCreationManagementPresentationContexts",
    "MediaStoragePresentationContexts",
    "ModalityPerformedPresentationContexts",
    "NonPatientObjectPresentationContexts",
    "ProcedureStepPresentationContexts",
    "ProtocolApprovalPresentationContexts",
    "QueryRetrievePresentationContexts",
    "RTMachineVerificationPresentationContexts",
    "RelevantPatientInformationPresentationContexts",
    "StorageCommitmentPresentationContexts",
    "SubstanceAdministrationPresentationContexts",
    "UnifiedProcedurePresentationContexts",
    "VerificationPresentationContexts",
]


def _uids(contexts: list[PresentationContext] | list[pnd.PresentationContext]) -> list[str]:
    return [str(cx.abstract_syntax) for cx in contexts]


@pytest.mark.parametrize("name", SAME_AS_PYNETDICOM)
def test_list_matches_pynetdicom(name: str) -> None:
    ours = getattr(presentation, name)
    theirs = getattr(pnd, name)
    assert _uids(ours) == _uids(theirs)
    assert all(cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES for cx in ours)


def test_application_event_alias_as_the_brief_names_it() -> None:
    assert _uids(presentation.ApplicationEventPresentationContexts) == _uids(
        pnd.ApplicationEventLoggingPresentationContexts
    )


def test_print_management_differs_from_pynetdicom_only_by_voi_lut_box() -> None:
    # pynetdicom omits the (current) VOI LUT Box SOP class.
    ours = set(_uids(presentation.PrintManagementPresentationContexts))
    theirs = set(_uids(pnd.PrintManagementPresentationContexts))
    assert ours - theirs == {"1.2.840.10008.5.1.1.22"}
    assert theirs <= ours


def test_all_storage_differs_from_pynetdicom_only_by_dictionary_coverage() -> None:
    ours = set(_uids(presentation.AllStoragePresentationContexts))
    theirs = set(_uids(pnd.AllStoragePresentationContexts))
    # Ours has all of theirs (the 4 newer than pydicom 3.0.2's dictionary included),
    # plus the DICOS and DICONDE eddy current classes, which pynetdicom does not list.
    assert theirs <= ours
    assert {UID(uid).keyword[:5] for uid in ours - theirs} <= {"DICOS", "EddyC"}


def test_storage_contexts_fill_one_association() -> None:
    assert len(StoragePresentationContexts) == 128
    uids = _uids(StoragePresentationContexts)
    assert uids == sorted(uids)
    assert len(set(uids)) == 128
    assert set(uids) <= set(_uids(presentation.AllStoragePresentationContexts))


def test_storage_contexts_keep_the_common_classes() -> None:
    uids = set(_uids(StoragePresentationContexts))
    for uid in (
        "1.2.840.10008.5.1.4.1.1.2",  # CT
        "1.2.840.10008.5.1.4.1.1.4",  # MR
        "1.2.840.10008.5.1.4.1.1.7",  # Secondary capture
        "1.2.840.10008.5.1.4.1.1.128",  # PET
        "1.2.840.10008.5.1.4.1.1.481.2",  # RT Dose
        "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
        "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    ):
        assert uid in uids, UID(uid).name
    # pynetdicom 3 picks 120 by hand (106 current); 99 of those are ours too.
    theirs_current = {u for u in _uids(pnd.StoragePresentationContexts) if not UID(u).is_retired}
    assert len(theirs_current & uids) >= 99


def test_guide_snippet_storage_slice_plus_qr_get() -> None:
    requested = StoragePresentationContexts[:127]
    roles = [build_role(cx.abstract_syntax or "", scp_role=True) for cx in requested]
    requested = [*requested, build_context(PatientRootQueryRetrieveInformationModelGet)]
    assert len(requested) == 128
    assert all(role.scp_role and not role.scu_role for role in roles)


# -- PresentationContext ----------------------------------------------------


def test_build_context_defaults_and_single_syntax() -> None:
    cx = build_context("1.2.840.10008.1.1")
    assert cx.abstract_syntax == "1.2.840.10008.1.1"
    assert cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES
    assert cx.transfer_syntax is not DEFAULT_TRANSFER_SYNTAXES
    assert cx.context_id is None and cx.result is None
    assert cx.scu_role is None and cx.scp_role is None
    assert cx.as_scu is None and cx.as_scp is None
    assert build_context(b"1.2.840.10008.1.1", "1.2.840.10008.1.2").transfer_syntax == [
        ImplicitVRLittleEndian
    ]
    assert build_context("1.2.840.10008.1.1", [JPEGBaseline8Bit, ExplicitVRLittleEndian])
    assert str(build_context("1.2.840.10008.1.1")) == str(pnd.build_context("1.2.840.10008.1.1"))


def test_default_transfer_syntaxes_match_pynetdicom() -> None:
    from pynetdicom import DEFAULT_TRANSFER_SYNTAXES as theirs

    assert theirs == DEFAULT_TRANSFER_SYNTAXES
    assert set(ALL_TRANSFER_SYNTAXES) >= set(DEFAULT_TRANSFER_SYNTAXES)
    assert all(UID(ts).is_transfer_syntax for ts in ALL_TRANSFER_SYNTAXES)


def test_implementation_identity() -> None:
    assert (
        generate_uid(PYDICOM_ROOT_UID, entropy_srcs=[IMPLEMENTATION_CLASS_UID_ENTROPY])
        == IMPLEMENTATION_CLASS_UID
    )
    assert IMPLEMENTATION_CLASS_UID.is_valid
    assert 1 <= len(IMPLEMENTATION_VERSION_NAME) <= 16
    assert IMPLEMENTATION_VERSION_NAME.isascii()


def test_add_transfer_syntax_skips_duplicates_and_none() -> None:
    cx = PresentationContext("1.2.840.10008.1.1")
    cx.add_transfer_syntax("1.2.840.10008.1.2")
    cx.add_transfer_syntax(b"1.2.840.10008.1.2")
    cx.add_transfer_syntax(None)
    assert cx.transfer_syntax == ["1.2.840.10008.1.2"]
    cx.transfer_syntax = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1"]
    assert cx.transfer_syntax == ["1.2.840.10008.1.2.1"]


@pytest.mark.parametrize("value", [0, 2, 256, -1, 128])
def test_context_id_must_be_odd_1_to_255(value: int) -> None:
    cx = PresentationContext()
    with pytest.raises(ValueError, match="odd integer from 1 to 255"):
        cx.context_id = value


def test_context_id_type() -> None:
    cx = PresentationContext()
    cx.context_id = 255
    assert cx.context_id == 255
    with pytest.raises(TypeError, match="context_id"):
        cx.context_id = "1"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="context_id"):
        cx.context_id = True


@pytest.mark.parametrize("value", ["", "1.2.abc", "1" * 65, "1,2"])
def test_bad_abstract_syntax(value: str) -> None:
    with pytest.raises(ValueError, match="abstract_syntax"):
        PresentationContext(value)


def test_bad_transfer_syntax_types() -> None:
    cx = PresentationContext("1.2.3")
    with pytest.raises(TypeError, match="transfer_syntax"):
        cx.add_transfer_syntax(12)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a list"):
        cx.transfer_syntax = "1.2"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="transfer_syntax"):
        cx.add_transfer_syntax("not a uid")


def test_roles_are_bool_or_none() -> None:
    cx = PresentationContext("1.2.3")
    cx.scu_role = True
    cx.scp_role = False
    assert (cx.scu_role, cx.scp_role) == (True, False)
    cx.scu_role = None
    with pytest.raises(TypeError, match="scp_role"):
        cx.scp_role = 1  # type: ignore[assignment]


def test_status_and_tuple_and_items() -> None:
    cx = build_context("1.2.840.10008.1.1", "1.2.840.10008.1.2")
    assert cx.status == "Pending"
    for result, text in [(0, "Accepted"), (3, "Abstract Syntax Not Supported"), (9, "Unknown")]:
        cx.result = result
        assert cx.status == text
    with pytest.raises(ValueError, match="context_id"):
        cx.to_rq_item()
    cx.context_id = 3
    assert cx.as_tuple == PresentationContextTuple(
        3, UID("1.2.840.10008.1.1"), UID("1.2.840.10008.1.2")
    )
    item = cx.to_rq_item()
    assert item == PresentationContextRQItem(3, "1.2.840.10008.1.1", ("1.2.840.10008.1.2",))
    back = PresentationContext.from_rq_item(item)
    assert (back.context_id, back.abstract_syntax, back.transfer_syntax) == (
        3,
        "1.2.840.10008.1.1",
        ["1.2.840.10008.1.2"],
    )


def test_copy_and_equality() -> None:
    cx = build_context("1.2.840.10008.1.1")
    cx.scp_role = True
    copy = cx.copy()
    assert copy == cx and copy is not cx
    copy.add_transfer_syntax(JPEGBaseline8Bit)
    assert copy != cx
    assert len(cx.transfer_syntax) == 4


def test_build_role() -> None:
    role = build_role("1.2.840.10008.5.1.4.1.1.2", scp_role=True)
    assert isinstance(role, SCP_SCU_RoleSelectionNegotiation)
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == (
        "1.2.840.10008.5.1.4.1.1.2",
        False,
        True,
    )
    theirs = pnd.build_role("1.2.840.10008.5.1.4.1.1.2", scp_role=True)
    assert (theirs.sop_class_uid, theirs.scu_role, theirs.scp_role) == (
        role.sop_class_uid,
        role.scu_role,
        role.scp_role,
    )
