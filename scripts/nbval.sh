#!/usr/bin/env bash
# Run every tutorial notebook under nbval inside the sandbox, in one region.
#   scripts/nbval.sh VENV REGION [pytest args...]
# us-west-2: every cell's output is compared with the committed one (they come from there).
# elsewhere: every cell must run without error; outputs are compared except in cells tagged
#   output-depends-on-region (S3 lines in us-west-2, HTTPS lines elsewhere; see conftest.py).
# Kernels get tests/ipython's start-up file: a DeprecationWarning or FutureWarning about a call
# in a notebook or in the project's own packages fails the cell.
# SANDBOX_ARGS: extra options of `python -m sandbox run`, e.g. "--faults moderate".
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$1 region=$2
shift 2
py=$venv/bin/python
ipython_dir=$(mktemp -d)
trap 'rm -rf "$ipython_dir"' EXIT
cp -r tests/ipython/. "$ipython_dir"
shopt -s nullglob
notebooks=(notebooks/[0-9][0-9]-*.ipynb)
[ ${#notebooks[@]} -gt 0 ] || { echo "no notebooks found" >&2; exit 1; }
# shellcheck disable=SC2086  # SANDBOX_ARGS is a list of words
IPYTHONDIR=$ipython_dir $py -m sandbox run --region "$region" ${SANDBOX_ARGS:-} -- $py -m pytest -p no:cacheprovider \
    --nbval --nbval-sanitize-with notebooks/nbval-sanitize.cfg "$@" "${notebooks[@]}"
