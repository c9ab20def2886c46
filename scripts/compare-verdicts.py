#!/usr/bin/env python3
"""Compare the verdicts of several conformance reports (conformance.json) of the same run.

``scripts/compare-verdicts.py A/conformance.json B/conformance.json ...`` prints the
verdict counts of each report per system, then every (system, scenario) whose status is
not the same in all of them; the exit status is 1 when there is one, else 0. Only the
status is compared: the reaction seen carries timings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _statuses(path: Path) -> dict[tuple[str, str], str]:
    report = json.loads(path.read_text())
    return {(r["system"], r["scenario"]): r["status"] for r in report["results"]}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    paths = [Path(arg) for arg in argv]
    runs = [_statuses(path) for path in paths]
    for path, run in zip(paths, runs, strict=True):
        counts: dict[str, dict[str, int]] = {}
        for (system, _), status in run.items():
            row = counts.setdefault(system, {})
            row[status] = row.get(status, 0) + 1
        print(f"{path}: {len(run)} verdicts")
        for system, row in counts.items():
            print(f"  {system}: " + ", ".join(f"{n} {s}" for s, n in sorted(row.items())))
    keys = sorted(set().union(*runs))
    differing = [key for key in keys if len({run.get(key, "absent") for run in runs}) > 1]
    for system, scenario in differing:
        seen = " / ".join(run.get((system, scenario), "absent") for run in runs)
        print(f"differs: {system} {scenario}: {seen}")
    print(f"{len(keys)} (system, scenario) pairs, {len(differing)} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
