"""The list of synthetic granules: names, times, tracks, swaths and providers.

Orbits are anchored on facts of the real granules (FORMATS.md): ATL03 RGT 258 descends through
59.5 N at 2018-10-15T12:43:57.696Z with its ascending crossing at 49.7032 E, which (with 1387
tracks in 91 days) also puts RGTs 235 and 296 across the Juneau Icefield, as in the tutorial;
the ATL07 orbit is fitted to the first and last gt1l segments of
ATL07-01_20190622055317_12980301; MODIS-Aqua is sun-synchronous with a 13:30 ascending node and
the top of the orbit at about 10:02:30 UTC on 2019-06-22, as the real 10:00:01 granule shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from .geometry import SOLAR_DAY_RATE, CircularOrbit, seconds_since_2018, wrap_lon

ICESAT2_INCLINATION = 92.0
ICESAT2_PERIOD_S = 91 * 86_400.0 / 1387
"""1387 reference ground tracks repeat every 91 days."""
RGT_NODE_SHIFT_DEG = 360.0 * 91.0 / 1387.0
"""Westward shift of the ascending node from one RGT to the next."""
JUNEAU_BBOX = (-135.1977, 58.3325, -133.3410, 58.9839)
"""Tutorial bounding box (W, S, E, N) of the Juneau Icefield."""
ARCTIC_BBOX = (-62.8, 81.7, -56.4, 83.0)
"""Tutorial bounding box (W, S, E, N) for the ATL07/MODIS pairing."""
JUNEAU_LAT = 58.66
"""Latitude at which Juneau tracks are placed across the icefield."""

NSIDC_CLOUD_ONLY = ("NSIDC_CPRD",)
POCLOUD = ("POCLOUD",)
ICESAT2_VERSION = "007"
"""The current ICESat-2 release (006 is retired, and NSIDC's on-premises NSIDC_ECS copies with
it: see sandbox/README.md, "Sources for the catalog")."""
ICESAT2_REVISION = "01"

MODIS_SHORT_NAME = "MODIS_A-JPL-L2P-v2019.0"


def utc(*args: int, microsecond: int = 0) -> datetime:
    """A timezone-aware UTC datetime."""
    return datetime(*args, microsecond=microsecond, tzinfo=UTC)


def from_2018(seconds: float) -> datetime:
    """UTC datetime of ICESat-2 ``delta_time`` seconds."""
    return datetime(2018, 1, 1, tzinfo=UTC) + timedelta(seconds=float(seconds))


@dataclass(frozen=True)
class TrackSpec:
    """An ICESat-2 pass: its orbit, the stretch simulated, and its RGT/cycle/region."""

    orbit: CircularOrbit
    t_start: float
    """First shot (seconds since 2018)."""
    t_end: float
    """Last shot (seconds since 2018)."""
    rgt: int
    cycle: int
    region: int
    sc_orient: int = 0
    """0 backward (gt1l/gt2l/gt3l strong), 1 forward."""
    juneau: bool = True
    """Surface from the synthetic icefield (else generic land/sea or sea ice)."""
    segment_scale: float = 1.0
    """ATL07: fraction of the usual number of segments per beam (season granules: fewer)."""
    follow_ice_edge: bool = False
    """ATL07: segments only on and near the MODIS scene's sea ice; open water there is sea
    surface (season granules; the 2019-06-22 granules ignore the scene)."""


@dataclass(frozen=True)
class SwathSpec:
    """A 5-minute MODIS-Aqua granule."""

    orbit: CircularOrbit
    t_start: float
    """First scan (seconds since 2018)."""
    day: bool


@dataclass(frozen=True)
class GranuleSpec:
    """Everything needed to write one granule and describe it in CMR."""

    product: str
    """``"ATL03"``, ``"ATL07"`` or ``"MODIS_L2P"``."""
    short_name: str
    version: str
    providers: tuple[str, ...]
    name: str
    index: int
    """Per-granule offset added to the seed."""
    track: TrackSpec | None = None
    swath: SwathSpec | None = None
    paged: bool = False
    """NSIDC cloud-optimized layout (paged aggregation, 100,000-element photon chunks)."""
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    fault: str = ""
    """A deliberate sandbox fault, said in the CMR record: the file is cut short (not valid
    HDF5) so that tutorial 04 can show a batch job reporting one broken granule."""

    @property
    def granule_ur(self) -> str:
        """CMR GranuleUR: NSIDC uses the file name, PO.DAAC drops ``.nc``."""
        return self.name[:-3] if self.name.endswith(".nc") else self.name

    @property
    def day_night(self) -> str:
        """CMR DayNightFlag."""
        if self.swath is None:
            return "Unspecified"
        return "Day" if self.swath.day else "Night"


# ---------------------------------------------------------------- ICESat-2 ATL03 over Juneau

TARGET_START = seconds_since_2018(utc(2018, 10, 15, 12, 43, 57, microsecond=696_000))
"""Real CMR BeginningDateTime of the target granule (descending through 59.5 N)."""
TARGET_ASCENDING_CROSSING = 49.70324528818096


def _anchor_node_time() -> float:
    inc = np.radians(ICESAT2_INCLINATION)
    u = np.pi - np.arcsin(np.sin(np.radians(59.5)) / np.sin(inc))
    return TARGET_START - u / (2 * np.pi) * ICESAT2_PERIOD_S


def rgt_orbit(rgt: int, *, cross_lon: float | None = None, ascending: bool = True) -> CircularOrbit:
    """The orbit of a cycle-1 RGT; with ``cross_lon``, moved to cross JUNEAU_LAT there."""
    k = rgt - 258
    orbit = CircularOrbit(
        ICESAT2_INCLINATION,
        ICESAT2_PERIOD_S,
        _anchor_node_time() + k * ICESAT2_PERIOD_S,
        float(wrap_lon(TARGET_ASCENDING_CROSSING - k * RGT_NODE_SHIFT_DEG)),
    )
    if cross_lon is None:
        return orbit
    t = orbit.time_at_latitude(JUNEAU_LAT, ascending, orbit.node_time + orbit.period_s / 2)
    _, lon = orbit.subpoint(t)
    return replace(orbit, node_lon=float(wrap_lon(orbit.node_lon + cross_lon - float(lon))))


def _region_start(orbit: CircularOrbit, region: int, near: float) -> float:
    """Nominal start of an ATL03 region (2: 27 N ascending, 6: 59.5 N descending)."""
    if region == 2:
        return orbit.time_at_latitude(27.0, True, near)
    if region == 6:
        return orbit.time_at_latitude(59.5, False, near)
    raise ValueError(region)


def _atl03_name(t: float, rgt: int, cycle: int, region: int, version: str, revision: str) -> str:
    stamp = from_2018(t).strftime("%Y%m%d%H%M%S")
    return f"ATL03_{stamp}_{rgt:04d}{cycle:02d}{region:02d}_{version}_{revision}.h5"


@dataclass(frozen=True)
class _Pass:
    rgt: int
    ascending: bool
    cross_lon: float | None
    lat_span: tuple[float, float]
    name_time: str | None = None
    real_geometry: bool = True


# Real crossings per the repeat-track geometry (235, 258, 296); the others are placed across
# the icefield on other October days (see the report: only three cycle-1 RGTs really do).
_JUNEAU_PASSES: tuple[_Pass, ...] = (
    _Pass(235, True, None, (58.55, 58.77), "20181014001049"),
    _Pass(258, False, None, (59.50, 58.10), "20181015124359"),
    _Pass(296, True, None, (58.53, 58.75), "20181018000228"),
    _Pass(220, False, -134.55, (58.79, 58.57), real_geometry=False),
    _Pass(273, True, -133.80, (58.55, 58.77), real_geometry=False),
    _Pass(311, False, -134.30, (58.82, 58.60), real_geometry=False),
    _Pass(349, True, -133.55, (58.50, 58.72), real_geometry=False),
    _Pass(387, False, -134.75, (58.76, 58.54), real_geometry=False),
)
# Two real passes elsewhere (Bristol Bay / Alaska Peninsula), outside the Juneau box.
_ELSEWHERE_PASSES: tuple[_Pass, ...] = (
    _Pass(259, False, None, (58.85, 58.58)),
    _Pass(297, True, None, (58.40, 58.67)),
)
TARGET = "ATL03_20181015124359_02580106_007_01.h5"
"""The granule tutorial 02 reads (version 007, as NSIDC names it: ``_007_01``)."""


def _atl03_track(p: _Pass, juneau: bool) -> tuple[TrackSpec, float]:
    orbit = rgt_orbit(p.rgt, cross_lon=p.cross_lon, ascending=p.ascending)
    near = orbit.node_time + orbit.period_s / 2
    t_a = orbit.time_at_latitude(p.lat_span[0], p.ascending, near)
    t_b = orbit.time_at_latitude(p.lat_span[1], p.ascending, near)
    region = 2 if p.ascending else 6
    if p.rgt == 258:
        t_a = TARGET_START
    track = TrackSpec(
        orbit=orbit,
        t_start=float(t_a),
        t_end=float(t_b),
        rgt=p.rgt,
        cycle=1,
        region=region,
        sc_orient=0,
        juneau=juneau,
    )
    return track, _region_start(orbit, region, near)


def atl03_specs() -> list[GranuleSpec]:
    """ATL03 v007 granules: cloud only (NSIDC_CPRD), in NSIDC's cloud-optimized (paged) layout.

    Version 006 and the on-premises copies are retired (sandbox/README.md lists the sources).
    """
    specs: list[GranuleSpec] = []
    index = 0
    for juneau, passes in ((True, _JUNEAU_PASSES), (False, _ELSEWHERE_PASSES)):
        for p in passes:
            track, region_start = _atl03_track(p, juneau)
            stamp = p.name_time or from_2018(region_start + 1.304).strftime("%Y%m%d%H%M%S")
            name = (
                f"ATL03_{stamp}_{p.rgt:04d}{1:02d}{track.region:02d}"
                f"_{ICESAT2_VERSION}_{ICESAT2_REVISION}.h5"
            )
            note = "" if p.real_geometry else "track placed across the icefield"
            index += 1
            specs.append(
                GranuleSpec(
                    "ATL03",
                    "ATL03",
                    ICESAT2_VERSION,
                    NSIDC_CLOUD_ONLY,
                    name,
                    index,
                    track=track,
                    paged=True,
                    note=note,
                )
            )
    return specs


# ---------------------------------------------------------------- ICESat-2 ATL07 in the Arctic

ATL07_FIRST = (82.38431982, -55.10896068, 46_419_293.64266939)
ATL07_LAST = (72.60970985, 145.05389832, 46_419_681.87862704)
ATL07_GT1L_SEGMENTS = 235_584


def _fit_atl07_orbit(inclination: float) -> CircularOrbit:
    lat1, lon1, t1 = ATL07_FIRST
    lat2, _, t2 = ATL07_LAST
    i = np.radians(inclination)
    u1 = np.arcsin(np.sin(np.radians(lat1)) / np.sin(i))
    u2 = np.pi - np.arcsin(np.sin(np.radians(lat2)) / np.sin(i))
    n = (u2 - u1) / (t2 - t1)
    t_node = t1 - u1 / n
    d1 = np.arctan2(np.cos(i) * np.sin(u1), np.cos(u1))
    node = lon1 - np.degrees(d1 - SOLAR_DAY_RATE * (t1 - t_node))
    return CircularOrbit(inclination, float(2 * np.pi / n), float(t_node), float(wrap_lon(node)))


@lru_cache(maxsize=1)
def atl07_orbit() -> CircularOrbit:
    """Orbit through the first and last gt1l segments of the real granule (inclination fitted)."""
    lo, hi = 91.9, 92.15
    target = ATL07_LAST[1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        _, lon = _fit_atl07_orbit(mid).subpoint(ATL07_LAST[2])
        if float(wrap_lon(lon - target)) < 0:
            lo = mid
        else:
            hi = mid
    return _fit_atl07_orbit(0.5 * (lo + hi))


def atl07_specs() -> list[GranuleSpec]:
    """The two ATL07 granules of the tutorial's bbox search on 2019-06-22."""
    o1 = atl07_orbit()
    o2 = replace(
        o1,
        node_time=o1.node_time + 9 * o1.period_s,
        node_lon=float(wrap_lon(o1.node_lon - 9 * RGT_NODE_SHIFT_DEG)),
    )
    # ATL07 names carry the nominal granule start; sea ice begins ~20 min later (as for 1298)
    t2_name = seconds_since_2018(utc(2019, 6, 22, 20, 1, 54))
    t2_start = o2.time_at_latitude(74.5, True, t2_name + 1_300.0)
    t2_end = o2.time_at_latitude(81.2, False, t2_start + 600.0)
    return [
        GranuleSpec(
            "ATL07",
            "ATL07",
            ICESAT2_VERSION,
            NSIDC_CLOUD_ONLY,
            f"ATL07-01_20190622055317_12980301_{ICESAT2_VERSION}_{ICESAT2_REVISION}.h5",
            101,
            track=TrackSpec(
                o1, ATL07_FIRST[2], ATL07_LAST[2], 1298, 3, 1, sc_orient=0, juneau=False
            ),
        ),
        GranuleSpec(
            "ATL07",
            "ATL07",
            ICESAT2_VERSION,
            NSIDC_CLOUD_ONLY,
            f"ATL07-01_20190622200154_13070301_{ICESAT2_VERSION}_{ICESAT2_REVISION}.h5",
            102,
            track=TrackSpec(
                o2, float(t2_start), float(t2_end), 1307, 3, 1, sc_orient=0, juneau=False
            ),
        ),
    ]


