"""Turn bytes into PDU values (PS3.8 9.3, Annex D; PS3.7 D.3.3).

Decoding trusts nothing. Every length is checked against the container that holds it
before anything is read, and the only exception that can leave ``decode_pdu`` is
:class:`PDUDecodeError`, carrying the offset (from the first byte of the PDU) where the
fault was found and the A-ABORT reason that fits it (PS3.8 Table 9-26). Where the
standard says a field "shall not be tested" or "shall be ignored" (reserved fields,
protocol version bits other than bit 0, the AE titles of an A-ASSOCIATE-AC, the transfer
syntax of a rejected presentation context, unknown user information sub-items) it is
not tested, and unknown user information sub-items are dropped. UIDs must be 1 to 64
digits and dots after one trailing NUL pad is removed; AE titles of an A-ASSOCIATE-RQ
must be printable ASCII and not all spaces.

P-DATA-TF decoding hands out each PDV's data as a memoryview slice of the input, so a
fragment is copied only once, when DIMSE reassembly joins the fragments.

A peer that associates again and again sends the same A-ASSOCIATE bytes each time: the
last few A-ASSOCIATE-RQ/AC values decoded (immutable) are handed out again for the same
bytes. The table is bounded and changes nothing of what a faulty PDU raises.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import TypeVar

from dicomactors.pdu.errors import PDUDecodeError
from dicomactors.pdu.items import (
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    ItemType,
    MaximumLengthItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserIdentityType,
    UserInformationSubItem,
)
from dicomactors.pdu.layout import (
    ACCEPTANCE,
    AE_TITLE_LENGTH,
    ASSOCIATE_HEADER,
    FIXED_BODY,
    INVALID_VALUE,
    ITEM_ABSTRACT_SYNTAX,
    ITEM_APPLICATION_CONTEXT,
    ITEM_HEADER,
    ITEM_PRESENTATION_CONTEXT_AC,
    ITEM_PRESENTATION_CONTEXT_RQ,
    ITEM_TRANSFER_SYNTAX,
    ITEM_USER_INFORMATION,
    LAST_CONTEXT_RESULT,
    MAX_PRESENTATION_CONTEXTS,
    MAX_UID_LENGTH,
    PDU_HEADER,
    PDU_HEADER_LENGTH,
    PDV_HEADER,
    UINT16,
    UNEXPECTED_PARAMETER,
    UNRECOGNIZED_PARAMETER,
    UNRECOGNIZED_PDU,
    VARIABLE_FIELD_OFFSET,
    Buffer,
)
from dicomactors.pdu.pdus import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDataTF,
    PDUType,
    PresentationDataValue,
    RejectResult,
    RejectSource,
)


def decode_pdu(data: bytes | bytearray | memoryview) -> PDU:
    """Decode one whole PDU, header included.

    ``data`` must hold exactly one PDU: its PDU-length field must count every byte
    after the 6-byte header. Raises :class:`PDUDecodeError` and nothing else for bytes
    that are not a valid PDU.
    """
    view = memoryview(data).cast("B")
    size = len(view)
    if size < PDU_HEADER_LENGTH:
        raise PDUDecodeError(size, "PDU shorter than its 6-byte header", INVALID_VALUE)
    pdu_type, length = PDU_HEADER.unpack_from(view)
    decoder = _DECODERS.get(pdu_type)
    if decoder is None:
        raise PDUDecodeError(0, f"unrecognized PDU type 0x{pdu_type:02X}", UNRECOGNIZED_PDU)
    if length != size - PDU_HEADER_LENGTH:
        raise PDUDecodeError(
            2,
            f"PDU length {length} does not match the {size - PDU_HEADER_LENGTH} bytes "
            "that follow the header",
            INVALID_VALUE,
        )
    return decoder(view)


def _fail(offset: int, reason: str, abort_reason: int = INVALID_VALUE) -> PDUDecodeError:
    return PDUDecodeError(offset, reason, abort_reason)


def _items(view: Buffer, start: int, end: int, what: str) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(offset, item_type, value_start, value_end)`` for the items in [start, end)."""
    offset = start
    while offset < end:
        if end - offset < 4:
            raise _fail(offset, f"truncated item header in {what}")
        item_type, length = ITEM_HEADER.unpack_from(view, offset)
        value_end = offset + 4 + length
        if value_end > end:
            raise _fail(offset + 2, f"item 0x{item_type:02X} length {length} overruns its {what}")
        yield offset, item_type, offset + 4, value_end
        offset = value_end


