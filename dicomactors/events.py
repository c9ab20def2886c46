"""Events a user can bind handlers to (``from dicomactors import evt``).

Notification events tell a handler that something happened; their return
value is ignored and an exception they raise is logged, never propagated.
Intervention events ask a handler for a decision or a service result; each
has a default used when nothing is bound (C-ECHO answers 0x0000, the others
refuse).

A handler is bound as ``(event, handler)`` or ``(event, handler, [args])``;
the extra arguments are passed after the :class:`Event`.
"""

from __future__ import annotations

import logging
import mmap
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydicom import Dataset

LOGGER = logging.getLogger("dicomactors.events")


# Each event is one object (the EVT_* constants): equal only to itself, hashed by
# identity, which is what the handler tables, keyed by event, look up fastest.
@dataclass(frozen=True, slots=True, eq=False)
class NotificationEvent:
    name: str
    description: str
    is_intervention = False
    is_notification = True

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        # Pickled and copied as the constant itself: an event stays equal only to itself.
        return self.name


@dataclass(frozen=True, slots=True, eq=False)
class InterventionEvent:
    name: str
    description: str
    is_intervention = True
    is_notification = False

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        # Pickled and copied as the constant itself: an event stays equal only to itself.
        return self.name


EventType = NotificationEvent | InterventionEvent

EVT_ABORTED = NotificationEvent("EVT_ABORTED", "Association aborted")
EVT_ACCEPTED = NotificationEvent("EVT_ACCEPTED", "Association request accepted")
EVT_ACSE_RECV = NotificationEvent("EVT_ACSE_RECV", "ACSE primitive received from the DUL")
EVT_ACSE_SENT = NotificationEvent("EVT_ACSE_SENT", "ACSE primitive sent to the DUL")
EVT_CONN_CLOSE = NotificationEvent("EVT_CONN_CLOSE", "Connection closed")
EVT_CONN_OPEN = NotificationEvent("EVT_CONN_OPEN", "Connection opened")
EVT_DATA_RECV = NotificationEvent("EVT_DATA_RECV", "PDU data received from the peer")
EVT_DATA_SENT = NotificationEvent("EVT_DATA_SENT", "PDU data sent to the peer")
EVT_DIMSE_RECV = NotificationEvent("EVT_DIMSE_RECV", "Complete DIMSE message received")
EVT_DIMSE_SENT = NotificationEvent("EVT_DIMSE_SENT", "DIMSE message sent")
EVT_ESTABLISHED = NotificationEvent("EVT_ESTABLISHED", "Association established")
EVT_FSM_TRANSITION = NotificationEvent("EVT_FSM_TRANSITION", "State machine transition")
EVT_PDU_RECV = NotificationEvent("EVT_PDU_RECV", "PDU received and decoded")
EVT_PDU_SENT = NotificationEvent("EVT_PDU_SENT", "PDU encoded and sent")
EVT_REJECTED = NotificationEvent("EVT_REJECTED", "Association request rejected")
EVT_RELEASED = NotificationEvent("EVT_RELEASED", "Association released")
EVT_REQUESTED = NotificationEvent("EVT_REQUESTED", "Association requested")

EVT_ASYNC_OPS = InterventionEvent("EVT_ASYNC_OPS", "Asynchronous operations negotiation")
EVT_SOP_COMMON = InterventionEvent("EVT_SOP_COMMON", "SOP class common extended negotiation")
EVT_SOP_EXTENDED = InterventionEvent("EVT_SOP_EXTENDED", "SOP class extended negotiation")
EVT_USER_ID = InterventionEvent("EVT_USER_ID", "User identity negotiation")
EVT_C_ECHO = InterventionEvent("EVT_C_ECHO", "C-ECHO request received")
EVT_C_FIND = InterventionEvent("EVT_C_FIND", "C-FIND request received")
EVT_C_GET = InterventionEvent("EVT_C_GET", "C-GET request received")
EVT_C_MOVE = InterventionEvent("EVT_C_MOVE", "C-MOVE request received")
EVT_C_STORE = InterventionEvent("EVT_C_STORE", "C-STORE request received")
EVT_N_ACTION = InterventionEvent("EVT_N_ACTION", "N-ACTION request received")
EVT_N_CREATE = InterventionEvent("EVT_N_CREATE", "N-CREATE request received")
EVT_N_DELETE = InterventionEvent("EVT_N_DELETE", "N-DELETE request received")
EVT_N_EVENT_REPORT = InterventionEvent("EVT_N_EVENT_REPORT", "N-EVENT-REPORT request received")
EVT_N_GET = InterventionEvent("EVT_N_GET", "N-GET request received")
EVT_N_SET = InterventionEvent("EVT_N_SET", "N-SET request received")

