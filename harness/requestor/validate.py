"""``dicomactors validate --role scu``: the requestor scenarios against any system.

The harness listens on ``--listen [HOST:]PORT`` and answers as ``--aet``; for each
scenario the system connects by itself (the harness says when it waits for it), or
``--trigger CMD`` makes it connect: ``{host}``, ``{port}``, ``{aet}`` and ``{action}``
in CMD are replaced by the listening address, the AE title and the operation wanted
(echo, store, ...). ``--capability`` says which operations the system can be made to
run and ``gives-up=SECONDS``, its own ACSE/DIMSE timeout (for the scenarios that leave
it without an answer).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from harness.conformance import SCENARIOS, Result, run_scenarios
from harness.requestor.systems import (
    Request,
    Requestor,
    RequestorSystem,
    WaitingRequestor,
    run_trigger,
)
from harness.stategrid import Role


def parse_listen(value: str) -> tuple[str, int]:
    """``PORT`` or ``HOST:PORT`` (the host defaults to 127.0.0.1)."""
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"--listen wants [HOST:]PORT, not {value!r}")
    return (host or "127.0.0.1", int(port))


def _announce(request: Request) -> None:
    print(
        f"waiting for the system to connect to {request.host}:{request.port}"
        f" as {request.called_ae_title} and run a {request.action}",
        flush=True,
    )


def requestor_system(
    name: str, listen: tuple[str, int], aet: str, capabilities: set[str], trigger: str | None
) -> RequestorSystem:
    requestor: Requestor = run_trigger(trigger) if trigger else WaitingRequestor(_announce)
    host, port = listen
    return RequestorSystem(
        name,
        host,
        0,
        "",
        frozenset(capabilities),
        requestor=requestor,
        listen_host=host,
        listen_port=port,
        acceptor_ae_title=aet,
    )


def validate_requestor(
    args: argparse.Namespace, capabilities: set[str], progress: Callable[[Result], None]
) -> tuple[list[Result], RequestorSystem]:
    """Run the requestor scenarios chosen by ``args`` (``--scenario`` prefixes)."""
    if args.listen is None:
        raise SystemExit("dicomactors validate --role scu: --listen [HOST:]PORT is required")
    system = requestor_system(args.name, args.listen, args.aet, capabilities, args.trigger)
    chosen = [
        entry
        for entry in SCENARIOS
        if entry.role is Role.REQUESTOR
        and (not args.scenario or any(entry.id.startswith(p) for p in args.scenario))
    ]
    return run_scenarios(system, chosen, progress), system
