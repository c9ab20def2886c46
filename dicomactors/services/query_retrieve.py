"""Query/Retrieve and Basic Worklist SCP: C-FIND, C-GET, C-MOVE (PS3.4 C.4, K.4; PS3.7 9.1.2-4).

The handlers follow pynetdicom's conventions, so code written for it runs here:

- ``EVT_C_FIND``: yields ``(status, identifier)``; pending statuses carry matches.
- ``EVT_C_GET``: yields the number of sub-operations, then ``(status, dataset)``.
- ``EVT_C_MOVE``: yields ``(addr, port)`` or ``(addr, port, {associate kwargs})`` (or
  ``(None, None)`` for an unknown destination), then the number of sub-operations,
  then ``(status, dataset)``.

A "dataset" to send may also be the path of a DICOM file: it is then sent as
stored, without decoding and re-encoding, when the transfer syntax allows.
C-GET sub-operations are C-STOREs on the same association (the requestor must
have taken the SCP role for the storage class); C-MOVE sub-operations go over a
new association to the destination the handler names. A C-CANCEL sets
``event.is_cancelled``; the service also stops between sub-operations on its own.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.filereader import read_file_meta_info

from dicomactors import events as evt
from dicomactors.dataset import encode_dataset
from dicomactors.dimse import CFindRSP, CGetRSP, CMoveRSP
from dicomactors.dimse_primitives import primitive_for
from dicomactors.presentation import build_context
from dicomactors.services.common import status_from_handler
from dicomactors.status import QueryRetrieveStatus, StatusCategory, status_category
from dicomactors.uids import DEFAULT_TRANSFER_SYNTAXES

LOGGER = logging.getLogger("dicomactors.services.query_retrieve")

PENDING = QueryRetrieveStatus.MATCHES_CONTINUING
CANCEL = 0xFE00
SUCCESS = 0x0000
SOME_FAILED = QueryRetrieveStatus.SUBOPERATIONS_COMPLETE_WITH_FAILURES
MOVE_DESTINATION_UNKNOWN = QueryRetrieveStatus.MOVE_DESTINATION_UNKNOWN

# Failures in the 0xCxxx "unable to process" range, numbered as pynetdicom does so
# logs read alike: the identifier could not be decoded, the handler raised or yielded
# something unusable, a response could not be encoded.
FIND_HANDLER_FAILED = 0xC311
FIND_BAD_RESPONSE = 0xC312
GET_HANDLER_FAILED = 0xC411
GET_BAD_COUNT = 0xC413
MOVE_HANDLER_FAILED = 0xC511
MOVE_BAD_COUNT = 0xC513
MOVE_BAD_DESTINATION = 0xC514
MOVE_ASSOCIATION_FAILED = 0xA801


def _fire(assoc: Any, handlers: evt.HandlerTable, event: Any, request: Any) -> Any:
    return evt.trigger_intervention(
        handlers,
        assoc,
        event,
        context=request.context.as_tuple,
        request=primitive_for(request.message, request.dataset),
        dataset_bytes=request.dataset if request.dataset is not None else b"",
        transfer_syntax=str(request.context.transfer_syntax[0]),
        cancel_check=request.cancel.is_set,
    )


# -- C-FIND -------------------------------------------------------------------


def handle_c_find(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    syntax = str(request.context.transfer_syntax[0])

    def respond(status: int, identifier: bytes | None = None, **extra: Any) -> None:
        send(
            CFindRSP(
                message_id_being_responded_to=rq.message_id,
                status=status,
                affected_sop_class_uid=rq.affected_sop_class_uid,
                has_dataset=identifier is not None,
                **extra,
            ),
            identifier,
        )

    try:
        results = iter(_fire(assoc, handlers, evt.EVT_C_FIND, request))
    except evt.NoHandlerError:
        respond(FIND_HANDLER_FAILED, error_comment="no handler for EVT_C_FIND")
        return
    except Exception as exc:
        LOGGER.exception("the EVT_C_FIND handler raised")
        respond(FIND_HANDLER_FAILED, error_comment=_comment(exc))
        return
    try:
        for result in _guarded(results, request.cancel.is_set):
            if result is None:  # cancelled between two matches
                respond(CANCEL)
                return
            code, extra, identifier = _pair(result)
            if status_category(code) is not StatusCategory.PENDING:
                respond(code, **extra)
                return
            try:
                encoded = encode_dataset(identifier, syntax) if identifier is not None else None
            except Exception as exc:
                LOGGER.exception("a C-FIND match could not be encoded")
                respond(FIND_BAD_RESPONSE, error_comment=_comment(exc))
                return
            respond(code, encoded, **extra)
    except Exception as exc:
        LOGGER.exception("the EVT_C_FIND handler failed")
        respond(FIND_HANDLER_FAILED, error_comment=_comment(exc))
        return
    respond(CANCEL if request.cancel.is_set() else SUCCESS)


def _guarded(results: Iterator[Any], cancelled: Callable[[], bool]) -> Iterator[Any]:
    """The handler's results; None once a C-CANCEL has arrived, then stop."""
    for result in results:
        if cancelled() and not _is_cancel(result):
            yield None
            _close(results)
            return
        yield result


