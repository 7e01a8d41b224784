"""What MODIS-Aqua sees on 2019-06-22: sea ice, SST, clouds, wind, chlorophyll, by place and time.

Fields are defined on polar-stereographic grids (5 km north, 8 km south) and sampled at pixel
positions, so overlapping swaths see the same ocean. Open water is near freezing (~271.4 K) at
the ice edge and warms southwards (an Atlantic tongue reaches ~280-284 K in the Norwegian Sea);
the "SST" retrieved over sea ice is the ice surface skin temperature (~263-272 K in late June).
Clouds drift and evolve; a cloud deck builds over the Lincoln Sea and the central Arctic between
05:30 and 06:30 UTC and clears after 09:30, so the swath nearest the ICESat-2 pass in time is
cloudy over the track while the 05:05 one is clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .catalog import utc
from .fields import bilinear, fractal_noise, smoothstep
from .geometry import EARTH_RADIUS_M, seconds_since_2018

SCENE_SEED_OFFSET = 4_201
FREEZING_K = 271.35
HOUR = 3600.0
DECK_START = seconds_since_2018(utc(2019, 6, 22, 5, 30))
DECK_FULL = seconds_since_2018(utc(2019, 6, 22, 6, 30))
DECK_FADE = seconds_since_2018(utc(2019, 6, 22, 9, 30))
DECK_GONE = seconds_since_2018(utc(2019, 6, 22, 10, 0))
DECK_CENTRES = ((84.5, -75.0, 650e3), (86.8, -140.0, 450e3), (83.0, -55.0, 300e3))
"""(lat, lon, radius m) of the cloud deck that covers the ATL07 track after 06:30."""


@dataclass(frozen=True)
class Grids:
    """Noise grids of one hemisphere on a polar-stereographic plane."""

    step_m: float
    half_m: float
    north: bool
    sst: NDArray[np.float32]
    edge: NDArray[np.float32]
    cloud_a: NDArray[np.float32]
    cloud_b: NDArray[np.float32]
    chl: NDArray[np.float32]
    wind: NDArray[np.float32]
    ice_t: NDArray[np.float32]


def polar_xy(lat: NDArray, lon: NDArray, north: bool) -> tuple[NDArray, NDArray]:
    """Spherical polar-stereographic coordinates (m) centred on the pole."""
    sign = 1.0 if north else -1.0
    colat = np.radians(90.0 - sign * lat)
    r = 2.0 * EARTH_RADIUS_M * np.tan(colat / 2.0)
    lam = np.radians(lon)
    return r * np.sin(lam), -sign * r * np.cos(lam)


@lru_cache(maxsize=2)
def grids(seed: int, north: bool) -> Grids:
    """Noise grids for a hemisphere (cached per process)."""
    rng = np.random.default_rng(seed + SCENE_SEED_OFFSET + (0 if north else 1))
    step = 5_000.0 if north else 8_000.0
    half = 4_600e3 if north else 7_600e3
    n = int(2 * half / step) + 1
    shape = (n, n)

    def nz(lo: float, hi: float, slope: float) -> NDArray[np.float32]:
        return fractal_noise(
            shape, rng, slope=slope, min_wavelength_px=lo, max_wavelength_px=hi
        ).astype(np.float32)

    return Grids(
        step,
        half,
        north,
        sst=nz(3, 80, 3.0),
        edge=nz(8, 200, 3.0),
        cloud_a=nz(3, 150, 3.2),
        cloud_b=nz(3, 150, 3.2),
        chl=nz(3, 60, 2.8),
        wind=nz(10, 200, 3.0),
        ice_t=nz(4, 120, 3.0),
    )


def _sample(g: Grids, grid: NDArray, x: NDArray, y: NDArray) -> NDArray[np.float64]:
    return bilinear(grid, (y + g.half_m) / g.step_m, (x + g.half_m) / g.step_m)


def ice_edge_latitude(lon: NDArray) -> NDArray[np.float64]:
    """Late-June sea-ice edge (deg N) by longitude: far north in the Atlantic sector."""
    lam = np.radians(lon)
    return (
        74.5 + 3.5 * np.cos(lam - np.radians(20.0)) - 2.0 * np.cos(2 * (lam - np.radians(-150.0)))
    )


@dataclass
class Scene:
    """Geophysical state at the pixels of one granule."""

    sst: NDArray[np.float64]
    ice: NDArray[np.bool_]
    cloud: NDArray[np.float64]
    """Cloud index: > 0 cloudy (0-0.15 thin or edge, > 0.15 opaque)."""
    wind: NDArray[np.float64]
    chl: NDArray[np.float64]
    clim: NDArray[np.float64]
    """Reference climatology SST (for dt_analysis)."""


def scene(lat: NDArray, lon: NDArray, t: NDArray, seed: int) -> Scene:
    """Sample the scene at pixel (lat, lon) and times ``t`` (seconds since 2018)."""
    north = bool(np.nanmean(lat) > 0)
    g = grids(seed, north)
    x, y = polar_xy(lat, lon, north)
    # clouds drift ~35 km/h towards the east of the grid and evolve over ~10 h
    hours = (t - seconds_since_2018(utc(2019, 6, 22))) / HOUR
    drift = 35e3 * hours
    mix = np.sin(np.pi * hours / 20.0) ** 2
    ca = _sample(g, g.cloud_a, x - drift, y)
    cb = _sample(g, g.cloud_b, x - drift, y + 0.5 * drift)
    cloud = (1 - mix) * ca + mix * cb - 0.35
    if north:
        weight = smoothstep(DECK_START, DECK_FULL, t) * (1.0 - smoothstep(DECK_FADE, DECK_GONE, t))
        for clat, clon, rad in DECK_CENTRES:
            cx, cy = polar_xy(np.array(clat), np.array(clon), True)
            d = np.hypot(x - cx, y - cy)
            cloud = cloud + weight * 2.2 * (1.0 - smoothstep(0.7 * rad, 1.15 * rad, d))
        edge_lat = ice_edge_latitude(lon) + 1.2 * _sample(g, g.edge, x, y)
        ice = lat > edge_lat
        dist = np.clip(edge_lat - lat, 0.0, 25.0)
        atlantic = 6.0 * np.exp(-(((lon - 8.0) / 22.0) ** 2)) * smoothstep(0.0, 6.0, dist)
        clim = FREEZING_K + 0.55 * dist + atlantic
        water = clim + 0.55 * _sample(g, g.sst, x, y) * smoothstep(0.0, 1.5, dist)
        ice_skin = 270.4 + 1.3 * _sample(g, g.ice_t, x, y) - 5.5 * smoothstep(80.0, 88.0, lat)
        sst = np.where(ice, np.minimum(ice_skin, 272.9), water)
    else:
        edge_lat = -60.0 + 1.5 * _sample(g, g.edge, x, y)
        ice = lat < edge_lat
        dist = np.clip(lat - edge_lat, 0.0, 40.0)
        clim = FREEZING_K + 0.62 * dist
        water = clim + 0.6 * _sample(g, g.sst, x, y)
        sst = np.where(ice, 258.0 + 3.0 * _sample(g, g.ice_t, x, y), water)
    wind = np.clip(6.5 + 2.8 * _sample(g, g.wind, x, y), 0.3, 22.0)
    chl = np.exp(np.log(0.35) + 0.7 * _sample(g, g.chl, x, y) + 1.1 * np.exp(-dist / 1.5))
    return Scene(sst=sst, ice=ice, cloud=cloud, wind=wind, chl=chl, clim=clim)


def ice_edge_at(lat: NDArray, lon: NDArray, seed: int) -> NDArray[np.float64]:
    """Latitude of the Arctic sea-ice edge that `scene` draws, at the longitudes of (lat, lon).

    The same field as in `scene` (north): season ATL07 granules put their sea ice where MODIS
    sees it. Points north of the returned latitude are on the ice.
    """
    g = grids(seed, True)
    x, y = polar_xy(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64), True)
    return ice_edge_latitude(lon) + 1.2 * _sample(g, g.edge, x, y)
