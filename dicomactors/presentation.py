"""Presentation contexts as users build them, and the ready-made lists pynetdicom offers.

A :class:`PresentationContext` is mutable on purpose: the seed's API lets users
build one, add transfer syntaxes and set roles before handing it to an AE.
Negotiation (:mod:`dicomactors.negotiation`) never mutates the ones it is given;
it returns fresh contexts with ``result`` and the agreed roles filled in.

The ready-made lists (``StoragePresentationContexts`` and friends) are derived
from :mod:`dicomactors.sop_class` by service class, never typed out by UID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from pydicom._uid_dict import UID_dictionary
from pydicom.uid import UID

from dicomactors.pdu.items import ContextResult, PresentationContextRQItem
from dicomactors.pdu_primitives import SCP_SCU_RoleSelectionNegotiation, coerce_uid
from dicomactors.sop_class import (
    ServiceClass,
    sop_classes_for,
    uid_sort_key,
    uid_to_service_class,
)
from dicomactors.syntax_choice import TransferSyntaxChoice, choose_transfer_syntax
from dicomactors.uids import DEFAULT_TRANSFER_SYNTAXES

__all__ = [
    "AllStoragePresentationContexts",
    "ApplicationEventLoggingPresentationContexts",
    "ApplicationEventPresentationContexts",
    "BasicWorklistManagementPresentationContexts",
    "ColorPalettePresentationContexts",
    "DefinedProcedureProtocolPresentationContexts",
    "DisplaySystemPresentationContexts",
    "HangingProtocolPresentationContexts",
    "ImplantTemplatePresentationContexts",
    "InstanceAvailabilityPresentationContexts",
    "InventoryPresentationContexts",
    "MediaCreationManagementPresentationContexts",
    "MediaStoragePresentationContexts",
    "ModalityPerformedPresentationContexts",
    "NonPatientObjectPresentationContexts",
    "PresentationContext",
    "PresentationContextTuple",
    "PrintManagementPresentationContexts",
    "ProcedureStepPresentationContexts",
    "ProtocolApprovalPresentationContexts",
    "QueryRetrievePresentationContexts",
    "RTMachineVerificationPresentationContexts",
    "RelevantPatientInformationPresentationContexts",
    "StorageCommitmentPresentationContexts",
    "StorageManagementPresentationContexts",
    "StoragePresentationContexts",
    "SubstanceAdministrationPresentationContexts",
    "UnifiedProcedurePresentationContexts",
    "VerificationPresentationContexts",
    "agree_roles",
    "answer_context",
    "build_context",
    "build_role",
    "is_storage_like",
    "negotiate_as_acceptor",
    "negotiate_as_requestor",
    "negotiate_unrestricted",
    "unrestricted_context",
]

_COMPOSITE_STORAGE_ROOT = "1.2.840.10008.5.1.4.1.1."

_KNOWN_UIDS: set[str] = set()
_KNOWN_UIDS_LIMIT = 4096
"""Bounds the memory a peer sending ever new UIDs can make us spend on remembering them."""


def as_uid(value: object, name: str) -> UID:
    """``coerce_uid(value, name)``, without validating again a string already found valid.

    Building a pydicom ``UID`` validates it against the UI value rules, which
    costs more than the rest of copying a presentation context. A string that
    passed both our check and pydicom's once is remembered, so the same UID
    (the same abstract and transfer syntaxes in every association) is then
    made as a fresh ``UID`` directly. Anything else takes the full path, with
    its errors and pydicom's warnings unchanged.
    """
    if value.__class__ in _STR_TYPES and value in _KNOWN_UIDS:
        return str.__new__(UID, value)
    uid = coerce_uid(value, name)
    if uid == value and len(_KNOWN_UIDS) < _KNOWN_UIDS_LIMIT and uid.is_valid:
        _KNOWN_UIDS.add(str(uid))
    return uid


_STR_TYPES = (str, UID)

MAX_PRESENTATION_CONTEXTS = 128
"""Odd context IDs 1..255 leave room for 128 contexts in one association (PS3.8 9.3.2.2)."""

_STATUS = {
    None: "Pending",
    ContextResult.ACCEPTANCE: "Accepted",
    ContextResult.USER_REJECTION: "User Rejected",
    ContextResult.NO_REASON: "Provider Rejected",
    ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED: "Abstract Syntax Not Supported",
    ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED: "Transfer Syntax(es) Not Supported",
}


# SCP/SCU role selection outcomes (PS3.7 D.3.3.4), as pynetdicom spells them:
# (requestor SCU, requestor SCP, acceptor SCU, acceptor SCP).
DEFAULT_ROLE = (True, False, False, True)
BOTH_SCU_SCP_ROLE = (True, True, True, True)
INVERTED_ROLE = (False, True, True, False)
CONTEXT_REJECTED = (False, False, False, False)

_ROLE_VALUES = (None, True, False)


def _role_outcome(
    proposed: tuple[bool | None, bool | None], allowed: tuple[bool | None, bool | None]
) -> tuple[bool, bool, bool, bool]:
    """A requestor gets a role it proposed and the acceptor allows; the acceptor the other."""
    if None in proposed or None in allowed:
        return DEFAULT_ROLE
    scu, scp = bool(proposed[0] and allowed[0]), bool(proposed[1] and allowed[1])
    if not (scu or scp):
        return CONTEXT_REJECTED
    return (scu, scp, scp, scu)


SCP_SCU_ROLES = {
    proposed: {
        allowed: _role_outcome(proposed, allowed)
        for allowed in ((scu, scp) for scu in _ROLE_VALUES for scp in _ROLE_VALUES)
    }
    for proposed in [(None, None), (True, True), (True, False), (False, True), (False, False)]
}
"""(requestor's proposed roles) -> (acceptor's allowed roles) -> outcome, every case."""


class PresentationContextTuple(NamedTuple):
    """An accepted context reduced to what DIMSE needs."""

    context_id: int
    abstract_syntax: UID
    transfer_syntax: UID


class PresentationContext:
    """One presentation context: an ID, an abstract syntax and transfer syntaxes.

    Requested contexts carry one or more transfer syntaxes; negotiated ones carry
    the single agreed transfer syntax, a ``result`` (PS3.8 9.3.3.2) and, through
    ``as_scu``/``as_scp``, what the local AE may do on it.

    ``scu_role``/``scp_role`` are the role selection settings (PS3.7 D.3.3.4):
    on a requested context, the roles the requestor proposes for itself; on a
    supported context, whether the acceptor agrees to a requestor taking that
    role.  ``None`` means no role selection for this abstract syntax.
    """

    def __init__(
        self,
        abstract_syntax: str | bytes | None = None,
        transfer_syntax: Iterable[str | bytes] = (),
        context_id: int | None = None,
    ) -> None:
        self._context_id: int | None = None
        self._abstract_syntax: UID | None = None
        self._transfer_syntax: list[UID] = []
        self._scu_role: bool | None = None
        self._scp_role: bool | None = None
        self._as_scu: bool | None = None
        self._as_scp: bool | None = None
        self.result: int | None = None
        self.abstract_syntax = abstract_syntax  # type: ignore[assignment]
        self.context_id = context_id
        for syntax in transfer_syntax:
            self.add_transfer_syntax(syntax)

    # -- identity ---------------------------------------------------------

    @property
    def context_id(self) -> int | None:
        """Odd integer 1..255, or ``None`` until assigned."""
        return self._context_id

    @context_id.setter
    def context_id(self, value: int | None) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"context_id must be an int or None, not {type(value).__name__}")
            if not 1 <= value <= 255 or value % 2 == 0:
                raise ValueError(f"context_id must be an odd integer from 1 to 255, got {value}")
        self._context_id = value

    @property
    def abstract_syntax(self) -> UID | None:
        return self._abstract_syntax

    @abstract_syntax.setter
    def abstract_syntax(self, value: str | bytes | None) -> None:
        self._abstract_syntax = None if value is None else as_uid(value, "abstract_syntax")

    @property
    def transfer_syntax(self) -> list[UID]:
        """The transfer syntaxes, in order of preference; no duplicates."""
        return self._transfer_syntax

    @transfer_syntax.setter
    def transfer_syntax(self, syntaxes: Sequence[str | bytes]) -> None:
        if not isinstance(syntaxes, list | tuple):
            raise TypeError(f"transfer_syntax must be a list, not {type(syntaxes).__name__}")
        self._transfer_syntax = []
        for syntax in syntaxes:
            self.add_transfer_syntax(syntax)

    def add_transfer_syntax(self, syntax: str | bytes | None) -> None:
        """Append ``syntax`` unless it is ``None`` or already present."""
        if syntax is None:
            return
        uid = as_uid(syntax, "transfer_syntax")
        if uid not in self._transfer_syntax:
            self._transfer_syntax.append(uid)

    # -- roles ------------------------------------------------------------

    @property
    def scu_role(self) -> bool | None:
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        if not isinstance(value, bool | None):
            raise TypeError(f"scu_role must be a bool or None, not {type(value).__name__}")
        self._scu_role = value

    @property
    def scp_role(self) -> bool | None:
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        if not isinstance(value, bool | None):
            raise TypeError(f"scp_role must be a bool or None, not {type(value).__name__}")
        self._scp_role = value

    @property
    def as_scu(self) -> bool | None:
        """After negotiation: may the local AE act as SCU on this context."""
        return self._as_scu

    @property
    def as_scp(self) -> bool | None:
        """After negotiation: may the local AE act as SCP on this context."""
        return self._as_scp

    def set_negotiated_roles(self, as_scu: bool, as_scp: bool) -> None:
        """Record the outcome of negotiation (used by :mod:`dicomactors.negotiation`)."""
        self._as_scu = as_scu
        self._as_scp = as_scp

    # -- views ------------------------------------------------------------

    @property
    def status(self) -> str:
        """A readable form of ``result``."""
        try:
            return _STATUS[None if self.result is None else ContextResult(self.result)]
        except ValueError:
            return "Unknown"

    @property
    def as_tuple(self) -> PresentationContextTuple:
        """(context_id, abstract_syntax, first transfer syntax) of an accepted context."""
        if self.context_id is None or self.abstract_syntax is None or not self.transfer_syntax:
            raise ValueError(
                "as_tuple needs a context_id, an abstract syntax and a transfer syntax"
            )
        return PresentationContextTuple(
            self.context_id, self.abstract_syntax, self.transfer_syntax[0]
        )

    def to_rq_item(self) -> PresentationContextRQItem:
        """The A-ASSOCIATE-RQ item for this context; needs an ID and an abstract syntax."""
        if self.context_id is None:
            raise ValueError("context_id must be set before the context can be requested")
        if self.abstract_syntax is None:
            raise ValueError("abstract_syntax must be set before the context can be requested")
        if not self.transfer_syntax:
            raise ValueError(
                f"context {self.context_id} ({self.abstract_syntax}) has no transfer syntax"
            )
        # A UID is a str: the item keeps the UIDs themselves, no copies as plain str.
        return PresentationContextRQItem(
            self.context_id, self.abstract_syntax, tuple(self.transfer_syntax)
        )

    @classmethod
    def from_rq_item(cls, item: PresentationContextRQItem) -> PresentationContext:
        return cls(item.abstract_syntax, item.transfer_syntaxes, item.context_id)

    @classmethod
    def _checked(
        cls,
        abstract_syntax: UID | None,
        transfer_syntax: list[UID],
        context_id: int | None,
        result: int | None = None,
    ) -> PresentationContext:
        """A context from values that already passed the setters' checks, not checked again.

        For negotiation and :meth:`copy`, which build many contexts per
        association from UIDs that are already ``UID`` values (the
        ``transfer_syntax`` list, without duplicates, is taken as is) and IDs
        that are already odd numbers from 1 to 255.
        """
        context = cls.__new__(cls)
        context._context_id = context_id
        context._abstract_syntax = abstract_syntax
        context._transfer_syntax = transfer_syntax
        context._scu_role = context._scp_role = None
        context._as_scu = context._as_scp = None
        context.result = result
        return context

    def copy(self, context_id: int | None = None) -> PresentationContext:
        """A separate context with the same values (and ``context_id`` if one is given)."""
        other = PresentationContext._checked(
            self._abstract_syntax, list(self._transfer_syntax), self._context_id, self.result
        )
        if context_id is not None:
            other.context_id = context_id
        other._scu_role, other._scp_role = self._scu_role, self._scp_role
        other._as_scu, other._as_scp = self._as_scu, self._as_scp
        return other

    def _key(self) -> tuple[object, ...]:
        return (
            self.context_id,
            self.abstract_syntax,
            tuple(self.transfer_syntax),
            self.result,
            self.scu_role,
            self.scp_role,
            self.as_scu,
            self.as_scp,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PresentationContext):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        name = self.abstract_syntax.name if self.abstract_syntax is not None else "None"
        return f"<PresentationContext id={self.context_id} {name}>"

    def __str__(self) -> str:
        lines = []
        if self.context_id is not None:
            lines.append(f"ID: {self.context_id}")
        if self.abstract_syntax is not None:
            lines.append(f"Abstract Syntax: {self.abstract_syntax.name}")
        lines.append("Transfer Syntax(es):")
        lines.extend(f"    ={ts.name}" for ts in self.transfer_syntax)
        if not self.transfer_syntax:
            lines.append("    (none)")
        if self.result is not None:
            lines.append(f"Result: {self.status}")
        if self.as_scu is not None and self.as_scp is not None:
            roles = {
                (True, False): "SCU only",
                (True, True): "SCU and SCP",
                (False, True): "SCP only",
                (False, False): "(none)",
            }
            lines.append(f"Role: {roles[(self.as_scu, self.as_scp)]}")
        return "\n".join(lines)


def build_context(
    abstract_syntax: str | bytes,
    transfer_syntax: str | bytes | Iterable[str | bytes] | None = None,
) -> PresentationContext:
    """A context for ``abstract_syntax`` offering ``transfer_syntax``.

    One transfer syntax may be given bare; with none, the four uncompressed
    defaults of :data:`dicomactors.uids.DEFAULT_TRANSFER_SYNTAXES` are offered.
    """
    if transfer_syntax is None:
        syntaxes: Iterable[str | bytes] = DEFAULT_TRANSFER_SYNTAXES
    elif isinstance(transfer_syntax, str | bytes):
        syntaxes = [transfer_syntax]
    else:
        syntaxes = transfer_syntax
    return PresentationContext(abstract_syntax, syntaxes)


def build_role(
    uid: str | bytes, scu_role: bool = False, scp_role: bool = False
) -> SCP_SCU_RoleSelectionNegotiation:
    """An SCP/SCU role selection item for ``uid`` proposing the given roles."""
    return SCP_SCU_RoleSelectionNegotiation(uid, scu_role, scp_role)


# -- negotiation over contexts (PS3.8 9.3.2.2, 9.3.3.2; PS3.7 D.3.3.4) -------------

RoleProposal = tuple[bool, bool]
"""(SCU role, SCP role) as carried by an SCP/SCU role selection sub-item."""


def agree_roles(
    proposed: RoleProposal | None, acceptor_allows: tuple[bool | None, bool | None]
) -> tuple[bool, bool] | None:
    """The requestor's agreed (SCU, SCP) roles, or ``None`` for the default roles.

    A requestor gets a role only if it proposed it and the acceptor allows it;
    the acceptor takes the opposite role(s) (Table D.3-11). Default roles
    (requestor SCU, acceptor SCP, no reply item) apply when the requestor
    proposed nothing or the acceptor has no setting for the abstract syntax.
    """
    if proposed is None or None in acceptor_allows:
        return None
    allow_scu, allow_scp = acceptor_allows
    return (proposed[0] and bool(allow_scu), proposed[1] and bool(allow_scp))


class ContextAnswer(NamedTuple):
    """An acceptor's answer to one requested context.

    ``transfer_syntax`` is the chosen one, or for a context not accepted the
    first proposed; ``requestor_roles`` the roles agreed for the requestor when
    they were negotiated (a role selection reply is due), else ``None``.
    """

    result: ContextResult
    transfer_syntax: str | None
    requestor_roles: tuple[bool, bool] | None = None


def answer_context(
    transfer_syntaxes: Sequence[str],
    local: PresentationContext | None,
    proposal: RoleProposal | None,
    choice: TransferSyntaxChoice,
) -> ContextAnswer:
    """How an acceptor answers a context proposing ``transfer_syntaxes`` (PS3.8 9.3.3.2).

    ``local`` is its supported context for the abstract syntax (None: not
    supported); ``proposal`` the requestor's (SCU, SCP) role proposal, if any.
    A context on which neither side could act is a user rejection.
    """
    first = transfer_syntaxes[0] if transfer_syntaxes else None
    if local is None:
        return ContextAnswer(ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED, first)
    chosen = choose_transfer_syntax(transfer_syntaxes, local.transfer_syntax, choice)
    if chosen is None:
        return ContextAnswer(ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED, first)
    agreed = None if proposal is None else agree_roles(proposal, (local.scu_role, local.scp_role))
    if agreed is not None and not (agreed[0] or agreed[1]):
        return ContextAnswer(ContextResult.USER_REJECTION, chosen)
    return ContextAnswer(ContextResult.ACCEPTANCE, chosen, agreed)


def accepted_by_acceptor(
    abstract_syntax: UID, transfer_syntax: str, context_id: int, answer: ContextAnswer
) -> PresentationContext:
    """An accepted context as the acceptor sees it: its roles are the requestor's inverted."""
    context = PresentationContext._checked(
        abstract_syntax, [as_uid(transfer_syntax, "transfer_syntax")], None, answer.result
    )
    context.context_id = context_id
    scu, scp = answer.requestor_roles or (True, False)
    context.set_negotiated_roles(as_scu=scp, as_scp=scu)
    return context