def _ascii(view: Buffer, start: int, end: int, what: str) -> str:
    try:
        return str(view[start:end], "ascii")
    except UnicodeDecodeError:
        raise _fail(start, f"{what} is not ASCII") from None


def _uid(view: Buffer, start: int, end: int, what: str) -> str:
    raw = bytes(view[start:end])
    text = _VALID_UIDS.get(raw)
    if text is not None:
        return text
    # PS3.8 Annex F: UIDs in network negotiation may carry one trailing NUL pad.
    if end > start and view[end - 1] == 0:
        end -= 1
    if end == start:
        raise _fail(start, f"empty {what}")
    if end - start > MAX_UID_LENGTH:
        raise _fail(start, f"{what} longer than {MAX_UID_LENGTH} characters")
    value = bytes(view[start:end])
    if value.translate(None, _UID_CHARACTERS):
        raise _fail(start, f"{what} {value!r} has characters other than digits and '.'")
    text = value.decode("ascii")
    if len(_VALID_UIDS) < _VALID_UIDS_LIMIT:
        _VALID_UIDS[raw] = text
    return text


_VALID_UIDS: dict[bytes, str] = {}
"""UID fields already read and found valid, as on the wire -> as text.

Every association names the same few syntaxes; looking them up skips the checks.
Bounded, so a peer sending ever new UIDs only makes us check each one.
"""
_VALID_UIDS_LIMIT = 4096
_UID_CHARACTERS = b"0123456789."


def _ae_title_value(view: Buffer, start: int, what: str) -> str:
    raw = bytes(view[start : start + AE_TITLE_LENGTH])
    if raw.translate(None, _PRINTABLE_ASCII):
        raise _fail(start, f"{what} has a byte outside printable ASCII")
    title = raw.decode("ascii").strip(" ")
    if not title:
        raise _fail(start, f"{what} is empty or all spaces")
    return title


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_PRINTABLE_OR_QUESTION_MARK = bytes(
    byte if 0x20 <= byte <= 0x7E else ord("?") for byte in range(256)
)


def _untested_ae_title(view: Buffer, start: int) -> str:
    # The AE fields of an A-ASSOCIATE-AC "shall not be tested" (PS3.8 9.3.3); whatever
    # they hold is shown as printable ASCII so the value can always be encoded again.
    raw = bytes(view[start : start + AE_TITLE_LENGTH]).translate(_PRINTABLE_OR_QUESTION_MARK)
    return raw.decode("ascii").strip(" ")


def _associate_fields(view: Buffer, is_request: bool) -> tuple[int, str, str]:
    if len(view) < VARIABLE_FIELD_OFFSET:
        raise _fail(len(view), f"PDU length {len(view) - 6} is shorter than the 68 fixed bytes")
    _, _, protocol_version, _, _ = ASSOCIATE_HEADER.unpack_from(view)
    if is_request:
        called = _ae_title_value(view, 10, "called AE title")
        calling = _ae_title_value(view, 26, "calling AE title")
    else:
        called = _untested_ae_title(view, 10)
        calling = _untested_ae_title(view, 26)
    return protocol_version, called, calling


def _decode_associate_rq(pdu: memoryview) -> AAssociateRQ:
    view = bytes(pdu)
    known = _DECODED_RQ.get(view)
    if known is not None:
        return known
    protocol_version, called, calling = _associate_fields(view, is_request=True)
    application_context, contexts, user_information = _variable_items(
        view, ITEM_PRESENTATION_CONTEXT_RQ, _context_rq
    )
    if not contexts:
        raise _fail(VARIABLE_FIELD_OFFSET, "A-ASSOCIATE-RQ has no presentation context")
    rq = AAssociateRQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=tuple(contexts),  # type: ignore[arg-type]
        user_information=user_information,
        application_context_name=application_context,
        protocol_version=protocol_version,
    )
    return _remember(_DECODED_RQ, view, rq)


