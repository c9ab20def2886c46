"""The Application Entity: the user's entry point, pynetdicom's ``AE`` API.

``AE`` keeps settings and contexts, starts association actors for
``associate`` (requestor) and server actors for ``start_server`` (acceptor:
each server's actor starts the associations through the AE's
:class:`_ServerAssociations`), and remembers the live associations for
``active_associations`` and ``shutdown``.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from time import monotonic
from typing import Any, Literal, overload

import pykka

from dicomactors import _config as config_flags
from dicomactors import events as evt
from dicomactors.actors.association import (
    AssociateOutcome,
    AssociationActor,
    AssociationConfig,
    RequestAssociation,
)
from dicomactors.actors.messages import TLSClient
from dicomactors.actors.runtime import Strand
from dicomactors.aetitle import AETitle, AETitleLike, normalize_ae_title
from dicomactors.association import Association
from dicomactors.negotiation import assign_context_ids, base_user_information
from dicomactors.pdu import AAssociateRQ
from dicomactors.pdu.items import ordered_user_information
from dicomactors.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
    coerce_uid,
)
from dicomactors.presentation import MAX_PRESENTATION_CONTEXTS, PresentationContext, build_context
from dicomactors.server import AssociationServer
from dicomactors.syntax_choice import (
    DEFAULT_TRANSFER_SYNTAX_CHOICE,
    TransferSyntaxChoice,
    as_transfer_syntax_choice,
)
from dicomactors.uids import (
    DEFAULT_TRANSFER_SYNTAXES,
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
)

LOGGER = logging.getLogger("dicomactors.ae")

_EXTENDED_TYPES = (
    AsynchronousOperationsWindowNegotiation,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassExtendedNegotiation,
    SOPClassCommonExtendedNegotiation,
    UserIdentityNegotiation,
)


def _timeout(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0 or None, not {value!r}")
    return float(value)


def _spool_setting(value: bool | str | Path) -> bool | str | Path:
    """``store_to_disk``: a bool, or a directory that exists."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str | Path):
        raise ValueError(
            f"store_to_disk must be True, False or a directory (str or Path), not {value!r}"
        )
    if not Path(value).is_dir():
        raise ValueError(f"store_to_disk: {value} is not a directory")
    return value


