"""The shortcuts of the association core give what the full paths give.

Contexts copied without re-validation, UIDs remembered once valid, A-ASSOCIATE
PDUs remembered once decoded, syntax items remembered once encoded, and the
cached user information: each must be indistinguishable from doing the work
again, and a bad value must still fail as it did.
"""

from __future__ import annotations

import pickle
import warnings

import pytest
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomactors import AE, evt
from dicomactors.aetitle import normalize_ae_title
from dicomactors.negotiation import (
    assign_context_ids,
    base_user_information,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    rejected_contexts,
)
from dicomactors.pdu import decode, items
from dicomactors.pdu.codec import decode_pdu, encode_pdu
from dicomactors.pdu.errors import PDUDecodeError
from dicomactors.pdu.items import (
    AsynchronousOperationsWindowItem,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    PresentationContextRQItem,
    RoleSelectionItem,
    UserIdentityRQItem,
    UserInformationSubItem,
    ordered_user_information,
)
from dicomactors.pdu.pdus import AAssociateAC, AAssociateRQ
from dicomactors.pdu_primitives import (
    SCP_SCU_RoleSelectionNegotiation,
    UserIdentityNegotiation,
    coerce_uid,
)
from dicomactors.presentation import (
    StoragePresentationContexts,
    as_uid,
    build_context,
)
from dicomactors.syntax_choice import TransferSyntaxChoice

VERIFICATION = "1.2.840.10008.1.1"


# -- UIDs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [CTImageStorage, str(CTImageStorage), str(CTImageStorage).encode(), "1.2.3\x00"]
)
def test_as_uid_twice_equals_coerce_uid(value: object) -> None:
    first, second = as_uid(value, "abstract_syntax"), as_uid(value, "abstract_syntax")
    expected = coerce_uid(value, "abstract_syntax")
    assert first == second == expected
    assert type(first) is type(second) is UID
    assert first is not second  # a fresh UID each time, as coerce_uid gives


@pytest.mark.parametrize("value", ["1.2.x", "", "1" * 65, b"\xff", 12])
def test_as_uid_fails_as_coerce_uid_does_even_after_a_valid_uid(value: object) -> None:
    as_uid("1.2.3", "transfer_syntax")
    with pytest.raises((ValueError, TypeError)) as expected:
        coerce_uid(value, "transfer_syntax")
    with pytest.raises(type(expected.value)) as got:
        as_uid(value, "transfer_syntax")
    assert str(got.value) == str(expected.value)


def test_a_uid_pydicom_warns_about_warns_every_time() -> None:
    # Leading zeros pass our check but not pydicom's: never remembered, always warned.
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert as_uid("1.02.3", "abstract_syntax") == "1.02.3"
        assert caught


def test_remembered_uids_are_bounded() -> None:
    from dicomactors import presentation

    for index in range(presentation._KNOWN_UIDS_LIMIT + 10):
        as_uid(f"1.2.999.{index}", "abstract_syntax")
    assert len(presentation._KNOWN_UIDS) <= presentation._KNOWN_UIDS_LIMIT


# -- contexts ------------------------------------------------------------------------