_ALL = {name: value for name, value in dict(globals()).items() if name.startswith("EVT_")}
NOTIFICATION_EVENTS = tuple(e for e in _ALL.values() if isinstance(e, NotificationEvent))
INTERVENTION_EVENTS = tuple(e for e in _ALL.values() if isinstance(e, InterventionEvent))


def get_default_handler(event: EventType) -> Callable[..., Any] | None:
    """The handler used for an intervention event that has none bound."""
    return _DEFAULTS.get(event)


def _received_into_a_file(data: bytes | memoryview | None) -> bool:
    """Whether a data set is the map of a file it was received into (``ae.store_to_disk``)."""
    return isinstance(data, memoryview) and isinstance(data.obj, mmap.mmap)


class Event:
    """What a handler receives: the association, the event, and its details.

    Attributes set for every event: ``assoc``, ``event``, ``timestamp``.
    Others depend on the event (``address``, ``context``, ``request``,
    ``pdu``, ``message``, ...). ``dataset`` and ``identifier`` decode the
    received data set on first access; ``encoded_dataset()`` gives the raw
    bytes (with the File Meta Information when asked) without decoding.
    """

    request: Any
    context: Any
    address: Any

    if TYPE_CHECKING:
        # Each event sets its own attributes (``app_info``, ``user_id_type``, ...).
        def __getattr__(self, name: str) -> Any: ...

    def __init__(
        self,
        assoc: Any,
        event: EventType,
        attrs: dict[str, Any] | None = None,
        *,
        dataset_bytes: bytes | memoryview | None = None,
        transfer_syntax: str | None = None,
        cancel_check: Callable[[], bool] | None = None,
        **attributes: Any,
    ) -> None:
        self.assoc = assoc
        self.event = event
        self.timestamp = datetime.now()
        self._decoded: Dataset | None = None
        self._dataset_bytes = dataset_bytes
        self._transfer_syntax = transfer_syntax
        self._cancel_check = cancel_check
        self._dataset_file: Path | None = None
        self.__dict__.update(attrs or {})  # pynetdicom's Event(assoc, event, attrs)
        self.__dict__.update(attributes)

    @property
    def name(self) -> str:
        return self.event.name

    @property
    def description(self) -> str:
        return self.event.description

    @property
    def is_cancelled(self) -> bool:
        """True once a C-CANCEL for this request has arrived (C-FIND, C-GET, C-MOVE)."""
        return bool(self._cancel_check and self._cancel_check())

    def _decode(self) -> Dataset:
        if self._decoded is None:
            if self._dataset_bytes is None:
                raise AttributeError(f"{self.event.name} carries no data set")
            from dicomactors.dataset import decode_dataset

            self._decoded = decode_dataset(self._dataset_bytes, self._transfer_syntax or "")
        return self._decoded

    @property
    def dataset(self) -> Dataset:
        """The received data set, decoded on first access (C-STORE, N-SET, ...)."""
        return self._decode()

    @property
    def identifier(self) -> Dataset:
        """The request's identifier, decoded on first access (C-FIND, C-GET, C-MOVE)."""
        return self._decode()

    @property
    def attribute_list(self) -> Dataset:
        return self._decode()

    @property
    def action_information(self) -> Dataset:
        return self._decode()

    @property
    def event_information(self) -> Dataset:
        return self._decode()

    @property
    def modification_list(self) -> Dataset:
        return self._decode()

    @property
    def attribute_identifiers(self) -> list[Any]:
        """An N-GET request's Attribute Identifier List, as pydicom ``Tag`` values."""
        return list(self._request_keyword("AttributeIdentifierList", "an N-GET") or [])

    def _request_keyword(self, keyword: str, service: str) -> Any:
        try:
            return getattr(self.request, keyword)
        except AttributeError:
            raise AttributeError(
                f"{self.event.name} is not {service} request and has no {keyword!r}"
            ) from None

    @property
    def message_id(self) -> int:
        """The request's Message ID (0000,0110), for the event of any DIMSE service."""
        return int(self._request_keyword("MessageID", "a DIMSE service"))

    @property
    def move_destination(self) -> str | None:
        """A C-MOVE request's Move Destination (0000,0600), without padding."""
        return self._request_keyword("MoveDestination", "a C-MOVE")  # type: ignore[no-any-return]

    @property
    def event_type(self) -> int | None:
        """An N-EVENT-REPORT request's Event Type ID (0000,1002)."""
        return self._request_keyword("EventTypeID", "an N-EVENT-REPORT")  # type: ignore[no-any-return]

    @property
    def action_type(self) -> int | None:
        """An N-ACTION request's Action Type ID (0000,1008)."""
        return self._request_keyword("ActionTypeID", "an N-ACTION")  # type: ignore[no-any-return]

    @property
    def dataset_path(self) -> Path | None:
        """Where a C-STORE data set received into a file is, as a DICOM file with its
        File Meta Information (``_config.STORE_RECV_CHUNKED_DATASET``, ``ae.store_to_disk``).

        As in pynetdicom: ``None`` for the request of a DIMSE service whose data
        set is in memory, ``AttributeError`` for an event without a request. The
        file is written on first use, from the received file's pages rather than
        through the process's memory, and removed once the handler returns.
        """
        if self._dataset_file is not None:
            return self._dataset_file
        if "request" not in self.__dict__:
            raise AttributeError(
                f"{self.event.name} has no dataset_path: it is not a C-STORE request, or"
                " STORE_RECV_CHUNKED_DATASET (ae.store_to_disk) is off"
            )
        data = self._dataset_bytes
        if self.event is not EVT_C_STORE or not _received_into_a_file(data):
            return None
        with tempfile.NamedTemporaryFile(prefix="dicomactors-", suffix=".dcm", delete=False) as f:
            self._dataset_file = Path(f.name)
            f.write(self._file_meta_bytes())
            f.write(data)  # type: ignore[arg-type]
        return self._dataset_file

    def _remove_files(self) -> None:
        """Remove the file ``dataset_path`` wrote, if any: the handler has returned."""
        if self._dataset_file is not None:
            self._dataset_file.unlink(missing_ok=True)

    @property
    def encoded_dataset_bytes(self) -> bytes | memoryview | None:
        """The data set exactly as received, in ``transfer_syntax``."""
        return self._dataset_bytes

    @property
    def transfer_syntax(self) -> str | None:
        return self._transfer_syntax

    def encoded_dataset(self, include_meta: bool = True) -> bytes:
        """The received data set as bytes, as a DICOM file when ``include_meta``.

        No decoding and re-encoding happens: the File Meta Information is
        built from the request and prefixed to the bytes as received.
        """
        if self._dataset_bytes is None:
            raise AttributeError(f"{self.event.name} carries no data set")
        if not include_meta:
            return bytes(self._dataset_bytes)
        return self._file_meta_bytes() + bytes(self._dataset_bytes)

    def _file_meta_bytes(self) -> bytes:
        from dicomactors.dataset import file_meta_bytes

        return file_meta_bytes(
            sop_class_uid=str(getattr(self.request, "affected_sop_class_uid", "")),
            sop_instance_uid=str(getattr(self.request, "affected_sop_instance_uid", "")),
            transfer_syntax=self._transfer_syntax or "",
        )

    @property
    def file_meta(self) -> Dataset:
        from dicomactors.dataset import file_meta_dataset

        return file_meta_dataset(
            sop_class_uid=str(getattr(self.request, "affected_sop_class_uid", "")),
            sop_instance_uid=str(getattr(self.request, "affected_sop_instance_uid", "")),
            transfer_syntax=self._transfer_syntax or "",
        )


