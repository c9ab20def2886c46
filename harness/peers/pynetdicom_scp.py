"""A pynetdicom SCP to test against, run as its own process (or in its container).

It is a peer, not part of dicomactors: it imports pynetdicom and pydicom only, so that the
container image can carry it alone. Services, chosen with ``--services``:

- ``echo``: Verification SCP.
- ``store``: Storage SCP for every storage SOP class; with ``--storage-dir`` each instance is
  written there as a DICOM file, otherwise it is received and dropped.
- ``find``, ``get``, ``move``: Query/Retrieve over the files in ``--storage-dir`` (patient and
  study root); move destinations come from ``--peer AET=HOST:PORT``.
- ``commitment``: Storage Commitment Push Model SCP; the N-EVENT-REPORT is sent on the same
  association once the N-ACTION response has gone out, or on a new association to the
  requestor's ``--peer`` address when it has already released.
- ``nservices``: N-CREATE, N-SET, N-GET and N-DELETE of Modality Performed Procedure Step
  instances kept in memory.

When it listens it prints ``READY <port>`` on stdout (``--port 0`` picks a free port).
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid
from pynetdicom import (
    AE,
    AllStoragePresentationContexts,
    build_context,
    build_role,
    evt,
)
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityPerformedProcedureStep,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StorageCommitmentPushModel,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

ALL_SERVICES = frozenset({"echo", "store", "find", "get", "move", "commitment", "nservices"})

# The attribute that identifies an entity at each Query/Retrieve level (PS3.4 C.6).
UNIQUE_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
LEVEL_ORDER = ("PATIENT", "STUDY", "SERIES", "IMAGE")

# Status codes (PS3.4 and PS3.7 Annex C).
SUCCESS = 0x0000
PENDING = 0xFF00
OUT_OF_RESOURCES = 0xA700
UNABLE_TO_PROCESS = 0xC000
IDENTIFIER_DOES_NOT_MATCH = 0xA900
NO_SUCH_OBJECT_INSTANCE = 0x0112
DUPLICATE_SOP_INSTANCE = 0x0111
NO_SUCH_ACTION_TYPE = 0x0123

LOGGER = logging.getLogger("pynetdicom_scp")


class Archive:
    """The instances in one folder: what find, get and move answer from, store writes to."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def save(self, dataset: Dataset, file_meta: FileMetaDataset) -> Path | None:
        if self.folder is None:
            return None
        dataset.file_meta = file_meta
        path = self.folder / f"{dataset.SOPInstanceUID}.dcm"
        with self._lock:
            dataset.save_as(path, enforce_file_format=True)
        return path

    def headers(self) -> Iterator[tuple[Path, Dataset]]:
        if self.folder is None:
            return
        for path in sorted(self.folder.iterdir()):
            if not path.is_file():
                continue
            try:
                yield path, dcmread(path, stop_before_pixels=True)
            except Exception:  # not a DICOM file: not part of the archive
                continue

    def contains(self, sop_instance_uid: str) -> bool:
        if self.folder is None:
            return False
        return (self.folder / f"{sop_instance_uid}.dcm").is_file()


def _matches(query_value: Any, value: Any) -> bool:
    """Single value, wildcard, list-of-UID and universal matching (PS3.4 C.2.2.2)."""
    if query_value in (None, ""):
        return True
    if value is None:
        return False
    text = str(query_value)
    if "\\" in text:
        return str(value) in text.split("\\")
    if "*" in text or "?" in text:
        return fnmatch.fnmatchcase(str(value), text)
    return str(value) == text


def matching_instances(archive: Archive, identifier: Dataset) -> list[tuple[Path, Dataset]]:
    found = []
    for path, header in archive.headers():
        ok = True
        for element in identifier:
            keyword = element.keyword
            if keyword in ("QueryRetrieveLevel", "SpecificCharacterSet", "") or element.VR == "SQ":
                continue
            if not _matches(element.value, header.get(keyword)):
                ok = False
                break
        if ok:
            found.append((path, header))
    return found


