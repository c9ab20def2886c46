"""DICOM users for Locust: each task is one DIMSE service, timed and reported as a request.

A :class:`DicomUser` sends C-ECHO, C-STORE (generated instances or the files of a folder),
C-FIND, C-GET and C-MOVE to the host Locust was given (``dicom://HOST:PORT``), on one
association per task or one kept per user. Each request goes to Locust's statistics with
the service as its type and name, its response time, its size in bytes and, when it fails,
why: a status that is not Success or Warning (or a retrieve with failed sub-operations), an
association rejected (result, source and reason), an abort or a timeout.

gevent: Locust monkey-patches the process before this module is imported. The library's
runtime then runs on gevent's cooperative threads, sockets and poll (its epoll waiter falls
back to ``select.poll``, which gevent patches), so each user drives its associations from
its own greenlet, in-process; docs/load.md has the measurement of what that costs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from locust import User, constant, task
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage

from dicomactors import AE, Association, PresentationContext, build_context, build_role
from dicomactors import events as evt
from dicomactors.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)
from harness.load.instances import FolderInstances, GeneratedInstances, encoded_length
from harness.load.integrity import Ledger, Stored
from harness.load.outcome import (
    DicomFailure,
    Outcome,
    association_failure,
    lost_response,
    status_failure,
)
from harness.load.settings import LoadSettings

LEDGER = Ledger()
"""This process's successful stores (the master's gathers the workers')."""


def _query(keys: tuple[tuple[str, str], ...]) -> Dataset:
    query = Dataset()
    for keyword, value in keys:
        setattr(query, keyword, value)
    return query


