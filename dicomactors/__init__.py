"""dicomactors: a DICOM networking node on pykka actors.

The public API is pynetdicom's: ``AE``, ``evt``, ``build_context``,
``build_role``, the presentation context lists, ``debug_logger``.
"""

from dicomactors import events as evt
from dicomactors._logging import debug_logger
from dicomactors.ae import AE
from dicomactors.association import Association
from dicomactors.presentation import *  # noqa: F403
from dicomactors.presentation import PresentationContext, build_context, build_role
from dicomactors.server import AssociationServer
from dicomactors.uids import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
)

ApplicationEntity = AE
__version__ = "0.1.0"

__all__ = [
    "AE",
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "ApplicationEntity",
    "Association",
    "AssociationServer",
    "PresentationContext",
    "build_context",
    "build_role",
    "debug_logger",
    "evt",
]