def negotiated_by_requestor(
    requested: PresentationContext,
    result: int | None,
    transfer_syntax: str | None,
    proposal: RoleProposal | None,
    reply: tuple[bool | None, bool | None],
) -> PresentationContext:
    """What a requested context became once the acceptor answered it, as we see it.

    ``result`` None means the acceptor left the context out, which counts as a
    rejection with no reason given; so does an acceptance naming no transfer
    syntax. ``reply`` is the acceptor's role selection item, or (None, None).
    """
    syntax, context_id = requested.abstract_syntax, requested.context_id
    if context_id is None or syntax is None:
        raise ValueError("requested contexts need a context_id and an abstract syntax")
    if result == ContextResult.ACCEPTANCE and transfer_syntax is not None:
        agreed_syntax = as_uid(transfer_syntax, "transfer_syntax")
        context = PresentationContext._checked(syntax, [agreed_syntax], context_id, result)
        agreed = agree_roles(proposal, reply)
        context.set_negotiated_roles(*(agreed if agreed is not None else (True, False)))
        return context
    if result is None or result == ContextResult.ACCEPTANCE:
        result = ContextResult.NO_REASON
    context = PresentationContext._checked(syntax, [], context_id, result)
    context.set_negotiated_roles(as_scu=False, as_scp=False)
    return context