def _decode_associate_ac(pdu: memoryview) -> AAssociateAC:
    view = bytes(pdu)
    known = _DECODED_AC.get(view)
    if known is not None:
        return known
    protocol_version, called, calling = _associate_fields(view, is_request=False)
    application_context, contexts, user_information = _variable_items(
        view, ITEM_PRESENTATION_CONTEXT_AC, _context_ac
    )
    ac = AAssociateAC(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=tuple(contexts),  # type: ignore[arg-type]
        user_information=user_information,
        application_context_name=application_context,
        protocol_version=protocol_version,
    )
    return _remember(_DECODED_AC, view, ac)


# A peer that associates again and again sends the same A-ASSOCIATE bytes each time (same
# titles, contexts and user information), and the values decoded from them are immutable:
# the last few are kept and handed out again. Only PDUs that decoded without error are kept,
# so what a faulty PDU raises does not change. Bounded in count and size: a peer sending ever
# new PDUs only empties the table.
_DECODED_RQ: dict[bytes, AAssociateRQ] = {}
_DECODED_AC: dict[bytes, AAssociateAC] = {}
_DECODED_LIMIT = 32
_DECODED_MAX_BYTES = 64 * 1024

_Decoded = TypeVar("_Decoded", AAssociateRQ, AAssociateAC)


def _remember(table: dict[bytes, _Decoded], pdu: bytes, value: _Decoded) -> _Decoded:
    if len(pdu) <= _DECODED_MAX_BYTES:
        if len(table) >= _DECODED_LIMIT:
            table.clear()
        table[pdu] = value
    return value


_ContextDecoder = Callable[
    [Buffer, int, int, int], PresentationContextRQItem | PresentationContextACItem
]


def _variable_items(
    view: Buffer, context_type: int, decode_context: _ContextDecoder
) -> tuple[
    str,
    list[PresentationContextRQItem | PresentationContextACItem],
    tuple[UserInformationSubItem, ...],
]:
    """The items of an A-ASSOCIATE variable field (PS3.8 9.3.2, 9.3.3)."""
    application_context: str | None = None
    contexts: list[PresentationContextRQItem | PresentationContextACItem] = []
    context_ids: set[int] = set()
    user_information: tuple[UserInformationSubItem, ...] | None = None
    for offset, item_type, start, end in _items(view, VARIABLE_FIELD_OFFSET, len(view), "PDU"):
        if item_type == context_type:
            if len(contexts) == MAX_PRESENTATION_CONTEXTS:
                raise _fail(offset, "more than 128 presentation contexts")
            context = decode_context(view, offset, start, end)
            if context.context_id in context_ids:
                raise _fail(start, f"duplicate presentation context ID {context.context_id}")
            context_ids.add(context.context_id)
            contexts.append(context)
        elif item_type == ITEM_APPLICATION_CONTEXT:
            if application_context is not None:
                raise _fail(offset, "second application context item", UNEXPECTED_PARAMETER)
            application_context = _uid(view, start, end, "application context name")
        elif item_type == ITEM_USER_INFORMATION:
            if user_information is not None:
                raise _fail(offset, "second user information item", UNEXPECTED_PARAMETER)
            user_information = _user_information(view, start, end)
        elif item_type in _KNOWN_ITEM_TYPES:
            raise _fail(offset, f"item 0x{item_type:02X} not allowed here", UNEXPECTED_PARAMETER)
        else:
            raise _fail(offset, f"unrecognized item type 0x{item_type:02X}", UNRECOGNIZED_PARAMETER)
    if application_context is None:
        raise _fail(VARIABLE_FIELD_OFFSET, "no application context item")
    return application_context, contexts, user_information or ()


_KNOWN_ITEM_TYPES = frozenset(ItemType)


def _context_id(view: Buffer, start: int, end: int) -> int:
    if end - start < 4:
        raise _fail(start, "presentation context item shorter than 4 bytes")
    context_id = view[start]
    if context_id % 2 == 0:
        raise _fail(start, f"presentation context ID {context_id} is not odd")
    return context_id


