#!/usr/bin/env bash
# Re-resolve the dependencies of pyproject.toml (extra "dev") into requirements/lock.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet ".[dev]"
{
    echo '# Exact versions installed by `make book` and `make test` (scripts/bootstrap.sh).'
    echo '# Regenerate with: scripts/lock.sh'
    "$tmp/venv/bin/pip" freeze | grep -v -iE '^(-e |earthdata-cloud-tutorials)'
} > requirements/lock.txt
rm -rf "$tmp"
