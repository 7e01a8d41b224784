#!/usr/bin/env bash
# Build the book into _build/html (`make book`), executing every notebook against the Earthdata
# sandbox (its guard makes any accidental non-loopback fetch by the build fail loudly).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
.venv/bin/python -m sandbox run -- .venv/bin/jupyter-book build . --all --warningiserror --keep-going
echo "book built in $(( $(date +%s) - start )) s: _build/html/index.html"
