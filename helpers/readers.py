"""Read one ICESat-2 beam (ATL03 photons, ATL07 sea-ice segments) into an `xarray.Dataset`.

The readers take what ``earthaccess.open`` returns (or any fsspec file object, a path, an open
``h5py.File``), let h5py find the variables and read them all at once with
`helpers.chunks.read_chunked_many` (over S3 or HTTPS their chunks are fetched concurrently; from
a path or an ``h5py.File`` h5py reads them). On a remote fsspec file h5py walks the metadata
through a file object of their own with small blocks (`METADATA_BLOCK_SIZE`). They keep each
variable's attributes (decoded by `helpers.attrs`), turn a floating-point ``_FillValue`` into
NaN, and add a UTC ``time`` coordinate decoded from ``delta_time`` by xarray's CF time decoding,
lazily, as ``xr.open_dataset`` decodes: on first use (about 0.5 s for 12 M photons), then kept.

ICESat-2 time: ``delta_time`` counts GPS seconds since the ATLAS epoch, 2018-01-01T00:00:00 UTC
(``/ancillary_data/atlas_sdp_gps_epoch`` = 1198800018 GPS seconds after 1980-01-06), and its
``units`` attribute says so: ``"seconds since 2018-01-01"``. CF decoding adds those seconds to
that date and ignores leap seconds, which is exact as long as no leap second falls between the
epoch and the measurement: none has since 2017-01-01 (GPS - UTC has been 18 s since then, and
ICESat-2 launched in September 2018). A time before 2017 would come out one second late per leap
second missed; no ICESat-2 measurement is that old.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

import h5py
import numpy as np
import xarray as xr
from fsspec.asyn import AsyncFileSystem
from fsspec.spec import AbstractBufferedFile
from xarray.core.indexing import MemoryCachedArray

from helpers.attrs import decode_attrs
from helpers.chunks import read_chunked_many
from helpers.errors import (
    BeamNotFoundError,
    NotHDF5Error,
    SpacecraftOrientationError,
    VariableNotFoundError,
)

__all__ = ["BEAMS", "read_atl03_beam", "read_atl07_beam", "strong_beams"]

#: The six ICESat-2 ground-track beam groups.
BEAMS: tuple[str, ...] = ("gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r")

_BEAM = re.compile(r"gt[123][lr]")
_EPOCH_UNITS = "seconds since 2018-01-01"  # delta_time's units in every ICESat-2 product

#: The block size and most blocks kept of the file object h5py walks a remote file's metadata
#: through (`_metadata_file`): chosen by measurement, benchmarks/RESULTS.md.
METADATA_BLOCK_SIZE, METADATA_MAX_BLOCKS = 2**20, 128


@contextlib.contextmanager
def _open(source: Any) -> Iterator[tuple[h5py.File, str, Any]]:
    """The open file, a name for messages and the file object its chunks come from (None: h5py
    reads them); a clear `NotHDF5Error` for anything else."""
    if isinstance(source, h5py.Group):
        yield source.file, str(source.file.filename), None
        return
    what = os.fspath(source) if isinstance(source, str | os.PathLike) else _name(source)
    with contextlib.ExitStack() as stack:
        fileobj = _metadata_file(source)
        if fileobj is not source:
            stack.enter_context(fileobj)
        try:
            h5 = stack.enter_context(h5py.File(fileobj, "r"))
        except FileNotFoundError:
            raise
        except OSError:
            head = None
            with contextlib.suppress(Exception):
                if isinstance(source, str | os.PathLike):
                    with open(source, "rb") as f:
                        head = f.read(64)
                else:
                    source.seek(0)
                    head = bytes(source.read(64))
            if head is None or b"\x89HDF\r\n\x1a\n" in head:
                raise  # an HDF5 file with another problem (truncated ...): h5py says it best
            raise NotHDF5Error(_not_hdf5(what, head)) from None
        yield h5, what, fileobj


def _metadata_file(source: Any) -> Any:
    """`source`, or for a remote fsspec file (``earthaccess.open``'s) a file object of our own on
    the same file, with small blocks, for h5py's walk through the metadata.

    ``earthaccess.open`` gives a large granule 16 MiB blocks and fsspec's ``background`` cache,
    which fetches the next block ahead of every one h5py touches: 784 MB moved for 220 MB
    needed on the v006 layout, whose chunk index is spread through the file (benchmarks/
    RESULTS.md). The file's size and details are passed on: opening it costs no request.
    """
    remote = isinstance(getattr(source, "fs", None), AsyncFileSystem)  # s3fs, HTTPS, ...
    if not remote or not isinstance(source, AbstractBufferedFile) or source.mode != "rb":
        return source  # a path, a local or in-memory file: nothing to gain
    own = source.fs.open(
        source.path,
        "rb",
        block_size=METADATA_BLOCK_SIZE,
        cache_type="blockcache",
        cache_options={"maxblocks": METADATA_MAX_BLOCKS},
        size=source.size,
    )
    if isinstance(details := getattr(source, "_details", None), dict):
        own.details = details  # s3fs's reads check the ETag it found: no second HEAD
    return own


def _name(fileobj: Any) -> str:
    for attribute in ("path", "full_name", "name"):
        if isinstance(value := getattr(fileobj, attribute, None), str) and value:
            return value
    return f"the {type(fileobj).__name__} object"


def _not_hdf5(what: str, head: bytes) -> str:
    start = head.lstrip()[:64].lower()
    if not head:
        hint = "It is empty: the download probably failed; fetch it again."
    elif start.startswith(b"<"):
        hint = (
            "It starts like an HTML/XML page, usually an Earthdata Login or error page: log in "
            "(earthaccess.login()), accept the dataset's EULA on urs.earthdata.nasa.gov if asked, "
            "and open the granule's data link."
        )
    else:
        hint = f"Its first bytes are {head[:16]!r}: open the .h5/.nc data file, not its metadata."
    return f"{what} is not an HDF5 file (no HDF5 signature). {hint}"


def _group(h5: h5py.File, beam: str, sub: str, what: str, other: tuple[str, str]) -> h5py.Group:
    beams = [name for name in h5 if _BEAM.fullmatch(name)]
    if beam not in beams:
        todo = "strong_beams(file) lists the strong ones" if _BEAM.fullmatch(beam) else ""
        raise BeamNotFoundError(
            f"Beam {beam!r} is not in {what}; it has {', '.join(beams) or 'no beam groups'}. "
            f"Beams are named {', '.join(BEAMS)}{f'; {todo}' if todo else ''}."
        )
    if not isinstance(group := h5[beam].get(sub), h5py.Group):
        looks = f" This looks like {other[1]}: use read_{other[1].lower()}_beam." * (
            other[0] in h5[beam]
        )
        raise VariableNotFoundError(
            f"{what} has no group /{beam}/{sub}; /{beam} has {', '.join(h5[beam])}.{looks}"
        )
    return group


def _variable(group: h5py.Group, name: str, search: Sequence[str]) -> h5py.Dataset:
    for candidate in [name] if "/" in name else [f"{s}/{name}".lstrip("/") for s in search]:
        if isinstance(found := group.get(candidate), h5py.Dataset):
            return found
    listing = ", ".join(k for k, v in group.items() if isinstance(v, h5py.Dataset))
    subgroups = ", ".join(k for k, v in group.items() if isinstance(v, h5py.Group))
    more = f"; sub-groups {subgroups} (name their variables subgroup/name)" if subgroups else ""
    raise VariableNotFoundError(
        f"Variable {name!r} is not in {group.name}. It has {listing or 'no variables'}{more}."
    )


def _read(
    source: Any, beam: str, sub: str, other: tuple[str, str], names: Sequence[str] | str, **kw: Any
) -> xr.Dataset:
    """Read `names` of ``/beam/sub`` (rows `subset`) into a Dataset with dimension `dim`."""
    dim, search, subset = kw["dim"], kw["search"], kw.get("subset")
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ValueError("variables is empty: name at least one variable, e.g. ['h_ph'].")
    if subset is not None and not isinstance(subset, slice):
        raise TypeError(f"subset must be a slice, e.g. slice(0, 100_000); got {subset!r}.")
    with _open(source) as (h5, what, file_source):
        group = _group(h5, beam, sub, what, other)
        datasets = {name: _variable(group, name, search) for name in names}
        rows = group["delta_time"] if "delta_time" in group else next(iter(datasets.values()))
        for d in datasets.values():
            if d.ndim == 0 or d.shape[0] != rows.shape[0]:
                raise ValueError(
                    f"{d.name} has shape {d.shape}, but {group.name} has {rows.shape[0]} {dim}s: "
                    f"it is not a per-{dim} variable. Read it with h5py: f[{d.name!r}][()]."
                )
        extra = ["ph_index_beg", "segment_ph_cnt", "segment_dist_x"] if kw.get("geo") else []
        geo = [_variable(h5[beam], f"geolocation/{n}", ()) for n in extra]
        arrays = read_chunked_many(list(datasets.values()), file_source, subset)
        geo_arrays = read_chunked_many(geo, file_source) if geo else []
        ds = xr.Dataset(attrs={**decode_attrs(h5[beam]), "beam": beam, "group": group.name})
        for (name, d), data in zip(datasets.items(), arrays, strict=True):
            attrs = decode_attrs(d)
            attrs.pop("coordinates", None)  # paths in the file (../delta_time), not in ds
            encoding = {}
            if "_FillValue" in attrs and data.dtype.kind == "f":  # integers keep theirs
                encoding["_FillValue"] = fill = attrs.pop("_FillValue")
                data[data == np.asarray(fill, data.dtype).reshape(-1)[0]] = np.nan
            variable = xr.Variable((dim, *_extra_dims(d)), data, attrs, encoding)
            key = name.rsplit("/", 1)[-1]
            ds[key if key not in ds.variables else name.replace("/", "_")] = variable
        if "delta_time" in ds:
            ds = ds.set_coords("delta_time").assign_coords(time=_utc(ds["delta_time"].variable))
        if geo_arrays:
            n = datasets[names[0]].shape[0]
            ds["along_track_distance"] = _along_track(n, subset, *geo_arrays, file_source, group)
    ds.attrs["source"] = what
    return ds


def _extra_dims(d: h5py.Dataset) -> list[str]:
    """Names of the axes after the first: their dimension scale's name, else ``name_dimN``."""
    names = []
    for axis in range(1, d.ndim):
        name = f"{d.name.rsplit('/', 1)[-1]}_dim{axis}"
        with contextlib.suppress(Exception):  # no or unreadable dimension scale
            name = d.dims[axis][0].name.rsplit("/", 1)[-1]
        names.append(name)
    return names


def _utc(delta_time: xr.Variable) -> xr.Variable:
    """CF decoding of ``delta_time`` by its units (the ATLAS epoch): UTC ``datetime64[ns]``,
    decoded lazily as ``xr.open_dataset`` decodes: on first use, then kept."""
    units = delta_time.attrs.get("units", _EPOCH_UNITS)  # a subsetted file may lack the attribute
    plain = xr.Variable(delta_time.dims, delta_time.values, {"units": units})
    utc = xr.coders.CFDatetimeCoder(time_unit="ns").decode(plain, name="time")
    # the wrapper xr.open_dataset puts on every variable (xarray.backends.api)
    lazy = MemoryCachedArray(utc._data)
    attrs = {"long_name": "UTC time", "from": f"delta_time, {units}"}
    return xr.Variable(utc.dims, lazy, attrs)  # no encoding: to_netcdf chooses, as before


def _along_track(
    n: int, subset: slice | None, beg: Any, count: Any, dist_x: Any, source: Any, heights: Any
) -> xr.Variable:
    """dist_ph_along + segment_dist_x of each photon's 20 m segment (NaN outside any)."""
    photon = np.arange(n)[subset or slice(None)]
    has = (beg > 0) & (count > 0)  # ph_index_beg is 1-based, 0 for a segment without photons
    order = np.argsort(beg[has], kind="stable")
    segment, first = np.flatnonzero(has)[order], beg[has][order].astype(np.int64) - 1
    count = count[has][order]
    k = np.searchsorted(first, photon, side="right") - 1
    inside = (k >= 0) & (photon < first[k] + count[k])
    (along,) = read_chunked_many([_variable(heights, "dist_ph_along", ("",))], source, subset)
    distance = np.where(inside, dist_x[segment[k]] + along.astype(np.float64), np.nan)
    attrs = {"units": "meters", "long_name": "Along-track distance from the equator crossing"}
    return xr.Variable("photon", distance, attrs)


def strong_beams(source: Any) -> list[str]:
    """The three strong beams of an ICESat-2 granule, from ``/orbit_info/sc_orient``.

    The spacecraft flies backward (``sc_orient`` 0: gt1l, gt2l, gt3l are strong) or forward
    (1: gt1r, gt2r, gt3r), and yaws between the two a few times a year (2: transition).
    `source` is a file object (``earthaccess.open``), a path or an open ``h5py.File``.

    Raises `SpacecraftOrientationError` in a transition (no beam is reliably strong), and
    `VariableNotFoundError` for a file without ``/orbit_info/sc_orient``.

    Examples
    --------
    >>> import tempfile, pathlib, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("orbit_info/sc_orient", data=np.array([1], dtype="i1"))
    >>> strong_beams(path)
    ['gt1r', 'gt2r', 'gt3r']
    """
    with _open(source) as (h5, what, _):
        if not isinstance(found := h5.get("orbit_info/sc_orient"), h5py.Dataset):
            raise VariableNotFoundError(
                f"{what} has no /orbit_info/sc_orient: is it an ICESat-2 product (ATL03, ATL07)?"
            )
        values = np.asarray(found[()]).reshape(-1).tolist()
    if values in ([0], [1]):
        return [f"gt{i}{'lr'[values[0]]}" for i in (1, 2, 3)]
    raise SpacecraftOrientationError(
        f"/orbit_info/sc_orient is {values} in {what}: not 0 (backward) or 1 (forward) but a yaw "
        "transition, so no beam is reliably strong. Check each beam's 'atlas_beam_type' "
        "attribute (f['gt1l'].attrs) or use another granule."
    )


def read_atl03_beam(
    source: Any,
    beam: str = "gt1l",
    variables: Sequence[str] | str = ("h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time"),
    *,
    along_track: bool = False,
    subset: slice | None = None,
) -> xr.Dataset:
    """Read photon variables of one ATL03 beam (``/gtXX/heights``) into an `xarray.Dataset`.

    `source` is a file object (``earthaccess.open``; its chunks are fetched concurrently), a
    path or an open ``h5py.File``. ``delta_time`` becomes the ``delta_time`` and UTC ``time``
    coordinates (``time`` decoded lazily, as ``xr.open_dataset`` decodes: on first use, then
    kept); `subset` (a slice) reads only those photons; ``along_track=True`` adds
    ``along_track_distance`` = ``dist_ph_along`` + the photon's ``geolocation/segment_dist_x``.
    Raises `BeamNotFoundError`, `VariableNotFoundError` or `NotHDF5Error` with what to do.

    Examples
    --------
    >>> import tempfile, pathlib, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny_atl03.h5"
    >>> with h5py.File(path, "w") as f:
    ...     g = f.create_group("gt1l/heights")
    ...     t = g.create_dataset("delta_time", data=[24842637.696, 24842637.697])
    ...     t.attrs["units"] = np.bytes_("seconds since 2018-01-01")
    ...     h = g.create_dataset("h_ph", data=np.array([1500.5, 1501.0], "f4"))
    ...     h.attrs["units"] = np.bytes_("meters")
    ...     _ = g.create_dataset("dist_ph_along", data=np.array([0.5, 1.2], "f4"))
    ...     for name, value in [("ph_index_beg", 1), ("segment_ph_cnt", 2), ("segment_dist_x", 9)]:
    ...         _ = f.create_dataset(f"gt1l/geolocation/{name}", data=[value])
    >>> ds = read_atl03_beam(path, "gt1l", ["h_ph", "delta_time"], along_track=True)
    >>> ds.h_ph.attrs["units"], ds.along_track_distance.values.tolist()
    ('meters', [9.5, 10.200000047683716])
    >>> str(ds.time.values[0])
    '2018-10-15T12:43:57.696000000'
    >>> read_atl03_beam(path, "gt2x")
    Traceback (most recent call last):
    ...
    helpers.errors.BeamNotFoundError: Beam 'gt2x' is not in ...; it has gt1l. Beams are named ...
    """
    other = ("sea_ice_segments", "ATL07")
    kw = {"dim": "photon", "search": ("",), "subset": subset, "geo": along_track}
    return _read(source, beam, "heights", other, variables, **kw)


def read_atl07_beam(
    source: Any,
    beam: str = "gt1l",
    variables: Sequence[str] | str = (
        "latitude",
        "longitude",
        "delta_time",
        "height_segment_height",
    ),
    *,
    subset: slice | None = None,
) -> xr.Dataset:
    """Read sea-ice segment variables of one ATL07 beam (``/gtXX/sea_ice_segments``).

    As `read_atl03_beam`, with dimension ``segment``; a bare name is also looked up in the
    ``heights/`` sub-group, and ``_FillValue`` (3.4028235e+38 for heights) becomes NaN.

    Examples
    --------
    >>> import tempfile, pathlib, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny_atl07.h5"
    >>> with h5py.File(path, "w") as f:
    ...     g = f.create_group("gt1l/sea_ice_segments")
    ...     t = g.create_dataset("delta_time", data=[46419293.64266939, 46419293.7])
    ...     t.attrs["units"] = np.bytes_("seconds since 2018-01-01")
    ...     h = g.create_dataset("heights/height_segment_height",
    ...                          data=np.array([3.4028235e38, -0.4655], "f4"))
    ...     h.attrs["_FillValue"] = np.float32(3.4028235e38)
    >>> ds = read_atl07_beam(path, variables=["delta_time", "height_segment_height"])
    >>> ds.height_segment_height.values
    array([    nan, -0.4655], dtype=float32)
    >>> str(ds.time.values[0])[:23]
    '2019-06-22T06:14:53.642'
    >>> read_atl07_beam(path, variables=["freeboard"])
    Traceback (most recent call last):
    ...
    helpers.errors.VariableNotFoundError: Variable 'freeboard' is not in /gt1l/sea_ice_segments. ...
    """
    other = ("heights", "ATL03")
    kw = {"dim": "segment", "search": ("", "heights"), "subset": subset}
    return _read(source, beam, "sea_ice_segments", other, variables, **kw)
