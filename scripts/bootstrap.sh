#!/usr/bin/env bash
# Create .venv (once) and install the exact versions of requirements/lock.txt plus this project.
# The interpreter is chosen by scripts/find_python.sh (Python 3.12+; $PYTHON wins when set).
# Idempotent: reinstalls only when the lock file, pyproject.toml or the interpreter changed.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(bash scripts/make_venv.sh .venv)
stamp=.venv/.installed
want=$( (cat requirements/lock.txt pyproject.toml; echo "$version") | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements/lock.txt
    .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
fi
