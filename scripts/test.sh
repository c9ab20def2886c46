#!/usr/bin/env bash
# Lint, type-check and test: the README's test command and what CI runs after the set-up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== ruff check"
ruff check .
echo "== ruff format --check"
ruff format --check .
echo "== mypy"
mypy
echo "== pytest tests/"
python -m pytest tests/ -q
echo "== pytest scenarios/ (the conformance suite; report in reports/)"
python -m pytest scenarios/ -q
