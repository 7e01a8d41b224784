"""Tutorial 03's whole pipeline, step by step, against each step's floor (issue #19 item 5).

Run it under the Earthdata sandbox with an added latency per request::

    python -m sandbox run --port-base 0 --latency-ms 30 -- \\
        .venv/bin/python -m benchmarks.pipeline [--json pipeline.json]

The steps are notebook 03's, through `helpers` (nothing of the pairing rule is copied here):

- ``login``: ``earthaccess.login()``;
- ``search``: the newest ATL07 version (``earthaccess.search_datasets``), then the ATL07 and
  MODIS granules of notebook 03's box and day (``earthaccess.search_data``);
- ``read ATL07 (HTTPS)``: ``helpers.read_atl07_beam`` of beam gt1l on the file object
  ``earthaccess.open`` gives for the granule's HTTPS link (Earthdata Login token, the DAAC's
  redirect to the bucket);
- ``choose MODIS (S3)``: ``helpers.choose_modis`` with ``helpers.PAIRING_RULE``: each candidate,
  closest in time first, is read from S3 (``earthaccess.open``, h5py and
  ``helpers.read_chunked_many`` of lat, lon and quality_level) and measured with
  ``PAIRING_RULE.seen_fraction``, until one passes (as tutorial 04 does; notebook 03 screens
  every Day granule for its table first);
- ``read swath (S3)``: the chosen granule through ``earthaccess.open`` and ``xr.open_dataset``
  (h5netcdf, ``decode_cf=False``), ``helpers.decode_attrs_dataset`` and ``xr.decode_cf``, loaded;
- ``pair``: ``helpers.pair_nearest`` of every segment with the nearest pixel within
  ``PAIRING_RULE.radius_m``, twice as notebook 03 pairs: any pixel with a value
  (``PAIRING_RULE.seen``), and trustworthy SST pixels only (``PAIRING_RULE.trustworthy``).

The floor of a step is what no implementation of it can beat under the run's conditions::

    floor = dependent round trips x latency + bytes / bandwidth + CPU floor

- *dependent round trips*: the requests that must wait for one another, counting requests that
  can be in flight together once: login 1 (the token); search 2 (the collection's versions, then
  its granules; the MODIS search goes alongside); a remote HDF5 read 3 (a first read holding the
  superblock, the root and the objects, then the chunk index, then all the chunks at once) plus,
  over HTTPS, 1 for the DAAC's redirect to the bucket; choosing 1 (the S3 credentials) plus 3 per
  candidate read (the rule reads them one after another and stops at the winner); pairing 0.
- *bytes / bandwidth*: the sandbox adds latency but does not limit bandwidth (loopback), so the
  term is 0 here; the bytes' cost on this machine is in the CPU floor.
- *CPU floor*: for a read, the same `helpers` / xarray call on the same file's bytes already in
  memory (no network: inflating, decoding, building the arrays), best of three; for choosing, that
  plus ``seen_fraction`` for each candidate read; for pairing, the step itself, best of three (it
  is CPU only, so its ratio is about 1 by construction).

The target (issue #19) is wall <= 3 x the sum of the floors. ``main`` prints a table and writes
JSON (``--json``); ``run_pipeline`` returns the measurements and the pairing, for tests.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox.config import default_latency_ms  # reads $EARTHDATA_SANDBOX_LATENCY_MS

# Notebook 03's study box, day and beam.
BBOX = (-62.8, 81.7, -56.4, 83.0)
TEMPORAL = ("2019-06-22T00:00:00Z", "2019-06-22T23:59:59Z")
BEAM = "gt1l"
ATL07_VARIABLES = ["latitude", "longitude", "delta_time", "heights/height_segment_height"]
SCREEN_VARIABLES = ["lat", "lon", "quality_level"]
MODIS_VARIABLES = [
    "lat",
    "lon",
    "sea_surface_temperature",
    "quality_level",
    "l2p_flags",
    "sst_dtime",
]


@dataclass
class Step:
    """One timed step and its floor (seconds)."""

    name: str
    wall_s: float
    round_trips: int
    cpu_floor_s: float
    latency_s: float
    detail: str = ""

    @property
    def floor_s(self) -> float:
        """Dependent round trips x latency + CPU floor (bandwidth is not limited)."""
        return self.round_trips * self.latency_s + self.cpu_floor_s

    @property
    def ratio(self) -> float:
        """Wall time over the floor."""
        return self.wall_s / self.floor_s if self.floor_s > 0 else float("nan")


@dataclass
class PipelineResult:
    """The steps, and what the pipeline found."""

    latency_ms: float
    steps: list[Step]
    atl07: str
    modis: str
    screened: list[str]
    segments: int
    paired: int
    trusted: int = 0
    """Segments paired with a trustworthy SST pixel."""
    filesystems: dict[str, str] = field(default_factory=dict)
    """The fsspec file system each granule was read through (``HTTPFileSystem``, ...)."""
    pairing: Any = field(default=None, repr=False)
    """The `helpers.Pairing` of the ``pair`` step (any pixel with a value)."""
    is2: Any = field(default=None, repr=False)
    modis_swath: Any = field(default=None, repr=False)

    @property
    def wall_s(self) -> float:
        """All steps."""
        return sum(s.wall_s for s in self.steps)

    @property
    def floor_s(self) -> float:
        """Sum of the steps' floors."""
        return sum(s.floor_s for s in self.steps)

    def as_json(self) -> dict[str, Any]:
        """Everything but the arrays."""
        steps = [{**asdict(s), "floor_s": s.floor_s, "ratio": s.ratio} for s in self.steps]
        return {
            "latency_ms": self.latency_ms,
            "steps": steps,
            "wall_s": self.wall_s,
            "floor_s": self.floor_s,
            "ratio": self.wall_s / self.floor_s,
            "atl07": self.atl07,
            "modis": self.modis,
            "screened": self.screened,
            "segments": self.segments,
            "paired": self.paired,
            "trusted": self.trusted,
            "filesystems": self.filesystems,
        }


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def _best(call: Callable[[], Any], repeats: int) -> float:
    return min(_timed(call)[1] for _ in range(repeats))


