#!/usr/bin/env bash
# Every tutorial notebook (01-04) under injected faults, in both sandbox regions (`make test-faults`):
# nbval re-executes them inside `python -m sandbox run --faults PROFILE` and compares every output
# with the committed, fault-free one, so a fault must be survived (retried) without a trace, or
# the run fails on the cell that could not survive it.
#   scripts/test_faults.sh [PROFILE]     PROFILE: moderate (default), harsh, or a YAML/JSON file
# FAULTS_SEED overrides the profile's seed; FAULTS_REGIONS the regions ("us-west-2 elsewhere").
# FAULTS_BASELINE=1 first runs the same notebooks without faults and counts only the cells whose
# nbval report differs from that run's (for a tree whose committed outputs are not up to date).
# Logs: _build/faults/<profile>-<region>.{log,faults.log} (the second lists every injected fault:
# service, kind, method, host, path; the sandbox prints the counts per service and kind when it
# stops, last lines of the first log), and _build/faults/baseline-<region>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-moderate}
name=$(basename "${profile%.*}")
mkdir -p _build/faults
status=0
run() {  # run LOG REGION [SANDBOX_ARGS]: nbval over notebooks 01-04, full diffs in LOG; exit code
    set +e
    SANDBOX_ARGS=${3:-} bash scripts/nbval.sh .venv "$2" -vv --deselect notebooks/00-setup-check.ipynb \
        2>&1 | tee "$1" | grep -E "^(FAILED|ERROR)|passed|failed|faults injected"
    local code=${PIPESTATUS[0]}
    set -e
    return "$code"
}
for region in ${FAULTS_REGIONS:-us-west-2 elsewhere}; do
    log=_build/faults/$name-$region.log
    faults_log=$PWD/_build/faults/$name-$region.faults.log
    rm -f "$faults_log"
    if [ -n "${FAULTS_BASELINE:-}" ]; then
        echo "== notebooks 01-04 without faults, $region (log: _build/faults/baseline-$region.log)"
        run "_build/faults/baseline-$region.log" "$region" || true
    fi
    echo "== notebooks 01-04 under faults ($profile), $region (log: $log)"
    start=$(date +%s)
    code=0
    EARTHDATA_SANDBOX_FAULTS_LOG=$faults_log \
        run "$log" "$region" "--faults $profile${FAULTS_SEED:+ --faults-seed $FAULTS_SEED}" || code=$?
    echo "   $region: exit $code in $(($(date +%s) - start)) s"
    if [ -n "${FAULTS_BASELINE:-}" ]; then
        # Only the cells whose nbval report (error or output difference) is not the baseline's.
        code=0
        .venv/bin/python - "_build/faults/baseline-$region.log" "$log" <<'PY' || code=1
import re
import sys

def reports(path):
    found, name = {}, None
    for line in open(path, errors="replace"):
        if line.startswith("sandbox:"):  # the sandbox's fault lines, interleaved
            continue
        line = re.sub(r"sandbox: fault #\d+: [^\n]*", "", line)
        header = re.match(r"_{3,} (notebooks/\S+::Cell \d+) _{3,}", line)
        if header or line.startswith("====="):
            name = header.group(1) if header else None
            found.setdefault(name, []) if name else None
        elif name:
            found[name].append(line)
    return {cell: "".join(lines) for cell, lines in found.items()}

baseline, faults = reports(sys.argv[1]), reports(sys.argv[2])
added = sorted(c for c in set(baseline) | set(faults) if baseline.get(c) != faults.get(c))
print(f"   fault-caused differences: {len(added)} (fault-free run already differs in "
      f"{len(baseline)} cells)" + "".join(f"\n     {cell}" for cell in added))
sys.exit(1 if added else 0)
PY
    fi
    [ "$code" -eq 0 ] || status=1
done
exit $status
