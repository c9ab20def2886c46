"""Presentation context and role negotiation, with pynetdicom's negotiation as the oracle."""

from __future__ import annotations

import itertools

import pynetdicom.presentation as pnd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomactors.negotiation import (
    agree_roles,
    assign_context_ids,
    negotiate_as_acceptor,
    negotiate_as_requestor,
)
from dicomactors.pdu.items import (
    ContextResult,
    PresentationContextACItem,
    PresentationContextRQItem,
    RoleSelectionItem,
)
from dicomactors.presentation import PresentationContext, build_context
from dicomactors.syntax_choice import TransferSyntaxChoice
from dicomactors.uids import DEFAULT_TRANSFER_SYNTAXES

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
UNSUPPORTED = "1.2.840.10008.5.1.4.1.1.7"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
JPEG = "1.2.840.10008.1.2.4.50"

ABSTRACT_POOL = [VERIFICATION, CT, MR, UNSUPPORTED]
TRANSFER_POOL = [IMPLICIT, EXPLICIT, BIG, JPEG]
ROLE_VALUES = [None, True, False]


def _supported(
    abstract: str, syntaxes: list[str], scu: bool | None = None, scp: bool | None = None
) -> PresentationContext:
    context = build_context(abstract, syntaxes)
    context.scu_role, context.scp_role = scu, scp
    return context


def _pnd_context(
    context_id: int | None,
    abstract: str,
    syntaxes: list[str],
    scu: bool | None = None,
    scp: bool | None = None,
    result: int | None = None,
) -> pnd.PresentationContext:
    context = pnd.PresentationContext()
    context.context_id = context_id
    context.abstract_syntax = abstract
    context.transfer_syntax = list(syntaxes)
    context.scu_role, context.scp_role = scu, scp
    context.result = result
    return context


# -- acceptor ----------------------------------------------------------------


def test_acceptor_results_0_3_4() -> None:
    rq = [
        PresentationContextRQItem(1, VERIFICATION, (EXPLICIT, IMPLICIT)),
        PresentationContextRQItem(3, UNSUPPORTED, (IMPLICIT,)),
        PresentationContextRQItem(5, CT, (JPEG,)),
    ]
    supported = [_supported(VERIFICATION, [IMPLICIT, EXPLICIT]), _supported(CT, [IMPLICIT])]
    ac_items, accepted, roles = negotiate_as_acceptor(rq, supported)
    assert ac_items == (
        PresentationContextACItem(1, ContextResult.ACCEPTANCE, EXPLICIT),
        PresentationContextACItem(3, ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED, IMPLICIT),
        PresentationContextACItem(5, ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED, JPEG),
    )
    assert [(cx.context_id, cx.transfer_syntax, cx.as_scu, cx.as_scp) for cx in accepted] == [
        (1, [EXPLICIT], False, True)
    ]
    assert roles == ()


@pytest.mark.parametrize(
    ("proposed", "choice", "expected"),
    [
        ((EXPLICIT, IMPLICIT), TransferSyntaxChoice.REQUESTOR, EXPLICIT),
        ((IMPLICIT, EXPLICIT), TransferSyntaxChoice.REQUESTOR, IMPLICIT),
        ((EXPLICIT, IMPLICIT), TransferSyntaxChoice.ACCEPTOR, IMPLICIT),
        ((IMPLICIT, EXPLICIT), TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT, EXPLICIT),
        ((EXPLICIT, IMPLICIT), TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT, EXPLICIT),
        ((IMPLICIT,), TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT, IMPLICIT),
        ((JPEG, IMPLICIT, EXPLICIT), TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT, JPEG),
    ],
)
def test_acceptor_transfer_syntax_choice(
    proposed: tuple[str, ...], choice: TransferSyntaxChoice, expected: str
) -> None:
    rq = [PresentationContextRQItem(1, CT, proposed)]
    supported = [_supported(CT, [IMPLICIT, EXPLICIT, JPEG])]
    ours = negotiate_as_acceptor(rq, supported, transfer_syntax_choice=choice)[0][0]
    assert ours.transfer_syntax == expected


def test_acceptor_takes_explicit_over_implicit_by_default() -> None:
    """The seed's default lists on both sides: Implicit VR LE first, Explicit VR LE accepted."""
    rq = [PresentationContextRQItem(1, CT, tuple(DEFAULT_TRANSFER_SYNTAXES))]
    supported = [_supported(CT, list(DEFAULT_TRANSFER_SYNTAXES))]
    assert negotiate_as_acceptor(rq, supported)[0][0].transfer_syntax == EXPLICIT