def find_responses(archive: Archive, identifier: Dataset) -> Iterator[tuple[int, Dataset | None]]:
    level = str(identifier.get("QueryRetrieveLevel", ""))
    if level not in UNIQUE_KEYS:
        yield IDENTIFIER_DOES_NOT_MATCH, None
        return
    unique = UNIQUE_KEYS[level]
    seen: set[str] = set()
    for _, header in matching_instances(archive, identifier):
        key = str(header.get(unique, ""))
        if key in seen:
            continue
        seen.add(key)
        answer = Dataset()
        answer.QueryRetrieveLevel = level
        for element in identifier:
            keyword = element.keyword
            if keyword in ("QueryRetrieveLevel", "") or element.VR == "SQ":
                continue
            if keyword in header:
                answer[element.tag] = header[element.tag]
            else:
                answer[element.tag] = element
        yield PENDING, answer


def retrieve_datasets(archive: Archive, identifier: Dataset) -> list[Dataset]:
    return [dcmread(path) for path, _ in matching_instances(archive, identifier)]


def storage_contexts(datasets: list[Dataset]) -> list[Any]:
    """One presentation context per SOP class, offering each instance's own transfer syntax
    and the two uncompressed little endian ones."""
    offered: dict[str, list[str]] = {}
    for dataset in datasets:
        syntaxes = offered.setdefault(
            str(dataset.SOPClassUID), [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )
        syntax = str(dataset.file_meta.TransferSyntaxUID)
        if syntax not in syntaxes:
            syntaxes.insert(0, syntax)
    if not offered:
        return [build_context(Verification)]
    return [build_context(uid, syntaxes) for uid, syntaxes in offered.items()]


def parse_peers(values: list[str]) -> dict[str, tuple[str, int]]:
    peers = {}
    for value in values:
        name, _, address = value.partition("=")
        host, _, port = address.rpartition(":")
        peers[name] = (host, int(port))
    return peers


class CommitmentReporter:
    """Sends the Storage Commitment N-EVENT-REPORT after the N-ACTION response (PS3.4 J.3)."""

    def __init__(self, ae: AE, archive: Archive, peers: dict[str, tuple[str, int]]) -> None:
        self.ae = ae
        self.archive = archive
        self.peers = peers
        self._pending: dict[int, tuple[Dataset, str]] = {}
        self._lock = threading.Lock()

    def on_action(self, event: evt.Event) -> tuple[int, Dataset | None]:
        if event.action_type != 1:
            return NO_SUCH_ACTION_TYPE, None
        request = event.action_information
        report, event_type = self._report(request)
        with self._lock:
            self._pending[id(event.assoc)] = (report, str(event_type))
        return SUCCESS, None

    def on_sent(self, event: evt.Event) -> None:
        if type(event.message).__name__ != "N_ACTION_RSP":
            return
        with self._lock:
            pending = self._pending.pop(id(event.assoc), None)
        if pending is None:
            return
        report, event_type = pending
        calling = event.assoc.requestor.ae_title
        threading.Thread(
            target=self._send, args=(event.assoc, calling, report, int(event_type)), daemon=True
        ).start()

    def _report(self, request: Dataset) -> tuple[Dataset, int]:
        report = Dataset()
        report.TransactionUID = request.TransactionUID
        done, failed = [], []
        for item in request.get("ReferencedSOPSequence", []):
            reference = Dataset()
            reference.ReferencedSOPClassUID = item.ReferencedSOPClassUID
            reference.ReferencedSOPInstanceUID = item.ReferencedSOPInstanceUID
            if self.archive.contains(item.ReferencedSOPInstanceUID):
                done.append(reference)
            else:
                reference.FailureReason = NO_SUCH_OBJECT_INSTANCE
                failed.append(reference)
        if done:
            report.ReferencedSOPSequence = done
        if failed:
            report.FailedSOPSequence = failed
        return report, (2 if failed else 1)

    def _send(self, assoc: Any, calling: str, report: Dataset, event_type: int) -> None:
        args = (report, event_type, StorageCommitmentPushModel, UID("1.2.840.10008.1.20.1.1"))
        if assoc.is_established:
            assoc.send_n_event_report(*args)
            return
        if calling not in self.peers:
            LOGGER.warning("commitment report for %s: no --peer address to send it to", calling)
            return
        host, port = self.peers[calling]
        reporter = AE(ae_title=self.ae.ae_title)
        reporter.add_requested_context(StorageCommitmentPushModel)
        role = build_role(StorageCommitmentPushModel, scp_role=True)
        new_assoc = reporter.associate(host, port, ae_title=calling, ext_neg=[role])
        if new_assoc.is_established:
            new_assoc.send_n_event_report(*args)
            new_assoc.release()


class ManagedInstances:
    """N-CREATE, N-SET, N-GET and N-DELETE over instances kept in memory (PS3.7 10.1)."""

    def __init__(self) -> None:
        self._instances: dict[str, Dataset] = {}
        self._lock = threading.Lock()

    def on_create(self, event: evt.Event) -> tuple[int, Dataset | None]:
        request: Any = event.request
        uid = str(request.AffectedSOPInstanceUID or generate_uid())
        with self._lock:
            if uid in self._instances:
                return DUPLICATE_SOP_INSTANCE, None
            attributes = event.attribute_list
            self._instances[uid] = attributes
        return SUCCESS, attributes

    def on_set(self, event: evt.Event) -> tuple[int, Dataset | None]:
        request: Any = event.request
        uid = str(request.RequestedSOPInstanceUID)
        with self._lock:
            instance = self._instances.get(uid)
            if instance is None:
                return NO_SUCH_OBJECT_INSTANCE, None
            modification = event.modification_list
            for element in modification:
                instance[element.tag] = element
        return SUCCESS, modification

    def on_get(self, event: evt.Event) -> tuple[int, Dataset | None]:
        request: Any = event.request
        uid = str(request.RequestedSOPInstanceUID)
        with self._lock:
            instance = self._instances.get(uid)
            if instance is None:
                return NO_SUCH_OBJECT_INSTANCE, None
            answer = Dataset()
            wanted = request.AttributeIdentifierList or []
            for tag in wanted:
                if tag in instance:
                    answer[tag] = instance[tag]
            if not wanted:
                answer.update(instance)
        return SUCCESS, answer

    def on_delete(self, event: evt.Event) -> int:
        request: Any = event.request
        uid = str(request.RequestedSOPInstanceUID)
        with self._lock:
            if self._instances.pop(uid, None) is None:
                return NO_SUCH_OBJECT_INSTANCE
        return SUCCESS


def build_ae(args: argparse.Namespace) -> tuple[AE, list[Any]]:
    services = set(args.services)
    archive = Archive(Path(args.storage_dir) if args.storage_dir else None)
    peers = parse_peers(args.peer)
    ae = _configured_ae(args)
    handlers: list[Any] = []
    if "echo" in services:
        ae.add_supported_context(Verification)
        handlers.append((evt.EVT_C_ECHO, lambda event: SUCCESS))
    if "store" in services or "get" in services:
        # A C-GET requestor takes the storage SCP role on the same association.
        for context in AllStoragePresentationContexts:
            assert context.abstract_syntax is not None
            ae.add_supported_context(context.abstract_syntax, scu_role=False, scp_role=True)
    if "store" in services:
        handlers.append((evt.EVT_C_STORE, _store_handler(archive)))
    if "find" in services:
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelFind)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
        handlers.append((evt.EVT_C_FIND, lambda event: find_responses(archive, event.identifier)))
    if "get" in services:
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelGet)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
        handlers.append((evt.EVT_C_GET, _get_handler(archive)))
    if "move" in services:
        ae.add_supported_context(PatientRootQueryRetrieveInformationModelMove)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelMove)
        handlers.append((evt.EVT_C_MOVE, _move_handler(archive, peers)))
    if "commitment" in services:
        ae.add_supported_context(StorageCommitmentPushModel, scu_role=False, scp_role=True)
        reporter = CommitmentReporter(ae, archive, peers)
        handlers.append((evt.EVT_N_ACTION, reporter.on_action))
        handlers.append((evt.EVT_DIMSE_SENT, reporter.on_sent))
    if "nservices" in services:
        ae.add_supported_context(ModalityPerformedProcedureStep)
        managed = ManagedInstances()
        handlers.append((evt.EVT_N_CREATE, managed.on_create))
        handlers.append((evt.EVT_N_SET, managed.on_set))
        handlers.append((evt.EVT_N_GET, managed.on_get))
        handlers.append((evt.EVT_N_DELETE, managed.on_delete))
    return ae, handlers