def _is_cancel(result: Any) -> bool:
    try:
        return status_from_handler(result[0])[0] == CANCEL
    except Exception:
        return False


def _close(results: Iterator[Any]) -> None:
    close = getattr(results, "close", None)
    if close is not None:
        close()


def _pair(result: Any) -> tuple[int, dict[str, Any], Any]:
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise TypeError(f"a handler must yield (status, dataset) pairs, not {result!r}")
    code, extra = status_from_handler(result[0])
    return code, extra, result[1]


def _comment(exc: BaseException) -> str:
    return f"handler error: {exc}"[:64]


# -- sub-operations shared by C-GET and C-MOVE --------------------------------


@dataclass
class _Progress:
    """Sub-operation counts (PS3.7 9.3.3.2, 9.3.4.2) and the failed instances."""

    remaining: int
    completed: int = 0
    failed: int = 0
    warning: int = 0
    failed_uids: list[str] = field(default_factory=list)

    def counts(self, *, final: bool) -> dict[str, int]:
        out = {
            "number_of_completed_suboperations": self.completed,
            "number_of_failed_suboperations": self.failed,
            "number_of_warning_suboperations": self.warning,
        }
        if not final or self.remaining:
            out["number_of_remaining_suboperations"] = self.remaining
        return out

    def record(self, code: int | None, sop_instance_uid: str) -> None:
        self.remaining = max(self.remaining - 1, 0)
        category = None if code is None else status_category(code)
        if category is StatusCategory.SUCCESS:
            self.completed += 1
        elif category is StatusCategory.WARNING:
            self.warning += 1
        else:
            self.failed += 1
            self.failed_uids.append(sop_instance_uid)

    def failed_list(self, syntax: str) -> bytes:
        identifier = Dataset()
        identifier.FailedSOPInstanceUIDList = list(self.failed_uids)
        return encode_dataset(identifier, syntax)


def _uids_of(item: Any) -> tuple[str, str, str | None]:
    """(SOP class, SOP instance, transfer syntax or None) of a Dataset or a file path."""
    if isinstance(item, str | Path):
        meta = read_file_meta_info(item)
        return (
            str(meta.MediaStorageSOPClassUID),
            str(meta.MediaStorageSOPInstanceUID),
            str(meta.TransferSyntaxUID),
        )
    if not isinstance(item, Dataset):
        raise TypeError(f"a sub-operation needs a Dataset or a file path, not {item!r}")
    own = getattr(item, "file_meta", None)
    syntax = str(own.TransferSyntaxUID) if own is not None and "TransferSyntaxUID" in own else None
    return str(item.get("SOPClassUID", "")), str(item.get("SOPInstanceUID", "")), syntax


def _store(
    target: Any,
    item: Any,
    message_ids: Iterator[int],
    priority: int,
    originator: tuple[str, int] | None,
) -> tuple[int | None, str]:
    """One C-STORE sub-operation; (status or None if it could not be sent, instance UID)."""
    try:
        sop_class, sop_instance, _ = _uids_of(item)
    except Exception:
        LOGGER.exception("a sub-operation's instance could not be read")
        return None, ""
    if target is None or not target.is_established:
        return None, sop_instance
    try:
        target._context_for(sop_class, role="scu")
    except ValueError:
        LOGGER.warning(
            "no accepted context (with this node as SCU) for %s: sub-operation failed", sop_class
        )
        return None, sop_instance
    try:
        status = target.send_c_store(
            item,
            msg_id=next(message_ids),
            priority=priority,
            originator_aet=originator[0] if originator else None,
            originator_id=originator[1] if originator else None,
        )
    except Exception:
        LOGGER.exception("C-STORE sub-operation for %s failed", sop_instance)
        return None, sop_instance
    return (int(status.Status) if "Status" in status else None), sop_instance