def test_acceptor_does_not_mutate_inputs_and_sorts_by_id() -> None:
    supported = [_supported(CT, [IMPLICIT], scu=True, scp=False)]
    before = [cx.copy() for cx in supported]
    rq = [
        PresentationContextRQItem(5, CT, (IMPLICIT,)),
        PresentationContextRQItem(1, CT, (IMPLICIT,)),
    ]
    ac_items, accepted, _ = negotiate_as_acceptor(rq, supported, {CT: (True, True)})
    assert supported == before
    assert [item.context_id for item in ac_items] == [1, 5]
    assert [cx.context_id for cx in accepted] == [1, 5]


def test_acceptor_ignores_repeated_context_ids() -> None:
    rq = [
        PresentationContextRQItem(1, CT, (IMPLICIT,)),
        PresentationContextRQItem(1, MR, (IMPLICIT,)),
    ]
    ac_items, _, _ = negotiate_as_acceptor(rq, [_supported(CT, [IMPLICIT])])
    assert ac_items == (PresentationContextACItem(1, ContextResult.ACCEPTANCE, IMPLICIT),)


def test_acceptor_with_nothing_supported_and_nothing_requested() -> None:
    assert negotiate_as_acceptor([], [_supported(CT, [IMPLICIT])]) == ((), [], ())
    ac_items, accepted, _ = negotiate_as_acceptor(
        [PresentationContextRQItem(1, CT, (IMPLICIT,))], []
    )
    assert ac_items[0].result == ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED
    assert accepted == []


def test_role_rejection_is_user_rejection() -> None:
    rq = [PresentationContextRQItem(1, CT, (IMPLICIT,))]
    # Requestor wants to be SCP only; acceptor does not allow that.
    ac_items, accepted, roles = negotiate_as_acceptor(
        rq, [_supported(CT, [IMPLICIT], scu=True, scp=False)], {CT: (False, True)}
    )
    assert ac_items[0].result == ContextResult.USER_REJECTION
    assert accepted == [] and roles == ()


def test_role_reply_for_c_get_storage() -> None:
    rq = [PresentationContextRQItem(1, CT, (IMPLICIT,))]
    _, accepted, roles = negotiate_as_acceptor(
        rq, [_supported(CT, [IMPLICIT], scu=True, scp=True)], {CT: (False, True)}
    )
    assert roles == (RoleSelectionItem(CT, False, True),)
    # The acceptor acts as SCU (it sends C-STORE to the requestor).
    assert (accepted[0].as_scu, accepted[0].as_scp) == (True, False)


def test_agree_roles_is_table_d3_11() -> None:
    # Requestor proposal x acceptor settings -> requestor's roles (PS3.7 Table D.3-11).
    assert agree_roles(None, (True, True)) is None
    assert agree_roles((True, True), (None, True)) is None
    assert agree_roles((True, True), (True, True)) == (True, True)
    assert agree_roles((True, True), (False, True)) == (False, True)
    assert agree_roles((True, False), (False, True)) == (False, False)
    assert agree_roles((False, True), (True, False)) == (False, False)


def _pnd_acceptor_outcome(
    rq: list[PresentationContextRQItem],
    supported: list[PresentationContext],
    roles: dict[str, tuple[bool, bool]],
) -> tuple[
    dict[int, tuple[int, str | None, bool | None, bool | None]], set[tuple[str, bool, bool]]
]:
    pnd_rq = [_pnd_context(i.context_id, i.abstract_syntax, list(i.transfer_syntaxes)) for i in rq]
    pnd_ac = [
        _pnd_context(
            None,
            str(cx.abstract_syntax),
            [str(t) for t in cx.transfer_syntax],
            cx.scu_role,
            cx.scp_role,
        )
        for cx in supported
    ]
    results, role_items = pnd.negotiate_as_acceptor(pnd_rq, pnd_ac, dict(roles) or None)  # type: ignore[arg-type]
    outcome = {}
    for cx in results:
        accepted = cx.result == 0
        outcome[int(cx.context_id or 0)] = (
            int(cx.result or 0),
            str(cx.transfer_syntax[0]) if accepted else None,
            cx.as_scu if accepted else None,
            cx.as_scp if accepted else None,
        )
    return outcome, {(str(r.sop_class_uid), bool(r.scu_role), bool(r.scp_role)) for r in role_items}


