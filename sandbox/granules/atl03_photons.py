"""Photon simulation for ATL03: shots, signal and background photons, 20 m segments.

10 kHz shots along each beam's ground track (about 0.7 m apart); per shot a Poisson number of
signal photons (strong beams about 4 over snow-covered ice, weak beams a quarter of that) whose
heights sample the surface at random points of the ~17 m footprint (so crevasses and slopes
spread them by a metre or two), and a Poisson number of background photons spread uniformly over
a telemetry window of about 350 m centred on a coarse surface model. Photons are geolocated to
the footprint centre, as ATL03 does, with the small shift that the off-nadir pointing gives
photons at other heights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .atlas_common import Beam
from .catalog import TrackSpec
from .geometry import destination, offset_track, solar_azimuth, solar_elevation
from .land import is_land
from .terrain import GEOID_M, build_icefield, generic_surface

SHOT_INTERVAL_S = 1.0e-4
"""ATLAS fires at 10 kHz."""
SHOTS_PER_MAJOR_FRAME = 200
SEGMENT_LENGTH_M = 20.0
FOOTPRINT_SIGMA_M = 17.0 / 4.0
"""One standard deviation of the laser footprint (17 m diameter ~ 4 sigma)."""
WINDOW_M = 350.0
"""Height of the background telemetry window."""
SIGNAL_PER_SHOT = {"ice": 4.6, "land": 2.2, "water": 1.2}
"""Mean signal photons per shot for a strong beam (night-time pass)."""
BACKGROUND_PER_SHOT = 1.45
"""Mean background photons per shot in the window for a strong beam (weak: a quarter)."""
OFF_NADIR_TAN = 0.0065
"""Horizontal shift per metre of height from the ~0.37 deg pointing angle."""


@dataclass
class BeamPhotons:
    """Photon-rate, segment-rate and background-rate arrays of one beam."""

    # photon rate
    delta_time: NDArray[np.float64]
    lat_ph: NDArray[np.float64]
    lon_ph: NDArray[np.float64]
    h_ph: NDArray[np.float32]
    dist_ph_along: NDArray[np.float32]
    dist_ph_across: NDArray[np.float32]
    signal_conf_ph: NDArray[np.int8]
    quality_ph: NDArray[np.int8]
    weight_ph: NDArray[np.uint8]
    pce_mframe_cnt: NDArray[np.uint32]
    ph_id_channel: NDArray[np.uint8]
    ph_id_count: NDArray[np.uint8]
    ph_id_pulse: NDArray[np.uint8]
    is_signal: NDArray[np.bool_]
    # segment rate
    seg: dict[str, NDArray]
    # 50-shot rate
    bckgrd: dict[str, NDArray]


def _surface_model(track: TrackSpec, seed: int):
    """Surface functions: (height, ice fraction, roughness) at centres; height at photons."""
    if track.juneau:
        field = build_icefield(seed)

        def centre(lat, lon):
            x, y = field.xy(lat, lon)
            return (
                field.smooth_height(x, y),
                field.ice_fraction(x, y),
                field.surface_roughness(x, y),
            )

        def at_points(lat, lon):
            x, y = field.xy(lat, lon)
            return field.smooth_height(x, y) + field.fine_height(x, y) * field.ice_fraction(x, y)

        return centre, at_points

    def centre_generic(lat, lon):
        land = is_land(lat, lon)
        h, rough = generic_surface(lat, lon, land, seed)
        return h, np.zeros_like(h), np.where(land, rough, -rough)

    def points_generic(lat, lon):
        land = is_land(lat, lon)
        h, _ = generic_surface(lat, lon, land, seed)
        return h

    return centre_generic, points_generic


def simulate_beam(track: TrackSpec, beam: Beam, seed: int, rng: np.random.Generator) -> BeamPhotons:
    """Simulate every photon of one beam over the track's time span."""
    n_shots = int(round((track.t_end - track.t_start) / SHOT_INTERVAL_S)) + 1
    shot_t = track.t_start + np.arange(n_shots) * SHOT_INTERVAL_S
    orbit = track.orbit
    rgt_lat, rgt_lon = orbit.subpoint(shot_t)
    heading = orbit.heading(shot_t)
    lat_c, lon_c = offset_track(rgt_lat, rgt_lon, heading, beam.across_m)
    centre, at_points = _surface_model(track, seed)
    h_c, ice, rough = centre(lat_c, lon_c)
    water = rough < 0
    rough = np.abs(rough)

    # thin cloud and surface brightness vary slowly along track
    phase = rng.uniform(0, 2 * np.pi, 3)
    tt = (shot_t - shot_t[0]) / 1.0
    transmit = 0.93 + 0.07 * np.sin(tt / 2.3 + phase[0]) * np.sin(tt / 0.7 + phase[1])
    rate = np.where(
        water,
        SIGNAL_PER_SHOT["water"],
        SIGNAL_PER_SHOT["land"] + (SIGNAL_PER_SHOT["ice"] - SIGNAL_PER_SHOT["land"]) * ice,
    )
    rate = rate * transmit * (1.0 if beam.strong else 0.25)
    n_sig = rng.poisson(rate)
    bg_mean = (
        BACKGROUND_PER_SHOT
        * (1.0 if beam.strong else 0.25)
        * (0.9 + 0.1 * np.sin(tt / 5.0 + phase[2]))
    )
    n_bg = rng.poisson(bg_mean)

    # signal photons: random points in the footprint
    sig_shot = np.repeat(np.arange(n_shots), n_sig)
    along_j = rng.normal(0.0, FOOTPRINT_SIGMA_M, sig_shot.size)
    across_j = rng.normal(0.0, FOOTPRINT_SIGMA_M, sig_shot.size)
    plat, plon = destination(lat_c[sig_shot], lon_c[sig_shot], heading[sig_shot], along_j)
    plat, plon = offset_track(plat, plon, heading[sig_shot], across_j)
    h_sig = at_points(plat, plon) + rng.normal(0.0, 1.0, sig_shot.size) * (
        0.08 + rough[sig_shot] * 0.5
    )
    # afterpulses and impulse-response tail: a few photons 0.5-4 m below the surface
    tail = rng.random(sig_shot.size)
    q_sig = np.zeros(sig_shot.size, dtype=np.int8)
    after = tail < 0.004
    h_sig[after] -= rng.uniform(1.5, 4.0, after.sum())
    q_sig[after] = 1
    irf = (tail >= 0.004) & (tail < 0.006)
    h_sig[irf] -= rng.uniform(0.4, 1.2, irf.sum())
    q_sig[irf] = 2

    # background photons: uniform in the telemetry window
    bg_shot = np.repeat(np.arange(n_shots), n_bg)
    window_centre = h_c + 40.0
    h_bg = window_centre[bg_shot] + rng.uniform(-0.5, 0.5, bg_shot.size) * WINDOW_M

    shot_idx = np.concatenate([sig_shot, bg_shot])
    h = np.concatenate([h_sig, h_bg])
    is_signal = np.concatenate([np.ones(sig_shot.size, bool), np.zeros(bg_shot.size, bool)])
    quality = np.concatenate([q_sig, np.zeros(bg_shot.size, np.int8)])
    order = np.lexsort((-h, shot_idx))  # by shot, then arrival (highest first)
    shot_idx, h, is_signal, quality = shot_idx[order], h[order], is_signal[order], quality[order]
    n_ph = shot_idx.size

    # geolocation: footprint centre, shifted by the pointing for the photon's height
    dh = h - h_c[shot_idx]
    shift = dh * OFF_NADIR_TAN
    lat_ph, lon_ph = offset_track(lat_c[shot_idx], lon_c[shot_idx], heading[shot_idx], shift)

    # along-track: distance from the ascending node on the RGT (segments of 20 m)
    x_shot = orbit.along_track_m(shot_t)
    x_ph = x_shot[shot_idx]
    seg_idx = np.floor(x_ph / SEGMENT_LENGTH_M).astype(np.int64)
    dist_along = (x_ph - seg_idx * SEGMENT_LENGTH_M).astype(np.float32)
    dist_across = (beam.across_m + shift).astype(np.float32)

    # confidence: columns land, ocean, sea ice, land ice, inland water
    conf = np.full((n_ph, 5), -1, dtype=np.int8)
    resid = np.abs(h - (h_c[shot_idx]))
    cf = np.where(is_signal, 4, 0).astype(np.int8)
    u = rng.random(n_ph)
    rough_ph = rough[shot_idx]
    cf[is_signal & (u < 0.25 * np.clip(rough_ph, 0, 1))] = 3
    cf[is_signal & (u < 0.06 * np.clip(rough_ph, 0, 1))] = 2
    near = ~is_signal & (resid < 15.0)
    cf[near] = 1
    cf[near & (u < 0.05)] = 2
    ice_ph = ice[shot_idx] > 0.5
    water_ph = water[shot_idx]
    conf[:, 0] = np.where(water_ph, -1, cf)
    conf[:, 1] = np.where(water_ph, cf, -1)
    conf[:, 3] = np.where(ice_ph, cf, -1)
    weight = np.where(
        is_signal,
        rng.integers(140, 256, n_ph),
        np.where(near, rng.integers(20, 120, n_ph), rng.integers(0, 40, n_ph)),
    )

    shot_global = np.round((shot_t[0] - track.orbit.node_time) / SHOT_INTERVAL_S).astype(
        np.int64
    ) + np.arange(n_shots)
    mframe_base = 2_000_000 + (shot_global // SHOTS_PER_MAJOR_FRAME)
    pulse = (shot_global % SHOTS_PER_MAJOR_FRAME + 1).astype(np.uint8)
    lo, hi = (1, 16) if beam.strong else (1, 4)
    channel = rng.integers(lo, hi + 1, n_ph).astype(np.uint8) + (0 if beam.strong else 16)
    count = np.where(rng.random(n_ph) < 0.04, 2, 1).astype(np.uint8)

    seg = _segments(
        track,
        shot_t,
        x_shot,
        lat_c,
        lon_c,
        h_c,
        ice,
        water,
        seg_idx,
        is_signal,
        shot_idx,
        heading,
        rng,
    )
    bckgrd = _background(track, shot_t, n_bg, bg_mean, window_centre, mframe_base)

    return BeamPhotons(
        delta_time=shot_t[shot_idx],
        lat_ph=lat_ph,
        lon_ph=lon_ph,
        h_ph=h.astype(np.float32),
        dist_ph_along=dist_along,
        dist_ph_across=dist_across,
        signal_conf_ph=conf,
        quality_ph=quality,
        weight_ph=weight.astype(np.uint8),
        pce_mframe_cnt=mframe_base[shot_idx].astype(np.uint32),
        ph_id_channel=channel,
        ph_id_count=count,
        ph_id_pulse=pulse[shot_idx],
        is_signal=is_signal,
        seg=seg,
        bckgrd=bckgrd,
    )


def _segments(
    track, shot_t, x_shot, lat_c, lon_c, h_c, ice, water, seg_idx, is_signal, shot_idx, heading, rng
) -> dict[str, NDArray]:
    """Geolocation (20 m segment) and geophys_corr arrays."""
    first, last = int(seg_idx[0]), int(seg_idx[-1])
    ids = np.arange(first, last + 1)
    n = ids.size
    counts = np.bincount(seg_idx - first, minlength=n).astype(np.int32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ph_index_beg = np.where(counts > 0, starts + 1, 0).astype(np.int64)
    centre_x = (ids + 0.5) * SEGMENT_LENGTH_M
    t_seg = np.interp(centre_x, x_shot, shot_t)
    lat_seg = np.interp(centre_x, x_shot, lat_c)
    lon_seg = np.interp(centre_x, x_shot, lon_c)
    h_seg = np.interp(centre_x, x_shot, h_c)
    ice_seg = np.interp(centre_x, x_shot, ice) > 0.5
    water_seg = np.interp(centre_x, x_shot, water.astype(float)) > 0.5
    # reference photon: the signal photon nearest the segment's middle
    sig_counts = np.bincount(seg_idx[is_signal] - first, minlength=n)
    ref_index = np.where(sig_counts > 0, np.maximum(1, counts // 2), 0).astype(np.int32)
    surf = np.zeros((n, 5), dtype=np.int8)
    surf[:, 0] = ~water_seg
    surf[:, 1] = water_seg
    surf[:, 3] = ice_seg
    v = track.orbit.ground_speed()
    hdg = np.radians(np.interp(centre_x, x_shot, heading))
    vel = np.stack([v * np.sin(hdg), v * np.cos(hdg), np.full(n, 1.7)], axis=1).astype(np.float32)
    se = solar_elevation(t_seg, lat_seg, lon_seg)
    sa = solar_azimuth(t_seg, lat_seg, lon_seg)
    slow = np.sin((t_seg - t_seg[0]) / 7.0)
    return {
        "delta_time": t_seg,
        "segment_id": (ids + 1).astype(np.int32),
        "segment_dist_x": ids * SEGMENT_LENGTH_M,
        "segment_length": np.full(n, SEGMENT_LENGTH_M) + rng.normal(0.0, 0.002, n),
        "ph_index_beg": ph_index_beg,
        "segment_ph_cnt": counts,
        "reference_photon_index": ref_index,
        "reference_photon_lat": lat_seg,
        "reference_photon_lon": lon_seg,
        "solar_elevation": se.astype(np.float32),
        "solar_azimuth": sa.astype(np.float32),
        "velocity_sc": vel,
        "surf_type": surf,
        "altitude_sc": (496_000.0 + 1_500.0 * slow).astype(np.float64),
        "sigma_h": np.full(n, 0.045, np.float32) + (0.01 * slow).astype(np.float32),
        "podppd_flag": np.zeros(n, np.int8),
        # geophys_corr
        "dem_h": h_seg.astype(np.float32),
        "geoid": (GEOID_M + 0.4 * slow).astype(np.float32),
        "dac": (0.02 * slow).astype(np.float32),
        "tide_earth": (0.09 * np.sin((t_seg - t_seg[0]) / 40.0 + 1.0)).astype(np.float32),
        "tide_load": np.full(n, 0.012, np.float32),
        "tide_ocean": np.where(
            water_seg, 0.6 * np.cos(t_seg / 20000.0), np.finfo(np.float32).max
        ).astype(np.float32),
        "tide_pole": np.full(n, 0.0031, np.float32),
    }


def _background(track, shot_t, n_bg, bg_mean, window_centre, mframe_base) -> dict[str, NDArray]:
    """bckgrd_atlas arrays every 50 shots."""
    step = 50
    n = shot_t.size // step
    sl = slice(0, n * step)
    counts = n_bg[sl].reshape(n, step).sum(axis=1)
    window_s = 2.0 * WINDOW_M / 299_792_458.0
    rate = bg_mean[sl].reshape(n, step).mean(axis=1) / window_s
    top = window_centre[sl].reshape(n, step)[:, 0] + WINDOW_M / 2
    return {
        "delta_time": shot_t[sl][::step],
        "bckgrd_counts": counts.astype(np.int32),
        "bckgrd_counts_reduced": np.maximum(0, counts - 2).astype(np.int32),
        "bckgrd_hist_top": top.astype(np.float32),
        "bckgrd_int_height": np.full(n, WINDOW_M, np.float32),
        "bckgrd_int_height_reduced": np.full(n, WINDOW_M - 30.0, np.float32),
        "bckgrd_rate": rate.astype(np.float32),
        "pce_mframe_cnt": mframe_base[sl][::step].astype(np.uint32),
        "tlm_height_band1": np.full(n, WINDOW_M, np.float32),
        "tlm_top_band1": top.astype(np.float32),
    }