def _run_suboperations(
    results: Iterator[Any],
    progress: _Progress,
    request: Any,
    respond: Callable[..., None],
    target: Any,
    originator: tuple[str, int] | None,
    failure: int,
) -> None:
    """Send each yielded instance, answering pending after each; then the final status."""
    rq = request.message
    syntax = str(request.context.transfer_syntax[0])
    message_ids = itertools.count(1)
    try:
        for result in _guarded(results, request.cancel.is_set):
            if result is None:
                respond(CANCEL, progress.failed_list(syntax), **progress.counts(final=True))
                return
            code, extra, item = _pair(result)
            category = status_category(code)
            if category is StatusCategory.CANCEL:
                respond(CANCEL, progress.failed_list(syntax), **progress.counts(final=True))
                return
            if category is not StatusCategory.PENDING:
                final = progress.failed_list(syntax) if progress.failed_uids else None
                respond(code, final, **extra, **progress.counts(final=True))
                return
            status, uid = _store(target, item, message_ids, rq.priority, originator)
            progress.record(status, uid)
            respond(PENDING, None, **progress.counts(final=False))
    except Exception as exc:
        LOGGER.exception("the handler failed during the sub-operations")
        respond(failure, None, error_comment=_comment(exc), **progress.counts(final=True))
        return
    if request.cancel.is_set() and progress.remaining:
        respond(CANCEL, progress.failed_list(syntax), **progress.counts(final=True))
    elif progress.failed or progress.warning:
        respond(SOME_FAILED, progress.failed_list(syntax), **progress.counts(final=True))
    else:
        respond(SUCCESS, None, **progress.counts(final=True))


class _BadCount(TypeError):
    """The handler's first yield was not a number of sub-operations."""


def _count(results: Iterator[Any]) -> int:
    value = next(results)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadCount(f"the handler must yield the number of sub-operations first, not {value!r}")
    return value


def _responder(kind: type, rq: Any, send: Any) -> Callable[..., None]:
    def respond(status: int, identifier: bytes | None = None, **extra: Any) -> None:
        send(
            kind(
                message_id_being_responded_to=rq.message_id,
                status=status,
                affected_sop_class_uid=rq.affected_sop_class_uid,
                has_dataset=identifier is not None,
                **extra,
            ),
            identifier,
        )

    return respond


# -- C-GET --------------------------------------------------------------------


