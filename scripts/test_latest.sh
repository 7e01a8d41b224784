#!/usr/bin/env bash
# The newest-releases job (`make test-latest`, and the second part of .ci/run): the project on
# today's newest releases of every dependency, unpinned, in .venv-latest. Runs the unit and
# sandbox tests and nbval of every notebook in both sandbox regions (ruff and the book are the
# lock job's). On failure it names each failed test and the releases, newer than the lock, that
# its traceback passes through (scripts/stack_report.py).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap_latest.sh || { echo "error: installing the newest releases failed" >&2; exit 1; }
py=.venv-latest/bin/python
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

echo "== the newest releases (against requirements/lock.txt)"
$py scripts/stack_report.py versions
if [ -z "${TEST_LATEST_FORCE:-}" ] && $py scripts/stack_report.py same-as-lock; then
    # Same releases as the lock (and the same Python): `make test` has just run these very tests
    # on them. Anything newer, and the whole set runs.
    echo "== the newest releases are exactly the lock's: make test covers them (TEST_LATEST_FORCE=1"
    echo "   runs the tests again anyway)"
    exit 0
fi

failed=0
echo "== newest releases: unit and sandbox tests"
$py -m pytest --ignore=tests/book -q --junitxml="$results/unit.xml" "$@" || failed=1
for region in us-west-2 elsewhere; do
    echo "== newest releases: notebooks, $region"
    bash scripts/nbval.sh .venv-latest "$region" -q --junitxml="$results/nbval-$region.xml" \
        || failed=1
done

if [ "$failed" -ne 0 ]; then
    echo
    echo "== THE NEWEST RELEASES BREAK SOMETHING (the lock's job may still pass):"
    $py scripts/stack_report.py failures "$results"/*.xml
    exit 1
fi
echo "== newest releases: every test passed"
