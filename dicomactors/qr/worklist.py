"""Modality Worklist matching (PS3.4 K.6.1.2): which worklist items a C-FIND identifier
matches, and the answer each one gives. Pure: data sets in, data sets out.

Every key of the identifier with a value must match the item, by the rules of C.2.2.2
(single value, wildcard, range, UID list; an empty key matches anything). A sequence key
with an item (e.g. Scheduled Procedure Step Sequence) matches when one of the item's
sequence items matches every key inside it. The answer carries the identifier's keys,
with the item's values (empty where the item has none).
"""

from __future__ import annotations

from pydicom import Dataset
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.sequence import Sequence

from dicomactors.qr.matching import matcher_for
from dicomactors.qr.model import text_of

#: Keys that describe the request rather than select items.
_NOT_KEYS = frozenset({0x00080005, 0x00080052})  # Specific Character Set, Q/R Level


def _vr(element_tag: int, fallback: str) -> str:
    try:
        return str(dictionary_VR(element_tag))
    except KeyError:
        return fallback


def matches(identifier: Dataset, item: Dataset) -> bool:
    """Whether ``item`` matches every key of ``identifier`` (PS3.4 K.6.1.2.1)."""
    for key in identifier:
        if key.tag in _NOT_KEYS or key.tag.is_private:
            continue
        stored = item.get(key.tag)
        if key.VR == "SQ":
            if not key.value:
                continue
            wanted = key.value[0]
            candidates = stored.value if stored is not None and stored.VR == "SQ" else []
            if not any(matches(wanted, candidate) for candidate in candidates):
                return False
            continue
        vr = _vr(key.tag, str(key.VR))
        matcher = matcher_for(keyword_for_tag(key.tag) or str(key.tag), vr, text_of(key.value))
        values = text_of(stored.value).split("\\") if stored is not None else []
        if not matcher.matches_any(values):
            return False
    return True


def answer(identifier: Dataset, item: Dataset) -> Dataset:
    """The C-FIND response identifier for a matching ``item``: the identifier's keys with the
    item's values (PS3.4 K.6.1.2.2)."""
    out = Dataset()
    if "SpecificCharacterSet" in item:
        out.SpecificCharacterSet = item.SpecificCharacterSet
    for key in identifier:
        if key.tag in _NOT_KEYS or key.tag.is_private:
            continue
        stored = item.get(key.tag)
        if key.VR == "SQ":
            out.add_new(key.tag, "SQ", _answer_sequence(key.value, stored))
        elif stored is not None:
            out.add_new(key.tag, stored.VR, stored.value)
        else:
            out.add_new(key.tag, key.VR, None)
    return out


def _answer_sequence(asked: Sequence, stored: object) -> Sequence:
    items = list(getattr(stored, "value", None) or [])
    if not asked:
        return Sequence(items)
    wanted = asked[0]
    return Sequence(
        [answer(wanted, candidate) for candidate in items if matches(wanted, candidate)]
    )
