"""Run the whole benchmark: granules, S3 emulator, readers at each latency, pairing, report.

    .venv/bin/python -m benchmarks run            # 1.2 GB granules, 0/30/60 ms, ~50 MB/s
    .venv/bin/python -m benchmarks run --size 20MB --latencies 30 --out /tmp/r.md   # quick
    .venv/bin/python -m benchmarks report         # the report again from results.json

Every reader runs in a plain process (glibc's defaults, as a notebook kernel runs);
``--tuned-allocator`` adds a second, labelled run of each with the allocator of
`keep_freed_memory`. Each reader's runs take place in a fresh child process (see `run_one`),
where its peak memory is measured too.

Writes ``benchmarks/RESULTS.md`` (machine, versions, command, tables), ``benchmarks/results.json``
and the plot ``book/_static/performance.png``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import http.client
import multiprocessing
import os
import platform
import re
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.granule import GranuleSpec, Layout, cached_granule
from benchmarks.layout import (
    Needs,
    chunk_ranges,
    measure_needs,
    reference_arrays,
    round_trips_before_data,
)
from benchmarks.readers import READERS, Reader, h5coro_available
from benchmarks.report import write_report
from benchmarks.results import (
    BUCKET,
    NAMES,
    PREFIX,
    BenchmarkResult,
    Row,
    load_results,
    save_results,
)
from benchmarks.s3server import Conditions, S3Emulator
from sandbox.config import default_cache_dir

__all__ = ["main", "run_benchmark"]

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
"""Timed runs of each reader (after a warm-up for a fast one); the median is reported."""
REPEAT_BELOW = 15.0
"""Readers whose first run is faster than this (seconds) get it as an untimed warm-up."""


def parse_size(text: str) -> int:
    """``"1.1GB"``, ``"20MB"``, ``"500000"`` to bytes (decimal units)."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([kKmMgG]?)[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def keep_freed_memory() -> str:
    """Have glibc keep the memory this process frees, for it to use again; say what was set.

    The machine this benchmark was written on is a virtual machine that returns memory a process
    frees to the hypervisor within seconds (virtio-balloon free page reporting). Touching it
    again then costs about 2 ms per MB, 20 times a normal page fault, so a reader allocating
    400 MB of arrays in each run would be timed on the hypervisor more than on itself. With
    large blocks taken from the heap instead of ``mmap`` and the heap never trimmed, each run
    uses the memory of the one before, as a long-lived notebook kernel does on a machine whose
    memory stays mapped. The same for every reader. Returns "" where there is no glibc.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows)
        return ""
    m_trim_threshold, m_mmap_max = -1, -4  # glibc's <malloc.h>
    if mallopt(m_mmap_max, 0) != 1 or mallopt(m_trim_threshold, 2**31 - 1) != 1:
        return ""
    return _TUNED


_TUNED = "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB"


def _memory_method() -> str:
    """How `PeakMemory` measures here (the same in the child processes)."""
    with PeakMemory() as peak:
        pass
    return (
        "VmHWM reset through /proc/self/clear_refs at the start of the read"
        if peak.method == "VmHWM"
        else "ru_maxrss after the read, in a fresh child process"
    )


def first_touch_ms_per_mb(megabytes: int = 256) -> float:
    """Milliseconds per MB to write new memory once (page faults included); measured with
    memory the process has not used before, so call it before anything large is allocated."""
    block = np.empty(megabytes * 2**20, dtype=np.uint8)
    t0 = time.perf_counter()
    block[::4096] = 1  # one write per 4 KiB page: each page is faulted in
    seconds = time.perf_counter() - t0
    del block
    return 1000 * seconds / megabytes


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "load_before": os.getloadavg(),
    }


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    import h5py

    out = {"python": platform.python_version(), "HDF5": h5py.version.hdf5_version}
    for name in (
        "numpy",
        "h5py",
        "s3fs",
        "fsspec",
        "aiobotocore",
        "botocore",
        "urllib3",
        "earthaccess",
        "h5coro",
        "pyresample",
        "pykdtree",
    ):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def measure_emulator(s3: S3Emulator, path: str, bandwidth: float) -> dict[str, float]:
    """The emulator's own costs at zero added latency: per request (raw and via s3fs), MB/s."""
    s3.configure(0.0, 0.0)
    host = s3.endpoint.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=30)
    n = 200
    t0 = time.perf_counter()
    for i in range(n):
        conn.request("GET", f"/{path}", headers={"Range": f"bytes={i}-{i}"})
        conn.getresponse().read()
    raw = (time.perf_counter() - t0) / n
    conn.close()
    fs = s3.filesystem()
    fs.cat_file(path, start=0, end=1)
    t0 = time.perf_counter()
    for i in range(n):
        fs.cat_file(path, start=i, end=i + 1)
    via_s3fs = (time.perf_counter() - t0) / n
    s3.configure(0.0, bandwidth)
    size = min(32 * 1024 * 1024, fs.info(path)["size"])
    t0 = time.perf_counter()
    fs.cat_file(path, start=0, end=size)
    throughput = size / (time.perf_counter() - t0)
    return {
        "request_ms_raw": raw * 1000,
        "request_ms_s3fs": via_s3fs * 1000,
        "one_connection_mb_s": throughput / 1e6,
    }