def test_copy_is_separate_and_equal() -> None:
    context = build_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    context.context_id = 5
    context.scu_role, context.scp_role = True, False
    context.result = 0
    context.set_negotiated_roles(True, False)
    copy = context.copy()
    assert copy == context and copy is not context
    copy.transfer_syntax.append(UID("1.2.840.10008.1.2.2"))
    copy.add_transfer_syntax("1.2.840.10008.1.2.1.99")
    assert context.transfer_syntax == [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


@pytest.mark.parametrize("bad", [0, 2, 257])
def test_copy_with_a_bad_context_id_fails_as_the_setter_does(bad: int) -> None:
    with pytest.raises(ValueError, match="odd integer from 1 to 255"):
        build_context(CTImageStorage).copy(bad)


def test_assign_context_ids_numbers_copies_and_keeps_roles() -> None:
    contexts = [build_context(CTImageStorage), build_context(VERIFICATION)]
    contexts[1].scp_role = True
    numbered = assign_context_ids(contexts)
    assert [c.context_id for c in numbered] == [1, 3]
    assert [c.context_id for c in contexts] == [None, None]
    assert numbered[1].scp_role is True and numbered[1].scu_role is None
    assert numbered[0].transfer_syntax == contexts[0].transfer_syntax
    assert numbered[0].transfer_syntax is not contexts[0].transfer_syntax


def test_rq_item_keeps_uids_equal_to_their_text() -> None:
    context = build_context(CTImageStorage, ExplicitVRLittleEndian)
    context.context_id = 1
    item = context.to_rq_item()
    assert item == PresentationContextRQItem(1, str(CTImageStorage), (str(ExplicitVRLittleEndian),))


def test_acceptor_transfer_syntax_choice_answers_with_text() -> None:
    supported = [build_context(CTImageStorage, [ImplicitVRLittleEndian, ExplicitVRLittleEndian])]
    rq = [
        PresentationContextRQItem(1, CTImageStorage, (ExplicitVRLittleEndian, "1.2.840.10008.1.2"))
    ]
    for choice, expected in (
        (TransferSyntaxChoice.REQUESTOR, ExplicitVRLittleEndian),
        (TransferSyntaxChoice.ACCEPTOR, ImplicitVRLittleEndian),
    ):
        items, accepted, _ = negotiate_as_acceptor(rq, supported, transfer_syntax_choice=choice)
        assert items[0].transfer_syntax == expected
        assert type(items[0].transfer_syntax) is str
        assert accepted[0].transfer_syntax == [expected]
        assert accepted[0].abstract_syntax == CTImageStorage


def test_acceptor_does_not_share_the_supported_transfer_syntax_list() -> None:
    supported = [build_context(CTImageStorage, ExplicitVRLittleEndian)]
    rq = [PresentationContextRQItem(1, CTImageStorage, (ExplicitVRLittleEndian,))]
    _, accepted, _ = negotiate_as_acceptor(rq, supported)
    accepted[0].transfer_syntax.append(UID("1.2.840.10008.1.2"))
    assert supported[0].transfer_syntax == [ExplicitVRLittleEndian]


def test_requestor_negotiation_with_a_peer_transfer_syntax() -> None:
    requested = assign_context_ids([build_context(CTImageStorage), build_context(VERIFICATION)])
    ac = decode_pdu(
        encode_pdu(
            AAssociateAC(
                "A",
                "B",
                (
                    items.PresentationContextACItem(1, 0, "1.2.840.10008.1.2.1"),
                    items.PresentationContextACItem(3, 3, None),
                ),
            )
        )
    )
    assert isinstance(ac, AAssociateAC)
    result = negotiate_as_requestor(requested, ac.presentation_contexts)
    assert [(c.context_id, c.result, c.transfer_syntax) for c in result] == [
        (1, 0, ["1.2.840.10008.1.2.1"]),
        (3, 3, []),
    ]
    assert type(result[0].transfer_syntax[0]) is UID
    assert (result[0].as_scu, result[0].as_scp) == (True, False)


# -- A-ASSOCIATE PDUs ----------------------------------------------------------------


def _rq(calling: str = "SCU") -> AAssociateRQ:
    return AAssociateRQ(
        called_ae_title="SCP",
        calling_ae_title=calling,
        presentation_contexts=(
            PresentationContextRQItem(1, str(CTImageStorage), (str(ExplicitVRLittleEndian),)),
        ),
        user_information=(MaximumLengthItem(16382), ImplementationClassUIDItem("1.2.3")),
    )


def test_decoding_the_same_bytes_twice_gives_equal_values() -> None:
    raw = encode_pdu(_rq())
    decode._DECODED_RQ.clear()
    first = decode_pdu(raw)
    second = decode_pdu(bytearray(raw))
    assert first == second == _rq()


def test_a_faulty_pdu_still_fails_after_a_good_one_was_remembered() -> None:
    raw = bytearray(encode_pdu(_rq()))
    decode_pdu(bytes(raw))
    raw[-1] = ord("x")  # the last byte of the implementation class UID
    for _ in range(2):
        with pytest.raises(PDUDecodeError, match="characters other than digits"):
            decode_pdu(bytes(raw))


def test_remembered_pdus_are_bounded() -> None:
    for index in range(decode._DECODED_LIMIT * 2):
        decode_pdu(encode_pdu(_rq(f"SCU{index}")))
    assert len(decode._DECODED_RQ) <= decode._DECODED_LIMIT


def test_uid_read_with_nul_padding_then_without() -> None:
    padded = AAssociateRQ("SCP", "SCU", (PresentationContextRQItem(1, "1.2.3\x00", ("1.2",)),))
    plain = AAssociateRQ("SCP", "SCU", (PresentationContextRQItem(1, "1.2.3", ("1.2",)),))
    for pdu in (padded, plain, padded):
        decoded = decode_pdu(encode_pdu(pdu))
        assert isinstance(decoded, AAssociateRQ)
        assert decoded.presentation_contexts[0].abstract_syntax == "1.2.3"


def test_remembered_syntax_items_encode_as_before() -> None:
    pdu = AAssociateRQ("SCP", "SCU", (PresentationContextRQItem(1, "1.2.3", ("1.2", "1.2")),))
    assert encode_pdu(pdu) == encode_pdu(pdu)
    assert decode_pdu(encode_pdu(pdu)) == pdu
    with pytest.raises(ValueError):
        encode_pdu(AAssociateRQ("SCP", "SCU", (PresentationContextRQItem(1, "1.2.é", ("1.2",)),)))


# -- user information ----------------------------------------------------------------


def test_ordered_user_information_follows_ps3_7() -> None:
    items: list[UserInformationSubItem] = [
        ImplementationVersionNameItem("X"),
        UserIdentityRQItem(1, False, b"user"),
        RoleSelectionItem("1.2", True, True),
        AsynchronousOperationsWindowItem(1, 1),
        ImplementationClassUIDItem("1.2"),
        MaximumLengthItem(0),
    ]
    assert [type(i) for i in ordered_user_information(items)] == [
        MaximumLengthItem,
        ImplementationClassUIDItem,
        AsynchronousOperationsWindowItem,
        RoleSelectionItem,
        ImplementationVersionNameItem,
        UserIdentityRQItem,
    ]
    with pytest.raises(KeyError):
        ordered_user_information([object()])  # type: ignore[list-item,arg-type]


def test_base_user_information() -> None:
    assert base_user_information(0, "1.2", None) == (
        MaximumLengthItem(0),
        ImplementationClassUIDItem("1.2"),
    )
    assert base_user_information(16382, "1.2", "V1")[-1] == ImplementationVersionNameItem("V1")


def test_the_request_pdu_with_and_without_extended_negotiation() -> None:
    ae = AE("ME")
    ae.add_requested_context(CTImageStorage)
    ae.implementation_version_name = "VERSION"
    rq, numbered = ae._request_pdu(None, "PEER", 4096, None)
    assert [type(i) for i in rq.user_information] == [
        MaximumLengthItem,
        ImplementationClassUIDItem,
        ImplementationVersionNameItem,
    ]
    assert rq.maximum_length == 4096
    assert [c.context_id for c in numbered] == [1]
    rq, _ = ae._request_pdu(
        None,
        "PEER",
        4096,
        [
            UserIdentityNegotiation(1, False, b"me"),
            SCP_SCU_RoleSelectionNegotiation(CTImageStorage, True, True),
        ],
    )
    assert [type(i) for i in rq.user_information] == [
        MaximumLengthItem,
        ImplementationClassUIDItem,
        RoleSelectionItem,
        ImplementationVersionNameItem,
        UserIdentityRQItem,
    ]
    # What was requested is not changed by the request.
    assert ae.requested_contexts[0].context_id is None


def test_128_storage_contexts_round_trip() -> None:
    ae = AE("ME")
    ae.requested_contexts = StoragePresentationContexts
    rq, numbered = ae._request_pdu(None, "PEER", 0, None)
    decode._DECODED_RQ.clear()
    decoded = decode_pdu(encode_pdu(rq))
    assert decoded == rq
    assert [c.to_rq_item() for c in numbered] == list(rq.presentation_contexts)


# -- AE titles -----------------------------------------------------------------------


@pytest.mark.parametrize("title", ["A\x00B", "A\x1fB", "A\x7fB"])
def test_control_characters_in_an_ae_title_are_refused(title: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        normalize_ae_title(title)


def test_printable_ae_title_is_kept() -> None:
    assert normalize_ae_title("  A~ !B  ") == "A~ !B"


# -- events --------------------------------------------------------------------------


def test_notification_with_nothing_bound_calls_nothing() -> None:
    calls: list[evt.Event] = []
    empty = evt.HandlerTable()
    evt.trigger_notification(empty, "assoc", evt.EVT_ACSE_RECV, primitive=1)
    other = evt.HandlerTable([evt.Binding(evt.EVT_RELEASED, calls.append)])
    evt.trigger_notification(other, "assoc", evt.EVT_ACSE_RECV, primitive=1)
    assert calls == []
    evt.trigger_notification(other, "assoc", evt.EVT_RELEASED, reason="x")
    assert [(c.assoc, c.event, c.reason) for c in calls] == [("assoc", evt.EVT_RELEASED, "x")]


def test_bindings_found_by_an_equal_event() -> None:
    table = evt.HandlerTable([evt.Binding(evt.EVT_C_STORE, print)])
    twin = pickle.loads(pickle.dumps(evt.EVT_C_STORE))
    assert twin == evt.EVT_C_STORE and hash(twin) == hash(evt.EVT_C_STORE)
    assert table.get(twin)[0].handler is print
    assert evt.EVT_C_STORE != evt.EVT_C_FIND
    assert len({*evt.NOTIFICATION_EVENTS, *evt.INTERVENTION_EVENTS}) == len(
        evt.NOTIFICATION_EVENTS
    ) + len(evt.INTERVENTION_EVENTS)


def test_intervention_defaults() -> None:
    empty = evt.HandlerTable()
    assert evt.trigger_intervention(empty, "assoc", evt.EVT_C_ECHO, request=None) == 0x0000
    default = evt.get_default_handler(evt.EVT_C_ECHO)
    assert default is not None and default(None) == 0x0000
    with pytest.raises(evt.NoHandlerError, match="EVT_C_STORE"):
        evt.trigger_intervention(empty, "assoc", evt.EVT_C_STORE, request=None)


def test_a_bound_echo_handler_gets_its_event() -> None:
    seen: list[tuple[evt.Event, str]] = []

    def handler(event: evt.Event, extra: str) -> int:
        seen.append((event, extra))
        return 0x0122

    table = evt.HandlerTable([evt.Binding(evt.EVT_C_ECHO, handler, ("x",))])
    assert evt.trigger_intervention(table, "assoc", evt.EVT_C_ECHO, request=7) == 0x0122
    assert [(e.assoc, e.event, e.request, extra) for e, extra in seen] == [
        ("assoc", evt.EVT_C_ECHO, 7, "x")
    ]


def test_rejected_contexts_are_what_was_requested_with_the_result() -> None:
    supported = [build_context(CTImageStorage, ExplicitVRLittleEndian)]
    rq = [
        PresentationContextRQItem(1, CTImageStorage, (ExplicitVRLittleEndian,)),
        PresentationContextRQItem(3, CTImageStorage, (ImplicitVRLittleEndian, "1.2.840.10008.1.2")),
        PresentationContextRQItem(5, VERIFICATION, (ImplicitVRLittleEndian,)),
    ]
    items, accepted, _ = negotiate_as_acceptor(rq, supported)
    assert [c.context_id for c in accepted] == [1]
    rejected = rejected_contexts(rq, items)
    assert [(c.context_id, c.abstract_syntax, c.transfer_syntax, c.result) for c in rejected] == [
        (3, CTImageStorage, [ImplicitVRLittleEndian], 4),
        (5, VERIFICATION, [ImplicitVRLittleEndian], 3),
    ]
    assert rejected_contexts(rq[:1], items[:1]) == []