def handle_c_get(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    respond = _responder(CGetRSP, request.message, send)
    try:
        results = iter(_fire(assoc, handlers, evt.EVT_C_GET, request))
    except evt.NoHandlerError:
        respond(GET_HANDLER_FAILED, error_comment="no handler for EVT_C_GET")
        return
    except Exception as exc:
        LOGGER.exception("the EVT_C_GET handler raised")
        respond(GET_HANDLER_FAILED, error_comment=_comment(exc))
        return
    try:
        total = _count(results)
    except StopIteration:
        respond(SUCCESS, None, **_Progress(0).counts(final=True))
        return
    except _BadCount as exc:
        LOGGER.error("the EVT_C_GET handler: %s", exc)
        respond(GET_BAD_COUNT, error_comment=_comment(exc))
        return
    except Exception as exc:
        LOGGER.exception("the EVT_C_GET handler raised")
        respond(GET_HANDLER_FAILED, error_comment=_comment(exc))
        return
    _run_suboperations(results, _Progress(total), request, respond, assoc, None, GET_HANDLER_FAILED)


# -- C-MOVE -------------------------------------------------------------------


def handle_c_move(assoc: Any, handlers: evt.HandlerTable, request: Any, send: Any) -> None:
    rq = request.message
    respond = _responder(CMoveRSP, rq, send)
    started = _move_destination(assoc, handlers, request, respond)
    if started is None:
        return
    results, address, port, kwargs = started
    total = _move_count(results, respond)
    if total is None:
        return
    if "contexts" not in kwargs:
        # Propose exactly the classes (and stored transfer syntaxes) to be moved.
        try:
            items = list(results)
        except Exception as exc:
            LOGGER.exception("the EVT_C_MOVE handler raised")
            respond(MOVE_HANDLER_FAILED, error_comment=_comment(exc))
            return
        kwargs["contexts"] = _contexts_for(items)
        results = iter(items)
    if not kwargs["contexts"]:
        respond(SUCCESS, None, **_Progress(0).counts(final=True))
        return
    kwargs.setdefault("ae_title", rq.move_destination)
    target = _associate_destination(assoc, address, port, kwargs, respond)
    if target is None:
        return
    originator = (assoc.requestor.ae_title, rq.message_id)
    try:
        _run_suboperations(
            results, _Progress(total), request, respond, target, originator, MOVE_HANDLER_FAILED
        )
    finally:
        target.release()


def _move_destination(
    assoc: Any, handlers: evt.HandlerTable, request: Any, respond: Callable[..., None]
) -> tuple[Iterator[Any], str, int, dict[str, Any]] | None:
    """The handler's results and the destination it yielded first; None once answered."""
    try:
        results = iter(_fire(assoc, handlers, evt.EVT_C_MOVE, request))
        destination = next(results)
    except evt.NoHandlerError:
        respond(MOVE_HANDLER_FAILED, error_comment="no handler for EVT_C_MOVE")
        return None
    except Exception as exc:
        LOGGER.exception("the EVT_C_MOVE handler raised")
        respond(MOVE_HANDLER_FAILED, error_comment=_comment(exc))
        return None
    try:
        address, port, kwargs = _destination(destination)
    except (TypeError, ValueError) as exc:
        LOGGER.error("the EVT_C_MOVE handler yielded a bad destination: %s", exc)
        respond(MOVE_BAD_DESTINATION, error_comment=_comment(exc))
        return None
    if address is None:
        LOGGER.info("move destination %r is unknown", request.message.move_destination)
        respond(MOVE_DESTINATION_UNKNOWN)
        _close(results)
        return None
    return results, address, port, kwargs


def _move_count(results: Iterator[Any], respond: Callable[..., None]) -> int | None:
    """The number of sub-operations the handler yielded next; None once answered."""
    try:
        return _count(results)
    except StopIteration:
        respond(SUCCESS, None, **_Progress(0).counts(final=True))
    except _BadCount as exc:
        LOGGER.error("the EVT_C_MOVE handler: %s", exc)
        respond(MOVE_BAD_COUNT, error_comment=_comment(exc))
    except Exception as exc:
        LOGGER.exception("the EVT_C_MOVE handler raised")
        respond(MOVE_HANDLER_FAILED, error_comment=_comment(exc))
    return None


def _associate_destination(
    assoc: Any, address: str, port: int, kwargs: dict[str, Any], respond: Callable[..., None]
) -> Any | None:
    """An association with the move destination; None once answered."""
    try:
        target = assoc.ae.associate(address, port, **kwargs)
    except Exception as exc:
        LOGGER.exception("could not request an association with the move destination")
        respond(MOVE_ASSOCIATION_FAILED, error_comment=_comment(exc))
        return None
    if not target.is_established:
        LOGGER.error("the move destination %s:%s did not accept an association", address, port)
        respond(MOVE_ASSOCIATION_FAILED, error_comment="move destination refused or unreachable")
        return None
    return target


def _destination(value: Any) -> tuple[str | None, int, dict[str, Any]]:
    if not isinstance(value, tuple | list) or len(value) not in (2, 3):
        raise TypeError(f"expected (addr, port) or (addr, port, kwargs), not {value!r}")
    address, port = value[0], value[1]
    kwargs = dict(value[2]) if len(value) == 3 else {}
    if address is None:
        return None, 0, {}
    if not isinstance(address, str) or isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"expected (addr: str, port: int), not {value!r}")
    return address, port, kwargs


def _contexts_for(items: list[Any]) -> list[Any]:
    """The contexts to propose for the instances to move.

    Per SOP class: one context per stored transfer syntax on its own (so a
    compressed instance goes as stored), and one with the uncompressed defaults.
    """
    pairs: dict[tuple[str, str | None], None] = {}
    for result in items:
        if not isinstance(result, tuple | list) or len(result) != 2 or result[1] is None:
            continue
        try:
            sop_class, _, syntax = _uids_of(result[1])
        except Exception:
            continue
        pairs.setdefault((sop_class, syntax), None)
        pairs.setdefault((sop_class, None), None)
    contexts = [
        build_context(sop_class, syntax if syntax is not None else DEFAULT_TRANSFER_SYNTAXES)
        for sop_class, syntax in pairs
    ]
    return contexts[:128]
