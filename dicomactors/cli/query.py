"""Query keys and information models for ``find``, ``get`` and ``move``, in DCMTK's habit.

``-k KEY=VALUE`` (or ``-k KEY`` for a return key with no value): KEY is a keyword
(``PatientName``), a tag (``0010,0010``, ``(0010,0010)``, ``00100010``), or a path into
sequences (``ScheduledProcedureStepSequence[0].Modality``). ``-P``/``-S``/``-O``/``-W`` pick
the information model (PS3.4 C.6, K.6). A key that names nothing, or a value that does not
fit its VR, is a :class:`~dicomactors.cli.common.ToolError` with exit status 1.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterator
from typing import Any

from pydicom import Dataset
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag

from dicomactors.association import Association
from dicomactors.cli.common import Exit, ToolError, lost
from dicomactors.scu.query_retrieve import query_model_uid

_SEGMENT = re.compile(
    r"(?:\(?(?P<group>[0-9A-Fa-f]{4}),?(?P<element>[0-9A-Fa-f]{4})\)?|(?P<keyword>[A-Za-z]\w*))"
    r"(?:\[(?P<index>\d+)\])?"
)
_INTEGER_VRS = frozenset({"US", "UL", "SS", "SL", "UV", "SV", "AT"})
_FLOAT_VRS = frozenset({"FL", "FD"})

#: Model letter -> (name, the C-FIND/C-GET/C-MOVE query_model argument of the library).
MODELS = {"P": "patient root", "S": "study root", "O": "patient/study only", "W": "worklist"}


def add_query_options(parser: argparse.ArgumentParser, *, models: str, default: str) -> None:
    """-k keys and the model letters ``models`` (the first listed being DCMTK's default)."""
    group = parser.add_mutually_exclusive_group()
    for letter in models:
        group.add_argument(f"-{letter}", dest="model", action="store_const", const=letter,
                           help=f"use the {MODELS[letter]} information model"
                           + (" (default)" if letter == default else ""))  # fmt: skip
    parser.set_defaults(model=default)
    parser.add_argument("-k", "--key", dest="keys", action="append", default=[],
                        metavar="KEY[=VALUE]", help="a query key (repeatable)")  # fmt: skip


def identifier_from_keys(keys: list[str], model: str) -> Dataset:
    """The identifier the ``-k`` keys describe; a Q/R query must name its level."""
    identifier = Dataset()
    for key in keys:
        path, _, value = key.partition("=")
        _set(identifier, key, path.strip(), value)
    if model != "W" and "QueryRetrieveLevel" not in identifier:
        raise ToolError(
            Exit.USAGE,
            "add -k QueryRetrieveLevel=PATIENT, STUDY, SERIES or IMAGE: the query needs a level",
        )
    return identifier


def _set(identifier: Dataset, key: str, path: str, value: str) -> None:
    segments = path.split(".")
    target = identifier
    for number, segment in enumerate(segments):
        tag, index = _tag_of(key, segment)
        vr = dictionary_VR(tag)
        last = number == len(segments) - 1
        if last and index is None:
            target.add_new(tag, vr, _value(key, vr, value))
            return
        if vr != "SQ":
            raise ToolError(Exit.USAGE, f"bad key {key!r}: {segment} is not a sequence")
        if tag not in target:
            target.add_new(tag, vr, DicomSequence())
        items = target[tag].value
        while len(items) <= (index or 0):
            items.append(Dataset())
        target = items[index or 0]
        if last:
            raise ToolError(Exit.USAGE, f"bad key {key!r}: name an attribute inside {segment}")


def _tag_of(key: str, segment: str) -> tuple[int, int | None]:
    found = _SEGMENT.fullmatch(segment)
    if found is None:
        raise ToolError(Exit.USAGE, f"bad key {key!r}: {segment!r} is not a keyword or a tag")
    index = int(found["index"]) if found["index"] is not None else None
    if found["keyword"]:
        tag = tag_for_keyword(found["keyword"])
        if tag is None:
            raise ToolError(Exit.USAGE, f"bad key {key!r}: {found['keyword']} is not a keyword")
    else:
        tag = Tag(int(found["group"], 16), int(found["element"], 16))
    try:
        dictionary_VR(tag)
    except KeyError:
        raise ToolError(
            Exit.USAGE, f"bad key {key!r}: {Tag(tag)} is not in the dictionary"
        ) from None
    return int(tag), index


def _value(key: str, vr: str, text: str) -> Any:
    if text == "":
        return DicomSequence() if vr == "SQ" else None
    try:
        if vr in _INTEGER_VRS:
            return int(text, 0)
        if vr in _FLOAT_VRS:
            return float(text)
    except ValueError:
        raise ToolError(Exit.USAGE, f"bad key {key!r}: {text!r} is not a number ({vr})") from None
    if vr == "SQ":
        raise ToolError(Exit.USAGE, f"bad key {key!r}: a sequence takes no value")
    return text


def model_uid(model: str, operation: str) -> str:
    """The SOP class of ``model`` for ``operation`` ("Find", "Get", "Move")."""
    try:
        return query_model_uid(model, operation)
    except ValueError as error:
        raise ToolError(Exit.USAGE, str(error)) from None


def responses(
    assoc: Association,
    request: Iterator[tuple[Dataset, Dataset | None]],
    args: argparse.Namespace,
    doing: str,
) -> Iterator[tuple[int, Dataset, Dataset | None]]:
    """(status code, status, identifier) of each response; the association's end before
    the final one is a :class:`ToolError`."""
    final = False
    waiting = time.monotonic()
    try:
        for status, identifier in request:
            if "Status" not in status:
                break
            code = int(status.Status)
            final = code not in (0xFF00, 0xFF01)
            yield code, status, identifier
            waiting = time.monotonic()
    except RuntimeError:
        pass
    if not final:
        raise lost(assoc, args, doing, waiting)