def _proposal(
    roles: Mapping[str, tuple[bool | None, bool | None]], uid: str
) -> RoleProposal | None:
    proposed = roles.get(uid)
    if proposed is None or None in proposed:
        return None
    return (bool(proposed[0]), bool(proposed[1]))


def _context_id(context: PresentationContext) -> int:
    return context.context_id or 0


def negotiate_as_acceptor(
    rq_contexts: Sequence[PresentationContext],
    ac_contexts: Sequence[PresentationContext],
    roles: Mapping[str, tuple[bool | None, bool | None]] | None = None,
    *,
    transfer_syntax_choice: TransferSyntaxChoice = TransferSyntaxChoice.ACCEPTOR,
) -> tuple[list[PresentationContext], list[SCP_SCU_RoleSelectionNegotiation]]:
    """pynetdicom's acceptor negotiation, over ``PresentationContext`` lists.

    ``rq_contexts`` are the requestor's contexts (ID, abstract syntax, transfer
    syntaxes), ``ac_contexts`` the local supported ones with their role
    settings, ``roles`` the requestor's role proposals by SOP class UID.
    Returns every requested context answered (``result`` 0, 1, 3 or 4; one
    transfer syntax; ``as_scu``/``as_scp`` from the acceptor's side) in
    context-ID order, and the role selection replies sorted by UID. The
    transfer syntax is the first supported one that was proposed, as in
    pynetdicom, unless ``transfer_syntax_choice`` says otherwise.
    """
    roles = roles or {}
    supported: dict[str, PresentationContext] = {}
    for local in ac_contexts:
        if local.abstract_syntax is not None:
            supported.setdefault(local.abstract_syntax, local)
    answered: dict[int, PresentationContext] = {}
    replies: dict[str, SCP_SCU_RoleSelectionNegotiation] = {}
    for rq in rq_contexts:
        syntax, context_id = rq.abstract_syntax, rq.context_id
        if syntax is None or context_id is None or context_id in answered:
            continue
        answer = answer_context(
            rq.transfer_syntax, supported.get(syntax), _proposal(roles, syntax),
            transfer_syntax_choice,
        )  # fmt: skip
        if answer.result != ContextResult.ACCEPTANCE or answer.transfer_syntax is None:
            context = PresentationContext(
                syntax, [answer.transfer_syntax] if answer.transfer_syntax else [], context_id
            )
            context.result = answer.result
            context.set_negotiated_roles(as_scu=False, as_scp=False)
        else:
            context = accepted_by_acceptor(syntax, answer.transfer_syntax, context_id, answer)
        answered[context_id] = context
        if answer.requestor_roles is not None:
            replies.setdefault(syntax, build_role(syntax, *answer.requestor_roles))
    return sorted(answered.values(), key=_context_id), [replies[uid] for uid in sorted(replies)]