# ---------------------------------------------------------------- MODIS-Aqua L2P

AQUA_INCLINATION = 98.2
AQUA_PERIOD_S = 16 * 86_400.0 / 233
"""233 orbits in 16 days."""
AQUA_TOP_TIME = seconds_since_2018(utc(2019, 6, 22, 10, 2, 30))
"""The real 10:00:01 granule contains the northernmost point of its orbit."""
MODIS_LINES = 2030
MODIS_PIXELS = 1354
MODIS_GRANULE_S = 299.0


@lru_cache(maxsize=1)
def aqua_orbit() -> CircularOrbit:
    """Sun-synchronous Aqua orbit, ascending node at 13:30 local mean solar time."""
    t_node = AQUA_TOP_TIME - AQUA_PERIOD_S / 4.0
    utc_hours = (t_node % 86_400.0) / 3600.0
    node_lon = 15.0 * (13.5 - utc_hours)
    return CircularOrbit(
        AQUA_INCLINATION, AQUA_PERIOD_S, t_node, float(wrap_lon(node_lon)), altitude_m=705_000.0
    )


def modis_name(t: float, day: bool) -> str:
    """Real PO.DAAC L2P file name for a granule starting at ``t``."""
    stamp = from_2018(t).strftime("%Y%m%d%H%M%S")
    flag = "D" if day else "N"
    return f"{stamp}-JPL-L2P_GHRSST-SSTskin-MODIS_A-{flag}-v02.0-fv01.0.nc"


