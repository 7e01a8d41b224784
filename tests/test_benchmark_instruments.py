"""The benchmark's instruments of issue #19 on readers whose behaviour is known: the round trips
before the first data request, the peak memory, the timed runs and their spread, the tuned
allocator as a second run, and results files of earlier versions still loading."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.layout import Needs, round_trips_before_data
from benchmarks.readers import Reader
from benchmarks.report import write_report
from benchmarks.results import NAMES, BenchmarkResult, Row, load_results, save_results
from benchmarks.run import run_one, save_reference
from benchmarks.s3server import Conditions, S3Emulator

KEY = "bucket/f.bin"
FILE_BYTES = 2_000_000
CHUNKS = [(1_000_000, 100_000), (1_200_000, 100_000)]
"""The "chunk data" of the file: everything before 1,000,000 is "metadata"."""
LATENCY = 0.1
"""Long enough that requests sent together are in flight together on a busy machine."""
OUTPUT = {name: np.arange(1000, dtype="f8") for name in NAMES}
MIB = 2**20


def _output(mib_per_variable: int = 0) -> dict[str, np.ndarray]:
    if not mib_per_variable:
        return {name: a.copy() for name, a in OUTPUT.items()}
    return {name: np.ones(mib_per_variable * MIB // 8) for name in NAMES}  # every page written


def read_sequential(
    s3: Any, fs: Any, path: str, names: Sequence[str], metadata: int = 0, together: int = 0
) -> dict[str, np.ndarray]:
    """`metadata` small GETs one after another, then `together` more in flight at once, then
    the chunks (both at once)."""
    for k in range(metadata):
        fs.cat_file(path, start=100 * k, end=100 * k + 50)
    if together:
        starts = [10_000 + 100 * k for k in range(together)]
        fs.cat_ranges([path] * together, starts, [s + 50 for s in starts])
    fs.cat_ranges([path] * len(CHUNKS), [a for a, _ in CHUNKS], [a + n for a, n in CHUNKS])
    return _output()


def read_lean(s3: Any, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Returns 5 x 8 MiB and allocates nothing else of note."""
    fs.cat_file(path, start=CHUNKS[0][0], end=sum(CHUNKS[0]))
    return _output(8)