def read_swath(source: Any) -> Any:
    """Notebook 03's read of the chosen swath: the variables it needs, attributes decoded."""
    import xarray as xr

    import helpers

    with xr.open_dataset(source, engine="h5netcdf", decode_cf=False) as raw:
        return xr.decode_cf(
            helpers.decode_attrs_dataset(raw[MODIS_VARIABLES]), decode_timedelta=True
        ).load()


def screen_arrays(source: Any) -> tuple[Any, Any, Any]:
    """Notebook 03's screening read: pixel lat, lon and quality_level (time axis dropped)."""
    import h5py

    import helpers

    with h5py.File(source, "r") as h5:
        lat, lon, quality = helpers.read_chunked_many([h5[n] for n in SCREEN_VARIABLES], source)
    return lat, lon, quality[0]


def pair(is2: Any, swath: Any) -> tuple[Any, Any]:
    """Every segment with the nearest pixel within the rule's radius, as notebook 03 pairs them:
    any pixel with a value (``PAIRING_RULE.seen``, its "unfiltered" pairing), and trustworthy SST
    pixels only (``PAIRING_RULE.trustworthy``)."""
    import helpers

    rule = helpers.PAIRING_RULE
    quality = swath.quality_level.squeeze("time").values
    flags = swath.l2p_flags.squeeze("time").values
    sst = swath.sea_surface_temperature.squeeze("time").values
    lons, lats = swath.lon.values, swath.lat.values
    return tuple(
        helpers.pair_nearest(
            lons,
            lats,
            sst,
            is2.longitude.values,
            is2.latitude.values,
            radius_m=rule.radius_m,
            valid=valid,
        )
        for valid in (rule.seen(quality), rule.trustworthy(quality, flags))
    )


