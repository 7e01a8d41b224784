"""The granule catalog and the cache behind ``ensure_granules``."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from sandbox.granules import (
    GENERATOR_VERSION,
    cache_directory,
    ensure_granules,
    source_fingerprint,
    specs,
)
from sandbox.granules.catalog import JUNEAU_BBOX, MODIS_SHORT_NAME
from sandbox.granules.model import Granule

SMALL = "ATL03_20181014001049_02350102_007_01.h5"


def test_catalog_names_and_providers() -> None:
    cat = specs()
    assert cat == sorted(cat, key=lambda s: (s.short_name, s.version, s.name))
    names = [s.name for s in cat]
    assert len(names) == len(set(names))
    # today's catalog (sandbox/README.md, "Sources for the catalog"): ICESat-2 006 and the
    # on-premises NSIDC_ECS copies are retired; ATL03 and ATL07 007 are cloud only
    assert {s.version for s in cat if s.short_name.startswith("ATL")} == {"007"}
    assert all(s.providers == ("NSIDC_CPRD",) for s in cat if s.short_name.startswith("ATL"))
    atl03 = [s for s in cat if s.short_name == "ATL03"]
    assert "ATL03_20181015124359_02580106_007_01.h5" in names
    assert "ATL03_20181014001049_02350102_007_01.h5" in names
    assert "ATL03_20181018000228_02960102_007_01.h5" in names
    assert len(atl03) == 10 and all(s.paged for s in atl03)  # cloud-optimized since 2025-07-31
    for s in atl03:
        assert re.fullmatch(r"ATL03_2018\d{10}_\d{4}01(02|06)_007_01\.h5", s.name)
    modis = [s for s in cat if s.short_name == MODIS_SHORT_NAME]
    assert len(modis) == 9 and all(s.providers == ("POCLOUD",) for s in modis)
    assert {s.day_night for s in modis} == {"Day", "Night"}
    for s in modis:
        assert re.fullmatch(
            r"\d{14}-JPL-L2P_GHRSST-SSTskin-MODIS_A-[DN]-v02\.0-fv01\.0\.nc", s.name
        )
        assert s.granule_ur == s.name[:-3]


def test_juneau_tracks_cross_the_box_and_the_others_do_not() -> None:
    w, s, e, n = JUNEAU_BBOX
    for spec in specs():
        if spec.short_name != "ATL03":
            continue
        track = spec.track
        lat, lon = track.orbit.subpoint([track.t_start, track.t_end])
        mid_lat, mid_lon = track.orbit.subpoint(0.5 * (track.t_start + track.t_end))
        inside = (w < mid_lon < e) and (s < mid_lat < n)
        assert inside == track.juneau, spec.name


@pytest.fixture()
def cache_root(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_ensure_granules_cold_then_warm(cache_root: Path) -> None:
    cold = ensure_granules(cache_root, only=[SMALL])
    assert len(cold) == 1
    g = cold[0]
    assert isinstance(g, Granule)
    directory = cache_directory(cache_root)
    seed = g.path.parent.name.split("seed")[1]
    assert directory.name == f"v{GENERATOR_VERSION}-{source_fingerprint()}-seed{seed}"
    assert g.path == directory / SMALL and g.path.stat().st_size == g.size
    assert not list(directory.glob("*.part"))
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["files"][SMALL]["md5"] == g.md5
    assert g.begin < g.end and g.begin.tzinfo is not None
    assert g.orbit["rgt"] == 235 and g.orbit["start_direction"] == "A"
    assert g.day_night == "Unspecified"

    start = time.perf_counter()
    warm = ensure_granules(cache_root, only=[SMALL])
    assert time.perf_counter() - start < 1.0
    assert warm == cold

    # a file removed behind the cache's back is regenerated, identically
    g.path.unlink()
    again = ensure_granules(cache_root, only=[SMALL])
    assert again[0].md5 == g.md5
