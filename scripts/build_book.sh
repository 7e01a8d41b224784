#!/usr/bin/env bash
# Build the book into _build/html (`make book`).
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
.venv/bin/jupyter-book build . --warningiserror --keep-going