def chunk_bytes(data: bytes, names: list[str]) -> int:
    """Stored (compressed) bytes of the chunks of datasets `names` in an HDF5 file's bytes."""
    import h5py

    total = 0
    with h5py.File(io.BytesIO(data), "r") as h5:
        for name in names:
            dataset = h5[name]
            if dataset.chunks is None:
                total += dataset.id.get_storage_size()
            else:
                sizes: list[int] = []
                dataset.id.chunk_iter(lambda info, sizes=sizes: sizes.append(info.size))
                total += sum(sizes)
    return total


def run_pipeline(latency_ms: float | None = None, repeats: int = 3) -> PipelineResult:
    """Run tutorial 03's steps once, timed, with their floors (see the module docstring).

    `latency_ms` is the latency the services add per request (default: the sandbox's
    ``EARTHDATA_SANDBOX_LATENCY_MS``, 0 when unset); `repeats`: runs of each CPU floor (the best
    is kept).
    """
    import earthaccess
    import numpy as np

    import helpers

    if latency_ms is None:
        latency_ms = default_latency_ms()
    latency = latency_ms / 1000
    rule = helpers.PAIRING_RULE
    helpers.retry_transient_errors()
    steps: list[Step] = []

    auth, wall = _timed(earthaccess.login)
    helpers.login_status(auth)  # raises with a clear message when the login failed
    steps.append(Step("login", wall, 1, 0.0, latency))

    def search() -> tuple[Any, Any]:
        versions = earthaccess.search_datasets(short_name="ATL07", provider="NSIDC_CPRD")
        atl07 = earthaccess.search_data(
            short_name="ATL07",
            version=max(c.version for c in versions),
            provider="NSIDC_CPRD",
            bounding_box=BBOX,
            temporal=TEMPORAL,
        )
        atl07.sort(key=lambda g: g["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"])
        modis = earthaccess.search_data(
            short_name="MODIS_A-JPL-L2P-v2019.0",
            provider="POCLOUD",
            bounding_box=BBOX,
            temporal=TEMPORAL,
        )
        return atl07, modis

    (atl07_results, modis_results), wall = _timed(search)
    steps.append(Step("search", wall, 2, 0.0, latency, f"{len(modis_results)} MODIS granules"))

    atl07_granule = atl07_results[0]  # the first pass of the day, as notebook 03
    url = atl07_granule.data_links(access="external")[0]

    filesystems: dict[str, str] = {}

    def read_atl07() -> Any:
        f = earthaccess.open([url], show_progress=False)[0]
        filesystems["atl07"] = type(f.fs).__name__
        try:  # the reader walks the metadata through 1 MiB blocks of its own, not f's cache
            return helpers.read_atl07_beam(f, BEAM, ATL07_VARIABLES)
        finally:
            f.close()

    is2, wall = _timed(read_atl07)
    atl07_bytes = _whole_file(earthaccess.open([url], show_progress=False)[0])
    cpu = _best(
        lambda: helpers.read_atl07_beam(io.BytesIO(atl07_bytes), BEAM, ATL07_VARIABLES), repeats
    )
    needed = chunk_bytes(atl07_bytes, [f"{BEAM}/sea_ice_segments/{v}" for v in ATL07_VARIABLES])
    detail = (
        f"{is2.sizes['segment']:,} segments; chunks {needed / 1e6:.1f} MB of a "
        f"{len(atl07_bytes) / 1e6:.0f} MB file"
    )
    steps.append(Step("read ATL07 (HTTPS)", wall, 4, cpu, latency, detail))

    in_box = (
        (is2.longitude >= BBOX[0])
        & (is2.longitude <= BBOX[2])
        & (is2.latitude >= BBOX[1])
        & (is2.latitude <= BBOX[3])
    ).values
    box_lon, box_lat = is2.longitude.values[in_box], is2.latitude.values[in_box]
    box_time = is2.time.values[in_box]
    overpass = box_time[len(box_time) // 2]  # the middle of the pass over the box (notebook 03)

    seen_cpu: list[float] = []

    def seen_fraction(granule: Any) -> float:
        f = earthaccess.open([granule], show_progress=False)[0]
        try:
            lat, lon, quality = screen_arrays(f)
        except OSError:  # an unreadable file: NaN, never chosen
            return float("nan")
        finally:
            f.close()
        fraction, seconds = _timed(lambda: rule.seen_fraction(lon, lat, quality, box_lon, box_lat))
        seen_cpu.append(seconds)
        return fraction

    choice, wall = _timed(lambda: helpers.choose_modis(modis_results, overpass, seen_fraction))
    if choice.granule is None:
        raise RuntimeError(f"no MODIS granule chosen: {choice.status}")
    screened = [helpers.granule_name(g) for g, _, _ in choice.screened]
    read_cpu = 0.0
    for granule, _, seen in choice.screened:
        if np.isnan(seen):
            continue
        data = _whole_file(earthaccess.open([granule], show_progress=False)[0])
        read_cpu += _best(lambda d=data: screen_arrays(io.BytesIO(d)), repeats)
    steps.append(
        Step(
            "choose MODIS (S3)",
            wall,
            1 + 3 * len(choice.screened),
            read_cpu + sum(seen_cpu),
            latency,
            f"{len(screened)} candidate(s) read",
        )
    )

    def read_chosen() -> Any:
        f = earthaccess.open([choice.granule], show_progress=False)[0]
        filesystems["modis"] = type(f.fs).__name__
        try:
            return read_swath(f)
        finally:
            f.close()

    swath, wall = _timed(read_chosen)
    modis_bytes = _whole_file(earthaccess.open([choice.granule], show_progress=False)[0])
    cpu = _best(lambda: read_swath(io.BytesIO(modis_bytes)), repeats)
    steps.append(Step("read swath (S3)", wall, 3, cpu, latency, f"{swath.lat.size:,} pixels"))

    (pairing, trusted), wall = _timed(lambda: pair(is2, swath))
    cpu = min(wall, _best(lambda: pair(is2, swath), repeats))
    detail = f"{pairing.count:,} segments paired ({trusted.count:,} with a trustworthy SST)"
    steps.append(Step("pair", wall, 0, cpu, latency, detail))

    return PipelineResult(
        latency_ms=latency_ms,
        steps=steps,
        atl07=helpers.granule_name(atl07_granule),
        modis=helpers.granule_name(choice.granule),
        screened=screened,
        segments=int(is2.sizes["segment"]),
        paired=pairing.count,
        trusted=trusted.count,
        filesystems=filesystems,
        pairing=pairing,
        is2=is2,
        modis_swath=swath,
    )


def _whole_file(f: Any) -> bytes:
    """All of a remote file's bytes (not timed: for the CPU floor), closing it."""
    try:
        f.seek(0)
        return f.fs.cat_file(f.path) if hasattr(f, "fs") and hasattr(f, "path") else f.read()
    finally:
        f.close()


def table(result: PipelineResult) -> str:
    """A Markdown table of the steps."""
    lines = [
        "| step | wall (s) | round trips | CPU floor (s) | floor (s) | wall / floor | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in result.steps:
        lines.append(
            f"| {s.name} | {s.wall_s:.2f} | {s.round_trips} | {s.cpu_floor_s:.2f} | "
            f"{s.floor_s:.2f} | {s.ratio:.1f} | {s.detail} |"
        )
    lines.append(
        f"| **whole pipeline** | **{result.wall_s:.2f}** | | | **{result.floor_s:.2f}** | "
        f"**{result.wall_s / result.floor_s:.1f}** | target <= 3 |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the pipeline once; print the table; write JSON with ``--json PATH``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        help="latency the services add (default $EARTHDATA_SANDBOX_LATENCY_MS, set by the sandbox)",
    )
    args = parser.parse_args(argv)
    result = run_pipeline(args.latency_ms)
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    print(
        f"Tutorial 03 pipeline at {result.latency_ms:g} ms per request: ATL07 {result.atl07}, "
        f"MODIS {result.modis} (screened: {', '.join(result.screened)}); {result.paired:,} of "
        f"{result.segments:,} segments paired. Load average {load}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}."
    )
    print(table(result))
    if args.json is not None:
        payload = {**result.as_json(), "load_average": load, "date": time.strftime("%Y-%m-%d")}
        args.json.write_text(json.dumps(payload, indent=1) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
