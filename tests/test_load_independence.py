"""Verdicts that do not depend on the machine's load (issue 12, deliverable 6).

A busy rejection (A-ASSOCIATE-RJ 2/3/x, PS3.8 9.3.4) is waited out, not judged; a transient
rejection from another source answers the request and is judged at once; a close when the
node's ARTIM expires is no reaction to a malformed request, whether it comes just before
or just after the harness stops waiting.
"""

from __future__ import annotations

import socket
import threading

from dicomactors.pdu import (
    AAssociateRJ,
    AAssociateRQ,
    AReleaseRP,
    AReleaseRQ,
    PDUReader,
    encode_pdu,
)
from harness import behaviours as b
from harness import conformance as c
from harness.conformance.core import K, play
from harness.systems import LOOPBACK, SystemUnderTest
from tests._hostile import Handler, serving


class RejectsFirst:
    """Rejects the first ``count`` associations with ``rejection``, accepts the others."""

    def __init__(self, count: int, rejection: tuple[int, int, int]) -> None:
        self.count = count
        self.rejection = rejection
        self.connections = 0
        self._lock = threading.Lock()

    def __call__(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            reject = self.connections <= self.count
        reader = PDUReader()
        with sock:
            while data := sock.recv(65536):
                for pdu in reader.feed(data):
                    if isinstance(pdu, AAssociateRQ) and reject:
                        sock.sendall(encode_pdu(AAssociateRJ(*self.rejection)))
                        return
                    if isinstance(pdu, AAssociateRQ):
                        sock.sendall(encode_pdu(b.accept_all(pdu)))
                    elif isinstance(pdu, AReleaseRQ):
                        sock.sendall(encode_pdu(AReleaseRP()))
                        return


def _sut(port: int, *supports: str) -> SystemUnderTest:
    return SystemUnderTest("node", LOOPBACK, port, "NODE", frozenset(supports))


def test_a_busy_rejection_is_waited_out() -> None:
    node = RejectsFirst(2, (2, 3, 2))
    with serving(node) as port:
        outcome = play(b.associate_and_release("NODE"), _sut(port))
    assert outcome.kind is K.RELEASED
    assert node.connections == 3


def test_a_transient_rejection_that_answers_the_request_is_judged() -> None:
    node = RejectsFirst(2, (2, 1, 2))
    with serving(node) as port:
        outcome = play(b.associate_and_release("NODE"), _sut(port))
    assert outcome.reject == (2, 1, 2)
    assert node.connections == 1


def _closes_after(seconds: float) -> Handler:
    def handler(sock: socket.socket) -> None:
        with sock:
            # The node's own ARTIM: it reads nothing it understands and closes on expiry.
            threading.Event().wait(seconds)

    return handler


def test_a_close_at_artim_is_no_answer_to_a_malformed_request() -> None:
    entry = c.scenario_by_id("malformed-even-context-id")
    for artim in (1.0, 3.0):  # before and after the harness's 2 s bound
        with serving(_closes_after(artim)) as port:
            verdict = entry.check(_sut(port, c.artim(artim)))
        assert verdict.status is c.Status.DEVIATES, (artim, verdict.seen)
    with serving(_closes_after(0.0)) as port:
        assert entry.check(_sut(port, c.artim(1.0))).status is c.Status.PASSED
