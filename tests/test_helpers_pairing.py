"""helpers.pairing: nearest valid pixel, neighbour info reused."""

from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers.pairing import pair_nearest


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
