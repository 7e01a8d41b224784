"""Run the whole benchmark: granules, S3 emulator, readers at each latency, pairing, report.

    .venv/bin/python -m benchmarks run            # 1.2 GB granules, 0/30/60 ms, ~50 MB/s
    .venv/bin/python -m benchmarks run --size 20MB --latencies 30 --out /tmp/r.md   # quick
    .venv/bin/python -m benchmarks report         # the report again from results.json

Writes ``benchmarks/RESULTS.md`` (machine, versions, command, tables), ``benchmarks/results.json``
and the plot ``book/_static/performance.png``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import http.client
import os
import platform
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.granule import GranuleSpec, Layout, cached_granule
from benchmarks.layout import Needs, measure_needs, reference_arrays
from benchmarks.readers import READERS, Reader, h5coro_available
from benchmarks.report import write_report
from benchmarks.results import NAMES, BenchmarkResult, Row, load_results, save_results
from benchmarks.s3server import Conditions, S3Emulator
from sandbox.config import default_cache_dir

__all__ = ["main", "run_benchmark"]

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "nsidc-cumulus-prod-protected"
PREFIX = "ATLAS/ATL03"
REPEATS = 3
REPEAT_BELOW = 15.0
"""Readers faster than this (seconds) run `REPEATS` times; the median is reported."""


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
    return "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB"


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


def run_one(
    s3: S3Emulator,
    reader: Reader,
    path: str,
    reference: dict[str, np.ndarray],
    needs: Needs,
    layout: str,
    latency: float,
    bandwidth: float,
    cores: int,
    repeats: int = REPEATS,
) -> Row:
    """Run `reader` under the given conditions and measure it.

    A reader that takes under `REPEAT_BELOW` seconds runs once more to warm up, then `REPEATS`
    times, and the median wall and CPU times of those are kept (the machine is shared: one
    sample of a second-long read is noise; and the first run in a process also pays for the
    first use of code paths, thread pools, connections and memory, up to 0.8 s here); the
    request counters are those of the last run, which are the same every time. A slower reader
    runs once.
    """
    s3.configure(latency, bandwidth)
    error = ""
    got: dict[str, np.ndarray] = {}
    walls: list[float] = []
    cpus: list[float] = []
    while True:
        fs = s3.filesystem()
        fs.connect()  # a notebook has its file system already (see benchmarks.readers)
        s3.reset()
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            got = reader.read(s3, fs, path, NAMES)
        except Exception as err:  # a failing reader is a result too
            error = f"{type(err).__name__}: {str(err)[:120]}"
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if error or walls[0] >= REPEAT_BELOW or len(walls) > repeats:
            break
    if len(walls) > 1:  # a fast reader: the first run was the warm-up
        walls, cpus = walls[1:], cpus[1:]
    wall, cpu = float(np.median(walls)), float(np.median(cpus))
    stats = s3.stats()
    connections = max(1, int(stats["max_concurrent"]))
    return Row(
        layout=layout,
        latency_ms=latency * 1000,
        reader=reader.key,
        gets=int(stats["gets"]),
        bytes_moved=int(stats["bytes"]),
        bytes_needed=needs.bytes_needed,
        connections=connections,
        depth=needs.depth,
        wall=wall,
        cpu=cpu,
        floor=needs.floor(latency, connections, bandwidth, cores),
        floor_isal=needs.floor(latency, connections, bandwidth, cores, isal=True),
        emulator_cpu=float(stats.get("cpu_seconds", 0.0)),
        identical=not error and _identical(got, reference),
        error=error,
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
) -> BenchmarkResult:
    """Generate (or reuse) the granules, run every reader under every condition, pair.

    The granules are cached in `cache`, by default the ``benchmark`` folder of the sandbox's
    cache (``$EARTHDATA_SANDBOX_CACHE`` or ``~/.cache/earthdata-sandbox``)."""
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
    with S3Emulator(root, Conditions(0.0, bandwidth)) as s3:
        result.emulator = measure_emulator(s3, paths[layouts[0]], bandwidth)
        log(f"emulator: {result.emulator}")
        for layout in layouts:
            needs = result.needs[layout].pop("_obj")
            reference = reference_arrays(root / paths[layout], NAMES)
            for latency_ms in latencies_ms:
                for reader in chosen:
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
                    )
                    result.rows.append(row)
                    log(
                        f"  {layout} {latency_ms:>3.0f} ms {reader.key:<20} wall {row.wall:8.2f} s"
                        f"  GETs {row.gets:6d}  moved {row.bytes_moved / 1e6:8.1f} MB"
                        f"  floor {row.floor:6.2f} s  identical {row.identical} {row.error}"
                    )
            del reference
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
    allocator = keep_freed_memory()
    result = run_benchmark(
        size=args.size,
        latencies_ms=[float(x) for x in args.latencies.split(",") if x],
        bandwidth=args.bandwidth_mb * 1e6,
        layouts=[x for x in args.layouts.split(",") if x],  # type: ignore[misc]
        readers=[x for x in args.readers.split(",") if x] or None,
        cache=args.cache,
        pairing=not args.no_pairing,
        command=command,
    )
    result.machine["allocator"] = allocator
    result.machine["first_touch_ms_per_mb"] = first_touch
    write_report(result, args.out, args.plot)
    save_results(result, args.out.with_name("results.json"))
    print(f"wrote {args.out} and {args.plot}")
    return 0 if all(r.identical for r in result.rows) else 1
