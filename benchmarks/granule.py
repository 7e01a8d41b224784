"""A deterministic ATL03-like granule of any size, in the two layouts that matter for S3 reads.

``v006``: the producer's layout. Photon variables chunked ``(10000,)`` with gzip level 6, created
empty and extended block by block in time order for all six beams, so one variable's chunks (and
its chunk-index B-tree nodes) are interleaved with every other variable's across the whole file;
dimension scales attached at the end (object-header continuations at the end of the file).

``v007``: NSIDC's cloud-optimized repack. The same values, paged aggregation with 8 MiB file-space
pages (``fs_strategy="page"``, ``fs_page_size``) and ``(100000,)`` photon chunks, each variable
written whole.

This follows the conventions of the sandbox's writer (``sandbox/granules/atl03.py`` and
``h5util.py``: library bounds ``("earliest", "v110")``, no timestamps, no chunk cache so chunks land
in write order, fixed-length ``bytes`` attributes) but generates values block by block with cheap
arithmetic instead of simulating photon physics, so that a 1 GB file takes about a minute. The
values are plausible (a surface with noise, background photons over a 350 m window, geolocation
along a descending track) and compress like the real ones: about 35 KB per f4 chunk and
45-55 KB per f8 chunk.

Examples
--------
>>> import tempfile, pathlib, shutil, h5py
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> spec = GranuleSpec(target_bytes=2_000_000)
>>> path = write_granule(d / "a.h5", spec, "v006")
>>> with h5py.File(path) as f:
...     f["gt1l/heights/h_ph"].chunks, f["gt1l/heights/h_ph"].compression
((10000,), 'gzip')
>>> shutil.rmtree(d)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

__all__ = [
    "BEAMS",
    "GENERATOR_VERSION",
    "PHOTON_VARIABLES",
    "GranuleSpec",
    "Layout",
    "cached_granule",
    "write_granule",
]

GENERATOR_VERSION = 1
"""Bump when the bytes written change (part of the cache key)."""

Layout = Literal["v006", "v007"]

LIBVER = ("earliest", "v110")
PAGE_SIZE = 8 * 1024 * 1024
CHUNK = {"v006": 10_000, "v007": 100_000}
SEGMENT_CHUNK = 10_000
SHOT_RATE_HZ = 10_000.0
GROUND_SPEED_M_S = 7_000.0
ATLAS_SDP_GPS_EPOCH = 1198800018.0
T0 = 24_842_637.696
"""delta_time of the first shot (2018-10-15T12:43:57.696Z, the tutorial's Juneau pass)."""

#: (name, strong) in file order; sc_orient 0 (backward): the left beams are strong.
BEAMS: tuple[tuple[str, bool], ...] = (
    ("gt1l", True),
    ("gt1r", False),
    ("gt2l", True),
    ("gt2r", False),
    ("gt3l", True),
    ("gt3r", False),
)
ACROSS_M = {
    "gt1l": -3300.0,
    "gt1r": -3210.0,
    "gt2l": -45.0,
    "gt2r": 45.0,
    "gt3l": 3210.0,
    "gt3r": 3300.0,
}
PHOTONS_PER_SHOT = {True: 6.0, False: 1.5}
COMPRESSED_BYTES_PER_PHOTON = 26.0
"""Measured on this generator (all 13 photon variables): sizes the track to the target bytes."""

#: Photon variables of /gtXX/heights: dtype, trailing shape, a few of the real attributes.
PHOTON_VARIABLES: dict[str, tuple[str, tuple[int, ...], dict[str, str]]] = {
    "delta_time": (
        "f8",
        (),
        {
            "long_name": "Elapsed GPS seconds",
            "units": "seconds since 2018-01-01",
            "standard_name": "time",
        },
    ),
    "lat_ph": (
        "f8",
        (),
        {"long_name": "Latitude", "units": "degrees_north", "standard_name": "latitude"},
    ),
    "lon_ph": (
        "f8",
        (),
        {"long_name": "Longitude", "units": "degrees_east", "standard_name": "longitude"},
    ),
    "h_ph": (
        "f4",
        (),
        {"long_name": "Photon WGS84 Height", "units": "meters", "standard_name": "height"},
    ),
    "dist_ph_along": (
        "f4",
        (),
        {"long_name": "Distance from equator crossing.", "units": "meters"},
    ),
    "dist_ph_across": ("f4", (), {"long_name": "Distance off RGT.", "units": "meters"}),
    "signal_conf_ph": ("i1", (5,), {"long_name": "Photon Signal Confidence", "units": "1"}),
    "quality_ph": ("i1", (), {"long_name": "Photon Quality", "units": "1"}),
    "weight_ph": ("u1", (), {"long_name": "Photon weight", "units": "1"}),
    "pce_mframe_cnt": ("u4", (), {"long_name": "PCE Major frame counter", "units": "counts"}),
    "ph_id_channel": ("u1", (), {"long_name": "Receive channel id", "units": "1"}),
    "ph_id_count": ("u1", (), {"long_name": "photon event counter", "units": "counts"}),
    "ph_id_pulse": ("u1", (), {"long_name": "laser pulse counter", "units": "counts"}),
}
SEGMENT_GROUPS: dict[str, tuple[float, tuple[str, ...]]] = {
    # group: (rows per second, float variables besides delta_time)
    "geolocation": (
        GROUND_SPEED_M_S / 20.0,
        (
            "segment_dist_x",
            "segment_length",
            "reference_photon_lat",
            "reference_photon_lon",
            "solar_elevation",
            "solar_azimuth",
            "altitude_sc",
            "sigma_h",
            "ph_index_beg",
            "segment_ph_cnt",
            "segment_id",
            "reference_photon_index",
            "podppd_flag",
        ),
    ),
    "geophys_corr": (
        GROUND_SPEED_M_S / 20.0,
        ("dac", "dem_h", "geoid", "tide_earth", "tide_load", "tide_ocean", "tide_pole"),
    ),
    "bckgrd_atlas": (
        SHOT_RATE_HZ / 50.0,
        (
            "bckgrd_counts",
            "bckgrd_counts_reduced",
            "bckgrd_hist_top",
            "bckgrd_int_height",
            "bckgrd_int_height_reduced",
            "bckgrd_rate",
            "tlm_height_band1",
            "tlm_top_band1",
        ),
    ),
}
LONG_TEXT = (
    "Synthetic benchmark granule in the layout of ATL03 (ATLAS/ICESat-2 L2A Global Geolocated "
    "Photon Data); values are made up, not measurements. "
)


@dataclass(frozen=True)
class GranuleSpec:
    """What to generate: an approximate total size and a seed."""

    target_bytes: int = 1_100_000_000
    seed: int = 20181015

    @property
    def n_shots(self) -> int:
        """Shots per beam, so that the file is about `target_bytes`."""
        per_shot = sum(PHOTONS_PER_SHOT[strong] for _, strong in BEAMS)
        return max(2_000, int(self.target_bytes / (per_shot * COMPRESSED_BYTES_PER_PHOTON)))

    def key(self, layout: Layout) -> str:
        """Cache key: the spec, the layout and the generator version."""
        text = repr((sorted(asdict(self).items()), layout, GENERATOR_VERSION))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _attrs(obj: h5py.HLObject, attrs: dict[str, Any]) -> None:
    for key, value in attrs.items():
        obj.attrs[key] = np.bytes_(value.encode()) if isinstance(value, str) else value


def _group(parent: h5py.Group, name: str, attrs: dict[str, Any] | None = None) -> h5py.Group:
    g = parent.create_group(name, track_order=False)
    _attrs(g, attrs or {})
    return g


def _dataset(
    parent: h5py.Group, name: str, data: np.ndarray | None = None, **kwargs: Any
) -> h5py.Dataset:
    attrs = kwargs.pop("attrs", {})
    if kwargs.get("chunks"):
        kwargs.setdefault("compression", "gzip")
        kwargs.setdefault("compression_opts", 6)
    ds = parent.create_dataset(name, data=data, track_times=False, **kwargs)
    _attrs(ds, attrs)
    return ds


class _Beam:
    """Deterministic photon arrays of one beam, generated 10,000 photons at a time."""

    def __init__(self, spec: GranuleSpec, index: int, name: str, strong: bool) -> None:
        self.name, self.strong, self.index, self.seed = name, strong, index, spec.seed
        rng = np.random.default_rng([spec.seed, index, 0])
        per_shot = rng.poisson(PHOTONS_PER_SHOT[strong], spec.n_shots)
        self.shot = np.repeat(np.arange(spec.n_shots, dtype=np.int64), per_shot)
        self.n = int(self.shot.size)

    def block(self, k: int) -> dict[str, np.ndarray]:
        """All photon variables of photons [10000 k, 10000 (k + 1))."""
        a, b = k * 10_000, min(self.n, (k + 1) * 10_000)
        shot = self.shot[a:b]
        m = b - a
        rng = np.random.default_rng([self.seed, self.index, k + 1])
        x = shot * (GROUND_SPEED_M_S / SHOT_RATE_HZ)  # metres along track
        signal = rng.random(m) < (0.55 if self.strong else 0.4)
        surface = (
            1200.0 + 400.0 * np.sin(x / 9000.0) + 35.0 * np.sin(x / 700.0) + 3.0 * np.sin(x / 45.0)
        )
        h = np.where(
            signal,
            surface + rng.normal(0.0, 1.5, m),
            surface + 40.0 + rng.uniform(-175.0, 175.0, m),
        )
        jitter = rng.normal(0.0, 4.25, (2, m))
        lat = 59.5 - (x + jitter[0]) / 111_320.0 + ACROSS_M[self.name] * 1e-7
        lon = -134.2 - 0.05 * (x / 100_000.0) + (ACROSS_M[self.name] + jitter[1]) / 58_000.0
        conf = np.full((m, 5), -1, np.int8)
        conf[:, 0] = np.where(signal, 4 - (rng.random(m) < 0.1), rng.integers(0, 2, m)).astype(
            np.int8
        )
        conf[:, 3] = conf[:, 0]
        return {
            # transmit times: 10 kHz with sub-microsecond jitter in the last digits
            "delta_time": T0 + shot / SHOT_RATE_HZ + ((shot * 2_654_435_761) % 997) * 1e-7,
            "lat_ph": lat,
            "lon_ph": lon,
            "h_ph": h.astype("f4"),
            "dist_ph_along": ((x % 20.0) + jitter[0] * 0.01).astype("f4"),
            "dist_ph_across": (ACROSS_M[self.name] + jitter[1] + (h - surface) * 0.0065).astype(
                "f4"
            ),
            "signal_conf_ph": conf,
            "quality_ph": (rng.random(m) < 0.004).astype("i1"),
            "weight_ph": np.where(signal, rng.integers(140, 256, m), rng.integers(0, 60, m)).astype(
                "u1"
            ),
            "pce_mframe_cnt": (2_000_000 + shot // 200).astype("u4"),
            "ph_id_channel": (rng.integers(1, 17, m) + (0 if self.strong else 16)).astype("u1"),
            "ph_id_count": np.where(rng.random(m) < 0.04, 2, 1).astype("u1"),
            "ph_id_pulse": (shot % 200 + 1).astype("u1"),
        }

    def blocks(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """(first photon, variables) for every 10,000-photon block in order."""
        for k in range((self.n + 9_999) // 10_000):
            yield k * 10_000, self.block(k)


def _segment_group(beam_group: h5py.Group, name: str, spec: GranuleSpec, beam: _Beam) -> None:
    rate, variables = SEGMENT_GROUPS[name]
    n = max(2, int(spec.n_shots / SHOT_RATE_HZ * rate))
    g = _group(beam_group, name, {"Description": f"{name} parameters ({LONG_TEXT.strip()})"})
    t = T0 + np.arange(n) / rate
    chunks = (min(SEGMENT_CHUNK, n),)
    dt = _dataset(g, "delta_time", t, chunks=chunks, attrs=PHOTON_VARIABLES["delta_time"][2])
    dt.make_scale("delta_time")
    rng = np.random.default_rng([spec.seed, beam.index, 10_000_000 + len(name)])
    for v in variables:
        values = (np.sin(t / (50.0 + len(v))) * 100.0 + rng.normal(0, 0.01, n)).astype("f4")
        ds = _dataset(
            g,
            v,
            values,
            chunks=chunks,
            attrs={"long_name": v.replace("_", " "), "description": LONG_TEXT},
        )
        ds.dims[0].attach_scale(dt)


def _skeleton(f: h5py.File, spec: GranuleSpec) -> None:
    _attrs(
        f,
        {
            "short_name": "ATL03",
            "title": "SYNTHETIC ATL03-like benchmark granule",
            "description": LONG_TEXT * 4,
            "Conventions": "CF-1.6",
        },
    )
    anc = _group(f, "ancillary_data", {"Description": "Ancillary parameters."})
    _dataset(
        anc,
        "atlas_sdp_gps_epoch",
        np.array([ATLAS_SDP_GPS_EPOCH]),
        attrs={"units": "seconds since 1980-01-06T00:00:00.000000Z"},
    )
    for i in range(40):  # calibration constants, as the real ancillary_data holds dozens
        _dataset(anc, f"constant_{i:02d}", np.array([float(i)]), attrs={"description": LONG_TEXT})
    orbit = _group(f, "orbit_info")
    _dataset(
        orbit,
        "sc_orient",
        np.array([0], "i1"),
        attrs={"flag_meanings": "backward forward transition"},
    )
    _dataset(orbit, "rgt", np.array([258], "i2"))
    _dataset(orbit, "cycle_number", np.array([1], "i1"))
    meta = _group(f, "METADATA", {"iso_19139_dataset_xml": LONG_TEXT * 20})
    for i in range(60):  # ISO 19115 lineage and the like: many small attribute-heavy groups
        sub = _group(
            meta,
            f"Lineage_{i:02d}",
            {k: LONG_TEXT for k in ("description", "fileName", "shortName", "version", "uuid")},
        )
        _group(sub, "Extent", {"rangeBeginningDateTime": "2018-10-15T12:43:57.696Z"})
    qa = _group(f, "quality_assessment")
    _dataset(qa, "qa_granule_pass_fail", np.array([0], "i4"))


def _photon_datasets(heights: h5py.Group, layout: Layout, n: int) -> dict[str, h5py.Dataset]:
    out = {}
    for name, (dtype, tail, attrs) in PHOTON_VARIABLES.items():
        chunk = (CHUNK[layout] if layout == "v006" else min(CHUNK[layout], max(n, 1)),) + tail
        if layout == "v006":
            shape, maxshape = (0, *tail), (None, *tail)
        else:
            shape, maxshape = (n, *tail), None
        out[name] = _dataset(
            heights,
            name,
            None,
            shape=shape,
            maxshape=maxshape,
            dtype=dtype,
            chunks=chunk,
            attrs={**attrs, "description": LONG_TEXT},
        )
    return out


def _attach_scales(dsets: dict[str, h5py.Dataset]) -> None:
    dt = dsets["delta_time"]
    dt.make_scale("delta_time")
    for name, ds in dsets.items():
        if name != "delta_time":
            ds.dims[0].attach_scale(dt)


def write_granule(path: Path, spec: GranuleSpec, layout: Layout) -> Path:
    """Write the granule to `path` (overwritten) in `layout`; return `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if layout == "v007":
        kwargs.update(fs_strategy="page", fs_persist=False, fs_threshold=1, fs_page_size=PAGE_SIZE)
    tmp = path.with_suffix(".partial")
    beams = [_Beam(spec, i, name, strong) for i, (name, strong) in enumerate(BEAMS)]
    with h5py.File(
        tmp, "w", libver=LIBVER, track_order=False, rdcc_nbytes=0, rdcc_nslots=1, **kwargs
    ) as f:
        _skeleton(f, spec)
        heights = {}
        for beam in beams:
            g = _group(
                f,
                beam.name,
                {"atlas_beam_type": "strong" if beam.strong else "weak", "Description": LONG_TEXT},
            )
            for group_name in SEGMENT_GROUPS:
                _segment_group(g, group_name, spec, beam)
            heights[beam.name] = _group(
                g,
                "heights",
                {"Description": "Contains arrays of the parameters for each received photon."},
            )
        if layout == "v006":
            _write_through_time(heights, beams)
        else:
            _write_by_variable(heights, beams)
    os.replace(tmp, path)
    return path


def _write_through_time(heights: dict[str, h5py.Group], beams: list[_Beam]) -> None:
    """Every beam's variables grow one 10,000-photon block at a time, blocks in time order."""
    dsets = {b.name: _photon_datasets(heights[b.name], "v006", 0) for b in beams}
    order = sorted(
        (float(b.shot[k * 10_000]), i, k)
        for i, b in enumerate(beams)
        for k in range((b.n + 9_999) // 10_000)
    )
    for _, i, k in order:
        beam = beams[i]
        start = k * 10_000
        for name, values in beam.block(k).items():
            ds = dsets[beam.name][name]
            ds.resize(start + values.shape[0], axis=0)
            ds[start:] = values
    for b in beams:
        _attach_scales(dsets[b.name])


def _write_by_variable(heights: dict[str, h5py.Group], beams: list[_Beam]) -> None:
    """Each variable of each beam written whole, as a repack does."""
    for beam in beams:
        blocks = [values for _, values in beam.blocks()]
        dsets = _photon_datasets(heights[beam.name], "v007", beam.n)
        for name, ds in dsets.items():
            ds[...] = np.concatenate([blk[name] for blk in blocks])
        del blocks
        _attach_scales(dsets)


def cached_granule(cache_dir: Path, spec: GranuleSpec, layout: Layout) -> Path:
    """Return the granule for (spec, layout) in `cache_dir`, writing it only if absent."""
    path = Path(cache_dir) / f"ATL03_bench_{layout}_{spec.target_bytes}_{spec.key(layout)}.h5"
    if not path.exists():
        write_granule(path, spec, layout)
    return path
