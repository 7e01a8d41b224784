"""Turn HDF5 / netCDF attributes into plain Python values.

NASA HDF5 products store attributes in ways that are awkward to use directly:

* strings as fixed-length ``bytes`` (``b'meters'``), which need ``.decode()``;
* "old-style" one-element arrays (``[b'kelvin']``, ``[0.005]``, ``[-32767]``), as in GHRSST
  MODIS L2P files, which need ``[0]``;
* bookkeeping attributes of HDF5 dimension scales and netCDF-4 (``DIMENSION_LIST``,
  ``REFERENCE_LIST``, ``CLASS``, ``NAME``, ``_Netcdf4Dimid``, ``_Netcdf4Coordinates``), which only
  clutter a listing.

`decode_attrs` does this for one h5py object; `decode_attrs_dataset` does it for every variable
and the global attributes of an `xarray.Dataset`, so that ``xr.decode_cf`` then sees real strings
and scalars (a ``units`` of ``[b'seconds since 1981-01-01']`` is silently left undecoded by
xarray, and a one-element ``scale_factor`` array makes it choose float64 over float32).

Values become plain Python values where that is exact: ``bytes`` -> ``str``, numpy integers ->
``int``, ``float64`` -> ``float``, ``bool_`` -> ``bool``. ``float32`` scalars stay numpy scalars:
turning ``np.float32(0.005)`` into a Python float changes its value (0.004999999888...) and makes
CF decoding pick float64, and a float32 ``_FillValue`` (3.4028235e+38) must keep its exact value
to match the data. Arrays of two or more elements stay arrays (``flag_values`` [0 1 2 3 4 5]).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["DROPPED_ATTRS", "decode_attr_value", "decode_attrs", "decode_attrs_dataset"]

#: Attributes that are HDF5 / netCDF-4 bookkeeping, not metadata: `decode_attrs` leaves them out.
DROPPED_ATTRS: frozenset[str] = frozenset(
    {
        "DIMENSION_LIST",
        "REFERENCE_LIST",
        "CLASS",
        "NAME",
        "_Netcdf4Dimid",
        "_Netcdf4Coordinates",
        "_NCProperties",
    }
)


def _decode_bytes(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def decode_attr_value(value: Any) -> Any:
    """Return one attribute value as a plain Python value.

    Parameters
    ----------
    value
        An attribute as h5py, h5netcdf or xarray return it: bytes, str, a numpy scalar, a numpy
        array (often of one element), or an ``h5py.Empty``.

    Returns
    -------
    Any
        ``str`` for text; ``int``/``float``/``bool`` for exact scalars; a numpy ``float32`` scalar
        for float32 values; a numpy array for arrays of two or more elements (byte strings become
        ``str``); ``None`` for an empty attribute.

    Examples
    --------
    >>> import numpy as np
    >>> decode_attr_value(np.array([b"kelvin"]))
    'kelvin'
    >>> decode_attr_value(b"meters")
    'meters'
    >>> decode_attr_value(np.array([-32767], dtype="int16"))
    -32767
    >>> decode_attr_value(np.array([1198800018.0]))
    1198800018.0
    >>> scale = decode_attr_value(np.array([0.005], dtype="float32"))
    >>> type(scale).__name__, bool(scale == np.float32(0.005))
    ('float32', True)
    >>> decode_attr_value(np.array([0, 1, 2, 3, 4, 5], dtype="int8"))
    array([0, 1, 2, 3, 4, 5], dtype=int8)
    >>> decode_attr_value(np.array([b"low", b"high"]))
    array(['low', 'high'], dtype='<U4')
    """
    if isinstance(value, bytes):  # also np.bytes_
        return _decode_bytes(bytes(value))
    if isinstance(value, str):  # also np.str_
        return str(value)
    if isinstance(value, list | tuple):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return value
        if value.size == 1:
            return decode_attr_value(value.reshape(-1)[0])
        if value.dtype.kind == "S":
            return np.array([_decode_bytes(bytes(v)) for v in value.flat]).reshape(value.shape)
        if value.dtype.kind == "O":
            items = [decode_attr_value(v) for v in value.flat]
            if all(isinstance(v, str) for v in items):
                return np.array(items).reshape(value.shape)
        return value
    if isinstance(value, np.generic):
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.float64):
            return float(value)
        return value  # float32, float16, complex: keep the exact value and dtype
    if type(value).__name__ == "Empty":  # h5py.Empty: an attribute with a null dataspace
        return None
    return value


def decode_attrs(h5obj: Any) -> dict[str, Any]:
    """Return the attributes of an h5py object (file, group or dataset) as plain Python values.

    HDF5 bookkeeping attributes (`DROPPED_ATTRS`) are left out without being read.

    Parameters
    ----------
    h5obj
        An ``h5py.File``, ``h5py.Group`` or ``h5py.Dataset``, or any mapping of attributes.

    Returns
    -------
    dict[str, Any]
        Attribute name to value, decoded by `decode_attr_value`.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     t = f.create_dataset("delta_time", data=[0.0, 1.0])
    ...     t.make_scale("delta_time")
    ...     h = f.create_dataset("h_ph", data=np.zeros(2, "f4"))
    ...     h.dims[0].attach_scale(t)
    ...     h.attrs["units"] = np.bytes_("meters")
    ...     h.attrs["valid_min"] = np.array([-1000.0])
    >>> with h5py.File(path, "r") as f:
    ...     sorted(f["h_ph"].attrs), decode_attrs(f["h_ph"])
    (['DIMENSION_LIST', 'units', 'valid_min'], {'units': 'meters', 'valid_min': -1000.0})
    >>> shutil.rmtree(path.parent)
    """
    attrs = h5obj.attrs if hasattr(h5obj, "attrs") else h5obj
    return {name: decode_attr_value(attrs[name]) for name in attrs if name not in DROPPED_ATTRS}


def _decode_mapping(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: decode_attr_value(v) for k, v in attrs.items() if k not in DROPPED_ATTRS}


def decode_attrs_dataset(ds: xr.Dataset) -> xr.Dataset:
    """Return a copy of `ds` whose variable and global attributes are plain Python values.

    Use it on a file opened with ``decode_cf=False`` whose attributes are one-element arrays, then
    call ``xr.decode_cf`` on the result. The data are not copied.

    Parameters
    ----------
    ds
        The dataset, typically from ``xr.open_dataset(fileobj, engine="h5netcdf",
        decode_cf=False)``.

    Returns
    -------
    xarray.Dataset
        The same variables with decoded ``attrs`` (see `decode_attr_value`).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> raw = xr.Dataset(
    ...     {"time": ("time", np.array([1214042401], "i4"),
    ...               {"units": np.array([b"seconds since 1981-01-01 00:00:00"])})},
    ...     attrs={"title": np.array([b"MODIS Aqua L2P SST"])},
    ... )
    >>> xr.decode_cf(raw).time.dtype  # the byte-array units are silently not understood
    dtype('int32')
    >>> ds = xr.decode_cf(decode_attrs_dataset(raw))
    >>> str(ds.time.values[0])[:19], ds.attrs["title"]
    ('2019-06-22T10:00:01', 'MODIS Aqua L2P SST')
    """
    out = ds.copy(deep=False)
    for variable in out.variables.values():
        variable.attrs = _decode_mapping(variable.attrs)
    out.attrs = _decode_mapping(out.attrs)
    return out
