"""The HTTPS condition (issue #19 item 4): a granule read as from a laptop, out of us-west-2.

    .venv/bin/python -m benchmarks.https_run --cache /tmp/chunks-bench            # 1.2 GB v007
    .venv/bin/python -m benchmarks.https_run --size 20MB --layouts v007 --slow-runs 1

The granule is served by `benchmarks.https_server` (TLS with a private CA, the DAAC's Bearer
token check and ``303`` to a presigned S3 URL, then S3; 80 ms per request and 20 MB/s per
connection by default). Each reader runs in a fresh child process in which the emulated host
names resolve to the emulator (`sandbox.resolver`), every other connection or lookup is refused
(`sandbox.guard`), and ``SSL_CERT_FILE`` names the private CA: the client is the one
``earthaccess.open`` uses out of region, made by earthaccess's own code (``Store.
get_fsspec_session``: fsspec HTTPS, ``Authorization: Bearer``, ``trust_env=False``; then
``earthaccess.store._open_files``: ``cache_type="background"``, 4/8/16 MiB blocks by size).
The readers (`HTTPS_READERS`) on that file object:

* ``notebooks``: ``helpers.read_atl03_beam(f, "gt1l", variables)`` (what notebook 02 does);
* ``earthaccess``: h5py on the same file object, the same variables (earthaccess's defaults).

Each run opens the granule anew in a new file system (new connections), as a first read in a
notebook does; the clock runs from ``earthaccess.open`` to the arrays. Prints a Markdown section
(also written with ``--out``) and the rows as JSON (``--json``).

floor = 2 x dependent rounds x latency (each request goes to the DAAC, then to S3)
        + bytes needed / (connections x bandwidth) + zlib inflate time / cores,
with the rounds, bytes and inflate time of `benchmarks.layout.measure_needs`.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.granule import GranuleSpec, cached_granule
from benchmarks.https_server import DAAC_HOST, HttpsEmulator, s3_host
from benchmarks.layout import (
    chunk_ranges,
    first_data_request,
    measure_needs,
    reference_arrays,
    round_trips_before_data,
)
from benchmarks.results import BUCKET, NAMES, PREFIX
from benchmarks.s3server import Conditions

__all__ = ["HTTPS_READERS", "HttpsRow", "main", "run_https"]


def earthaccess_https_filesystem(token: str) -> Any:
    """The fsspec HTTPS file system ``earthaccess.open`` uses out of region, made by
    earthaccess's own ``Store.get_fsspec_session`` (a new instance: no cached one)."""
    import earthaccess
    import fsspec

    fsspec.get_filesystem_class("https").clear_instance_cache()
    store = object.__new__(earthaccess.Store)  # no login, no region check: no network
    store.auth = type("Auth", (), {"token": {"access_token": token}})()
    return store.get_fsspec_session()


def earthaccess_open(fs: Any, url: str, block_size: int = 0) -> Any:
    """``earthaccess.open``'s file object for `url` on `fs` (its ``_open_files``: background
    block cache, 4/8/16 MiB blocks by size, or `block_size` as ``open_kwargs``)."""
    from earthaccess.store import _open_files

    kwargs = {"n_jobs": 1, "disable": True, "exception_behaviour": "immediate"}
    open_kwargs = {"block_size": block_size} if block_size else None
    return _open_files({url: None}, fs, pqdm_kwargs=kwargs, open_kwargs=open_kwargs)[0]


