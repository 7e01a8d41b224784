"""The pairing rule of tutorials 03 and 04: which MODIS swath goes with an ICESat-2 track, and
which of its pixels goes with each segment.

The rule, stated once (`PAIRING_RULE`) and used by notebook 03, by the task functions of
notebook 04 (``notebooks/season_tasks.py``) and by the benchmark:

1. **Candidates** (`candidates_for`): Day MODIS granules (MODIS measures SST differently by
   night) whose middle is within `PairingRule.max_offset` of the ICESat-2 granule, by CMR times.
2. **Choice** (`choose_modis`): among the Day candidates within `max_offset` of the overpass over
   the study box, the closest in time that *sees* at least `min_seen` of the box segments: a
   pixel with any value (``quality_level >= 1``) within `radius_m`.
3. **Pairing** (`pair_nearest`): each segment gets the nearest *valid* pixel within `radius_m`;
   for a sea surface temperature, valid means ``quality_level >= min_quality`` and neither the
   land nor the sea-ice bit of ``l2p_flags`` (`PairingRule.trustworthy`).

`pair_nearest` drops invalid pixels *before* it builds pyresample's k-d tree: the tree is smaller
(two-thirds of a polar swath is cloud), and a segment next to a rejected pixel still gets the
nearest accepted one. Where ``pyresample.kd_tree.resample_nearest`` on the masked swath gives a
value, `pair_nearest` gives the same one. `Pairing` keeps the neighbours, so more variables of the
swath (``quality_level``, ``sst_dtime``, ...) are sampled without a new search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from helpers.tables import granule_name

__all__ = ["PAIRING_RULE", "Pairing", "candidates_for", "choose_modis", "pair_nearest"]


@dataclass(frozen=True)
class Pairing:
    """The nearest valid swath pixel of each point, kept for sampling more variables.

    Examples
    --------
    >>> p = Pairing(np.array([3, -1]), np.array([420.0, np.nan]), np.array([271.5, np.nan]),
    ...             (2, 2), 1000.0)
    >>> p.found.tolist(), p.count
    ([True, False], 1)
    """

    index: np.ndarray
    """Flat index (``np.ravel``) of each point's swath pixel, -1 when none within the radius."""
    distance: np.ndarray
    """Distance to that pixel in metres (NaN when none)."""
    values: np.ndarray
    """The swath values at the points (float, NaN when none)."""
    swath_shape: tuple[int, ...]
    radius_m: float

    @property
    def found(self) -> np.ndarray:
        """True where a valid pixel was found within the radius."""
        return self.index >= 0

    @property
    def count(self) -> int:
        """Number of points paired with a pixel."""
        return int(self.found.sum())

    def sample(self, values: npt.ArrayLike, fill_value: float = np.nan) -> np.ndarray:
        """Values of another variable of the same swath at the paired pixels (`fill_value` for
        points without one; the result is float when it is NaN).

        Examples
        --------
        >>> p = Pairing(np.array([2, -1]), np.array([10.0, np.nan]), np.array([1.0, np.nan]),
        ...             (2, 2), 1000.0)
        >>> p.sample(np.array([[5, 6], [7, 8]])).tolist()
        [7.0, nan]
        """
        flat = np.ma.getdata(np.asarray(values)).reshape(-1)
        if flat.size != int(np.prod(self.swath_shape)):
            raise ValueError(
                f"values has {flat.size} elements; the swath has shape {self.swath_shape}."
            )
        dtype = np.result_type(flat.dtype, np.float64 if np.isnan(fill_value) else flat.dtype)
        out = np.full(self.index.shape, fill_value, dtype=dtype)
        out[self.found] = flat[self.index[self.found]]
        return out


