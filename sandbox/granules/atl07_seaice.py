"""Sea-ice segments for ATL07: positions, times and freeboard-like heights with leads and ridges.

Heights are relative to the mean sea surface, as ATL07's ``height_segment_height``: a smooth
sea-surface anomaly (a few decimetres) plus, on ice, a snow+ice freeboard of 0.1-0.6 m (log-normal
with pressure ridges of 1-3 m), and in leads the bare sea surface (specular or dark lead types,
``ssh_flag`` 1). Some segments are fill (cloud or too few photons). Strong beams aggregate 150
signal photons into segments ~10 m apart; weak beams need ~4 times the track for the same count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .atlas_common import Beam
from .catalog import ATL07_GT1L_SEGMENTS, TrackSpec
from .geometry import offset_track
from .land import is_land

IceEdge = Callable[[NDArray, NDArray], NDArray]
"""Latitude of the sea-ice edge at points (lat, lon): north of it is ice."""
OPEN_WATER_MARGIN_DEG = 1.0
"""With an ice edge, segments reach this far (degrees of latitude) into the open water."""
FILL_F4 = np.finfo(np.float32).max
"""ATL07 float fill: float32 max (3.4028235e+38)."""
TUTORIAL_LAST_HEIGHTS = np.array([-0.46550068, -0.43347716, -0.4462675], dtype=np.float32)
"""The last three gt1l heights the 2021 tutorial printed."""


@dataclass
class BeamSegments:
    """Per-segment arrays of one beam."""

    t: NDArray[np.float64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    x: NDArray[np.float64]
    """Along-track distance from the ascending node (m)."""
    length: NDArray[np.float32]
    height: NDArray[np.float32]
    seg_type: NDArray[np.int8]
    ssh_flag: NDArray[np.int8]
    quality: NDArray[np.int8]
    n_photons: NDArray[np.float32]
    ssha: NDArray[np.float64]


def _valid_time_grid(
    track: TrackSpec, across_m: float, ice_edge: IceEdge | None = None
) -> tuple[NDArray, NDArray]:
    """Times every 0.05 s and whether the beam is over the ocean there (and, with `ice_edge`,
    on the sea ice or within `OPEN_WATER_MARGIN_DEG` of its edge)."""
    tg = np.arange(track.t_start, track.t_end + 0.05, 0.05)
    tg[-1] = min(tg[-1], track.t_end)
    lat, lon = track.orbit.subpoint(tg)
    hdg = track.orbit.heading(tg)
    blat, blon = offset_track(lat, lon, hdg, across_m)
    valid = ~is_land(blat, blon)
    if ice_edge is not None:
        valid &= blat > ice_edge(blat, blon) - OPEN_WATER_MARGIN_DEG
    return tg, valid


def simulate_segments(
    track: TrackSpec,
    beam: Beam,
    gt1l_across: float,
    rng: np.random.Generator,
    n_fixed: int | None,
    ice_edge: IceEdge | None = None,
) -> BeamSegments:
    """Segments of one beam along the track; ``n_fixed`` pins the count and the end times.

    ``track.segment_scale`` thins the segments. With `ice_edge` (season granules), segments
    stop `OPEN_WATER_MARGIN_DEG` beyond the ice edge, and those south of it are open water:
    sea-surface heights, lead types, ``ssh_flag`` 1.
    """
    across = beam.across_m - gt1l_across
    tg, ocean = _valid_time_grid(track, across, ice_edge)
    # cumulative "sea-ice time": segments only where the beam is over the ocean
    w = ocean.astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(tg))])
    span = cum[-1]
    if n_fixed is None:
        rate = (
            ATL07_GT1L_SEGMENTS / span * (1.0 if beam.strong else 0.27) * rng.uniform(0.985, 1.015)
        )
        if track.segment_scale != 1.0:
            rate *= track.segment_scale
        n = int(rate * span)
    else:
        n = n_fixed
    # irregular spacing: leads give short segments, rough ice longer ones
    gaps = rng.lognormal(0.0, 0.45, n - 1)
    pos = np.concatenate([[0.0], np.cumsum(gaps)])
    pos = pos / pos[-1] * span
    t = np.interp(pos, cum, tg)
    t[0], t[-1] = (track.t_start, track.t_end) if n_fixed is not None else (t[0], t[-1])
    lat0, lon0 = track.orbit.subpoint(t)
    hdg = track.orbit.heading(t)
    lat, lon = offset_track(lat0, lon0, hdg, across)
    x = track.orbit.along_track_m(t)
    length = np.clip(np.gradient(x) * rng.uniform(0.9, 1.6, n), 5.0, 400.0).astype(np.float32)

    s = x - x[0]
    total = s[-1]
    ph = rng.uniform(0, 2 * np.pi, 4)
    ssha = (
        0.18 * np.sin(s / 350e3 + ph[0])
        + 0.08 * np.sin(s / 60e3 + ph[1])
        + 0.03 * np.sin(s / 9e3 + ph[2])
    )
    # the end of the real track sits about 0.45 m below the mean sea surface
    ramp = np.clip((s - (total - 400e3)) / 300e3, 0.0, 1.0)
    ssha = (1 - ramp) * (ssha - 0.05) + ramp * (-0.445 + 0.015 * np.sin(s / 5e3 + ph[3]))

    # ice concentration falls towards the marginal seas (last 500 km)
    conc = 0.985 - 0.25 * np.clip((s - (total - 500e3)) / 500e3, 0.0, 1.0)
    # leads: runs of segments (a few tens of metres to a kilometre)
    is_lead = np.zeros(n, dtype=bool)
    n_leads = int(n * 0.012)
    starts = rng.integers(0, n, n_leads)
    widths = rng.geometric(1.0 / 6.0, n_leads)
    for a, wdt in zip(starts, widths, strict=True):
        if rng.random() > conc[a] ** 3 or rng.random() < 0.6:
            is_lead[a : a + wdt] = True
    fb = rng.lognormal(np.log(0.27), 0.45, n)
    fb = np.clip(fb, 0.06, 1.2)
    ridge = rng.random(n) < 0.015
    fb[ridge] += rng.gamma(2.0, 0.5, ridge.sum())
    # smooth the freeboard over a few segments (floes are larger than one segment)
    k = np.array([0.15, 0.2, 0.3, 0.2, 0.15])
    fb = np.convolve(fb, k, mode="same")
    height = ssha + np.where(is_lead, rng.normal(0.0, 0.025, n), fb)
    seg_type = np.where(is_lead, rng.integers(2, 10, n), 1).astype(np.int8)
    ssh_flag = is_lead.astype(np.int8)
    quality = np.ones(n, dtype=np.int8)
    # fill: cloudy stretches and isolated failed fits
    cloud = np.zeros(n, dtype=bool)
    for a in rng.integers(0, n, max(1, n // 30_000)):
        cloud[a : a + int(rng.integers(50, 600))] = True
    bad = cloud | (rng.random(n) < 0.004)
    seg_type[cloud] = 0
    quality[bad] = 0
    height = np.where(bad, FILL_F4, height).astype(np.float32)
    if n_fixed is not None:
        height[:3] = FILL_F4
        quality[:3] = 0
        height[-3:] = TUTORIAL_LAST_HEIGHTS
        quality[-3:] = 1
        seg_type[-3:] = np.array([2, 3, 2], dtype=np.int8)
        ssh_flag[-3:] = 1
    n_photons = np.where(is_lead, 150.0, rng.normal(150.0, 4.0, n)).astype(np.float32)
    if ice_edge is not None:
        water = lat <= ice_edge(lat, lon)
        height = np.where(
            water & ~bad, ssha + rng.normal(0.0, 0.03, n), height.astype(np.float64)
        ).astype(np.float32)
        seg_type = np.where(water & ~cloud, rng.integers(2, 10, n), seg_type).astype(np.int8)
        ssh_flag = np.where(water, 1, ssh_flag).astype(np.int8)
        n_photons = np.where(water, 150.0, n_photons).astype(np.float32)
    return BeamSegments(
        t, lat, lon, x, length, height, seg_type, ssh_flag, quality, n_photons, ssha
    )
