"""The DIMSE actor: one per association, between the association and the DUL.

Downward it turns a DIMSE message and its data set into P-DATA-TF PDUs under
the peer's maximum length; upward it reassembles PDVs into complete messages.
The message layer itself is the pure :mod:`dicomactors.dimse`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pykka

from dicomactors.actors.messages import (
    DIMSEProtocolFailure,
    DIMSEReceived,
    ForwardUp,
    PDataIndication,
    PDataRequest,
    SendDIMSE,
)
from dicomactors.actors.runtime import Strand, StrandActor
from dicomactors.dimse import (
    DatasetSinkFactory,
    DIMSEError,
    DIMSEProtocolError,
    MessageAssembler,
    encode_command,
    fragment_message,
)

LOGGER = logging.getLogger("dicomactors.dimse")


@dataclass(frozen=True, slots=True)
class AttachDUL:
    dul: pykka.ActorRef[Any]


@dataclass(frozen=True, slots=True)
class ForwardDown:
    """For the DIMSE actor to pass to the DUL unchanged, after the P-DATA it was given
    before (an A-RELEASE-RQ must follow the last response on the wire)."""

    message: Any


class DIMSEActor(StrandActor):
    def __init__(
        self,
        strand: Strand,
        upper: pykka.ActorRef[Any],
        sink_factory: DatasetSinkFactory | None = None,
    ) -> None:
        super().__init__(strand)
        self.upper = upper
        self.dul: pykka.ActorRef[Any] | None = None
        self.assembler = MessageAssembler(sink_factory)

    def on_receive(self, message: Any) -> Any:
        kind = type(message)
        if kind is PDataIndication:
            try:
                for done in self.assembler.add_pdata(message.pdu):
                    dataset = done.dataset
                    if done.sink is not None:
                        # A sink that streamed the data set elsewhere (e.g. to a
                        # file) gives it back as a view, if it can.
                        view = getattr(done.sink, "view", None)
                        try:
                            dataset = view() if view is not None else None
                        except OSError as exc:
                            lost = f"the streamed data set is lost: {exc}"
                            raise DIMSEProtocolError(lost) from exc
                    self.upper.tell(DIMSEReceived(done.context_id, done.command, dataset))
            except DIMSEError as exc:
                self.upper.tell(DIMSEProtocolFailure(str(exc)))
        elif kind is SendDIMSE:
            self._send(message)
        elif kind is ForwardUp:
            self.upper.tell(message.message)
        elif kind is ForwardDown:
            if self.dul is not None:
                self.dul.tell(message.message)
        elif kind is AttachDUL:
            self.dul = message.dul
        else:
            LOGGER.warning("DIMSE actor: unexpected message %r", message)

    def _send(self, message: SendDIMSE) -> None:
        try:
            pdus = tuple(
                fragment_message(
                    message.context_id,
                    encode_command(message.message),
                    message.dataset,
                    message.maximum_length,
                )
            )
        except Exception:
            LOGGER.exception("%s could not be encoded: not sent", type(message.message).__name__)
            return
        if self.dul is not None:
            self.dul.tell(PDataRequest(pdus))

    def on_stop(self) -> None:
        self.assembler.abort()