def modis_specs() -> list[GranuleSpec]:
    """The MODIS-Aqua L2P granules of 2019-06-22."""
    specs = []
    for i, (hh, mm, day) in enumerate(MODIS_GRANULES):
        t = seconds_since_2018(utc(2019, 6, 22, hh, mm, 1))
        specs.append(
            GranuleSpec(
                "MODIS_L2P",
                MODIS_SHORT_NAME,
                "2019.0",
                POCLOUD,
                modis_name(t, day),
                201 + i,
                swath=SwathSpec(aqua_orbit(), t, day),
            )
        )
    return specs


MODIS_GRANULES: tuple[tuple[int, int, bool], ...] = (
    # Day swaths over the Arctic: every one but 06:40 intersects the tutorial box.
    (5, 5, True),  # 73 min before the ICESat-2 pass: clear over the track (the pairing winner)
    (6, 40, True),  # closest start, but its swath stops short of the box
    (6, 45, True),  # closest in time over the box, but a cloud deck covers the track
    (8, 20, True),
    (8, 25, True),
    (10, 0, True),  # the granule the 2021 tutorial paired
    (11, 40, True),
    # Night swaths on the descending (01:30 local time) side, over the Southern Ocean.
    (7, 20, False),
    (7, 25, False),
)


def all_specs() -> list[GranuleSpec]:
    """Every granule, sorted by (short_name, version, name)."""
    specs = atl03_specs() + atl07_specs() + modis_specs()
    return sorted(specs, key=lambda s: (s.short_name, s.version, s.name))


