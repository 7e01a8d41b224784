"""helpers.pairing: the pairing rule (quality, flags, radius, coverage, Day swaths, time window)
and the nearest valid pixel, neighbour info reused."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

import helpers
from helpers.pairing import PAIRING_RULE, candidates_for, choose_modis, pair_nearest


def _swath():
    lon, lat = np.meshgrid(np.linspace(-61.0, -59.0, 120), np.linspace(81.8, 82.4, 90))
    sst = np.ma.masked_array(271.0 + (lat - 81.8), mask=lon < -60.0)
    return lon, lat, sst


def test_masked_pixels_are_never_paired_and_far_points_get_nothing() -> None:
    lon, lat, sst = _swath()
    p = pair_nearest(lon, lat, sst, [-59.5, -60.5, -40.0], [82.1, 82.1, 82.1], radius_m=2000)
    assert p.found.tolist() == [True, False, False]
    assert np.isnan(p.values[1:]).all() and np.isfinite(p.distance[0]) and p.distance[0] < 2000
    assert p.values[0] == sst.data.reshape(-1)[p.index[0]]
    assert lon.reshape(-1)[p.index[0]] >= -60.0


def test_same_as_resample_nearest_where_that_pairs() -> None:
    from pyresample import geometry, kd_tree

    lon, lat, sst = _swath()
    rng = np.random.default_rng(1)
    plon, plat = rng.uniform(-61, -59, 3000), rng.uniform(81.8, 82.4, 3000)
    seed = kd_tree.resample_nearest(
        geometry.SwathDefinition(lons=lon, lats=lat),
        sst,
        geometry.SwathDefinition(lons=plon, lats=plat),
        radius_of_influence=5000,
        fill_value=None,
    )
    p = pair_nearest(lon, lat, sst, plon, plat, radius_m=5000)
    ok = ~np.ma.getmaskarray(seed)
    assert ok.sum() > 1000
    np.testing.assert_array_equal(p.values[ok], seed.data[ok])
    assert p.count > ok.sum()  # also pairs points whose nearest pixel is masked


def test_sample_reuses_the_pairs_and_valid_adds_a_mask() -> None:
    lon, lat, sst = _swath()
    quality = np.where(lat > 82.2, 5, 2)
    p = pair_nearest(lon, lat, sst, [-59.5, -59.5], [82.0, 82.3], radius_m=3000)
    assert p.sample(quality).tolist() == [2.0, 5.0]
    q = pair_nearest(lon, lat, sst, [-59.5, -59.5], [82.0, 82.3], radius_m=3000, valid=quality == 5)
    assert q.found.tolist() == [False, True]
    with pytest.raises(ValueError, match="swath has shape"):
        p.sample(np.zeros(3))


def test_shapes_must_agree_and_it_is_exported() -> None:
    lon, lat, sst = _swath()
    with pytest.raises(ValueError, match="same shape"):
        pair_nearest(lon, lat[:-1], sst, [0.0], [0.0])
    assert helpers.pair_nearest is pair_nearest


# ---------------------------------------------------------------- the rule


def granule(name: str, begin: str, end: str, day_night: str = "Day") -> dict:
    """A CMR record with what the rule reads."""
    return {
        "umm": {
            "GranuleUR": name,
            "DataGranule": {"DayNightFlag": day_night},
            "TemporalExtent": {
                "RangeDateTime": {"BeginningDateTime": begin, "EndingDateTime": end}
            },
        }
    }


ATL07 = granule("ATL07", "2019-06-22T06:14:53Z", "2019-06-22T06:21:22Z", "Unspecified")


def test_the_rule_is_one_frozen_object_that_notebooks_print() -> None:
    assert helpers.PAIRING_RULE is PAIRING_RULE
    assert (PAIRING_RULE.radius_m, PAIRING_RULE.min_seen, PAIRING_RULE.min_quality) == (
        1000.0,
        0.25,
        4,
    )
    assert (PAIRING_RULE.l2p_land, PAIRING_RULE.l2p_ice) == (2, 4)
    assert PAIRING_RULE.max_offset == timedelta(hours=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PAIRING_RULE.radius_m = 2000  # type: ignore[misc]
    assert "radius_m=1000.0" in repr(PAIRING_RULE)
    for name in ("PAIRING_RULE", "candidates_for", "choose_modis", "pair_nearest", "Pairing"):
        assert getattr(helpers, name) is getattr(helpers.pairing, name), name


def test_trustworthy_needs_quality_and_neither_land_nor_ice() -> None:
    quality = np.array([5, 4, 3, 5, 5, 5, 0])
    flags = np.array([0, 0, 0, 2, 4, 1, 0])  # 1: microwave, not a reason to reject
    assert PAIRING_RULE.trustworthy(quality, flags).tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert PAIRING_RULE.seen(quality).tolist() == [True] * 6 + [False]
    strict = dataclasses.replace(PAIRING_RULE, min_quality=5)
    assert strict.trustworthy(quality, flags).tolist()[:2] == [True, False]


def test_seen_fraction_counts_points_with_a_seen_pixel_within_the_radius() -> None:
    lat, lon = np.meshgrid(np.linspace(79.0, 79.1, 12), np.linspace(0.0, 0.05, 3), indexing="ij")
    quality = np.zeros(lat.shape)
    quality[:6] = 1  # the southern half retrieved something
    points = ([0.025] * 4, [79.01, 79.03, 79.08, 79.095])
    narrow = dataclasses.replace(PAIRING_RULE, radius_m=600)
    assert narrow.seen_fraction(lon, lat, quality, *points) == 0.5
    wide = dataclasses.replace(PAIRING_RULE, radius_m=50_000)
    assert wide.seen_fraction(lon, lat, quality, *points) == 1.0
    assert PAIRING_RULE.seen_fraction(lon, lat, quality, [], []) == 0.0


def test_candidates_are_day_swaths_within_the_window_closest_first() -> None:
    modis = [
        granule("late", "2019-06-22T07:55:01Z", "2019-06-22T08:00:00Z"),
        granule("night", "2019-06-22T06:10:01Z", "2019-06-22T06:15:00Z", "Night"),
        granule("close", "2019-06-22T06:05:01Z", "2019-06-22T06:10:00Z"),
        granule("too-late", "2019-06-22T08:30:01Z", "2019-06-22T08:35:00Z"),
        granule(
            "20190622062001-JPL-L2P_GHRSST-SSTskin-MODIS_A-D-v02.0-fv01.0",
            "2019-06-22T06:20:01Z",
            "2019-06-22T06:25:00Z",
            "Unspecified",  # no flag in CMR: the "-D-" of the name says Day
        ),
        granule(
            "20190622062501-MODIS_A-N-v02.0",
            "2019-06-22T06:25:01Z",
            "2019-06-22T06:30:00Z",
            "Unspecified",
        ),
    ]
    names = [helpers.granule_name(g) for g in candidates_for(ATL07, modis)]
    assert names == [
        "20190622062001-JPL-L2P_GHRSST-SSTskin-MODIS_A-D-v02.0-fv01.0",
        "close",
        "late",
    ]
    narrow = dataclasses.replace(PAIRING_RULE, max_offset=timedelta(minutes=15))
    assert [helpers.granule_name(g) for g in candidates_for(ATL07, modis, narrow)] == names[:2]


def test_choose_modis_takes_the_closest_day_swath_that_sees_enough() -> None:
    modis = [
        granule("far", "2019-06-22T03:00:01Z", "2019-06-22T03:05:00Z"),  # -3 h: outside
        granule("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z"),  # -40 min: chosen
        granule("broken", "2019-06-22T06:10:01Z", "2019-06-22T06:15:00Z"),  # -6 min: NaN
        granule("night", "2019-06-22T06:15:01Z", "2019-06-22T06:20:00Z", "Night"),
        granule("barely-not", "2019-06-22T06:20:01Z", "2019-06-22T06:25:00Z"),  # +4 min
        granule("also-sees", "2019-06-22T04:40:01Z", "2019-06-22T04:45:00Z"),  # never screened
    ]
    seen = {
        "far": 1.0,
        "sees": 0.25,
        "broken": np.nan,
        "night": 1.0,
        "barely-not": 0.2499,
        "also-sees": 1.0,
    }
    asked: list[str] = []

    def seen_fraction(g: dict) -> float:
        asked.append(helpers.granule_name(g))
        return seen[asked[-1]]

    choice = choose_modis(modis, pd.Timestamp("2019-06-22T06:18:00Z"), seen_fraction)
    assert choice.status == "chosen" and helpers.granule_name(choice.granule) == "sees"
    assert asked == ["barely-not", "broken", "sees"]  # closest first, stops at the winner
    assert round(choice.offset / pd.Timedelta(minutes=1)) == -40 and choice.seen == 0.25
    assert [helpers.granule_name(g) for g, _, _ in choice.screened] == asked


def test_choose_modis_says_why_nothing_was_chosen() -> None:
    cloudy = granule("cloudy", "2019-06-22T06:15:01Z", "2019-06-22T06:20:00Z")
    far = granule("far", "2019-06-22T01:00:01Z", "2019-06-22T01:05:00Z")
    nothing = choose_modis([cloudy], "2019-06-22T06:18", lambda g: 0.0)
    assert nothing.status == "no MODIS sees the track" and nothing.granule is None
    assert nothing.offset is None and np.isnan(nothing.seen)
    assert choose_modis([far], "2019-06-22T06:18", lambda g: 1.0).status == "no MODIS within 2 h"
    wider = dataclasses.replace(PAIRING_RULE, max_offset=timedelta(hours=6))
    assert choose_modis([far], "2019-06-22T06:18", lambda g: 1.0, wider).status == "chosen"


def test_a_variant_of_the_rule_with_impossible_settings_is_refused() -> None:
    with pytest.raises(ValueError, match="radius_m must be > 0"):
        dataclasses.replace(PAIRING_RULE, radius_m=0)
    with pytest.raises(ValueError, match="min_seen within 0..1"):
        dataclasses.replace(PAIRING_RULE, min_seen=25)  # a percentage where a fraction goes
    with pytest.raises(ValueError, match="max_offset must be a timedelta"):
        dataclasses.replace(PAIRING_RULE, max_offset=2)  # hours? minutes? say it
