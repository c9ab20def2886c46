"""A catalogue of malformed PDUs that a conforming receiver must refuse (PS3.8 9.3).

Each case builds the bytes a hostile or broken peer would send: a valid PDU made with
:func:`dicomactors.pdu.encode_pdu` and then corrupted at one place, or, where the codec
cannot express the fault, written by hand. ``phase`` says when to send it: ``"associate"``
in place of the A-ASSOCIATE-RQ on a fresh connection, ``"established"`` once an
association is up. ``expected_abort_reason`` is the A-ABORT reason/diag (PS3.8 Table 9-26)
that fits the fault, the one our decoder reports; ``None`` where the standard leaves the
receiver a choice.

The cases are data: scenarios send them over raw sockets, the PDU tests feed them to
the decoder, and the fuzz tests use them as Hypothesis seeds.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydicom._uid_dict import UID_dictionary
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomactors.pdu import (
    AAbort,
    AAssociateRJ,
    AAssociateRQ,
    AbortReason,
    AReleaseRQ,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    ItemType,
    MaximumLengthItem,
    PDataTF,
    PresentationContextRQItem,
    PresentationDataValue,
    encode_pdu,
)

__all__ = ["MALFORMED_CASES", "MalformedCase", "Phase", "valid_associate_rq", "valid_p_data_tf"]

Phase = Literal["associate", "established"]


@dataclass(frozen=True, slots=True)
class MalformedCase:
    """One class of malformed PDU: how to build it and what a receiver should answer."""

    name: str
    clause: str
    build: Callable[[], bytes]
    expected_abort_reason: int | None
    phase: Phase


_UNRECOGNIZED_PDU = int(AbortReason.UNRECOGNIZED_PDU)
_UNRECOGNIZED_PARAMETER = int(AbortReason.UNRECOGNIZED_PDU_PARAMETER)
_UNEXPECTED_PARAMETER = int(AbortReason.UNEXPECTED_PDU_PARAMETER)
_INVALID_VALUE = int(AbortReason.INVALID_PDU_PARAMETER_VALUE)

VERIFICATION = next(uid for uid, entry in UID_dictionary.items() if entry[4] == "Verification")
IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1"

_VARIABLE_FIELD = 74  # header (6) + fixed fields of an A-ASSOCIATE (68)


def _context(context_id: int, abstract: str = VERIFICATION) -> PresentationContextRQItem:
    return PresentationContextRQItem(
        context_id, abstract, (ImplicitVRLittleEndian, ExplicitVRLittleEndian)
    )


def valid_associate_rq(
    contexts: tuple[PresentationContextRQItem, ...] = (_context(1),),
    called: str = "ANY-SCP",
    calling: str = "HARNESS",
) -> AAssociateRQ:
    """The well-formed A-ASSOCIATE-RQ the cases start from."""
    return AAssociateRQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=contexts,
        user_information=(
            MaximumLengthItem(16382),
            ImplementationClassUIDItem(IMPLEMENTATION_CLASS_UID),
            ImplementationVersionNameItem("HARNESS"),
        ),
    )


def valid_p_data_tf() -> PDataTF:
    """A well-formed P-DATA-TF with one command PDV on context 1."""
    return PDataTF((PresentationDataValue(1, True, True, b"\x00" * 12),))


def _rq_bytes(rq: AAssociateRQ | None = None) -> bytearray:
    return bytearray(encode_pdu(rq or valid_associate_rq()))


def _set_pdu_length(pdu: bytearray, length: int) -> bytearray:
    struct.pack_into(">I", pdu, 2, length)
    return pdu


def _find_item(pdu: bytes | bytearray, item_type: int, start: int = _VARIABLE_FIELD) -> int:
    """Offset of the first top-level item of ``item_type`` in an A-ASSOCIATE."""
    offset = start
    while offset < len(pdu):
        found_type, length = struct.unpack_from(">BxH", pdu, offset)
        if found_type == item_type:
            return offset
        offset += 4 + length
    raise LookupError(f"no item 0x{item_type:02X}")


def _remove_item(pdu: bytearray, item_type: int) -> bytearray:
    offset = _find_item(pdu, item_type)
    (length,) = struct.unpack_from(">H", pdu, offset + 2)
    del pdu[offset : offset + 4 + length]
    return _set_pdu_length(pdu, len(pdu) - 6)


def _replace_fixed_ae(pdu: bytearray, offset: int, raw: bytes) -> bytearray:
    pdu[offset : offset + 16] = raw
    return pdu


# -- builders -------------------------------------------------------------------------


def _unknown_pdu_type() -> bytes:
    pdu = _rq_bytes()
    pdu[0] = 0x08
    return bytes(pdu)


def _associate_rq_declaring_4gib() -> bytes:
    return bytes(_set_pdu_length(_rq_bytes(), 0xFFFFFFFF))


def _associate_rq_length_short() -> bytes:
    # The PDU ends inside its last item; the bytes after it read as a new PDU.
    pdu = _rq_bytes()
    return bytes(_set_pdu_length(pdu, len(pdu) - 6 - 3))


def _item_length_overrun() -> bytes:
    pdu = _rq_bytes()
    offset = _find_item(pdu, ItemType.PRESENTATION_CONTEXT_RQ)
    (length,) = struct.unpack_from(">H", pdu, offset + 2)
    struct.pack_into(">H", pdu, offset + 2, length + 0x1000)
    return bytes(pdu)


def _item_length_short() -> bytes:
    # The presentation context claims fewer bytes than its sub-items take.
    pdu = _rq_bytes()
    offset = _find_item(pdu, ItemType.PRESENTATION_CONTEXT_RQ)
    (length,) = struct.unpack_from(">H", pdu, offset + 2)
    struct.pack_into(">H", pdu, offset + 2, length - 3)
    return bytes(pdu)


def _fixed_fields_short() -> bytes:
    pdu = _rq_bytes()[:60]
    return bytes(_set_pdu_length(pdu, len(pdu) - 6))


def _called_ae_empty() -> bytes:
    return bytes(_replace_fixed_ae(_rq_bytes(), 10, b"\x00" * 16))


def _called_ae_all_spaces() -> bytes:
    return bytes(_replace_fixed_ae(_rq_bytes(), 10, b" " * 16))


def _calling_ae_all_spaces() -> bytes:
    return bytes(_replace_fixed_ae(_rq_bytes(), 26, b" " * 16))


def _called_ae_too_long() -> bytes:
    # Seventeen bytes where sixteen belong: every later field is shifted by one.
    pdu = _rq_bytes()
    pdu[10:26] = b"ANY-SCP-SEVENTEEN"
    return bytes(_set_pdu_length(pdu, len(pdu) - 6))


def _uid_over_64() -> bytes:
    long_uid = "1.2.826.0.1.3680043.9.7433." + "1" * 40
    return bytes(_rq_bytes(valid_associate_rq((_context(1, long_uid),))))


def _empty_abstract_syntax() -> bytes:
    return bytes(_rq_bytes(valid_associate_rq((_context(1, ""),))))


def _empty_transfer_syntax() -> bytes:
    context = PresentationContextRQItem(1, VERIFICATION, ("",))
    return bytes(_rq_bytes(valid_associate_rq((context,))))


def _empty_application_context() -> bytes:
    rq = valid_associate_rq()
    return encode_pdu(
        AAssociateRQ(
            rq.called_ae_title,
            rq.calling_ae_title,
            rq.presentation_contexts,
            rq.user_information,
            application_context_name="",
        )
    )


def _too_many_contexts() -> bytes:
    contexts = tuple(_context(2 * (index % 128) + 1) for index in range(129))
    return bytes(_rq_bytes(valid_associate_rq(contexts)))


def _even_context_id() -> bytes:
    return bytes(_rq_bytes(valid_associate_rq((_context(2),))))


def _duplicate_context_ids() -> bytes:
    return bytes(_rq_bytes(valid_associate_rq((_context(1), _context(1, CTImageStorage)))))


def _no_application_context() -> bytes:
    return bytes(_remove_item(_rq_bytes(), ItemType.APPLICATION_CONTEXT))


def _no_presentation_context() -> bytes:
    return bytes(_rq_bytes(valid_associate_rq(())))


def _no_abstract_syntax() -> bytes:
    context = PresentationContextRQItem(1, VERIFICATION, (ImplicitVRLittleEndian,))
    pdu = _rq_bytes(valid_associate_rq((context,)))
    context_offset = _find_item(pdu, ItemType.PRESENTATION_CONTEXT_RQ)
    abstract_offset = context_offset + 8
    (abstract_length,) = struct.unpack_from(">H", pdu, abstract_offset + 2)
    del pdu[abstract_offset : abstract_offset + 4 + abstract_length]
    (context_length,) = struct.unpack_from(">H", pdu, context_offset + 2)
    struct.pack_into(">H", pdu, context_offset + 2, context_length - 4 - abstract_length)
    return bytes(_set_pdu_length(pdu, len(pdu) - 6))


def _no_transfer_syntax() -> bytes:
    context = PresentationContextRQItem(1, VERIFICATION, ())
    return bytes(_rq_bytes(valid_associate_rq((context,))))


def _unrecognized_item_type() -> bytes:
    pdu = _rq_bytes()
    pdu[_find_item(pdu, ItemType.USER_INFORMATION)] = 0x99
    return bytes(pdu)


def _unexpected_item_type() -> bytes:
    # An A-ASSOCIATE-AC presentation context item inside an A-ASSOCIATE-RQ.
    pdu = _rq_bytes()
    pdu[_find_item(pdu, ItemType.PRESENTATION_CONTEXT_RQ)] = ItemType.PRESENTATION_CONTEXT_AC
    return bytes(pdu)


def _maximum_length_sub_item_wrong_length() -> bytes:
    pdu = _rq_bytes()
    user_information = _find_item(pdu, ItemType.USER_INFORMATION)
    maximum_length = _find_item(pdu, ItemType.MAXIMUM_LENGTH, user_information + 4)
    # Six value bytes where PS3.8 D.1 fixes four; the containers' lengths stay consistent.
    pdu[maximum_length + 8 : maximum_length + 8] = b"\x00\x00"
    struct.pack_into(">H", pdu, maximum_length + 2, 6)
    (user_length,) = struct.unpack_from(">H", pdu, user_information + 2)
    struct.pack_into(">H", pdu, user_information + 2, user_length + 2)
    return bytes(_set_pdu_length(pdu, len(pdu) - 6))


def _associate_rj_wrong_length() -> bytes:
    pdu = bytearray(encode_pdu(AAssociateRJ(1, 1, 1))) + b"\x00"
    return bytes(_set_pdu_length(pdu, 5))


def _p_data_declaring_4gib() -> bytes:
    return bytes(_set_pdu_length(bytearray(encode_pdu(valid_p_data_tf())), 0xFFFFFFFF))


def _p_data_without_pdv() -> bytes:
    return encode_pdu(PDataTF(()))


def _pdv_length_below_2() -> bytes:
    pdu = bytearray(encode_pdu(valid_p_data_tf()))
    struct.pack_into(">I", pdu, 6, 1)
    return bytes(pdu)


def _pdv_past_pdu_end() -> bytes:
    pdu = bytearray(encode_pdu(valid_p_data_tf()))
    (length,) = struct.unpack_from(">I", pdu, 6)
    struct.pack_into(">I", pdu, 6, length + 1)
    return bytes(pdu)


def _pdv_header_truncated() -> bytes:
    pdu = bytearray(encode_pdu(valid_p_data_tf())) + b"\x00\x00\x00"
    return bytes(_set_pdu_length(pdu, len(pdu) - 6))


def _release_rq_wrong_length() -> bytes:
    pdu = bytearray(encode_pdu(AReleaseRQ())) + b"\x00\x00"
    return bytes(_set_pdu_length(pdu, 6))


def _abort_wrong_length() -> bytes:
    pdu = bytearray(encode_pdu(AAbort()))[:8]
    return bytes(_set_pdu_length(pdu, 2))


def _unknown_pdu_type_established() -> bytes:
    pdu = bytearray(encode_pdu(valid_p_data_tf()))
    pdu[0] = 0xFF
    return bytes(pdu)


def _case(
    name: str,
    clause: str,
    build: Callable[[], bytes],
    reason: int | None,
    phase: Phase = "associate",
) -> MalformedCase:
    return MalformedCase(name, clause, build, reason, phase)


MALFORMED_CASES: tuple[MalformedCase, ...] = (
    _case("unknown-pdu-type", "PS3.8 9.3.1", _unknown_pdu_type, _UNRECOGNIZED_PDU),
    _case(
        "associate-rq-declares-4gib", "PS3.8 9.3.2", _associate_rq_declaring_4gib, _INVALID_VALUE
    ),
    _case("associate-rq-length-short", "PS3.8 9.3.2", _associate_rq_length_short, _INVALID_VALUE),
    _case("item-length-overrun", "PS3.8 9.3.2.2", _item_length_overrun, _INVALID_VALUE),
    _case("item-length-short", "PS3.8 9.3.2.2", _item_length_short, _INVALID_VALUE),
    _case("fixed-fields-short", "PS3.8 9.3.2", _fixed_fields_short, _INVALID_VALUE),
    _case("called-ae-empty", "PS3.8 9.3.2", _called_ae_empty, _INVALID_VALUE),
    _case("called-ae-all-spaces", "PS3.8 9.3.2", _called_ae_all_spaces, _INVALID_VALUE),
    _case("calling-ae-all-spaces", "PS3.8 9.3.2", _calling_ae_all_spaces, _INVALID_VALUE),
    _case("called-ae-17-bytes", "PS3.8 9.3.2", _called_ae_too_long, _UNRECOGNIZED_PARAMETER),
    _case("uid-over-64", "PS3.8 9.3.2.2.1, PS3.5 9.1", _uid_over_64, _INVALID_VALUE),
    _case("empty-abstract-syntax", "PS3.8 9.3.2.2.1", _empty_abstract_syntax, _INVALID_VALUE),
    _case("empty-transfer-syntax", "PS3.8 9.3.2.2.2", _empty_transfer_syntax, _INVALID_VALUE),
    _case("empty-application-context", "PS3.8 9.3.2.1", _empty_application_context, _INVALID_VALUE),
    _case("129-presentation-contexts", "PS3.8 9.3.2.2", _too_many_contexts, _INVALID_VALUE),
    _case("even-context-id", "PS3.8 9.3.2.2", _even_context_id, _INVALID_VALUE),
    _case("duplicate-context-ids", "PS3.8 9.3.2.2", _duplicate_context_ids, _INVALID_VALUE),
    _case("no-application-context", "PS3.8 9.3.2", _no_application_context, _INVALID_VALUE),
    _case("no-presentation-context", "PS3.8 9.3.2", _no_presentation_context, _INVALID_VALUE),
    _case("no-abstract-syntax", "PS3.8 9.3.2.2", _no_abstract_syntax, _INVALID_VALUE),
    _case("no-transfer-syntax", "PS3.8 9.3.2.2", _no_transfer_syntax, _INVALID_VALUE),
    _case(
        "unrecognized-item-type", "PS3.8 9.3.2", _unrecognized_item_type, _UNRECOGNIZED_PARAMETER
    ),
    _case("unexpected-item-type", "PS3.8 9.3.2", _unexpected_item_type, _UNEXPECTED_PARAMETER),
    _case(
        "maximum-length-sub-item-wrong-length",
        "PS3.8 D.1",
        _maximum_length_sub_item_wrong_length,
        _INVALID_VALUE,
    ),
    _case("associate-rj-wrong-length", "PS3.8 9.3.4", _associate_rj_wrong_length, _INVALID_VALUE),
    _case(
        "p-data-declares-4gib",
        "PS3.8 9.3.5",
        _p_data_declaring_4gib,
        _INVALID_VALUE,
        "established",
    ),
    _case("p-data-without-pdv", "PS3.8 9.3.5", _p_data_without_pdv, _INVALID_VALUE, "established"),
    _case(
        "pdv-length-below-2", "PS3.8 9.3.5.1", _pdv_length_below_2, _INVALID_VALUE, "established"
    ),
    _case("pdv-past-pdu-end", "PS3.8 9.3.5.1", _pdv_past_pdu_end, _INVALID_VALUE, "established"),
    _case(
        "pdv-header-truncated",
        "PS3.8 9.3.5.1",
        _pdv_header_truncated,
        _INVALID_VALUE,
        "established",
    ),
    _case(
        "release-rq-wrong-length",
        "PS3.8 9.3.6",
        _release_rq_wrong_length,
        _INVALID_VALUE,
        "established",
    ),
    _case("abort-wrong-length", "PS3.8 9.3.8", _abort_wrong_length, _INVALID_VALUE, "established"),
    _case(
        "unknown-pdu-type-established",
        "PS3.8 9.3.1",
        _unknown_pdu_type_established,
        _UNRECOGNIZED_PDU,
        "established",
    ),
)
