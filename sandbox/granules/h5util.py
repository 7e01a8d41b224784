"""HDF5 writing with the quirks of the real products, byte-for-byte reproducibly.

Reproducible: no object timestamps (``track_times=False`` on the file, every group and dataset),
a fixed library-version range, no chunk cache (each chunk is written the moment it is complete,
so the order of chunks in the file is the order of the writes), and nothing random or clock-based
in the content. Quirks: fixed-length ``bytes`` string attributes, HDF5 dimension scales with
``DIMENSION_LIST``/``REFERENCE_LIST``, gzip-chunked datasets, optional paged aggregation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

LIBVER = ("earliest", "v110")
"""Library-version bounds of every file (fixed so that the bytes do not depend on h5py defaults)."""
PAGE_SIZE = 8 * 1024 * 1024
"""File-space page of NSIDC's cloud-optimized ATL03 v007 (paged aggregation)."""

AttrValue = str | bytes | int | float | np.generic | np.ndarray | Sequence[Any]


def create_file(path: Path, *, paged: bool = False) -> h5py.File:
    """Create (truncate) an HDF5 file; ``paged`` uses 8 MiB paged aggregation."""
    kwargs: dict[str, Any] = {}
    if paged:
        kwargs.update(fs_strategy="page", fs_persist=False, fs_threshold=1, fs_page_size=PAGE_SIZE)
    return h5py.File(
        path,
        "w",
        libver=LIBVER,
        track_times=False,
        track_order=False,
        rdcc_nbytes=0,
        rdcc_nslots=1,
        **kwargs,
    )


def to_attr(value: AttrValue) -> Any:
    """Convert a Python value to the stored form: ``str`` becomes fixed-length ``bytes``."""
    if isinstance(value, str):
        return np.bytes_(value.encode("utf-8"))
    if isinstance(value, bytes):
        return np.bytes_(value)
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, bool):
        return np.int8(value)
    if isinstance(value, int):
        return np.int32(value)
    return value


def set_attrs(obj: h5py.HLObject, attrs: Mapping[str, AttrValue]) -> None:
    """Write attributes in the given order (strings as fixed-length bytes)."""
    for key, value in attrs.items():
        obj.attrs[key] = to_attr(value)


def one_element(value: AttrValue, dtype: Any = None) -> np.ndarray:
    """The old GHRSST style: every attribute a one-element array (``[b'text']``, ``[0.005]``)."""
    if isinstance(value, str):
        return np.array([value.encode("utf-8")])
    if isinstance(value, bytes):
        return np.array([value])
    arr = np.asarray(value, dtype=dtype)
    return arr.reshape(-1) if arr.ndim else arr.reshape(1)


def group(
    parent: h5py.Group, name: str, attrs: Mapping[str, AttrValue] | None = None
) -> h5py.Group:
    """Create a subgroup without timestamps and set its attributes."""
    g = parent.create_group(name, track_order=False, track_times=False)
    if attrs:
        set_attrs(g, attrs)
    return g


def dataset(
    parent: h5py.Group,
    name: str,
    data: np.ndarray | None = None,
    *,
    attrs: Mapping[str, AttrValue] | None = None,
    dtype: Any = None,
    shape: tuple[int, ...] | None = None,
    maxshape: tuple[int | None, ...] | None = None,
    chunks: tuple[int, ...] | bool | None = None,
    gzip: int | None = 6,
    fillvalue: Any = None,
) -> h5py.Dataset:
    """Create a dataset (gzip-chunked when ``chunks`` is given) without timestamps."""
    kwargs: dict[str, Any] = {"track_times": False}
    if chunks:
        kwargs["chunks"] = chunks
        if gzip is not None:
            kwargs["compression"] = "gzip"
            kwargs["compression_opts"] = gzip
    if maxshape is not None:
        kwargs["maxshape"] = maxshape
    if fillvalue is not None:
        kwargs["fillvalue"] = fillvalue
    if data is not None:
        data = np.asarray(data, dtype=dtype)
        ds = parent.create_dataset(name, data=data, **kwargs)
    else:
        ds = parent.create_dataset(name, shape=shape, dtype=dtype, **kwargs)
    if attrs:
        set_attrs(ds, attrs)
    return ds


def scalar_array(
    parent: h5py.Group, name: str, value: Any, dtype: Any, attrs: Mapping[str, AttrValue]
) -> h5py.Dataset:
    """A one-element, unchunked dataset, as ATLAS products store granule-level numbers."""
    return dataset(parent, name, np.asarray([value], dtype=dtype), attrs=attrs, chunks=None)


def make_scale(ds: h5py.Dataset, name: str = "") -> None:
    """Turn ``ds`` into an HDF5 dimension scale (``CLASS``, ``NAME``)."""
    ds.make_scale(name)


def attach(ds: h5py.Dataset, *scales: h5py.Dataset) -> None:
    """Attach dimension scales to the dimensions of ``ds`` (writes ``DIMENSION_LIST``)."""
    for axis, scale in enumerate(scales):
        ds.dims[axis].attach_scale(scale)


def fixed_strings(values: Sequence[str], length: int | None = None) -> np.ndarray:
    """A fixed-length byte-string array (``S<length>``)."""
    enc = [v.encode("ascii") for v in values]
    n = length or max(1, max(len(v) for v in enc))
    return np.array(enc, dtype=f"S{n}")
