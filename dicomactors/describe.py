"""Readable summaries of PDUs and DIMSE messages, for the debug log (``debug_logger()``,
the tools' ``-d``). Pure: a value in, text out.

An association PDU is summarised over several lines (titles, each presentation context
with its syntaxes or its result, each user information item); a P-DATA-TF, release or abort
PDU in one. A DIMSE message shows its command fields by name, UIDs with their names from
pydicom's dictionary.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydicom.uid import UID

from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    AbortReason,
    AbortSource,
    AReleaseRP,
    AReleaseRQ,
    ContextResult,
    PDataTF,
    encode_pdu,
)

#: PS3.8 Table 9-21: (source, reason) of an A-ASSOCIATE-RJ.
REJECT_REASONS = {
    (1, 1): "no reason given",
    (1, 2): "application context name not supported",
    (1, 3): "calling AE title not recognised",
    (1, 7): "called AE title not recognised",
    (2, 1): "no reason given",
    (2, 2): "protocol version not supported",
    (3, 1): "temporary congestion",
    (3, 2): "local limit exceeded",
}
REJECT_SOURCES = {1: "the service user", 2: "the ACSE provider", 3: "the presentation provider"}


def uid_text(uid: object) -> str:
    """A UID with its name where pydicom's dictionary has one."""
    value = UID(str(uid))
    return f"{value} ({value.name})" if value.name != str(value) else str(value)


def rejection_text(result: int | None, source: int | None, reason: int | None) -> str:
    """What an A-ASSOCIATE-RJ says, in words (PS3.8 9.3.4)."""
    why = REJECT_REASONS.get((source or 0, reason or 0), f"reason {reason}")
    kind = "permanently" if result == 1 else "transiently"
    return f"{kind} by {REJECT_SOURCES.get(source or 0, f'source {source}')}: {why}"


def _name(value: int, kind: type[Any]) -> str:
    try:
        return str(kind(value).name).lower().replace("_", "-")
    except ValueError:
        return str(value)


def _user_items(items: tuple[Any, ...]) -> list[str]:
    lines = []
    for item in items:
        fields = ", ".join(f"{f.name}={getattr(item, f.name)!r}" for f in dataclasses.fields(item))
        lines.append(f"  user item {type(item).__name__}: {fields}")
    return lines


def describe_pdu(pdu: Any) -> str:
    """A summary of ``pdu``: its type and length, and what it carries."""
    kind = type(pdu)
    if kind is PDataTF:
        parts = "; ".join(
            f"context {pdv.context_id} {'command' if pdv.is_command else 'data'}"
            f"{' last' if pdv.is_last else ''} {len(pdv.data)} bytes"
            for pdv in pdu.pdvs
        )
        return f"P-DATA-TF, {len(pdu.pdvs)} PDV: {parts}"
    if kind is AReleaseRQ or kind is AReleaseRP:
        return "A-RELEASE-RQ" if kind is AReleaseRQ else "A-RELEASE-RP"
    if kind is AAbort:
        reason = _name(pdu.reason, AbortReason) if pdu.source == 2 else str(pdu.reason)
        return f"A-ABORT, source {_name(pdu.source, AbortSource)}, reason {reason}"
    if kind is AAssociateRJ:
        return f"A-ASSOCIATE-RJ: rejected {rejection_text(pdu.result, pdu.source, pdu.reason)}"
    if kind is AAssociateRQ or kind is AAssociateAC:
        return _describe_associate(pdu)
    return kind.__name__


def _describe_associate(pdu: AAssociateRQ | AAssociateAC) -> str:
    name = "A-ASSOCIATE-RQ" if type(pdu) is AAssociateRQ else "A-ASSOCIATE-AC"
    lines = [
        f"{name}, {len(encode_pdu(pdu))} bytes: calling {pdu.calling_ae_title!r},"
        f" called {pdu.called_ae_title!r}, protocol version {pdu.protocol_version}",
    ]
    if isinstance(pdu, AAssociateRQ):
        for proposed in pdu.presentation_contexts:
            syntaxes = ", ".join(uid_text(ts) for ts in proposed.transfer_syntaxes)
            lines.append(
                f"  context {proposed.context_id}: {uid_text(proposed.abstract_syntax)}"
                f" in {syntaxes}"
            )
    else:
        for answered in pdu.presentation_contexts:
            accepted = answered.result == ContextResult.ACCEPTANCE and answered.transfer_syntax
            lines.append(
                f"  context {answered.context_id}: {_name(answered.result, ContextResult)}"
                + (f", {uid_text(answered.transfer_syntax)}" if accepted else "")
            )
    return "\n".join(lines + _user_items(pdu.user_information))


def describe_message(message: Any) -> str:
    """A DIMSE message with its command fields (PS3.7 9.3, 10.3)."""
    fields = []
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        if value is None or field.name.startswith("_"):
            continue
        if field.name.endswith("_uid") and isinstance(value, str):
            value = uid_text(value)
        elif field.name == "status":
            value = f"0x{value:04X}"
        fields.append(f"{field.name}={value}")
    return f"{type(message).__name__}: {', '.join(fields)}"
