"""Application Entity titles (PS3.5 6.2, VR AE; PS3.8 9.3.2).

An AE title is 1 to 16 characters of the default character repertoire with
no backslash and no control characters; leading and trailing spaces are not
significant.  Users may give ``str`` or, as pynetdicom 1.x did, ``bytes``.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["AETitle", "AETitleLike", "normalize_ae_title"]

MAX_AE_TITLE_LENGTH = 16

AETitle: TypeAlias = str
"""An AE title as dicomactors holds it: a ``str`` without the padding spaces."""

AETitleLike: TypeAlias = str | bytes
"""An AE title as a user may give it: ``str``, or ``bytes`` as pynetdicom 1.x took."""


def normalize_ae_title(value: AETitleLike) -> AETitle:
    """Return ``value`` as a ``str`` AE title without surrounding spaces.

    Raises ``TypeError`` for anything but str or bytes and ``ValueError`` for a
    title that is empty, longer than 16 characters, not ASCII, or that holds a
    backslash or a control character.
    """
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"AE title must be ASCII, got {value!r}") from None
    elif isinstance(value, str):
        text = value
    else:
        raise TypeError(f"AE title must be str or bytes, not {type(value).__name__}")

    title = text.strip(" ")
    if not title:
        raise ValueError(f"AE title must have 1 to 16 non-space characters, got {value!r}")
    if len(title) > MAX_AE_TITLE_LENGTH:
        raise ValueError(
            f"AE title must be at most {MAX_AE_TITLE_LENGTH} characters, "
            f"got {len(title)}: {title!r}"
        )
    if not title.isascii():
        raise ValueError(f"AE title must be ASCII, got {title!r}")
    if "\\" in title:
        raise ValueError(f"AE title must not contain a backslash, got {title!r}")
    if not title.isprintable():  # for ASCII: true of control characters only
        raise ValueError(f"AE title must not contain control characters, got {title!r}")
    return title