def pair_nearest(
    swath_lons: npt.ArrayLike,
    swath_lats: npt.ArrayLike,
    swath_values: npt.ArrayLike,
    point_lons: npt.ArrayLike,
    point_lats: npt.ArrayLike,
    *,
    radius_m: float = 1000.0,
    valid: npt.ArrayLike | None = None,
) -> Pairing:
    """Pair each point with the nearest valid swath pixel within `radius_m` (pyresample).

    The swath (`swath_lons`, `swath_lats`, `swath_values`: 2-D, degrees) and the points
    (`point_lons`, `point_lats`: 1-D, e.g. ATL07 segments). NaN or masked values are invalid
    pixels, and so are pixels where `valid` (optional, the swath's shape) is False, e.g.
    ``PAIRING_RULE.trustworthy(quality_level, l2p_flags)``. `radius_m` is the largest distance of
    a pair (the tutorials use ``PAIRING_RULE.radius_m``). The `Pairing` has ``.values`` at the
    points (NaN where no valid pixel is within the radius), ``.index`` and ``.distance`` of the
    pixels, and ``.sample(other)`` for other variables.

    Examples
    --------
    >>> lon, lat = np.meshgrid(np.linspace(-60.0, -59.0, 50), np.linspace(82.0, 82.2, 40))
    >>> sst = np.where(lon < -59.5, np.nan, 271.0 + (lat - 82.0))  # NaN: cloud in the west
    >>> p = pair_nearest(lon, lat, sst, [-59.2, -59.9, -50.0], [82.101, 82.1, 82.1])
    >>> p.values.round(3).tolist(), p.count, p.index[1:].tolist()
    ([271.103, nan, nan], 1, [-1, -1])
    """
    from pyresample import geometry, kd_tree

    lons = np.asarray(swath_lons, dtype=np.float64)
    lats = np.asarray(swath_lats, dtype=np.float64)
    values = swath_values if np.ma.isMaskedArray(swath_values) else np.asarray(swath_values)
    if lons.shape != lats.shape or lons.shape != np.shape(values):
        raise ValueError(
            f"swath_lons {lons.shape}, swath_lats {lats.shape} and swath_values "
            f"{np.shape(values)} must have the same shape."
        )
    plons = np.asarray(point_lons, dtype=np.float64).reshape(-1)
    plats = np.asarray(point_lats, dtype=np.float64).reshape(-1)
    data = np.ma.getdata(values)
    ok = np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90) & ~np.ma.getmaskarray(values)
    if data.dtype.kind == "f":
        ok &= np.isfinite(data)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    flat_ok = np.flatnonzero(ok)
    index = np.full(plons.shape, -1, dtype=np.int64)
    distance = np.full(plons.shape, np.nan)
    if flat_ok.size and plons.size:
        source = geometry.SwathDefinition(
            lons=lons.reshape(-1)[flat_ok], lats=lats.reshape(-1)[flat_ok]
        )
        target = geometry.SwathDefinition(lons=plons, lats=plats)
        valid_in, valid_out, nearest, dist = kd_tree.get_neighbour_info(
            source, target, radius_of_influence=radius_m, neighbours=1
        )
        source_index = np.flatnonzero(valid_in)  # positions in `flat_ok` the tree holds
        targets = np.flatnonzero(valid_out)
        hit = nearest < source_index.size
        index[targets[hit]] = flat_ok[source_index[nearest[hit]]]
        distance[targets[hit]] = dist[hit]
    found = Pairing(index, distance, np.empty(0), lons.shape, float(radius_m))
    sampled = found.sample(data.astype(np.float64, copy=False))
    return Pairing(index, distance, sampled, lons.shape, float(radius_m))