def _identical(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> bool:
    return all(
        n in got
        and np.asarray(got[n]).shape == want[n].shape
        and np.array_equal(np.asarray(got[n]), want[n])
        for n in want
    )


def _status_bytes(field: str) -> int:
    """A ``Vm...`` line of ``/proc/self/status`` (kB there), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class PeakMemory:
    """Peak resident memory of this process while the ``with`` block runs, and before it.

    On Linux the kernel keeps the high-water mark of the resident set (``VmHWM``) and lets a
    process reset it to the current resident size (``"5"`` written to ``/proc/self/clear_refs``,
    Linux 4.0+): reset at entry, read at exit, it is the exact peak of the block, every page
    counted, with no sampling that could miss a short peak, and no earlier peak (the imports,
    an earlier read) mixed in. Where that is not possible, ``ru_maxrss`` after the block, which
    is a high-water mark of the process's whole life: right only in a process that has not yet
    been bigger (hence a fresh child process per measurement, see `run_one`).

    Examples
    --------
    >>> import mmap
    >>> with PeakMemory() as peak:  # 64 MiB of fresh pages (none the allocator kept), all written
    ...     block = mmap.mmap(-1, 64 * 2**20)
    ...     for page in range(0, len(block), mmap.PAGESIZE):
    ...         block[page] = 1
    ...     block.close()
    >>> 60 * 2**20 < peak.extra < 80 * 2**20, peak.method in ("VmHWM", "ru_maxrss")
    (True, True)
    """

    def __init__(self) -> None:
        self.before = self.peak = 0
        self.method = ""

    def __enter__(self) -> PeakMemory:
        try:
            self.before = _status_bytes("VmRSS")
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM"
        except (OSError, KeyError, ValueError):  # no procfs, or an old kernel
            self.method = "ru_maxrss"
            scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, else kB
            self.before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
        return self

    def __exit__(self, *exc: object) -> None:
        if self.method == "VmHWM":
            self.peak = _status_bytes("VmHWM")
        else:
            scale = 1 if sys.platform == "darwin" else 1024
            self.peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

    @property
    def extra(self) -> int:
        """Peak during the block above the resident memory before it (bytes)."""
        return max(0, self.peak - self.before)


@dataclass(frozen=True)
class _Job:
    """What a child process needs to measure one reader under one condition."""

    endpoint: str
    reader: Reader
    path: str
    names: tuple[str, ...]
    reference: str
    """A folder of ``.npy`` files, one per variable (`save_reference`)."""
    repeats: int
    slow_runs: int
    repeat_below: float
    tuned: bool


def save_reference(arrays: dict[str, np.ndarray], folder: Path) -> str:
    """Save the arrays every reader must return, for the child processes to compare with."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(NAMES):
        np.save(folder / f"{k}.npy", arrays[name])
    return str(folder)


def _measure(job: _Job) -> dict[str, Any]:
    """In a fresh child process: the reader's runs (see `run_one`), its peak memory during the
    first, and whether its arrays are the reference's."""
    allocator = keep_freed_memory() if job.tuned else ""
    s3 = S3Emulator.attach(job.endpoint)
    error = ""
    walls: list[float] = []
    cpus: list[float] = []
    got: dict[str, np.ndarray] = {}
    peak = PeakMemory()
    later_extra = 0  # the largest extra peak of the later runs (VmHWM only: see PeakMemory)
    output_bytes = 0
    stats: dict[str, Any] = {}
    while True:
        fs = s3.filesystem()
        fs.connect()  # a notebook has its file system already (see benchmarks.readers)
        got = {}  # the arrays of the run before are freed before the next one starts
        s3.reset()
        gc.collect()
        first = not walls
        again = (peak if first else PeakMemory()).__enter__()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            got = job.reader.read(s3, fs, job.path, job.names)
        except Exception as err:  # a failing reader is a result too
            error = f"{type(err).__name__}: {str(err)[:120]}"
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        again.__exit__()
        if first:
            output_bytes = sum(np.asarray(a).nbytes for a in got.values())
        elif again.method == "VmHWM":
            later_extra = max(later_extra, again.extra)
        stats = s3.stats()
        fast = walls[0] < job.repeat_below
        if error or len(walls) > (job.repeats if fast else job.slow_runs - 1):
            break
    if len(walls) > 1 and walls[0] < job.repeat_below:  # a fast reader: the first was a warm-up
        walls, cpus = walls[1:], cpus[1:]
    reference = {
        name: np.load(Path(job.reference) / f"{k}.npy", mmap_mode="r")
        for k, name in enumerate(job.names)
    }
    return {
        "walls": walls,
        "cpus": cpus,
        "stats": stats,
        "error": error,
        "identical": not error and _identical(got, reference),
        "rss_before": peak.before,
        "peak_rss": peak.peak,
        "later_extra_peak": later_extra,
        "memory_method": peak.method,
        "output_bytes": int(output_bytes),
        "allocator": allocator,
    }


def _child_context() -> Any:
    """Child processes forked from a server process that has imported the benchmark and the
    libraries once ('forkserver'): each starts clean (its own memory, threads and connections)
    in a few milliseconds. Where there is no forkserver, 'spawn'."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["benchmarks.run"])
        return ctx
    return multiprocessing.get_context("spawn")


def run_one(
    s3: S3Emulator,
    reader: Reader,
    path: str,
    reference: str,
    needs: Needs,
    layout: str,
    latency: float,
    bandwidth: float,
    cores: int,
    repeats: int = REPEATS,
    *,
    chunks: Sequence[tuple[int, int]] = (),
    slow_runs: int = REPEATS,
    repeat_below: float = REPEAT_BELOW,
    tuned: bool = False,
) -> Row:
    """Run `reader` under the given conditions, in a fresh child process, and measure it.

    A reader whose first run takes under `repeat_below` seconds has that run as a warm-up
    (the first run in a process pays for the first use of code paths, thread pools,
    connections and memory, up to 0.8 s here), then `repeats` timed runs; a slower one
    `slow_runs` timed runs, the first included. The median wall and CPU times are kept, and
    every wall time; the request counters and the round trips before the first chunk-data
    request (`round_trips_before_data` with `chunks`, the variables' (offset, size)) are those
    of the last run, the same every time. Before each run the arrays of the one before are
    freed. `reference` is a folder of `save_reference`.

    All the runs of one reader happen in one fresh child process, for the memory measurement:
    the peak resident memory is measured around the first read in it (`PeakMemory`), so no
    earlier read's peak, nor memory an earlier read freed and the allocator kept (which the
    read would reuse without growing), is mixed in. The later, timed runs happen in that same
    process after the warm-up, as they did in the benchmark process before; their largest
    extra peak is kept too (`Row.later_extra_peak`), which leaves out one-time costs of a first
    read (imports, tables loaded on first use) but may count low, by memory an earlier run
    freed and the allocator kept for the next one. The child process
    runs with glibc's defaults, unless `tuned` (`keep_freed_memory`).
    """
    s3.configure(latency, bandwidth)
    job = _Job(
        s3.endpoint, reader, path, tuple(NAMES), reference, repeats, slow_runs, repeat_below, tuned
    )
    try:
        with ProcessPoolExecutor(1, mp_context=_child_context()) as pool:
            out = pool.submit(_measure, job).result()
    except BrokenProcessPool as err:  # the child died (a crash in a library): a result too
        nan = float("nan")
        out = {"walls": [nan], "cpus": [nan], "stats": {}, "identical": False, "rss_before": 0}
        out |= {"peak_rss": 0, "later_extra_peak": 0, "output_bytes": 0, "allocator": ""}
        out["error"] = f"the child process died: {err}"[:160]
    stats = out["stats"]
    connections = max(1, int(stats.get("max_concurrent", 1)))
    return Row(
        layout=layout,
        latency_ms=latency * 1000,
        reader=reader.key,
        gets=int(stats.get("gets", 0)),
        bytes_moved=int(stats.get("bytes", 0)),
        bytes_needed=needs.bytes_needed,
        connections=connections,
        depth=needs.depth,
        wall=float(np.median(out["walls"])),
        cpu=float(np.median(out["cpus"])),
        floor=needs.floor(latency, connections, bandwidth, cores),
        floor_isal=needs.floor(latency, connections, bandwidth, cores, isal=True),
        emulator_cpu=float(stats.get("cpu_seconds", 0.0)),
        identical=bool(out["identical"]),
        error=out["error"],
        walls=[float(w) for w in out["walls"]],
        round_trips=round_trips_before_data(stats.get("requests", []), chunks),
        rss_before=int(out["rss_before"]),
        peak_rss=int(out["peak_rss"]),
        later_extra_peak=int(out["later_extra_peak"]),
        output_bytes=out["output_bytes"],
        allocator=out["allocator"],
    )


def run_benchmark(
    size: int,
    latencies_ms: Sequence[float] = (0.0, 30.0, 60.0),
    bandwidth: float = 50e6,
    layouts: Sequence[Layout] = ("v006", "v007"),
    readers: Sequence[str] | None = None,
    cache: Path | None = None,
    pairing: bool = True,
    command: str = "",
    log: Any = print,
    repeats: int = REPEATS,
    slow_runs: int = REPEATS,
    repeat_below: float = REPEAT_BELOW,
    tuned_allocator: bool = False,
) -> BenchmarkResult:
    """Generate (or reuse) the granules, run every reader under every condition, pair.

    Each reader runs in a plain process (glibc's defaults); with `tuned_allocator`, once more
    with `keep_freed_memory`'s settings (rows with ``allocator`` set). The granules are
    cached in `cache`, by default the ``benchmark`` folder of the sandbox's cache
    (``$EARTHDATA_SANDBOX_CACHE`` or ``~/.cache/earthdata-sandbox``)."""
    started = time.perf_counter()
    cores = os.cpu_count() or 1
    chosen = [r for r in READERS if readers is None or r.key in readers]
    if not h5coro_available():
        chosen = [r for r in chosen if r.key != "h5coro"]
    result = BenchmarkResult(
        command=command,
        size_bytes=size,
        bandwidth=bandwidth,
        latencies_ms=list(latencies_ms),
        cores=cores,
        machine=_machine(),
        versions=_versions(),
        readers={r.key: (r.label, r.how) for r in chosen},
        warmup=True,
        repeats=repeats,
        slow_runs=slow_runs,
        repeat_below=repeat_below,
        child_processes=True,
        tuned_allocator=_TUNED if tuned_allocator else "",
    )
    spec = GranuleSpec(target_bytes=size)
    root = Path(cache) if cache is not None else default_cache_dir() / "benchmark"
    paths: dict[str, str] = {}
    for layout in layouts:
        log(f"granule {layout}: generating or reusing ({size / 1e6:.0f} MB target)")
        local = cached_granule(root / BUCKET / PREFIX / layout, spec, layout)
        paths[layout] = local.relative_to(root).as_posix()
        needs = measure_needs(local, NAMES)
        result.needs[layout] = {**asdict(needs), "bytes_needed": needs.bytes_needed}
        result.needs[layout]["_obj"] = needs
        log(f"  {local.name}: {needs.file_bytes / 1e6:.0f} MB, {needs.chunks} chunks needed")
    allocators = (False, True) if tuned_allocator else (False,)
    with S3Emulator(root, Conditions(0.0, bandwidth)) as s3, tempfile.TemporaryDirectory() as tmp:
        result.emulator = measure_emulator(s3, paths[layouts[0]], bandwidth)
        log(f"emulator: {result.emulator}")
        for layout in layouts:
            needs = result.needs[layout].pop("_obj")
            reference = save_reference(
                reference_arrays(root / paths[layout], NAMES), Path(tmp) / layout
            )
            chunks = chunk_ranges(root / paths[layout], NAMES)
            for latency_ms in latencies_ms:
                for reader in chosen:
                    for tuned in allocators:
                        row = run_one(
                            s3,
                            reader,
                            paths[layout],
                            reference,
                            needs,
                            layout,
                            latency_ms / 1000,
                            bandwidth,
                            cores,
                            repeats,
                            chunks=chunks,
                            slow_runs=slow_runs,
                            repeat_below=repeat_below,
                            tuned=tuned,
                        )
                        result.rows.append(row)
                        result.memory_method = result.memory_method or _memory_method()
                        log(
                            f"  {layout} {latency_ms:>3.0f} ms {reader.key:<20}"
                            f"{' tuned' if tuned else ''} wall {row.wall:8.2f} s"
                            f" ({min(row.walls):.2f}-{max(row.walls):.2f})"
                            f"  GETs {row.gets:6d}  moved {row.bytes_moved / 1e6:8.1f} MB"
                            f"  floor {row.floor:6.2f} s  round trips {row.round_trips}"
                            f"  extra peak {row.extra_peak / 1e6:.0f} MB"
                            f"  identical {row.identical} {row.error}"
                        )
            gc.collect()
    if pairing:
        from benchmarks.pairing import run_pairing

        log("pairing")
        result.pairing = asdict(run_pairing())
        log(f"  {result.pairing}")
    result.machine["load_after"] = os.getloadavg()
    result.seconds = time.perf_counter() - started
    result.finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks run [options]`` or ``python -m benchmarks report``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    outputs = argparse.ArgumentParser(add_help=False)  # where both commands write
    outputs.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    outputs.add_argument("--plot", type=Path, default=ROOT / "book" / "_static" / "performance.png")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[outputs], help="run the benchmark and write the report")
    run.add_argument("--size", type=parse_size, default=parse_size("1.2GB"))
    run.add_argument("--latencies", default="0,30,60", help="milliseconds, comma-separated")
    run.add_argument("--bandwidth-mb", type=float, default=50.0, help="MB/s per connection")
    run.add_argument("--layouts", default="v006,v007")
    run.add_argument("--readers", default="", help="comma-separated keys (default all)")
    run.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="granule cache (default: benchmark/ in $EARTHDATA_SANDBOX_CACHE or "
        "~/.cache/earthdata-sandbox)",
    )
    run.add_argument("--no-pairing", action="store_true")
    run.add_argument("--repeats", type=int, default=REPEATS, help="timed runs of each reader")
    run.add_argument(
        "--slow-runs",
        type=int,
        default=REPEATS,
        help=f"timed runs of a reader whose first run takes {REPEAT_BELOW:.0f} s or more",
    )
    run.add_argument(
        "--tuned-allocator",
        action="store_true",
        help="also run every reader with glibc keeping the memory it frees (M_MMAP_MAX=0, "
        "M_TRIM_THRESHOLD=2 GiB): a second, labelled column",
    )
    report = sub.add_parser(
        "report",
        parents=[outputs],
        help="write the report again from the results of the last run (no measuring)",
    )
    report.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args(argv)
    if args.command == "report":
        write_report(load_results(args.results), args.out, args.plot)
        print(f"wrote {args.out} and {args.plot} from {args.results}")
        return 0

    command = "python -m benchmarks " + " ".join(
        sys.argv[1:] if argv is None else [str(a) for a in argv]
    )
    first_touch = first_touch_ms_per_mb()
    result = run_benchmark(
        size=args.size,
        latencies_ms=[float(x) for x in args.latencies.split(",") if x],
        bandwidth=args.bandwidth_mb * 1e6,
        layouts=[x for x in args.layouts.split(",") if x],  # type: ignore[misc]
        readers=[x for x in args.readers.split(",") if x] or None,
        cache=args.cache,
        pairing=not args.no_pairing,
        command=command,
        repeats=args.repeats,
        slow_runs=args.slow_runs,
        tuned_allocator=args.tuned_allocator,
    )
    result.machine["first_touch_ms_per_mb"] = first_touch
    write_report(result, args.out, args.plot)
    save_results(result, args.out.with_name("results.json"))
    print(f"wrote {args.out} and {args.plot}")
    return 0 if all(r.identical for r in result.rows) else 1
