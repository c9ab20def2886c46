"""The reference storage and Query/Retrieve SCP.

Stores the instances it receives under one folder, indexes them in SQLite,
answers C-FIND at PATIENT, STUDY, SERIES and IMAGE level for the Patient Root,
Study Root and Patient/Study Only models, and serves C-GET and C-MOVE.

Run it::

    python -m dicomactors.apps.qrscp --port 11112 --aet QRSCP --storage DIR \\
        [--move-destination NAME=HOST:PORT]...

or use it as a library::

    running = QRSCP(storage_dir, "QRSCP", {"STORESCP": ("127.0.0.1", 11113)}).start(
        ("127.0.0.1", 0)
    )
    ...
    running.shutdown()

Files are written exactly as received, the File Meta Information in front
(no decoding and re-encoding), to ``DIR/<study>/<series>/<instance>.dcm``; each
path is built only from UIDs that match the UID grammar of PS3.5 9.1, so no
value a peer sends can point outside ``DIR``. A file is written to a temporary
name and renamed into place, so none is ever half-written.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pydicom.datadict import tag_for_keyword

from dicomactors import events as evt
from dicomactors.aetitle import normalize_ae_title
from dicomactors.qr import Index, QueryError, attributes_of, model_of, parse_query
from dicomactors.qr.model import Query, dictionary_vr
from dicomactors.status import QueryRetrieveStatus, StorageStatus

LOGGER = logging.getLogger("dicomactors.apps.qrscp")

#: PS3.5 9.1: components of digits without leading zeros, dot-separated, at most 64 chars.
UID_GRAMMAR = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")

_INTEGER_VRS = frozenset({"US", "UL", "SS", "SL", "UV", "SV"})
_FLOAT_VRS = frozenset({"FL", "FD"})


def is_valid_uid(value: object) -> bool:
    """Whether ``value`` is a UID by the PS3.5 grammar (so safe as a file name)."""
    return (
        isinstance(value, str) and 0 < len(value) <= 64 and UID_GRAMMAR.fullmatch(value) is not None
    )


def _refusal(code: int, comment: str) -> Dataset:
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment[:64]
    return status


@dataclass
class RunningQRSCP:
    """A started :class:`QRSCP`: where it listens, and how to stop it."""

    scp: QRSCP
    server: Any

    @property
    def port(self) -> int:
        return int(self.server.port)

    @property
    def address(self) -> tuple[str, int]:
        return (str(self.server.server_address[0]), self.port)

    def shutdown(self) -> None:
        self.server.shutdown()
        self.scp.ae.shutdown()

    def serve_forever(self) -> None:
        self.server.serve_forever()


class QRSCP:
    """A storage + Query/Retrieve SCP over ``storage_dir``.

    ``move_destinations`` maps a C-MOVE destination AE title to (host, port).
    """

    def __init__(
        self,
        storage_dir: str | Path,
        ae_title: str = "QRSCP",
        move_destinations: Mapping[str, tuple[str, int]] | None = None,
    ) -> None:
        from dicomactors.ae import AE

        self.storage_dir = Path(storage_dir).resolve()
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.ae_title = normalize_ae_title(ae_title)
        self.move_destinations = {
            normalize_ae_title(name): (host, int(port))
            for name, (host, port) in (move_destinations or {}).items()
        }
        self.index = Index(self.storage_dir / "index.sqlite")
        self.ae = AE(self.ae_title)
        self._add_contexts()

    def _add_contexts(self) -> None:
        from dicomactors.presentation import (
            AllStoragePresentationContexts,
            QueryRetrievePresentationContexts,
            VerificationPresentationContexts,
        )
        from dicomactors.uids import ALL_TRANSFER_SYNTAXES

        for context in VerificationPresentationContexts + QueryRetrievePresentationContexts:
            self.ae.add_supported_context(context.abstract_syntax)
        # Any transfer syntax is stored as it came; both roles may be taken, so a
        # C-GET requestor can be the storage SCP of its sub-operations.
        for context in AllStoragePresentationContexts:
            self.ae.add_supported_context(
                context.abstract_syntax, ALL_TRANSFER_SYNTAXES, scu_role=True, scp_role=True
            )

    def handlers(self) -> list[tuple[evt.EventType, Any]]:
        return [
            (evt.EVT_C_STORE, self.on_c_store),
            (evt.EVT_C_FIND, self.on_c_find),
            (evt.EVT_C_GET, self.on_c_get),
            (evt.EVT_C_MOVE, self.on_c_move),
        ]

    def start(self, address: tuple[str, int] = ("127.0.0.1", 0)) -> RunningQRSCP:
        server = self.ae.start_server(address, block=False, evt_handlers=self.handlers())
        assert server is not None  # block=False always returns the server
        LOGGER.info("%s listening on %s:%s", self.ae_title, *server.server_address)
        return RunningQRSCP(self, server)

    # -- storage ---------------------------------------------------------------

    def path_for(self, study_uid: str, series_uid: str, sop_instance_uid: str) -> Path:
        """Where an instance is stored; ``ValueError`` unless every UID is valid."""
        for name, uid in (
            ("Study Instance UID", study_uid),
            ("Series Instance UID", series_uid),
            ("SOP Instance UID", sop_instance_uid),
        ):
            if not is_valid_uid(uid):
                raise ValueError(f"{name} {uid!r} is not a valid UID")
        path = (self.storage_dir / study_uid / series_uid / f"{sop_instance_uid}.dcm").resolve()
        if not path.is_relative_to(self.storage_dir):  # cannot happen with valid UIDs
            raise ValueError(f"{path} is outside {self.storage_dir}")
        return path

    def on_c_store(self, event: evt.Event) -> int | Dataset:
        rq = event.request  # type: ignore[attr-defined]
        sop_class, sop_instance = rq.affected_sop_class_uid, rq.affected_sop_instance_uid
        if not is_valid_uid(sop_class) or not is_valid_uid(sop_instance):
            return _refusal(StorageStatus.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, "invalid SOP UIDs")
        try:
            ds = event.dataset
            study, series = ds.get("StudyInstanceUID"), ds.get("SeriesInstanceUID")
            stored_uid = ds.get("SOPInstanceUID")
        except Exception as exc:
            LOGGER.warning("C-STORE of %s: data set not readable: %s", sop_instance, exc)
            return _refusal(StorageStatus.CANNOT_UNDERSTAND, f"cannot decode: {exc}")
        if stored_uid is not None and str(stored_uid) != sop_instance:
            return _refusal(
                StorageStatus.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
                "SOP Instance UID differs from the request's",
            )
        try:
            path = self.path_for(str(study or ""), str(series or ""), sop_instance)
        except ValueError as exc:
            LOGGER.warning("C-STORE refused: %s", exc)
            return _refusal(StorageStatus.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, str(exc))
        attributes = attributes_of(ds)
        attributes["SOPInstanceUID"] = sop_instance
        attributes["SOPClassUID"] = sop_class
        attributes["StudyInstanceUID"] = str(study)
        attributes["SeriesInstanceUID"] = str(series)
        _write_atomically(path, event.encoded_dataset(include_meta=True))
        self.index.add(sop_class, str(event.transfer_syntax), path, attributes)
        return 0x0000

    # -- query/retrieve ----------------------------------------------------------

    def _query(self, event: evt.Event) -> Query:
        rq = event.request  # type: ignore[attr-defined]
        model = model_of(rq.affected_sop_class_uid)
        if model is None:
            raise QueryError(f"{rq.affected_sop_class_uid} is not a Query/Retrieve model")
        return parse_query(event.identifier, model)

    def on_c_find(self, event: evt.Event) -> Iterator[tuple[Any, Dataset | None]]:
        try:
            query = self._query(event)
        except Exception as exc:
            LOGGER.warning("C-FIND refused: %s", exc)
            yield _refusal(QueryRetrieveStatus.IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, str(exc)), None
            return
        request_identifier = event.identifier
        for entity in self.index.find(query):
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, self._answer(query, entity.attributes, request_identifier)

    def _answer(self, query: Query, values: dict[str, str], request: Dataset) -> Dataset:
        answer = Dataset()
        charset = values.get("SpecificCharacterSet")
        if charset:
            answer.SpecificCharacterSet = charset.split("\\")
        answer.QueryRetrieveLevel = query.level.value
        if "RetrieveAETitle" in request:
            answer.RetrieveAETitle = self.ae_title
        for keyword in query.return_keys:
            tag = tag_for_keyword(keyword)
            if tag is None:
                continue
            vr = dictionary_vr(keyword)
            if vr == "SQ":
                answer.add_new(tag, vr, [])
                continue
            text = values.get(keyword, "")
            value: Any = text
            if text and vr in _INTEGER_VRS:
                value = [int(v) for v in text.split("\\")]
            elif text and vr in _FLOAT_VRS:
                value = [float(v) for v in text.split("\\")]
            elif not text and (vr in _INTEGER_VRS or vr in _FLOAT_VRS):
                value = None
            answer.add_new(tag, vr, value)
        return answer

    def _retrieve(self, event: evt.Event) -> tuple[list[Path], Dataset | None]:
        try:
            query = self._query(event)
        except Exception as exc:
            LOGGER.warning("retrieve refused: %s", exc)
            code = QueryRetrieveStatus.IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS
            return [], _refusal(code, str(exc))
        return [instance.path for instance in self.index.instances(query)], None

    def _suboperations(self, event: evt.Event, paths: list[Path]) -> Iterator[tuple[int, Any]]:
        for path in paths:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            yield 0xFF00, path

    def on_c_get(self, event: evt.Event) -> Iterator[Any]:
        paths, refusal = self._retrieve(event)
        yield len(paths)
        if refusal is not None:
            yield refusal, None
            return
        yield from self._suboperations(event, paths)

    def on_c_move(self, event: evt.Event) -> Iterator[Any]:
        destination = self.move_destinations.get(event.request.move_destination)  # type: ignore[attr-defined]
        if destination is None:
            yield None, None
            return
        paths, refusal = self._retrieve(event)
        yield destination
        yield len(paths)
        if refusal is not None:
            yield refusal, None
            return
        yield from self._suboperations(event, paths)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


# -- command line ----------------------------------------------------------------


def _destination(text: str) -> tuple[str, tuple[str, int]]:
    name, sep, where = text.partition("=")
    host, colon, port = where.rpartition(":")
    if not sep or not colon or not name or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=HOST:PORT, not {text!r}")
    return name, (host, int(port))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dicomactors.apps.qrscp",
        description="dicomactors reference storage and Query/Retrieve SCP",
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--aet", default="QRSCP", help="this SCP's AE title")
    parser.add_argument(
        "--storage", "--storage-dir", dest="storage", required=True, help="storage folder"
    )
    parser.add_argument(
        "--move-destination",
        type=_destination,
        action="append",
        default=[],
        metavar="NAME=HOST:PORT",
        help="a C-MOVE destination (repeatable)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    scp = QRSCP(args.storage, args.aet, dict(args.move_destination))
    running = scp.start((args.host, args.port))
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"READY {running.port}", flush=True)
    try:
        while not stop.wait(3600):
            pass
    finally:
        running.shutdown()
        scp.index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
