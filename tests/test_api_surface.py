"""pynetdicom 3.0's public surface exists here, with the same signatures.

pynetdicom is imported as a test oracle only. For the package and the objects
users write code against (``AE``, ``Association``, ``Event``, ``evt``,
``sop_class``, ``status``, ``presentation``, ``dimse_primitives``, ``transport``)
every public name of pynetdicom's must exist here, and every callable both
have must take pynetdicom's parameters in pynetdicom's order with the same
literal defaults. The only exceptions are the table in docs/compatibility.md,
which this test reads; a name pynetdicom adds therefore fails here first.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pynetdicom
import pynetdicom.dimse_primitives
import pynetdicom.events
import pynetdicom.presentation
import pynetdicom.sop_class
import pynetdicom.status
import pynetdicom.transport
import pytest

import dicomactors
import dicomactors.dimse_primitives
import dicomactors.events
import dicomactors.presentation
import dicomactors.sop_class
import dicomactors.status
import dicomactors.transport

COMPATIBILITY = Path(__file__).resolve().parents[1] / "docs" / "compatibility.md"


def documented_exceptions() -> dict[str, str]:
    """``name -> reason`` from the table between the exception markers of the docs."""
    text = COMPATIBILITY.read_text()
    table = text.split("<!-- exceptions:start -->", 1)[1].split("<!-- exceptions:end -->", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \|$", table, flags=re.MULTILINE)
    return dict(rows)


EXCEPTIONS = documented_exceptions()

MODULES: dict[str, tuple[types.ModuleType, types.ModuleType]] = {
    "pynetdicom": (pynetdicom, dicomactors),
    "evt": (pynetdicom.events, dicomactors.events),
    "sop_class": (pynetdicom.sop_class, dicomactors.sop_class),
    "status": (pynetdicom.status, dicomactors.status),
    "presentation": (pynetdicom.presentation, dicomactors.presentation),
    "dimse_primitives": (pynetdicom.dimse_primitives, dicomactors.dimse_primitives),
    "transport": (pynetdicom.transport, dicomactors.transport),
}


def public_module_names(module: types.ModuleType) -> set[str]:
    """A module's API: its ``__all__``, or else the public names it defines itself."""
    if module.__name__ in ("pynetdicom", "pynetdicom.status"):
        return set(module.__all__) - {"__version__"}
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or name == "TYPE_CHECKING":
            continue
        if isinstance(value, types.ModuleType | types.BuiltinFunctionType):
            continue
        if isinstance(value, types.GenericAlias | types.UnionType):
            continue  # annotation aliases
        defined_in = getattr(value, "__module__", None)
        if defined_in is None or defined_in == module.__name__:
            names.add(name)
    return names


def theirs_and_ours() -> dict[str, tuple[Any, Any]]:
    """pynetdicom's and our instance of each class users touch."""
    their_ae, our_ae = pynetdicom.AE(), dicomactors.AE()
    return {
        "AE": (their_ae, our_ae),
        "Association": (
            pynetdicom.association.Association(their_ae, "requestor"),
            dicomactors.Association(our_ae, "requestor", dicomactors.evt.HandlerTable()),
        ),
        "Event": (
            pynetdicom.events.Event(None, pynetdicom.evt.EVT_C_STORE, {}),  # type: ignore[arg-type]
            dicomactors.evt.Event(None, dicomactors.evt.EVT_C_STORE),
        ),
    }


def missing(scope: str, theirs: set[str], ours: Callable[[str], bool]) -> list[str]:
    return sorted(
        f"{scope}.{name}"
        for name in theirs
        if not ours(name) and f"{scope}.{name}" not in EXCEPTIONS
    )


@pytest.mark.parametrize("scope", sorted(MODULES))
def test_every_public_module_name_exists(scope: str) -> None:
    theirs, ours = MODULES[scope]
    names = public_module_names(theirs)
    assert names, f"pynetdicom's {scope} has no public names: the rule is wrong"
    assert missing(scope, names, lambda name: hasattr(ours, name)) == []


@pytest.mark.parametrize("scope", ["AE", "Association", "Event"])
def test_every_public_attribute_exists(scope: str) -> None:
    theirs, ours = theirs_and_ours()[scope]
    names = {name for name in dir(theirs) if not name.startswith("_")}
    ours_names = set(dir(ours))
    assert missing(scope, names, lambda name: name in ours_names) == []


