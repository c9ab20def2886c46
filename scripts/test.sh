#!/usr/bin/env bash
# Lint, type-check and test: the README's test command and what CI runs after the set-up.
# Everything runs from the virtual environment scripts/setup.sh made (.venv/), with its bin/
# first on PATH as an activated environment has it: so pynetdicom's console scripts named
# like DCMTK's tools come first, and the tests show that the project still finds DCMTK's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${DICOMACTORS_VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "no virtual environment at $VENV: run bash scripts/setup.sh first" >&2
    exit 1
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
PYTHON="$VENV/bin/python"

echo "== ruff check"
"$PYTHON" -m ruff check .
echo "== ruff format --check"
"$PYTHON" -m ruff format --check .
echo "== mypy"
"$PYTHON" -m mypy
echo "== pytest tests/"
"$PYTHON" -m pytest tests/ -q
echo "== pytest scenarios/ (the conformance suite; report in reports/)"
"$PYTHON" -m pytest scenarios/ -q
