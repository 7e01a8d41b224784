"""The benchmark at a small size: every reader returns the same arrays (no timing asserts), and
the instruments of issue #19 (runs, round trips, memory) fill in every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.granule import GranuleSpec, cached_granule
from benchmarks.layout import measure_needs
from benchmarks.pairing import make_scene, run_pairing
from benchmarks.readers import READERS, earthaccess_block_size, h5coro_available
from benchmarks.results import BUCKET, NAMES, PREFIX
from benchmarks.run import run_benchmark
from helpers.readers import METADATA_BLOCK_SIZE

SIZE = 3_000_000


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(scope="module")
def result(cache: Path):
    return run_benchmark(
        size=SIZE,
        latencies_ms=[0.0],
        bandwidth=0.0,  # unthrottled: this checks agreement, not speed
        cache=cache,
        pairing=False,
        log=lambda *_: None,
        repeats=1,
    )


def test_every_reader_returns_the_same_arrays_on_both_layouts(result) -> None:
    expected = {r.key for r in READERS if r.key != "h5coro" or h5coro_available()}
    for layout in ("v006", "v007"):
        rows = [r for r in result.rows if r.layout == layout]
        assert {r.reader for r in rows} == expected
        for row in rows:
            assert row.error == "", (row.reader, row.error)
            assert row.identical, f"{row.reader} on {layout} differs from h5py on the local file"
            assert row.gets > 0 and row.bytes_moved > 0


def test_every_row_has_its_runs_round_trips_and_memory(result) -> None:
    """The plain process (glibc's defaults) by default; one timed run after a warm-up here
    (``repeats=1``); the round trips before the first chunk-data request, counted from the
    emulator's log; the peak memory of the first read, at least the arrays returned."""
    raw = result.needs["v006"]["raw_bytes"]
    assert result.child_processes and result.repeats == 1 and not result.tuned_allocator
    for row in result.rows:
        assert row.allocator == "" and len(row.walls) == 1 and row.wall == row.walls[0]
        assert row.round_trips is not None and 0 <= row.round_trips <= row.gets + 2, row
        assert row.output_bytes == raw, (row.reader, row.output_bytes, raw)
        assert row.peak_rss - row.rss_before >= 0.9 * raw, (row.reader, row.extra_peak)
    # the chunk readers read the chunk index through the cache before fetching any chunk
    for reader in ("helpers", "chunks", "chunks-1mib"):
        for layout in ("v006", "v007"):
            row = next(r for r in result.rows if r.layout == layout and r.reader == reader)
            assert row.round_trips >= 1, (reader, layout)


def _metadata_reads(local: Path) -> list[tuple[int, int]]:
    """The reads of notebook 02's call (``read_atl03_beam``) on the local file that are not the
    variables' chunks: headers, attributes, chunk index (a superset of what ``chunks`` reads)."""
    import helpers
    from benchmarks.layout import TracedFile, chunk_ranges

    chunks = set(chunk_ranges(local, NAMES))
    traced = TracedFile(local)
    try:  # a plain local file: h5py reads everything, chunks included, through `traced`
        helpers.read_atl03_beam(traced, "gt1l", [n.rsplit("/", 1)[-1] for n in NAMES])
    finally:
        traced.close()
    return [(o, n) for o, n, _ in traced.reads if (o, n) not in chunks and n > 0]


def _cache_bytes(reads: list[tuple[int, int]], block: int, file_bytes: int) -> int:
    """Bytes fsspec's ``background`` block cache fetches to serve `reads`: every block they touch
    and the block after each (fetched ahead in the background), whole, once, within the file."""
    blocks = {
        b for offset, n in reads for b in range(offset // block, (offset + n - 1) // block + 1)
    }
    blocks |= {b + 1 for b in blocks}
    return sum(min(block, file_bytes - b * block) for b in blocks if b * block < file_bytes)


@pytest.mark.parametrize("reader", ["helpers", "chunks", "chunks-1mib"])
def test_chunk_readers_move_the_chunks_once_plus_the_metadata_blocks(
    result, cache: Path, reader: str
) -> None:
    """The chunk readers fetch each needed chunk once, outside the file object's cache, and
    through a cache only the blocks holding the metadata h5py reads (plus the block fsspec
    fetches ahead of each): earthaccess's block size for this file size (``chunks``, on
    earthaccess's file object) or 1 MiB (``chunks-1mib``; ``helpers``, whose readers walk the
    metadata through 1 MiB blocks of their own). A reader that fetched chunks through the cache
    as well, or read the file again, would move more."""
    for layout in ("v006", "v007"):
        row = next(r for r in result.rows if r.layout == layout and r.reader == reader)
        needs = result.needs[layout]
        local = cached_granule(cache / BUCKET / PREFIX / layout, GranuleSpec(SIZE), layout)
        file_bytes = needs["file_bytes"]
        block = {"chunks-1mib": 2**20, "helpers": METADATA_BLOCK_SIZE}.get(
            reader, earthaccess_block_size(file_bytes)
        )
        metadata = _cache_bytes(_metadata_reads(local), block, file_bytes)
        assert 0 < metadata <= file_bytes
        assert needs["chunk_bytes"] <= row.bytes_moved <= needs["chunk_bytes"] + metadata, (
            layout,
            row.bytes_moved,
            needs["chunk_bytes"],
            metadata,
        )


def test_granules_have_the_real_chunking(tmp_path: Path) -> None:
    import h5py

    spec = GranuleSpec(target_bytes=2_000_000)
    v006 = cached_granule(tmp_path, spec, "v006")
    v007 = cached_granule(tmp_path, spec, "v007")
    assert cached_granule(tmp_path, spec, "v006") == v006  # cached, not rewritten
    with h5py.File(v006) as f, h5py.File(v007) as g:
        for name in NAMES:
            assert f[name].chunks == (10_000,) and f[name].compression == "gzip"
            assert g[name].chunks == (100_000,) or g[name].chunks == g[name].shape
            assert np.array_equal(f[name][...], g[name][...])
        fcpl = g.id.get_create_plist()
        assert fcpl.get_file_space_page_size() == 8 * 1024 * 1024
        # v006: gt1l's chunks are interleaved with other beams' (appended through time)
        offsets = []
        f["gt1l/heights/h_ph"].id.chunk_iter(lambda c: offsets.append(c.byte_offset))
        other = []
        f["gt2l/heights/h_ph"].id.chunk_iter(lambda c: other.append(c.byte_offset))
        assert min(other) < max(offsets) and min(offsets) < max(other)
    needs = measure_needs(v006, NAMES)
    assert needs.chunk_bytes > 0 and needs.metadata_bytes > 0 and needs.btree_levels >= 1


def test_generation_is_deterministic(tmp_path: Path) -> None:
    spec = GranuleSpec(target_bytes=1_000_000)
    a = cached_granule(tmp_path / "a", spec, "v006").read_bytes()
    b = cached_granule(tmp_path / "b", spec, "v006").read_bytes()
    assert a == b


def test_pairing_agrees_with_the_seed_way_on_a_small_scene() -> None:
    scene = make_scene(rows=300, cols=200, points=20_000)
    p = run_pairing(scene, repeat=1)
    assert p.identical_where_seed_paired
    assert p.helpers_paired >= p.seed_paired > 0


@pytest.mark.parametrize("module", ["granule", "layout", "report", "results", "run", "s3server"])
def test_benchmark_module_examples_run(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(f"benchmarks.{module}")
    failures, tried = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_the_report_is_written_again_from_the_saved_results(result, tmp_path: Path) -> None:
    import json
    from dataclasses import asdict

    from benchmarks.report import write_report
    from benchmarks.results import load_results
    from benchmarks.run import main

    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({**asdict(result), "rows": [asdict(r) for r in result.rows]}))
    write_report(result, tmp_path / "direct.md", None)
    assert main(["report", "--results", str(saved), "--out", str(tmp_path / "again.md"),
                 "--plot", str(tmp_path / "again.png")]) == 0  # fmt: skip
    assert (tmp_path / "again.md").read_text() == (tmp_path / "direct.md").read_text()
    assert (tmp_path / "again.png").stat().st_size > 10_000
    assert load_results(saved).rows == result.rows
    saved.write_text('{"rows": [{"reader": "seed"}]}')
    with pytest.raises(SystemExit, match="not the results of this version"):
        load_results(saved)


def _benchmark_imports() -> dict[str, set[str]]:
    """Module -> the `benchmarks` modules it imports anywhere (top level or inside functions,
    TYPE_CHECKING blocks included), read with ast from the source files."""
    import ast

    package = Path(__file__).resolve().parent.parent / "benchmarks"
    modules = {p.stem for p in package.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        found: set[str] = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom):  # from benchmarks(.x) / from .(x) import ...
                module = node.module or ""
                if node.level or module == "benchmarks" or module.startswith("benchmarks."):
                    target = module.removeprefix("benchmarks").lstrip(".").split(".")[0]
                    found |= {target} if target else {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {
                    a.name.split(".")[1] for a in node.names if a.name.startswith("benchmarks.")
                }
        graph[name] = found & modules
    return graph


def test_benchmark_modules_import_each_other_without_a_cycle() -> None:
    graph = _benchmark_imports()
    assert "results" in graph["run"] and "results" in graph["report"]
    assert "run" not in graph["report"] and "report" not in graph["results"]

    def reachable(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        return seen

    cycles = sorted(m for m in graph if m in reachable(m))
    assert cycles == [], f"import cycle through {cycles}: {graph}"


@pytest.mark.parametrize(
    ("module", "absent"),
    [("report", "benchmarks.run"), ("results", "benchmarks.run"), ("results", "benchmarks.report")],
)
def test_each_benchmark_module_imports_alone(module: str, absent: str) -> None:
    """In a fresh interpreter: the module imports by itself and does not pull in `absent`."""
    import subprocess
    import sys

    code = f"import sys, benchmarks.{module}; sys.exit(1 if {absent!r} in sys.modules else 0)"
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, f"benchmarks.{module} imports {absent}: {done.stderr[-2000:]}"
