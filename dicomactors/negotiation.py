"""Association negotiation as pure functions: the acceptor's decision, contexts and roles.

:func:`decide` is where an acceptor accepts or rejects an A-ASSOCIATE-RQ
(PS3.8 7.1.1): the association limit, the application context, the called and
calling AE titles, the requestor's user identity, then the presentation
contexts, roles and extended negotiation of the A-ASSOCIATE-AC. What the
user's handlers answered (EVT_USER_ID, EVT_ASYNC_OPS, EVT_SOP_EXTENDED) comes
in as values: the association actor runs them, this module only decides.

PS3.8 9.3.2.2 / 9.3.3.2 define what a requestor proposes and what an acceptor
answers for each presentation context; PS3.7 D.3.3.4 (Table D.3-11) defines
how the roles for an abstract syntax are agreed.  The role rule used by both
sides reduces to: a requestor gets a role only if it proposed it *and* the
acceptor agreed to it, and the acceptor takes the opposite role(s).  A context
on which neither side may act is rejected by the acceptor (result 1).

Nothing here touches a socket or mutates its arguments: items and contexts
come in, fresh items and contexts go out.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from dicomactors.aetitle import AETitle
from dicomactors.pdu.items import (
    DICOM_APPLICATION_CONTEXT,
    AsynchronousOperationsWindowItem,
    ContextResult,
    ImplementationClassUIDItem,
    ImplementationVersionNameItem,
    MaximumLengthItem,
    PresentationContextACItem,
    PresentationContextRQItem,
    RoleSelectionItem,
    SOPClassExtendedNegotiationItem,
    UserIdentityACItem,
    UserIdentityRQItem,
    UserInformationSubItem,
    ordered_user_information,
)
from dicomactors.pdu.pdus import (
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    PresentationRejectReason,
    RejectResult,
    RejectSource,
    ServiceUserRejectReason,
)
from dicomactors.presentation import (
    MAX_PRESENTATION_CONTEXTS,
    PresentationContext,
    RoleProposal,
    accepted_by_acceptor,
    agree_roles,
    answer_context,
    is_storage_like,
    negotiated_by_requestor,
    unrestricted_context,
)
from dicomactors.syntax_choice import (
    DEFAULT_TRANSFER_SYNTAX_CHOICE,
    TransferSyntaxChoice,
)

__all__ = [
    "Accept",
    "AcceptorConfig",
    "Decision",
    "ExtendedAnswers",
    "IdentityVerdict",
    "Reject",
    "RoleProposal",
    "agree_roles",
    "assign_context_ids",
    "base_user_information",
    "decide",
    "negotiate_as_acceptor",
    "negotiate_as_requestor",
    "rejected_contexts",
    "requestor_contexts",
    "screen",
]


def negotiate_as_acceptor(
    rq_items: Sequence[PresentationContextRQItem],
    supported: Sequence[PresentationContext],
    roles: Mapping[str, RoleProposal] | None = None,
    *,
    transfer_syntax_choice: TransferSyntaxChoice = DEFAULT_TRANSFER_SYNTAX_CHOICE,
    unrestricted_storage: bool = False,
) -> tuple[
    tuple[PresentationContextACItem, ...], list[PresentationContext], tuple[RoleSelectionItem, ...]
]:
    """Answer each requested presentation context (PS3.8 9.3.3.2).

    ``supported`` are the local contexts (abstract syntax, transfer syntaxes and
    the role settings ``scu_role``/``scp_role``); ``roles`` maps abstract syntax
    to the (SCU, SCP) roles the requestor proposed for itself.

    The transfer syntax is chosen as ``transfer_syntax_choice`` says
    (:mod:`dicomactors.syntax_choice`). With ``unrestricted_storage`` every
    storage-like context (a storage SOP class, a private or an unknown UID) is
    accepted with its first transfer syntax, supported or not, as pynetdicom's
    ``UNRESTRICTED_STORAGE_SERVICE`` accepts it.

    Returns the AC items in context-ID order, the accepted contexts (as the
    acceptor sees them: ``as_scu``/``as_scp`` are the acceptor's roles) and the
    role selection items to send back, one per abstract syntax, for accepted
    contexts whose roles were negotiated.  Repeated context IDs after the first
    are ignored; the first supported context for an abstract syntax wins.
    """
    roles = roles or {}
    by_syntax: dict[str, PresentationContext] = {}
    for local in supported:
        # A UID is a str: it is its own key.
        if local.abstract_syntax is not None:
            by_syntax.setdefault(local.abstract_syntax, local)

    ac_items: list[PresentationContextACItem] = []
    accepted: list[PresentationContext] = []
    role_items: dict[str, RoleSelectionItem] = {}
    seen_ids: set[int] = set()
    for rq in rq_items:
        if rq.context_id in seen_ids:
            continue
        seen_ids.add(rq.context_id)
        ours = by_syntax.get(rq.abstract_syntax)
        if unrestricted_storage and is_storage_like(rq.abstract_syntax):
            ours = unrestricted_context(rq.abstract_syntax, rq.transfer_syntaxes)
        item, context, agreed = _answer_context(rq, ours, roles, transfer_syntax_choice)
        ac_items.append(item)
        if context is not None:
            accepted.append(context)
            if agreed is not None:
                role_items.setdefault(
                    rq.abstract_syntax, RoleSelectionItem(rq.abstract_syntax, *agreed)
                )

    ac_items.sort(key=_BY_CONTEXT_ID)
    accepted.sort(key=_BY_CONTEXT_ID)
    return tuple(ac_items), accepted, tuple(role_items[uid] for uid in sorted(role_items))


def _answer_context(
    rq: PresentationContextRQItem,
    local: PresentationContext | None,
    roles: Mapping[str, RoleProposal],
    transfer_syntax_choice: TransferSyntaxChoice,
) -> tuple[PresentationContextACItem, PresentationContext | None, tuple[bool, bool] | None]:
    """The AC item for one requested context, the context accepted (or None) and the
    requestor's agreed roles when they were negotiated."""
    answer = answer_context(
        rq.transfer_syntaxes, local, roles.get(rq.abstract_syntax), transfer_syntax_choice
    )
    item = PresentationContextACItem(rq.context_id, answer.result, answer.transfer_syntax)
    if answer.result != _ACCEPTANCE or local is None or answer.transfer_syntax is None:
        return item, None, None
    # The abstract syntax is the supported context's: equal to the requested one.
    context = accepted_by_acceptor(
        local.abstract_syntax,  # type: ignore[arg-type]
        answer.transfer_syntax,
        rq.context_id,
        answer,
    )
    return item, context, answer.requestor_roles


_ACCEPTANCE = ContextResult.ACCEPTANCE
_BY_CONTEXT_ID = attrgetter("context_id")


def rejected_contexts(
    rq_items: Sequence[PresentationContextRQItem],
    ac_items: Sequence[PresentationContextACItem],
) -> list[PresentationContext]:
    """The requested contexts an acceptor's answer did not accept, as the acceptor sees them.

    Each carries its ID, abstract syntax, every transfer syntax that was
    requested and the ``result`` it was given; in the order of ``ac_items``.
    """
    refused = [item for item in ac_items if item.result != _ACCEPTANCE]
    if not refused:
        return []
    requested: dict[int, PresentationContextRQItem] = {}
    for rq in rq_items:
        requested.setdefault(rq.context_id, rq)
    out: list[PresentationContext] = []
    for item in refused:
        rq = requested[item.context_id]
        context = PresentationContext(rq.abstract_syntax, rq.transfer_syntaxes, item.context_id)
        context.result = item.result
        out.append(context)
    return out


def negotiate_as_requestor(
    requested: Sequence[PresentationContext],
    ac_items: Sequence[PresentationContextACItem],
    role_items: Sequence[RoleSelectionItem] = (),
    proposed_roles: Mapping[str, RoleProposal] | None = None,
) -> list[PresentationContext]:
    """Combine what we requested with the acceptor's answer.

    ``requested`` need context IDs.  The roles we proposed come from
    ``proposed_roles`` (abstract syntax -> (SCU, SCP)) or else from each
    requested context's ``scu_role``/``scp_role``.  Each returned context
    carries the acceptor's ``result`` and, when accepted, the single agreed
    transfer syntax and ``as_scu``/``as_scp`` from our side.  A context the
    acceptor left out is returned as rejected with result 2 (no reason), as is
    one it claims to accept without naming a transfer syntax.
    """
    answers: dict[int, PresentationContextACItem] = {}
    for item in ac_items:
        answers.setdefault(item.context_id, item)
    replies = {item.sop_class_uid: (item.scu_role, item.scp_role) for item in role_items}

    output: list[PresentationContext] = []
    for rq in requested:
        syntax = rq.abstract_syntax
        if proposed_roles is not None:
            proposal = proposed_roles.get(syntax) if syntax is not None else None
        elif rq.scu_role is None and rq.scp_role is None:
            proposal = None
        else:
            proposal = (bool(rq.scu_role), bool(rq.scp_role))
        answer = answers.get(rq.context_id) if rq.context_id is not None else None
        reply = replies.get(syntax, (None, None)) if syntax is not None else (None, None)
        result = None if answer is None else answer.result
        agreed = None if answer is None else answer.transfer_syntax
        output.append(negotiated_by_requestor(rq, result, agreed, proposal, reply))

    output.sort(key=_BY_CONTEXT_ID)
    return output


def assign_context_ids(contexts: Sequence[PresentationContext]) -> list[PresentationContext]:
    """Copies of ``contexts`` numbered 1, 3, 5, ... in order (PS3.8 9.3.2.2).

    Raises ``ValueError`` for more than 128 contexts, the most one association
    can carry with odd IDs from 1 to 255.
    """
    if len(contexts) > MAX_PRESENTATION_CONTEXTS:
        raise ValueError(
            f"{len(contexts)} presentation contexts requested; an association can carry at "
            f"most {MAX_PRESENTATION_CONTEXTS} (odd context IDs 1 to 255)"
        )
    return [context.copy(2 * index + 1) for index, context in enumerate(contexts)]


@functools.lru_cache(maxsize=64)
def base_user_information(
    maximum_length: int, implementation_class_uid: str, implementation_version_name: str | None
) -> tuple[UserInformationSubItem, ...]:
    """The user information sub-items every A-ASSOCIATE-RQ and -AC of an AE carries.

    Maximum length, implementation class UID and (when there is one) version
    name, in the order of PS3.7 D.3.3. The items are immutable, so the same
    tuple is handed out for the same settings rather than made per association.
    """
    items: list[UserInformationSubItem] = [
        MaximumLengthItem(maximum_length),
        ImplementationClassUIDItem(implementation_class_uid),
    ]
    if implementation_version_name:
        items.append(ImplementationVersionNameItem(implementation_version_name))
    return tuple(items)


def requestor_contexts(
    rq: AAssociateRQ, requested: Sequence[PresentationContext], ac: AAssociateAC
) -> list[PresentationContext]:
    """What a requestor's contexts became once the acceptor answered ``rq`` with ``ac``:
    :func:`negotiate_as_requestor` with the roles ``rq`` proposed and ``ac`` agreed."""
    proposed = {
        i.sop_class_uid: (i.scu_role, i.scp_role)
        for i in rq.user_information
        if isinstance(i, RoleSelectionItem)
    }
    return negotiate_as_requestor(
        requested,
        ac.presentation_contexts,
        tuple(i for i in ac.user_information if isinstance(i, RoleSelectionItem)),
        proposed_roles=proposed,
    )


# -- the acceptor's decision (PS3.8 7.1.1, PS3.7 D.3.3) ------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptorConfig:
    """What an acceptor decides by: its own settings, fixed for one association.

    ``maximum_length`` is our Maximum Length Received (0: no limit);
    ``over_limit`` says the AE already serves its ``maximum_associations``;
    ``require_user_identity`` that a request without a User Identity item is refused;
    ``transfer_syntax_choice`` how a context's transfer syntax is chosen;
    ``unrestricted_storage`` that every storage-like context is accepted
    (:func:`negotiate_as_acceptor`).
    """

    ae_title: AETitle
    maximum_length: int
    implementation_class_uid: str
    implementation_version_name: str | None
    supported_contexts: tuple[PresentationContext, ...] = ()
    require_called_aet: bool = False
    require_calling_aet: tuple[AETitle, ...] = ()
    over_limit: bool = False
    require_user_identity: bool = False
    transfer_syntax_choice: TransferSyntaxChoice = DEFAULT_TRANSFER_SYNTAX_CHOICE
    unrestricted_storage: bool = False


@dataclass(frozen=True, slots=True)
class IdentityVerdict:
    """What the user's EVT_USER_ID handler said of the requestor's identity (PS3.7 D.3.3.7):
    ``response`` is the server response for a positive response item, if any."""

    verified: bool
    response: bytes | None = None


@dataclass(frozen=True, slots=True)
class ExtendedAnswers:
    """The user's answers to the requestor's extended negotiation items (PS3.7 D.3.3).

    ``asynchronous_window``: (invoked, performed) to answer with, or None for no
    item (then the window is the default, one operation each way);
    ``sop_class_extended``: (SOP class UID, application information) pairs.
    """

    asynchronous_window: tuple[int, int] | None = None
    sop_class_extended: tuple[tuple[str, bytes], ...] = ()


NO_ANSWERS = ExtendedAnswers()


@dataclass(frozen=True, slots=True)
class Accept:
    """Accept: send ``ac``; ``accepted`` and ``rejected`` are the contexts as we see them."""

    ac: AAssociateAC
    accepted: tuple[PresentationContext, ...]
    rejected: tuple[PresentationContext, ...]


@dataclass(frozen=True, slots=True)
class Reject:
    """Reject: send ``rejection``."""

    rejection: AAssociateRJ


Decision = Accept | Reject

_PERMANENT, _TRANSIENT = RejectResult.PERMANENT, RejectResult.TRANSIENT
_USER = RejectSource.SERVICE_USER
_OVER_LIMIT = Reject(
    AAssociateRJ(
        _TRANSIENT,
        RejectSource.SERVICE_PROVIDER_PRESENTATION,
        PresentationRejectReason.LOCAL_LIMIT_EXCEEDED,
    )
)
_CONTEXT_NOT_SUPPORTED = Reject(
    AAssociateRJ(_PERMANENT, _USER, ServiceUserRejectReason.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
)
_CALLED_AE_TITLE = Reject(
    AAssociateRJ(_PERMANENT, _USER, ServiceUserRejectReason.CALLED_AE_TITLE_NOT_RECOGNIZED)
)
_CALLING_AE_TITLE = Reject(
    AAssociateRJ(_PERMANENT, _USER, ServiceUserRejectReason.CALLING_AE_TITLE_NOT_RECOGNIZED)
)
_IDENTITY_REFUSED = Reject(AAssociateRJ(_PERMANENT, _USER, ServiceUserRejectReason.NO_REASON_GIVEN))


def screen(rq: AAssociateRQ, config: AcceptorConfig) -> Reject | None:
    """The rejection ``rq`` gets before any handler is asked, or None if it passes.

    In this order: the association limit (transient, so the requestor may try
    again), the application context, the called AE title (when
    ``require_called_aet``) and the calling AE title (when
    ``require_calling_aet`` lists any), and a missing User Identity item (when
    ``require_user_identity``).
    """
    if config.over_limit:
        return _OVER_LIMIT
    if rq.application_context_name != DICOM_APPLICATION_CONTEXT:
        return _CONTEXT_NOT_SUPPORTED
    if config.require_called_aet and rq.called_ae_title != config.ae_title:
        return _CALLED_AE_TITLE
    if config.require_calling_aet and rq.calling_ae_title not in config.require_calling_aet:
        return _CALLING_AE_TITLE
    if config.require_user_identity and not any(
        isinstance(item, UserIdentityRQItem) for item in rq.user_information
    ):
        # PS3.7 D.3.3.7 leaves what to require to the acceptor: a request without the
        # item gets what a refused identity gets (rejected-permanent, service-user,
        # no reason given: PS3.8 9.3.4, Table 9-21).
        return _IDENTITY_REFUSED
    return None


def decide(
    rq: AAssociateRQ,
    config: AcceptorConfig,
    identity_verdict: IdentityVerdict | None = None,
    extended: ExtendedAnswers = NO_ANSWERS,
) -> Decision:
    """Accept or reject ``rq``.

    ``identity_verdict`` is None when nobody judged the requestor's identity (it
    sent none, or no EVT_USER_ID handler is bound): it is then accepted. A
    refused identity is a permanent rejection with no reason given. Accepted,
    the A-ASSOCIATE-AC answers each context (:func:`negotiate_as_acceptor`)
    and carries our maximum length, implementation class UID and version name,
    a role selection item per negotiated abstract syntax, the user identity
    server response when one was asked for and given, and the extended
    negotiation ``extended`` holds for SOP classes the requestor named.
    """
    rejection = screen(rq, config)
    if rejection is not None:
        return rejection
    if identity_verdict is not None and not identity_verdict.verified:
        return _IDENTITY_REFUSED
    # The maximum length, implementation class UID and version name items are the
    # same immutable ones for every association of this AE.
    user_info = base_user_information(
        config.maximum_length, config.implementation_class_uid, config.implementation_version_name
    )
    roles = {
        i.sop_class_uid: (i.scu_role, i.scp_role)
        for i in rq.user_information
        if isinstance(i, RoleSelectionItem)
    }
    ac_items, accepted, role_items = negotiate_as_acceptor(
        rq.presentation_contexts,
        config.supported_contexts,
        roles,
        transfer_syntax_choice=config.transfer_syntax_choice,
        unrestricted_storage=config.unrestricted_storage,
    )
    added = [*role_items, *_identity_response(rq, identity_verdict), *_extended_items(rq, extended)]
    if added:
        user_info = tuple(ordered_user_information([*user_info, *added]))
    ac = AAssociateAC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=ac_items,
        user_information=user_info,
        application_context_name=rq.application_context_name,
    )
    rejected = rejected_contexts(rq.presentation_contexts, ac_items)
    return Accept(ac, tuple(accepted), tuple(rejected))


def _identity_response(
    rq: AAssociateRQ, verdict: IdentityVerdict | None
) -> tuple[UserIdentityACItem, ...]:
    """The server response item, when the requestor asked for one and the handler gave it."""
    if verdict is None or verdict.response is None:
        return ()
    for item in rq.user_information:
        if isinstance(item, UserIdentityRQItem):
            if item.positive_response_requested:
                return (UserIdentityACItem(verdict.response),)
            return ()
    return ()


def _extended_items(rq: AAssociateRQ, extended: ExtendedAnswers) -> list[UserInformationSubItem]:
    """The extended negotiation replies: the window (if the requestor proposed one) and an
    item per SOP class the requestor sent an extended negotiation item for."""
    if extended is NO_ANSWERS:
        return []
    out: list[UserInformationSubItem] = []
    proposed = {type(i) for i in rq.user_information}
    if extended.asynchronous_window is not None and AsynchronousOperationsWindowItem in proposed:
        out.append(AsynchronousOperationsWindowItem(*extended.asynchronous_window))
    asked = {
        i.sop_class_uid
        for i in rq.user_information
        if isinstance(i, SOPClassExtendedNegotiationItem)
    }
    for uid, info in extended.sop_class_extended:
        if uid in asked:
            out.append(SOPClassExtendedNegotiationItem(uid, info))
    return out
