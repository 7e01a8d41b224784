"""Tutorial 04's task functions: tutorial 03's pairing, for one granule at a time, on a Dask worker.

Read this file next to ``04-season-pairing-with-dask.ipynb``. The notebook sends it to its
workers with ``client.upload_file("season_tasks.py")`` (Dask's way to ship your own code to
every worker, including workers that join later) and imports it. A worker runs these functions
with nothing but granule records (small dictionaries from CMR) in hand:

* `login_worker` logs the worker's own process in to Earthdata, from its own environment or
  ``~/.netrc`` (``earthaccess.login``): no password, token or key is ever part of a task.
* `fresh_s3_credentials` and `open_fresh` open a granule from S3 (in AWS us-west-2) with
  temporary credentials that still have `CREDENTIALS_MARGIN` to live, or over HTTPS elsewhere
  (``earthaccess.open``). Each task opens its files itself, so no file outlives its credentials.
* `without_cyclic_gc` keeps Python's cyclic garbage collector off while h5py reads a remote
  file, which avoids a deadlock (h5py/h5py#2019).
* `read_track`, `read_swath` read the arrays one pairing needs; `pair_track` pairs them.
* `choose_swath` and `pair_granules` are the two tasks: tutorial 03's step 5 (choose the MODIS
  swath) and step 8 (pair every segment).

The pairing rule itself (radius, quality, flags, coverage, Day swaths, time window) is not
here: it is `helpers.PAIRING_RULE`, `helpers.candidates_for`, `helpers.choose_modis` and
`helpers.pair_nearest`: the rule notebook 03 applies, stated once. Every function that applies it takes a
``rule`` argument, `helpers.PAIRING_RULE` by default (a variant:
``dataclasses.replace(helpers.PAIRING_RULE, radius_m=2000)``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import earthaccess
import numpy as np
import pandas as pd
import xarray as xr
from earthaccess.exceptions import LoginStrategyUnavailable

import helpers

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""

CREDENTIALS_MARGIN = timedelta(minutes=10)
"""S3 credentials with less time than this left are replaced before a file is opened."""

TRACK_VARIABLES = [
    "latitude",
    "longitude",
    "delta_time",
    "heights/height_segment_height",
    "heights/height_segment_ssh_flag",
]
SWATH_VARIABLES = ["lat", "lon", "sea_surface_temperature", "quality_level", "l2p_flags"]

_lock = threading.Lock()
_credentials: dict[str, tuple[datetime, dict[str, Any]]] = {}  # per DAAC: (expires, credentials)


# --------------------------------------------------------------------------------------------
# Credentials on a worker


def login_worker() -> helpers.LoginStatus:
    """Log this process in to Earthdata once, from its own environment or ``~/.netrc``.

    ``client.run(season_tasks.login_worker)`` logs in every worker; the task functions call it
    first too, so a worker that starts later logs in on its first task. Nobody can answer a
    password prompt on a worker, so only earthaccess's ``"environment"`` strategy
    (``EARTHDATA_USERNAME`` and ``EARTHDATA_PASSWORD``, or ``EARTHDATA_TOKEN``) and its
    ``"netrc"`` strategy are tried, in that order.

    Returns the worker's `helpers.LoginStatus` (safe to print); raises
    `helpers.NotLoggedInError`, saying where the worker looked, when neither strategy logs in.
    """
    with _lock:
        if not earthaccess.__auth__.authenticated:
            helpers.retry_transient_errors()  # as in the notebook's login cell
            for strategy in ("environment", "netrc"):
                try:
                    earthaccess.login(strategy=strategy)
                except LoginStrategyUnavailable:  # no such credentials here: try the next
                    continue
                if earthaccess.__auth__.authenticated:
                    break
            else:
                raise helpers.NotLoggedInError(
                    "This worker could not log in to Earthdata: neither its environment "
                    "(EARTHDATA_USERNAME and EARTHDATA_PASSWORD, or EARTHDATA_TOKEN) nor its "
                    "~/.netrc holds credentials that Earthdata Login accepts."
                )
        return helpers.login_status(earthaccess.__auth__)


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
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Temporary S3 credentials for a granule's DAAC with at least `margin` left to live.

    ``earthaccess.get_s3_credentials`` asks the DAAC for credentials that last one hour. This
    keeps them per DAAC in this process and asks again when their ``expiration`` is less than
    `margin` away (earthaccess's own cache keeps them 55 minutes, whatever they say). `now` is
    the clock, replaceable in tests. Never print the result: it holds a secret key.

    Raises `helpers.NotLoggedInError` when this process is not logged in, and
    `helpers.S3CredentialsError` when the DAAC gives no credentials.
    """
    endpoint = None
    if hasattr(granule, "get_s3_credentials_endpoint"):
        endpoint = granule.get_s3_credentials_endpoint()
    provider = str(granule.get("meta", {}).get("provider-id", ""))
    key = endpoint or provider
    with _lock:
        cached = _credentials.get(key)
        if cached is not None and cached[0] - now() >= margin:
            return cached[1]
        if not earthaccess.__auth__.authenticated:
            raise helpers.NotLoggedInError(
                "Not logged in to Earthdata in this process: call login_worker() first."
            )
        issued = now()
        if endpoint:
            credentials = earthaccess.get_s3_credentials(results=[granule])
        else:
            credentials = earthaccess.get_s3_credentials(provider=provider)
        if not credentials or "accessKeyId" not in credentials:
            raise helpers.S3CredentialsError(
                f"No S3 credentials from {key or 'the DAAC'}: log in again, accept the data's "
                "EULA at https://urs.earthdata.nasa.gov if needed, or read over HTTPS."
            )
        _credentials[key] = (_expiration(credentials, issued), credentials)
        return credentials


