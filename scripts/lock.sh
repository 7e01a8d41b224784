#!/usr/bin/env bash
# Re-resolve the dependencies of pyproject.toml (extra "dev") into requirements/lock.txt, with
# today's newest releases, on the interpreter scripts/find_python.sh chooses (Python 3.13 first).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(bash scripts/find_python.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet ".[dev]"
{
    echo '# Exact versions installed by `make book` and `make test` (scripts/bootstrap.sh).'
    echo "# Resolved on Python $("$tmp/venv/bin/python" -c 'import platform; print(platform.python_version())') on $(date -u +%Y-%m-%d). Regenerate with: scripts/lock.sh"
    "$tmp/venv/bin/pip" freeze | grep -v -iE '^(-e |earthdata-cloud-tutorials)'
} > requirements/lock.txt.new
mv requirements/lock.txt.new requirements/lock.txt
# Binder (repo2docker) installs the same pins: binder/requirements.txt follows the lock.
"$python" scripts/binder_requirements.py
