"""Who we are on the wire, and the transfer syntaxes we offer by default.

The implementation class UID (PS3.7 D.3.3.2) sits under pydicom's root and is
derived once from a fixed entropy string, so it never changes between runs;
``tests/test_presentation.py`` re-derives it to keep the two in step.
"""

from __future__ import annotations

from pydicom.uid import (
    PYDICOM_ROOT_UID,
    UID,
    AllTransferSyntaxes,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

__all__ = [
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_CLASS_UID_ENTROPY",
    "IMPLEMENTATION_VERSION_NAME",
    "UID_PREFIX",
]

DEFAULT_TRANSFER_SYNTAXES: list[UID] = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
]
"""Offered when a presentation context is built without transfer syntaxes."""

ALL_TRANSFER_SYNTAXES: list[UID] = [UID(uid) for uid in AllTransferSyntaxes]
"""Every transfer syntax pydicom knows, uncompressed ones first."""

UID_PREFIX = PYDICOM_ROOT_UID
"""The root the implementation class UID sits under (pydicom's)."""

IMPLEMENTATION_CLASS_UID_ENTROPY = "dicomactors implementation class"
IMPLEMENTATION_CLASS_UID = UID("1.2.826.0.1.3680043.8.498.33055259831230621212616713957899971712")
"""``generate_uid(PYDICOM_ROOT_UID, entropy_srcs=[IMPLEMENTATION_CLASS_UID_ENTROPY])``."""

IMPLEMENTATION_VERSION_NAME = "DICOMACTORS_010"
"""At most 16 characters of the ISO 646 basic G0 set (PS3.7 D.3.3.2)."""
