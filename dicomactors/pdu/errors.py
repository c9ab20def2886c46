"""The one error family a PDU decoder may raise."""

from __future__ import annotations


class PDUDecodeError(ValueError):
    """Bytes from a peer that are not a valid PDU (PS3.8 9.3).

    ``offset`` is the byte offset, from the start of the PDU, where decoding
    found the fault; ``reason`` says what was wrong. The DUL turns this error
    into the A-ABORT (or A-ASSOCIATE-RJ) that PS3.8 9.3.1 and 9.2 ask for.
    ``abort_reason`` is the A-ABORT reason/diag value that fits the fault
    (PS3.8 Table 9-26): 1 unrecognized PDU, 2 unexpected PDU,
    4 unrecognized PDU parameter, 5 unexpected PDU parameter,
    6 invalid PDU parameter value.
    """

    def __init__(self, offset: int, reason: str, abort_reason: int = 6) -> None:
        super().__init__(f"{reason} (at byte {offset})")
        self.offset = offset
        self.reason = reason
        self.abort_reason = abort_reason