class DicomUser(User):
    """A Locust user speaking DICOM. Subclass it with ``@task`` methods that call
    :meth:`c_echo`, :meth:`c_store`, ...; or keep the default task, which picks a service
    by the weights of ``settings.services``. Set ``settings`` on the subclass, or leave it
    None to take it from Locust's command line (``dicomactors load``)."""

    abstract = True
    wait_time = constant(0)
    settings: LoadSettings | None = None

    def on_start(self) -> None:
        self.config = self.settings or LoadSettings.from_options(
            self.environment.parsed_options, self.environment.host
        )
        self.ae = AE(self.config.calling_aet)
        for name in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
            setattr(self.ae, name, self.config.timeout)
        self.source: FolderInstances | GeneratedInstances
        if self.config.store_folder is not None:
            self.source = FolderInstances(self.config.store_folder, random.randrange(1 << 16))
            classes = sorted({instance.sop_class_uid for instance in self.source.instances})
        else:
            self.source = GeneratedInstances(self.config.instance_bytes)
            classes = [CTImageStorage]
        self.storage_classes = classes
        self.contexts = self._contexts(classes)
        self.assoc: Association | None = None
        self.received_bytes = 0

    def on_stop(self) -> None:
        if self.assoc is not None and self.assoc.is_established:
            self.assoc.release()
        self.assoc = None
        self.ae.shutdown()

    def _contexts(self, storage_classes: list[str]) -> list[PresentationContext]:
        services = self.config.services
        contexts = [build_context(Verification)]
        contexts += [build_context(uid) for uid in storage_classes]
        models = {
            "C-FIND": StudyRootQueryRetrieveInformationModelFind,
            "C-GET": StudyRootQueryRetrieveInformationModelGet,
            "C-MOVE": StudyRootQueryRetrieveInformationModelMove,
        }
        contexts += [build_context(uid) for name, uid in models.items() if services.get(name)]
        return contexts[:128]

    @task
    def mixed(self) -> None:
        """One service, chosen by the weights of ``settings.services``."""
        names = list(self.config.services)
        service = random.choices(names, weights=list(self.config.services.values()))[0]
        {
            "C-ECHO": self.c_echo,
            "C-STORE": self.c_store,
            "C-FIND": self.c_find,
            "C-GET": self.c_get,
            "C-MOVE": self.c_move,
        }[service]()

    # -- the services ---------------------------------------------------------------------

    def c_echo(self) -> None:
        def run(assoc: Association) -> Outcome:
            return self._final("C-ECHO", assoc, assoc.send_c_echo(), "verification", 0)

        self.request("C-ECHO", run)

    def c_store(self) -> None:
        instance = self.source.next()

        def run(assoc: Association) -> Outcome:
            status = assoc.send_c_store(instance.dataset)
            outcome = self._final("C-STORE", assoc, status, "storage", instance.size)
            return replace(outcome, stored=Stored.of(instance))

        self.request("C-STORE", run)

    def c_find(self) -> None:
        def run(assoc: Association) -> Outcome:
            query = _query(self.config.find_keys)
            model = StudyRootQueryRetrieveInformationModelFind
            return self._responses("C-FIND", assoc, assoc.send_c_find(query, model), "find")

        self.request("C-FIND", run)

    def c_get(self) -> None:
        def run(assoc: Association) -> Outcome:
            model = StudyRootQueryRetrieveInformationModelGet
            responses = assoc.send_c_get(self._retrieve_query(), model)
            return self._responses("C-GET", assoc, responses, "get")

        self.request("C-GET", run, retrieve=True)

    def c_move(self) -> None:
        destination = self.config.move_destination or self.config.calling_aet

        def run(assoc: Association) -> Outcome:
            model = StudyRootQueryRetrieveInformationModelMove
            responses = assoc.send_c_move(self._retrieve_query(), destination, model)
            return self._responses("C-MOVE", assoc, responses, "move")

        self.request("C-MOVE", run)

    def _retrieve_query(self) -> Dataset:
        if self.config.retrieve_keys:
            return _query(self.config.retrieve_keys)
        study = getattr(self.source, "study_uid", None)
        if study is None:
            return _query((("QueryRetrieveLevel", "PATIENT"), ("PatientID", "*")))
        return _query((("QueryRetrieveLevel", "STUDY"), ("StudyInstanceUID", study)))

    # -- timing and reporting -------------------------------------------------------------

    def request(
        self, service: str, run: Callable[[Association], Outcome], retrieve: bool = False
    ) -> None:
        """Time ``run`` on an association and report it to Locust as one request."""
        started = time.perf_counter()
        self.received_bytes = 0
        try:
            assoc = self._association(retrieve)
            outcome = run(assoc)
        except DicomFailure as failure:
            outcome = Outcome(failure=failure)
        except (OSError, TimeoutError, RuntimeError, ValueError) as error:
            outcome = Outcome(failure=DicomFailure(f"{service}: {type(error).__name__}: {error}"))
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.environment.events.request.fire(
            request_type=service,
            name=service,
            response_time=elapsed_ms,
            response_length=outcome.length + self.received_bytes,
            exception=outcome.failure,
            context={"called_aet": self.config.called_aet},
        )
        # Counted and recorded together, before anything that may yield to another
        # greenlet: a user stopped at the end of the run cannot leave one without the other.
        if outcome.failure is None and outcome.stored is not None:
            LEDGER.record(outcome.stored)
        self._after(retrieve)

    def _association(self, retrieve: bool) -> Association:
        """The association for this task: the kept one if alive, else a new one."""
        if self.assoc is not None and self.assoc.is_established and not retrieve:
            return self.assoc
        self._drop()
        handlers = [(evt.EVT_C_STORE, self._on_store)] if retrieve else None
        roles = (
            [build_role(uid, scp_role=True) for uid in self.storage_classes] if retrieve else None
        )
        tls = (self.config.tls, self.config.tls_hostname) if self.config.tls else None
        assoc = self.ae.associate(
            self.config.host,
            self.config.port,
            contexts=self.contexts,
            ae_title=self.config.called_aet,
            max_pdu=self.config.max_pdu,
            ext_neg=roles,
            tls_args=tls,
            evt_handlers=handlers,
        )
        if not assoc.is_established:
            raise association_failure(assoc)
        self.assoc = assoc
        return assoc

    def _after(self, retrieve: bool) -> None:
        """Per task: release. Per user: keep it, unless it broke or carried a C-GET (whose
        roles and handler the other services do not need)."""
        if self.config.association == "task" or retrieve:
            self._drop()
        elif self.assoc is not None and not self.assoc.is_established:
            self.assoc = None

    def _drop(self) -> None:
        if self.assoc is not None and self.assoc.is_established:
            self.assoc.release()
        self.assoc = None

    def _on_store(self, event: Any) -> int:
        self.received_bytes += len(event.encoded_dataset(include_meta=False))
        return 0x0000

    def _final(
        self, service: str, assoc: Association, status: Dataset, kind: str, length: int
    ) -> Outcome:
        if "Status" not in status:
            raise lost_response(assoc, service, self.config.timeout)
        return Outcome(length, status_failure(service, status, kind))

    def _responses(self, service: str, assoc: Association, responses: Any, kind: str) -> Outcome:
        """Walk a C-FIND/C-GET/C-MOVE's responses to the final one."""
        final: Dataset | None = None
        length = 0
        for status, identifier in responses:
            final = status
            if identifier is not None:
                length += encoded_length(identifier)
        if final is None or "Status" not in final:
            raise lost_response(assoc, service, self.config.timeout)
        failure = status_failure(service, final, kind)
        failed = int(final.get("NumberOfFailedSuboperations", 0) or 0)
        if failure is None and failed:
            failure = DicomFailure(f"{service}: {failed} sub-operation(s) failed")
        return Outcome(length, failure)
