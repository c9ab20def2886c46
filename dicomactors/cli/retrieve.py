"""What ``get`` and ``move`` share: the sub-operation counts of a C-GET or C-MOVE (PS3.4
C.4.2.1.6, C.4.3.1.5), a progress bar over them, and the summary at the end."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

from pydicom import Dataset

from dicomactors.cli.common import Exit, ToolError, is_failure, progress_bar, status_text
from dicomactors.status import Service

COUNTS = ("Completed", "Failed", "Warning", "Remaining")


def counts_of(status: Dataset) -> dict[str, int]:
    return {
        name.lower(): int(status.get(f"NumberOf{name}Suboperations", 0) or 0) for name in COUNTS
    }


def follow(
    answers: Iterator[tuple[int, Dataset, Dataset | None]], args: argparse.Namespace
) -> tuple[int, dict[str, int]]:
    """Read the responses with a progress bar (on a terminal only); the final status code
    and the last counts seen."""
    counts = dict.fromkeys((name.lower() for name in COUNTS), 0)
    final = 0
    with progress_bar(args, unit="instance") as bar:
        for code, status, _ in answers:
            final = code
            counts = counts_of(status)
            done = counts["completed"] + counts["failed"] + counts["warning"]
            bar.total = done + counts["remaining"]
            bar.n = done
            bar.refresh()
    return final, counts


def report(
    code: int, counts: dict[str, int], service: Service, args: argparse.Namespace, **extra: object
) -> int:
    """Print the summary (or JSON); a failure status is a :class:`ToolError`."""
    name = f"C-{service.value.upper()}"
    outcome = status_text(code, service)
    if args.json:
        print(json.dumps({"status": f"0x{code:04X}", "outcome": outcome, **counts, **extra}))
    else:
        extras = "".join(f", {key.replace('_', ' ')} {value}" for key, value in extra.items())
        print(
            f"{name}: completed {counts['completed']}, failed {counts['failed']},"
            f" warning {counts['warning']}{extras}; final status {outcome}"
        )
    if is_failure(code) or counts["failed"]:
        raise ToolError(Exit.FAILED, f"{name} ended with {outcome}")
    return Exit.OK
