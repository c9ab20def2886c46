"""The messages actors send each other, one frozen dataclass per primitive.

Direction matters (STYLE: ask only downward, notify upward with tell):

    facade -> AssociationActor -> DIMSEActor -> DULActor -> socket
    socket reader -> DULActor -> DIMSEActor -> AssociationActor -> facade

A message that asks for an answer carries a ``concurrent.futures.Future``
that the receiving actor resolves; no actor blocks on one above it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from dicomactors.filedata import FileRegion
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    AAssociateRJ,
    AAssociateRQ,
    PDataTF,
)

Address = tuple[str, int]

# -- socket reader and timers -> DULActor -----------------------------------


@dataclass(frozen=True, slots=True)
class TransportClosed:
    reason: str


@dataclass(frozen=True, slots=True)
class ArtimExpired:
    generation: int


@dataclass(frozen=True, slots=True)
class IdleTimeout:
    generation: int


# -- AssociationActor / DIMSEActor -> DULActor (local primitives) -----------


@dataclass(frozen=True, slots=True)
class TLSClient:
    context: ssl.SSLContext
    server_hostname: str | None


@dataclass(frozen=True, slots=True)
class AAssociateRequest:
    """A-ASSOCIATE request primitive: connect, then send the RQ."""

    pdu: AAssociateRQ
    address: Address
    connection_timeout: float | None = None
    bind_address: Address | None = None
    tls: TLSClient | None = None


@dataclass(frozen=True, slots=True)
class AAssociateResponse:
    """A-ASSOCIATE response primitive: accept (AC) or reject (RJ)."""

    pdu: AAssociateAC | AAssociateRJ


@dataclass(frozen=True, slots=True)
class PDataRequest:
    pdus: tuple[PDataTF, ...]


@dataclass(frozen=True, slots=True)
class AReleaseRequest:
    pass


@dataclass(frozen=True, slots=True)
class AReleaseResponse:
    pass


@dataclass(frozen=True, slots=True)
class AAbortRequest:
    """``reason`` (when given) is why the connection closed, as the DUL reports it."""

    pdu: AAbort = field(default_factory=AAbort)
    reason: str = ""


# -- DULActor -> upper actors (indications and confirmations) ---------------


@dataclass(frozen=True, slots=True)
class TransportOpened:
    local: Address
    remote: Address


@dataclass(frozen=True, slots=True)
class ConnectionFailed:
    reason: str


@dataclass(frozen=True, slots=True)
class AAssociateIndication:
    pdu: AAssociateRQ


@dataclass(frozen=True, slots=True)
class AAssociateConfirmAccept:
    pdu: AAssociateAC


@dataclass(frozen=True, slots=True)
class AAssociateConfirmReject:
    pdu: AAssociateRJ


@dataclass(frozen=True, slots=True)
class PDataIndication:
    pdu: PDataTF


@dataclass(frozen=True, slots=True)
class AReleaseIndication:
    collision: bool = False


@dataclass(frozen=True, slots=True)
class AReleaseConfirm:
    pass


@dataclass(frozen=True, slots=True)
class NetworkTimeoutExpired:
    """Nothing came from the peer of an established association for the network_timeout:
    the association actor releases or aborts (``Association.network_timeout_response``)."""

    reason: str


@dataclass(frozen=True, slots=True)
class AAbortIndication:
    """A-ABORT from the peer (``pdu`` set) or A-P-ABORT from the provider."""

    pdu: AAbort | None
    reason: str


@dataclass(frozen=True, slots=True)
class TransportReleased:
    """The connection is closed and the DUL is back in Sta1: it is stopping."""

    reason: str


# -- DIMSE -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendDIMSE:
    """Encode a DIMSE message and hand its P-DATA PDUs to the DUL."""

    context_id: int
    message: Any
    dataset: bytes | memoryview | FileRegion | None
    maximum_length: int


@dataclass(frozen=True, slots=True)
class ForwardUp:
    """For the DIMSE actor to pass up unchanged, in order after the P-DATA before it."""

    message: Any


@dataclass(frozen=True, slots=True)
class DIMSEReceived:
    context_id: int
    message: Any
    dataset: bytes | memoryview | None


@dataclass(frozen=True, slots=True)
class DIMSEProtocolFailure:
    reason: str
