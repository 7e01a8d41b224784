"""Jupyter kernels started under the sandbox's environment (as nbclient and jupyter-book start
them) load the guard and reach the emulated services."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from sandbox.service import Sandbox

CELLS = [
    "import sys, socket, json\nguard = '_earthdata_sandbox_guard' in sys.modules",
    "try:\n    socket.getaddrinfo('example.com', 443)\n    blocked = None\n"
    "except PermissionError as error:\n    blocked = str(error)",
    "import earthaccess\nearthaccess.login()\n"
    "found = earthaccess.search_data(short_name='ATL07', count=5)",
    "print(json.dumps({'guard': guard, 'blocked': blocked, 'found': len(found), "
    "'in_region': earthaccess.__store__.in_region}))",
]

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
print(notebook.cells[-1].outputs[0]["text"].strip())
"""


def test_a_notebook_kernel_runs_guarded_against_the_sandbox(
    sandbox_us: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "probe.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in CELLS]), path)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path)],
        env=sandbox_us.child_environment(),
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["guard"] is True
    assert result["blocked"] is not None and "example.com" in result["blocked"]
    assert result["found"] == 4 and result["in_region"] is True