def _context_rq(view: Buffer, offset: int, start: int, end: int) -> PresentationContextRQItem:
    context_id = _context_id(view, start, end)
    abstract_syntax: str | None = None
    transfer_syntaxes: list[str] = []
    # The sub-item walk of ``_items``, inlined: an RQ carries up to 128 of these.
    sub_offset = start + 4
    while sub_offset < end:
        if end - sub_offset < 4:
            raise _fail(sub_offset, "truncated item header in presentation context item")
        sub_type, length = ITEM_HEADER.unpack_from(view, sub_offset)
        sub_start = sub_offset + 4
        sub_end = sub_start + length
        if sub_end > end:
            raise _fail(
                sub_offset + 2,
                f"item 0x{sub_type:02X} length {length} overruns its presentation context item",
            )
        if sub_type == ITEM_TRANSFER_SYNTAX:
            transfer_syntaxes.append(_uid(view, sub_start, sub_end, "transfer syntax name"))
        elif sub_type == ITEM_ABSTRACT_SYNTAX:
            if abstract_syntax is not None:
                raise _fail(sub_offset, "second abstract syntax", UNEXPECTED_PARAMETER)
            abstract_syntax = _uid(view, sub_start, sub_end, "abstract syntax name")
        else:
            raise _unexpected_sub_item(sub_offset, sub_type)
        sub_offset = sub_end
    if abstract_syntax is None:
        raise _fail(offset, f"presentation context {context_id} has no abstract syntax")
    if not transfer_syntaxes:
        raise _fail(offset, f"presentation context {context_id} has no transfer syntax")
    return PresentationContextRQItem(context_id, abstract_syntax, tuple(transfer_syntaxes))


def _context_ac(view: Buffer, offset: int, start: int, end: int) -> PresentationContextACItem:
    context_id = _context_id(view, start, end)
    result = view[start + 2]
    if result > LAST_CONTEXT_RESULT:
        raise _fail(start + 2, f"presentation context result {result} is not defined")
    syntax_items: list[tuple[int, int]] = []
    for sub_offset, sub_type, sub_start, sub_end in _items(
        view, start + 4, end, "presentation context item"
    ):
        if sub_type != ITEM_TRANSFER_SYNTAX:
            raise _unexpected_sub_item(sub_offset, sub_type)
        if syntax_items:
            raise _fail(sub_offset, "second transfer syntax", UNEXPECTED_PARAMETER)
        syntax_items.append((sub_start, sub_end))
    transfer_syntax: str | None = None
    if result == ACCEPTANCE:
        if not syntax_items:
            raise _fail(
                offset, f"accepted presentation context {context_id} has no transfer syntax"
            )
        transfer_syntax = _uid(view, *syntax_items[0], "transfer syntax name")
    elif syntax_items:
        # Not significant for a rejected context: keep it only if it reads as a UID.
        try:
            transfer_syntax = _uid(view, *syntax_items[0], "transfer syntax name")
        except PDUDecodeError:
            transfer_syntax = None
    return PresentationContextACItem(context_id, result, transfer_syntax)


def _unexpected_sub_item(offset: int, sub_type: int) -> PDUDecodeError:
    if sub_type in _KNOWN_ITEM_TYPES:
        return _fail(offset, f"sub-item 0x{sub_type:02X} not allowed here", UNEXPECTED_PARAMETER)
    return _fail(offset, f"unrecognized sub-item type 0x{sub_type:02X}", UNRECOGNIZED_PARAMETER)


# -- user information (PS3.8 Annex D, PS3.7 D.3.3) ------------------------------------


def _user_information(view: Buffer, start: int, end: int) -> tuple[UserInformationSubItem, ...]:
    subs: list[UserInformationSubItem] = []
    for offset, sub_type, sub_start, sub_end in _items(view, start, end, "user information item"):
        decoder = _SUB_ITEM_DECODERS.get(sub_type)
        if decoder is not None:
            subs.append(decoder(view, offset, sub_start, sub_end))
    return tuple(subs)


def _exact_length(offset: int, start: int, end: int, expected: int, what: str) -> None:
    if end - start != expected:
        raise _fail(offset + 2, f"{what} sub-item length {end - start}, expected {expected}")


def _maximum_length_item(view: Buffer, offset: int, start: int, end: int) -> MaximumLengthItem:
    _exact_length(offset, start, end, 4, "maximum length")
    (value,) = struct.unpack_from(">I", view, start)
    return MaximumLengthItem(value)