def negotiate_as_requestor(
    rq_contexts: Sequence[PresentationContext],
    ac_contexts: Sequence[PresentationContext],
    roles: Mapping[str, tuple[bool | None, bool | None]] | None = None,
) -> list[PresentationContext]:
    """pynetdicom's requestor negotiation, over ``PresentationContext`` lists.

    ``rq_contexts`` are the contexts we proposed (with IDs and any role
    proposals in ``scu_role``/``scp_role``), ``ac_contexts`` the acceptor's
    answers (ID, ``result``, the agreed transfer syntax), ``roles`` the
    acceptor's role selection replies by SOP class UID. Returns each requested
    context with its result, agreed transfer syntax and our ``as_scu``/
    ``as_scp``, in context-ID order; one the acceptor left out is rejected
    with result 2 (no reason given).
    """
    if not rq_contexts:
        raise ValueError("negotiate_as_requestor needs the requested contexts")
    roles = roles or {}
    answers: dict[int | None, PresentationContext] = {}
    for ac in ac_contexts:
        answers.setdefault(ac.context_id, ac)
    output = []
    for rq in rq_contexts:
        proposal = None
        if rq.scu_role is not None or rq.scp_role is not None:
            proposal = (bool(rq.scu_role), bool(rq.scp_role))
        reply = roles.get(str(rq.abstract_syntax), (None, None))
        answer = answers.get(rq.context_id)
        if answer is None:
            output.append(negotiated_by_requestor(rq, None, None, proposal, reply))
            continue
        agreed = answer.transfer_syntax[0] if answer.transfer_syntax else None
        output.append(negotiated_by_requestor(rq, answer.result, agreed, proposal, reply))
    return sorted(output, key=_context_id)


