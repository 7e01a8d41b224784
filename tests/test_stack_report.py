"""scripts/stack_report.py: the newest-releases job names the releases a failure runs through."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("stack_report", ROOT / "scripts/stack_report.py")
assert _spec and _spec.loader
stack_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stack_report)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="2" tests="3">
<testcase classname="notebooks.01-cloud-collection-search.ipynb" name="Cell 5">
<failure message="TypeError: 'str' object is not callable">Traceback (most recent call last):
  File "/x/.venv-latest/lib/python3.13/site-packages/earthaccess/results.py", line 9, in version
TypeError: 'str' object is not callable</failure></testcase>
<testcase classname="tests.test_helpers_tables" name="test_size">
<failure message="AssertionError: 1 != 2">assert 1 == 2</failure></testcase>
<testcase classname="tests.test_ok" name="test_fine"/>
</testsuite></testsuites>
"""


def test_failures_name_the_new_release_in_their_traceback(tmp_path: Path) -> None:
    junit = tmp_path / "results.xml"
    junit.write_text(JUNIT)
    now = {"earthaccess": "0.20.0", "xarray": "2026.9.0", "pandas": "3.2.0"}
    lock = {"earthaccess": "0.19.0", "xarray": "2026.9.0", "pandas": "3.1.1"}
    owners = {"earthaccess": {"earthaccess"}, "pandas": {"pandas"}}
    report = stack_report.failures_report(stack_report.failed_tests([junit]), now, lock, owners)
    lines = report.splitlines()
    assert lines[0] == "2 test(s) failed on the newest releases:"
    cell = lines.index("- notebooks.01-cloud-collection-search.ipynb::Cell 5")
    assert "earthaccess 0.20.0 (lock 0.19.0)" in lines[cell + 2]
    other = lines.index("- tests.test_helpers_tables::test_size")
    assert "names no package whose release differs" in lines[other + 2]
    # pandas is new too but in no traceback: listed as a suspect, xarray (unchanged) is not
    assert "  pandas 3.2.0 (lock 3.1.1)" in lines
    assert not any("xarray" in line for line in lines)


def test_read_lock_normalises_names(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("# header\nCartopy==0.26.0\npython_cmr==0.13.0  # comment\n-e .\n")
    assert stack_report.read_lock(lock) == {"cartopy": "0.26.0", "python-cmr": "0.13.0"}


def test_versions_of_this_environment_against_the_real_lock() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/stack_report.py"), "versions"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Python {sys.version.split()[0]}")
    assert "  earthaccess " in result.stdout
    assert "differ from requirements/lock.txt" in result.stdout.splitlines()[-1]


def test_an_nbval_failure_is_summarised_by_its_telling_line(tmp_path: Path) -> None:
    # nbval's message is only "Notebook cell execution failed", in ANSI colours
    text = (
        "\x1b[91mNotebook cell execution failed\x1b[0m\n\x1b[94mCell 5: Cell outputs differ\n"
        "Missing output fields from running code: {'stderr'}\n"
    )
    assert stack_report.summary_line(text) == "Cell 5: Cell outputs differ"
    assert stack_report.differences({"pip": "26.3", "a": "1"}, {"a": "1"}) == {}


def test_same_as_lock_says_whether_anything_is_newer() -> None:
    # This environment was installed from the lock (make setup): nothing newer, exit 0. The
    # newest-releases job runs its tests only when this says otherwise.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/stack_report.py"), "same-as-lock"],
        capture_output=True,
        timeout=120,
    )
    now = stack_report.installed()
    expected = 1 if stack_report.differences(now, stack_report.read_lock()) else 0
    assert result.returncode == expected
