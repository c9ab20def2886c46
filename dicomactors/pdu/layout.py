"""The byte layout the PDU encoder and decoder share (PS3.8 9.3, Annex D).

Header lengths, ``struct`` formats of the fixed parts, and item types as
plain ints (the A-ASSOCIATE loops compare and pack them: reading an IntEnum
member costs a class attribute lookup every time).
"""

from __future__ import annotations

import struct

from dicomactors.pdu.items import (
    ContextResult,
    ItemType,
)
from dicomactors.pdu.pdus import (
    AbortReason,
    PDUType,
)

PDU_HEADER_LENGTH = 6
"""PDU type (1), reserved (1), PDU length (4): the bytes before the PDU-length count starts."""

MAX_UID_LENGTH = 64
MAX_PRESENTATION_CONTEXTS = 128
"""Context IDs are odd numbers 1 to 255, so no association can hold more."""

ASSOCIATE_FIXED_LENGTH = 68
"""Protocol version (2), reserved (2), called AE (16), calling AE (16), reserved (32)."""
VARIABLE_FIELD_OFFSET = PDU_HEADER_LENGTH + ASSOCIATE_FIXED_LENGTH
AE_TITLE_LENGTH = 16

UNRECOGNIZED_PDU = AbortReason.UNRECOGNIZED_PDU
UNRECOGNIZED_PARAMETER = AbortReason.UNRECOGNIZED_PDU_PARAMETER
UNEXPECTED_PARAMETER = AbortReason.UNEXPECTED_PDU_PARAMETER
INVALID_VALUE = AbortReason.INVALID_PDU_PARAMETER_VALUE

PDU_HEADER = struct.Struct(">BxI")
"""PDU type, reserved, PDU length (PS3.8 9.3.1): the header every PDU starts with."""
ASSOCIATE_HEADER = struct.Struct(">BxIHxx16s16s32x")
FIXED_BODY = struct.Struct(">BxIxBBB")  # RJ; release and abort use the same 10 bytes
ITEM_HEADER = struct.Struct(">BxH")
CONTEXT_RQ_HEADER = struct.Struct(">BxHBxxx")
CONTEXT_AC_HEADER = struct.Struct(">BxHBxBx")
MAXIMUM_LENGTH = struct.Struct(">BxHI")
ASYNC_WINDOW = struct.Struct(">BxHHH")
UID_LENGTH_ITEM = struct.Struct(">BxHH")
COMMON_EXTENDED_HEADER = struct.Struct(">BBHH")
USER_IDENTITY_RQ_HEADER = struct.Struct(">BxHBBH")
PDV_HEADER = struct.Struct(">IBB")
"""Item length, presentation context ID, message control header (PS3.8 9.3.5.1)."""
UINT16 = struct.Struct(">H")

Buffer = bytes | memoryview
"""A-ASSOCIATE PDUs are decoded from a bytes copy (slicing bytes is cheaper); others in place."""

# The A-ASSOCIATE loops compare and pack item types as plain ints: reading an IntEnum
# member costs a class attribute lookup every time.
ITEM_APPLICATION_CONTEXT = int(ItemType.APPLICATION_CONTEXT)
ITEM_PRESENTATION_CONTEXT_RQ = int(ItemType.PRESENTATION_CONTEXT_RQ)
ITEM_PRESENTATION_CONTEXT_AC = int(ItemType.PRESENTATION_CONTEXT_AC)
ITEM_ABSTRACT_SYNTAX = int(ItemType.ABSTRACT_SYNTAX)
ITEM_TRANSFER_SYNTAX = int(ItemType.TRANSFER_SYNTAX)
ITEM_USER_INFORMATION = int(ItemType.USER_INFORMATION)
ITEM_MAXIMUM_LENGTH = int(ItemType.MAXIMUM_LENGTH)
ITEM_IMPLEMENTATION_CLASS_UID = int(ItemType.IMPLEMENTATION_CLASS_UID)
ITEM_IMPLEMENTATION_VERSION_NAME = int(ItemType.IMPLEMENTATION_VERSION_NAME)
ACCEPTANCE = int(ContextResult.ACCEPTANCE)
LAST_CONTEXT_RESULT = int(ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED)

RELEASE_RQ_BYTES = bytes((PDUType.A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0))
RELEASE_RP_BYTES = bytes((PDUType.A_RELEASE_RP, 0, 0, 0, 0, 4, 0, 0, 0, 0))