def is_storage_like(uid: str) -> bool:
    """A UID an unrestricted storage SCP accepts as a storage SOP class: a storage class,
    a private UID, or one unknown to :mod:`dicomactors.sop_class`."""
    if not uid.startswith("1.2.840.10008."):
        return True
    return uid_to_service_class(uid) in (ServiceClass.STORAGE, ServiceClass.OTHER)


def unrestricted_context(
    abstract_syntax: str, transfer_syntaxes: Sequence[str]
) -> PresentationContext:
    """What an unrestricted storage SCP supports for a storage-like context it is offered:
    the requestor's first transfer syntax, and whichever roles the requestor proposes."""
    context = PresentationContext(abstract_syntax, transfer_syntaxes[:1])
    context.scu_role = context.scp_role = True
    return context


def negotiate_unrestricted(
    rq_contexts: Sequence[PresentationContext],
    ac_contexts: Sequence[PresentationContext],
    roles: Mapping[str, tuple[bool | None, bool | None]] | None = None,
) -> tuple[list[PresentationContext], list[SCP_SCU_RoleSelectionNegotiation]]:
    """pynetdicom's acceptor negotiation for an unrestricted storage SCP.

    Every storage-like context (:func:`is_storage_like`) is accepted with the
    requestor's first transfer syntax, whatever ``ac_contexts`` holds; the
    acceptor may act as SCU and SCP on it unless the requestor proposed roles,
    which are then all granted. The other contexts go through
    :func:`negotiate_as_acceptor`. Same return values as that function.
    """
    roles = roles or {}
    storage: list[PresentationContext] = []
    others: list[PresentationContext] = []
    for rq in rq_contexts:
        storage_like = rq.abstract_syntax is not None and is_storage_like(rq.abstract_syntax)
        (storage if storage_like else others).append(rq)
    answered, replies = negotiate_as_acceptor(others, ac_contexts, roles)
    granted = {str(r.sop_class_uid): r for r in replies}
    for rq in storage:
        syntax = rq.abstract_syntax
        if rq.context_id is None or syntax is None or not rq.transfer_syntax:
            continue
        proposal = _proposal(roles, syntax)
        answer = ContextAnswer(ContextResult.ACCEPTANCE, rq.transfer_syntax[0], proposal)
        context = accepted_by_acceptor(syntax, rq.transfer_syntax[0], rq.context_id, answer)
        if proposal is None:
            context.set_negotiated_roles(as_scu=True, as_scp=True)
        else:
            granted.setdefault(syntax, build_role(syntax, *proposal))
        answered.append(context)
    return sorted(answered, key=_context_id), [granted[uid] for uid in sorted(granted)]


