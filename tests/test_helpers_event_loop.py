"""Reading through several fresh S3 file systems in one process prints nothing on stderr.

Issue #17 item 3: each new ``s3fs.S3FileSystem`` (earthaccess makes one after its credentials
refresh; ``helpers.season`` makes one per task) is freed by Python's cyclic garbage collector,
on whatever thread happens to run the collection, and s3fs then closes its aiobotocore client on
the event loop *running in that thread* (``S3FileSystem.close_session``). When that thread was
one with an event loop of helpers' own, the close ran on the wrong loop and asyncio printed
"Task exception was never retrieved ... attached to a different loop" in the middle of a
notebook. These tests run the reads in a fresh interpreter, so that collection and interpreter
exit are included, and check its stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.granule import GranuleSpec, cached_granule

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, sys, threading
from pathlib import Path

import h5py, numpy as np
import helpers
from benchmarks.s3server import Conditions, S3Emulator
from helpers import fastread

root, key, collect = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "collect"
names = ["h_ph", "lat_ph"]
with h5py.File(root / "bucket" / key) as h5:
    expected = [h5[f"gt1l/heights/{n}"][()] for n in names]


def collect_everywhere():
    # what the garbage collector does by chance: run where the reader's requests run (its event
    # loop thread), in a thread without a loop, and here
    client = fastread._event_loop_client(fastread.FETCH_CONCURRENCY)
    assert client is not None, "the reader has no event loop client"
    done = threading.Event()
    client.loop.call_soon_threadsafe(lambda: (gc.collect(), done.set()))
    assert done.wait(30)
    worker = threading.Thread(target=gc.collect)
    worker.start()
    worker.join()
    gc.collect()


with S3Emulator(root, Conditions(latency=0.0, bandwidth=0)) as s3:
    for i in range(3):
        fs = s3.filesystem()
        fs.info(f"bucket/{key}")
        with fs.open(f"bucket/{key}", **helpers.HDF5_OPEN_KWARGS) as f:
            ds = helpers.read_atl03_beam(f, "gt1l", names)
        same = all(np.array_equal(ds[n].values, e) for n, e in zip(names, expected))
        print(i, ds.sizes["photon"], "same" if same else "DIFFERENT", flush=True)
        if collect:
            collect_everywhere()
print("done", flush=True)
"""


def _root(cache: Path, size: int) -> tuple[Path, str]:
    granule = cached_granule(cache, GranuleSpec(target_bytes=size), "v006")
    root = cache / f"root-{size}"
    (root / "bucket").mkdir(parents=True, exist_ok=True)
    target = root / "bucket" / granule.name
    if not target.exists():
        shutil.copyfile(granule, target)
    return root, granule.name


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("event-loop-granules")


def _run(root: Path, key: str, mode: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # loopback only
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root), key, mode],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


def _assert_quiet_and_right(done: subprocess.CompletedProcess[str]) -> None:
    stderr = done.stderr
    for noise in ("Task exception was never retrieved", "attached to a different loop"):
        assert noise not in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert done.returncode == 0, stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and lines[-1] == "done", done.stdout
    assert all(line.split()[2] == "same" and int(line.split()[1]) > 0 for line in lines[:3])


def test_reads_through_fresh_file_systems_print_nothing(cache: Path) -> None:
    """The reproducer of the issue as it was reported: a granule large enough that the
    collector ran on the reader's loop thread at least once in every run before the fix."""
    root, key = _root(cache, 30_000_000)
    _assert_quiet_and_right(_run(root, key, "plain"))


def test_collections_on_every_thread_print_nothing(cache: Path) -> None:
    """The same with the collection forced, after each read, on the reader's event loop thread,
    on a thread without a loop and on the main thread: whichever thread collects a file
    system, its client is closed quietly."""
    root, key = _root(cache, 3_000_000)
    _assert_quiet_and_right(_run(root, key, "collect"))
