"""tests/ipython: under nbval, a deprecated call in a notebook or in the project's packages fails.

A kernel is started as scripts/nbval.sh starts it (IPYTHONDIR = a copy of tests/ipython) and runs
cells that warn: the notebook's own FutureWarning and DeprecationWarning (IPython shows the latter
by default) and one raised on behalf of ``helpers`` become errors; one about a library's own
internals stays a warning.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUNNER = """
import json, sys, nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
cells = [
    "import warnings\\nwarnings.warn('old call', FutureWarning)",
    "warnings.warn('old call', DeprecationWarning)",
    "warnings.warn_explicit('old', FutureWarning, 'helpers/x.py', 1, module='helpers.tables')",
    "warnings.warn_explicit('inside', FutureWarning, 'lib.py', 1, module='somelibrary.core')",
]
notebook = new_notebook(cells=[new_code_cell(c) for c in cells])
client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True)
client.execute()
print(json.dumps([[o.get("ename") or o.get("name") for o in c.outputs] for c in notebook.cells]))
"""


def test_deprecations_of_our_own_calls_fail_the_cell(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tests" / "ipython", tmp_path / "ipython")
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = json.loads(done.stdout.strip().splitlines()[-1])
    assert outputs[0] == ["FutureWarning"]  # the notebook's own call: an error
    assert outputs[1] == ["DeprecationWarning"]  # despite IPython's "default" for __main__
    assert outputs[2] == ["FutureWarning"]  # raised for helpers
    assert outputs[3] == ["stderr"]  # a library's own internals: printed, not raised