class AE:
    """A DICOM Application Entity: requests associations and serves them."""

    def __init__(self, ae_title: AETitleLike = "PYNETDICOM") -> None:
        # pynetdicom's default title: peers set up for code written for pynetdicom (a PACS
        # that knows the caller or a C-MOVE destination by title) know this one. The
        # implementation class UID and version name say on the wire what we are.
        self.ae_title = ae_title  # type: ignore[assignment]
        self._requested_contexts: list[PresentationContext] = []
        self._supported_contexts: dict[str, PresentationContext] = {}
        self._servers: list[AssociationServer] = []
        self._associations: list[Association] = []
        self._lock = threading.Lock()
        self.maximum_associations = 10
        #: Connections that have not yet sent their A-ASSOCIATE-RQ: they do not count
        #: against maximum_associations; past this bound the oldest is closed, and
        #: each is closed anyway when ARTIM (acse_timeout) expires.
        self.maximum_pending_connections = 64
        #: Reject (permanently) an A-ASSOCIATE-RQ without a User Identity item
        #: (PS3.7 D.3.3.7); the EVT_USER_ID handler judges the ones that have it.
        self.require_user_identity = False
        self.maximum_pdu_size = 16382
        self.acse_timeout: float | None = 30.0
        self.dimse_timeout: float | None = 30.0
        self.network_timeout: float | None = 60.0
        self.connection_timeout: float | None = None
        self.require_called_aet = False
        self.require_calling_aet: list[AETitle] = []
        self.implementation_class_uid = IMPLEMENTATION_CLASS_UID
        self.implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME
        #: Where received C-STORE data sets go: False keeps each in memory (one copy);
        #: True streams each to a temporary file in the system's temporary directory,
        #: a directory (str or Path) to one there. The handler sees the same bytes
        #: either way (a read-only map of the file, which is already unlinked).
        self.store_to_disk: bool | str | Path = False
        #: Which proposed transfer syntax an association this AE accepts takes for
        #: each context (see :mod:`dicomactors.syntax_choice`): by default Explicit VR
        #: Little Endian over Implicit VR Little Endian, as DCMTK does; "requestor" for
        #: the requestor's first choice, "acceptor" for the supported list's order.
        self.transfer_syntax_choice: TransferSyntaxChoice = DEFAULT_TRANSFER_SYNTAX_CHOICE

    # -- settings ------------------------------------------------------------

    @property
    def ae_title(self) -> AETitle:
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: AETitleLike) -> None:
        self._ae_title = normalize_ae_title(value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
            value = _timeout(name, value)
        elif name in ("maximum_associations", "maximum_pending_connections"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, not {value!r}")
        elif name == "maximum_pdu_size":
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not (value == 0 or 4096 <= value <= 0xFFFFFFFF)
            ):
                raise ValueError(
                    "maximum_pdu_size must be 0 (no limit) or from 4096 to 2**32 - 1,"
                    f" not {value!r}"
                )
        elif name == "store_to_disk":
            value = _spool_setting(value)
        elif name == "transfer_syntax_choice":
            value = as_transfer_syntax_choice(value)
        elif name == "require_calling_aet":
            value = [normalize_ae_title(v) for v in value]
        elif name == "implementation_class_uid":
            value = coerce_uid(value, "implementation_class_uid")
        super().__setattr__(name, value)

    @property
    def requested_contexts(self) -> list[PresentationContext]:
        return list(self._requested_contexts)

    @requested_contexts.setter
    def requested_contexts(self, contexts: Sequence[PresentationContext]) -> None:
        if len(contexts) > MAX_PRESENTATION_CONTEXTS:
            raise ValueError(
                f"at most {MAX_PRESENTATION_CONTEXTS} requested presentation contexts,"
                f" not {len(contexts)}"
            )
        self._requested_contexts = []
        for context in contexts:
            self.add_requested_context(context.abstract_syntax, context.transfer_syntax)

    @property
    def supported_contexts(self) -> list[PresentationContext]:
        return list(self._supported_contexts.values())

    @supported_contexts.setter
    def supported_contexts(self, contexts: Sequence[PresentationContext]) -> None:
        self._supported_contexts = {}
        for context in contexts:
            self.add_supported_context(
                context.abstract_syntax, context.transfer_syntax, context.scu_role, context.scp_role
            )

    def add_requested_context(self, abstract_syntax: Any, transfer_syntax: Any = None) -> None:
        """Propose ``abstract_syntax`` with ``transfer_syntax`` (default: the uncompressed four)."""
        if len(self._requested_contexts) >= MAX_PRESENTATION_CONTEXTS:
            raise ValueError(
                f"cannot add another requested context: {MAX_PRESENTATION_CONTEXTS} is the most"
                " one association can carry"
            )
        if transfer_syntax is None or transfer_syntax == []:
            transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
        self._requested_contexts.append(build_context(abstract_syntax, transfer_syntax))

    def remove_requested_context(self, abstract_syntax: Any, transfer_syntax: Any = None) -> None:
        uid = str(coerce_uid(abstract_syntax, "abstract_syntax"))
        if not any(str(c.abstract_syntax) == uid for c in self._requested_contexts):
            raise ValueError(f"{uid} is not among the requested contexts")
        if transfer_syntax is None:
            self._requested_contexts = [
                c for c in self._requested_contexts if str(c.abstract_syntax) != uid
            ]
            return
        drop = {
            str(t)
            for t in (
                [transfer_syntax] if isinstance(transfer_syntax, str | bytes) else transfer_syntax
            )
        }
        kept = []
        for context in self._requested_contexts:
            if str(context.abstract_syntax) == uid:
                remaining = [t for t in context.transfer_syntax if str(t) not in drop]
                if not remaining:
                    continue
                context.transfer_syntax = remaining
            kept.append(context)
        self._requested_contexts = kept

    def add_supported_context(
        self,
        abstract_syntax: Any,
        transfer_syntax: Any = None,
        scu_role: bool | None = None,
        scp_role: bool | None = None,
    ) -> None:
        """Accept ``abstract_syntax`` in ``transfer_syntax``; roles for SCP/SCU role selection."""
        if transfer_syntax is None or transfer_syntax == []:
            transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
        context = build_context(abstract_syntax, transfer_syntax)
        uid = str(context.abstract_syntax)
        existing = self._supported_contexts.get(uid)
        if existing is not None:
            for syntax in context.transfer_syntax:
                if syntax not in existing.transfer_syntax:
                    existing.add_transfer_syntax(syntax)
            context = existing
        context.scu_role = scu_role
        context.scp_role = scp_role
        self._supported_contexts[uid] = context

    def remove_supported_context(self, abstract_syntax: Any, transfer_syntax: Any = None) -> None:
        uid = str(coerce_uid(abstract_syntax, "abstract_syntax"))
        if uid not in self._supported_contexts:
            raise ValueError(f"{uid} is not among the supported contexts")
        if transfer_syntax is None:
            del self._supported_contexts[uid]
            return
        drop = {
            str(t)
            for t in (
                [transfer_syntax] if isinstance(transfer_syntax, str | bytes) else transfer_syntax
            )
        }
        context = self._supported_contexts[uid]
        remaining = [t for t in context.transfer_syntax if str(t) not in drop]
        if remaining:
            context.transfer_syntax = remaining
        else:
            del self._supported_contexts[uid]

    # -- live associations ---------------------------------------------------

    @property
    def active_associations(self) -> list[Association]:
        with self._lock:
            return [a for a in self._associations if a.is_alive()]

    def _association_started(self, assoc: Association) -> None:
        with self._lock:
            self._associations.append(assoc)

    def _association_closed(self, assoc: Association) -> None:
        with self._lock:
            if assoc in self._associations:
                self._associations.remove(assoc)

    def _established_acceptors(self) -> int:
        with self._lock:
            return sum(1 for a in self._associations if a.is_acceptor and a.is_established)

    def _config(self, **overrides: Any) -> AssociationConfig:
        values: dict[str, Any] = {
            "ae_title": self.ae_title,
            "maximum_length": self.maximum_pdu_size,
            "acse_timeout": self.acse_timeout,
            "dimse_timeout": self.dimse_timeout,
            "network_timeout": self.network_timeout,
            "connection_timeout": self.connection_timeout,
            "implementation_class_uid": str(self.implementation_class_uid),
            "implementation_version_name": self.implementation_version_name,
            "require_called_aet": self.require_called_aet,
            "require_calling_aet": tuple(self.require_calling_aet),
            "store_to_disk": self.store_to_disk or config_flags.STORE_RECV_CHUNKED_DATASET,
            "transfer_syntax_choice": self.transfer_syntax_choice,
            "unrestricted_storage": config_flags.UNRESTRICTED_STORAGE_SERVICE,
            "require_user_identity": self.require_user_identity,
        }
        values.update(overrides)
        return AssociationConfig(**values)

    # -- requestor -----------------------------------------------------------

    def _request_pdu(
        self,
        contexts: Sequence[PresentationContext] | None,
        ae_title: AETitleLike,
        maximum_length: int,
        ext_neg: Sequence[Any] | None,
    ) -> tuple[AAssociateRQ, list[PresentationContext]]:
        """The A-ASSOCIATE-RQ ``associate`` sends and the numbered contexts it proposes."""
        called = normalize_ae_title(ae_title)
        requested = list(contexts) if contexts is not None else self.requested_contexts
        if not requested:
            raise RuntimeError(
                "no requested presentation contexts: call add_requested_context() or pass"
                " contexts= before associating"
            )
        numbered = assign_context_ids(requested)
        if (
            isinstance(maximum_length, bool)
            or not isinstance(maximum_length, int)
            or maximum_length < 0
        ):
            # The user gave it as associate(max_pdu=...).
            raise ValueError(f"max_pdu must be an int >= 0, not {maximum_length!r}")
        version = self.implementation_version_name
        extended: list[Any] = []
        for item in ext_neg or ():
            if isinstance(item, ImplementationVersionNameNotification):
                version = item.implementation_version_name
            elif isinstance(item, ImplementationClassUIDNotification | MaximumLengthNotification):
                continue
            elif isinstance(item, _EXTENDED_TYPES):
                extended.append(item.to_item())
            else:
                raise TypeError(f"{item!r} is not an extended negotiation item")
        user_info = base_user_information(
            maximum_length, str(self.implementation_class_uid), version
        )
        if extended:
            user_info = tuple(ordered_user_information([*user_info, *extended]))
        rq = AAssociateRQ(
            called_ae_title=called,
            calling_ae_title=self.ae_title,
            presentation_contexts=tuple(c.to_rq_item() for c in numbered),
            user_information=user_info,
        )
        return rq, numbered

    def associate(
        self,
        addr: str,
        port: int,
        contexts: Sequence[PresentationContext] | None = None,
        ae_title: AETitleLike = "ANY-SCP",
        max_pdu: int = 16382,
        ext_neg: Sequence[Any] | None = None,
        bind_address: tuple[str, int] | None = None,
        tls_args: tuple[ssl.SSLContext, str | None] | None = None,
        evt_handlers: Sequence[Any] | None = None,
    ) -> Association:
        """Request an association with the peer at ``addr``:``port``.

        Returns the :class:`Association`, established or not: check
        ``is_established`` (or ``is_rejected``, ``is_aborted``). A connection
        that cannot be made gives an association that is none of these.
        """
        if not isinstance(addr, str):
            raise TypeError(f"addr must be a host name or IP address string, not {addr!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port must be an int from 1 to 65535, not {port!r}")
        rq, numbered = self._request_pdu(contexts, ae_title, max_pdu, ext_neg)
        handlers = evt.HandlerTable(evt.parse_handlers(evt_handlers))
        assoc = Association(self, "requestor", handlers)
        assoc.requestor.requested_contexts = numbered
        config = self._config(maximum_length=max_pdu)
        tls = None
        if tls_args is not None:
            context, hostname = tls_args
            if not isinstance(context, ssl.SSLContext):
                raise TypeError("tls_args must be (ssl.SSLContext, server_hostname or None)")
            tls = TLSClient(context, hostname)
        # The request is queued before the strand's thread starts: it runs
        # on_start and the request in one go.
        # A requestor's strand parks while idle: this thread serves it whenever it
        # waits (associate, each request, release), so a worker would only sleep.
        actor, strand = self._start_actors(assoc, config, handlers, park=True)
        self._association_started(assoc)
        done: Future[AssociateOutcome] = Future()
        actor.tell(RequestAssociation(rq, (addr, port), tuple(numbered), done, bind_address, tls))
        wait = None
        if self.acse_timeout is not None:
            wait = self.acse_timeout + (self.connection_timeout or 75) + 5
        # This thread would only wait for the outcome: it serves the strand itself
        # until then (connect, A-ASSOCIATE-RQ, the AC or RJ), and a worker thread
        # takes over from there.
        # (A flag set by the future: Future.done takes a lock at every look.)
        decided: list[bool] = []
        done.add_done_callback(lambda _: decided.append(True))
        strand.start(
            until=lambda: bool(decided), deadline=None if wait is None else monotonic() + wait
        )
        outcome = done.result(timeout=wait)
        if outcome.kind == "failed":
            LOGGER.error("association request failed: %s", outcome.reason)
        elif outcome.kind == "rejected":
            LOGGER.info("association rejected: %s", outcome.rejection)
        return assoc

    # -- acceptor ------------------------------------------------------------

    @overload
    def start_server(
        self,
        address: tuple[str, int],
        block: Literal[False],
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        ae_title: AETitleLike | None = None,
        contexts: Sequence[PresentationContext] | None = None,
    ) -> AssociationServer: ...

    @overload
    def start_server(
        self,
        address: tuple[str, int],
        block: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        ae_title: AETitleLike | None = None,
        contexts: Sequence[PresentationContext] | None = None,
    ) -> AssociationServer | None: ...

    def start_server(
        self,
        address: tuple[str, int],
        block: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        ae_title: AETitleLike | None = None,
        contexts: Sequence[PresentationContext] | None = None,
    ) -> AssociationServer | None:
        """Listen for associations on ``address``; returns the server unless ``block``."""
        supported = self.supported_contexts if contexts is None else [c.copy() for c in contexts]
        if not supported and not config_flags.UNRESTRICTED_STORAGE_SERVICE:
            raise ValueError(
                "no supported presentation contexts: call add_supported_context() or pass"
                " contexts= before starting a server"
            )
        title = normalize_ae_title(ae_title) if ae_title is not None else self.ae_title
        handlers = evt.HandlerTable(evt.parse_handlers(evt_handlers))
        factory = _ServerAssociations(self, title, tuple(supported), handlers, ssl_context)
        server = AssociationServer(
            self,
            address,
            title,
            supported,
            handlers,
            ssl_context,
            factory,
            on_shutdown=self._server_closed,
        )
        self._servers.append(server)
        if not block:
            return server
        try:
            server.serve_forever()
        finally:
            server.shutdown()
        return None

    def make_server(
        self,
        address: tuple[str, int],
        ae_title: str | bytes | None = None,
        contexts: Sequence[PresentationContext] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        server_class: type | None = None,
        **kwargs: Any,
    ) -> AssociationServer:
        """The server ``start_server(..., block=False)`` returns, already listening.

        pynetdicom's ``server_class`` (a ``socketserver`` subclass to instantiate,
        given ``**kwargs``) has no counterpart: the server here is not a
        ``socketserver``, so either raises a clear error.
        """
        if server_class is not None or kwargs:
            raise TypeError(
                "make_server() takes no server_class or extra keyword arguments here:"
                " the server is not a socketserver (see docs/compatibility.md)"
            )
        return self.start_server(
            address, False, ssl_context, evt_handlers, ae_title=ae_title, contexts=contexts
        )

    def _server_closed(self, server: AssociationServer) -> None:
        if server in self._servers:
            self._servers.remove(server)

    def shutdown(self) -> None:
        """Stop every server and abort every association of this AE."""
        for server in list(self._servers):
            server.shutdown()
        for assoc in self.active_associations:
            assoc.abort()
        for assoc in self.active_associations:
            assoc.join(timeout=10)

    @staticmethod
    def _start_actors(
        assoc: Association,
        config: AssociationConfig,
        handlers: evt.HandlerTable,
        park: bool = False,
        **kwargs: Any,
    ) -> tuple[pykka.ActorRef[Any], Strand]:
        """Start ``assoc``'s actors on a held strand (its thread starts on ``start``)."""
        strand = Strand(f"assoc-{assoc.name}", held=True, park=park)
        actor = AssociationActor.start(
            assoc, assoc._board, config, handlers, strand=strand, name=assoc.name, **kwargs
        )
        assoc._actor, assoc._strand = actor, strand
        return actor, strand


class _ServerAssociations:
    """Starts the associations of one server (:class:`actors.server.AssociationFactory`),
    on the server actor's strand."""

    def __init__(
        self,
        ae: AE,
        ae_title: AETitle,
        contexts: tuple[PresentationContext, ...],
        handlers: evt.HandlerTable,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.ae = ae
        self.ae_title = ae_title
        self.contexts = contexts
        # The server's own table: its bind and unbind reach later associations too.
        self.handlers = handlers
        self.ssl_context = ssl_context

    def maximum_pending_connections(self) -> int:
        return self.ae.maximum_pending_connections

    def start_association(self, sock: socket.socket) -> Association:
        ae = self.ae
        handlers = evt.HandlerTable(self.handlers.bindings())
        assoc = Association(ae, "acceptor", handlers)
        assoc.acceptor.supported_contexts = list(self.contexts)
        config = ae._config(
            ae_title=self.ae_title,
            supported_contexts=self.contexts,
            # The limit is checked when the A-ASSOCIATE-RQ arrives (issue 14).
            limit_reached=lambda: ae._established_acceptors() >= ae.maximum_associations,
            tls_server=self.ssl_context,
        )
        ae._association_started(assoc)
        # The server's thread serves the new strand until it has nothing to do
        # (its A-ASSOCIATE-RQ is usually there already), then hands it to a worker.
        _, strand = ae._start_actors(assoc, config, handlers, sock=sock)
        strand.start(inline=True)
        return assoc