# -- ready-made lists -------------------------------------------------------


def _contexts(service: ServiceClass, *, retired: bool = False) -> list[PresentationContext]:
    uids = sorted(sop_classes_for(service, retired=retired))
    return [build_context(uid) for uid in uids]


# Sorted as strings, as pynetdicom sorts its lists, so contexts line up one for one.
ApplicationEventPresentationContexts = _contexts(ServiceClass.APPLICATION_EVENT_LOGGING)
ApplicationEventLoggingPresentationContexts = ApplicationEventPresentationContexts
BasicWorklistManagementPresentationContexts = _contexts(ServiceClass.BASIC_WORKLIST_MANAGEMENT)
ColorPalettePresentationContexts = _contexts(ServiceClass.COLOR_PALETTE_QUERY_RETRIEVE)
DefinedProcedureProtocolPresentationContexts = _contexts(
    ServiceClass.DEFINED_PROCEDURE_PROTOCOL_QUERY_RETRIEVE
)
DisplaySystemPresentationContexts = _contexts(ServiceClass.DISPLAY_SYSTEM_MANAGEMENT)
HangingProtocolPresentationContexts = _contexts(ServiceClass.HANGING_PROTOCOL_QUERY_RETRIEVE)
ImplantTemplatePresentationContexts = _contexts(ServiceClass.IMPLANT_TEMPLATE_QUERY_RETRIEVE)
InstanceAvailabilityPresentationContexts = _contexts(
    ServiceClass.INSTANCE_AVAILABILITY_NOTIFICATION
)
InventoryPresentationContexts = _contexts(ServiceClass.INVENTORY_QUERY_RETRIEVE)
MediaCreationManagementPresentationContexts = _contexts(ServiceClass.MEDIA_CREATION_MANAGEMENT)
MediaStoragePresentationContexts = _contexts(ServiceClass.MEDIA_STORAGE)
ModalityPerformedPresentationContexts = _contexts(ServiceClass.MODALITY_PERFORMED_PROCEDURE_STEP)
ProcedureStepPresentationContexts = ModalityPerformedPresentationContexts
NonPatientObjectPresentationContexts = _contexts(ServiceClass.NON_PATIENT_OBJECT_STORAGE)
PrintManagementPresentationContexts = _contexts(ServiceClass.PRINT_MANAGEMENT)
ProtocolApprovalPresentationContexts = _contexts(ServiceClass.PROTOCOL_APPROVAL_QUERY_RETRIEVE)
# Includes the retired Patient/Study Only models, as pynetdicom's list does.
QueryRetrievePresentationContexts = _contexts(ServiceClass.QUERY_RETRIEVE, retired=True)
RelevantPatientInformationPresentationContexts = _contexts(
    ServiceClass.RELEVANT_PATIENT_INFORMATION_QUERY
)
RTMachineVerificationPresentationContexts = _contexts(ServiceClass.RT_MACHINE_VERIFICATION)
StorageCommitmentPresentationContexts = _contexts(ServiceClass.STORAGE_COMMITMENT)
StorageManagementPresentationContexts = _contexts(ServiceClass.STORAGE_MANAGEMENT)
SubstanceAdministrationPresentationContexts = _contexts(ServiceClass.SUBSTANCE_ADMINISTRATION_QUERY)
UnifiedProcedurePresentationContexts = _contexts(ServiceClass.UNIFIED_PROCEDURE_STEP)
VerificationPresentationContexts = _contexts(ServiceClass.VERIFICATION)

