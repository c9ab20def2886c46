"""The DIMSE data path's short cuts give what the plain way gives (issue 6).

- ``status_dataset`` builds the Status element without pydicom's conversion: the
  data set is the one ``Dataset()`` and attribute assignment make, element and all.
- ``decode_command`` reports a value that does not decode at that element's offset.
- A service actor tells the association that a one-response request is done with
  its response (``SendResponse.last``), and by ``RequestDone`` otherwise.
- Events are singletons: pickled or copied, an event is the constant itself.
"""

from __future__ import annotations

import copy
import pickle
import struct
import threading
import warnings
from typing import Any

import pytest
from pydicom import Dataset

from dicomactors import events as evt
from dicomactors.actors import service as service_module
from dicomactors.actors.service import HandleRequest, RequestDone, SendResponse, _Service
from dicomactors.dimse import (
    CEchoRSP,
    CFindRQ,
    CFindRSP,
    CStoreRQ,
    CStoreRSP,
    DIMSEDecodeError,
    Priority,
    decode_command,
    encode_command,
    status_dataset,
)
from dicomactors.presentation import PresentationContext

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
FIND = "1.2.840.10008.5.1.4.1.2.2.1"

# ---- status data sets ----------------------------------------------------------


def _pydicom_status(status: Any) -> Dataset:
    ds = Dataset()
    ds.Status = status
    return ds


@pytest.mark.parametrize("status", [0x0000, 0x0001, 0xA700, 0xC000, 0xFF00, 0xFFFF, Priority.HIGH])
def test_status_element_is_what_pydicom_makes(status: int) -> None:
    got = status_dataset(CEchoRSP(message_id_being_responded_to=1, status=status))
    expected = _pydicom_status(status)
    assert got == expected
    assert repr(got) == repr(expected)
    for name in ("VR", "value", "validation_mode", "file_tell", "is_undefined_length"):
        assert getattr(got[0x00000900], name) == getattr(expected[0x00000900], name), name
    assert type(got.Status) is type(expected.Status)


def test_a_status_outside_us_goes_through_pydicom_checks() -> None:
    with warnings.catch_warnings(record=True) as expected_warnings:
        warnings.simplefilter("always")
        expected = _pydicom_status(0x10000)
    with warnings.catch_warnings(record=True) as got_warnings:
        warnings.simplefilter("always")
        got = status_dataset(CStoreRSP(message_id_being_responded_to=1, status=0x10000))
    assert got == expected
    assert [str(w.message) for w in got_warnings] == [str(w.message) for w in expected_warnings]


def test_status_data_sets_share_no_element() -> None:
    first = status_dataset(CStoreRSP(message_id_being_responded_to=1, status=0))
    second = status_dataset(CStoreRSP(message_id_being_responded_to=2, status=0))
    first.Status = 0xC000
    assert second.Status == 0


# ---- command sets -----------------------------------------------------------------


def _store_rq() -> CStoreRQ:
    return CStoreRQ(
        message_id=7, affected_sop_class_uid=CT_IMAGE, affected_sop_instance_uid="1.2.3"
    )


def _offset_of(encoded: bytes, element: int) -> int:
    offset = 0
    while True:
        _, found, length = struct.unpack_from("<HHI", encoded, offset)
        if found == element:
            return offset
        offset += 8 + length


def test_a_bad_value_is_reported_at_its_element() -> None:
    raw = encode_command(_store_rq())
    priority = _offset_of(raw, 0x0700)
    # Priority (US) given 4 bytes instead of 2.
    body = raw[12:priority] + struct.pack("<HHI", 0, 0x0700, 4) + b"\x01\x00\x00\x00"
    body += raw[priority + 10 :]
    encoded = struct.pack("<HHII", 0, 0, 4, len(body)) + body
    with pytest.raises(DIMSEDecodeError, match="Priority") as info:
        decode_command(encoded)
    assert info.value.offset == priority


def test_commands_decode_from_a_view_into_a_larger_buffer() -> None:
    encoded = encode_command(_store_rq())
    buffer = bytearray(b"\xff" * 5 + encoded + b"\xee" * 7)
    view = memoryview(buffer)[5 : 5 + len(encoded)]
    assert decode_command(view) == _store_rq()


@pytest.mark.parametrize("has_dataset", [False, True])
def test_the_data_set_type_follows_has_dataset(has_dataset: bool) -> None:
    msg = CFindRSP(message_id_being_responded_to=1, status=0xFF00, has_dataset=has_dataset)
    assert decode_command(encode_command(msg)) == msg