def _implementation_class_uid_item(
    view: Buffer, offset: int, start: int, end: int
) -> ImplementationClassUIDItem:
    return ImplementationClassUIDItem(_uid(view, start, end, "implementation class UID"))


def _async_window_item(
    view: Buffer, offset: int, start: int, end: int
) -> AsynchronousOperationsWindowItem:
    _exact_length(offset, start, end, 4, "asynchronous operations window")
    invoked, performed = struct.unpack_from(">HH", view, start)
    return AsynchronousOperationsWindowItem(invoked, performed)


def _length_prefixed(view: Buffer, start: int, end: int, what: str) -> int:
    """Return where the value announced by the 2-byte length at ``start`` ends."""
    if end - start < 2:
        raise _fail(start, f"{what} length field truncated")
    (length,) = UINT16.unpack_from(view, start)
    value_end = start + 2 + length
    if value_end > end:
        raise _fail(start, f"{what} length {length} overruns its sub-item")
    return value_end


def _flag(view: Buffer, offset: int, what: str) -> bool:
    value = view[offset]
    if value > 1:
        raise _fail(offset, f"{what} is {value}, expected 0 or 1")
    return bool(value)


def _role_selection_item(view: Buffer, offset: int, start: int, end: int) -> RoleSelectionItem:
    uid_end = _length_prefixed(view, start, end, "SOP class UID")
    _exact_length(offset, start, end, uid_end - start + 2, "SCP/SCU role selection")
    uid = _uid(view, start + 2, uid_end, "SOP class UID")
    return RoleSelectionItem(
        uid, _flag(view, uid_end, "SCU role"), _flag(view, uid_end + 1, "SCP role")
    )


def _implementation_version_name_item(
    view: Buffer, offset: int, start: int, end: int
) -> ImplementationVersionNameItem:
    if not 1 <= end - start <= 16:
        raise _fail(offset + 2, "implementation version name must be 1 to 16 bytes")
    return ImplementationVersionNameItem(_ascii(view, start, end, "implementation version name"))


def _extended_negotiation_item(
    view: Buffer, offset: int, start: int, end: int
) -> SOPClassExtendedNegotiationItem:
    uid_end = _length_prefixed(view, start, end, "SOP class UID")
    uid = _uid(view, start + 2, uid_end, "SOP class UID")
    return SOPClassExtendedNegotiationItem(uid, bytes(view[uid_end:end]))


def _common_extended_negotiation_item(
    view: Buffer, offset: int, start: int, end: int
) -> SOPClassCommonExtendedNegotiationItem:
    sop_end = _length_prefixed(view, start, end, "SOP class UID")
    sop_class = _uid(view, start + 2, sop_end, "SOP class UID")
    service_end = _length_prefixed(view, sop_end, end, "service class UID")
    service_class = _uid(view, sop_end + 2, service_end, "service class UID")
    related_end = _length_prefixed(view, service_end, end, "related general SOP classes")
    if related_end != end:
        raise _fail(related_end, "bytes after the related general SOP classes")
    related = []
    position = service_end + 2
    while position < related_end:
        uid_end = _length_prefixed(view, position, related_end, "related general SOP class UID")
        related.append(_uid(view, position + 2, uid_end, "related general SOP class UID"))
        position = uid_end
    return SOPClassCommonExtendedNegotiationItem(sop_class, service_class, tuple(related))


def _user_identity_rq_item(view: Buffer, offset: int, start: int, end: int) -> UserIdentityRQItem:
    if end - start < 6:
        raise _fail(offset + 2, "user identity sub-item shorter than 6 bytes")
    identity_type = view[start]
    if identity_type not in _USER_IDENTITY_TYPES:
        raise _fail(start, f"user identity type {identity_type} is not defined")
    positive_response = _flag(view, start + 1, "positive response requested")
    primary_end = _length_prefixed(view, start + 2, end, "primary field")
    secondary_end = _length_prefixed(view, primary_end, end, "secondary field")
    if secondary_end != end:
        raise _fail(secondary_end, "bytes after the user identity secondary field")
    return UserIdentityRQItem(
        identity_type,
        positive_response,
        bytes(view[start + 4 : primary_end]),
        bytes(view[primary_end + 2 : secondary_end]),
    )


_USER_IDENTITY_TYPES = frozenset(UserIdentityType)


