"""Extended negotiation both ways (PS3.7 D.3.3): asynchronous operations window,
SOP class extended and common extended negotiation, user identity, role selection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest

from dicomactors import AE, build_role, evt
from dicomactors.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from dicomactors.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelGet,
    VerificationSOPClass,
)

FIND = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


def _ext_neg() -> list[Any]:
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 5
    window.maximum_number_operations_performed = 3
    extended = SOPClassExtendedNegotiation()
    extended.sop_class_uid = FIND
    extended.service_class_application_information = b"\x01\x01"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = CTImageStorage
    common.service_class_uid = "1.2.840.10008.4.2"
    common.related_general_sop_class_identification = ["1.2.840.10008.5.1.4.1.1.2.1"]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.positive_response_requested = True
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    return [window, extended, common, identity, build_role(CTImageStorage, scp_role=True)]


@pytest.fixture
def recording_scp() -> Iterator[tuple[Any, dict[str, Any]]]:
    seen: dict[str, Any] = {}

    def on_async(event: evt.Event) -> tuple[int, int]:
        seen["async"] = (event.invoked, event.performed)
        return 2, 1

    def on_extended(event: evt.Event) -> dict[str, bytes]:
        seen["extended"] = dict(event.app_info)
        return {uid: b"\x01\x00" for uid in event.app_info}

    def on_common(event: evt.Event) -> dict[str, Any]:
        seen["common"] = dict(event.items)
        return dict(event.items)

    def on_user(event: evt.Event) -> tuple[bool, bytes]:
        seen["user"] = (event.user_id_type, event.primary_field, event.secondary_field)
        return True, b"token-for-alice"

    ae = AE(ae_title="EXTNEG")
    ae.add_supported_context(VerificationSOPClass)
    ae.add_supported_context(FIND)
    ae.add_supported_context(CTImageStorage, scu_role=True, scp_role=True)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[
            (evt.EVT_ASYNC_OPS, on_async),
            (evt.EVT_SOP_EXTENDED, on_extended),
            (evt.EVT_SOP_COMMON, on_common),
            (evt.EVT_USER_ID, on_user),
        ],
    )
    try:
        yield server, seen
    finally:
        server.shutdown()


def test_dicomactors_to_dicomactors(recording_scp):
    server, seen = recording_scp
    scu = AE()
    for uid in (VerificationSOPClass, FIND, CTImageStorage):
        scu.add_requested_context(uid)
    assoc = scu.associate("127.0.0.1", server.port, ext_neg=_ext_neg())
    assert assoc.is_established
    assert seen["async"] == (5, 3)
    assert seen["extended"] == {FIND: b"\x01\x01"}
    (common,) = seen["common"].values()
    assert common.related_general_sop_class_uids == ("1.2.840.10008.5.1.4.1.1.2.1",)
    assert seen["user"] == (2, b"alice", b"secret")
    # What the acceptor answered is what the requestor sees.
    assert assoc.acceptor.asynchronous_operations == (2, 1)
    assert assoc.acceptor.sop_class_extended == {FIND: b"\x01\x00"}
    identity = assoc.acceptor.user_identity
    assert identity is not None
    assert identity.server_response == b"token-for-alice"
    # Role selection applied: we proposed SCP for CT storage, the acceptor allows it.
    (ct,) = [c for c in assoc.accepted_contexts if c.abstract_syntax == CTImageStorage]
    assert (ct.as_scu, ct.as_scp) == (False, True)
    assoc.release()


def test_pynetdicom_requestor_to_dicomactors(recording_scp):
    server, seen = recording_scp
    scu = pynetdicom.AE()
    for uid in (VerificationSOPClass, FIND, CTImageStorage):
        scu.add_requested_context(uid)
    window = pynetdicom.pdu_primitives.AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 5
    window.maximum_number_operations_performed = 3
    identity = pynetdicom.pdu_primitives.UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.positive_response_requested = True
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    extended = pynetdicom.pdu_primitives.SOPClassExtendedNegotiation()
    extended.sop_class_uid = FIND
    extended.service_class_application_information = b"\x01\x01"
    role = pynetdicom.build_role(CTImageStorage, scp_role=True)
    assoc = scu.associate("127.0.0.1", server.port, ext_neg=[window, identity, extended, role])
    try:
        assert assoc.is_established
        assert seen["async"] == (5, 3)
        assert seen["extended"] == {FIND: b"\x01\x01"}
        assert seen["user"] == (2, b"alice", b"secret")
        assert assoc.acceptor.asynchronous_operations == (2, 1)
        (ct,) = [c for c in assoc.accepted_contexts if c.abstract_syntax == CTImageStorage]
        assert ct.as_scp is True
    finally:
        assoc.release()


def test_dicomactors_requestor_to_pynetdicom():
    seen: dict[str, Any] = {}

    def on_user(event: Any) -> tuple[bool, bytes]:
        seen["user"] = (event.user_id_type, event.primary_field, event.secondary_field)
        return True, b"granted"

    def on_async(event: Any) -> tuple[int, int]:
        # pynetdicom 3.0 documents event.invoked/performed but sets nr_invoked/nr_performed.
        seen["async"] = (event.nr_invoked, event.nr_performed)
        return 1, 1

    def on_extended(event: Any) -> dict[str, bytes]:
        seen["extended"] = dict(event.app_info)
        return {FIND: b"\x01"}

    scp = pynetdicom.AE(ae_title="PYNETDICOM")
    scp.add_supported_context(VerificationSOPClass)
    scp.add_supported_context(FIND)
    scp.add_supported_context(CTImageStorage, scu_role=True, scp_role=True)
    server = scp.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[  # type: ignore[list-item]
            (pynetdicom.evt.EVT_USER_ID, on_user),
            (pynetdicom.evt.EVT_ASYNC_OPS, on_async),
            (pynetdicom.evt.EVT_SOP_EXTENDED, on_extended),
        ],
    )
    assert server is not None
    try:
        scu = AE()
        for uid in (VerificationSOPClass, FIND, CTImageStorage):
            scu.add_requested_context(uid)
        ext = [i for i in _ext_neg() if not isinstance(i, SOPClassCommonExtendedNegotiation)]
        # pynetdicom answers user identity only for types 3 to 5: ask for a JWT.
        ext[-2].user_identity_type = 5
        ext[-2].secondary_field = b""
        assoc = scu.associate("127.0.0.1", server.server_address[1], ext_neg=ext)
        assert assoc.is_established
        assert seen["async"] == (5, 3)
        assert seen["extended"] == {FIND: b"\x01\x01"}
        assert seen["user"][:2] == (5, b"alice")
        identity = assoc.acceptor.user_identity
        assert identity is not None
        assert identity.server_response == b"granted"
        assert assoc.acceptor.sop_class_extended == {FIND: b"\x01"}
        (ct,) = [c for c in assoc.accepted_contexts if c.abstract_syntax == CTImageStorage]
        assert (ct.as_scu, ct.as_scp) == (False, True)
        assert assoc.send_c_echo().Status == 0
        assoc.release()
    finally:
        server.shutdown()


def test_user_identity_rejected_by_the_handler():
    ae = AE(ae_title="STRICT")
    ae.add_supported_context(VerificationSOPClass)
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_USER_ID, lambda e: (False, None))]
    )
    try:
        scu = AE()
        scu.add_requested_context(VerificationSOPClass)
        identity = UserIdentityNegotiation()
        identity.user_identity_type = 1
        identity.primary_field = b"mallory"
        assoc = scu.associate("127.0.0.1", server.port, ext_neg=[identity])
        assert assoc.is_rejected
        assert (assoc.result, assoc.result_source, assoc.result_reason) == (1, 1, 1)
    finally:
        server.shutdown()


def test_role_selection_lets_a_get_scu_act_as_storage_scp():
    ae = AE(ae_title="QR")
    ae.add_supported_context(PatientRootQueryRetrieveInformationModelGet)
    ae.add_supported_context(CTImageStorage, scu_role=True, scp_role=True)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        scu = AE()
        scu.add_requested_context(PatientRootQueryRetrieveInformationModelGet)
        scu.add_requested_context(CTImageStorage)
        assoc = scu.associate(
            "127.0.0.1", server.port, ext_neg=[build_role(CTImageStorage, scp_role=True)]
        )
        assert assoc.is_established
        roles = {str(c.abstract_syntax): (c.as_scu, c.as_scp) for c in assoc.accepted_contexts}
        assert roles[CTImageStorage] == (False, True)
        assert roles[PatientRootQueryRetrieveInformationModelGet] == (True, False)
        (acceptor,) = server.active_associations
        acceptor_roles = {
            str(c.abstract_syntax): (c.as_scu, c.as_scp) for c in acceptor.accepted_contexts
        }
        assert acceptor_roles[CTImageStorage] == (True, False)
        assoc.release()
    finally:
        server.shutdown()
