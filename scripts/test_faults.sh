#!/usr/bin/env bash
# Every tutorial notebook (01-04) under injected faults, in both sandbox regions (`make test-faults`):
# nbval re-executes them inside `python -m sandbox run --faults PROFILE` and compares every output
# with the committed, fault-free one, so a fault must be survived (retried) without a trace, or
# the run fails on the cell that could not survive it.
#   scripts/test_faults.sh [PROFILE]     PROFILE: moderate (default), harsh, or a YAML/JSON file
# FAULTS_SEED overrides the profile's seed. Logs: _build/faults/<profile>-<region>.{log,faults.log}
# (the second lists every injected fault: service, kind, method, host, path); the sandbox prints
# the counts per service and kind when it stops (last lines of the first log).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-moderate}
name=$(basename "${profile%.*}")
mkdir -p _build/faults
status=0
for region in ${FAULTS_REGIONS:-us-west-2 elsewhere}; do
    log=_build/faults/$name-$region.log
    faults_log=$PWD/_build/faults/$name-$region.faults.log
    rm -f "$faults_log"
    echo "== notebooks 01-04 under faults ($profile), $region (log: $log)"
    start=$(date +%s)
    set +e
    EARTHDATA_SANDBOX_FAULTS_LOG=$faults_log \
        SANDBOX_ARGS="--faults $profile${FAULTS_SEED:+ --faults-seed $FAULTS_SEED}" \
        bash scripts/nbval.sh .venv "$region" --deselect notebooks/00-setup-check.ipynb 2>&1 | tee "$log" | grep -E "^(FAILED|ERROR)|passed|failed|faults injected"
    code=${PIPESTATUS[0]}
    set -e
    echo "   $region: exit $code in $(($(date +%s) - start)) s"
    [ "$code" -eq 0 ] || status=1
done
exit $status