# -- handler bindings ---------------------------------------------------------

Handler = Callable[..., Any]
HandlerSpec = tuple[EventType, Handler] | tuple[EventType, Handler, Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Binding:
    event: EventType
    handler: Handler
    args: tuple[Any, ...] = ()


def parse_handlers(specs: Iterable[Any] | None) -> tuple[Binding, ...]:
    """Turn the user's ``evt_handlers`` list into bindings, with clear errors."""
    out: list[Binding] = []
    for spec in specs or ():
        if not isinstance(spec, tuple | list) or len(spec) not in (2, 3):
            raise ValueError(
                "each evt_handlers entry must be (event, handler) or (event, handler, [args]);"
                f" got {spec!r}"
            )
        event, handler = spec[0], spec[1]
        if not isinstance(event, NotificationEvent | InterventionEvent):
            raise TypeError(f"{event!r} is not an event: use one of dicomactors.evt.EVT_*")
        if not callable(handler):
            raise TypeError(f"the handler for {event.name} is not callable: {handler!r}")
        args = tuple(spec[2]) if len(spec) == 3 else ()
        out.append(Binding(event, handler, args))
    return tuple(out)


class HandlerTable:
    """The handlers bound to events: many per notification, one per intervention.

    Changes replace the whole mapping, so readers on other threads always see
    a consistent snapshot without a lock.
    """

    def __init__(self, bindings: Iterable[Binding] = ()) -> None:
        self._table: dict[EventType, tuple[Binding, ...]] = {}
        for binding in bindings:
            self.bind(binding.event, binding.handler, binding.args)

    def bind(self, event: EventType, handler: Handler, args: Sequence[Any] | None = None) -> None:
        table = dict(self._table)
        binding = Binding(event, handler, tuple(args or ()))
        if isinstance(event, InterventionEvent):
            table[event] = (binding,)
        else:
            existing = tuple(b for b in table.get(event, ()) if b.handler is not handler)
            table[event] = (*existing, binding)
        self._table = table

    def unbind(self, event: EventType, handler: Handler) -> None:
        table = dict(self._table)
        kept = tuple(b for b in table.get(event, ()) if b.handler is not handler)
        if kept:
            table[event] = kept
        else:
            table.pop(event, None)
        self._table = table

    def get(self, event: EventType) -> tuple[Binding, ...]:
        return self._table.get(event, ())

    def describe(self, event: EventType) -> Any:
        """pynetdicom's ``get_handlers``: ``(handler, args)`` for an intervention event
        (its default when none is bound), a list of them for a notification event."""
        bindings = self.get(event)
        if isinstance(event, InterventionEvent):
            if not bindings:
                return (get_default_handler(event), None)
            return (bindings[0].handler, list(bindings[0].args) or None)
        return [(b.handler, list(b.args) or None) for b in bindings]

    def events(self) -> list[EventType]:
        return list(self._table)

    def bindings(self) -> tuple[Binding, ...]:
        return tuple(b for group in self._table.values() for b in group)


def trigger_notification(table: HandlerTable, assoc: Any, event: EventType, **attrs: Any) -> None:
    """Call every handler bound to a notification event; exceptions are logged."""
    # Several fire per association and usually nothing is bound at all: an empty
    # table answers without hashing the event.
    if not table._table:
        return
    bindings = table._table.get(event)
    if not bindings:
        return
    evt = Event(assoc, event, **attrs)
    for binding in bindings:
        try:
            binding.handler(evt, *binding.args)
        except Exception:
            LOGGER.exception("handler %r for %s raised", binding.handler, event.name)


def trigger_intervention(table: HandlerTable, assoc: Any, event: EventType, **attrs: Any) -> Any:
    """Call the handler bound to an intervention event (or its default).

    Exceptions propagate: the caller turns them into the failure status or
    rejection that fits the service.
    """
    bindings = table.get(event)
    if bindings:
        binding = bindings[0]
        evt = Event(assoc, event, **attrs)
        try:
            return binding.handler(evt, *binding.args)
        finally:
            evt._remove_files()
    if event in _DEFAULT_ANSWERS:
        return _DEFAULT_ANSWERS[event]
    default = get_default_handler(event)
    if default is None:
        raise NoHandlerError(event)
    return default(Event(assoc, event, **attrs))


class NoHandlerError(LookupError):
    """An intervention event fired with no handler bound and no default."""

    def __init__(self, event: EventType) -> None:
        super().__init__(f"no handler is bound to {event.name}")
        self.event = event


_DEFAULT_ANSWERS: dict[EventType, Any] = {EVT_C_ECHO: 0x0000}
"""What the defaults that never look at their event answer: no Event is built for them."""


def _echo_default(event: Event) -> int:
    return int(_DEFAULT_ANSWERS[EVT_C_ECHO])


_DEFAULTS: dict[EventType, Callable[..., Any]] = {EVT_C_ECHO: _echo_default}


def trigger(assoc: Any, event: EventType, attrs: dict[str, Any] | None = None) -> Any:
    """Fire ``event`` on ``assoc`` by hand, as pynetdicom's ``events.trigger`` does.

    Every handler bound to a notification event is called (what they raise is
    logged); the handler of an intervention event (or its default) is called
    and its answer returned, and what it raises propagates.
    """
    attrs = dict(attrs or {})
    if isinstance(event, NotificationEvent):
        for handler, args in assoc.get_handlers(event):
            try:
                handler(Event(assoc, event, attrs), *(args or ()))
            except Exception:
                LOGGER.exception("handler %r for %s raised", handler, event.name)
        return None
    handler, args = assoc.get_handlers(event)
    if handler is None:
        raise NoHandlerError(event)
    return handler(Event(assoc, event, attrs), *(args or ()))