def _configured_ae(args: argparse.Namespace) -> AE:
    """An AE with the command line's title, PDU size, association limit and timeouts."""
    ae = AE(ae_title=args.aet)
    ae.maximum_pdu_size = args.max_pdu
    ae.maximum_associations = args.max_associations
    ae.network_timeout = args.network_timeout
    ae.acse_timeout = args.acse_timeout
    ae.dimse_timeout = args.dimse_timeout
    ae.require_called_aet = args.require_called_aet
    return ae


def _store_handler(archive: Archive) -> Callable[[evt.Event], int]:
    """EVT_C_STORE: keep the instance in the archive; Out of Resources if it cannot."""

    def on_store(event: evt.Event) -> int:
        try:
            archive.save(event.dataset, event.file_meta)
        except OSError:
            return OUT_OF_RESOURCES
        return SUCCESS

    return on_store


def _get_handler(archive: Archive) -> Callable[[evt.Event], Iterator[Any]]:
    """EVT_C_GET: the count of matching instances, then each one."""

    def on_get(event: evt.Event) -> Iterator[Any]:
        datasets = retrieve_datasets(archive, event.identifier)
        yield len(datasets)
        for dataset in datasets:
            yield PENDING, dataset

    return on_get


def _move_handler(
    archive: Archive, peers: dict[str, tuple[str, int]]
) -> Callable[[evt.Event], Iterator[Any]]:
    """EVT_C_MOVE: the destination (from ``--peer``), the count, then each instance."""

    def on_move(event: evt.Event) -> Iterator[Any]:
        destination = peers.get(str(event.move_destination).strip())
        if destination is None:
            yield None, None  # pynetdicom answers 0xA801, move destination unknown
            return
        datasets = retrieve_datasets(archive, event.identifier)
        # The sub-association proposes the storage classes of what it will send.
        yield (*destination, {"contexts": storage_contexts(datasets)})
        yield len(datasets)
        for dataset in datasets:
            yield PENDING, dataset

    return on_move


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11112)
    parser.add_argument("--aet", default="PYNETDICOM")
    parser.add_argument(
        "--services",
        type=lambda text: [s for s in text.split(",") if s],
        default=sorted(ALL_SERVICES),
        help="comma-separated: " + ",".join(sorted(ALL_SERVICES)),
    )
    parser.add_argument("--storage-dir", default=None)
    parser.add_argument("--peer", action="append", default=[], help="AET=HOST:PORT")
    parser.add_argument("--max-pdu", type=int, default=16382)
    parser.add_argument("--max-associations", type=int, default=10)
    parser.add_argument("--network-timeout", type=float, default=60.0)
    parser.add_argument("--acse-timeout", type=float, default=30.0)
    parser.add_argument("--dimse-timeout", type=float, default=30.0)
    parser.add_argument("--require-called-aet", action="store_true")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    unknown = set(args.services) - ALL_SERVICES
    if unknown:
        parser.error(f"unknown services: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if args.storage_dir:
        os.makedirs(args.storage_dir, exist_ok=True)
    ae, handlers = build_ae(args)
    # Block the stop signals before the server's threads start (they inherit the mask), so
    # that the main thread alone takes them in sigwait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    server = ae.start_server((args.bind, args.port), block=False, evt_handlers=handlers)
    assert server is not None
    print(f"READY {server.server_address[1]}", flush=True)
    signal.sigwait(stop_signals)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
