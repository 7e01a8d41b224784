"""Orbits, ground tracks, across-track offsets and swath geolocation on a spherical Earth.

Good to a few hundred metres, which is all the synthetic granules need: ICESat-2 ground tracks
(inclination 92 deg, 1387 reference ground tracks in 91 days) and MODIS-Aqua swaths (98.2 deg,
sun-synchronous, 1:30 pm ascending node, 2330 km swath). Latitudes are treated as geodetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (m)."""
SOLAR_DAY_RATE = 2.0 * np.pi / 86_400.0
"""Rotation of the Earth relative to a node that follows the Sun or repeats daily (rad/s)."""
SIDEREAL_RATE = 7.2921150e-5
"""Rotation of the Earth in inertial space (rad/s)."""
EPOCH_2018 = datetime(2018, 1, 1, tzinfo=UTC)
"""Origin of ICESat-2 ``delta_time`` (UTC; GPS-UTC stays 18 s through 2018-2019)."""

FloatArray = NDArray[np.float64]


def seconds_since_2018(when: datetime) -> float:
    """Seconds from 2018-01-01T00:00:00Z to ``when`` (ICESat-2 ``delta_time``)."""
    return (when - EPOCH_2018).total_seconds()


@dataclass(frozen=True)
class CircularOrbit:
    """A circular orbit whose ground track rotates under it at ``earth_rate``.

    ``node_time`` is the ascending-node crossing (seconds since 2018-01-01 UTC) and
    ``node_lon`` its longitude (deg east).
    """

    inclination_deg: float
    period_s: float
    node_time: float
    node_lon: float
    earth_rate: float = SOLAR_DAY_RATE
    altitude_m: float = 496_000.0

    def arg_of_latitude(self, t: ArrayLike) -> FloatArray:
        """Argument of latitude (rad) at times ``t`` (seconds since 2018)."""
        return 2.0 * np.pi * (np.asarray(t, dtype=np.float64) - self.node_time) / self.period_s

    def subpoint(self, t: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Latitude and longitude (deg) of the ground track at times ``t``."""
        t = np.asarray(t, dtype=np.float64)
        u = self.arg_of_latitude(t)
        inc = np.radians(self.inclination_deg)
        lat = np.degrees(np.arcsin(np.clip(np.sin(inc) * np.sin(u), -1.0, 1.0)))
        dlon = np.arctan2(np.cos(inc) * np.sin(u), np.cos(u))
        lon = self.node_lon + np.degrees(dlon - self.earth_rate * (t - self.node_time))
        return lat, wrap_lon(lon)

    def heading(self, t: ArrayLike, dt: float = 0.05) -> FloatArray:
        """Ground-track azimuth (deg clockwise from north) at times ``t``."""
        t = np.asarray(t, dtype=np.float64)
        lat0, lon0 = self.subpoint(t - dt)
        lat1, lon1 = self.subpoint(t + dt)
        return initial_bearing(lat0, lon0, lat1, lon1)

    def along_track_m(self, t: ArrayLike) -> FloatArray:
        """Distance along the orbit from the ascending node (m), as ICESat-2 counts it."""
        return self.arg_of_latitude(t) % (2.0 * np.pi) * EARTH_RADIUS_M

    def ground_speed(self) -> float:
        """Nominal ground speed (m/s)."""
        return 2.0 * np.pi * EARTH_RADIUS_M / self.period_s

    def time_at_latitude(self, lat_deg: float, ascending: bool, near: float) -> float:
        """The time closest to ``near`` when the track crosses ``lat_deg`` going north or south."""
        inc = np.radians(self.inclination_deg)
        u = float(np.arcsin(np.sin(np.radians(lat_deg)) / np.sin(inc)))
        if not ascending:
            u = np.pi - u
        t0 = self.node_time + u / (2.0 * np.pi) * self.period_s
        k = round((near - t0) / self.period_s)
        return t0 + k * self.period_s


def wrap_lon(lon: ArrayLike) -> FloatArray:
    """Longitudes wrapped to [-180, 180)."""
    return (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0


def initial_bearing(
    lat0: ArrayLike, lon0: ArrayLike, lat1: ArrayLike, lon1: ArrayLike
) -> FloatArray:
    """Great-circle azimuth (deg, 0-360) from point 0 to point 1."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1) - np.asarray(lon0))
    y = np.sin(dl) * np.cos(p1)
    x = np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def destination(
    lat: ArrayLike, lon: ArrayLike, bearing_deg: ArrayLike, distance_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The point ``distance_m`` from (lat, lon) along the great circle of ``bearing_deg``."""
    p = np.radians(lat)
    lam = np.radians(lon)
    b = np.radians(bearing_deg)
    d = np.asarray(distance_m, dtype=np.float64) / EARTH_RADIUS_M
    sin_p2 = np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(b)
    p2 = np.arcsin(np.clip(sin_p2, -1.0, 1.0))
    lam2 = lam + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * sin_p2)
    return np.degrees(p2), wrap_lon(np.degrees(lam2))


def haversine_m(lat0: ArrayLike, lon0: ArrayLike, lat1: ArrayLike, lon1: ArrayLike) -> FloatArray:
    """Great-circle distance (m)."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dp = p1 - p0
    dl = np.radians(np.asarray(lon1) - np.asarray(lon0))
    a = np.sin(dp / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def offset_track(
    lat: ArrayLike, lon: ArrayLike, heading_deg: ArrayLike, across_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Shift points ``across_m`` to the right of the direction of travel (negative: left)."""
    return destination(lat, lon, np.asarray(heading_deg) + 90.0, across_m)


def to_unit_vectors(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Earth-centred unit vectors, shape (..., 3)."""
    p, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)], axis=-1)


def local_xy_m(
    lat: ArrayLike, lon: ArrayLike, lat0: float, lon0: float
) -> tuple[FloatArray, FloatArray]:
    """East and north distances (m) from (lat0, lon0), equirectangular (fine over ~100 km)."""
    x = np.radians(wrap_lon(np.asarray(lon) - lon0)) * EARTH_RADIUS_M * np.cos(np.radians(lat0))
    y = np.radians(np.asarray(lat, dtype=np.float64) - lat0) * EARTH_RADIUS_M
    return x, y


def solar_elevation(t_since_2018: ArrayLike, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Solar elevation angle (deg) from the NOAA low-precision formulae (about 0.1 deg)."""
    t = np.asarray(t_since_2018, dtype=np.float64)
    days = t / 86_400.0 + (EPOCH_2018 - datetime(2000, 1, 1, 12, tzinfo=UTC)).days
    g = np.radians((357.529 + 0.98560028 * days) % 360.0)
    q = (280.459 + 0.98564736 * days) % 360.0
    ecl_lon = np.radians(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 0.00000036 * days)
    decl = np.arcsin(np.sin(eps) * np.sin(ecl_lon))
    ra = np.degrees(np.arctan2(np.cos(eps) * np.sin(ecl_lon), np.cos(ecl_lon)))
    eqt_deg = q - ra  # equation of time, degrees
    eqt_deg = (eqt_deg + 180.0) % 360.0 - 180.0
    utc_hours = (t % 86_400.0) / 3600.0
    hour_angle = np.radians(15.0 * (utc_hours - 12.0) + np.asarray(lon) + eqt_deg)
    p = np.radians(lat)
    sin_el = np.sin(p) * np.sin(decl) + np.cos(p) * np.cos(decl) * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))


def solar_azimuth(t_since_2018: ArrayLike, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Solar azimuth (deg clockwise from north), from a finite difference of the sub-solar point."""
    t = np.asarray(t_since_2018, dtype=np.float64)
    days = t / 86_400.0 + (EPOCH_2018 - datetime(2000, 1, 1, 12, tzinfo=UTC)).days
    g = np.radians((357.529 + 0.98560028 * days) % 360.0)
    q = (280.459 + 0.98564736 * days) % 360.0
    ecl_lon = np.radians(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 0.00000036 * days)
    decl = np.degrees(np.arcsin(np.sin(eps) * np.sin(ecl_lon)))
    ra = np.degrees(np.arctan2(np.cos(eps) * np.sin(ecl_lon), np.cos(ecl_lon)))
    eqt_deg = (q - ra + 180.0) % 360.0 - 180.0
    sub_lon = wrap_lon(-15.0 * ((t % 86_400.0) / 3600.0 - 12.0) - eqt_deg)
    return initial_bearing(lat, lon, decl, sub_lon)


def scan_ground_distance_m(scan_angle_deg: ArrayLike, altitude_m: float) -> FloatArray:
    """Ground distance from nadir of a view at ``scan_angle_deg`` from an altitude (sphere)."""
    th = np.radians(np.asarray(scan_angle_deg, dtype=np.float64))
    ratio = (EARTH_RADIUS_M + altitude_m) / EARTH_RADIUS_M
    gamma = np.arcsin(np.clip(ratio * np.sin(np.abs(th)), -1.0, 1.0)) - np.abs(th)
    return np.sign(th) * gamma * EARTH_RADIUS_M


def swath_latlon(
    orbit: CircularOrbit, line_times: ArrayLike, scan_angles_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Pixel centres of a cross-track scanner: (lines, pixels) arrays of lat and lon (deg).

    Positive scan angles look to the right of the direction of flight.
    """
    t = np.asarray(line_times, dtype=np.float64)
    lat0, lon0 = orbit.subpoint(t)
    hdg = orbit.heading(t)
    dist = scan_ground_distance_m(scan_angles_deg, orbit.altitude_m)
    return destination(lat0[:, None], lon0[:, None], hdg[:, None] + 90.0, dist[None, :])
