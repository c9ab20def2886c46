"""``presentation.negotiate_*`` answer as pynetdicom's functions of the same names do.

pynetdicom's functions are the oracle: the same requested and supported
contexts and role proposals go to both, and the results are compared context
by context (result, transfer syntax, roles) and role reply by role reply.
"""

from __future__ import annotations

from typing import Any

import pynetdicom.presentation as pnd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomactors import presentation

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SC = "1.2.840.10008.5.1.4.1.1.7"
FIND = "1.2.840.10008.5.1.4.1.2.2.1"
PRIVATE = "1.2.3.4.5"
TRANSFER_POOL = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]
ROLES = [None, True, False]
PROPOSALS = st.sampled_from([None, (True, True), (True, False), (False, True), (False, False)])


def _make(module: Any, cid: int | None, syntax: str, ts: list[Any], scu: Any, scp: Any) -> Any:
    context = module.PresentationContext()
    context.context_id = cid
    context.abstract_syntax = syntax
    context.transfer_syntax = ts
    context.scu_role, context.scp_role = scu, scp
    return context


def _summary(contexts: list[Any]) -> list[tuple[Any, ...]]:
    out = []
    for cx in contexts:
        accepted = cx.result == 0
        roles = (cx.as_scu, cx.as_scp) if accepted else None
        out.append((cx.context_id, str(cx.abstract_syntax), cx.result, cx.transfer_syntax, roles))
    return out


def _replies(items: list[Any]) -> list[tuple[str, Any, Any]]:
    return [(str(r.sop_class_uid), r.scu_role, r.scp_role) for r in items]


requests = st.lists(
    st.tuples(
        st.sampled_from([VERIFICATION, CT, MR, SC, FIND, PRIVATE]),
        st.lists(st.sampled_from(TRANSFER_POOL), min_size=1, max_size=3, unique=True),
    ),
    min_size=1,
    max_size=8,
)
supported = st.lists(
    st.tuples(
        st.sampled_from([VERIFICATION, CT, MR, FIND]),
        st.lists(st.sampled_from(TRANSFER_POOL), min_size=1, max_size=3, unique=True),
        st.sampled_from(ROLES),
        st.sampled_from(ROLES),
    ),
    max_size=4,
    unique_by=lambda entry: entry[0],
)


def _both(rq_spec: Any, ac_spec: Any, module: Any) -> tuple[list[Any], list[Any]]:
    rq = [_make(module, 2 * i + 1, a, ts, None, None) for i, (a, ts) in enumerate(rq_spec)]
    ac = [_make(module, None, a, ts, scu, scp) for a, ts, scu, scp in ac_spec]
    return rq, ac


@pytest.mark.parametrize("name", ["negotiate_as_acceptor", "negotiate_unrestricted"])
@settings(max_examples=150, deadline=None)
@given(rq_spec=requests, ac_spec=supported, data=st.data())
def test_acceptor_functions_answer_as_pynetdicoms(
    name: str, rq_spec: Any, ac_spec: Any, data: st.DataObject
) -> None:
    proposals = {a: data.draw(PROPOSALS) for a, _ in rq_spec}
    roles = {a: p for a, p in proposals.items() if p is not None} or None
    theirs = getattr(pnd, name)(*_both(rq_spec, ac_spec, pnd), roles)
    ours = getattr(presentation, name)(*_both(rq_spec, ac_spec, presentation), roles)
    assert _summary(ours[0]) == _summary(theirs[0])
    if name == "negotiate_unrestricted":
        # pynetdicom's drops the role replies of the contexts it negotiates as usual
        # (Verification here), though it agreed those roles; ours sends them.
        storage_like = {CT, MR, SC, PRIVATE}
        assert [r for r in _replies(ours[1]) if r[0] in storage_like] == _replies(theirs[1])
    else:
        assert _replies(ours[1]) == _replies(theirs[1])


@settings(max_examples=150, deadline=None)
@given(rq_spec=requests, ac_spec=supported, data=st.data())
def test_requestor_function_reads_an_answer_as_pynetdicoms(
    rq_spec: Any, ac_spec: Any, data: st.DataObject
) -> None:
    """The requestor side reads the acceptor's answer (from pynetdicom) the same way."""
    proposals = {a: data.draw(PROPOSALS) for a, _ in rq_spec}
    roles: Any = {a: p for a, p in proposals.items() if p is not None} or None
    answered, replies = pnd.negotiate_as_acceptor(*_both(rq_spec, ac_spec, pnd), roles)
    dropped = data.draw(st.sets(st.sampled_from([cx.context_id for cx in answered])))
    reply_roles: Any = {str(r.sop_class_uid): (r.scu_role, r.scp_role) for r in replies} or None

    def requested(module: Any) -> list[Any]:
        return [
            _make(module, 2 * i + 1, a, ts, *(proposals[a] or (None, None)))
            for i, (a, ts) in enumerate(rq_spec)
        ]

    def answers(module: Any) -> list[Any]:
        out = []
        for cx in answered:
            if cx.context_id not in dropped:
                out.append(_make(module, cx.context_id, "1.2.3", cx.transfer_syntax, None, None))
                out[-1].result = cx.result
        return out

    theirs = pnd.negotiate_as_requestor(requested(pnd), answers(pnd), reply_roles)
    ours = presentation.negotiate_as_requestor(
        requested(presentation), answers(presentation), reply_roles
    )
    # A context the acceptor left out: pynetdicom keeps the first proposed transfer
    # syntax on it, we keep none (nothing was agreed). Result and roles agree.
    assert [s[:3] + s[4:] for s in _summary(ours)] == [s[:3] + s[4:] for s in _summary(theirs)]
    accepted = [s for s in _summary(ours) if s[2] == 0]
    assert accepted == [s for s in _summary(theirs) if s[2] == 0]


def test_the_functions_keep_pynetdicoms_edge_cases() -> None:
    cx = presentation.build_context(CT)
    cx.context_id = 1
    answered, replies = presentation.negotiate_as_acceptor([cx], [])
    assert [(c.result, c.transfer_syntax) for c in answered] == [(3, [cx.transfer_syntax[0]])]
    assert replies == []
    assert presentation.negotiate_as_acceptor([], [cx]) == ([], [])
    with pytest.raises(ValueError, match="requested contexts"):
        presentation.negotiate_as_requestor([], [cx])
    # The arguments are never changed.
    assert cx.result is None and cx.as_scu is None
