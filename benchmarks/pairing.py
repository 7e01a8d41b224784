"""Pairing benchmark: 235,000 ATL07-like segments against a 2030 x 1354 MODIS-like polar swath.

The swath is a deterministic 1 km grid around 82 N, 60 W (rotated, as a MODIS swath crosses the
Arctic) with a smooth cloud field leaving about 30 % of the pixels valid; the segments follow a
straight ground track across it. Both ways run on the same arrays, with the radius of the
tutorials' rule (`helpers.PAIRING_RULE`): the seed tutorial's
``pyresample.kd_tree.resample_nearest`` on the masked swath, and `helpers.pair_nearest`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from helpers.pairing import PAIRING_RULE, pair_nearest

__all__ = ["PairingResult", "make_scene", "run_pairing"]

EARTH_M_PER_DEG = 111_320.0


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polar azimuthal-equidistant metres (pole at 0, 0) to degrees."""
    r = np.hypot(x, y)
    lat = 90.0 - r / EARTH_M_PER_DEG
    lon = np.degrees(np.arctan2(x, -y))
    return lon, lat


def make_scene(
    rows: int = 2030, cols: int = 1354, points: int = 235_000, seed: int = 20190622
) -> dict[str, np.ndarray]:
    """Swath lon/lat/SST (masked where cloudy) and segment lon/lat."""
    rng = np.random.default_rng(seed)
    centre_r = 8.0 * EARTH_M_PER_DEG  # 82 N
    cx, cy = centre_r * np.sin(np.radians(-60.0)), -centre_r * np.cos(np.radians(-60.0))
    angle = np.radians(25.0)
    j = (np.arange(cols) - cols / 2) * 1000.0
    i = (np.arange(rows) - rows / 2) * 1000.0
    jj, ii = np.meshgrid(j, i)
    x = cx + jj * np.cos(angle) - ii * np.sin(angle)
    y = cy + jj * np.sin(angle) + ii * np.cos(angle)
    lon, lat = _to_lonlat(x, y)
    # cloud: a smooth random field (sum of a few waves), about 30 % clear
    field = np.zeros_like(x)
    for _ in range(12):
        k = rng.normal(0, 1 / 150_000.0, 2)
        field += np.sin(2 * np.pi * (k[0] * x + k[1] * y) + rng.uniform(0, 2 * np.pi))
    clear = field > np.quantile(field, 0.70)
    sst = 271.35 + 2.0 * (lat - 81.0) + rng.normal(0, 0.05, x.shape)
    sst = np.ma.masked_array(sst, mask=~clear)
    # segments: a straight track across the swath and beyond its ends
    s = np.linspace(-1.3e6, 1.3e6, points)
    track_angle = np.radians(70.0)
    px = cx + s * np.cos(track_angle) + 2_000.0 * np.sin(s / 90_000.0)
    py = cy + s * np.sin(track_angle)
    plon, plat = _to_lonlat(px, py)
    return {"lon": lon, "lat": lat, "sst": sst, "plon": plon, "plat": plat}


@dataclass(frozen=True)
class PairingResult:
    """Best-of-`repeat` wall times and the agreement of the two ways."""

    seed_seconds: float
    helpers_seconds: float
    resample_again_seconds: float
    points: int
    pixels: int
    valid_fraction: float
    seed_paired: int
    helpers_paired: int
    identical_where_seed_paired: bool


def run_pairing(scene: dict[str, np.ndarray] | None = None, repeat: int = 3) -> PairingResult:
    """Time the seed way and `helpers.pair_nearest` on one scene (``PAIRING_RULE.radius_m``)."""
    from pyresample import geometry, kd_tree

    s = scene or make_scene()
    radius = PAIRING_RULE.radius_m
    seed_times, fast_times, again_times = [], [], []
    seed = fast = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        swath = geometry.SwathDefinition(lons=s["lon"], lats=s["lat"])
        track = geometry.SwathDefinition(lons=s["plon"], lats=s["plat"])
        seed = kd_tree.resample_nearest(
            swath, s["sst"], track, radius_of_influence=radius, fill_value=None
        )
        seed_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fast = pair_nearest(s["lon"], s["lat"], s["sst"], s["plon"], s["plat"], radius_m=radius)
        fast_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fast.sample(s["sst"])
        again_times.append(time.perf_counter() - t0)
    assert seed is not None and fast is not None
    seed_ok = ~np.ma.getmaskarray(seed)
    same = bool(
        np.array_equal(np.ma.getdata(seed)[seed_ok], fast.values[seed_ok])
        and fast.found[seed_ok].all()
    )
    return PairingResult(
        seed_seconds=min(seed_times),
        helpers_seconds=min(fast_times),
        resample_again_seconds=min(again_times),
        points=int(s["plon"].size),
        pixels=int(s["lon"].size),
        valid_fraction=float((~np.ma.getmaskarray(s["sst"])).mean()),
        seed_paired=int(seed_ok.sum()),
        helpers_paired=fast.count,
        identical_where_seed_paired=same,
    )
