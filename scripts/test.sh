#!/usr/bin/env bash
# Every check of the project, as CI runs it (`make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest"
.venv/bin/python -m pytest "$@"
