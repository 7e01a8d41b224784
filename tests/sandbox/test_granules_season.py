"""The season granules of tutorial 04: Fram Strait, 2019-06-23 to 06-26, one deliberate fault.

They are added to the catalog without touching the granules of tutorials 01-03 (other days,
other seeds), are small (ATL07 with 1/20 of the segments), follow the MODIS scene's ice edge,
regenerate byte for byte, and are found by the season's CMR search but not by tutorial 03's.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import h5py
import numpy as np
import pytest
import requests
import shapely
from sandbox_http import edl_token, run_python, session
from sandbox_shared import umm_errors

from sandbox.catalog.records import FAULT_ATTRIBUTE
from sandbox.granules import (
    DEFAULT_SEED,
    ensure_granules,
    generate_file,
    season_specs,
    served_specs,
    specs,
)
from sandbox.granules.catalog import (
    ARCTIC_BBOX,
    FAULT_TRUNCATED_BYTES,
    MODIS_GRANULE_S,
    MODIS_LINES,
    MODIS_PIXELS,
    MODIS_SHORT_NAME,
    SEASON_BBOX,
    SEASON_SEGMENT_SCALE,
    SEASON_TEMPORAL,
    from_2018,
)
from sandbox.granules.modis_scene import ice_edge_at
from sandbox.service import Sandbox

ATL07 = "ATL07-01_20190623022317_13110301_007_01.h5"
FAULTY = "ATL07-01_20190625031621_13420301_007_01.h5"
MODIS = "20190623023001-JPL-L2P_GHRSST-SSTskin-MODIS_A-D-v02.0-fv01.0.nc"
CMR = "https://cmr.earthdata.nasa.gov/search"
UMM_G = "schemas/umm-g-1.6.6/umm-g-json-schema.json"
DAY_OF_TUTORIAL_03 = "2019-06-22T00:00:00Z,2019-06-22T23:59:59Z"


def _spec(name: str):
    return next(s for s in season_specs() if s.name == name)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _span(spec) -> tuple:
    if spec.track is not None:
        return from_2018(spec.track.t_start), from_2018(spec.track.t_end)
    return from_2018(spec.swath.t_start), from_2018(spec.swath.t_start + MODIS_GRANULE_S)


# ---------------------------------------------------------------- the catalog


def test_season_is_added_beside_the_tutorial_catalog() -> None:
    season, tutorial = season_specs(), specs()
    names = [s.name for s in season]
    assert len(names) == len(set(names))
    assert not set(names) & {s.name for s in tutorial}
    assert served_specs() == sorted(
        tutorial + season, key=lambda s: (s.short_name, s.version, s.name)
    )
    indices = [s.index for s in season]  # seed offsets shared with no other granule
    assert len(set(indices)) == len(indices)
    assert not set(indices) & {s.index for s in tutorial}
    atl07 = [s for s in season if s.short_name == "ATL07"]
    modis = [s for s in season if s.short_name == MODIS_SHORT_NAME]
    assert len(atl07) >= 6 and len(modis) >= 4
    assert all(s.providers == ("NSIDC_CPRD",) and s.version == "007" for s in atl07)
    assert all(s.track.segment_scale == SEASON_SEGMENT_SCALE for s in atl07)
    assert all(s.track.follow_ice_edge for s in atl07)
    assert all(s.providers == ("POCLOUD",) and s.day_night == "Day" for s in modis)


def test_no_season_granule_touches_the_day_of_tutorial_03() -> None:
    first, last = SEASON_TEMPORAL
    for spec in season_specs():
        begin, end = _span(spec)
        assert begin.isoformat() > "2019-06-23" and end.isoformat() < "2019-06-27", spec.name
        assert first[:10] <= f"{begin:%Y-%m-%d}" <= last[:10]


def test_exactly_one_faulty_granule_says_so() -> None:
    faulty = [s for s in served_specs() if s.fault]
    assert [s.name for s in faulty] == [FAULTY]
    assert faulty[0].fault.startswith("DELIBERATE SANDBOX FAULT")


def test_every_season_atl07_track_crosses_the_box() -> None:
    w, s, e, n = SEASON_BBOX
    for spec in season_specs():
        if spec.track is None:
            continue
        t = np.linspace(spec.track.t_start, spec.track.t_end, 4000)
        lat, lon = spec.track.orbit.subpoint(t)
        inside = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
        assert inside.any(), spec.name


# ---------------------------------------------------------------- the files


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, object]]:
    out = tmp_path_factory.mktemp("season")
    return {name: generate_file(_spec(name), out, DEFAULT_SEED) for name in (ATL07, MODIS, FAULTY)}


@pytest.mark.parametrize("name", [ATL07, FAULTY])
def test_season_files_regenerate_byte_for_byte(generated, tmp_path: Path, name: str) -> None:
    again, _ = generate_file(_spec(name), tmp_path, DEFAULT_SEED)
    assert _md5(again) == _md5(generated[name][0])


def test_season_atl07_is_small_and_follows_the_ice_edge(generated) -> None:
    path, meta = generated[ATL07]
    assert path.stat().st_size < 8e6
    with h5py.File(path) as f:
        assert f.attrs["sandbox_note"].startswith(b"SYNTHETIC")
        group = f["gt1l/sea_ice_segments"]
        lat, lon = group["latitude"][:], group["longitude"][:]
        height = group["heights/height_segment_height"][:]
        ssh_flag = group["heights/height_segment_ssh_flag"][:]
        assert set(f) >= {"gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r", "orbit_info"}
    n_full = 235_584
    assert 0.8 * SEASON_SEGMENT_SCALE * n_full < lat.size < 1.2 * SEASON_SEGMENT_SCALE * n_full
    edge = ice_edge_at(lat, lon, DEFAULT_SEED)
    water = lat <= edge
    w, s, e, n = SEASON_BBOX
    in_box = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    assert 0.05 < water[in_box].mean() < 0.5  # in the box the track crosses the ice edge
    assert (ssh_flag[water] == 1).all()
    assert lat.min() > (edge - 1.0).min() - 0.01  # no segments far out in the open ocean
    ok = height < 1e30
    on_water = np.median(height[water & ok])
    on_ice = np.median(height[~water & ok & (ssh_flag == 0)])
    assert abs(on_water) < 0.3 and 0.1 < on_ice - on_water < 0.6
    assert meta.begin.isoformat().startswith("2019-06-23T02:4")


def test_season_modis_has_the_real_size_and_sees_the_same_ice(generated) -> None:
    path, meta = generated[MODIS]
    with h5py.File(path) as f:
        lat, lon = f["lat"][:], f["lon"][:]
        flags = f["l2p_flags"][0]
        assert lat.shape == (MODIS_LINES, MODIS_PIXELS)
        assert f["sea_surface_temperature"].chunks == (1, 1015, 677)
        assert f.attrs["day_night_flag"][0] == b"Day"
    w, s, e, n = SEASON_BBOX
    box = (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n) & ((flags & 2) == 0)
    assert box.sum() > 10_000
    ice = (flags & 4) > 0
    edge = ice_edge_at(lat[box], lon[box], DEFAULT_SEED)
    far_north, far_south = lat[box] > edge + 0.1, lat[box] < edge - 0.1
    assert ice[box][far_north].mean() > 0.97 and ice[box][far_south].mean() < 0.03
    assert shapely.Polygon(meta.footprint).intersects(shapely.box(*SEASON_BBOX))


def test_the_faulty_file_is_cut_short_and_not_hdf5(generated) -> None:
    path, meta = generated[FAULTY]
    assert path.stat().st_size == FAULT_TRUNCATED_BYTES
    assert path.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"  # starts as HDF5 ...
    with pytest.raises(OSError, match="truncated"):  # ... but cannot be opened
        h5py.File(path, "r")
    assert meta.begin.isoformat().startswith("2019-06-25")  # described from the full data


# ---------------------------------------------------------------- served by the sandbox


@pytest.fixture(scope="module")
def season_sandbox(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("season-cache")
    granules = ensure_granules(cache, only=[ATL07, FAULTY, MODIS])
    sandbox = Sandbox(
        port_base=0, cache_dir=tmp_path_factory.mktemp("season-run"), granules=granules
    ).start()
    yield sandbox
    sandbox.stop()


def test_the_faulty_record_says_it_is_a_deliberate_fault(season_sandbox: Sandbox) -> None:
    catalog = season_sandbox.catalog
    assert catalog is not None
    faulty = [r for r in catalog.granules if r.granule.name == FAULTY]
    assert {r.provider for r in faulty} == {"NSIDC_CPRD"}
    for record in catalog.granules:
        assert umm_errors(UMM_G, record.umm) == [], record.granule_ur
        attributes = {a["Name"]: a["Values"] for a in record.umm["AdditionalAttributes"]}
        if record.granule.name == FAULTY:
            assert attributes[FAULT_ATTRIBUTE][0].startswith("DELIBERATE SANDBOX FAULT")
            files = record.umm["DataGranule"]["ArchiveAndDistributionInformation"]
            assert files[0]["SizeInBytes"] == FAULT_TRUNCATED_BYTES  # what is really served
        else:
            assert FAULT_ATTRIBUTE not in attributes


def _names(http: requests.Session, **params: str) -> list[str]:
    response = http.get(f"{CMR}/granules.umm_json", params={**params, "page_size": 100}, timeout=30)
    assert response.status_code == 200, response.text
    return sorted(
        item["umm"]["DataGranule"]["Identifiers"][0]["Identifier"]
        for item in response.json()["items"]
    )


def test_season_search_finds_them_and_tutorial_03_search_does_not(
    season_sandbox: Sandbox,
) -> None:
    http = session(season_sandbox)
    season = {
        "bounding_box": ",".join(map(str, SEASON_BBOX)),
        "temporal": ",".join(SEASON_TEMPORAL),
    }
    assert _names(http, short_name="ATL07", provider="NSIDC_CPRD", **season) == [ATL07, FAULTY]
    assert _names(http, short_name=MODIS_SHORT_NAME, provider="POCLOUD", **season) == [MODIS]
    tutorial_03 = {"bounding_box": ",".join(map(str, ARCTIC_BBOX)), "temporal": DAY_OF_TUTORIAL_03}
    for short_name in ("ATL07", MODIS_SHORT_NAME):
        assert _names(http, short_name=short_name, **tutorial_03) == []


def test_the_faulty_file_is_served_as_it_is(season_sandbox: Sandbox) -> None:
    catalog = season_sandbox.catalog
    assert catalog is not None
    record = next(
        r for r in catalog.granules if r.granule.name == FAULTY and r.provider == "NSIDC_CPRD"
    )
    url = next(u["URL"] for u in record.umm["RelatedUrls"] if u["Type"] == "GET DATA")
    assert timedelta(0) < record.granule.end - record.granule.begin < timedelta(minutes=15)
    http = session(season_sandbox)
    response = http.get(url, headers={"Authorization": f"Bearer {edl_token(season_sandbox)}"})
    assert response.status_code == 200
    assert len(response.content) == FAULT_TRUNCATED_BYTES


# ---------------------------------------------------------------- tutorial 04 on Dask workers

TTL_S = 6.0
SEASON_ON_DASK = """
import json, sys, time, warnings
sys.path.insert(0, {notebooks!r})  # notebook 04's folder: its season_tasks.py
import earthaccess
from dask.distributed import Client, LocalCluster
import helpers
import season_tasks

