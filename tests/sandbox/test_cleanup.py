"""``python -m sandbox clean``: the granule folders of other sandbox versions, and only those, are
removed; never while a sandbox runs on the cache folder. Start-up names them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_cli import sandbox_cli

from sandbox.granules import cache_directory

OLD = ("v1-0123456789-seed20181015", "v2-abcdef0123-seed7")
KEPT = ("benchmark", "instances", "v2-notes", "my-data")


def _cache(tmp_path: Path) -> Path:
    """A cache folder with two folders of other versions (1 MB each), the current one and others."""
    root = tmp_path / "cache"
    for name in (*OLD, *KEPT, cache_directory(root).name):
        (root / name).mkdir(parents=True)
        (root / name / "file.h5").write_bytes(b"\0" * 1_000_000)
    return root


def _clean(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "--cache-dir", str(root), "clean", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _left(root: Path) -> set[str]:
    return {path.name for path in root.iterdir()}


def test_clean_removes_only_the_folders_of_other_versions(tmp_path: Path) -> None:
    root = _cache(tmp_path)
    done = _clean(root)
    assert done.returncode == 0, done.stderr
    assert _left(root) == {*KEPT, cache_directory(root).name}
    for name in OLD:
        assert f"removed {root / name} (0.00 GB)" in done.stdout
    assert "freed 0.0 GB in 2 folder(s)" in done.stdout
    again = _clean(root)
    assert again.returncode == 0 and "no granule folders of other versions" in again.stdout


def test_dry_run_lists_and_keeps_them(tmp_path: Path) -> None:
    root = _cache(tmp_path)
    before = _left(root)
    done = _clean(root, "--dry-run")
    assert done.returncode == 0 and _left(root) == before
    assert done.stdout.count("would remove") == 2 and "would free" in done.stdout


def test_clean_refuses_while_a_sandbox_runs_on_the_cache(tmp_path: Path) -> None:
    root = _cache(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (root / "instances" / f"{sleeper.pid}-x1y2").mkdir()
        before = _left(root)
        done = _clean(root)
        assert done.returncode == 1 and _left(root) == before
        assert f"a sandbox is running on {root} (pid {sleeper.pid})" in done.stderr
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _clean(root).returncode == 0  # its process gone, the folders go
    assert _left(root) == {*KEPT, cache_directory(root).name}


def test_start_up_names_the_old_folders_and_keeps_them(tmp_path: Path) -> None:
    root = _cache(tmp_path)
    process = sandbox_cli(tmp_path, "run", "--port-base", "0", "--", sys.executable, "-c", "0")
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert f"2 granule folder(s) of other sandbox versions (0.0 GB) in {root}" in err
    assert "`python -m sandbox clean` removes them" in err
    assert set(OLD) <= _left(root)