def _user_identity_ac_item(view: Buffer, offset: int, start: int, end: int) -> UserIdentityACItem:
    response_end = _length_prefixed(view, start, end, "server response")
    if response_end != end:
        raise _fail(response_end, "bytes after the user identity server response")
    return UserIdentityACItem(bytes(view[start + 2 : end]))


_SUB_ITEM_DECODERS: dict[int, Callable[[Buffer, int, int, int], UserInformationSubItem]] = {
    ItemType.MAXIMUM_LENGTH: _maximum_length_item,
    ItemType.IMPLEMENTATION_CLASS_UID: _implementation_class_uid_item,
    ItemType.ASYNCHRONOUS_OPERATIONS_WINDOW: _async_window_item,
    ItemType.ROLE_SELECTION: _role_selection_item,
    ItemType.IMPLEMENTATION_VERSION_NAME: _implementation_version_name_item,
    ItemType.SOP_CLASS_EXTENDED_NEGOTIATION: _extended_negotiation_item,
    ItemType.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: _common_extended_negotiation_item,
    ItemType.USER_IDENTITY_RQ: _user_identity_rq_item,
    ItemType.USER_IDENTITY_AC: _user_identity_ac_item,
}


# -- the other PDUs ------------------------------------------------------------------


def _fixed_length(view: Buffer, what: str) -> None:
    if len(view) != PDU_HEADER_LENGTH + 4:
        raise _fail(2, f"{what} PDU length is {len(view) - 6}, expected 4")


def _decode_associate_rj(view: Buffer) -> AAssociateRJ:
    _fixed_length(view, "A-ASSOCIATE-RJ")
    _, _, result, source, reason = FIXED_BODY.unpack_from(view)
    if result not in _REJECT_RESULTS:
        raise _fail(7, f"A-ASSOCIATE-RJ result {result} is not defined")
    if source not in _REJECT_SOURCES:
        raise _fail(8, f"A-ASSOCIATE-RJ source {source} is not defined")
    return AAssociateRJ(result, source, reason)


_REJECT_RESULTS = frozenset(RejectResult)
_REJECT_SOURCES = frozenset(RejectSource)


def _decode_p_data_tf(view: memoryview) -> PDataTF:
    end = len(view)
    offset = PDU_HEADER_LENGTH
    unpack = PDV_HEADER.unpack_from
    pdvs = []
    while offset < end:
        if end - offset < 6:
            raise _fail(offset, "truncated PDV item header")
        length, context_id, control = unpack(view, offset)
        if length < 2:
            raise _fail(offset, f"PDV item length {length} is below 2")
        next_offset = offset + 4 + length
        if next_offset > end:
            raise _fail(offset, f"PDV item length {length} runs past the PDU end")
        # Bits 2-7 of the message control header are reserved: not tested.
        pdvs.append(
            PresentationDataValue(
                context_id, bool(control & 1), bool(control & 2), view[offset + 6 : next_offset]
            )
        )
        offset = next_offset
    if not pdvs:
        raise _fail(PDU_HEADER_LENGTH, "P-DATA-TF without a PDV item")
    return PDataTF(tuple(pdvs))


def _decode_release_rq(view: Buffer) -> AReleaseRQ:
    _fixed_length(view, "A-RELEASE-RQ")
    return AReleaseRQ()


def _decode_release_rp(view: Buffer) -> AReleaseRP:
    _fixed_length(view, "A-RELEASE-RP")
    return AReleaseRP()


def _decode_abort(view: Buffer) -> AAbort:
    # Source and reason are not tested: an A-ABORT ends the association whatever they say.
    _fixed_length(view, "A-ABORT")
    return AAbort(view[8], view[9])


_DECODERS: dict[int, Callable[[memoryview], PDU]] = {
    PDUType.A_ASSOCIATE_RQ: _decode_associate_rq,
    PDUType.A_ASSOCIATE_AC: _decode_associate_ac,
    PDUType.A_ASSOCIATE_RJ: _decode_associate_rj,
    PDUType.P_DATA_TF: _decode_p_data_tf,
    PDUType.A_RELEASE_RQ: _decode_release_rq,
    PDUType.A_RELEASE_RP: _decode_release_rp,
    PDUType.A_ABORT: _decode_abort,
}
