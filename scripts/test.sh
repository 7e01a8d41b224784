#!/usr/bin/env bash
# Every check of the project, as CI runs it (`make test`). Extra arguments go to the first pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python

echo "== ruff (lint and format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== GitHub workflows: actionlint and zizmor, offline"
bash scripts/lint_workflows.sh

echo "== unit, sandbox and book-config tests (network guard on)"
$py -m pytest --ignore=tests/book "$@"

echo "== notebooks, us-west-2: re-executed under the sandbox and compared with their committed outputs"
bash scripts/nbval.sh .venv us-west-2

echo "== notebooks, elsewhere (outside AWS): every cell runs; outputs compared except S3/HTTPS cells"
bash scripts/nbval.sh .venv elsewhere

echo "== the book: built and executed under the sandbox (log: _build/book-build.log)"
mkdir -p _build
bash scripts/build_book.sh 2>&1 | tee _build/book-build.log

echo "== the book's checks: every page in headless Chromium, internal links, secrets"
# Debian's chromium package; installed here only when absent (CI runs as root).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: Chromium is missing; as root: apt-get install -y --no-install-recommends chromium" >&2
        exit 1
    fi
    echo "installing Chromium: apt-get install -y --no-install-recommends chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
BOOK_CHECKS=1 $py -m pytest -p no:cacheprovider tests/book 2>&1 | tee _build/book-checks.log
$py scripts/scan_secrets.py   # notebooks and all of _build/, including the two logs above