BBOX, TEMPORAL, TTL = {bbox!r}, {temporal!r}, {ttl!r}
helpers.retry_transient_errors()
status = helpers.login_status(earthaccess.login())
atl07 = earthaccess.search_data(
    short_name="ATL07", provider="NSIDC_CPRD", bounding_box=BBOX, temporal=TEMPORAL
)
modis = earthaccess.search_data(
    short_name="MODIS_A-JPL-L2P-v2019.0", provider="POCLOUD", bounding_box=BBOX, temporal=TEMPORAL
)


def choose(granule, candidates):
    try:
        return season_tasks.choose_swath(granule, candidates, BBOX)
    except Exception as err:
        return {{"atl07": helpers.granule_name(granule), "status": type(err).__name__}}


def inherited():
    import os
    guard = sys.modules.get("_earthdata_sandbox_guard")
    return [guard is not None and guard.installed(), os.environ.get("HTTPS_PROXY", "")]


with LocalCluster(
    n_workers=2, threads_per_worker=1, processes=True, dashboard_address='127.0.0.1:0'
) as cluster, Client(cluster) as client:
    client.upload_file({notebooks!r} + "/season_tasks.py")  # as notebook 04 does
    workers = sorted(client.run(inherited).values())
    candidates = [helpers.candidates_for(g, modis) for g in atl07]
    rows = client.gather(client.map(choose, atl07, candidates, pure=False))
    time.sleep(TTL + 1)  # every S3 credential issued so far has expired
    chosen = [(a, r) for a, r in zip(atl07, rows) if r["status"] == "chosen"]
    by_name = {{helpers.granule_name(m): m for m in modis}}
    futures = [
        client.submit(season_tasks.pair_granules, a, by_name[r["modis"]], BBOX, pure=False)
        for a, r in chosen
    ]
    summaries = [summary for summary, _ in client.gather(futures)]
