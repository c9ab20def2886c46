"""Issue 14, defect 6: ``AE.require_user_identity`` makes the User Identity item mandatory.

A request without it is rejected permanently (service-user, no reason given,
as a refusing EVT_USER_ID handler's is: PS3.8 Table 9-21, PS3.7 D.3.3.7) by
the pure decision (negotiation.screen), before any handler; one with it is judged by the handler.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dicomactors import AE, evt
from dicomactors.negotiation import AcceptorConfig, Reject, screen
from dicomactors.pdu import UserIdentityRQItem
from dicomactors.pdu_primitives import UserIdentityNegotiation
from dicomactors.sop_class import VerificationSOPClass
from harness.malformed import valid_associate_rq


def _associate(port: int, user: bytes | None) -> Any:
    scu = AE(ae_title="SCU")
    scu.add_requested_context(VerificationSOPClass)
    ext_neg = []
    if user is not None:
        identity = UserIdentityNegotiation()
        identity.user_identity_type = 1
        identity.primary_field = user
        ext_neg.append(identity)
    return scu.associate("127.0.0.1", port, ext_neg=ext_neg)


@pytest.mark.parametrize(
    ("required", "user", "accepted"),
    [
        (True, None, False),
        (True, b"alice", True),
        (True, b"mallory", False),
        (False, None, True),
        (False, b"mallory", False),
    ],
)
def test_require_user_identity(required: bool, user: bytes | None, accepted: bool) -> None:
    seen: list[bytes] = []

    def on_user_id(event: evt.Event) -> tuple[bool, None]:
        seen.append(event.primary_field)  # type: ignore[attr-defined]
        return event.primary_field == b"alice", None  # type: ignore[attr-defined]

    ae = AE(ae_title="STRICT")
    ae.add_supported_context(VerificationSOPClass)
    ae.require_user_identity = required
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_USER_ID, on_user_id)]
    )
    try:
        assoc = _associate(server.port, user)
        assert assoc.is_established is accepted
        if accepted:
            assoc.release()
        else:
            assert (assoc.result, assoc.result_source, assoc.result_reason) == (1, 1, 1)
        assert seen == ([] if user is None else [user])
    finally:
        server.shutdown()
        ae.shutdown()


def test_the_decision_is_pure() -> None:
    bare = valid_associate_rq()
    with_identity = replace(
        bare, user_information=(*bare.user_information, UserIdentityRQItem(1, False, b"alice"))
    )
    config = AcceptorConfig(
        ae_title="ANY-SCP",
        maximum_length=16382,
        implementation_class_uid="1.2.3",
        implementation_version_name=None,
        require_user_identity=True,
    )
    rejection = screen(bare, config)
    assert isinstance(rejection, Reject)
    rj = rejection.rejection
    assert (rj.result, rj.source, rj.reason) == (1, 1, 1)
    assert screen(with_identity, config) is None
    assert screen(bare, replace(config, require_user_identity=False)) is None
