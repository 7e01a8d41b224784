#!/usr/bin/env bash
# Re-execute tutorial notebooks under the sandbox (us-west-2, the default ports) after editing
# their .py twins, so the committed .ipynb holds the new code and a full top-to-bottom run's
# outputs:   scripts/execute_notebooks.sh [notebooks/NN-name.py ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if [ $# -eq 0 ]; then set -- notebooks/[0-9][0-9]-*.py; fi
for source in "$@"; do
    notebook=${source%.py}.ipynb
    echo "== $notebook"
    .venv/bin/jupytext --quiet --sync "$source"
    $py -m sandbox run -- .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False "$notebook"
    # no per-cell timestamps in the committed notebooks (older runs may have left some)
    $py -c 'import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
for cell in nb.cells:
    cell.metadata.pop("execution", None)
nbformat.write(nb, sys.argv[1])' "$notebook"
    .venv/bin/jupytext --quiet --sync "$source"   # the pair's timestamps: .ipynb newer is fine
done
