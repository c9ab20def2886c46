"""The error family of the DIMSE layer."""

from __future__ import annotations


class DIMSEError(ValueError):
    """Base of every error the DIMSE message layer raises for peer input."""


class DIMSEDecodeError(DIMSEError):
    """Bytes that are not a valid DIMSE command set (PS3.7 6.3.1, 9.3, 10.3).

    ``offset`` is the byte offset, from the start of the command set, where
    decoding found the fault; ``reason`` says what was wrong.
    """

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} (at byte {offset})")
        self.offset = offset
        self.reason = reason


class DIMSEProtocolError(DIMSEError):
    """PDV fragments that break the message rules of PS3.8 Annex E / PS3.7 6.3.1.

    For example a data set fragment before the command set is complete, or a
    fragment for another presentation context in the middle of a message.
    """
