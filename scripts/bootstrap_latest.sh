#!/usr/bin/env bash
# Create or refresh .venv-latest with the NEWEST releases of everything pyproject.toml asks for
# (no lock: what a learner's fresh `pip install` or hub image resolves to today).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/find_python.sh)
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -x .venv-latest/bin/python ] \
    && [ "$(.venv-latest/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
        != "$version" ]; then
    rm -rf .venv-latest
fi
[ -x .venv-latest/bin/python ] || "$python" -m venv .venv-latest
.venv-latest/bin/python -m pip install --quiet --upgrade pip
.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
