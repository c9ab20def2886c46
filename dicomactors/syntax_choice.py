"""Which transfer syntax an acceptor takes for a presentation context (PS3.8 9.3.3.2).

A requestor proposes one or more transfer syntaxes per context and the acceptor
answers with exactly one. The standard leaves the choice to the acceptor; the
implementations differ:

- DCMTK's ``storescp`` accepts by its own preference list, which by default
  puts Explicit VR in the local byte order first and Implicit VR Little
  Endian last.
- pynetdicom takes the first of the acceptor's supported list that was
  proposed, and its default list starts with Implicit VR Little Endian.
- Taking the requestor's first choice honours the requestor's order.

The choice matters for speed: a file on disk is usually Explicit VR Little
Endian, and a requestor sends it as it is only if that is what was accepted.
Implicit VR also loses the VRs of private elements (PS3.5 6.2.2).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

__all__ = [
    "DEFAULT_TRANSFER_SYNTAX_CHOICE",
    "TransferSyntaxChoice",
    "as_transfer_syntax_choice",
    "choose_transfer_syntax",
]


class TransferSyntaxChoice(enum.Enum):
    """How an acceptor picks one of the transfer syntaxes proposed for a context."""

    #: The requestor's order, except that Explicit VR Little Endian is taken over
    #: Implicit VR Little Endian whenever both are proposed and supported: what
    #: DCMTK's ``storescp`` answers by default. A requestor that proposes a
    #: compressed syntax first (its data is compressed) still gets it.
    EXPLICIT_OVER_IMPLICIT = "explicit-over-implicit"
    #: The first proposed transfer syntax that the acceptor supports.
    REQUESTOR = "requestor"
    #: The first of the acceptor's supported list that was proposed (pynetdicom).
    ACCEPTOR = "acceptor"


DEFAULT_TRANSFER_SYNTAX_CHOICE = TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT


def as_transfer_syntax_choice(value: TransferSyntaxChoice | str) -> TransferSyntaxChoice:
    """A choice from itself or its name ("explicit-over-implicit", "requestor", "acceptor")."""
    try:
        return TransferSyntaxChoice(value)
    except ValueError:
        names = ", ".join(repr(choice.value) for choice in TransferSyntaxChoice)
        raise ValueError(f"transfer_syntax_choice must be one of {names}, not {value!r}") from None


_EXPLICIT = str(ExplicitVRLittleEndian)
_IMPLICIT = str(ImplicitVRLittleEndian)


def choose_transfer_syntax(
    requested: Sequence[str],
    supported: Sequence[str],
    choice: TransferSyntaxChoice = DEFAULT_TRANSFER_SYNTAX_CHOICE,
) -> str | None:
    """The transfer syntax to accept, or ``None`` when none proposed is supported."""
    # A handful of syntaxes on each side: scanning the lists beats building a set.
    if choice is TransferSyntaxChoice.ACCEPTOR:
        first, second = supported, requested
    else:
        first, second = requested, supported
    for syntax in first:
        if syntax in second:
            if (
                syntax == _IMPLICIT
                and choice is TransferSyntaxChoice.EXPLICIT_OVER_IMPLICIT
                and _EXPLICIT in requested
                and _EXPLICIT in supported
            ):
                return _EXPLICIT
            return str(syntax)
    return None
