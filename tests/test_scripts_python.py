"""scripts/find_python.sh: which interpreter `make setup` and `make test-latest` build on.

Fake interpreters on a PATH of the test's own: a pyenv-style shim that fails, a Python that is
too old, and a working 3.12+ (this test's own interpreter).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "find_python.sh"
OLD = "#!/bin/sh\necho 'Python 3.11.7' >&2\nexit 1\n"  # answers like a 3.11 failing the check


def _bin(tmp_path: Path, **programs: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, text in programs.items():
        path = folder / name.replace("_", ".")
        path.write_text(text)
        path.chmod(0o755)
    return folder


def _run(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{folder}:/usr/bin:/bin"  # no pyenv there
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": path, "HOME": str(folder), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _exec(target: str) -> str:
    return f'#!/bin/sh\nexec "{target}" "$@"\n'


@pytest.mark.skipif(sys.version_info < (3, 12), reason="needs a 3.12+ interpreter to offer")
def test_a_failing_shim_is_skipped_for_a_working_interpreter(tmp_path: Path) -> None:
    shim = "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n"
    folder = _bin(tmp_path, python3_13=shim, python3_12=_exec(sys.executable), python3=OLD)
    result = _run(folder)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == Path(sys.executable).resolve()


def test_nothing_new_enough_stops_with_what_to_install(tmp_path: Path) -> None:
    folder = _bin(tmp_path, python3_13="#!/bin/sh\nexit 127\n", python3=OLD)
    result = _run(folder)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no Python 3.12 or newer found" in result.stderr
    assert "Install Python 3.13" in result.stderr
    assert "PYTHON=" in result.stderr


def test_an_unsuitable_PYTHON_is_refused_not_replaced(tmp_path: Path) -> None:
    folder = _bin(tmp_path, python3_12=_exec(sys.executable), old_python=OLD)
    result = _run(folder, PYTHON=str(folder / "old.python"))
    assert result.returncode == 2
    assert f"PYTHON={folder / 'old.python'} is not a working Python 3.12" in result.stderr


@pytest.mark.skipif(sys.version_info < (3, 12), reason="needs a 3.12+ interpreter to offer")
def test_PYTHON_wins(tmp_path: Path) -> None:
    folder = _bin(tmp_path, python3_13="#!/bin/sh\nexit 127\n")
    result = _run(folder, PYTHON=sys.executable)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == Path(sys.executable).resolve()


def test_the_lock_was_resolved_on_a_supported_python() -> None:
    header = (ROOT / "requirements" / "lock.txt").read_text().splitlines()[1]
    assert header.startswith("# Resolved on Python 3.1"), header
    minor = int(header.split("Python 3.")[1].split(".")[0])
    assert minor >= 12, header
    assert os.access(SCRIPT, os.X_OK)
