"""Short requests are handled on the association's own thread (StrandServiceActor).

C-ECHO, C-STORE and the N- services run their handlers on the association's
strand; C-FIND, C-GET and C-MOVE on a service thread. A handler on the strand
that waits for its own association (an abort, a request of its own) serves the
strand meanwhile instead of deadlocking it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicomactors import AE, build_role, evt
from dicomactors.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    VerificationSOPClass,
)


def _ct() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "STRAND^TEST"
    return ds


def _ae(title: str) -> AE:
    ae = AE(ae_title=title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    return ae


def _scu(*contexts: str) -> AE:
    ae = _ae("STRAND_SCU")
    for uid in contexts:
        ae.add_requested_context(uid, ExplicitVRLittleEndian)
    return ae


def _scp(*contexts: str) -> AE:
    ae = _ae("STRAND_SCP")
    for uid in contexts:
        ae.add_supported_context(uid, ExplicitVRLittleEndian)
    return ae


@contextmanager
def _serving(scp: AE, *handlers: tuple[Any, Any]) -> Iterator[Any]:
    server = scp.start_server(("127.0.0.1", 0), block=False, evt_handlers=list(handlers))
    try:
        yield server
    finally:
        server.shutdown()


def _aborted_during(server: Any, uid: str, send: Callable[[Any], Dataset]) -> None:
    """Associate for ``uid``, send with ``send``: the SCP aborts, so no response comes."""
    assoc = _scu(uid).associate("127.0.0.1", server.port)
    assert assoc.is_established
    assert send(assoc) == Dataset()
    assert assoc.join(5)
    assert assoc.is_aborted


def test_store_handler_runs_on_the_association_thread_and_find_on_another() -> None:
    seen: dict[str, int] = {}

    def on_received(event: evt.Event) -> None:
        seen.setdefault(type(event.message).__name__, threading.get_ident())

    def on_store(event: evt.Event) -> int:
        seen["store handler"] = threading.get_ident()
        return 0x0000

    def on_find(event: evt.Event) -> Any:
        seen["find handler"] = threading.get_ident()
        yield 0x0000, None

    scp = _scp(CTImageStorage, PatientRootQueryRetrieveInformationModelFind)
    handlers = (
        (evt.EVT_DIMSE_RECV, on_received),
        (evt.EVT_C_STORE, on_store),
        (evt.EVT_C_FIND, on_find),
    )
    with _serving(scp, *handlers) as server:
        scu = _scu(CTImageStorage, PatientRootQueryRetrieveInformationModelFind)
        assoc = scu.associate("127.0.0.1", server.port)
        assert assoc.is_established
        assert assoc.send_c_store(_ct()).Status == 0x0000
        query = Dataset()
        query.QueryRetrieveLevel = "PATIENT"
        query.PatientID = ""
        statuses = [status.Status for status, _ in assoc.send_c_find(query, "P")]
        assert statuses == [0x0000]
        assoc.release()
        assert assoc.join(5)
    # The association actor (which fires EVT_DIMSE_RECV) and the C-STORE handler
    # share a thread; the C-FIND handler has a thread of its own.
    assert seen["store handler"] == seen["CStoreRQ"]
    assert seen["find handler"] != seen["CFindRQ"]


def test_abort_from_a_store_handler_completes_inside_the_handler() -> None:
    outcome: dict[str, Any] = {}

    def on_store(event: evt.Event) -> int:
        try:
            event.assoc.abort()
            outcome["aborted"] = event.assoc.is_aborted
        except Exception as exc:  # reported below, not swallowed
            outcome["error"] = exc
        return 0x0000

    with _serving(_scp(CTImageStorage), (evt.EVT_C_STORE, on_store)) as server:
        _aborted_during(server, CTImageStorage, lambda assoc: assoc.send_c_store(_ct()))
    assert "error" not in outcome, outcome.get("error")
    assert outcome["aborted"] is True
    assert server.active_associations == []


def test_echo_handler_sends_its_own_echo_back_on_the_same_association() -> None:
    """The acceptor's C-ECHO handler (on its association's thread) asks the requestor
    for a C-ECHO on the same association and gets the answer before it returns."""
    answered: list[int] = []

    def on_echo(event: evt.Event) -> int:
        answered.append(event.assoc.send_c_echo(msg_id=7).Status)
        return 0x0000

    scp = _ae("STRAND_SCP")
    scp.add_supported_context(VerificationSOPClass, scu_role=True, scp_role=True)
    with _serving(scp, (evt.EVT_C_ECHO, on_echo)) as server:
        scu = _scu(VerificationSOPClass)
        role = build_role(VerificationSOPClass, scu_role=True, scp_role=True)
        assoc = scu.associate("127.0.0.1", server.port, ext_neg=[role])
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
        assert assoc.join(5)
        assert assoc.is_released
    assert answered == [0x0000]


def test_abort_from_a_notification_handler_does_not_wait_for_its_own_actor() -> None:
    """EVT_DIMSE_RECV handlers run inside the association actor: abort() there cannot
    wait for that actor, so it returns at once and the abort follows the handler."""
    outcome: dict[str, Any] = {}

    def on_received(event: evt.Event) -> None:
        if type(event.message).__name__ != "CEchoRQ":
            return
        try:
            outcome["returned"] = event.assoc.abort()
        except Exception as exc:  # reported below
            outcome["error"] = exc

    with _serving(_scp(VerificationSOPClass), (evt.EVT_DIMSE_RECV, on_received)) as server:
        _aborted_during(server, VerificationSOPClass, lambda assoc: assoc.send_c_echo())
    assert "error" not in outcome, outcome.get("error")
    assert outcome["returned"] is None
