"""Read one ICESat-2 beam (ATL03 photons, ATL07 sea-ice segments) into an `xarray.Dataset`.

The readers use h5py only, read each variable with one vectorised slice, and accept an open
``h5py.File``, a path, or a file-like object such as the ones ``earthaccess.open`` returns (so they
work over S3 and HTTPS). They keep each variable's attributes (decoded by `helpers.attrs`), turn
floating-point ``_FillValue`` into NaN, and add a ``time`` coordinate in UTC computed from
``delta_time`` and the ATLAS epoch, with leap seconds (`delta_time_to_datetime`).

Over S3 or HTTPS (a file object from ``earthaccess.open``, ``helpers.open_granule`` or
``s3fs``), the readers fetch the chunks of all the variables at once, concurrently, and inflate
them in threads (`helpers.fastread`): tens of times faster than h5py's one request at a time, with
identical values. ``fast=False`` reads through h5py only; anything the fast path cannot do (an
unusual filter or type, a non-fsspec file object) falls back to h5py by itself.

ICESat-2 time in one paragraph: ``delta_time`` counts GPS seconds since the ATLAS Standard Data
Product epoch, ``/ancillary_data/atlas_sdp_gps_epoch`` = 1198800018.0 GPS seconds after
1980-01-06T00:00:00 (that is 2018-01-01T00:00:00 UTC). GPS time has no leap seconds and UTC does,
so UTC = GPS epoch + atlas_sdp_gps_epoch + delta_time - (GPS-UTC offset at that moment); the offset
is 18 s from 2017-01-01 until the next leap second (none through 2026).
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import h5py
import numpy as np
import numpy.typing as npt
import xarray as xr

from helpers import fastread
from helpers.attrs import decode_attrs
from helpers.errors import (
    BeamNotFoundError,
    GroupNotFoundError,
    NotHDF5Error,
    SpacecraftOrientationError,
    VariableNotFoundError,
)

__all__ = [
    "ATL03_VARIABLES",
    "ATL07_VARIABLES",
    "ATLAS_SDP_GPS_EPOCH",
    "BEAMS",
    "GPS_EPOCH",
    "GPS_UTC_LEAP_SECONDS",
    "H5Source",
    "atlas_epoch",
    "delta_time_to_datetime",
    "gps_utc_offset",
    "open_hdf5",
    "photon_segment_index",
    "read_atl03_beam",
    "read_atl07_beam",
    "strong_beams",
]

#: What the readers accept: an open h5py file (or group), a path, or a binary file-like object.
type H5Source = h5py.Group | str | os.PathLike[str] | IO[bytes] | Any

#: The six ICESat-2 ground-track beam groups.
BEAMS: tuple[str, ...] = ("gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r")

#: Default photon variables of ``/gtXX/heights`` read by `read_atl03_beam`.
ATL03_VARIABLES: tuple[str, ...] = ("h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time")

#: Default variables of ``/gtXX/sea_ice_segments`` read by `read_atl07_beam`.
ATL07_VARIABLES: tuple[str, ...] = (
    "latitude",
    "longitude",
    "delta_time",
    "heights/height_segment_height",
)

#: ``/ancillary_data/atlas_sdp_gps_epoch`` of every ICESat-2 product: GPS seconds from the GPS
#: epoch to 2018-01-01T00:00:00 UTC. The readers use the file's own value; this is the fallback.
ATLAS_SDP_GPS_EPOCH: float = 1198800018.0

#: The GPS time origin.
GPS_EPOCH: np.datetime64 = np.datetime64("1980-01-06T00:00:00", "ns")

#: GPS - UTC in seconds, from each UTC date on (IERS Bulletin C). No leap second has been added
#: since 2017-01-01; add a row here if the IERS announces one.
GPS_UTC_LEAP_SECONDS: tuple[tuple[str, int], ...] = (
    ("1981-07-01", 1),
    ("1982-07-01", 2),
    ("1983-07-01", 3),
    ("1985-07-01", 4),
    ("1988-01-01", 5),
    ("1990-01-01", 6),
    ("1991-01-01", 7),
    ("1992-07-01", 8),
    ("1993-07-01", 9),
    ("1994-07-01", 10),
    ("1996-01-01", 11),
    ("1997-07-01", 12),
    ("1999-01-01", 13),
    ("2006-01-01", 14),
    ("2009-01-01", 15),
    ("2012-07-01", 16),
    ("2015-07-01", 17),
    ("2017-01-01", 18),
)

# The same table on the GPS time scale: a leap second takes effect at UTC midnight, which is
# (seconds of calendar time since the GPS epoch) + (the new offset) GPS seconds.
_LEAP_GPS_SECONDS = np.array(
    [
        (np.datetime64(day, "s") - GPS_EPOCH.astype("datetime64[s]")).astype(np.int64) + offset
        for day, offset in GPS_UTC_LEAP_SECONDS
    ],
    dtype=np.float64,
)
_LEAP_OFFSETS = np.array([0] + [offset for _, offset in GPS_UTC_LEAP_SECONDS], dtype=np.int64)

_GPS_EPOCH_NS = GPS_EPOCH.astype(np.int64)
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_BEAM_PATTERN = re.compile(r"gt[123][lr]")


# --------------------------------------------------------------------------------------------
# Time


def gps_utc_offset(gps_seconds: npt.ArrayLike) -> np.ndarray:
    """Return GPS - UTC (leap seconds) in whole seconds at the given GPS times.

    Parameters
    ----------
    gps_seconds
        Seconds since the GPS epoch 1980-01-06T00:00:00, on the GPS time scale.

    Returns
    -------
    numpy.ndarray
        int64 offsets, the same shape as `gps_seconds`.

    Examples
    --------
    >>> gps_utc_offset([0.0, 1198800018.0])  # 1980-01-06, and 2018-01-01 (ATLAS epoch)
    array([ 0, 18])
    """
    t = np.asarray(gps_seconds, dtype=np.float64)
    return _LEAP_OFFSETS[np.searchsorted(_LEAP_GPS_SECONDS, t, side="right")]


_BLOCK = 1 << 20
"""Values per block in `delta_time_to_datetime` (8 MiB of float64 scratch)."""


def delta_time_to_datetime(
    delta_time: npt.ArrayLike, atlas_sdp_gps_epoch: float = ATLAS_SDP_GPS_EPOCH
) -> np.ndarray:
    """Convert ICESat-2 ``delta_time`` to UTC ``datetime64[ns]``, taking leap seconds into account.

    UTC = 1980-01-06 + atlas_sdp_gps_epoch + delta_time - (GPS - UTC at that time).

    Parameters
    ----------
    delta_time
        GPS seconds since the ATLAS epoch, as stored in every ``delta_time`` variable.
    atlas_sdp_gps_epoch
        ``/ancillary_data/atlas_sdp_gps_epoch`` of the file (see `atlas_epoch`).

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` values (NaT where `delta_time` is NaN).

    Examples
    --------
    >>> delta_time_to_datetime([0.0, 24842637.696])
    array(['2018-01-01T00:00:00.000000000', '2018-10-15T12:43:57.696000000'],
          dtype='datetime64[ns]')

    Across the leap second at the end of 2016 (GPS - UTC went from 17 to 18 s):

    >>> delta_time_to_datetime([-31536002.0, -31536000.0])
    array(['2016-12-31T23:59:59.000000000', '2017-01-01T00:00:00.000000000'],
          dtype='datetime64[ns]')
    """
    dt = np.asarray(delta_time, dtype=np.float64)
    finite = np.isfinite(dt)
    all_finite = bool(finite.all())
    values = dt if all_finite else np.where(finite, dt, 0.0)
    epoch_ns = np.int64(round(atlas_sdp_gps_epoch * 1e9))
    # GPS - UTC only changes at leap seconds: one scalar when none falls inside (fast path for
    # millions of photons), else per value
    span = np.array([values.min(), values.max()]) if values.size else np.zeros(2)
    first, last = gps_utc_offset(atlas_sdp_gps_epoch + span)
    if first == last:
        leap_ns: Any = np.int64(first) * 1_000_000_000
    else:
        leap_ns = gps_utc_offset(atlas_sdp_gps_epoch + values) * 1_000_000_000
    # integer nanoseconds since 1970, then a view; in blocks, so that the only large new array
    # is the result (millions of photons: each extra temporary costs more than the arithmetic)
    ns = np.empty(values.shape, dtype=np.int64)
    flat_values, flat_ns = values.reshape(-1), ns.reshape(-1)
    scratch = np.empty(min(flat_values.size, _BLOCK))
    for start in range(0, flat_values.size, _BLOCK):
        part = scratch[: min(_BLOCK, flat_values.size - start)]
        np.multiply(flat_values[start : start + part.size], 1e9, out=part)
        np.round(part, out=part)
        flat_ns[start : start + part.size] = part
    ns += epoch_ns - leap_ns + _GPS_EPOCH_NS
    utc = ns.view("datetime64[ns]")
    return utc if all_finite else np.where(finite, utc, np.datetime64("NaT", "ns"))


# --------------------------------------------------------------------------------------------
# Opening


def _describe(source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if isinstance(source, h5py.Group):
        source = source.file.filename
        return source if isinstance(source, str) else "the open HDF5 file"
    for attribute in ("path", "name", "filename"):
        value = getattr(source, attribute, None)
        if isinstance(value, str) and value:
            return value
    return f"the {type(source).__name__} object"


def _head(source: Any, n: int = 2056) -> bytes | None:
    """The first `n` bytes of a path or a seekable file object, or None if unreadable."""
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as f:
                return f.read(n)
        position = source.tell()
        try:
            source.seek(0)
            return bytes(source.read(n))
        finally:
            source.seek(position)
    except Exception:
        return None


def _not_hdf5_message(what: str, head: bytes) -> str:
    start = head.lstrip()[:64].lower()
    if not head:
        hint = "It is empty (0 bytes): the download or upload probably failed; fetch it again."
    elif start.startswith(b"<") or b"<html" in start:
        hint = (
            "It starts like an HTML/XML page, usually an Earthdata Login or error page instead of "
            "data: log in first (helpers.login()), accept the dataset's EULA on "
            "urs.earthdata.nasa.gov if asked, and open the granule's data link."
        )
    elif head.startswith(b"CDF\x01") or head.startswith(b"CDF\x02"):
        hint = (
            "It is a netCDF-3 (classic) file, which is not HDF5: open it with "
            "xarray.open_dataset(..., engine='scipy')."
        )
    else:
        hint = (
            f"Its first bytes are {head[:16]!r}. Check that you opened the granule's data file "
            "(.h5 or .nc), not its .xml, .md5 or browse image."
        )
    return f"{what} is not an HDF5 file (no HDF5 signature). {hint}"


@contextmanager
def open_hdf5(source: H5Source) -> Iterator[h5py.File]:
    """Open `source` read-only with h5py, with a clear error if it is not HDF5.

    An ``h5py.File`` (or group) is used as it is and left open; a path or file-like object is
    opened here and the ``h5py.File`` closed on exit (a file-like object itself stays open).

    Parameters
    ----------
    source
        An open ``h5py.File``, a path, or a binary file-like object (e.g. from
        ``earthaccess.open``).

    Yields
    ------
    h5py.File
        The open file.

    Raises
    ------
    NotHDF5Error
        `source` is readable but is not an HDF5/netCDF-4 file.
    FileNotFoundError
        A path that does not exist.

    Examples
    --------
    >>> import io
    >>> with open_hdf5(io.BytesIO(b"<!DOCTYPE html><title>Earthdata Login</title>")) as f:
    ...     pass
    Traceback (most recent call last):
    ...
    helpers.errors.NotHDF5Error: the BytesIO object is not an HDF5 file (no HDF5 signature). It \
starts like an HTML/XML page, ...
    """
    if isinstance(source, h5py.Group):
        yield source.file
        return
    what = _describe(source)
    if isinstance(source, str | os.PathLike) and not os.path.exists(source):
        raise FileNotFoundError(f"No such file: {what}. Check the path (or download it first).")
    try:
        h5 = h5py.File(source, "r")
    except OSError:
        head = _head(source)
        if head is None or any(
            head[offset : offset + 8] == _HDF5_SIGNATURE for offset in (0, 512, 1024, 2048)
        ):
            raise  # an HDF5 file with another problem (truncated, locked ...): h5py says best
        raise NotHDF5Error(_not_hdf5_message(what, head)) from None
    try:
        yield h5
    finally:
        h5.close()


class _Reader:
    """Reads ``[dataset[rows] for dataset in datasets]`` with h5py."""

    def __call__(self, datasets: Sequence[h5py.Dataset], rows: slice) -> list[np.ndarray]:
        return [np.asarray(d[()] if d.ndim == 0 else d[rows]) for d in datasets]

    def prefetch(self, group: h5py.Group, names: Sequence[str]) -> None:
        """Get ready to open these members of `group` (nothing to do for h5py)."""


class _FastReader(_Reader):
    """The concurrent reader of `helpers.fastread`, falling back to h5py if it fails."""

    def __init__(self, remote: fastread.RemoteHDF5File) -> None:
        self.remote = remote

    def __call__(self, datasets: Sequence[h5py.Dataset], rows: slice) -> list[np.ndarray]:
        try:
            return fastread.read_datasets(datasets, self.remote, rows)
        except Exception as err:  # never worse than h5py: read the same file the plain way
            warnings.warn(
                f"helpers: the concurrent read failed ({type(err).__name__}: {err}); reading "
                "with h5py instead (slower). Pass fast=False to skip the concurrent read.",
                RuntimeWarning,
                stacklevel=4,
            )
            return super().__call__(datasets, rows)

    def prefetch(self, group: h5py.Group, names: Sequence[str]) -> None:
        """Fetch the object headers of these members in one round trip."""
        with contextlib.suppress(Exception):  # only an optimisation
            fastread.prefetch_members(group, names, self.remote)


@contextmanager
def _open_for_reading(source: H5Source, fast: bool) -> Iterator[tuple[h5py.File, _Reader]]:
    """`open_hdf5`, or for an fsspec file object (``fast``) the concurrent reader of fastread."""
    remote: fastread.RemoteHDF5File | None = None
    h5: h5py.File | None = None
    if fast and not isinstance(source, h5py.Group | str | os.PathLike):
        try:
            remote = fastread.RemoteHDF5File.from_file(source)
            h5 = h5py.File(remote, "r")
        except Exception:  # not fsspec, not HDF5, unreachable ...: open_hdf5 says it best
            if remote is not None:
                remote.close()
            remote = None
    if remote is None or h5 is None:
        with open_hdf5(source) as opened:
            yield opened, _Reader()
        return
    try:
        yield h5, _FastReader(remote)
    finally:
        h5.close()
        remote.close()


def atlas_epoch(h5: h5py.Group) -> float:
    """Return ``/ancillary_data/atlas_sdp_gps_epoch`` of an open ICESat-2 file.

    Falls back to `ATLAS_SDP_GPS_EPOCH` (the value of every product so far) when a subsetted
    file lacks it.

    Parameters
    ----------
    h5
        An open ``h5py.File``.

    Returns
    -------
    float
        GPS seconds from 1980-01-06 to the ATLAS epoch.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=[1198800018.0])
    >>> with h5py.File(path, "r") as f:
    ...     atlas_epoch(f)
    1198800018.0
    >>> shutil.rmtree(path.parent)
    """
    path = "ancillary_data/atlas_sdp_gps_epoch"
    if path not in h5.file:
        return ATLAS_SDP_GPS_EPOCH
    return float(np.asarray(h5.file[path][()]).reshape(-1)[0])


# --------------------------------------------------------------------------------------------
# Beams and groups


def _beams(h5: h5py.Group) -> list[str]:
    return [name for name in h5.file if _BEAM_PATTERN.fullmatch(name)]


def _require_beam(h5: h5py.File, beam: str, what: str) -> h5py.Group:
    present = _beams(h5)
    if beam not in present:
        has = ", ".join(present) if present else "no beam groups at all"
        if not _BEAM_PATTERN.fullmatch(str(beam)):
            todo = f"Beams are named {', '.join(BEAMS)}."
        else:
            todo = "Pick one of those (strong_beams(file) lists the strong ones)."
        raise BeamNotFoundError(f"Beam {beam!r} is not in {what}; it has {has}. {todo}")
    return h5[beam]


def _require_group(h5: h5py.File, path: str, what: str, hint: str = "") -> h5py.Group:
    obj = h5.get(path)
    if isinstance(obj, h5py.Group):
        return obj
    parent_path = path.rsplit("/", 1)[0] if "/" in path else "/"
    parent = h5.get(parent_path)
    has = ", ".join(sorted(parent.keys())) if isinstance(parent, h5py.Group) else "nothing"
    raise GroupNotFoundError(
        f"Group '/{path}' is not in {what}; /{parent_path.strip('/')} has: {has}.{hint}"
    )


def _group_listing(group: h5py.Group) -> str:
    datasets = sorted(k for k, v in group.items() if isinstance(v, h5py.Dataset))
    groups = sorted(k for k, v in group.items() if isinstance(v, h5py.Group))
    text = f"variables: {', '.join(datasets) or 'none'}"
    if groups:
        text += f"; sub-groups: {', '.join(groups)}"
    return text


def _candidates(name: str, search: Sequence[str]) -> list[str]:
    return [name] if "/" in name else [f"{sub}/{name}" if sub else name for sub in search]


def _resolve_variable(group: h5py.Group, name: str, search: Sequence[str]) -> h5py.Dataset:
    candidates = _candidates(name, search)
    for candidate in candidates:
        obj = group.get(candidate)
        if isinstance(obj, h5py.Dataset):
            return obj
    paths = [f"{group.name}/{c}".replace("//", "/") for c in candidates]
    parents = list(dict.fromkeys(path.rsplit("/", 1)[0] or "/" for path in paths))
    leaf = name.rsplit("/", 1)[-1]
    where = f"is in none of {', '.join(parents)}" if len(parents) > 1 else f"is not in {parents[0]}"
    raise VariableNotFoundError(
        f"Variable {leaf!r} {where}. {group.name} has {_group_listing(group)}. "
        "Use one of those names (a sub-group variable as 'subgroup/name')."
    )


def strong_beams(source: H5Source) -> list[str]:
    """Return the strong beams of an ICESat-2 granule, from ``/orbit_info/sc_orient``.

    The spacecraft flies "backward" (``sc_orient`` 0: the left beams gt1l, gt2l, gt3l are strong)
    or "forward" (1: the right beams gt1r, gt2r, gt3r are strong), and yaws between the two a few
    times a year (2: transition). The three strong beams are returned even if a granule happens
    to lack one of them.

    Parameters
    ----------
    source
        An open ``h5py.File``, a path, or a file-like object.

    Returns
    -------
    list[str]
        Three beam names.

    Raises
    ------
    SpacecraftOrientationError
        ``sc_orient`` is 2 (transition), changes within the granule, or is unknown.
    GroupNotFoundError, VariableNotFoundError
        The file has no ``/orbit_info/sc_orient`` (it is not an ICESat-2 ATL file).

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("orbit_info/sc_orient", data=np.array([1], dtype="i1"))
    >>> strong_beams(path)
    ['gt1r', 'gt2r', 'gt3r']
    >>> shutil.rmtree(path.parent)
    """
    with open_hdf5(source) as h5:
        what = _describe(source)
        orbit_info = _require_group(
            h5, "orbit_info", what, " Is this an ICESat-2 ATL product (ATL03, ATL07 ...)?"
        )
        values = np.asarray(_resolve_variable(orbit_info, "sc_orient", ("",))[()]).reshape(-1)
    if values.size == 1 and values[0] == 0:
        return ["gt1l", "gt2l", "gt3l"]
    if values.size == 1 and values[0] == 1:
        return ["gt1r", "gt2r", "gt3r"]
    if values.size > 1 or (values.size == 1 and values[0] == 2):
        raise SpacecraftOrientationError(
            f"/orbit_info/sc_orient is {values.tolist()} in {what}: the spacecraft was in a yaw "
            "transition (2) or changed orientation during this granule, so no beam is reliably "
            "strong. Check each beam's 'atlas_beam_type' attribute (f['gt1l'].attrs) or use "
            "another granule."
        )
    raise SpacecraftOrientationError(
        f"/orbit_info/sc_orient is {values.tolist()} in {what}; expected one value, 0 (backward) "
        "or 1 (forward). Check each beam's 'atlas_beam_type' attribute instead."
    )


# --------------------------------------------------------------------------------------------
# Photons to segments


def photon_segment_index(
    ph_index_beg: npt.ArrayLike,
    segment_ph_cnt: npt.ArrayLike,
    photon_index: npt.ArrayLike,
) -> np.ndarray:
    """Return, for each photon, the index of its ATL03 geolocation segment (-1 if none).

    ``geolocation/ph_index_beg`` holds the 1-based index of each 20 m segment's first photon
    (0 when the segment has none) and ``segment_ph_cnt`` its number of photons.

    Parameters
    ----------
    ph_index_beg
        1-based first-photon index of each segment.
    segment_ph_cnt
        Photon count of each segment.
    photon_index
        0-based photon indices to look up (e.g. ``np.arange(n_photons)``).

    Returns
    -------
    numpy.ndarray
        int64 segment indices (0-based), -1 for photons outside every segment.

    Examples
    --------
    >>> photon_segment_index([1, 0, 3], [2, 0, 2], [0, 1, 2, 3, 4])
    array([ 0,  0,  2,  2, -1])
    """
    beg = np.asarray(ph_index_beg, dtype=np.int64).reshape(-1)
    cnt = np.asarray(segment_ph_cnt, dtype=np.int64).reshape(-1)
    photons = np.asarray(photon_index, dtype=np.int64)
    has_photons = (beg > 0) & (cnt > 0)
    segment = np.flatnonzero(has_photons)
    start = beg[has_photons] - 1
    order = np.argsort(start, kind="stable")
    segment, start = segment[order], start[order]
    stop = start + cnt[has_photons][order]
    k = np.searchsorted(start, photons, side="right") - 1
    inside = k >= 0
    inside[inside] = photons[inside] < stop[k[inside]]
    out = np.full(photons.shape, -1, dtype=np.int64)
    out[inside] = segment[k[inside]]
    return out


# --------------------------------------------------------------------------------------------
# Readers


def _extra_dims(dset: h5py.Dataset, name: str) -> list[str]:
    dims = []
    for axis in range(1, dset.ndim):
        label = f"{name}_dim{axis}"
        try:
            scales = dset.dims[axis]
            if len(scales):
                label = scales[0].name.rsplit("/", 1)[-1]
        except Exception:  # unreadable dimension references: keep the generic name
            pass
        dims.append(label)
    return dims


def _check_rows(dset: h5py.Dataset, dim: str, n_rows: int, what: str) -> None:
    if dset.ndim == 0 or dset.shape[0] != n_rows:
        raise ValueError(
            f"{dset.name} in {what} has shape {dset.shape}, but this group has {n_rows} {dim}s: "
            f"it is not a per-{dim} variable. Read it with h5py directly."
        )


def _to_variable(dset: h5py.Dataset, data: np.ndarray, name: str, dim: str) -> xr.Variable:
    attrs = decode_attrs(dset)
    attrs.pop("coordinates", None)  # names paths of the file (e.g. ../delta_time), not of ds
    encoding: dict[str, Any] = {}
    fill = attrs.get("_FillValue")
    if fill is not None and data.dtype.kind == "f":
        is_fill = data == np.asarray(fill).astype(data.dtype).reshape(-1)[0]
        if is_fill.any():
            data[is_fill] = np.nan
        encoding["_FillValue"] = attrs.pop("_FillValue")
    return xr.Variable((dim, *_extra_dims(dset, name)), data, attrs, encoding)


def _as_names(variables: Sequence[str] | str) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise ValueError("variables is empty: name at least one variable, e.g. ['h_ph'].")
    return names


def _as_rows(subset: slice | None) -> slice:
    if subset is None:
        return slice(None)
    if not isinstance(subset, slice):
        raise TypeError(f"subset must be a slice, e.g. slice(0, 100_000); got {subset!r}.")
    return subset


def _read_group(
    h5: h5py.File,
    group: h5py.Group,
    names: Sequence[str],
    *,
    dim: str,
    search: Sequence[str],
    rows: slice,
    what: str,
    read: _Reader,
) -> xr.Dataset:
    read.prefetch(group, [c for n in names for c in _candidates(n, search)])
    datasets = {name: _resolve_variable(group, name, search) for name in names}
    if "delta_time" in group and isinstance(group["delta_time"], h5py.Dataset):
        n_rows = group["delta_time"].shape[0]
    else:
        n_rows = next(iter(datasets.values())).shape[0]
    for dset in datasets.values():
        _check_rows(dset, dim, n_rows, what)
    values = dict(zip(datasets, read(list(datasets.values()), rows), strict=True))
    data_vars: dict[str, xr.Variable] = {}
    coords: dict[str, xr.Variable] = {}
    for name, dset in datasets.items():
        key = name.rsplit("/", 1)[-1]
        if key in data_vars or key in coords:
            key = name.replace("/", "_")
        variable = _to_variable(dset, values[name], key, dim)
        if key == "delta_time":
            coords["delta_time"] = variable
            coords["time"] = xr.Variable(
                dim,
                delta_time_to_datetime(variable.values, atlas_epoch(h5)),
                {
                    "long_name": "UTC time",
                    "description": "delta_time + /ancillary_data/atlas_sdp_gps_epoch since "
                    "1980-01-06 (GPS), minus leap seconds",
                },
            )
        else:
            data_vars[key] = variable
    return xr.Dataset(data_vars, coords)


def read_variables(
    source: H5Source, names: Sequence[str] | str, *, fast: bool = True
) -> dict[str, np.ndarray]:
    """Read whole HDF5 variables, by path, into numpy arrays (values as stored, no decoding).

    Over S3 or HTTPS (an fsspec file object from ``earthaccess.open`` or `open_granule`), the
    chunks of all the variables are fetched at once, concurrently (`helpers.fastread`), where
    ``{name: h5[name][()] for name in names}`` with h5py would fetch them one after another.

    Parameters
    ----------
    source
        An open ``h5py.File``, a path, or a file-like object.
    names
        Dataset paths in the file, e.g. ``["lat", "lon", "quality_level"]`` or
        ``"gt1l/sea_ice_segments/latitude"``.
    fast
        As in `read_atl03_beam`: ``False`` reads through h5py only.

    Returns
    -------
    dict[str, numpy.ndarray]
        One array per name, equal to what h5py returns.

    Raises
    ------
    VariableNotFoundError, NotHDF5Error

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny_l2p.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("lat", data=np.full((2, 3), 80.5, "f4"))
    ...     _ = f.create_dataset("quality_level", data=np.array([[[5, 4, 0], [1, 5, 5]]], "i1"))
    >>> arrays = read_variables(path, ["lat", "quality_level"])
    >>> arrays["lat"].shape, arrays["quality_level"][0, 0].tolist()
    ((2, 3), [5, 4, 0])
    >>> read_variables(path, "sst")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.errors.VariableNotFoundError: Variable 'sst' is not in /. / has ...
    >>> shutil.rmtree(path.parent)
    """
    wanted = _as_names(names)
    with _open_for_reading(source, fast) as (h5, read):
        read.prefetch(h5, wanted)
        dsets = [_resolve_variable(h5, name, ("",)) for name in wanted]
        values = read(dsets, slice(None))
    return {name: np.asarray(v) for name, v in zip(wanted, values, strict=True)}


def read_atl03_beam(
    source: H5Source,
    beam: str = "gt1l",
    variables: Sequence[str] | str = ATL03_VARIABLES,
    *,
    along_track: bool = False,
    subset: slice | None = None,
    fast: bool = True,
) -> xr.Dataset:
    """Read photon variables of one ATL03 beam (``/gtXX/heights``) into an `xarray.Dataset`.

    Parameters
    ----------
    source
        An open ``h5py.File``, a path, or a file-like object (e.g. from ``earthaccess.open``).
    beam
        Beam group, ``gt1l`` ... ``gt3r`` (see `strong_beams`).
    variables
        Names in ``/gtXX/heights``; ``delta_time`` becomes the ``delta_time`` and UTC ``time``
        coordinates.
    along_track
        Also compute ``along_track_distance`` = ``dist_ph_along`` + the photon's segment
        ``geolocation/segment_dist_x`` (metres from the equator crossing).
    subset
        Read only these photons, e.g. ``slice(0, 1_000_000)``; default all.
    fast
        For a file object from ``earthaccess.open``/``open_granule``/``s3fs`` (any fsspec
        file), fetch all chunks concurrently (`helpers.fastread`); same values as h5py.
        ``False`` reads through h5py and the file object's own cache only.

    Returns
    -------
    xarray.Dataset
        Dimension ``photon``; attributes of the beam group (e.g. ``atlas_beam_type``) plus
        ``beam``, ``group`` and ``source``.

    Raises
    ------
    BeamNotFoundError, GroupNotFoundError, VariableNotFoundError, NotHDF5Error

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny_atl03.h5"
    >>> with h5py.File(path, "w") as f:
    ...     g = f.create_group("gt1l/heights")
    ...     _ = g.create_dataset("delta_time", data=[24842637.696, 24842637.697])
    ...     h = g.create_dataset("h_ph", data=np.array([1500.5, 1501.0], "f4"))
    ...     h.attrs["units"] = np.bytes_("meters")
    ...     _ = g.create_dataset("dist_ph_along", data=np.array([0.5, 1.2], "f4"))
    ...     geo = f.create_group("gt1l/geolocation")
    ...     _ = geo.create_dataset("ph_index_beg", data=[1])
    ...     _ = geo.create_dataset("segment_ph_cnt", data=[2])
    ...     _ = geo.create_dataset("segment_dist_x", data=[1000.0])
    >>> ds = read_atl03_beam(path, "gt1l", ["h_ph", "delta_time"], along_track=True)
    >>> ds.h_ph.attrs["units"], ds.along_track_distance.values.tolist()
    ('meters', [1000.5, 1001.2000000476837])
    >>> str(ds.time.values[0])
    '2018-10-15T12:43:57.696000000'
    >>> shutil.rmtree(path.parent)
    """
    names = _as_names(variables)
    rows = _as_rows(subset)
    what = _describe(source)
    with _open_for_reading(source, fast) as (h5, read):
        beam_group = _require_beam(h5, beam, what)
        hint = ""
        if "sea_ice_segments" in beam_group:
            hint = " This looks like ATL07: use read_atl07_beam."
        heights = _require_group(h5, f"{beam}/heights", what, hint)
        ds = _read_group(
            h5, heights, names, dim="photon", search=("",), rows=rows, what=what, read=read
        )
        if along_track:
            geolocation = _require_group(h5, f"{beam}/geolocation", what)
            geo_names = ("ph_index_beg", "segment_ph_cnt", "segment_dist_x")
            geo_dsets = [_resolve_variable(geolocation, n, ("",)) for n in geo_names]
            geo = dict(zip(geo_names, read(geo_dsets, slice(None)), strict=True))
            if "dist_ph_along" in ds:
                dist_ph_along = ds["dist_ph_along"].values
            else:
                (dist_ph_along,) = read([_resolve_variable(heights, "dist_ph_along", ("",))], rows)
            n_photons = _resolve_variable(heights, "dist_ph_along", ("",)).shape[0]
            photon = np.arange(n_photons)[rows]
            segment = photon_segment_index(geo["ph_index_beg"], geo["segment_ph_cnt"], photon)
            segment_dist_x = np.asarray(geo["segment_dist_x"], dtype=np.float64)
            distance = np.where(
                segment >= 0,
                segment_dist_x[np.clip(segment, 0, None)] + dist_ph_along.astype(np.float64),
                np.nan,
            )
            ds["along_track_distance"] = xr.Variable(
                "photon",
                distance,
                {
                    "units": "meters",
                    "long_name": "Along-track distance from the equator crossing",
                    "description": "dist_ph_along + geolocation/segment_dist_x of the photon's "
                    "20 m segment (via ph_index_beg, segment_ph_cnt); NaN outside any segment",
                },
            )
        ds.attrs = {
            **decode_attrs(beam_group),
            "beam": beam,
            "group": heights.name,
            "source": what,
        }
    return ds


def read_atl07_beam(
    source: H5Source,
    beam: str = "gt1l",
    variables: Sequence[str] | str = ATL07_VARIABLES,
    *,
    subset: slice | None = None,
    fast: bool = True,
) -> xr.Dataset:
    """Read sea-ice segment variables of one ATL07 beam into an `xarray.Dataset`.

    Parameters
    ----------
    source
        An open ``h5py.File``, a path, or a file-like object (e.g. from ``earthaccess.open``).
    beam
        Beam group, ``gt1l`` ... ``gt3r``.
    variables
        Names in ``/gtXX/sea_ice_segments`` or its sub-groups, e.g.
        ``"heights/height_segment_height"``; a bare name is also looked up in ``heights/``.
        Variables are named by their last path part in the dataset.
    subset
        Read only these segments, e.g. ``slice(0, 10_000)``; default all.
    fast
        As in `read_atl03_beam`: concurrent chunk reads for fsspec file objects.

    Returns
    -------
    xarray.Dataset
        Dimension ``segment``; ``_FillValue`` (3.4028235e+38 for heights) is NaN.

    Raises
    ------
    BeamNotFoundError, GroupNotFoundError, VariableNotFoundError, NotHDF5Error

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny_atl07.h5"
    >>> with h5py.File(path, "w") as f:
    ...     g = f.create_group("gt1l/sea_ice_segments")
    ...     _ = g.create_dataset("delta_time", data=[46419293.64266939, 46419293.7])
    ...     h = g.create_dataset("heights/height_segment_height",
    ...                          data=np.array([3.4028235e38, -0.4655], "f4"))
    ...     h.attrs["_FillValue"] = np.float32(3.4028235e38)
    >>> ds = read_atl07_beam(path, variables=["delta_time", "height_segment_height"])
    >>> ds.height_segment_height.values
    array([    nan, -0.4655], dtype=float32)
    >>> str(ds.time.values[0])[:23]
    '2019-06-22T06:14:53.642'
    >>> shutil.rmtree(path.parent)
    """
    names = _as_names(variables)
    rows = _as_rows(subset)
    what = _describe(source)
    with _open_for_reading(source, fast) as (h5, read):
        beam_group = _require_beam(h5, beam, what)
        hint = " This looks like ATL03: use read_atl03_beam." if "heights" in beam_group else ""
        segments = _require_group(h5, f"{beam}/sea_ice_segments", what, hint)
        ds = _read_group(
            h5,
            segments,
            names,
            dim="segment",
            search=("", "heights"),
            rows=rows,
            what=what,
            read=read,
        )
        ds.attrs = {
            **decode_attrs(beam_group),
            "beam": beam,
            "group": segments.name,
            "source": what,
        }
    return ds