# ---- service actors: how a request's end is told ------------------------------------


class _Association:
    def __init__(self) -> None:
        self.told: list[Any] = []

    def tell(self, message: Any) -> None:
        self.told.append(message)


class _Probe(_Service):
    def __init__(self, handlers: evt.HandlerTable) -> None:
        self.association = _Association()  # type: ignore[assignment]
        self.facade = None
        self.handlers = handlers


def _context(abstract_syntax: str) -> PresentationContext:
    context = PresentationContext()
    context.context_id = 1
    context.abstract_syntax = abstract_syntax
    context.transfer_syntax = ["1.2.840.10008.1.2.1"]
    return context


def _told(handlers: evt.HandlerTable, request: HandleRequest) -> list[Any]:
    probe = _Probe(handlers)
    probe.on_receive(request)
    return probe.association.told  # type: ignore[attr-defined, no-any-return]


def test_a_store_ends_with_its_only_response() -> None:
    handlers = evt.HandlerTable([evt.Binding(evt.EVT_C_STORE, lambda event: 0x0000)])
    told = _told(handlers, HandleRequest(_context(CT_IMAGE), _store_rq(), b"", None))
    assert [type(m) for m in told] == [SendResponse]
    (response,) = told
    assert response.last is True
    assert response.message.message_id_being_responded_to == 7
    assert response.message.status == 0x0000


def test_a_store_whose_handler_raises_still_ends_with_its_response() -> None:
    def broken(event: Any) -> int:
        raise RuntimeError("disk on fire")

    handlers = evt.HandlerTable([evt.Binding(evt.EVT_C_STORE, broken)])
    told = _told(handlers, HandleRequest(_context(CT_IMAGE), _store_rq(), b"", None))
    assert [(type(m), m.last) for m in told] == [(SendResponse, True)]
    assert told[0].message.status == 0xC000


def test_a_request_that_fails_before_answering_ends_with_request_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(*args: Any) -> None:
        raise RuntimeError("no service")

    monkeypatch.setattr(service_module, "dispatch", fails)
    told = _told(evt.HandlerTable(), HandleRequest(_context(CT_IMAGE), _store_rq(), b"", None))
    assert told == [RequestDone(7)]


def test_a_find_ends_with_request_done_after_its_responses() -> None:
    def matches(event: Any) -> Any:
        for name in ("A", "B"):
            identifier = Dataset()
            identifier.PatientName = name
            yield 0xFF00, identifier

    handlers = evt.HandlerTable([evt.Binding(evt.EVT_C_FIND, matches)])
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "PATIENT"
    identifier.PatientName = "*"
    from dicomactors.dataset import encode_dataset

    request = HandleRequest(
        _context(FIND),
        CFindRQ(message_id=3, affected_sop_class_uid=FIND),
        encode_dataset(identifier, "1.2.840.10008.1.2.1"),
        threading.Event(),
    )
    told = _told(handlers, request)
    assert [type(m) for m in told] == [SendResponse, SendResponse, SendResponse, RequestDone]
    assert [m.last for m in told[:3]] == [False, False, False]
    assert [m.message.status for m in told[:3]] == [0xFF00, 0xFF00, 0x0000]
    assert told[-1] == RequestDone(3)


# ---- events ----------------------------------------------------------------------------


@pytest.mark.parametrize("event", [*evt.NOTIFICATION_EVENTS, *evt.INTERVENTION_EVENTS])
def test_an_event_copied_or_pickled_is_the_constant(event: evt.EventType) -> None:
    assert pickle.loads(pickle.dumps(event)) is event
    assert copy.copy(event) is event
    assert copy.deepcopy(event) is event


def test_event_keywords_set_what_the_handler_reads() -> None:
    event = evt.Event(
        "assoc",
        evt.EVT_C_STORE,
        dataset_bytes=b"\x01\x02",
        transfer_syntax="1.2.840.10008.1.2.1",
        context=(1, CT_IMAGE, "1.2.840.10008.1.2.1"),
    )
    assert event.encoded_dataset_bytes == b"\x01\x02"
    assert event.transfer_syntax == "1.2.840.10008.1.2.1"
    assert event.context == (1, CT_IMAGE, "1.2.840.10008.1.2.1")
    assert not event.is_cancelled
    assert "dataset_bytes" not in vars(event)
