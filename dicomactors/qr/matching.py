"""Attribute matching of PS3.4 C.2.2.2: what a C-FIND key value matches.

Pure functions of strings: a key's value in the request becomes a
:class:`Matcher` of one kind (single value, list of UIDs, universal,
wildcard, range), which then says whether a stored value matches it.
Values are compared in their string forms as they would be encoded, without
leading or trailing spaces (PS3.4 C.2.2.2.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["MatchKind", "Matcher", "matcher_for"]

#: VRs for which * and ? are literal characters, not wildcards (PS3.4 C.2.2.2.4).
NO_WILDCARD_VRS = frozenset(
    {
        "DA",
        "TM",
        "DT",
        "SL",
        "SS",
        "US",
        "UL",
        "FL",
        "FD",
        "OB",
        "OW",
        "UN",
        "AT",
        "DS",
        "IS",
        "AS",
        "UI",
    }
)
#: VRs that take range matching (PS3.4 C.2.2.2.5).
RANGE_VRS = frozenset({"DA", "TM", "DT"})


class MatchKind(Enum):
    UNIVERSAL = "universal"  # C.2.2.2.3: empty value (or only '*') matches everything
    SINGLE = "single value"  # C.2.2.2.1
    UID_LIST = "list of UIDs"  # C.2.2.2.2
    WILDCARD = "wildcard"  # C.2.2.2.4
    RANGE = "range"  # C.2.2.2.5


@dataclass(frozen=True)
class Matcher:
    """One key of a request: its VR, how it matches, and the value it matches against."""

    keyword: str
    vr: str
    kind: MatchKind
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, stored: str | None) -> bool:
        """Whether the stored value (None or '' when the entity has none) matches."""
        if self.kind is MatchKind.UNIVERSAL:
            return True
        if stored is None:
            return False
        stored = _clean(stored, self.vr)
        if stored == "":
            return False
        if self.kind is MatchKind.SINGLE:
            if self.vr == "PN":
                return stored.casefold() == self.value.casefold()
            return stored == self.value
        if self.kind is MatchKind.UID_LIST:
            return stored in self.value.split("\\")
        if self.kind is MatchKind.WILDCARD:
            assert self._pattern is not None
            return self._pattern.fullmatch(stored) is not None
        return _in_range(self.vr, self.value, stored)

    def matches_any(self, stored: list[str]) -> bool:
        """For a multi-valued entity attribute (e.g. Modalities in Study): any value matches."""
        if self.kind is MatchKind.UNIVERSAL:
            return True
        return any(self.matches(value) for value in stored)


def _clean(value: str, vr: str) -> str:
    if vr == "UI":
        return value.strip("\x00 ")
    return value.strip(" ")


def matcher_for(keyword: str, vr: str, value: str | None) -> Matcher:
    """The matcher for the key ``keyword`` of VR ``vr`` whose request value is ``value``."""
    text = _clean(value or "", vr)
    if text == "" or (vr not in NO_WILDCARD_VRS and set(text) == {"*"}):
        return Matcher(keyword, vr, MatchKind.UNIVERSAL, "")
    if vr == "UI" and "\\" in text:
        uids = "\\".join(_clean(uid, vr) for uid in text.split("\\"))
        return Matcher(keyword, vr, MatchKind.UID_LIST, uids)
    if vr in RANGE_VRS and "-" in text:
        return Matcher(keyword, vr, MatchKind.RANGE, text)
    if vr not in NO_WILDCARD_VRS and ("*" in text or "?" in text):
        regex = "".join(
            ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
        )
        flags = re.DOTALL | (re.IGNORECASE if vr == "PN" else 0)
        return Matcher(keyword, vr, MatchKind.WILDCARD, text, re.compile(regex, flags))
    return Matcher(keyword, vr, MatchKind.SINGLE, text)


# -- ranges --------------------------------------------------------------------


def _in_range(vr: str, query: str, stored: str) -> bool:
    low, _, high = query.partition("-")
    low, high = low.strip(), high.strip()
    if vr == "DT":
        # A DT value may itself hold a '-' as its UTC offset; compare without it.
        stored = _strip_offset(stored)
    value_low = _bound(vr, stored, upper=False)
    value_high = _bound(vr, stored, upper=True)
    if value_low is None or value_high is None:
        return False
    if low:
        bound = _bound(vr, low, upper=False)
        if bound is None or value_high < bound:
            return False
    if high:
        bound = _bound(vr, high, upper=True)
        if bound is None or value_low > bound:
            return False
    return True


def _strip_offset(value: str) -> str:
    for sign in ("+", "-"):
        if sign in value[4:]:
            return value[: 4 + value[4:].index(sign)]
    return value


def _bound(vr: str, value: str, *, upper: bool) -> str | None:
    """The value as a fixed-width digit string, padded to the low or high end of its precision."""
    value = value.strip().replace(":", "") if vr == "TM" else value.strip()
    if vr == "DA":
        value = value.replace(".", "")  # ACR-NEMA YYYY.MM.DD
        return value if len(value) == 8 and value.isdigit() else None
    if vr == "DT":
        value = _strip_offset(value)
    whole, _, fraction = value.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    width = 6 if vr == "TM" else 14
    if len(whole) > width:
        return None
    pad = "9" if upper else "0"
    if vr == "TM" and upper:
        whole += "595959"[len(whole) :]  # "12" reaches to 12:59:59
    whole = whole.ljust(width, pad)
    fraction = (fraction or "").ljust(6, pad)[:6]
    return whole + fraction