def read_wasteful(s3: Any, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The same output, and while it exists a temporary 96 MiB buffer (written, then freed)."""
    fs.cat_file(path, start=CHUNKS[0][0], end=sum(CHUNKS[0]))
    output = _output(8)
    scratch = np.ones(96 * MIB, dtype=np.uint8)
    assert scratch[-1] == 1
    del scratch
    return output


def read_counting(
    s3: Any, fs: Any, path: str, names: Sequence[str], calls: str = ""
) -> dict[str, np.ndarray]:
    """Each run appends a line to the file `calls` (the runs happen in a child process)."""
    with open(calls, "a") as f:
        f.write("run\n")
    return read_sequential(s3, fs, path, names)


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Emulator]:
    root = tmp_path_factory.mktemp("instruments")
    (root / "bucket").mkdir()
    rng = np.random.default_rng(19)
    (root / KEY).write_bytes(rng.integers(0, 256, FILE_BYTES, dtype=np.uint8).tobytes())
    with S3Emulator(root, Conditions(LATENCY, 0)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("reference")
    return {
        "small": save_reference(_output(), base / "small"),
        "8mib": save_reference(_output(8), base / "8mib"),
    }


NEEDS = Needs(
    chunk_bytes=200_000,
    metadata_bytes=1000,
    chunks=2,
    btree_levels=1,
    inflate_seconds=0.0,
    raw_bytes=40_000,
    file_bytes=FILE_BYTES,
)


def _run(s3: S3Emulator, read: Any, reference: str, **options: Any) -> Row:
    reader = Reader("test", "test", "test", read)
    options.setdefault("repeats", 1)
    repeats = options.pop("repeats")
    return run_one(
        s3, reader, KEY, reference, NEEDS, "v007", LATENCY, 0.0, 2, repeats, chunks=CHUNKS,
        **options,
    )  # fmt: skip


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    ("metadata", "together", "expected"),
    [(0, 0, 0), (1, 0, 1), (4, 0, 4), (0, 5, 1), (2, 5, 3)],
)
def test_round_trips_before_the_first_data_request(
    s3: S3Emulator, references: dict[str, str], metadata: int, together: int, expected: int
) -> None:
    """N metadata GETs one after another count N; GETs in flight together count one."""
    read = partial(read_sequential, metadata=metadata, together=together)
    row = _run(s3, read, references["small"])
    assert row.error == "" and row.identical
    assert row.gets == metadata + together + len(CHUNKS)
    assert row.round_trips == expected


def test_round_trips_count_only_requests_that_ended_before_the_data_request() -> None:
    chunks = [(1000, 10)]
    log = [
        ("GET", 0.0, 0.1, 0, 10),  # 1
        ("GET", 0.1, 0.2, 20, 10),  # 2
        ("GET", 0.2, 0.5, 40, 10),  # still in flight when the data request starts: not before
        ("GET", 0.3, 0.4, 1005, 1),  # the first data request (overlaps the chunk)
        ("GET", 0.4, 0.45, 60, 10),  # after it
    ]
    assert round_trips_before_data(log, chunks) == 2
    assert round_trips_before_data(log[:3], chunks) is None  # no data request at all
    # a range ending exactly where a chunk starts, or starting where it ends, is not data
    assert round_trips_before_data([("GET", 0, 1, 990, 10), ("GET", 1, 2, 1010, 5)], chunks) is None
    # a cache block spanning metadata and a chunk is a data request for a reader that only
    # reads blocks (h5py through a cache) ...
    blocks = [("HEAD", 0, 1, -1, 0), ("GET", 1, 2, 0, 4096)]
    assert round_trips_before_data(blocks, chunks) == 1
    # ... but not for one that then asks for the chunk itself (begins and ends on a chunk): the
    # chunk reader walking h5py's metadata in blocks, which the old rule stopped counting at
    more = [("GET", 2, 3, 8192, 4096), ("GET", 3, 4, 1000, 10)]
    assert round_trips_before_data(blocks + more, chunks) == 3
    # adjacent chunks merged into one request are a request for chunks
    merged = [("GET", 0, 1, 0, 50), ("GET", 1, 2, 1000, 20)]
    assert round_trips_before_data(merged, [(1000, 10), (1010, 10)]) == 1


# ---------------------------------------------------------------- memory


def test_peak_memory_shows_a_reader_s_extra_buffer_and_not_an_earlier_reader_s(
    s3: S3Emulator, references: dict[str, str]
) -> None:
    """A reader that allocates a 96 MiB temporary shows about 96 MiB more extra peak than one
    that does not, with the same output; measured first, its peak does not leak into the lean
    reader's measurement (each is measured in a fresh process)."""
    wasteful = _run(s3, read_wasteful, references["8mib"])
    lean = _run(s3, read_lean, references["8mib"])
    output = 5 * 8 * MIB
    for row in (wasteful, lean):
        assert row.identical and row.output_bytes == output
        assert row.rss_before > 0 and row.peak_rss > row.rss_before
    assert output * 0.95 <= lean.extra_peak <= output + 12 * MIB, lean.extra_peak / MIB
    assert 0.95 <= lean.extra_peak_over_output <= 1.35
    difference = wasteful.extra_peak - lean.extra_peak
    assert 88 * MIB <= difference <= 104 * MIB, difference / MIB
    assert wasteful.extra_peak_over_output > 3
    # the timed run after the warm-up, in the same process, shows the buffer too
    later = wasteful.later_extra_peak - lean.later_extra_peak
    assert 80 * MIB <= later <= 104 * MIB, later / MIB


def test_the_tuned_allocator_is_a_second_labelled_run(
    s3: S3Emulator, references: dict[str, str]
) -> None:
    plain = _run(s3, read_lean, references["8mib"])
    tuned = _run(s3, read_lean, references["8mib"], tuned=True)
    assert plain.allocator == ""
    assert tuned.allocator == "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB"
    assert tuned.identical and tuned.peak_rss > tuned.rss_before


# ---------------------------------------------------------------- runs


def read_crashing(s3: Any, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Dies as a crash in a C library would."""
    import os

    os._exit(3)


def test_a_reader_that_kills_its_process_is_a_row_with_an_error(
    s3: S3Emulator, references: dict[str, str]
) -> None:
    row = _run(s3, read_crashing, references["small"])
    assert not row.identical and row.error.startswith("the child process died")
    after = _run(s3, read_lean, references["8mib"])  # the benchmark goes on
    assert after.identical and after.error == ""


def test_a_fast_reader_gets_a_warm_up_and_the_timed_runs(
    s3: S3Emulator, references: dict[str, str], tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    read = partial(read_counting, calls=str(calls))
    row = _run(s3, read, references["small"], repeats=5)
    assert len(row.walls) == 5 and calls.read_text().count("run") == 6  # warm-up + 5
    assert row.wall == float(np.median(row.walls))
    assert min(row.walls) >= LATENCY  # each run waited at least one latency
    assert row.slowest_over_median == max(row.walls) / row.wall >= 1.0
    calls.unlink()
    slow = _run(s3, read, references["small"], repeats=5, repeat_below=0.0, slow_runs=3)
    assert len(slow.walls) == 3 and calls.read_text().count("run") == 3  # no warm-up


# ---------------------------------------------------------------- results files and report


def _result(rows: list[Row], **extra: Any) -> BenchmarkResult:
    result = BenchmarkResult(
        command="python -m benchmarks run --size 40MB",
        size_bytes=40_000_000,
        bandwidth=50e6,
        latencies_ms=[30.0],
        cores=2,
        machine={"load_before": (0.5, 0.5, 0.5), "load_after": (0.5, 0.5, 0.5)},
        readers={"seed": ("seed", "s3fs + h5py"), "helpers": ("helpers", "notebook 02")},
        warmup=True,
        **extra,
    )
    result.rows = rows
    result.needs = {
        "v007": {**asdict(NEEDS), "bytes_needed": NEEDS.bytes_needed},
    }
    return result


def _row(reader: str, wall: float, allocator: str = "", **extra: Any) -> Row:
    return Row(
        "v007", 30.0, reader, 10, 300_000, 201_000, 4, 3, wall, 0.1, 0.1, True,
        allocator=allocator, **extra,
    )  # fmt: skip


def test_results_of_earlier_versions_still_load_and_render(tmp_path: Path) -> None:
    """A results.json written before issue #19 (no walls, round trips, memory, allocator per
    row; the whole run under the tuned allocator) loads, its rows labelled with the allocator
    it ran under, and the report renders with dashes for what was not measured."""
    old_row = {
        "layout": "v007", "latency_ms": 30.0, "reader": "helpers", "gets": 10,
        "bytes_moved": 300_000, "bytes_needed": 201_000, "connections": 4, "depth": 3,
        "wall": 0.5, "cpu": 0.1, "floor": 0.1, "identical": True, "error": "",
        "floor_isal": 0.1, "emulator_cpu": 0.01,
    }  # fmt: skip
    old = asdict(_result([]))
    for new_field in (
        "repeats", "slow_runs", "repeat_below", "child_processes", "memory_method",
        "tuned_allocator",
    ):  # fmt: skip
        del old[new_field]
    old["machine"]["allocator"] = "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB"
    old["rows"] = [old_row]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(old))
    loaded = load_results(path)
    (row,) = loaded.rows
    assert row.allocator == "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB"
    assert (row.walls, row.round_trips, row.peak_rss, row.output_bytes) == ([], None, 0, 0)
    assert loaded.repeats == 3 and not loaded.child_processes
    write_report(loaded, tmp_path / "old.md", None)
    text = (tmp_path / "old.md").read_text()
    assert (
        "then 3 times" in text
        and "slower readers once" in text
        and "has glibc keep the memory it frees" in text
    )
    line = next(x for x in text.splitlines() if x.startswith("| 30 ms | helpers"))
    assert "| - | 0.50 | - | - |" in line  # round trips, wall, spread, slowest/median
    assert "tuned allocator" not in text.split("### v007")[-1].splitlines()[2]


def test_new_results_round_trip_and_the_report_has_the_new_columns(tmp_path: Path) -> None:
    memory = {"rss_before": 100 * MIB, "peak_rss": 160 * MIB, "output_bytes": 40 * MIB}
    rows = [
        _row(
            "seed",
            5.0,
            walls=[4.8, 5.0, 5.2, 5.0, 6.5],
            round_trips=1,
            **memory,
            later_extra_peak=50 * MIB,
        ),
        _row("seed", 4.0, allocator="M_MMAP_MAX=0", walls=[4.0] * 5, round_trips=1, **memory),
        _row("helpers", 0.5, walls=[0.4, 0.5, 0.5, 0.6, 0.65], round_trips=3, **memory),
        _row("helpers", 0.45, allocator="M_MMAP_MAX=0", walls=[0.44, 0.45, 0.46], round_trips=3),
    ]
    result = _result(
        rows, repeats=5, slow_runs=5, child_processes=True, tuned_allocator="M_MMAP_MAX=0",
        memory_method="VmHWM",
    )  # fmt: skip
    path = tmp_path / "results.json"
    save_results(result, path)
    loaded = load_results(path)
    assert loaded.rows == result.rows  # (JSON turns the machine's tuples into lists)
    assert (loaded.repeats, loaded.tuned_allocator, loaded.child_processes) == (
        5,
        "M_MMAP_MAX=0",
        True,
    )
    write_report(result, tmp_path / "new.md", None)
    text = (tmp_path / "new.md").read_text()
    table = text.split("### v007 cloud-optimized")[-1].splitlines()
    header = table[2]
    for column in (
        "round trips before data", "runs: min-max s", "slowest/median", "wall/floor",
        "extra peak MB", "extra peak / output", "wall s, tuned allocator (min-max)",
    ):  # fmt: skip
        assert column in header
    body = [x for x in table if x.startswith("| 30 ms")]
    assert len(body) == 2  # the plain rows lead; the tuned run is a column, not rows
    seed, helpers = body
    assert "| 1 | 5.00 | 4.80-6.50 | 1.30 |" in seed and "| 4.00 (4.00-4.00) |" in seed
    assert "| 3 | 0.50 | 0.40-0.65 | 1.30 |" in helpers and "| 0.45 (0.44-0.46) |" in helpers
    assert "| 63 | 1.50 |" in helpers  # 60 MiB extra peak = 62.9 MB, over 40 MiB of output
    assert "| 63 | 1.50 (1.25) |" in seed  # the later runs' largest extra peak, 50 MiB
    assert "every reader runs in a plain process" in text
    assert "*round trips before data*" in text and "*extra peak MB*" in text
    targets = text.split("### Targets")[1].split("###")[0]
    assert "round trips before the first data request **3** (target <= 3: met)" in targets
    assert "slowest run / median **1.30** (target <= 1.3: met)" in targets
    assert "extra peak memory / output **1.50** (target <= 1.5: met)" in targets