# ---------------------------------------------------------------- the season of tutorial 04

SEASON_BBOX = (-15.0, 76.0, 15.0, 81.0)
"""Tutorial 04's bounding box (W, S, E, N): Fram Strait, across the sea-ice edge."""
SEASON_TEMPORAL = ("2019-06-23T00:00:00Z", "2019-06-26T23:59:59Z")
"""Tutorial 04's days (none is 2019-06-22: tutorial 03's searches keep their results)."""
SEASON_SEGMENT_SCALE = 0.05
"""Season ATL07 granules hold 1/20 of the usual segments (about 200 m apart): small files."""
SEASON_TRACK_LAT = 72.0
"""Season ATL07 granules run from this latitude going north to it going south."""
FAULT_TRUNCATED_BYTES = 1 << 20
"""A faulty granule keeps only its first MiB."""

# ICESat-2 orbits after RGT 1298 (2019-06-22 05:53) whose track crosses SEASON_BBOX, each
# with the reason it is in the season. Morning passes have MODIS-Aqua Day swaths within two
# hours; evening ones have none (Aqua passes over Fram Strait in the early morning and afternoon).
SEASON_ATL07_ORBITS: tuple[tuple[int, str], ...] = (
    (13, ""),  # RGT 1311, 2019-06-23 02:4x, ascending across the box
    (22, ""),  # RGT 1320, 2019-06-23 17:0x, descending: no MODIS within 2 h
    (28, ""),  # RGT 1326, 2019-06-24 02:2x
    (29, ""),  # RGT 1327, 2019-06-24 03:5x, clips the west of the box
    (37, ""),  # RGT 1335, 2019-06-24 16:4x, no MODIS within 2 h
    (43, ""),  # RGT 1341, 2019-06-25 02:0x, clips the east of the box
    (
        44,
        "DELIBERATE SANDBOX FAULT: this ATL07 file was cut short on purpose (only its first "
        "1,048,576 bytes are kept, so it is not valid HDF5) to let tutorial 04 show a batch "
        "job that reports one unreadable granule and completes the others. Not a real defect "
        "of the NSIDC archive.",
    ),  # RGT 1342, 2019-06-25 03:3x
    (52, ""),  # RGT 1350, 2019-06-25 16:1x, no MODIS within 2 h
    (59, ""),  # RGT 1357, 2019-06-26 03:1x
    (67, ""),  # RGT 1365, 2019-06-26 15:5x, no MODIS within 2 h
)
SEASON_MODIS_GRANULES: tuple[tuple[int, int, int, bool], ...] = (
    # (day of June 2019, hour, minute, Day) of MODIS-Aqua swaths over Fram Strait: the ones
    # within two hours of a morning ICESat-2 pass (the real ones are more).
    (23, 2, 30, True),  # 11 min before RGT 1311
    (24, 1, 35, True),  # 46 min before RGT 1326
    (24, 3, 15, True),  # 54 min after RGT 1326, 40 min before RGT 1327
    (25, 2, 20, True),  # 20 min after RGT 1341, 74 min before RGT 1342
    (26, 3, 0, True),  # 14 min before RGT 1357, but its swath ends at the track
    (26, 3, 5, True),  # 9 min before RGT 1357
)