def test_the_exceptions_are_real_and_explained() -> None:
    """Each listed name is absent here and present in pynetdicom, with a reason."""
    assert len(EXCEPTIONS) >= 10  # the table was found and read
    objects = {scope: pair for scope, pair in MODULES.items()} | theirs_and_ours()
    for entry, reason in EXCEPTIONS.items():
        assert len(reason) > 20, entry
        scope, _, name = entry.partition(".")
        theirs, ours = objects[scope]
        name, _, parameter = name.partition("(")
        assert hasattr(theirs, name) or name in dir(theirs), f"{entry}: not pynetdicom's"
        if parameter:
            continue  # a signature exception: the name exists on both sides
        assert not (hasattr(ours, name) or name in dir(ours)), f"{entry} exists: unlist it"


# -- default values ---------------------------------------------------------------

DEFAULTS_DIFFERENT_ON_PURPOSE = {
    # docs/compatibility.md, "What differs on purpose": the wire says which implementation
    # we are; an association's name is not a thread's.
    "AE.implementation_class_uid",
    "AE.implementation_version_name",
    "Association.name",
}


def test_default_settings_are_pynetdicoms() -> None:
    """Every plain value a fresh ``AE`` or ``Association`` shows (the AE title, the
    timeouts, the PDU size, the limits, ``network_timeout_response``...) is pynetdicom's."""
    compared = 0
    differ = []
    for scope in ("AE", "Association"):
        theirs, ours = theirs_and_ours()[scope]
        for name in dir(theirs):
            entry = f"{scope}.{name}"
            if name.startswith("_") or entry in EXCEPTIONS:
                continue
            value = getattr(theirs, name)
            if not isinstance(value, _LITERALS) or entry in DEFAULTS_DIFFERENT_ON_PURPOSE:
                continue
            compared += 1
            if getattr(ours, name) != value:
                differ.append(f"{entry}: {getattr(ours, name)!r}, not {value!r}")
    assert compared > 15
    assert differ == []


# -- signatures ------------------------------------------------------------------


def callables_in_common() -> Iterator[tuple[str, Any, Any]]:
    """(name, theirs, ours) for every public callable both sides have."""
    for scope, (their_module, our_module) in MODULES.items():
        for name in sorted(public_module_names(their_module)):
            theirs, ours = getattr(their_module, name), getattr(our_module, name, None)
            if inspect.isfunction(theirs) and callable(ours):
                yield f"{scope}.{name}", theirs, ours
    for scope, (their_object, our_object) in theirs_and_ours().items():
        their_class, our_class = type(their_object), type(our_object)
        for name in ["__init__", *sorted(n for n in dir(their_class) if not n.startswith("_"))]:
            theirs = getattr(their_class, name, None)
            ours = getattr(our_class, name, None)
            if inspect.isfunction(theirs) and callable(ours):
                yield f"{scope}.{name}", theirs, ours


_LITERALS = (type(None), bool, int, float, str, bytes, tuple)


def signature_problems(name: str, theirs: Any, ours: Any) -> list[str]:
    """How ``ours`` cannot be called as pynetdicom documents ``theirs``."""
    their_params = [p for p in inspect.signature(theirs).parameters.values() if p.name != "self"]
    our_params = [p for p in inspect.signature(ours).parameters.values() if p.name != "self"]
    problems = []
    by_name = {p.name: p for p in our_params}
    for index, theirs_p in enumerate(their_params):
        if theirs_p.kind in (theirs_p.VAR_POSITIONAL, theirs_p.VAR_KEYWORD):
            if not any(p.kind == theirs_p.kind for p in our_params):
                problems.append(f"{name}: no {theirs_p}")
            continue
        ours_p = by_name.get(theirs_p.name)
        if ours_p is None:
            problems.append(f"{name}: no parameter {theirs_p.name!r}")
            continue
        positional = (theirs_p.POSITIONAL_ONLY, theirs_p.POSITIONAL_OR_KEYWORD)
        if theirs_p.kind in positional and (
            index >= len(our_params) or our_params[index].name != theirs_p.name
        ):
            problems.append(f"{name}: {theirs_p.name!r} is not positional parameter {index}")
        literal = theirs_p.default is not theirs_p.empty and isinstance(theirs_p.default, _LITERALS)
        excepted = f"{name}({theirs_p.name})" in EXCEPTIONS
        if literal and not excepted and ours_p.default != theirs_p.default:
            problems.append(
                f"{name}: {theirs_p.name} defaults to {ours_p.default!r}, not {theirs_p.default!r}"
            )
    their_names = {p.name for p in their_params}
    for ours_p in our_params:
        extra = ours_p.name not in their_names and ours_p.kind not in (
            ours_p.VAR_POSITIONAL,
            ours_p.VAR_KEYWORD,
        )
        if extra and ours_p.default is ours_p.empty:
            problems.append(f"{name}: extra required parameter {ours_p.name!r}")
    return problems


