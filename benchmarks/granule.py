"""A deterministic ATL03-like granule of any size, in the two layouts that matter for S3 reads.

``v006``: the producer's layout. Photon variables chunked ``(10000,)`` with gzip level 6, created
empty and extended block by block in time order for all six beams, so one variable's chunks (and
its chunk-index B-tree nodes) are interleaved with every other variable's across the whole file;
dimension scales attached at the end (object-header continuations at the end of the file).

``v007``: NSIDC's cloud-optimized repack. The same values, paged aggregation with 8 MiB file-space
pages (``fs_strategy="page"``, ``fs_page_size``) and ``(100000,)`` photon chunks, each variable
written whole.

The file is written by the sandbox's ATL03 writer: ``sandbox.granules.h5util`` opens it and makes
its groups and datasets (library bounds ``("earliest", "v110")``, no timestamps, no chunk cache so
chunks land in write order, fixed-length ``bytes`` attributes) and ``sandbox.granules.atl03``'s
`write_photons` lays out the photon variables (names, dtypes, attributes, chunks, write order) in
either layout, the one code path the sandbox's own granules take. What this module adds is the
size and the values: instead of simulating photon physics, it generates them block by block with
cheap arithmetic, so that a 1 GB file takes about a minute. The values are plausible (a surface
with noise, background photons over a 350 m window, geolocation along a descending track) and
compress like the real ones: about 35 KB per f4 chunk and 45-55 KB per f8 chunk.

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
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import h5py
import numpy as np

from sandbox.granules import h5util
from sandbox.granules.atl03 import DT_ATTRS, PHOTON_CHUNK, Layout, write_photons

__all__ = [
    "BEAMS",
    "GENERATOR_VERSION",
    "GranuleSpec",
    "Layout",
    "cached_granule",
    "write_granule",
]

GENERATOR_VERSION = 2
"""Bump when the bytes written change (part of the cache key). 2: written by the sandbox's ATL03
writer (its photon attributes, no object timestamps); same chunks, chunk order and paging as 1."""

BLOCK = PHOTON_CHUNK["v006"]
"""Photons generated at a time (one v006 chunk; each block has its own random stream)."""
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


def _delta_time(shot: np.ndarray) -> np.ndarray:
    """Transmit times: 10 kHz with sub-microsecond jitter in the last digits."""
    return T0 + shot / SHOT_RATE_HZ + ((shot * 2_654_435_761) % 997) * 1e-7


class _Blocks(Mapping[str, np.ndarray]):
    """Consecutive blocks' variables, each joined only when it is asked for (one at a time)."""

    def __init__(self, blocks: list[dict[str, np.ndarray]]) -> None:
        self.blocks = blocks

    def __getitem__(self, name: str) -> np.ndarray:
        return np.concatenate([block[name] for block in self.blocks])

    def __iter__(self) -> Iterator[str]:
        return iter(self.blocks[0])

    def __len__(self) -> int:
        return len(self.blocks[0])


