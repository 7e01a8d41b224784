"""notebooks/season_tasks.py: tutorial 04's task functions (no network).

The task functions open local files here (`open_fresh` replaced), the credentials functions talk
to a stand-in of earthaccess; the sandbox test (tests/sandbox/test_granules_season.py) runs them
on Dask workers against the emulated services.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import sys
import threading
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import h5py
import numpy as np
import pandas as pd
import pytest
from earthaccess.exceptions import LoginStrategyUnavailable
from helpers_data import FLOAT32_MAX, make_atl07, make_modis_l2p
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import helpers
from helpers import PAIRING_RULE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))  # as the notebook
import season_tasks  # noqa: E402

BBOX = (-1.0, 79.0, 1.0, 80.0)
N_SEGMENTS = 200
ATL07_NAME = "ATL07-01_20190622055317_12980301_006_02.h5"


# ---------------------------------------------------------------- builders


def build_atl07(path: Path) -> Path:
    """A track along lon 0 from 78.5 N to 80.5 N (half of it in BBOX); heights 0.3 m on ice,
    0.0 m in the water south of 79.2 N (ssh_flag 1), fill at segment 0."""
    make_atl07(path, beams=("gt1l", "gt1r"), n_segments=N_SEGMENTS, sc_orient=(0,))
    lat = np.linspace(78.5, 80.5, N_SEGMENTS)
    with h5py.File(path, "r+") as f:
        group = f["gt1l/sea_ice_segments"]
        group["latitude"][:] = lat
        group["longitude"][:] = np.zeros(N_SEGMENTS)
        water = lat < 79.2
        height = np.where(water, 0.0, 0.3).astype("f4")
        height[0] = FLOAT32_MAX
        group["heights/height_segment_height"][:] = height
        group["heights"].create_dataset("height_segment_ssh_flag", data=water.astype("i1"))
    return path


def build_modis(path: Path, *, quality: int = 5, seen: bool = True) -> Path:
    """A 60 x 40 swath over BBOX (1 km-ish pixels would be too many: ~3 km here, so radius 3 km).

    Pixels south of 79.2 N are open water (quality `quality`), north of it sea ice (flag 4,
    quality 2); with ``seen=False`` every pixel has quality 0 (no data, as under thick cloud).
    """
    nj, ni = 60, 40
    make_modis_l2p(path, nj=nj, ni=ni)
    lat, lon = np.meshgrid(np.linspace(78.9, 80.1, nj), np.linspace(-1.0, 1.0, ni), indexing="ij")
    water = lat < 79.2
    with h5py.File(path, "r+") as f:
        f["lat"][:] = lat.astype("f4")
        f["lon"][:] = lon.astype("f4")
        raw_sst = np.where(water, -300, -1000).astype("i2")  # 271.65 K water, 268.15 K ice
        f["sea_surface_temperature"][0] = raw_sst
        q = np.where(water, quality, 2) if seen else np.zeros(lat.shape)
        f["quality_level"][0] = q.astype("i1")
        f["l2p_flags"][0] = np.where(water, 0, PAIRING_RULE.l2p_ice).astype("i2")
        f["sst_dtime"][0] = np.full(lat.shape, 60, "i2")
    return path


def granule(name: str, begin: str, end: str, day_night: str = "Day") -> dict[str, Any]:
    """A CMR record with what the task functions read (no links: opening is replaced)."""
    return {
        "meta": {"provider-id": "POCLOUD", "concept-id": f"G-{name}"},
        "umm": {
            "GranuleUR": name,
            "DataGranule": {"DayNightFlag": day_night},
            "TemporalExtent": {
                "RangeDateTime": {"BeginningDateTime": begin, "EndingDateTime": end}
            },
        },
    }


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    """Local files by granule name."""
    bad = tmp_path / "broken.nc"
    bad.write_bytes(b"<html>not a file</html>")
    return {
        ATL07_NAME: build_atl07(tmp_path / "atl07.h5"),
        "sees": build_modis(tmp_path / "sees.nc"),
        "cloudy": build_modis(tmp_path / "cloudy.nc", seen=False),
        "broken": bad,
    }


@pytest.fixture()
def local_opening(monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]) -> list[str]:
    """Task functions open local files instead of granules, and need no login; returns the
    names opened, in order."""
    opened: list[str] = []

    def open_local(g: Mapping[str, Any]) -> Any:
        name = helpers.granule_name(g)
        opened.append(name)
        return files[name].open("rb")

    monkeypatch.setattr(season_tasks, "open_fresh", open_local)
    monkeypatch.setattr(season_tasks, "login_worker", lambda: None)
    return opened


WIDE = dataclasses.replace(PAIRING_RULE, radius_m=3000)  # the test swath's pixels are ~3 km

# overpass over BBOX: the middle of the track's 388 s, 2019-06-22 06:18:08 UTC or so
ATL07 = granule(ATL07_NAME, "2019-06-22T06:14:53Z", "2019-06-22T06:21:22Z", "Unspecified")


# ---------------------------------------------------------------- reading


def test_read_track_takes_a_strong_beam_and_marks_the_box(files: dict[str, Path]) -> None:
    track = season_tasks.read_track(files[ATL07_NAME], BBOX)
    assert track.attrs["beam"] == "gt1l"  # sc_orient 0: the left beams are strong
    assert list(track.columns) == ["longitude", "latitude", "time", "height", "ssh_flag", "in_box"]
    assert len(track) == N_SEGMENTS and np.isnan(track["height"].iloc[0])
    inside = (track["latitude"] >= 79.0) & (track["latitude"] <= 80.0)
    assert (track["in_box"] == inside).all() and 0.4 < track["in_box"].mean() < 0.6
    assert str(track["time"].iloc[0]).startswith("2019-06-22 06:14:5")


def test_read_swath_decodes_the_one_element_attributes(files: dict[str, Path]) -> None:
    swath = season_tasks.read_swath(files["sees"])
    assert swath.lat.shape == (60, 40) and swath.sst.dtype == np.float32
    water = swath.lat < 79.2
    assert np.allclose(swath.sst[water], 271.65) and np.allclose(swath.sst[~water], 268.15)
    assert swath.start == np.datetime64("2019-06-22T10:00:01")
    assert np.all(swath.seconds == 60.0)
    trustworthy = PAIRING_RULE.trustworthy(swath.quality, swath.flags)
    assert trustworthy[water].all() and not trustworthy[~water].any()
    screening = season_tasks.read_swath(files["cloudy"], screening=True)
    assert (screening.quality == 0).all() and np.isnan(screening.sst).all()


# ---------------------------------------------------------------- pairing in memory


def small_swath(quality: np.ndarray, flags: np.ndarray | None = None) -> season_tasks.Swath:
    lat, lon = np.meshgrid(np.linspace(79.0, 79.1, 12), np.linspace(0.0, 0.05, 3), indexing="ij")
    return season_tasks.Swath(
        lon,
        lat,
        np.round(260.0 + 100 * (lat - 79.0), 3),
        quality.astype(np.int8),
        (np.zeros(lat.shape) if flags is None else flags).astype(np.int16),
        np.full(lat.shape, 30.0),
        np.datetime64("2019-06-23T02:30:00"),
    )


def test_pairing_filters_pixels_before_searching_the_nearest() -> None:
    quality = np.full((12, 3), 5)
    quality[5, :] = 2  # the row nearest the segment is not trustworthy: the next one is used
    swath = small_swath(quality)
    track = pd.DataFrame(
        {
            "longitude": [0.025, 0.025, 3.0],
            "latitude": [float(swath.lat[5, 0]), 79.05, 79.05],
            "time": pd.to_datetime(["2019-06-23T02:45:30"] * 3),
        }
    )
    paired = season_tasks.pair_track(track, swath, dataclasses.replace(PAIRING_RULE, radius_m=1500))
    first = paired.iloc[0]
    assert first["temperature"] == pytest.approx(swath.sst[5, 1])  # any value: the nearest row
    assert first["sst"] in (pytest.approx(swath.sst[4, 1]), pytest.approx(swath.sst[6, 1]))
    assert 0 < first["sst_distance"] < 1500
    assert first["sst_time_difference"] == pytest.approx(15.0)  # 02:45:30 - (02:30:00 + 30 s)
    assert np.isnan(paired.iloc[2][["sst", "temperature", "sst_distance"]].astype(float)).all()
    assert list(paired.columns[:3]) == ["longitude", "latitude", "time"]  # the track is kept


def test_ice_and_land_are_never_a_trustworthy_sst() -> None:
    flags = np.zeros((12, 3))
    flags[:, 0] = PAIRING_RULE.l2p_ice
    flags[:, 2] = PAIRING_RULE.l2p_land
    swath = small_swath(np.full((12, 3), 5), flags)
    trustworthy = PAIRING_RULE.trustworthy(swath.quality, swath.flags)
    assert trustworthy.sum() == 12 and trustworthy[:, 1].all()
    track = pd.DataFrame(
        {"longitude": [0.0], "latitude": [79.05], "time": pd.to_datetime(["2019-06-23T03:00"])}
    )
    paired = season_tasks.pair_track(track, swath, dataclasses.replace(PAIRING_RULE, radius_m=5000))
    assert paired["l2p_flags"].iloc[0] == PAIRING_RULE.l2p_ice  # nearest pixel: on the ice
    assert paired["sst_distance"].iloc[0] > 500  # the SST comes from the middle column


# ---------------------------------------------------------------- the task functions


def test_choose_swath_takes_the_closest_swath_that_sees_the_track(
    local_opening: list[str],
) -> None:
    candidates = [
        granule("cloudy", "2019-06-22T06:15:01Z", "2019-06-22T06:20:00Z"),  # closest, no data
        granule("broken", "2019-06-22T06:10:01Z", "2019-06-22T06:15:00Z"),  # next, not a file
        granule("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z"),  # -41 min: chosen
        granule("never-opened", "2019-06-22T04:20:01Z", "2019-06-22T04:25:00Z"),
    ]
    row = season_tasks.choose_swath(ATL07, candidates, BBOX, rule=WIDE)
    assert row["status"] == "chosen" and row["modis"] == "sees"
    assert row["beam"] == "gt1l" and row["box_segments"] == 100
    assert row["offset_min"] == -41 and row["seen_pct"] == 100.0
    assert str(row["overpass"]).startswith("2019-06-22 06:18")
    assert row["screened"].split("; ") == [
        "06:15 (-1 min): 0% seen",
        "06:10 (-6 min): unreadable (NotHDF5Error)",
        "05:35 (-41 min): 100% seen",
    ]
    assert local_opening == [ATL07_NAME, "cloudy", "broken", "sees"]  # stops at the winner


def test_choose_swath_says_why_nothing_was_chosen(local_opening: list[str]) -> None:
    cloudy = granule("cloudy", "2019-06-22T06:15:01Z", "2019-06-22T06:20:00Z")
    far = granule("sees", "2019-06-22T01:00:01Z", "2019-06-22T01:05:00Z")
    assert season_tasks.choose_swath(ATL07, [cloudy], BBOX)["status"] == "no MODIS sees the track"
    row = season_tasks.choose_swath(ATL07, [far], BBOX)
    assert row["status"] == "no MODIS within 2 h" and row["modis"] is None
    elsewhere = season_tasks.choose_swath(ATL07, [far], (100.0, 10.0, 101.0, 11.0))
    assert elsewhere["status"] == "track misses the box" and elsewhere["box_segments"] == 0


def test_choose_swath_raises_when_the_atl07_granule_is_broken(
    local_opening: list[str], files: dict[str, Path]
) -> None:
    files[ATL07_NAME].write_bytes(files[ATL07_NAME].read_bytes()[:4096])  # cut short
    with pytest.raises(OSError, match="truncated"):
        season_tasks.choose_swath(ATL07, [], BBOX)


def test_pair_granules_summarises_the_box_and_returns_every_segment(
    local_opening: list[str],
) -> None:
    modis = granule("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z")
    summary, segments = season_tasks.pair_granules(ATL07, modis, BBOX, rule=WIDE)
    assert len(segments) == N_SEGMENTS and (segments["atl07"] == ATL07_NAME).all()
    box = segments[segments["in_box"]]
    water, ice = box["latitude"] < 79.2, box["latitude"] > 79.25  # pixels up to 3 km away
    assert box.loc[water, "sst"].notna().all() and box.loc[ice, "sst"].isna().all()
    assert summary["status"] == "paired" and summary["modis"] == "sees"
    assert summary["box_segments"] == 100
    assert summary["sst_segments"] == int(box["sst"].notna().sum()) >= int(water.sum())
    assert summary["sst_median"] == pytest.approx(271.65)
    assert summary["height_median_sst"] == 0.0
    assert summary["height_median_ice"] == pytest.approx(0.3)
    assert summary["ice_surface_median"] == pytest.approx(268.15)
    # the ATL07 track is 2019-06-22 06:1x; the test swath's own time is 10:00:01 (+60 s)
    assert summary["time_difference_median"] < -200


class _ThrottledAfterRedirect(io.RawIOBase):
    """A file object read over HTTPS whose reads fail as aiohttp reports it after a DAAC's
    redirect: the error names the presigned S3 URL, credentials and user name in its query."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return offset if whence == 0 else 10_000_000

    def readinto(self, buffer: Any) -> int:
        url = URL(
            "https://podaac-ops-cumulus-protected.s3.us-west-2.amazonaws.com/sees.nc"
            "?A-userid=learner&X-Amz-Credential=ASIASECRET&X-Amz-Security-Token=FwoSECRET"
        )
        info = aiohttp.RequestInfo(
            URL("https://daac/sees.nc"), "GET", CIMultiDictProxy(CIMultiDict()), url
        )
        raise aiohttp.ClientResponseError(info, (), status=503, message="Service Unavailable")