def _our_acceptor_outcome(
    rq: list[PresentationContextRQItem],
    supported: list[PresentationContext],
    roles: dict[str, tuple[bool, bool]],
) -> tuple[
    dict[int, tuple[int, str | None, bool | None, bool | None]], set[tuple[str, bool, bool]]
]:
    ac_items, accepted, role_items = negotiate_as_acceptor(
        rq, supported, roles, transfer_syntax_choice=TransferSyntaxChoice.ACCEPTOR
    )
    by_id = {cx.context_id: cx for cx in accepted}
    outcome = {}
    for item in ac_items:
        cx = by_id.get(item.context_id)
        outcome[item.context_id] = (
            int(item.result),
            item.transfer_syntax if cx else None,
            cx.as_scu if cx else None,
            cx.as_scp if cx else None,
        )
    return outcome, {(r.sop_class_uid, r.scu_role, r.scp_role) for r in role_items}


PROPOSALS = [None, (True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize(
    ("proposal", "acceptor_roles"),
    list(itertools.product(PROPOSALS, itertools.product(ROLE_VALUES, ROLE_VALUES))),
)
def test_every_role_cell_matches_pynetdicom(
    proposal: tuple[bool, bool] | None, acceptor_roles: tuple[bool | None, bool | None]
) -> None:
    rq = [
        PresentationContextRQItem(1, CT, (IMPLICIT,)),
        PresentationContextRQItem(3, MR, (EXPLICIT,)),
    ]
    supported = [_supported(CT, [IMPLICIT], *acceptor_roles), _supported(MR, [IMPLICIT])]
    roles = {} if proposal is None else {CT: proposal}
    assert _our_acceptor_outcome(rq, supported, roles) == _pnd_acceptor_outcome(
        rq, supported, roles
    )


rq_strategy = st.lists(
    st.tuples(
        st.sampled_from(ABSTRACT_POOL),
        st.lists(st.sampled_from(TRANSFER_POOL), min_size=1, max_size=4, unique=True),
    ),
    max_size=8,
)
supported_strategy = st.lists(
    st.tuples(
        st.sampled_from(ABSTRACT_POOL[:3]),
        st.lists(st.sampled_from(TRANSFER_POOL), min_size=1, max_size=4, unique=True),
        st.sampled_from(ROLE_VALUES),
        st.sampled_from(ROLE_VALUES),
    ),
    max_size=3,
    unique_by=lambda entry: entry[0],
)
roles_strategy = st.dictionaries(
    st.sampled_from(ABSTRACT_POOL), st.tuples(st.booleans(), st.booleans()), max_size=3
)


@settings(max_examples=300, deadline=None)
@given(rq_strategy, supported_strategy, roles_strategy)
def test_acceptor_matches_pynetdicom_on_random_requests(
    rq_spec: list[tuple[str, list[str]]],
    supported_spec: list[tuple[str, list[str], bool | None, bool | None]],
    roles: dict[str, tuple[bool, bool]],
) -> None:
    rq = [PresentationContextRQItem(2 * i + 1, a, tuple(ts)) for i, (a, ts) in enumerate(rq_spec)]
    supported = [_supported(a, ts, scu, scp) for a, ts, scu, scp in supported_spec]
    assert _our_acceptor_outcome(rq, supported, roles) == _pnd_acceptor_outcome(
        rq, supported, roles
    )


# -- requestor ---------------------------------------------------------------


def test_requestor_fills_results_syntax_and_roles() -> None:
    requested = assign_context_ids(
        [
            build_context(VERIFICATION),
            build_context(CT),
            build_context(MR),
            build_context(UNSUPPORTED),
        ]
    )
    requested[1].scu_role, requested[1].scp_role = False, True
    ac_items = [
        PresentationContextACItem(1, ContextResult.ACCEPTANCE, EXPLICIT),
        PresentationContextACItem(3, ContextResult.ACCEPTANCE, IMPLICIT),
        PresentationContextACItem(5, ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED, None),
    ]
    result = negotiate_as_requestor(requested, ac_items, [RoleSelectionItem(CT, False, True)])
    summary = [
        (cx.context_id, cx.result, cx.transfer_syntax, cx.as_scu, cx.as_scp) for cx in result
    ]
    assert summary == [
        (1, 0, [EXPLICIT], True, False),
        (3, 0, [IMPLICIT], False, True),
        (5, 4, [], False, False),
        (7, 2, [], False, False),  # left out by the acceptor
    ]
    assert requested[0].result is None  # inputs untouched


def test_requestor_accept_without_transfer_syntax_is_not_usable() -> None:
    requested = assign_context_ids([build_context(CT)])
    result = negotiate_as_requestor(requested, [PresentationContextACItem(1, 0, None)])
    assert result[0].result == ContextResult.NO_REASON


def test_requestor_proposed_roles_mapping_overrides_contexts() -> None:
    requested = assign_context_ids([build_context(CT)])
    ac = [PresentationContextACItem(1, 0, IMPLICIT)]
    reply = [RoleSelectionItem(CT, True, True)]
    (cx,) = negotiate_as_requestor(requested, ac, reply, proposed_roles={CT: (True, True)})
    assert (cx.as_scu, cx.as_scp) == (True, True)
    (cx,) = negotiate_as_requestor(requested, ac, reply)  # we proposed nothing
    assert (cx.as_scu, cx.as_scp) == (True, False)


def test_requestor_needs_ids() -> None:
    with pytest.raises(ValueError, match="context_id"):
        negotiate_as_requestor([build_context(CT)], [])


@settings(max_examples=300, deadline=None)
@given(rq_strategy, supported_strategy, st.data())
def test_requestor_matches_pynetdicom_and_agrees_with_acceptor(
    rq_spec: list[tuple[str, list[str]]],
    supported_spec: list[tuple[str, list[str], bool | None, bool | None]],
    data: st.DataObject,
) -> None:
    proposals = {a: data.draw(st.sampled_from(PROPOSALS)) for a, _ in rq_spec}
    requested = assign_context_ids([build_context(a, ts) for a, ts in rq_spec])
    for cx in requested:
        proposal = proposals[str(cx.abstract_syntax)]
        if proposal is not None:
            cx.scu_role, cx.scp_role = proposal
    roles = {a: p for a, p in proposals.items() if p is not None}
    supported = [_supported(a, ts, scu, scp) for a, ts, scu, scp in supported_spec]

    ac_items, accepted, role_items = negotiate_as_acceptor(
        [cx.to_rq_item() for cx in requested], supported, roles
    )
    ours = negotiate_as_requestor(requested, ac_items, role_items)
    if not requested:
        assert ours == []
        return  # pynetdicom refuses an empty request

    pnd_rq = [
        _pnd_context(
            cx.context_id,
            str(cx.abstract_syntax),
            [str(t) for t in cx.transfer_syntax],
            cx.scu_role,
            cx.scp_role,
        )
        for cx in requested
    ]
    pnd_ac = [
        _pnd_context(
            i.context_id,
            "1.2.3",
            [i.transfer_syntax] if i.transfer_syntax else [],
            result=int(i.result),
        )
        for i in ac_items
    ]
    pnd_roles = {r.sop_class_uid: (r.scu_role, r.scp_role) for r in role_items}
    theirs = pnd.negotiate_as_requestor(pnd_rq, pnd_ac, pnd_roles or None)  # type: ignore[arg-type]

    acceptor_side = {cx.context_id: cx for cx in accepted}
    assert [cx.context_id for cx in ours] == [cx.context_id for cx in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.result == other.result
        if mine.result == 0:
            assert mine.transfer_syntax == other.transfer_syntax
            assert (mine.as_scu, mine.as_scp) == (other.as_scu, other.as_scp)
            peer = acceptor_side[mine.context_id]
            # Each side's SCU role is the other's SCP role.
            assert (mine.as_scu, mine.as_scp) == (peer.as_scp, peer.as_scu)


# -- context IDs -------------------------------------------------------------


def test_assign_context_ids_odd_from_one() -> None:
    contexts = [build_context(VERIFICATION) for _ in range(128)]
    numbered = assign_context_ids(contexts)
    assert [cx.context_id for cx in numbered] == list(range(1, 256, 2))
    assert all(cx.context_id is None for cx in contexts)


def test_assign_context_ids_rejects_more_than_128() -> None:
    with pytest.raises(ValueError, match="at most 128"):
        assign_context_ids([build_context(VERIFICATION) for _ in range(129)])
