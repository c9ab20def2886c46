"""dicomactors: a DICOM networking node on pykka actors.

The public API is pynetdicom's (``AE``, ``evt``, ``build_context``,
``build_role``, the presentation context lists, ``register_uid``,
``debug_logger``), so code written for pynetdicom runs with the module
renamed; see docs/compatibility.md. pynetdicom's ``PYNETDICOM_*``
constants are aliases of this package's own (``IMPLEMENTATION_CLASS_UID``,
``IMPLEMENTATION_VERSION_NAME``, ``UID_PREFIX``).
``log_pdus`` writes the raw PDU stream of each association to files (``read_pdu_log``
reads one back).
"""

from dicomactors import dimse_primitives, status, transport
from dicomactors import events as evt
from dicomactors._logging import debug_logger, log_pdus, read_pdu_log
from dicomactors.ae import AE
from dicomactors.association import Association
from dicomactors.presentation import *  # noqa: F403
from dicomactors.presentation import PresentationContext, build_context, build_role
from dicomactors.server import AssociationServer
from dicomactors.sop_class import register_uid
from dicomactors.uids import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    UID_PREFIX,
)

ApplicationEntity = AE
__version__ = "0.1.0"

PYNETDICOM_IMPLEMENTATION_UID = IMPLEMENTATION_CLASS_UID
PYNETDICOM_IMPLEMENTATION_VERSION = IMPLEMENTATION_VERSION_NAME
PYNETDICOM_UID_PREFIX = UID_PREFIX

__all__ = [
    "AE",
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "PYNETDICOM_IMPLEMENTATION_UID",
    "PYNETDICOM_IMPLEMENTATION_VERSION",
    "PYNETDICOM_UID_PREFIX",
    "UID_PREFIX",
    "ApplicationEntity",
    "Association",
    "AssociationServer",
    "PresentationContext",
    "build_context",
    "build_role",
    "debug_logger",
    "dimse_primitives",
    "evt",
    "log_pdus",
    "read_pdu_log",
    "register_uid",
    "status",
    "transport",
]
