"""Pair many ICESat-2 ATL07 granules with MODIS-Aqua L2P swaths, one pair per task (tutorial 04).

Tutorial 03 pairs one ATL07 granule with one MODIS swath, cell by cell. For a season the same
steps must be functions that a worker process (a Dask worker, on this machine or on a cluster)
can run on its own, with nothing but a granule record in hand:

* `login_worker`: log in to Earthdata in *this* process, from its own environment or ``.netrc``,
  once. The task functions below call it, so a worker that joins late, or is restarted, logs in
  on its first task; no password, token or key ever travels with a task.
* `open_fresh`: open a granule as `helpers.open_granule` does (earthaccess decides: S3 in AWS
  us-west-2, HTTPS elsewhere), but on S3 with temporary credentials that still have at least
  `CREDENTIALS_MARGIN` to live, fetched again from the DAAC when they have less
  (`fresh_s3_credentials`). Each task opens its files itself, so no file outlives its credentials.
* `candidates_for`: the MODIS granules close enough in time to an ATL07 granule (CMR times only).
* `read_track`, `read_swath`: the arrays one pairing needs (`Swath`).
* `seen_fraction`, `pair_track`: tutorial 03's coverage test and its quality-filtered
  nearest-pixel pairing (with `helpers.pair_nearest`), on arrays in memory.
* `choose_modis`, `pair_granules`: the two task functions: tutorial 03's rule (a Day swath,
  closest in time, that sees at least `MIN_SEEN` of the track in the box), and the pairing of
  one (ATL07, MODIS) pair into a summary row and a table of segments.

Examples
--------
>>> import numpy as np, pandas as pd
>>> lon, lat = np.meshgrid(np.linspace(-1.0, 1.0, 30), np.linspace(79.0, 79.3, 40))
>>> quality = np.where(lon < 0, 5, 1).astype(np.int8)  # open water west, ice east
>>> swath = Swath(lon, lat, np.full(lon.shape, 272.0, np.float32), quality,
...               np.where(lon < 0, 0, L2P_ICE).astype(np.int16), np.zeros(lon.shape),
...               np.datetime64("2019-06-23T02:30:01"))
>>> track = pd.DataFrame({"longitude": [-0.5, 0.5, 5.0], "latitude": [79.1, 79.1, 79.1],
...                       "time": pd.to_datetime(["2019-06-23T02:43"] * 3)})
>>> round(seen_fraction(track, swath), 2)
0.67
>>> pair_track(track, swath)[["sst", "temperature"]].to_numpy().tolist()
[[272.0, 272.0], [nan, 272.0], [nan, nan]]
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from helpers.attrs import decode_attrs_dataset
from helpers.auth import LoginStatus, login, login_status
from helpers.errors import HelpersError, NotHDF5Error, NotLoggedInError, S3CredentialsError
from helpers.pairing import pair_nearest
from helpers.readers import read_atl07_beam, strong_beams
from helpers.s3 import HDF5_OPEN_KWARGS, open_granule
from helpers.tables import granule_name

__all__ = [
    "CREDENTIALS_MARGIN",
    "L2P_ICE",
    "L2P_LAND",
    "MAX_OFFSET",
    "MIN_QUALITY",
    "MIN_SEEN",
    "RADIUS_M",
    "Swath",
    "candidates_for",
    "choose_modis",
    "fresh_s3_credentials",
    "granule_times",
    "login_worker",
    "open_fresh",
    "pair_granules",
    "pair_track",
    "read_swath",
    "read_track",
    "seen_fraction",
]

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""

#: How far from a segment a MODIS pixel may be, in metres (tutorial 03).
RADIUS_M: float = 1000.0
#: A swath must see (any value within `RADIUS_M`) at least this fraction of the box segments.
MIN_SEEN: float = 0.25
#: GHRSST ``quality_level`` for science: 4 acceptable, 5 best.
MIN_QUALITY: int = 4
#: ``l2p_flags`` bits (GHRSST GDS 2.0): 2 land, 4 sea ice.
L2P_LAND: int = 2
L2P_ICE: int = 4
#: Candidate swaths start within this time of the ICESat-2 overpass.
MAX_OFFSET: timedelta = timedelta(hours=2)
#: S3 credentials with less time than this left are replaced before a file is opened.
CREDENTIALS_MARGIN: timedelta = timedelta(minutes=10)

_TRACK_VARIABLES = (
    "latitude",
    "longitude",
    "delta_time",
    "heights/height_segment_height",
    "heights/height_segment_ssh_flag",
)
_SWATH_VARIABLES = ("lat", "lon", "sea_surface_temperature", "quality_level", "l2p_flags")
_lock = threading.Lock()
_credentials: dict[str, tuple[datetime, dict[str, Any]]] = {}


# --------------------------------------------------------------------------------------------
# Credentials on a worker


def login_worker() -> LoginStatus:
    """Log this process in to Earthdata once, from its own environment or ``.netrc``.

    Meant for Dask workers: ``client.run(helpers.login_worker)`` logs in every worker, and the
    task functions of this module call it first, so a worker started later logs in on its first
    task. The credentials come from where the worker runs (environment variables
    ``EARTHDATA_USERNAME``/``EARTHDATA_PASSWORD`` or ``EARTHDATA_TOKEN``, or ``~/.netrc``): they
    are never part of a task. Nobody can answer a prompt on a worker, so there is none.

    Returns
    -------
    LoginStatus
        Who is logged in and whether earthaccess found this process in AWS us-west-2 (no secret).

    Raises
    ------
    CredentialsNotFoundError
        The worker's environment holds no Earthdata Login credentials.

    Examples
    --------
    >>> status = login_worker()  # doctest: +SKIP
    >>> status.authenticated  # doctest: +SKIP
    True
    >>> callable(login_worker)
    True
    """
    with _lock:
        status = login_status("this worker's environment")
        if status.authenticated:
            return status
        return login(person_is_present=False, report=False)


def _expiration(credentials: Mapping[str, Any], issued: datetime) -> datetime:
    """When credentials expire: their ``expiration``, else 55 minutes after `issued`."""
    text = str(credentials.get("expiration", ""))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return issued + timedelta(minutes=55)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fresh_s3_credentials(
    granule: Mapping[str, Any],
    *,
    margin: timedelta = CREDENTIALS_MARGIN,
    now: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Temporary S3 credentials for a granule's DAAC, with at least `margin` left to live.

    Credentials are kept per DAAC endpoint in this process and replaced when they would expire
    within `margin` (DAAC credentials last one hour). earthaccess keeps its own for 55 minutes,
    whatever their ``expiration`` says; this reads the ``expiration`` itself.

    Parameters
    ----------
    granule
        A ``DataGranule`` of a cloud-hosted collection.
    margin
        Replace credentials with less than this time left.
    now
        The clock (for tests); default ``datetime.now(UTC)``.

    Returns
    -------
    dict
        ``accessKeyId``, ``secretAccessKey``, ``sessionToken``, ``expiration``: never print it.

    Raises
    ------
    NotLoggedInError
        This process is not logged in.
    S3CredentialsError
        The DAAC gave no credentials.

    Examples
    --------
    >>> credentials = fresh_s3_credentials(granule)  # doctest: +SKIP
    >>> CREDENTIALS_MARGIN
    datetime.timedelta(seconds=600)
    """
    import earthaccess

    clock = now or (lambda: datetime.now(UTC))
    endpoint = None
    if hasattr(granule, "get_s3_credentials_endpoint"):
        endpoint = granule.get_s3_credentials_endpoint()
    provider = str(granule.get("meta", {}).get("provider-id", ""))
    key = endpoint or provider
    with _lock:
        cached = _credentials.get(key)
        if cached is not None and cached[0] - clock() >= margin:
            return cached[1]
        auth = getattr(earthaccess, "__auth__", None)
        if not getattr(auth, "authenticated", False):
            raise NotLoggedInError(
                "Not logged in to Earthdata in this process: call helpers.login_worker() first."
            )
        issued = clock()
        if endpoint:
            credentials = earthaccess.get_s3_credentials(results=[granule])
        else:
            credentials = earthaccess.get_s3_credentials(provider=provider)
        if not credentials or "accessKeyId" not in credentials:
            raise S3CredentialsError(
                f"No S3 credentials from {key or 'the DAAC'}: log in again, accept the data's "
                "EULA at https://urs.earthdata.nasa.gov if needed, or read over HTTPS."
            )
        _credentials[key] = (_expiration(credentials, issued), credentials)
        return credentials


