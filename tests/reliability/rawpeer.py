"""A peer on a raw socket, for requests no well-behaved SCU would send.

It negotiates with a plain A-ASSOCIATE-RQ, then sends DIMSE commands (and data
set fragments) as given, and reads back PDUs until a response, an A-ABORT or a
close: the test can then tell "answered", "aborted" and "left waiting" apart.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomactors.dimse import decode_command
from dicomactors.pdu import (
    AAbort,
    AAssociateAC,
    PDataTF,
    PDUReader,
    PresentationContextRQItem,
    PresentationDataValue,
    encode_pdu,
)
from harness.malformed import valid_associate_rq


@dataclass(frozen=True)
class Outcome:
    """What came back: a response command (decoded), an A-ABORT, or nothing before the deadline."""

    response: object | None
    aborted: bool
    closed: bool


class RawPeer:
    def __init__(self, port: int, abstract_syntaxes: tuple[str, ...], called: str) -> None:
        contexts = tuple(
            PresentationContextRQItem(
                2 * index + 1, uid, (ImplicitVRLittleEndian, ExplicitVRLittleEndian)
            )
            for index, uid in enumerate(abstract_syntaxes)
        )
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = PDUReader()
        self.sock.sendall(encode_pdu(valid_associate_rq(contexts, called=called)))
        pdus = self._read(time.monotonic() + 10)
        assert pdus and isinstance(pdus[0], AAssociateAC), pdus
        #: The transfer syntax accepted for each presentation context ID.
        self.accepted = {
            item.context_id: item.transfer_syntax
            for item in pdus[0].presentation_contexts
            if item.result == 0 and item.transfer_syntax is not None
        }

    def _read(self, deadline: float) -> list[object]:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return []
            except ConnectionResetError:
                data = b""
            if not data:
                return ["closed"]
            pdus = self.reader.feed(data)
            if pdus:
                return list(pdus)

    def send_command(self, command: bytes, context_id: int = 1, dataset: bytes = b"") -> None:
        pdvs = [PresentationDataValue(context_id, True, True, command)]
        if dataset:
            pdvs.append(PresentationDataValue(context_id, False, True, dataset))
        self.sock.sendall(encode_pdu(PDataTF(tuple(pdvs))))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def outcome(self, timeout: float = 10.0) -> Outcome:
        """The next response command, an A-ABORT or a close, within ``timeout``."""
        pdus = self._read(time.monotonic() + timeout)
        for pdu in pdus:
            if isinstance(pdu, PDataTF):
                command = b"".join(bytes(v.data) for v in pdu.pdvs if v.is_command)
                return Outcome(decode_command(command), False, False)
            if isinstance(pdu, AAbort):
                return Outcome(None, True, False)
            if pdu == "closed":
                return Outcome(None, False, True)
        return Outcome(None, False, False)

    def close(self) -> None:
        self.sock.close()
