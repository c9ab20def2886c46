"""Turn PDU values into bytes (PS3.8 9.3, Annex D; PS3.7 D.3.3).

Encoding trusts its input: it only refuses what cannot be written at all (an AE title
over 16 bytes, a length that does not fit its field), so the harness can also build
PDUs that a strict peer must refuse. The syntax sub-items every association names are
encoded once (a bounded table).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from dicomactors.pdu.items import (
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    ItemType,
    MaximumLengthItem,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserInformationSubItem,
)
from dicomactors.pdu.layout import (
    AE_TITLE_LENGTH,
    ASSOCIATE_FIXED_LENGTH,
    ASSOCIATE_HEADER,
    ASYNC_WINDOW,
    COMMON_EXTENDED_HEADER,
    CONTEXT_AC_HEADER,
    CONTEXT_RQ_HEADER,
    FIXED_BODY,
    ITEM_ABSTRACT_SYNTAX,
    ITEM_APPLICATION_CONTEXT,
    ITEM_HEADER,
    ITEM_IMPLEMENTATION_CLASS_UID,
    ITEM_IMPLEMENTATION_VERSION_NAME,
    ITEM_MAXIMUM_LENGTH,
    ITEM_PRESENTATION_CONTEXT_AC,
    ITEM_PRESENTATION_CONTEXT_RQ,
    ITEM_TRANSFER_SYNTAX,
    ITEM_USER_INFORMATION,
    MAXIMUM_LENGTH,
    PDU_HEADER,
    PDV_HEADER,
    RELEASE_RP_BYTES,
    RELEASE_RQ_BYTES,
    UID_LENGTH_ITEM,
    UINT16,
    USER_IDENTITY_RQ_HEADER,
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
)


def encode_pdu(pdu: PDU) -> bytes:
    """Return the bytes of ``pdu`` as they go on the wire.

    Raises ``ValueError`` if a value cannot be written (an AE title over 16 bytes,
    non-ASCII text, a number or length too large for its field) and ``TypeError`` for
    something that is not a PDU.
    """
    encoder = _ENCODERS.get(type(pdu))
    if encoder is None:
        raise TypeError(f"not a PDU: {pdu!r}")
    try:
        return encoder(pdu)
    except struct.error as exc:
        raise ValueError(f"cannot encode {type(pdu).__name__}: {exc}") from exc


def _item(item_type: int, value: bytes) -> bytes:
    return ITEM_HEADER.pack(item_type, len(value)) + value


def _ae_title(title: str) -> bytes:
    raw = title.encode("ascii")
    if len(raw) > AE_TITLE_LENGTH:
        raise ValueError(f"AE title {title!r} is longer than 16 bytes")
    return raw.ljust(AE_TITLE_LENGTH, b" ")


def _encode_associate(pdu: AAssociateRQ | AAssociateAC, contexts: list[bytes]) -> bytes:
    variable = b"".join(
        [
            _item(ITEM_APPLICATION_CONTEXT, pdu.application_context_name.encode("ascii")),
            *contexts,
            _item(
                ITEM_USER_INFORMATION,
                b"".join([_encode_sub_item(sub) for sub in pdu.user_information]),
            ),
        ]
    )
    header = ASSOCIATE_HEADER.pack(
        pdu.pdu_type,
        ASSOCIATE_FIXED_LENGTH + len(variable),
        pdu.protocol_version,
        _ae_title(pdu.called_ae_title),
        _ae_title(pdu.calling_ae_title),
    )
    return header + variable


def _encode_associate_rq(pdu: AAssociateRQ) -> bytes:
    contexts = []
    for context in pdu.presentation_contexts:
        syntaxes = b"".join(
            [
                _syntax_item(_ABSTRACT_SYNTAX_ITEMS, ITEM_ABSTRACT_SYNTAX, context.abstract_syntax),
                *[
                    _syntax_item(_TRANSFER_SYNTAX_ITEMS, ITEM_TRANSFER_SYNTAX, uid)
                    for uid in context.transfer_syntaxes
                ],
            ]
        )
        contexts.append(
            CONTEXT_RQ_HEADER.pack(
                ITEM_PRESENTATION_CONTEXT_RQ, 4 + len(syntaxes), context.context_id
            )
            + syntaxes
        )
    return _encode_associate(pdu, contexts)


def _encode_associate_ac(pdu: AAssociateAC) -> bytes:
    contexts = []
    for context in pdu.presentation_contexts:
        # A rejected context still carries the sub-item; its value is not significant.
        syntax = _syntax_item(
            _TRANSFER_SYNTAX_ITEMS, ITEM_TRANSFER_SYNTAX, context.transfer_syntax or ""
        )
        contexts.append(
            CONTEXT_AC_HEADER.pack(
                ITEM_PRESENTATION_CONTEXT_AC,
                4 + len(syntax),
                context.context_id,
                context.result,
            )
            + syntax
        )
    return _encode_associate(pdu, contexts)


def _syntax_item(table: dict[str, bytes], item_type: int, uid: str) -> bytes:
    """An abstract or transfer syntax sub-item; the few UIDs every association names are
    encoded once and looked up after that."""
    item = table.get(uid)
    if item is None:
        item = _item(item_type, uid.encode("ascii"))
        if len(table) < _SYNTAX_ITEMS_LIMIT:
            table[uid] = item
    return item


_ABSTRACT_SYNTAX_ITEMS: dict[str, bytes] = {}
_TRANSFER_SYNTAX_ITEMS: dict[str, bytes] = {}
_SYNTAX_ITEMS_LIMIT = 4096


def _encode_sub_item(sub: UserInformationSubItem) -> bytes:
    # Ordered by how often they are sent.
    if isinstance(sub, MaximumLengthItem):
        return MAXIMUM_LENGTH.pack(ITEM_MAXIMUM_LENGTH, 4, sub.maximum_length)
    if isinstance(sub, ImplementationClassUIDItem):
        return _item(ITEM_IMPLEMENTATION_CLASS_UID, sub.implementation_class_uid.encode("ascii"))
    if isinstance(sub, ImplementationVersionNameItem):
        return _item(
            ITEM_IMPLEMENTATION_VERSION_NAME, sub.implementation_version_name.encode("ascii")
        )
    if isinstance(sub, AsynchronousOperationsWindowItem):
        return ASYNC_WINDOW.pack(
            ItemType.ASYNCHRONOUS_OPERATIONS_WINDOW,
            4,
            sub.maximum_invoked,
            sub.maximum_performed,
        )
    if isinstance(sub, RoleSelectionItem):
        uid = sub.sop_class_uid.encode("ascii")
        return (
            UID_LENGTH_ITEM.pack(ItemType.ROLE_SELECTION, len(uid) + 4, len(uid))
            + uid
            + bytes((int(sub.scu_role), int(sub.scp_role)))
        )
    if isinstance(sub, SOPClassExtendedNegotiationItem):
        uid = sub.sop_class_uid.encode("ascii")
        info = sub.service_class_application_information
        return (
            UID_LENGTH_ITEM.pack(
                ItemType.SOP_CLASS_EXTENDED_NEGOTIATION, 2 + len(uid) + len(info), len(uid)
            )
            + uid
            + info
        )
    if isinstance(sub, SOPClassCommonExtendedNegotiationItem):
        return _encode_common_extended(sub)
    if isinstance(sub, UserIdentityRQItem):
        primary, secondary = sub.primary_field, sub.secondary_field
        return b"".join(
            [
                USER_IDENTITY_RQ_HEADER.pack(
                    ItemType.USER_IDENTITY_RQ,
                    6 + len(primary) + len(secondary),
                    sub.identity_type,
                    int(sub.positive_response_requested),
                    len(primary),
                ),
                primary,
                UINT16.pack(len(secondary)),
                secondary,
            ]
        )
    if isinstance(sub, UserIdentityACItem):
        response = sub.server_response
        return (
            UID_LENGTH_ITEM.pack(ItemType.USER_IDENTITY_AC, 2 + len(response), len(response))
            + response
        )
    raise TypeError(f"not a user information sub-item: {sub!r}")


def _encode_common_extended(sub: SOPClassCommonExtendedNegotiationItem) -> bytes:
    sop_class = sub.sop_class_uid.encode("ascii")
    service_class = sub.service_class_uid.encode("ascii")
    related = b"".join(
        [
            UINT16.pack(len(raw)) + raw
            for raw in (uid.encode("ascii") for uid in sub.related_general_sop_class_uids)
        ]
    )
    body = b"".join(
        [
            sop_class,
            UINT16.pack(len(service_class)),
            service_class,
            UINT16.pack(len(related)),
            related,
        ]
    )
    # The byte after the item type is the sub-item version, 0 in this version of PS3.7.
    header = COMMON_EXTENDED_HEADER.pack(
        ItemType.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, 0, 2 + len(body), len(sop_class)
    )
    return header + body


def _encode_associate_rj(pdu: AAssociateRJ) -> bytes:
    return FIXED_BODY.pack(PDUType.A_ASSOCIATE_RJ, 4, pdu.result, pdu.source, pdu.reason)


def _encode_p_data_tf(pdu: PDataTF) -> bytes:
    parts: list[bytes | memoryview] = [b""]
    length = 0
    pack = PDV_HEADER.pack
    for pdv in pdu.pdvs:
        data = pdv.data
        size = len(data)
        parts.append(pack(size + 2, pdv.context_id, int(pdv.is_command) | (pdv.is_last << 1)))
        parts.append(data)
        length += size + 6
    parts[0] = PDU_HEADER.pack(PDUType.P_DATA_TF, length)
    return b"".join(parts)


def _encode_release_rq(pdu: AReleaseRQ) -> bytes:
    return RELEASE_RQ_BYTES


def _encode_release_rp(pdu: AReleaseRP) -> bytes:
    return RELEASE_RP_BYTES


def _encode_abort(pdu: AAbort) -> bytes:
    return FIXED_BODY.pack(PDUType.A_ABORT, 4, 0, pdu.source, pdu.reason)


_ENCODERS: dict[type, Callable[..., bytes]] = {
    AAssociateRQ: _encode_associate_rq,
    AAssociateAC: _encode_associate_ac,
    AAssociateRJ: _encode_associate_rj,
    PDataTF: _encode_p_data_tf,
    AReleaseRQ: _encode_release_rq,
    AReleaseRP: _encode_release_rp,
    AAbort: _encode_abort,
}
