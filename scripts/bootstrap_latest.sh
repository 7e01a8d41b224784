#!/usr/bin/env bash
# Create or refresh .venv-latest with the NEWEST releases of everything pyproject.toml asks for
# (no lock: what a learner's fresh `pip install` or hub image resolves to today).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/make_venv.sh .venv-latest >/dev/null
.venv-latest/bin/python -m pip install --quiet --upgrade pip
.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