AllStoragePresentationContexts = _contexts(ServiceClass.STORAGE)
"""Every current (non-retired) SOP class of the Storage service class."""


def _storage_family(uid: str) -> str:
    """The branch of the composite storage root a storage UID sits in (CT, RT, SR...)."""
    if uid.startswith(_COMPOSITE_STORAGE_ROOT):
        return uid[len(_COMPOSITE_STORAGE_ROOT) :].split(".")[0]
    return uid.rsplit(".", 1)[0]


def _common_storage_classes(limit: int) -> list[str]:
    """``limit`` storage classes, taking the earliest classes of every family first.

    Each family (the branch under ``1.2.840.10008.5.1.4.1.1``: CT, MR, RT,
    SR, VL, ...) grows by appending new UIDs, so ranking classes by their
    position within their family keeps every family's founding classes (CT
    Image, RT Plan, Encapsulated PDF, Basic Text SR...) and drops the most
    recent additions first.
    """
    # Classes newer than pydicom's dictionary are the most recent additions of all.
    storage = [uid for uid in sop_classes_for(ServiceClass.STORAGE) if uid in UID_dictionary]
    position: dict[str, int] = {}
    seen: dict[str, int] = {}
    for uid in storage:
        family = _storage_family(uid)
        position[uid] = seen.get(family, 0)
        seen[family] = position[uid] + 1
    ranked = sorted(storage, key=lambda uid: (position[uid], uid_sort_key(uid)))
    return sorted(ranked[:limit])


StoragePresentationContexts = [
    build_context(uid) for uid in _common_storage_classes(MAX_PRESENTATION_CONTEXTS)
]
"""128 storage SOP classes, a full association's worth, sorted as strings.

The seed's guide requests ``StoragePresentationContexts[:127]`` to leave one
slot for a Q/R context, so the list holds exactly 128 (as pynetdicom 1.x's did).
"""
