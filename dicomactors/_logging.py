"""``debug_logger()``: show everything dicomactors logs, as pynetdicom's does."""

from __future__ import annotations

import logging


def debug_logger() -> None:
    """Send the ``dicomactors`` logs at DEBUG level to stderr (once)."""
    logger = logging.getLogger("dicomactors")
    if not any(getattr(h, "_dicomactors", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname).1s: %(name)s: %(message)s"))
        handler._dicomactors = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