def open_fresh(granule: Any) -> Any:
    """Open a granule for h5py or xarray, with credentials that will not expire during a task.

    In AWS us-west-2 (as earthaccess found at login) a cloud-hosted granule is opened from S3
    with `fresh_s3_credentials`; everywhere else it is ``earthaccess.open([granule])[0]``, over
    HTTPS with the Earthdata Login token, which lasts weeks. Open it in the task that reads it,
    and close it there: a file object keeps the credentials it was opened with.
    """
    import s3fs

    if not earthaccess.__auth__.authenticated:
        raise helpers.NotLoggedInError("Not logged in to Earthdata: call login_worker() first.")
    links = []
    if earthaccess.__store__.in_region and getattr(granule, "cloud_hosted", False):
        links = [link for link in granule.data_links(access="direct") if link.startswith("s3://")]
    if not links:
        return earthaccess.open([granule], show_progress=False)[0]
    credentials = fresh_s3_credentials(granule)
    fs = s3fs.S3FileSystem(
        key=credentials["accessKeyId"],
        secret=credentials["secretAccessKey"],
        token=credentials["sessionToken"],
    )
    return fs.open(links[0], "rb")


# --------------------------------------------------------------------------------------------
# The garbage-collection guard


_gc_lock = threading.Lock()
_gc_users = 0
_gc_was_enabled = True


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No automatic cyclic garbage collection in this process while h5py reads a remote file.

    h5py holds its global lock while it calls a Python file object, and needs that lock to free
    any h5py object. The reads of a remote file run on fsspec's event-loop thread; if a garbage
    collection starts there and finds an h5py object in a reference cycle (a failed read's
    traceback makes such cycles), that thread waits for the lock the reading thread holds, and
    the reading thread waits for it: the worker hangs for good (h5py/h5py#2019, dask/dask#7547;
    h5py's documentation, "File-like objects": "temporarily disable garbage collection").
    Several tasks may read at once in one worker: the collector comes back when the last one
    leaves, and then collects once, outside h5py.
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
def opened(granule: Any) -> Iterator[Any]:
    """`open_fresh` the granule, inside `without_cyclic_gc`, and close it at the end. An error
    that still names a presigned URL (the retrying client of `login_worker` already strips the
    query from aiohttp's error answers) becomes an ``OSError`` without the URL's credentials
    (`helpers.url_credentials_left_out`): the notebook prints the errors."""
    name = helpers.granule_name(granule)
    with helpers.url_credentials_left_out(f"reading {name}"), without_cyclic_gc():
        f = open_fresh(granule)
        try:
            yield f
        finally:
            f.close()


# --------------------------------------------------------------------------------------------
# Reading


def read_track(source: Any, bbox: BBox, beam: str | None = None) -> pd.DataFrame:
    """The segments of one ATL07 beam (default: the first strong beam) as a table.

    Columns ``longitude``, ``latitude``, ``time`` (UTC), ``height`` (m, NaN for fill),
    ``ssh_flag`` (1: sea surface) and ``in_box`` (inside `bbox`); ``attrs["beam"]`` names the
    beam. `source` is a path or an open file (`open_fresh`).
    """
    beam = beam or helpers.strong_beams(source)[0]
    ds = helpers.read_atl07_beam(source, beam, TRACK_VARIABLES)
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
    """The arrays of a MODIS L2P swath that a pairing needs (2-D, one value per pixel)."""

    lon: np.ndarray
    lat: np.ndarray
    sst: np.ndarray
    """Skin temperature in kelvin, NaN without a value (over ice it is the ice surface)."""
    quality: np.ndarray
    """``quality_level``: 0 no data ... 5 best."""
    flags: np.ndarray
    """``l2p_flags`` bits (``PAIRING_RULE.l2p_land``, ``.l2p_ice``, ...)."""
    seconds: np.ndarray
    """Seconds of each pixel after `start` (``sst_dtime``), NaN without a value."""
    start: np.datetime64
    """The granule's reference ``time`` (UTC)."""


def read_swath(source: Any, *, screening: bool = False) -> Swath:
    """Read a MODIS L2P swath with tutorial 03's recipe: attributes decoded, then CF-decoded.

    With ``screening=True`` only what the coverage test needs is read (coordinates and
    ``quality_level``). Raises `helpers.NotHDF5Error` for a file that is not netCDF-4/HDF5.
    """
    names = ["lat", "lon", "quality_level"] if screening else SWATH_VARIABLES + ["sst_dtime"]
    try:
        raw = xr.open_dataset(source, engine="h5netcdf", decode_cf=False)
    except ValueError as err:  # xarray's answer to a file object that is not HDF5
        raise helpers.NotHDF5Error(
            f"{getattr(source, 'path', source)} is not a netCDF-4/HDF5 file ({err})."
        ) from None
    try:
        ds = xr.decode_cf(helpers.decode_attrs_dataset(raw[names]), decode_timedelta=True).load()
        time = xr.decode_cf(helpers.decode_attrs_dataset(raw[["time"]]))["time"].to_numpy()
    finally:
        raw.close()
    start = np.datetime64(time.reshape(-1)[0], "ns")

    def plane(name: str) -> np.ndarray:  # drop the time axis of length 1
        da = ds[name]
        return (da.isel(time=0) if "time" in da.dims else da).to_numpy()

    shape = plane("lat").shape
    quality = np.nan_to_num(plane("quality_level"), nan=0).astype(np.int8)
    if screening:
        empty = np.full(shape, np.nan)
        no_flags = np.zeros(shape, np.int16)
        return Swath(plane("lon"), plane("lat"), empty, quality, no_flags, empty, start)
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


def pair_track(track: pd.DataFrame, swath: Swath, rule: Any = helpers.PAIRING_RULE) -> pd.DataFrame:
    """Give every segment the nearest trustworthy SST pixel, and the nearest pixel with a value.

    Returns `track` plus ``sst`` (K, ``rule.trustworthy`` pixels only), ``sst_distance`` (m),
    ``sst_time_difference`` (minutes, ICESat-2 minus MODIS), and ``temperature``,
    ``quality_level``, ``l2p_flags`` of the nearest pixel with any value (over sea ice: the ice
    surface, not an SST); NaN where there is none within ``rule.radius_m``.
    """
    lon, lat = track["longitude"].to_numpy(), track["latitude"].to_numpy()
    sst = np.asarray(swath.sst, dtype=np.float64)
    trusted = helpers.pair_nearest(
        swath.lon,
        swath.lat,
        sst,
        lon,
        lat,
        radius_m=rule.radius_m,
        valid=rule.trustworthy(swath.quality, swath.flags),
    )
    seen = helpers.pair_nearest(
        swath.lon, swath.lat, sst, lon, lat, radius_m=rule.radius_m, valid=rule.seen(swath.quality)
    )
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


def choose_swath(
    atl07_granule: Any,
    candidates: Sequence[Any],
    bbox: BBox,
    *,
    beam: str | None = None,
    rule: Any = helpers.PAIRING_RULE,
) -> dict[str, Any]:
    """Task 1: choose the MODIS swath of one ATL07 granule by tutorial 03's rule.

    Reads the track in `bbox`, takes the middle of its pass over the box as the overpass, and
    lets `helpers.choose_modis` screen the `candidates` (e.g. ``helpers.candidates_for`` the
    granule), closest in time first, reading only ``lat``, ``lon`` and ``quality_level`` of each
    until one passes. An unreadable candidate is skipped; an error reading the ATL07 granule is
    raised (the notebook reports it).

    Returns a row: ``atl07``, ``beam``, ``box_segments``, ``overpass`` (UTC), ``modis`` (name or
    None), ``offset_min``, ``seen_pct``, ``screened`` (what each candidate showed) and
    ``status`` (``"chosen"``, ``"no MODIS within 2 h"``, ``"no MODIS sees the track"`` or
    ``"track misses the box"``).
    """
    login_worker()
    with opened(atl07_granule) as f:
        track = read_track(f, bbox, beam)
    box = track[track["in_box"]]
    row: dict[str, Any] = {
        "atl07": helpers.granule_name(atl07_granule),
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
    unreadable: dict[str, str] = {}

    def seen_fraction(granule: Any) -> float:
        """The coverage test of one candidate (NaN when it cannot be read)."""
        try:
            with opened(granule) as f:
                swath = read_swath(f, screening=True)
        except (OSError, helpers.HelpersError) as err:  # e.g. a broken file: try the next one
            unreadable[helpers.granule_name(granule)] = type(err).__name__
            return float("nan")
        return rule.seen_fraction(swath.lon, swath.lat, swath.quality, box.longitude, box.latitude)

    choice = helpers.choose_modis(candidates, overpass, seen_fraction, rule)
    screened = []
    for granule, offset, seen in choice.screened:
        start = pd.Timestamp(granule["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"])
        label = f"{start:%H:%M} ({offset / pd.Timedelta(minutes=1):+.0f} min)"
        name = helpers.granule_name(granule)
        what = (
            f"unreadable ({unreadable[name]})" if name in unreadable else f"{100 * seen:.0f}% seen"
        )
        screened.append(f"{label}: {what}")
    row.update(overpass=overpass, screened="; ".join(screened), status=choice.status)
    if choice.granule is not None:
        row.update(
            modis=helpers.granule_name(choice.granule),
            offset_min=round(choice.offset / pd.Timedelta(minutes=1)),
            seen_pct=round(100 * choice.seen, 1),
        )
    return row


def pair_granules(
    atl07_granule: Any,
    modis_granule: Any,
    bbox: BBox,
    *,
    beam: str | None = None,
    rule: Any = helpers.PAIRING_RULE,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Task 2: pair one ATL07 granule with one MODIS swath: a summary row and the segments.

    Opens both granules (`opened`), reads the beam and the swath, and pairs every segment
    (`pair_track`). Errors are raised: the notebook decides how to report them.

    The summary has ``atl07``, ``modis``, ``beam``, ``box_segments``, ``sst_segments``,
    ``sst_pct``, ``sst_median``, ``height_median_sst``, ``height_median_ice``,
    ``ice_surface_median``, ``time_difference_median`` and ``status`` ("paired"), for the
    segments in `bbox`; the table has every segment of the beam, with an ``atl07`` column.
    """
    login_worker()
    with opened(atl07_granule) as f:
        track = read_track(f, bbox, beam)
    with opened(modis_granule) as f:
        swath = read_swath(f)
    segments = pair_track(track, swath, rule)
    name = helpers.granule_name(atl07_granule)
    segments.insert(0, "atl07", name)
    box = segments[segments["in_box"]]
    with_sst = box["sst"].notna()
    on_ice = box["l2p_flags"].fillna(0).astype(int) & rule.l2p_ice > 0

    def median(values: pd.Series) -> float:
        return float(values.median()) if values.notna().any() else np.nan

    summary = {
        "atl07": name,
        "modis": helpers.granule_name(modis_granule),
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