def read_notebooks(f: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    """What notebook 02 does: ``helpers.read_atl03_beam`` on the file object."""
    import helpers

    variables = [n.rsplit("/", 1)[-1] for n in names]
    ds = helpers.read_atl03_beam(f, "gt1l", variables)
    return {n: ds[v].values for n, v in zip(names, variables, strict=True)}


def read_h5py(f: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    """earthaccess's defaults: h5py reads the variables through the file object."""
    import h5py

    with h5py.File(f, "r") as h5:
        return {n: h5[n][...] for n in names}


HTTPS_READERS: dict[str, tuple[str, Callable[[Any, Sequence[str]], dict[str, np.ndarray]], int]] = {
    "notebooks": ("helpers.read_atl03_beam on earthaccess.open's file", read_notebooks, 0),
    "earthaccess": ("h5py on earthaccess.open's file (its defaults)", read_h5py, 0),
    "notebooks-1mib": (
        "diagnostic: helpers.read_atl03_beam on earthaccess.open(open_kwargs={'block_size': "
        "2**20})'s file",
        read_notebooks,
        2**20,
    ),
}
"""key: (what it is, read(file, names), the block size given to earthaccess.open or 0 for
its default)."""


@dataclass
class HttpsRow:
    """One reader on one granule over HTTPS."""

    layout: str
    reader: str
    walls: list[float]
    cpus: list[float]
    redirects: int
    gets: int
    heads: int
    bytes_moved: int
    bytes_needed: int
    connections: int
    round_trips: int | None
    first_data_at: float | None
    """When the first S3 GET for chunk data started (seconds after the start; its 303 came
    one round trip before)."""
    last_byte_at: float
    """When the last byte of the last answer left the emulator."""
    floor: float
    floor_isal: float
    """The floor with ISA-L's inflate time (what helpers.chunks inflates with) for zlib's."""
    emulator_cpu: float
    extra_peak: int
    output_bytes: int
    identical: bool
    error: str = ""
    requests: list[list[Any]] = field(default_factory=list, repr=False)

    @property
    def wall(self) -> float:
        return float(np.median(self.walls))

    @property
    def wall_over_floor(self) -> float:
        return self.wall / self.floor if self.floor else float("nan")


@dataclass(frozen=True)
class _Job:
    endpoint: str
    ca: str
    token: str
    url: str
    reader: str
    runs: int
    reference: str


def _child_setup(endpoint: str, ca: str) -> None:
    """In the child, before anything: only loopback; the emulated names resolve to the
    emulator; the private CA is the one trusted (``SSL_CERT_FILE``, which aiohttp reads when it
    is imported, so it must not be imported yet)."""
    from sandbox import guard, resolver

    if "aiohttp" in sys.modules:
        raise RuntimeError("aiohttp was imported before SSL_CERT_FILE could be set")
    os.environ["SSL_CERT_FILE"] = ca
    guard.install()
    port = int(endpoint.rsplit(":", 1)[1])
    hosts = [DAAC_HOST, s3_host(BUCKET)]
    resolver.install(hosts, ("127.0.0.1", port), ("127.0.0.1", port))


def _measure(job: _Job) -> dict[str, Any]:
    """In a fresh child process: `job.runs` timed runs of the reader, peak memory of the first."""
    from benchmarks.run import PeakMemory, _identical

    https = HttpsEmulator.attach(job.endpoint, ca=Path(job.ca))
    _, read, block_size = HTTPS_READERS[job.reader]
    walls, cpus, stats, got = [], [], {}, {}
    error, extra, output = "", 0, 0
    for run in range(job.runs):
        fs = earthaccess_https_filesystem(job.token)
        got = {}
        gc.collect()
        https.reset()  # the request log's times count from here, about when the clock starts
        with PeakMemory() as peak:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                f = earthaccess_open(fs, job.url, block_size)  # an EarthAccessFile: no ``with``
                try:
                    got = read(f, NAMES)
                finally:
                    f.close()
            except Exception as err:  # a failing reader is a result too
                error = f"{type(err).__name__}: {str(err)[:160]}"
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        stats = https.stats()
        if run == 0:
            extra, output = peak.extra, sum(np.asarray(a).nbytes for a in got.values())
        if error:
            break
    reference = {
        n: np.load(Path(job.reference) / f"{k}.npy", mmap_mode="r") for k, n in enumerate(NAMES)
    }
    identical = not error and _identical(got, reference)
    return {"walls": walls, "cpus": cpus, "stats": stats, "error": error, "extra": extra}, {
        "output": output,
        "identical": identical,
    }


def emulator_cost(
    job: _Job, latency: float, bandwidth: float, megabytes: int = 64, requests: int = 100
) -> dict[str, float]:
    """In a child set up by `_child_setup`: the emulator's own CPU, unpaced and without
    latency, through earthaccess's client on warm connections: per MB of one ranged GET of
    `megabytes` MiB (read, encrypted, sent), and per request of `requests` one-byte reads
    (a 303 and a GET each); with the client's MB/s on that one connection and its CPU per MB
    (aiohttp's TLS and HTTP, fsspec)."""
    https = HttpsEmulator.attach(job.endpoint, ca=Path(job.ca))
    fs = earthaccess_https_filesystem(job.token)
    https.configure(0.0, 0.0)
    try:
        fs.cat_file(job.url, start=0, end=1)  # the connections are made
        https.reset()
        size = min(megabytes * 2**20, fs.size(job.url))
        t0, c0 = time.perf_counter(), time.process_time()
        fs.cat_file(job.url, start=0, end=size)
        wall, client = time.perf_counter() - t0, time.process_time() - c0
        streamed = https.stats()["cpu_seconds"]
        https.reset()
        for i in range(requests):
            fs.cat_file(job.url, start=i, end=i + 1)
        per_request = https.stats()["cpu_seconds"] / requests
    finally:
        https.configure(latency, bandwidth)
    return {
        "cpu_ms_per_mb": 1000 * streamed / (size / 1e6),
        "client_cpu_ms_per_mb": 1000 * client / (size / 1e6),
        "cpu_ms_per_request": 1000 * per_request,
        "one_connection_mb_s": size / 1e6 / wall,
    }


def run_https(
    size: int,
    layouts: Sequence[str] = ("v007",),
    readers: Sequence[str] = ("notebooks", "earthaccess"),
    cache: Path | None = None,
    latency: float = 0.080,
    bandwidth: float = 20e6,
    fast_runs: int = 3,
    slow_runs: int = 1,
    log: Callable[[str], None] = print,
    cost: dict[str, float] | None = None,
) -> list[HttpsRow]:
    """Serve the granules over the emulated HTTPS path and measure each reader on each.

    Each reader runs in a fresh child process: a first run (its peak memory is reported); if it
    took under 30 s it was a warm-up, and `fast_runs` timed runs follow in the same process,
    else `slow_runs` runs in all, the first included. Counters are those of the last run.
    With a dict as `cost`, `emulator_cost` on the first granule is put in it."""
    from benchmarks.run import save_reference
    from sandbox.config import default_cache_dir

    root = Path(cache) if cache is not None else default_cache_dir() / "benchmark"
    token = secrets.token_urlsafe(24)  # what "Earthdata Login" issued, for this run only
    cores = os.cpu_count() or 1
    rows: list[HttpsRow] = []
    with (
        HttpsEmulator(root, Conditions(latency, bandwidth), token=token) as https,
        tempfile.TemporaryDirectory() as tmp,
    ):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: see _child_setup
        setup = (https.endpoint, str(https.ca))
        for layout in layouts:
            local = cached_granule(root / BUCKET / PREFIX / layout, GranuleSpec(size), layout)
            key = local.relative_to(root).as_posix()
            url = f"https://{DAAC_HOST}/{key}"
            needs = measure_needs(local, NAMES)
            chunks = chunk_ranges(local, NAMES)
            reference = save_reference(reference_arrays(local, NAMES), Path(tmp) / layout)
            log(f"{layout}: {local.name}, {needs.file_bytes / 1e6:.0f} MB; {url}")
            if cost is not None and not cost:
                job = _Job(https.endpoint, str(https.ca), token, url, "", 0, reference)
                with ProcessPoolExecutor(
                    1, mp_context=context, initializer=_child_setup, initargs=setup
                ) as pool:
                    cost.update(pool.submit(emulator_cost, job, latency, bandwidth).result())
                log(f"  emulator: {cost}")
            for reader in readers:
                job = _Job(https.endpoint, str(https.ca), token, url, reader, 1, reference)
                with ProcessPoolExecutor(
                    1, mp_context=context, initializer=_child_setup, initargs=setup
                ) as pool:
                    out, more = pool.submit(_measure, job).result()  # its peak memory is kept
                    fast = out["walls"][0] < 30
                    more_runs = fast_runs if fast else slow_runs - 1
                    if more_runs > 0 and not out["error"]:
                        job = _Job(**{**asdict(job), "runs": more_runs})
                        again, more = pool.submit(_measure, job).result()
                        if fast:  # the first run was a warm-up
                            out["walls"], out["cpus"] = again["walls"], again["cpus"]
                        else:
                            out["walls"] += again["walls"]
                            out["cpus"] += again["cpus"]
                        out["stats"], out["error"] = again["stats"], again["error"]
                stats = out["stats"]
                requests = stats.get("requests", [])
                connections = max(1, int(stats.get("max_concurrent", 1)))
                floor = needs.floor(latency, connections, bandwidth, cores) + needs.depth * latency
                floor_isal = floor - needs.floor(0, connections, 0, cores)
                floor_isal += needs.floor(0, connections, 0, cores, isal=True)
                row = HttpsRow(
                    layout=layout,
                    reader=reader,
                    walls=out["walls"],
                    cpus=out["cpus"],
                    redirects=sum(1 for r in requests if r[0] == "REDIRECT"),
                    gets=int(stats.get("gets", 0)),
                    heads=int(stats.get("heads", 0)),
                    bytes_moved=int(stats.get("bytes", 0)),
                    bytes_needed=needs.bytes_needed,
                    connections=connections,
                    round_trips=round_trips_before_data(requests, chunks),
                    first_data_at=first_data_request(requests, chunks),
                    last_byte_at=max((float(r[2]) for r in requests), default=0.0),
                    floor=floor,
                    floor_isal=floor_isal,
                    emulator_cpu=float(stats.get("cpu_seconds", 0.0)),
                    extra_peak=int(out["extra"]),
                    output_bytes=int(more["output"]),
                    identical=bool(more["identical"]),
                    error=out["error"],
                    requests=requests,
                )
                rows.append(row)
                log(
                    f"  {reader:<12} wall {row.wall:7.2f} s {[round(w, 2) for w in row.walls]}"
                    f"  303s {row.redirects}  GETs {row.gets}  HEADs {row.heads}"
                    f"  moved {row.bytes_moved / 1e6:.1f} MB  conns {row.connections}"
                    f"  round trips {row.round_trips}  floor {row.floor:.2f} s"
                    f"  emulator CPU {row.emulator_cpu:.2f} s  identical {row.identical}"
                    f" {row.error}"
                )
    return rows


def render(rows: Sequence[HttpsRow], latency: float, bandwidth: float) -> str:
    """The Markdown table of `rows`, with the ratio earthaccess / notebooks per layout.

    The times "at" are seconds after the start of the last run, from the emulator's log: when
    the first S3 GET for chunk data started (`first_data_request`), when the last byte of the
    last answer left, and the run's wall time after that (the reader's work once everything
    has come)."""
    lines = [
        "| layout | reader | wall s (median; runs) | floor s, zlib / ISA-L | wall/floor, zlib / "
        "ISA-L | round trips before data | first chunk GET at s | last byte at s | after "
        "it s | requests: 303s + S3 GETs + HEADs | MB moved | connections | CPU s | emulator "
        "CPU s (ms/MB) | extra peak MB | identical |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_mb = 1000 * r.emulator_cpu / (r.bytes_moved / 1e6) if r.bytes_moved else float("nan")
        first = "-" if r.first_data_at is None else f"{r.first_data_at:.2f}"
        lines.append(
            f"| {r.layout} | {r.reader} | {r.wall:.2f} ({', '.join(f'{w:.2f}' for w in r.walls)})"
            f" | {r.floor:.2f} / {r.floor_isal:.2f} | {r.wall_over_floor:.1f} / "
            f"{r.wall / r.floor_isal:.1f} | {r.round_trips} | {first} | {r.last_byte_at:.2f} | "
            f"{r.walls[-1] - r.last_byte_at:.2f} | {r.redirects} + {r.gets} + {r.heads} | "
            f"{r.bytes_moved / 1e6:.1f} | {r.connections} | {np.median(r.cpus):.2f} | "
            f"{r.emulator_cpu:.2f} ({per_mb:.1f}) | {r.extra_peak / 1e6:.0f} | "
            f"{r.identical}{' ' + r.error if r.error else ''} |"
        )
    by = {(r.layout, r.reader): r for r in rows}
    for layout in dict.fromkeys(r.layout for r in rows):
        fast, slow = by.get((layout, "notebooks")), by.get((layout, "earthaccess"))
        if fast and slow and fast.wall:
            lines.append("")
            lines.append(
                f"{layout}: earthaccess's defaults / the notebooks' reader = "
                f"{slow.wall:.1f} / {fast.wall:.2f} = **{slow.wall / fast.wall:.1f}x** "
                f"(at {latency * 1000:.0f} ms, {bandwidth / 1e6:.0f} MB/s per connection)"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.https_run [options]``."""
    from benchmarks.run import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("1.2GB"))
    parser.add_argument("--layouts", default="v007")
    parser.add_argument("--readers", default="notebooks,earthaccess")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--bandwidth-mb", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of a fast reader")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of a reader over 30 s")
    parser.add_argument("--out", type=Path, default=None, help="write the table here too")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    unknown = set(args.readers.split(",")) - set(HTTPS_READERS)
    if unknown:
        parser.error(f"unknown readers {sorted(unknown)}; known: {sorted(HTTPS_READERS)}")
    latency, bandwidth = args.latency_ms / 1000, args.bandwidth_mb * 1e6
    load = os.getloadavg()
    cost: dict[str, float] = {}
    rows = run_https(
        args.size,
        [x for x in args.layouts.split(",") if x],
        [x for x in args.readers.split(",") if x],
        args.cache,
        latency,
        bandwidth,
        args.runs,
        args.slow_runs,
        cost=cost,
    )
    command = "python -m benchmarks.https_run " + " ".join(
        sys.argv[1:] if argv is None else list(argv)
    )
    text = f"`{command}`; load {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after.\n\n"
    text += render(rows, latency, bandwidth)
    text += (
        f"\nThe emulator's own CPU (unpaced, no latency, warm connections): "
        f"{cost['cpu_ms_per_mb']:.2f} ms per MB sent through TLS on one connection, "
        f"{cost['cpu_ms_per_request']:.2f} ms per 303 + GET pair; one connection carries "
        f"{cost['one_connection_mb_s']:.0f} MB/s to the client, whose CPU (earthaccess's "
        f"fsspec HTTPS client: TLS, HTTP) is {cost['client_cpu_ms_per_mb']:.2f} ms per MB.\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0 if all(r.identical for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