def _times(granule: Mapping[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Begin and end of a granule's data from its CMR record (UTC, timezone-naive)."""
    span = granule["umm"]["TemporalExtent"]["RangeDateTime"]
    begin = pd.Timestamp(span["BeginningDateTime"]).tz_convert(None)
    end = pd.Timestamp(span.get("EndingDateTime") or span["BeginningDateTime"]).tz_convert(None)
    return begin, end


def _middle(granule: Mapping[str, Any]) -> pd.Timestamp:
    begin, end = _times(granule)
    return begin + (end - begin) / 2


@dataclass(frozen=True)
class PairingRule:
    """The settings of the pairing rule, and the tests made of them (one instance:
    `PAIRING_RULE`; ``dataclasses.replace(PAIRING_RULE, radius_m=2000)`` for a variant).

    Examples
    --------
    >>> print(PAIRING_RULE)
    Day MODIS swaths within 2 h of the overpass; the closest that sees 25% of the box segments (a \
pixel with a value within 1000 m). Trustworthy SST: quality_level >= 4, l2p_flags neither land (2) \
nor ice (4).
    >>> q, f = np.array([5, 5, 3, 0]), np.array([0, PAIRING_RULE.l2p_ice, 0, 0])
    >>> PAIRING_RULE.trustworthy(q, f).tolist(), PAIRING_RULE.seen(q).tolist()
    ([True, False, False, False], [True, True, True, False])
    """

    radius_m: float = 1000.0
    """How far from a segment a pixel may be, in metres (MODIS pixels are 1 km at nadir)."""
    min_seen: float = 0.25
    """A swath must see (a pixel with any value within `radius_m`) this fraction of the box
    segments."""
    min_quality: int = 4
    """GHRSST ``quality_level`` of a trustworthy SST: 4 acceptable, 5 best."""
    l2p_land: int = 2
    """``l2p_flags`` bit of land (GHRSST GDS 2.0)."""
    l2p_ice: int = 4
    """``l2p_flags`` bit of sea ice."""
    max_offset: timedelta = field(default=timedelta(hours=2))
    """A MODIS swath whose middle is farther in time from the ICESat-2 overpass is no candidate."""

    def __post_init__(self) -> None:
        if not self.radius_m > 0 or not 0 <= self.min_seen <= 1:
            raise ValueError(
                f"radius_m must be > 0 and min_seen within 0..1; got {self.radius_m!r}, "
                f"{self.min_seen!r}."
            )
        if not isinstance(self.max_offset, timedelta) or self.max_offset < timedelta(0):
            raise ValueError(f"max_offset must be a timedelta >= 0; got {self.max_offset!r}.")

    def __str__(self) -> str:
        hours = self.max_offset / timedelta(hours=1)
        return (
            f"Day MODIS swaths within {hours:g} h of the overpass; the closest that sees "
            f"{self.min_seen:.0%} of the box segments (a pixel with a value within "
            f"{self.radius_m:g} m). Trustworthy SST: quality_level >= {self.min_quality}, "
            f"l2p_flags neither land ({self.l2p_land}) nor ice ({self.l2p_ice})."
        )

    def seen(self, quality_level: npt.ArrayLike) -> np.ndarray:
        """True where MODIS retrieved a value at all (``quality_level`` 0 means no data)."""
        return np.asarray(quality_level) >= 1

    def trustworthy(self, quality_level: npt.ArrayLike, l2p_flags: npt.ArrayLike) -> np.ndarray:
        """True where the value is a sea surface temperature to trust: ``quality_level >=
        min_quality``, and neither land nor sea ice."""
        bits = np.asarray(l2p_flags).astype(np.int64) & (self.l2p_land | self.l2p_ice)
        return (np.asarray(quality_level) >= self.min_quality) & (bits == 0)

    def is_day(self, granule: Mapping[str, Any]) -> bool:
        """True for a Day MODIS granule: CMR's ``DayNightFlag``, else its name (``-MODIS_A-D-``).

        Examples
        --------
        >>> PAIRING_RULE.is_day({"umm": {"GranuleUR": "x-MODIS_A-D-v02.0"}})
        True
        """
        flag = granule["umm"].get("DataGranule", {}).get("DayNightFlag", "Unspecified")
        if flag in ("Day", "Night"):
            return flag == "Day"
        return "-MODIS_A-D-" in granule_name(granule)  # no flag in CMR: the file name says it

    def seen_fraction(
        self,
        swath_lons: npt.ArrayLike,
        swath_lats: npt.ArrayLike,
        quality_level: npt.ArrayLike,
        point_lons: npt.ArrayLike,
        point_lats: npt.ArrayLike,
    ) -> float:
        """The fraction of points with a seen pixel within `radius_m` (0.0 without points).

        Examples
        --------
        >>> lon, lat = np.meshgrid(np.linspace(0, 1, 20), np.linspace(79, 79.2, 20))
        >>> q = np.where(lat < 79.1, 1, 0)
        >>> PAIRING_RULE.seen_fraction(lon, lat, q, [0.5, 0.5], [79.02, 79.18])
        0.5
        """
        if np.size(point_lons) == 0:
            return 0.0
        quality = np.asarray(quality_level)
        found = pair_nearest(
            swath_lons,
            swath_lats,
            quality.astype(np.float64),
            point_lons,
            point_lats,
            radius_m=self.radius_m,
            valid=self.seen(quality),
        )
        return float(found.found.mean())


PAIRING_RULE = PairingRule()
"""The rule of the tutorials."""


def candidates_for(
    atl07_granule: Mapping[str, Any],
    modis_granules: Iterable[Mapping[str, Any]],
    rule: PairingRule = PAIRING_RULE,
) -> list[Mapping[str, Any]]:
    """The Day MODIS granules that may pair with an ATL07 granule, closest in time first.

    CMR times only: a Day granule is a candidate when its middle is within ``rule.max_offset``
    of some moment of the ATL07 granule. Cheap; run it before any file is read.

    Examples
    --------
    >>> def g(name, begin, end, flag="Day"):
    ...     return {"umm": {"GranuleUR": name, "DataGranule": {"DayNightFlag": flag},
    ...             "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": begin,
    ...                                                  "EndingDateTime": end}}}}
    >>> atl07 = g("ATL07", "2019-06-23T02:43:00Z", "2019-06-23T02:51:00Z", "Unspecified")
    >>> modis = [g("far", "2019-06-23T00:30:01Z", "2019-06-23T00:35:00Z"),
    ...          g("night", "2019-06-23T02:40:01Z", "2019-06-23T02:45:00Z", "Night"),
    ...          g("late", "2019-06-23T04:10:01Z", "2019-06-23T04:15:00Z"),
    ...          g("close", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z")]
    >>> [granule_name(m) for m in candidates_for(atl07, modis)]
    ['close', 'late']
    """
    begin, end = _times(atl07_granule)
    middle = begin + (end - begin) / 2
    found = [
        m
        for m in modis_granules
        if rule.is_day(m) and begin - rule.max_offset <= _middle(m) <= end + rule.max_offset
    ]
    return sorted(found, key=lambda m: (abs(_middle(m) - middle), granule_name(m)))


@dataclass(frozen=True)
class Choice:
    """What `choose_modis` decided, and what it looked at.

    Examples
    --------
    >>> Choice(None, "no MODIS within 2 h", []).offset is None
    True
    """

    granule: Mapping[str, Any] | None
    """The chosen MODIS granule, or None."""
    status: str
    """``"chosen"``, ``"no MODIS within 2 h"`` or ``"no MODIS sees the track"``."""
    screened: list[tuple[Mapping[str, Any], pd.Timedelta, float]]
    """(granule, middle minus overpass, seen fraction) of every candidate screened, in order;
    the fraction is NaN for one that could not be read."""

    @property
    def offset(self) -> pd.Timedelta | None:
        """The chosen granule's time from the overpass (its middle minus the overpass)."""
        return self.screened[-1][1] if self.granule is not None else None

    @property
    def seen(self) -> float:
        """The fraction of the box segments the chosen granule sees (NaN when none)."""
        return self.screened[-1][2] if self.granule is not None else float("nan")


def choose_modis(
    candidates: Iterable[Mapping[str, Any]],
    overpass: Any,
    seen_fraction: Callable[[Mapping[str, Any]], float],
    rule: PairingRule = PAIRING_RULE,
) -> Choice:
    """Choose the MODIS granule for an ICESat-2 overpass of the study box, by the rule.

    Among the Day `candidates` whose middle is within ``rule.max_offset`` of `overpass`, closest
    in time first, the first that sees at least ``rule.min_seen`` of the box segments.
    `seen_fraction(granule)` says what a granule sees (``rule.seen_fraction`` of its pixels, or
    NaN when it cannot be read); it is called closest first, and not after the winner, so it may
    read the file.

    Examples
    --------
    >>> def g(name, begin, end):
    ...     return {"umm": {"GranuleUR": name, "DataGranule": {"DayNightFlag": "Day"},
    ...             "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": begin,
    ...                                                  "EndingDateTime": end}}}}
    >>> modis = [g("cloudy", "2019-06-22T06:15:01Z", "2019-06-22T06:20:00Z"),
    ...          g("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z"),
    ...          g("too-late", "2019-06-22T09:00:01Z", "2019-06-22T09:05:00Z")]
    >>> seen = {"cloudy": 0.0, "sees": 0.9, "too-late": 1.0}
    >>> choice = choose_modis(modis, "2019-06-22T06:18", lambda m: seen[granule_name(m)])
    >>> choice.status, granule_name(choice.granule), round(choice.offset.total_seconds() / 60)
    ('chosen', 'sees', -40)
    >>> [granule_name(m) for m, _, _ in choice.screened]
    ['cloudy', 'sees']
    """
    overpass = pd.Timestamp(overpass)
    if overpass.tzinfo is not None:
        overpass = overpass.tz_convert(None)
    near = [(_middle(m) - overpass, m) for m in candidates if rule.is_day(m)]
    near = [(offset, m) for offset, m in near if abs(offset) <= rule.max_offset]
    near.sort(key=lambda item: (abs(item[0]), granule_name(item[1])))
    status = f"no MODIS within {rule.max_offset / timedelta(hours=1):g} h"
    screened: list[tuple[Mapping[str, Any], pd.Timedelta, float]] = []
    for offset, granule in near:
        seen = float(seen_fraction(granule))
        screened.append((granule, offset, seen))
        status = "no MODIS sees the track"
        if seen >= rule.min_seen:  # NaN (unreadable) never passes
            return Choice(granule, "chosen", screened)
    return Choice(None, status, screened)