def open_fresh(granule: Mapping[str, Any], *, open_kwargs: Mapping[str, Any] | None = None) -> Any:
    """Open a granule with credentials that will not expire while a task reads it.

    Where earthaccess found this process in AWS us-west-2 at login, a cloud-hosted granule is
    opened from S3 with `fresh_s3_credentials`; everywhere else it is `helpers.open_granule`
    (earthaccess over HTTPS, with the Earthdata Login token). Open it in the task that reads
    it, and close it there: a file object keeps the credentials it was opened with.

    Parameters
    ----------
    granule
        One ``DataGranule`` from ``earthaccess.search_data``.
    open_kwargs
        Overrides of `helpers.HDF5_OPEN_KWARGS`.

    Returns
    -------
    file-like
        For h5py, xarray or the readers.

    Examples
    --------
    >>> with open_fresh(granule) as f:  # doctest: +SKIP
    ...     track = read_track(f, (-15.0, 76.0, 15.0, 81.0))
    >>> dict(HDF5_OPEN_KWARGS)["cache_type"]
    'blockcache'
    """
    import earthaccess

    store = getattr(earthaccess, "__store__", None)
    auth = getattr(earthaccess, "__auth__", None)
    if store is None or not getattr(auth, "authenticated", False):
        raise NotLoggedInError(
            "Not logged in to Earthdata: call helpers.login() (or helpers.login_worker() on a "
            "worker) first."
        )
    links = []
    if getattr(store, "in_region", False) and getattr(granule, "cloud_hosted", False):
        links = [link for link in granule.data_links(access="direct") if link.startswith("s3://")]
    if not links:
        return open_granule(granule, open_kwargs=open_kwargs)
    import s3fs

    credentials = fresh_s3_credentials(granule)
    fs = s3fs.S3FileSystem(
        key=credentials["accessKeyId"],
        secret=credentials["secretAccessKey"],
        token=credentials["sessionToken"],
    )
    return fs.open(links[0], "rb", **{**HDF5_OPEN_KWARGS, **(open_kwargs or {})})