def test_a_read_error_naming_a_presigned_url_is_reported_without_its_credentials(
    local_opening: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened_locally = season_tasks.open_fresh
    monkeypatch.setattr(
        season_tasks,
        "open_fresh",
        lambda g: (
            _ThrottledAfterRedirect() if helpers.granule_name(g) == "sees" else opened_locally(g)
        ),
    )
    modis = granule("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z")
    with pytest.raises(OSError) as raised:
        season_tasks.pair_granules(ATL07, modis, BBOX, rule=WIDE)
    shown = "".join(traceback.format_exception(raised.value))  # what the notebook's table holds
    assert str(raised.value).startswith("ClientResponseError reading sees: 503")
    assert "sees.nc?<query left out" in shown
    for secret in ("learner", "SECRET", "X-Amz"):
        assert secret not in shown
    # choosing: the candidate that cannot be read is skipped, as an unreadable S3 file is
    row = season_tasks.choose_swath(ATL07, [modis], BBOX, rule=WIDE)
    assert row["screened"].endswith("unreadable (OSError)") and row["modis"] is None


# ---------------------------------------------------------------- credentials


class FakeEarthaccess:
    """What the credential functions use of earthaccess, counting DAAC requests and logins."""

    def __init__(self, clock: list[datetime], ttl: timedelta, *, in_region: bool) -> None:
        self.clock, self.ttl, self.requests = clock, ttl, 0
        self.__auth__ = type("Auth", (), {"authenticated": True})()
        self.__store__ = type("Store", (), {"in_region": in_region})()
        self.opened: list[Any] = []
        self.logins: list[str] = []

    def get_s3_credentials(self, **kwargs: Any) -> dict[str, str]:
        self.requests += 1
        expiration = self.clock[0] + self.ttl
        return {
            "accessKeyId": f"key{self.requests}",
            "secretAccessKey": "secret",
            "sessionToken": f"token{self.requests}",
            "expiration": expiration.strftime("%Y-%m-%d %H:%M:%S+00:00"),
        }

    def open(self, granules: list[Any], **kwargs: Any) -> list[str]:
        self.opened.append((granules, kwargs))
        return ["https file"]

    def login(self, strategy: str) -> Any:
        self.logins.append(strategy)
        if strategy == "environment":  # nothing in this worker's environment
            raise LoginStrategyUnavailable("no EARTHDATA_* variables")
        self.__auth__.authenticated = True
        return self.__auth__


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeEarthaccess:
    clock = [datetime(2019, 6, 23, 2, 0, tzinfo=UTC)]
    fake = FakeEarthaccess(clock, timedelta(hours=1), in_region=True)
    monkeypatch.setattr(season_tasks, "earthaccess", fake)
    monkeypatch.setattr(season_tasks, "_credentials", {})
    return fake


def test_credentials_are_reused_until_they_near_their_expiration(fake: FakeEarthaccess) -> None:
    g = granule("a", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z")

    def now() -> datetime:
        return fake.clock[0]

    first = season_tasks.fresh_s3_credentials(g, now=now)
    fake.clock[0] += timedelta(minutes=49)  # 11 minutes left: kept
    assert season_tasks.fresh_s3_credentials(g, now=now) is first and fake.requests == 1
    fake.clock[0] += timedelta(minutes=2)  # 9 minutes left: replaced
    second = season_tasks.fresh_s3_credentials(g, now=now)
    assert second["accessKeyId"] == "key2" and fake.requests == 2
    fake.clock[0] += timedelta(minutes=30)
    assert season_tasks.fresh_s3_credentials(g, now=now, margin=timedelta(minutes=45)) is not second


def test_short_lived_credentials_are_fetched_for_every_file(fake: FakeEarthaccess) -> None:
    fake.ttl = timedelta(minutes=5)  # shorter than the margin
    g = granule("a", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z")
    for _ in range(3):
        season_tasks.fresh_s3_credentials(g, now=lambda: fake.clock[0])
    assert fake.requests == 3


def test_no_expiration_means_55_minutes() -> None:
    issued = datetime(2019, 6, 23, 2, 0, tzinfo=UTC)
    assert season_tasks._expiration({}, issued) == issued + timedelta(minutes=55)
    assert season_tasks._expiration({"expiration": "2019-06-23 03:00:00+00:00"}, issued) == (
        datetime(2019, 6, 23, 3, 0, tzinfo=UTC)
    )


def test_no_credentials_or_no_login_is_a_clear_error(
    fake: FakeEarthaccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = granule("a", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z")
    monkeypatch.setattr(fake, "get_s3_credentials", lambda **kwargs: {})
    with pytest.raises(helpers.S3CredentialsError, match="POCLOUD"):
        season_tasks.fresh_s3_credentials(g)
    fake.__auth__.authenticated = False
    with pytest.raises(helpers.NotLoggedInError, match="login_worker"):
        season_tasks.fresh_s3_credentials(g)


class CloudGranule(dict):
    """A stand-in for earthaccess's DataGranule: a dict with cloud_hosted and data_links."""

    cloud_hosted = True

    def data_links(self, access: str | None = None) -> list[str]:
        assert access == "direct"
        return ["s3://podaac-ops-cumulus-protected/MODIS_A-JPL-L2P-v2019.0/x.nc"]

    def get_s3_credentials_endpoint(self) -> str:
        return "https://archive.podaac.earthdata.nasa.gov/s3credentials"


def test_open_fresh_reads_s3_in_region_with_fresh_credentials(
    fake: FakeEarthaccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    made: list[dict[str, Any]] = []

    class FakeS3:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        def open(self, path: str, mode: str, **kwargs: Any) -> tuple[str, str, dict]:
            return path, mode, kwargs

    monkeypatch.setattr(s3fs, "S3FileSystem", FakeS3)
    g = CloudGranule(granule("x", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z"))
    path, mode, kwargs = season_tasks.open_fresh(g)
    assert path.startswith("s3://podaac-ops-cumulus-protected/") and mode == "rb"
    assert kwargs == {} and fake.opened == []
    assert made == [{"key": "key1", "secret": "secret", "token": "token1"}]


def test_open_fresh_elsewhere_is_earthaccess_open_over_https(fake: FakeEarthaccess) -> None:
    fake.__store__.in_region = False
    g = CloudGranule(granule("x", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z"))
    assert season_tasks.open_fresh(g) == "https file"
    assert fake.opened == [([g], {"show_progress": False})] and fake.requests == 0


def test_open_fresh_needs_a_login(fake: FakeEarthaccess) -> None:
    fake.__auth__.authenticated = False
    with pytest.raises(helpers.NotLoggedInError, match="login_worker"):
        season_tasks.open_fresh(granule("x", "2019-06-23T02:30:01Z", "2019-06-23T02:35:00Z"))


def test_login_worker_logs_in_once_from_its_own_environment_or_netrc(
    fake: FakeEarthaccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    retries: list[None] = []
    monkeypatch.setattr(helpers, "retry_transient_errors", lambda: retries.append(None))
    monkeypatch.setattr(helpers, "login_status", lambda auth: f"status of {auth.authenticated}")
    fake.__auth__.authenticated = False
    assert season_tasks.login_worker() == "status of True"
    assert season_tasks.login_worker() == "status of True"  # already in: no second login
    assert fake.logins == ["environment", "netrc"] and len(retries) == 1  # never a prompt


def test_login_worker_without_credentials_says_so(
    fake: FakeEarthaccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helpers, "retry_transient_errors", lambda: None)
    fake.__auth__.authenticated = False
    monkeypatch.setattr(fake, "login", lambda strategy: fake.logins.append(strategy))
    with pytest.raises(helpers.NotLoggedInError, match="EARTHDATA_TOKEN.*netrc"):
        season_tasks.login_worker()
    assert fake.logins == ["environment", "netrc"]


# ---------------------------------------------------------------- the GC guard (h5py#2019)


def test_gc_is_off_while_any_reader_is_inside_and_on_again_after() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_reader() -> None:
        with season_tasks.without_cyclic_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_reader)
    with season_tasks.without_cyclic_gc():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other reader is still inside
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_gc_comes_back_after_an_error_and_stays_off_if_it_was_off() -> None:
    with pytest.raises(OSError, match="503"), season_tasks.without_cyclic_gc():
        raise OSError("503")
    assert gc.isenabled()
    gc.disable()
    try:
        with season_tasks.without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_every_file_a_task_opens_is_read_with_gc_off_and_closed(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    handles: list[Any] = []
    states: list[bool] = []

    def open_local(g: Mapping[str, Any]) -> Any:
        states.append(gc.isenabled())
        handles.append(files[helpers.granule_name(g)].open("rb"))
        return handles[-1]

    monkeypatch.setattr(season_tasks, "open_fresh", open_local)
    monkeypatch.setattr(season_tasks, "login_worker", lambda: None)
    modis = granule("sees", "2019-06-22T05:35:01Z", "2019-06-22T05:40:00Z")
    season_tasks.pair_granules(ATL07, modis, BBOX)
    assert states == [False, False] and gc.isenabled()
    assert len(handles) == 2 and all(h.closed for h in handles)