def season_orbit(k: int) -> CircularOrbit:
    """The ICESat-2 orbit ``k`` revolutions after the one of RGT 1298 on 2019-06-22."""
    o1 = atl07_orbit()
    return replace(
        o1,
        node_time=o1.node_time + k * o1.period_s,
        node_lon=float(wrap_lon(o1.node_lon - k * RGT_NODE_SHIFT_DEG)),
    )


def season_specs() -> list[GranuleSpec]:
    """ATL07 and MODIS-Aqua L2P granules of 2019-06-23 to 06-26 over Fram Strait (tutorial 04).

    ATL07 granules have fewer segments (`SEASON_SEGMENT_SCALE`) that follow the MODIS scene's
    ice edge; one of them is a deliberate fault. MODIS swaths have the real size.
    """
    specs: list[GranuleSpec] = []
    for i, (k, fault) in enumerate(SEASON_ATL07_ORBITS):
        orbit = season_orbit(k)
        top = orbit.node_time + orbit.period_s / 4.0
        t_start = orbit.time_at_latitude(SEASON_TRACK_LAT, True, top)
        t_end = orbit.time_at_latitude(SEASON_TRACK_LAT, False, top)
        rgt = 1298 + k
        stamp = from_2018(orbit.node_time + 7.0).strftime("%Y%m%d%H%M%S")
        specs.append(
            GranuleSpec(
                "ATL07",
                "ATL07",
                ICESAT2_VERSION,
                NSIDC_CLOUD_ONLY,
                f"ATL07-01_{stamp}_{rgt:04d}0301_{ICESAT2_VERSION}_{ICESAT2_REVISION}.h5",
                301 + i,
                track=TrackSpec(
                    orbit,
                    float(t_start),
                    float(t_end),
                    rgt,
                    3,
                    1,
                    sc_orient=0,
                    juneau=False,
                    segment_scale=SEASON_SEGMENT_SCALE,
                    follow_ice_edge=True,
                ),
                fault=fault,
            )
        )
    for i, (day, hh, mm, is_day) in enumerate(SEASON_MODIS_GRANULES):
        t = seconds_since_2018(utc(2019, 6, day, hh, mm, 1))
        specs.append(
            GranuleSpec(
                "MODIS_L2P",
                MODIS_SHORT_NAME,
                "2019.0",
                POCLOUD,
                modis_name(t, is_day),
                401 + i,
                swath=SwathSpec(aqua_orbit(), t, is_day),
            )
        )
    return sorted(specs, key=lambda s: (s.short_name, s.version, s.name))
