#!/usr/bin/env bash
# Every check of the project, as CI runs it (`make test`). Extra arguments go to the first pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python

echo "== ruff (lint and format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== unit, sandbox and book-config tests (network guard on)"
$py -m pytest "$@"

echo "== notebooks: re-executed under the sandbox and compared with their committed outputs"
shopt -s nullglob
notebooks=(notebooks/[0-9][0-9]-*.ipynb)
if [ ${#notebooks[@]} -gt 0 ]; then
    $py -m sandbox run -- $py -m pytest -p no:cacheprovider --nbval \
        --nbval-sanitize-with notebooks/nbval-sanitize.cfg "${notebooks[@]}"
fi
