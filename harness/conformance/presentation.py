"""Presentation contexts and transfer syntaxes (PS3.8 9.3.3.2, PS3.7 D.3.3)."""

from __future__ import annotations

from dicomactors.pdu import (
    PresentationContextRQItem,
    RoleSelectionItem,
)
from harness import behaviours as b
from harness.conformance.core import (
    EXPLICIT,
    IMPLICIT,
    SECONDARY_CAPTURE,
    UNKNOWN_TRANSFER_SYNTAX,
    Verdict,
    accept_pdu,
    context_results,
    negotiate,
    play,
    request_for,
    rq_context,
    scenario,
    verdict_of,
)
from harness.systems import Capability, SystemUnderTest


def _contexts_scenario(
    sut: SystemUnderTest,
    name: str,
    contexts: tuple[PresentationContextRQItem, ...],
    wanted: dict[int, int],
    syntaxes: dict[int, set[str]] | None = None,
) -> Verdict:
    outcome = play(negotiate(request_for(sut, contexts), name), sut)
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC")
    results = context_results(ac)
    got = {cid: result for cid, (result, _) in results.items()}
    seen = "results " + ", ".join(f"{cid}:{got[cid]}" for cid in sorted(got))
    problems = []
    if got != wanted:
        problems.append("expected " + ", ".join(f"{c}:{r}" for c, r in sorted(wanted.items())))
    for cid, allowed in (syntaxes or {}).items():
        chosen = results.get(cid, (None, None))[1]
        if chosen not in allowed:
            problems.append(f"context {cid} accepted with transfer syntax {chosen}")
    return verdict_of(outcome, not problems, "; ".join([seen, *problems]))


@scenario(
    "pc-abstract-syntax-not-supported",
    "A context for an abstract syntax the system does not know gets result 3",
    "PS3.8 9.3.3.2",
    "A-ASSOCIATE-AC: Verification context result 0, unknown abstract syntax result 3",
    group="presentation",
)
def _pc_abstract(sut: SystemUnderTest) -> Verdict:
    contexts = (rq_context(1, b.VERIFICATION), rq_context(3, b.UNACCEPTABLE_ABSTRACT_SYNTAX))
    return _contexts_scenario(sut, "pc-abstract", contexts, {1: 0, 3: 3})


@scenario(
    "pc-transfer-syntaxes-not-supported",
    "A context whose only transfer syntax the system does not know gets result 4",
    "PS3.8 9.3.3.2",
    "A-ASSOCIATE-AC: context 1 result 0, context 3 (unknown transfer syntax) result 4",
    group="presentation",
)
def _pc_transfer(sut: SystemUnderTest) -> Verdict:
    contexts = (
        rq_context(1, b.VERIFICATION),
        rq_context(3, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX),
    )
    return _contexts_scenario(sut, "pc-transfer", contexts, {1: 0, 3: 4})


@scenario(
    "pc-mixed",
    "Accepted, abstract-syntax and transfer-syntax refusals in one request",
    "PS3.8 9.3.3.2",
    "results 1:0, 3:3, 5:4, 7:0 with Implicit VR Little Endian for context 7",
    group="presentation",
)
def _pc_mixed(sut: SystemUnderTest) -> Verdict:
    contexts = (
        rq_context(1, b.VERIFICATION),
        rq_context(3, b.UNACCEPTABLE_ABSTRACT_SYNTAX),
        rq_context(5, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX),
        rq_context(7, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX, IMPLICIT),
    )
    return _contexts_scenario(
        sut, "pc-mixed", contexts, {1: 0, 3: 3, 5: 4, 7: 0}, {1: {IMPLICIT}, 7: {IMPLICIT}}
    )


@scenario(
    "pc-transfer-syntax-from-proposed",
    "The accepted transfer syntax is one of those proposed",
    "PS3.8 9.3.3.2",
    "context accepted with Explicit or Implicit VR Little Endian, never the unknown syntax",
    group="presentation",
)
def _pc_from_proposed(sut: SystemUnderTest) -> Verdict:
    contexts = (rq_context(1, b.VERIFICATION, UNKNOWN_TRANSFER_SYNTAX, EXPLICIT, IMPLICIT),)
    return _contexts_scenario(sut, "pc-from-proposed", contexts, {1: 0}, {1: {EXPLICIT, IMPLICIT}})


@scenario(
    "pc-every-context-answered",
    "Each proposed presentation context is answered once, by its ID",
    "PS3.8 9.3.3, 9.3.3.2",
    "A-ASSOCIATE-AC with one context item for each of IDs 1, 3, 5, 7, 9",
    group="presentation",
)
def _pc_every(sut: SystemUnderTest) -> Verdict:
    contexts = (
        *(rq_context(cid, b.VERIFICATION) for cid in (1, 3, 5, 7)),
        rq_context(9, b.UNACCEPTABLE_ABSTRACT_SYNTAX),
    )
    outcome = play(negotiate(request_for(sut, contexts), "pc-every"), sut)
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC")
    ids = sorted(pc.context_id for pc in ac.presentation_contexts)
    return verdict_of(outcome, ids == [1, 3, 5, 7, 9], f"context IDs answered {ids}")


@scenario(
    "pc-only-unsupported",
    "A request whose only context cannot be accepted",
    "PS3.8 9.3.3.2, 9.3.4",
    "A-ASSOCIATE-AC with context result 3, or an A-ASSOCIATE-RJ (permanent)",
    group="presentation",
)
def _pc_only_unsupported(sut: SystemUnderTest) -> Verdict:
    rq = request_for(sut, (rq_context(1, b.UNACCEPTABLE_ABSTRACT_SYNTAX),))
    outcome = play(negotiate(rq, "pc-only-unsupported"), sut)
    ac = accept_pdu(outcome)
    if ac is not None:
        results = context_results(ac)
        return verdict_of(outcome, results.get(1, (None,))[0] == 3, f"context results {results}")
    return verdict_of(outcome, outcome.reject is not None and outcome.reject[0] == 1)


@scenario(
    "role-selection",
    "SCP/SCU role selection for a storage SOP class is answered within what was proposed",
    "PS3.7 D.3.3.4",
    "A-ASSOCIATE-AC accepting the storage context; a role item, if any, only for that class,"
    " with roles no wider than proposed",
    group="presentation",
    requires=(Capability.STORE,),
)
def _role_selection(sut: SystemUnderTest) -> Verdict:
    contexts = (rq_context(1, b.VERIFICATION), rq_context(3, SECONDARY_CAPTURE, EXPLICIT, IMPLICIT))
    rq = request_for(sut, contexts, extra_items=(RoleSelectionItem(SECONDARY_CAPTURE, True, True),))
    outcome = play(negotiate(rq, "role-selection"), sut)
    ac = accept_pdu(outcome)
    if ac is None:
        return verdict_of(outcome, False, "no A-ASSOCIATE-AC")
    roles = [i for i in ac.user_information if isinstance(i, RoleSelectionItem)]
    problems = [
        f"role item for {i.sop_class_uid}" for i in roles if i.sop_class_uid != SECONDARY_CAPTURE
    ]
    if context_results(ac).get(3, (None,))[0] != 0:
        problems.append("storage context not accepted")
    answered = ", ".join(f"SCU={int(i.scu_role)} SCP={int(i.scp_role)}" for i in roles) or "none"
    return verdict_of(outcome, not problems, "; ".join([f"roles answered: {answered}", *problems]))