def test_signatures_match() -> None:
    compared = 0
    problems: list[str] = []
    for name, theirs, ours in callables_in_common():
        compared += 1
        problems += signature_problems(name, theirs, ours)
    assert compared > 40
    assert problems == []


def test_signature_check_catches_differences() -> None:
    """The comparison itself fails on a renamed, reordered or re-defaulted parameter."""

    def theirs(addr: str, port: int, ae_title: str = "ANY-SCP") -> None: ...

    def renamed(address: str, port: int, ae_title: str = "ANY-SCP") -> None: ...

    def redefaulted(addr: str, port: int, ae_title: str = "OTHER") -> None: ...

    def fine(addr: str, port: int, ae_title: str = "ANY-SCP", *, extra: int = 0) -> None: ...

    assert signature_problems("f", theirs, renamed)
    assert signature_problems("f", theirs, redefaulted)
    assert signature_problems("f", theirs, fine) == []


def test_a_new_pynetdicom_name_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public function pynetdicom gains and we lack is reported, by scope and name."""

    def handle_future_service(event: Any) -> None: ...

    handle_future_service.__module__ = "pynetdicom.events"
    monkeypatch.setattr(pynetdicom.events, "handle_future_service", handle_future_service, False)
    theirs, ours = MODULES["evt"]
    found = missing("evt", public_module_names(theirs), lambda name: hasattr(ours, name))
    assert found == ["evt.handle_future_service"]


@pytest.mark.parametrize(
    "primitive", sorted(n for n in dicomactors.dimse_primitives.__all__ if n[:2] in ("C_", "N_"))
)
def test_every_primitive_answers_pynetdicoms_keywords(primitive: str) -> None:
    """``event.request`` answers each PS3.7 keyword pynetdicom's primitive of the service has."""
    theirs = getattr(pynetdicom.dimse_primitives, primitive)()
    keywords = {n for n in dir(theirs) if n[:1].isupper() and not n.isupper()}
    ours = getattr(dicomactors.dimse_primitives, primitive)
    assert keywords <= ours.keywords()
    empty = ours()
    for keyword in keywords:
        assert getattr(empty, keyword) is None  # as on a fresh pynetdicom primitive
    with pytest.raises(AttributeError, match="NoSuchKeyword"):
        empty.NoSuchKeyword  # noqa: B018


def test_request_view_reads_as_pynetdicoms_primitive() -> None:
    from dicomactors.dimse import CFindRQ, CMoveRQ

    move = dicomactors.dimse_primitives.primitive_for(
        CMoveRQ(message_id=7, affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.2",
                move_destination="STORESCP  ", priority=2),
        b"\x08\x00\x52\x00",
    )  # fmt: skip
    assert isinstance(move, dicomactors.dimse_primitives.C_MOVE)
    assert (move.MessageID, move.Priority, move.MoveDestination) == (7, 2, "STORESCP")
    assert move.AffectedSOPClassUID.name == "Study Root Query/Retrieve Information Model - MOVE"
    assert move.Identifier.read() == b"\x08\x00\x52\x00"
    assert move.is_valid_request and not move.is_valid_response
    event = dicomactors.evt.Event(None, dicomactors.evt.EVT_C_MOVE, request=move)
    assert (event.message_id, event.move_destination) == (7, "STORESCP")
    find = dicomactors.dimse_primitives.primitive_for(
        CFindRQ(message_id=1, affected_sop_class_uid="1.2.840.10008.5.1.4.1.2.2.1")
    )
    event = dicomactors.evt.Event(None, dicomactors.evt.EVT_C_FIND, request=find)
    with pytest.raises(AttributeError, match="not a C-MOVE request"):
        event.move_destination  # noqa: B018
    with pytest.raises(AttributeError, match="not an N-ACTION request"):
        event.action_type  # noqa: B018


@pytest.mark.parametrize("name", ["C_FIND", "C_GET", "C_MOVE"])
def test_response_view_reads_its_identifier(name: str) -> None:
    """pynetdicom's C-FIND, C-GET and C-MOVE responses carry their data set as Identifier
    (a match, or the Failed SOP Instance UID List), as their requests do."""
    response_type = getattr(dicomactors.dimse_primitives, name).MESSAGE_TYPES[1]
    response = dicomactors.dimse_primitives.primitive_for(
        response_type(message_id_being_responded_to=1, status=0xFF00), b"\x08\x00\x52\x00"
    )
    assert response.is_valid_response and not response.is_valid_request
    assert response.Identifier.read() == b"\x08\x00\x52\x00"
    assert response.Status == 0xFF00
