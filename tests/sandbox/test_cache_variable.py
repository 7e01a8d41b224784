"""One cache variable: ``EARTHDATA_SANDBOX_CACHE`` for the sandbox, its granule generator and the
benchmark; the old name ``SANDBOX_CACHE`` stops with a message saying what to rename."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.config import ENV_CACHE, RETIRED_ENV_CACHE, default_cache_dir
from sandbox.granules import cache_directory

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_variable_names_the_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(RETIRED_ENV_CACHE, raising=False)
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert cache_directory().parent == tmp_path / "c"  # the granule generator: the same folder
    monkeypatch.delenv(ENV_CACHE)
    assert default_cache_dir() == Path.home() / ".cache" / "earthdata-sandbox"


def test_the_old_name_is_an_error_that_says_what_to_rename(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_CACHE, raising=False)
    monkeypatch.setenv(RETIRED_ENV_CACHE, str(tmp_path / "old"))
    with pytest.raises(
        ValueError, match=f"SANDBOX_CACHE is no longer read: rename it to {ENV_CACHE}"
    ):
        default_cache_dir()
    with pytest.raises(ValueError, match="no longer read"):
        cache_directory()
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "new"))  # both, naming different folders
    with pytest.raises(ValueError, match=f"export {ENV_CACHE}={tmp_path / 'old'}"):
        default_cache_dir()
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "old"))  # both, the same folder: no doubt
    assert default_cache_dir() == tmp_path / "old"


@pytest.mark.parametrize("command", [["sandbox", "env"], ["sandbox.granules"]])
def test_the_command_lines_stop_on_the_old_name(tmp_path: Path, command: list[str]) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), RETIRED_ENV_CACHE: str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"rename it to {ENV_CACHE}" in done.stderr and "Traceback" not in done.stderr


def test_the_benchmark_caches_its_granules_in_the_sandbox_cache(monkeypatch, tmp_path) -> None:
    from benchmarks.run import run_benchmark

    monkeypatch.delenv(RETIRED_ENV_CACHE, raising=False)
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    result = run_benchmark(
        size=1_000_000,
        latencies_ms=[0.0],
        bandwidth=0.0,
        layouts=["v007"],
        readers=[],
        pairing=False,
        log=lambda *_: None,
    )
    assert result.rows == []
    (granule,) = (tmp_path / "benchmark").rglob("ATL03_bench_v007_*.h5")
    assert granule.stat().st_size == result.needs["v007"]["file_bytes"]