class _Beam:
    """Deterministic photon arrays of one beam, generated 10,000 photons at a time: the
    ``PhotonSource`` that ``sandbox.granules.atl03.write_photons`` writes."""

    def __init__(self, spec: GranuleSpec, index: int, name: str, strong: bool) -> None:
        self.name, self.strong, self.index, self.seed = name, strong, index, spec.seed
        rng = np.random.default_rng([spec.seed, index, 0])
        per_shot = rng.poisson(PHOTONS_PER_SHOT[strong], spec.n_shots)
        self.shot = np.repeat(np.arange(spec.n_shots, dtype=np.int64), per_shot)
        self.n = int(self.shot.size)

    def block(self, k: int) -> dict[str, np.ndarray]:
        """All photon variables of photons [10000 k, 10000 (k + 1))."""
        a, b = k * BLOCK, min(self.n, (k + 1) * BLOCK)
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
            "delta_time": _delta_time(shot),
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

    def delta_time_at(self, index: int) -> float:
        """``delta_time`` of photon `index`."""
        return float(_delta_time(self.shot[index : index + 1])[0])

    def arrays(self, start: int, stop: int) -> Mapping[str, np.ndarray]:
        """The variables of photons ``[start, stop)``: whole blocks, from a block's start up to
        a block's end or the last photon."""
        if start % BLOCK or (stop % BLOCK and stop != self.n) or not 0 <= start < stop <= self.n:
            raise ValueError(f"photons [{start}, {stop}) are not whole blocks of {BLOCK}")
        if stop - start <= BLOCK:
            return self.block(start // BLOCK)
        return _Blocks([self.block(k) for k in range(start // BLOCK, (stop + BLOCK - 1) // BLOCK)])


def _segment_group(beam_group: h5py.Group, name: str, spec: GranuleSpec, beam: _Beam) -> None:
    rate, variables = SEGMENT_GROUPS[name]
    n = max(2, int(spec.n_shots / SHOT_RATE_HZ * rate))
    g = h5util.group(beam_group, name, {"Description": f"{name} parameters ({LONG_TEXT.strip()})"})
    t = T0 + np.arange(n) / rate
    chunks = (min(SEGMENT_CHUNK, n),)
    dt = h5util.dataset(g, "delta_time", t, chunks=chunks, attrs=DT_ATTRS)
    dt.make_scale("delta_time")
    rng = np.random.default_rng([spec.seed, beam.index, 10_000_000 + len(name)])
    for v in variables:
        values = (np.sin(t / (50.0 + len(v))) * 100.0 + rng.normal(0, 0.01, n)).astype("f4")
        ds = h5util.dataset(
            g,
            v,
            values,
            chunks=chunks,
            attrs={"long_name": v.replace("_", " "), "description": LONG_TEXT},
        )
        ds.dims[0].attach_scale(dt)


def _skeleton(f: h5py.File, spec: GranuleSpec) -> None:
    h5util.set_attrs(
        f,
        {
            "short_name": "ATL03",
            "title": "SYNTHETIC ATL03-like benchmark granule",
            "description": LONG_TEXT * 4,
            "Conventions": "CF-1.6",
        },
    )
    anc = h5util.group(f, "ancillary_data", {"Description": "Ancillary parameters."})
    h5util.dataset(
        anc,
        "atlas_sdp_gps_epoch",
        np.array([ATLAS_SDP_GPS_EPOCH]),
        attrs={"units": "seconds since 1980-01-06T00:00:00.000000Z"},
    )
    for i in range(40):  # calibration constants, as the real ancillary_data holds dozens
        h5util.dataset(
            anc, f"constant_{i:02d}", np.array([float(i)]), attrs={"description": LONG_TEXT}
        )
    orbit = h5util.group(f, "orbit_info")
    h5util.dataset(
        orbit,
        "sc_orient",
        np.array([0], "i1"),
        attrs={"flag_meanings": "backward forward transition"},
    )
    h5util.dataset(orbit, "rgt", np.array([258], "i2"))
    h5util.dataset(orbit, "cycle_number", np.array([1], "i1"))
    meta = h5util.group(f, "METADATA", {"iso_19139_dataset_xml": LONG_TEXT * 20})
    for i in range(60):  # ISO 19115 lineage and the like: many small attribute-heavy groups
        sub = h5util.group(
            meta,
            f"Lineage_{i:02d}",
            {k: LONG_TEXT for k in ("description", "fileName", "shortName", "version", "uuid")},
        )
        h5util.group(sub, "Extent", {"rangeBeginningDateTime": "2018-10-15T12:43:57.696Z"})
    qa = h5util.group(f, "quality_assessment")
    h5util.dataset(qa, "qa_granule_pass_fail", np.array([0], "i4"))


def write_granule(path: Path, spec: GranuleSpec, layout: Layout) -> Path:
    """Write the granule to `path` (overwritten) in `layout`; return `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout not in PHOTON_CHUNK:
        raise ValueError(f"layout must be 'v006' or 'v007', not {layout!r}")
    tmp = path.with_suffix(".partial")
    beams = [_Beam(spec, i, name, strong) for i, (name, strong) in enumerate(BEAMS)]
    with h5util.create_file(tmp, paged=layout == "v007") as f:
        _skeleton(f, spec)
        heights = {}
        for beam in beams:
            g = h5util.group(
                f,
                beam.name,
                {"atlas_beam_type": "strong" if beam.strong else "weak", "Description": LONG_TEXT},
            )
            for group_name in SEGMENT_GROUPS:
                _segment_group(g, group_name, spec, beam)
            heights[beam.name] = h5util.group(
                g,
                "heights",
                {"Description": "Contains arrays of the parameters for each received photon."},
            )
        write_photons(heights, beams, layout)
    os.replace(tmp, path)
    return path


def cached_granule(cache_dir: Path, spec: GranuleSpec, layout: Layout) -> Path:
    """Return the granule for (spec, layout) in `cache_dir`, writing it only if absent."""
    path = Path(cache_dir) / f"ATL03_bench_{layout}_{spec.target_bytes}_{spec.key(layout)}.h5"
    if not path.exists():
        write_granule(path, spec, layout)
    return path