print(json.dumps({{
    "in_region": status.in_region,
    "workers": workers,
    "statuses": sorted(r["status"] for r in rows),
    "paired": [s["status"] for s in summaries],
    "sst_segments": [s["sst_segments"] for s in summaries],
}}))
"""


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory):
    """The three granules again, with S3 credentials that last TTL_S seconds."""
    cache = tmp_path_factory.mktemp("season-cache-ttl")
    granules = ensure_granules(cache, only=[ATL07, FAULTY, MODIS])
    sandbox = Sandbox(
        port_base=0,
        cache_dir=tmp_path_factory.mktemp("season-run-ttl"),
        credentials_ttl=TTL_S,
        granules=granules,
    ).start()
    yield sandbox
    sandbox.stop()


def test_dask_workers_pair_the_season_after_their_credentials_expired(short_lived: Sandbox):
    notebooks = str(Path(__file__).resolve().parents[2] / "notebooks")
    code = SEASON_ON_DASK.format(
        bbox=SEASON_BBOX, temporal=SEASON_TEMPORAL, ttl=TTL_S, notebooks=notebooks
    )
    result = run_python(short_lived, code, timeout=300)
    assert result["in_region"] is True  # S3 reads: the credentials matter
    proxy = short_lived.env()["HTTPS_PROXY"]
    assert result["workers"] == [[True, proxy], [True, proxy]]  # the guard and the routing
    assert result["statuses"] == ["OSError", "chosen"]  # the broken granule, reported
    assert result["paired"] == ["paired"] and result["sst_segments"][0] > 50
