"""encode_pdu and decode_pdu: known bytes, round trips and the refusals of PS3.8 9.3.

The Hypothesis strategies for every PDU live here; test_pdu_fuzz and test_pdu_oracle
import them.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomactors.pdu import (
    PDU,
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    PDataTF,
    PDUDecodeError,
    PresentationContextACItem,
    PresentationContextRQItem,
    PresentationDataValue,
    RoleSelectionItem,
    SOPClassCommonExtendedNegotiationItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserInformationSubItem,
    decode_pdu,
    encode_pdu,
)

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"

# -- strategies -----------------------------------------------------------------------

uids = (
    st.lists(st.integers(0, 10**8), min_size=1, max_size=12)
    .map(lambda parts: ".".join(map(str, parts)))
    .filter(lambda uid: len(uid) <= 64)
)
# AE titles as pynetdicom accepts them too: no backslash, no control characters, no
# leading or trailing spaces (they are padding).
_AE_ALPHABET = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "\\")
ae_titles = (
    st.text(alphabet=_AE_ALPHABET, min_size=1, max_size=16)
    .map(lambda title: title.strip(" "))
    .filter(bool)
)
_NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
context_ids = st.integers(0, 127).map(lambda n: 2 * n + 1)
short_bytes = st.binary(max_size=40)

user_information_sub_items: st.SearchStrategy[UserInformationSubItem] = st.one_of(
    st.builds(MaximumLengthItem, st.integers(0, 2**32 - 1)),
    st.builds(ImplementationClassUIDItem, uids),
    st.builds(
        ImplementationVersionNameItem, st.text(alphabet=_NAME_ALPHABET, min_size=1, max_size=16)
    ),
    st.builds(AsynchronousOperationsWindowItem, st.integers(0, 65535), st.integers(0, 65535)),
    st.builds(RoleSelectionItem, uids, st.booleans(), st.booleans()),
    st.builds(SOPClassExtendedNegotiationItem, uids, short_bytes),
    st.builds(
        SOPClassCommonExtendedNegotiationItem,
        uids,
        uids,
        st.lists(uids, max_size=3).map(tuple),
    ),
    st.builds(UserIdentityRQItem, st.integers(1, 5), st.booleans(), short_bytes, short_bytes),
    st.builds(UserIdentityACItem, short_bytes),
)
user_information = st.lists(user_information_sub_items, max_size=6).map(tuple)


@st.composite
def associate_rqs(draw: st.DrawFn) -> AAssociateRQ:
    ids = draw(st.lists(context_ids, min_size=1, max_size=5, unique=True))
    contexts = tuple(
        PresentationContextRQItem(
            context_id, draw(uids), tuple(draw(st.lists(uids, min_size=1, max_size=3)))
        )
        for context_id in ids
    )
    return AAssociateRQ(
        called_ae_title=draw(ae_titles),
        calling_ae_title=draw(ae_titles),
        presentation_contexts=contexts,
        user_information=draw(user_information),
        application_context_name=draw(uids),
        protocol_version=draw(st.integers(0, 65535)),
    )


@st.composite
def associate_acs(draw: st.DrawFn) -> AAssociateAC:
    ids = draw(st.lists(context_ids, max_size=5, unique=True))
    contexts = []
    for context_id in ids:
        result = draw(st.integers(0, 4))
        syntax = draw(uids) if result == 0 else draw(st.none() | uids)
        contexts.append(PresentationContextACItem(context_id, result, syntax))
    return AAssociateAC(
        called_ae_title=draw(ae_titles),
        calling_ae_title=draw(ae_titles),
        presentation_contexts=tuple(contexts),
        user_information=draw(user_information),
        application_context_name=draw(uids),
        protocol_version=draw(st.integers(0, 65535)),
    )


associate_rjs = st.builds(AAssociateRJ, st.integers(1, 2), st.integers(1, 3), st.integers(0, 255))
pdvs = st.builds(
    PresentationDataValue, st.integers(0, 255), st.booleans(), st.booleans(), st.binary(max_size=64)
)
p_data_tfs = st.lists(pdvs, min_size=1, max_size=4).map(lambda items: PDataTF(tuple(items)))
aborts = st.builds(AAbort, st.integers(0, 255), st.integers(0, 255))

PDU_STRATEGIES: dict[type, st.SearchStrategy[PDU]] = {
    AAssociateRQ: associate_rqs(),
    AAssociateAC: associate_acs(),
    AAssociateRJ: associate_rjs,
    PDataTF: p_data_tfs,
    AReleaseRQ: st.just(AReleaseRQ()),
    AReleaseRP: st.just(AReleaseRP()),
    AAbort: aborts,
}
all_pdus: st.SearchStrategy[PDU] = st.one_of(*PDU_STRATEGIES.values())


# -- round trips ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(all_pdus)
def test_decode_of_encode_is_identity(pdu: PDU) -> None:
    encoded = encode_pdu(pdu)
    assert decode_pdu(encoded) == pdu
    assert decode_pdu(bytearray(encoded)) == pdu
    assert decode_pdu(memoryview(encoded)) == pdu
    assert encode_pdu(decode_pdu(encoded)) == encoded


@settings(max_examples=100, deadline=None)
@given(all_pdus)
def test_pdu_length_field_counts_the_bytes_after_the_header(pdu: PDU) -> None:
    encoded = encode_pdu(pdu)
    assert encoded[0] == pdu.pdu_type
    assert struct.unpack_from(">I", encoded, 2)[0] == len(encoded) - 6


# -- known bytes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pdu", "expected"),
    [
        (AReleaseRQ(), "05 00 00000004 00000000"),
        (AReleaseRP(), "06 00 00000004 00000000"),
        (AAbort(2, 6), "07 00 00000004 0000 02 06"),
        (AAssociateRJ(1, 1, 7), "03 00 00000004 00 01 01 07"),
        (
            PDataTF((PresentationDataValue(3, True, True, b"\xab\xcd"),)),
            "04 00 00000008 00000004 03 03 abcd",
        ),
        (
            PDataTF(
                (
                    PresentationDataValue(1, False, False, b""),
                    PresentationDataValue(5, False, True, b"\x01"),
                )
            ),
            "04 00 0000000d 00000002 01 00 00000003 05 02 01",
        ),
    ],
)
def test_fixed_layouts(pdu: PDU, expected: str) -> None:
    assert encode_pdu(pdu) == bytes.fromhex(expected)
    assert decode_pdu(bytes.fromhex(expected)) == pdu


def _associate_rq(**changes: object) -> AAssociateRQ:
    fields: dict[str, object] = {
        "called_ae_title": "STORESCP",
        "calling_ae_title": "ME",
        "presentation_contexts": (
            PresentationContextRQItem(1, VERIFICATION, (IMPLICIT_LE, EXPLICIT_LE)),
        ),
        "user_information": (MaximumLengthItem(16382), ImplementationClassUIDItem("1.2.3.4")),
    }
    fields.update(changes)
    return AAssociateRQ(**fields)  # type: ignore[arg-type]


def test_associate_rq_layout() -> None:
    encoded = encode_pdu(_associate_rq())
    assert encoded[:10] == bytes.fromhex("01 00") + struct.pack(">I", len(encoded) - 6) + bytes(
        (0, 1, 0, 0)
    )
    assert encoded[10:26] == b"STORESCP        "
    assert encoded[26:42] == b"ME" + b" " * 14
    assert encoded[42:74] == bytes(32)
    application_context = b"1.2.840.10008.3.1.1.1"
    assert encoded[74:78] == bytes((0x10, 0, 0, len(application_context)))
    assert encoded[78 : 78 + len(application_context)] == application_context
    context = encoded[78 + len(application_context) :]
    assert context[0] == 0x20
    assert context[4:8] == bytes((1, 0, 0, 0))
    assert context[8:12] == bytes((0x30, 0, 0, len(VERIFICATION)))


def test_ae_titles_are_space_padded_and_stripped() -> None:
    encoded = bytearray(encode_pdu(_associate_rq(called_ae_title="AB")))
    assert encoded[10:26] == b"AB" + b" " * 14
    encoded[10:26] = b"  AB            "
    decoded = decode_pdu(encoded)
    assert isinstance(decoded, AAssociateRQ)
    assert decoded.called_ae_title == "AB"


def test_ae_title_over_16_bytes_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="16"):
        encode_pdu(_associate_rq(called_ae_title="A" * 17))


def test_values_too_large_for_their_field_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        encode_pdu(AAbort(256, 0))
    with pytest.raises(ValueError):
        encode_pdu(_associate_rq(user_information=(UserIdentityACItem(b"x" * 70000),)))
    with pytest.raises(TypeError):
        encode_pdu("not a pdu")  # type: ignore[arg-type]


def _uid_item_offset(encoded: bytes | bytearray, uid: str) -> int:
    return encoded.index(uid.encode()) - 4


def test_one_trailing_nul_of_a_uid_is_padding() -> None:
    rq = _associate_rq(
        presentation_contexts=(PresentationContextRQItem(1, "1.2.3", (IMPLICIT_LE,)),)
    )
    encoded = bytearray(encode_pdu(rq))
    offset = _uid_item_offset(encoded, "1.2.3")
    encoded[offset + 4 + 5 : offset + 4 + 5] = b"\x00"
    encoded[offset + 3] += 1
    context_offset = offset - 8
    encoded[context_offset + 3] += 1
    struct.pack_into(">I", encoded, 2, len(encoded) - 6)
    assert decode_pdu(encoded) == rq


def test_pdv_data_is_a_view_of_the_input() -> None:
    buffer = bytearray(encode_pdu(PDataTF((PresentationDataValue(1, False, True, b"abcd"),))))
    decoded = decode_pdu(buffer)
    assert isinstance(decoded, PDataTF)
    data = decoded.pdvs[0].data
    assert isinstance(data, memoryview)
    buffer[-1] = ord("z")
    assert bytes(data) == b"abcz"


def test_message_control_header_bits() -> None:
    for control, is_command, is_last in [(0, False, False), (1, True, False), (2, False, True)]:
        decoded = decode_pdu(bytes.fromhex(f"04 00 00000006 00000002 07 {control:02x}"))
        assert decoded == PDataTF((PresentationDataValue(7, is_command, is_last, b""),))
    # Reserved bits 2-7 are not tested.
    decoded = decode_pdu(bytes.fromhex("04 00 00000006 00000002 07 fd"))
    assert decoded == PDataTF((PresentationDataValue(7, True, False, b""),))


def test_reserved_fields_are_ignored() -> None:
    rq = _associate_rq()
    encoded = bytearray(encode_pdu(rq))
    encoded[1] = 0xFF
    encoded[8:10] = b"\xff\xff"
    encoded[42:74] = b"\xee" * 32
    context = encoded.index(b"\x20\x00")
    encoded[context + 5 : context + 8] = b"\xaa\xbb\xcc"
    assert decode_pdu(encoded) == rq
    assert decode_pdu(bytes.fromhex("05 ff 00000004 deadbeef")) == AReleaseRQ()
    assert decode_pdu(bytes.fromhex("06 01 00000004 01020304")) == AReleaseRP()
    assert decode_pdu(bytes.fromhex("03 07 00000004 09 02 03 02")) == AAssociateRJ(2, 3, 2)


def test_protocol_version_is_kept_as_sent() -> None:
    # Only bit 0 is tested, and by the DUL (which answers with an A-ASSOCIATE-RJ).
    rq = _associate_rq(protocol_version=0xFFFE)
    assert decode_pdu(encode_pdu(rq)) == rq


def test_unknown_user_information_sub_items_are_dropped() -> None:
    rq = _associate_rq()
    encoded = bytearray(encode_pdu(rq))
    user_information = encoded.rindex(b"\x50\x00")
    unknown = bytes((0x5F, 0, 0, 3)) + b"xyz" + bytes((0x30, 0, 0, 0))
    encoded[user_information + 4 : user_information + 4] = unknown
    struct.pack_into(
        ">H",
        encoded,
        user_information + 2,
        struct.unpack_from(">H", encoded, user_information + 2)[0] + len(unknown),
    )
    struct.pack_into(">I", encoded, 2, len(encoded) - 6)
    assert decode_pdu(encoded) == rq


def test_associate_rq_without_user_information_item() -> None:
    rq = _associate_rq(user_information=())
    encoded = bytearray(encode_pdu(rq))
    assert encoded[-4:] == bytes((0x50, 0, 0, 0))
    del encoded[-4:]
    struct.pack_into(">I", encoded, 2, len(encoded) - 6)
    assert decode_pdu(encoded) == rq


def test_every_user_information_sub_item_round_trips() -> None:
    subs: tuple[UserInformationSubItem, ...] = (
        MaximumLengthItem(0),
        ImplementationClassUIDItem("1.2.826.0.1.3680043.9.7433.1.1"),
        ImplementationVersionNameItem("DICOMACTORS_010"),
        AsynchronousOperationsWindowItem(0, 1),
        RoleSelectionItem("1.2.840.10008.5.1.4.1.1.2", False, True),
        SOPClassExtendedNegotiationItem("1.2.840.10008.5.1.4.1.2.1.1", b"\x01\x00\x01"),
        SOPClassCommonExtendedNegotiationItem(
            "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.4.2", ("1.2.3", "1.2.4")
        ),
        SOPClassCommonExtendedNegotiationItem("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.4.2"),
        *(UserIdentityRQItem(kind, True, b"primary", b"") for kind in (1, 3, 4, 5)),
        UserIdentityRQItem(2, False, b"user", b"secret"),
        UserIdentityACItem(b"token"),
        UserIdentityACItem(b""),
    )
    rq = _associate_rq(user_information=subs)
    assert decode_pdu(encode_pdu(rq)) == rq
    ac = AAssociateAC("A", "B", (), subs)
    assert decode_pdu(encode_pdu(ac)) == ac


def test_rejected_context_transfer_syntax_is_not_tested() -> None:
    ac = AAssociateAC(
        "SCP",
        "SCU",
        (
            PresentationContextACItem(1, 0, IMPLICIT_LE),
            PresentationContextACItem(3, 3, None),
            PresentationContextACItem(5, 4, EXPLICIT_LE),
        ),
    )
    encoded = encode_pdu(ac)
    # None goes out as an empty transfer syntax sub-item, as most implementations send it.
    assert bytes((0x21, 0, 0, 8, 3, 0, 3, 0, 0x40, 0, 0, 0)) in encoded
    assert decode_pdu(encoded) == ac
    # A rejected context whose transfer syntax sub-item is missing or garbage still decodes.
    garbage = bytearray(encoded)
    index = garbage.index(bytes((0x21, 0, 0, 8, 3, 0, 3, 0, 0x40, 0, 0, 0)))
    del garbage[index + 8 : index + 12]
    garbage[index + 3] = 4
    struct.pack_into(">I", garbage, 2, len(garbage) - 6)
    assert decode_pdu(garbage) == ac


def test_associate_ac_ae_titles_are_not_tested() -> None:
    encoded = bytearray(encode_pdu(AAssociateAC("SCP", "SCU", ())))
    encoded[10:26] = b" " * 16
    encoded[26:42] = b"\x00" * 16
    decoded = decode_pdu(encoded)
    assert isinstance(decoded, AAssociateAC)
    assert decoded.called_ae_title == ""
    # Shown as printable ASCII so that the value can always be encoded again.
    assert decoded.calling_ae_title == "?" * 16
    assert decode_pdu(encode_pdu(decoded)) == decoded


def _refused(data: bytes | bytearray, abort_reason: int) -> PDUDecodeError:
    with pytest.raises(PDUDecodeError) as info:
        decode_pdu(data)
    assert info.value.abort_reason == abort_reason, info.value
    return info.value


def _patched(pdu: PDU, old: bytes, new: bytes) -> bytearray:
    encoded = bytearray(encode_pdu(pdu))
    index = encoded.index(old)
    encoded[index : index + len(old)] = new
    struct.pack_into(">I", encoded, 2, len(encoded) - 6)
    return encoded


def test_accepted_context_needs_a_transfer_syntax() -> None:
    ac = AAssociateAC("SCP", "SCU", (PresentationContextACItem(1, 0, IMPLICIT_LE),))
    encoded = _patched(ac, IMPLICIT_LE.encode(), b"")
    encoded[encoded.index(b"\x40\x00") + 3] = 0
    _refused(encoded, 6)


def test_undefined_context_result_is_refused() -> None:
    ac = AAssociateAC("SCP", "SCU", (PresentationContextACItem(1, 5, IMPLICIT_LE),))
    _refused(encode_pdu(ac), 6)


def test_abstract_syntax_in_an_ac_context_is_unexpected() -> None:
    ac = AAssociateAC("SCP", "SCU", (PresentationContextACItem(1, 0, IMPLICIT_LE),))
    encoded = bytearray(encode_pdu(ac))
    encoded[encoded.index(b"\x40\x00")] = 0x30
    _refused(encoded, 5)


def test_unknown_sub_item_in_a_context_is_unrecognized() -> None:
    encoded = bytearray(encode_pdu(_associate_rq()))
    encoded[encoded.index(b"\x40\x00")] = 0x41
    _refused(encoded, 4)


def test_second_application_context_is_unexpected() -> None:
    rq = _associate_rq()
    application_context = b"\x10\x00\x00\x151.2.840.10008.3.1.1.1"
    _refused(_patched(rq, application_context, application_context * 2), 5)


def test_second_abstract_syntax_is_unexpected() -> None:
    rq = _associate_rq()
    abstract = bytes((0x30, 0, 0, len(VERIFICATION))) + VERIFICATION.encode()
    encoded = _patched(rq, abstract, abstract * 2)
    context = encoded.index(b"\x20\x00")
    encoded[context + 3] += len(abstract)
    _refused(encoded, 5)


@pytest.mark.parametrize(
    ("sub_item", "reason"),
    [
        (bytes.fromhex("51 00 0002 0000"), "maximum length"),
        (bytes.fromhex("53 00 0002 0000"), "asynchronous"),
        (bytes.fromhex("55 00 0000"), "version name"),
        (bytes.fromhex("55 00 0011") + b"A" * 17, "version name"),
        (bytes.fromhex("54 00 0007 0003") + b"1.2" + bytes((2, 0)), "SCU role"),
        (bytes.fromhex("54 00 0008 0003") + b"1.2" + bytes((1, 0, 0)), "role selection"),
        (bytes.fromhex("54 00 0004 0009") + b"1.2", "overruns"),
        (bytes.fromhex("56 00 0001 00"), "truncated"),
        (bytes.fromhex("57 00 0007 0003") + b"1.2" + bytes.fromhex("0000"), "empty"),
        (
            bytes.fromhex("57 00 000e 0003")
            + b"1.2"
            + bytes.fromhex("0003")
            + b"1.3"
            + bytes.fromhex("0001 00"),
            "overruns",
        ),
        (bytes.fromhex("58 00 0006 06 00 0000 0000"), "identity type 6"),
        (bytes.fromhex("58 00 0006 01 02 0000 0000"), "positive response"),
        (bytes.fromhex("58 00 0007 01 00 0000 0000 ff"), "bytes after"),
        (bytes.fromhex("58 00 0004 01 00 0000"), "shorter"),
        (bytes.fromhex("59 00 0003 0000 ff"), "bytes after"),
        (bytes.fromhex("52 00 0041") + b"1" * 65, "longer than 64"),
    ],
)
def test_invalid_user_information_sub_items(sub_item: bytes, reason: str) -> None:
    rq = _associate_rq(user_information=(MaximumLengthItem(16382),))
    old = bytes.fromhex("50 00 0008 51 00 0004 00003ffe")
    new = bytes((0x50, 0, 0, len(sub_item))) + sub_item
    error = _refused(_patched(rq, old, new), 6)
    assert reason in error.reason


def test_non_ascii_values_are_refused() -> None:
    _refused(_patched(_associate_rq(), b"STORESCP", b"STORE\xc3\xa9P"), 6)
    _refused(_patched(_associate_rq(), b"1.2.3.4", b"1.2.\xff.4"), 6)


def test_short_and_unknown_headers() -> None:
    for data in (b"", b"\x01", b"\x04\x00\x00\x00\x00"):
        _refused(data, 6)
    _refused(bytes.fromhex("00 00 00000004 00000000"), 1)
    _refused(bytes.fromhex("ff 00 00000004 00000000"), 1)
    error = _refused(bytes.fromhex("05 00 00000005 00000000"), 6)
    assert error.offset == 2
    _refused(bytes.fromhex("05 00 00000004 00000000 00"), 6)


@pytest.mark.parametrize("pdu", [_associate_rq(), AAssociateAC("SCP", "SCU", ())])
def test_every_truncation_is_refused_or_decodes(pdu: PDU) -> None:
    encoded = encode_pdu(pdu)
    for size in range(len(encoded)):
        truncated = bytearray(encoded[:size])
        _refused(truncated, 6)
        if size >= 6:
            struct.pack_into(">I", truncated, 2, size - 6)
            try:
                decode_pdu(truncated)
            except PDUDecodeError:
                pass