_gc_lock = threading.Lock()
_gc_users = 0
_gc_was_enabled = True


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """No automatic cyclic garbage collection in this process while h5py reads a remote file.

    h5py holds its global lock while it calls a Python file object, and needs that lock to free
    any h5py object. The reads of a remote file run on fsspec's event loop thread; if a garbage
    collection starts there and finds an h5py object in a reference cycle (a failed read's
    traceback makes such cycles), that thread waits for the lock the reading thread holds, and
    the reading thread waits for it: the worker hangs for good (h5py/h5py#2019, dask/dask#7547;
    h5py's documentation, "File-like objects": "temporarily disable garbage collection").
    The garbage is collected when the last user leaves, in its own thread, without the lock.
    """
    global _gc_users, _gc_was_enabled
    with _gc_lock:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            last = _gc_users == 0
            if last and _gc_was_enabled:
                gc.enable()
        if last:
            gc.collect()


@contextmanager
def _opened(granule: Mapping[str, Any]) -> Iterator[Any]:
    with _without_cyclic_gc():
        f = open_fresh(granule)
        try:
            yield f
        finally:
            f.close()


# --------------------------------------------------------------------------------------------
# Times and candidates


def granule_times(granule: Mapping[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The begin and end of a granule's data, from its CMR record (UTC, timezone-naive).

    Examples
    --------
    >>> granule_times({"umm": {"TemporalExtent": {"RangeDateTime": {
    ...     "BeginningDateTime": "2019-06-23T02:30:01.000Z",
    ...     "EndingDateTime": "2019-06-23T02:35:00.000Z"}}}})
    (Timestamp('2019-06-23 02:30:01'), Timestamp('2019-06-23 02:35:00'))
    """
    span = granule["umm"]["TemporalExtent"]["RangeDateTime"]
    begin = pd.Timestamp(span["BeginningDateTime"]).tz_convert(None)
    end = pd.Timestamp(span.get("EndingDateTime") or span["BeginningDateTime"]).tz_convert(None)
    return begin, end


def _middle(granule: Mapping[str, Any]) -> pd.Timestamp:
    begin, end = granule_times(granule)
    return begin + (end - begin) / 2


def _is_day(granule: Mapping[str, Any]) -> bool:
    flag = granule["umm"].get("DataGranule", {}).get("DayNightFlag", "Unspecified")
    if flag in ("Day", "Night"):
        return flag == "Day"
    return "-MODIS_A-D-" in granule_name(granule)  # no flag in CMR: the file name says it


def candidates_for(
    atl07_granule: Mapping[str, Any],
    modis_granules: Iterable[Mapping[str, Any]],
    *,
    max_offset: timedelta = MAX_OFFSET,
) -> list[Mapping[str, Any]]:
    """The Day MODIS granules that may pair with an ATL07 granule, closest in time first.

    Uses only CMR times: a MODIS granule is a candidate when its middle is within `max_offset`
    of some moment of the ATL07 granule. Run it before sending work to Dask, so each task gets
    its own short list instead of the whole season's search results.

    Parameters
    ----------
    atl07_granule
        One ATL07 ``DataGranule``.
    modis_granules
        MODIS L2P ``DataGranule``s (Night ones are skipped).
    max_offset
        The largest time difference worth considering.

    Returns
    -------
    list
        Candidates sorted by the time between their middle and the ATL07 granule's middle.

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
    begin, end = granule_times(atl07_granule)
    middle = begin + (end - begin) / 2
    found = []
    for granule in modis_granules:
        if not _is_day(granule):
            continue
        t = _middle(granule)
        if begin - max_offset <= t <= end + max_offset:
            found.append(granule)
    return sorted(found, key=lambda m: (abs(_middle(m) - middle), granule_name(m)))


# --------------------------------------------------------------------------------------------
# Reading


def read_track(source: Any, bbox: BBox, beam: str | None = None) -> pd.DataFrame:
    """The segments of one ATL07 beam as a table, marked inside or outside `bbox`.

    Parameters
    ----------
    source
        A path, an open file object (`open_fresh`) or an ``h5py.File``.
    bbox
        (west, south, east, north) in degrees.
    beam
        A beam name; default the first strong beam (``helpers.strong_beams``).

    Returns
    -------
    pandas.DataFrame
        ``longitude``, ``latitude``, ``time`` (UTC), ``height`` (m, NaN for fill),
        ``ssh_flag`` (1 sea surface), ``in_box``; ``attrs["beam"]`` names the beam.

    Examples
    --------
    >>> import tempfile, pathlib, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ATL07.h5"
    >>> with h5py.File(path, "w") as f:
    ...     f["orbit_info/sc_orient"] = np.array([0], "i1")
    ...     f["ancillary_data/atlas_sdp_gps_epoch"] = np.array([1198800018.0])
    ...     g = f.create_group("gt1l/sea_ice_segments")
    ...     g["delta_time"] = np.array([46.5e6, 46.5e6 + 1])
    ...     g["latitude"], g["longitude"] = np.array([78.0, 85.0]), np.array([0.0, 0.0])
    ...     g["heights/height_segment_height"] = np.array([0.3, 0.1], "f4")
    ...     g["heights/height_segment_ssh_flag"] = np.array([0, 1], "i1")
    >>> read_track(path, (-15.0, 76.0, 15.0, 81.0))[["height", "in_box"]].to_numpy().tolist()
    [[0.30000001192092896, True], [0.10000000149011612, False]]
    """
    beam = beam or strong_beams(source)[0]
    ds = read_atl07_beam(source, beam, list(_TRACK_VARIABLES))
    lon = ds["longitude"].to_numpy().astype(np.float64)
    lat = ds["latitude"].to_numpy().astype(np.float64)
    west, south, east, north = bbox
    table = pd.DataFrame(
        {
            "longitude": lon,
            "latitude": lat,
            "time": ds["time"].to_numpy(),
            "height": ds["height_segment_height"].to_numpy().astype(np.float64),
            "ssh_flag": ds["height_segment_ssh_flag"].to_numpy().astype(np.int8),
            "in_box": (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north),
        }
    )
    table.attrs["beam"] = beam
    return table


@dataclass(frozen=True)
class Swath:
    """The arrays of a MODIS L2P swath that a pairing needs (2-D, one value per pixel).

    Examples
    --------
    >>> one = np.ones((1, 2))
    >>> s = Swath(one, one * 80, one * 272.0, np.array([[5, 2]], np.int8),
    ...           np.array([[0, L2P_ICE]], np.int16), one * 0, np.datetime64("2019-06-23"))
    >>> s.trustworthy().tolist(), s.seen().tolist()
    ([[True, False]], [[True, True]])
    """

    lon: np.ndarray
    lat: np.ndarray
    sst: np.ndarray
    """Skin temperature in kelvin, NaN without a value (over ice it is the ice surface)."""
    quality: np.ndarray
    """``quality_level``: 0 no data ... 5 best."""
    flags: np.ndarray
    """``l2p_flags`` bits (`L2P_LAND`, `L2P_ICE`, ...)."""
    seconds: np.ndarray
    """Seconds of each pixel after `start` (``sst_dtime``), NaN without a value."""
    start: np.datetime64
    """The granule's reference ``time`` (UTC)."""

    def seen(self) -> np.ndarray:
        """True where MODIS retrieved a value at all (``quality_level`` >= 1)."""
        return self.quality >= 1

    def trustworthy(self, min_quality: int = MIN_QUALITY) -> np.ndarray:
        """True where the value is a sea surface temperature to trust: good quality, neither
        land nor sea ice."""
        return (self.quality >= min_quality) & ((self.flags & (L2P_LAND | L2P_ICE)) == 0)


def read_swath(source: Any, *, screening: bool = False) -> Swath:
    """Read a MODIS L2P swath with tutorial 03's recipe (attributes decoded, then CF-decoded).

    Parameters
    ----------
    source
        A path or an open file object (`open_fresh`).
    screening
        Read only what `seen_fraction` needs (coordinates and ``quality_level``).

    Returns
    -------
    Swath
        SST in kelvin (NaN without a value), ``quality_level`` 0 where there is no value.

    Raises
    ------
    NotHDF5Error
        An open file object whose bytes are not netCDF-4/HDF5.

    Examples
    --------
    >>> swath = read_swath("granule.nc")  # doctest: +SKIP
    >>> read_swath("/nonexistent.nc")
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...
    """
    import xarray as xr

    names = _SWATH_VARIABLES[:2] + ("quality_level",) if screening else _SWATH_VARIABLES
    try:
        raw = xr.open_dataset(source, engine="h5netcdf", decode_cf=False)
    except ValueError as err:  # xarray's answer to a file object that is not HDF5
        raise NotHDF5Error(
            f"{getattr(source, 'path', source)} is not a netCDF-4/HDF5 file ({err})."
        ) from None
    try:
        wanted = list(names) + ([] if screening else ["sst_dtime"])
        ds = xr.decode_cf(decode_attrs_dataset(raw[wanted]), decode_timedelta=True).load()
        time = xr.decode_cf(decode_attrs_dataset(raw[["time"]]))["time"].to_numpy()
    finally:
        raw.close()
    start = np.datetime64(time.reshape(-1)[0], "ns")

    def plane(name: str) -> np.ndarray:
        da = ds[name]
        return (da.isel(time=0) if "time" in da.dims else da).to_numpy()

    shape = plane("lat").shape
    quality = np.nan_to_num(plane("quality_level"), nan=0).astype(np.int8)
    if screening:
        empty = np.full(shape, np.nan)
        return Swath(
            plane("lon"), plane("lat"), empty, quality, np.zeros(shape, np.int16), empty, start
        )
    dtime = plane("sst_dtime")
    seconds = dtime / np.timedelta64(1, "s") if dtime.dtype.kind == "m" else dtime
    return Swath(
        plane("lon"),
        plane("lat"),
        plane("sea_surface_temperature").astype(np.float32),
        quality,
        np.nan_to_num(plane("l2p_flags"), nan=0).astype(np.int16),
        np.asarray(seconds, dtype=np.float64),
        start,
    )


# --------------------------------------------------------------------------------------------
# Pairing, on arrays in memory


def seen_fraction(track: pd.DataFrame, swath: Swath, radius_m: float = RADIUS_M) -> float:
    """The fraction of segments that have a MODIS pixel with any value within `radius_m`.

    Tutorial 03's coverage test: it asks whether MODIS saw the surface along the track (not
    hidden by thick clouds, not outside the swath), not whether the value is a trustworthy SST.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> lon, lat = np.meshgrid(np.linspace(0, 1, 20), np.linspace(79, 79.2, 20))
    >>> q = np.where(lat < 79.1, 1, 0).astype(np.int8)
    >>> s = Swath(lon, lat, np.zeros(lon.shape), q, np.zeros(lon.shape, np.int16),
    ...           np.zeros(lon.shape), np.datetime64("2019-06-23"))
    >>> seen_fraction(pd.DataFrame({"longitude": [0.5, 0.5], "latitude": [79.02, 79.18]}), s)
    0.5
    """
    if track.empty:
        return 0.0
    found = pair_nearest(
        swath.lon,
        swath.lat,
        swath.quality.astype(np.float64),
        track["longitude"].to_numpy(),
        track["latitude"].to_numpy(),
        radius_m=radius_m,
        valid=swath.seen(),
    )
    return float(found.found.mean())


def pair_track(
    track: pd.DataFrame,
    swath: Swath,
    *,
    radius_m: float = RADIUS_M,
    min_quality: int = MIN_QUALITY,
) -> pd.DataFrame:
    """Give every segment the nearest trustworthy SST pixel, and the nearest pixel with a value.

    Pixels are filtered *before* the nearest-neighbour search (`helpers.pair_nearest`), so a
    segment next to a rejected pixel still gets the nearest accepted one within `radius_m`.

    Parameters
    ----------
    track
        A `read_track` table (at least ``longitude``, ``latitude``, ``time``).
    swath
        A `read_swath` result.
    radius_m
        Largest distance of a pair, in metres.
    min_quality
        Lowest ``quality_level`` of a trustworthy SST.

    Returns
    -------
    pandas.DataFrame
        `track` plus ``sst`` (K; quality >= `min_quality`, neither land nor ice),
        ``sst_distance`` (m), ``sst_time_difference`` (minutes, ICESat-2 minus MODIS), and
        ``temperature``, ``quality_level``, ``l2p_flags`` of the nearest pixel with any value
        (over sea ice: the ice surface, not an SST); NaN where there is none.

    Examples
    --------
    See the module's example.
    """
    lon = track["longitude"].to_numpy()
    lat = track["latitude"].to_numpy()
    sst = np.asarray(swath.sst, dtype=np.float64)
    trusted = pair_nearest(
        swath.lon, swath.lat, sst, lon, lat, radius_m=radius_m, valid=swath.trustworthy(min_quality)
    )
    seen = pair_nearest(swath.lon, swath.lat, sst, lon, lat, radius_m=radius_m, valid=swath.seen())
    pixel_time = swath.start + (trusted.sample(swath.seconds) * 1e9).astype("timedelta64[ns]")
    difference = (track["time"].to_numpy() - pixel_time) / np.timedelta64(1, "m")
    return track.assign(
        sst=trusted.values,
        sst_distance=trusted.distance,
        sst_time_difference=difference,
        temperature=seen.values,
        quality_level=seen.sample(swath.quality),
        l2p_flags=seen.sample(swath.flags),
    )


# --------------------------------------------------------------------------------------------
# The two task functions


def choose_modis(
    atl07_granule: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    bbox: BBox,
    *,
    beam: str | None = None,
    max_offset: timedelta = MAX_OFFSET,
    radius_m: float = RADIUS_M,
    min_seen: float = MIN_SEEN,
) -> dict[str, Any]:
    """Choose the MODIS swath for an ATL07 granule by tutorial 03's rule (a task function).

    Reads the ATL07 track in `bbox`, takes the middle of its pass over the box as the overpass,
    and screens the Day `candidates` closest in time first: the first that sees at least
    `min_seen` of the box segments (`seen_fraction`) wins. Only ``lat``, ``lon`` and
    ``quality_level`` of a candidate are read, and screening stops at the winner. Errors reading
    the ATL07 granule are raised (the caller reports them); an unreadable candidate is skipped.

    Parameters
    ----------
    atl07_granule
        One ATL07 ``DataGranule``.
    candidates
        MODIS ``DataGranule``s, e.g. `candidates_for` the granule.
    bbox
        (west, south, east, north).
    beam
        Default: the first strong beam.
    max_offset
        Candidates further from the overpass are not screened.
    radius_m, min_seen
        The coverage test.

    Returns
    -------
    dict
        ``atl07``, ``beam``, ``box_segments``, ``overpass`` (UTC), ``modis`` (name or None),
        ``offset_min``, ``seen_pct``, ``screened`` (what each screened candidate showed) and
        ``status``: ``"chosen"``, ``"no MODIS within ...``, ``"no MODIS sees the track"``
        or ``"track misses the box"``.

    Examples
    --------
    >>> row = choose_modis(atl07, candidates_for(atl07, modis), BBOX)  # doctest: +SKIP
    >>> row["status"], row["modis"]  # doctest: +SKIP
    ('chosen', '20190623023001-JPL-L2P_GHRSST-SSTskin-MODIS_A-D-v02.0-fv01.0')
    >>> choose_modis.__name__
    'choose_modis'
    """
    login_worker()
    with _opened(atl07_granule) as f:
        track = read_track(f, bbox, beam)
    box = track[track["in_box"]]
    row: dict[str, Any] = {
        "atl07": granule_name(atl07_granule),
        "beam": track.attrs["beam"],
        "box_segments": len(box),
        "overpass": pd.NaT,
        "modis": None,
        "offset_min": np.nan,
        "seen_pct": np.nan,
        "screened": "",
        "status": "track misses the box",
    }
    if box.empty:
        return row
    overpass = pd.Timestamp(box["time"].iloc[len(box) // 2])
    row["overpass"] = overpass
    near = []
    for granule in candidates:
        offset = _middle(granule) - overpass
        if abs(offset) <= max_offset:
            near.append((abs(offset), granule_name(granule), offset, granule))
    near.sort(key=lambda item: item[:2])
    hours = max_offset / timedelta(hours=1)
    row["status"] = f"no MODIS within {hours:g} h"
    screened = []
    for _, name, offset, granule in near:
        minutes = offset / pd.Timedelta(minutes=1)
        label = f"{granule_times(granule)[0]:%H:%M} ({minutes:+.0f} min)"
        try:
            with _opened(granule) as f:
                swath = read_swath(f, screening=True)
        except (OSError, HelpersError) as err:  # e.g. a broken file: try the next one
            screened.append(f"{label}: unreadable ({type(err).__name__})")
            continue
        seen = seen_fraction(box, swath, radius_m)
        screened.append(f"{label}: {100 * seen:.0f}% seen")
        row["status"] = "no MODIS sees the track"
        if seen >= min_seen:
            row.update(
                modis=name,
                offset_min=round(minutes),
                seen_pct=round(100 * seen, 1),
                status="chosen",
            )
            break
    row["screened"] = "; ".join(screened)
    return row


def pair_granules(
    atl07_granule: Mapping[str, Any],
    modis_granule: Mapping[str, Any],
    bbox: BBox,
    *,
    beam: str | None = None,
    radius_m: float = RADIUS_M,
    min_quality: int = MIN_QUALITY,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Pair one ATL07 granule with one MODIS swath (a task function): a summary and segments.

    Opens both granules (`open_fresh`), reads the beam and the swath, and pairs every segment
    with `pair_track`. Errors are raised: the caller decides how to report them.

    Parameters
    ----------
    atl07_granule, modis_granule
        ``DataGranule``s, e.g. a `choose_modis` result's pair.
    bbox
        (west, south, east, north): the summary describes the segments inside it.
    beam
        Default: the first strong beam.
    radius_m, min_quality
        As in `pair_track`.

    Returns
    -------
    tuple[dict, pandas.DataFrame]
        The summary (``atl07``, ``modis``, ``beam``, ``box_segments``, ``sst_segments``,
        ``sst_pct``, ``sst_median``, ``height_median_sst``, ``height_median_ice``,
        ``ice_surface_median``, ``time_difference_median``, ``status`` "paired") and the
        `pair_track` table of every segment of the beam, with an ``atl07`` column.

    Examples
    --------
    >>> summary, segments = pair_granules(atl07, modis, BBOX)  # doctest: +SKIP
    >>> pair_granules.__name__
    'pair_granules'
    """
    login_worker()
    with _opened(atl07_granule) as f:
        track = read_track(f, bbox, beam)
    with _opened(modis_granule) as f:
        swath = read_swath(f)
    segments = pair_track(track, swath, radius_m=radius_m, min_quality=min_quality)
    name = granule_name(atl07_granule)
    segments.insert(0, "atl07", name)
    box = segments[segments["in_box"]]
    with_sst = box["sst"].notna()
    on_ice = box["l2p_flags"].fillna(0).astype(int) & L2P_ICE > 0

    def median(values: pd.Series) -> float:
        return float(values.median()) if values.notna().any() else np.nan

    summary = {
        "atl07": name,
        "modis": granule_name(modis_granule),
        "beam": track.attrs["beam"],
        "box_segments": len(box),
        "sst_segments": int(with_sst.sum()),
        "sst_pct": round(100 * float(with_sst.mean()), 1) if len(box) else np.nan,
        "sst_median": median(box.loc[with_sst, "sst"]),
        "height_median_sst": median(box.loc[with_sst, "height"]),
        "height_median_ice": median(box.loc[~with_sst, "height"]),
        "ice_surface_median": median(box.loc[on_ice, "temperature"]),
        "time_difference_median": median(box["sst_time_difference"]),
        "status": "paired",
    }
    return summary, segments
