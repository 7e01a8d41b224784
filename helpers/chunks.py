"""Read chunked HDF5 variables from the cloud with a few library calls.

h5py reads a remote file one small request at a time. For a chunked, compressed variable,
libraries we already have do better together: h5py lists where each chunk is stored
(``Dataset.id.chunk_iter``), fsspec merges adjacent byte ranges (``merge_offset_ranges``) and
fetches them concurrently (S3 through a URL s3fs signs, HTTPS, a local disk), zlib (or the
faster ISA-L of ``isal``) inflates the chunks in one thread per core, and numpy undoes HDF5's
shuffle filter and puts each chunk where it belongs. Anything else (a contiguous or compact
variable, another filter, a file not opened through fsspec) is read by h5py: the result is
always exactly ``dataset[rows]``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import math
import os
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import fsspec
import h5py
import numpy as np
from fsspec.asyn import AsyncFileSystem, sync

from helpers.retries import get_retrying_client, url_credentials_left_out

try:
    from isal.isal_zlib import decompress as inflate  # about 3x faster than zlib, same output
except ImportError:  # pragma: no cover - isal is optional
    inflate = zlib.decompress

__all__ = ["read_chunked", "read_chunked_many"]

DEFLATE, SHUFFLE, FLETCHER32 = 1, 2, 3  # HDF5's filter ids (h5py.h5z.FILTER_DEFLATE, ...)


def read_chunked(
    dataset: h5py.Dataset, source: Any = None, rows: slice | None = None
) -> np.ndarray:
    """Return ``dataset[rows]`` (all rows by default), fetching its chunks concurrently.

    `source` is what h5py opened: the file object of ``fs.open(path)`` or ``earthaccess.open``
    (its ``.fs`` and ``.path`` say where to fetch from), or an ``(fs, path)`` pair. With
    anything else (``None``, a local path) h5py reads the data.

    Examples
    --------
    >>> import tempfile, pathlib, fsspec, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("h", data=np.arange(25_000, dtype="f4"), chunks=(10_000,),
    ...                          compression="gzip", shuffle=True)
    >>> with fsspec.open(f"file://{path}", "rb") as fobj, h5py.File(fobj, "r") as h5:
    ...     h = read_chunked(h5["h"], fobj)
    ...     part = read_chunked(h5["h"], fobj, rows=slice(9_998, 10_002))
    >>> h[[0, 24_999]], part
    (array([    0., 24999.], dtype=float32), array([ 9998.,  9999., 10000., 10001.], dtype=float32))
    """
    return read_chunked_many([dataset], source, rows)[0]


def read_chunked_many(
    datasets: Sequence[h5py.Dataset],
    source: Any = None,
    rows: slice | None = None,
    batch_size: int = 128,
    in_flight_bytes: int = 64 * 2**20,
) -> list[np.ndarray]:
    """`read_chunked` for several datasets of one file: all their chunks are fetched at once,
    `batch_size` requests in flight, and no more than about `in_flight_bytes` of compressed
    bytes fetched (or being fetched) and not yet inflated. A failed fetch whose message names
    a presigned URL is raised as `OSError` with the URL's query (its credentials) left out.

    Examples
    --------
    >>> import tempfile, pathlib, fsspec, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "two.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("a", data=np.arange(6.0).reshape(3, 2), chunks=(2, 1))
    ...     _ = f.create_dataset("b", data=np.arange(3), compression="gzip")
    >>> fs = fsspec.filesystem("file")
    >>> with fs.open(str(path), "rb") as fobj, h5py.File(fobj, "r") as h5:
    ...     a, b = read_chunked_many([h5["a"], h5["b"]], fobj, rows=slice(1, 3))
    >>> a, b
    (array([[2., 3.],
           [4., 5.]]), array([1, 2]))
    """
    rows = slice(None) if rows is None else rows
    fs, path = _filesystem(datasets, source)
    outputs: list[np.ndarray] = []
    chunks: list[tuple[Callable[..., None], Any]] = []  # (where its values go, chunk info)
    for ds in datasets:
        if fs is None or rows.step not in (None, 1) or _filters(ds) is None:
            outputs.append(ds[()] if ds.ndim == 0 else ds[rows])  # h5py does everything else
            continue
        start, stop, _ = rows.indices(ds.shape[0])
        out = np.empty((max(0, stop - start), *ds.shape[1:]), ds.dtype)
        found, expected = _chunks_between(ds, start, stop)
        if len(found) < expected:
            out[...] = ds.fillvalue  # chunks never written read as the fill value
        outputs.append(out)
        place = partial(_place, out, start, _filters(ds), ds.dtype, ds.chunks, ds.shape)
        chunks += [(place, c) for c in found]
    if not chunks:
        return outputs
    # adjacent chunks merged into at least `batch_size` requests, fetched `batch_size` at a time
    total = sum(c.size for _, c in chunks)
    _, starts, ends = fsspec.utils.merge_offset_ranges(
        [path] * len(chunks),
        [c.byte_offset for _, c in chunks],
        [c.byte_offset + c.size for _, c in chunks],
        max_block=max(1, -(-total // batch_size)),
    )
    requests: list[list[tuple[Callable[..., None], Any]]] = [[] for _ in starts]
    for place, c in chunks:
        requests[bisect.bisect_right(starts, c.byte_offset) - 1].append((place, c))
    with url_credentials_left_out(f"reading {path}"):
        _fetch_and_place(fs, path, starts, ends, requests, batch_size, in_flight_bytes)
    return outputs


def _fetch_and_place(
    fs: Any,
    path: str,
    starts: list[int],
    ends: list[int],
    requests: list[list[tuple[Callable[..., None], Any]]],
    batch_size: int,
    in_flight_bytes: int,
) -> None:
    """Fetch the merged byte ranges and place every chunk of `requests` (see `_place`)."""
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:  # zlib and ISA-L release the GIL

        def decode(data: bytes, i: int) -> list[Future[None]]:  # every chunk of request i
            if len(data) != ends[i] - starts[i]:
                raise OSError(f"asked {path} for {ends[i] - starts[i]} bytes, got {len(data)}")
            view, at = memoryview(data), starts[i]
            return [pool.submit(p, c, view[c.byte_offset - at :][: c.size]) for p, c in requests[i]]

        if isinstance(fs, AsyncFileSystem):  # s3fs, HTTPS: inflate each request as it arrives
            window = (batch_size, in_flight_bytes)
            done = sync(fs.loop, _fetch, fs, path, starts, ends, window, decode)
        else:
            blobs = fs.cat_ranges([path] * len(starts), starts, ends, on_error="raise")
            done = [decode(data, i) for i, data in enumerate(blobs)]
        for future in itertools.chain(*done):
            future.result()


async def _fetch(
    fs: AsyncFileSystem,
    path: str,
    starts: list[int],
    ends: list[int],
    window: tuple[int, int],
    then: Callable[[bytes, int], list[Future[None]]],
) -> list[list[Future[None]]]:
    """Fetch the byte ranges and call ``then(data, i)`` on each, with at most ``window[0]``
    requests in flight and ``window[1]`` bytes requested whose futures are not all done (one
    request at least): memory stays bounded when fetching outruns inflating."""
    in_flight, budget = asyncio.Semaphore(window[0]), window[1]
    held, freed, failed = 0, asyncio.Event(), False

    async def get(i: int, size: int) -> list[Future[None]]:
        nonlocal held, failed
        try:
            async with in_flight:
                data = await fs._cat_file(path, start=starts[i], end=ends[i])
            futures = then(data, i)
            del data  # the futures hold views of it until they are done
            await asyncio.gather(*map(asyncio.wrap_future, futures))
            return futures
        except BaseException:
            failed = True
            raise
        finally:
            held -= size
            freed.set()

    tasks = []
    try:
        for i, size in enumerate(e - s for s, e in zip(starts, ends, strict=True)):
            while held and held + size > budget and not failed:
                freed.clear()
                await freed.wait()
            if failed:
                break
            held += size
            tasks.append(asyncio.ensure_future(get(i, size)))
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:  # after a failure: stop the others before the pool shuts down
            task.cancel()


def _chunks_between(ds: h5py.Dataset, start: int, stop: int) -> tuple[list[Any], int]:
    """The stored chunks holding rows [start, stop), and how many chunks those rows span."""
    first = start // ds.chunks[0] * ds.chunks[0]  # the first row of the first chunk needed
    stop = max(stop, first)
    found: list[Any] = []  # each has chunk_offset, byte_offset, size and filter_mask

    def keep(chunk: Any) -> None:
        if first <= chunk.chunk_offset[0] < stop:
            found.append(chunk)

    ds.id.chunk_iter(keep)  # chunks never written are not listed
    across = math.prod(-(-n // c) for n, c in zip(ds.shape[1:], ds.chunks[1:], strict=True))
    return found, -(-(stop - first) // ds.chunks[0]) * across


def _filesystem(datasets: Sequence[h5py.Dataset], source: Any) -> tuple[Any, str | None]:
    """The fsspec file system and path to fetch from, or ``(None, None)`` to let h5py read."""
    fs, path = (
        source
        if isinstance(source, tuple)
        else (getattr(source, "fs", None), getattr(source, "path", None))
    )
    if not isinstance(fs, fsspec.AbstractFileSystem) or not isinstance(path, str):
        return None, None
    if not isinstance(source, tuple) and any(d.file.filename != repr(source) for d in datasets):
        return None, None  # h5py opened another file object: its chunks are not in `source`
    if "s3" in fs.protocol:  # a signed URL: S3 over plain HTTPS costs a fifth of botocore's CPU
        with contextlib.suppress(Exception):  # nothing to sign with: through s3fs itself
            url = fs.sign(path, expiration=3600)
            # retrying 5xx and broken connections, as s3fs (botocore) would
            return fsspec.filesystem("http", get_client=get_retrying_client), url
    return fs, path


def _filters(ds: h5py.Dataset) -> list[int] | None:
    """The filters of a chunked dataset of numbers, or None if this module cannot undo them."""
    if ds.chunks is None or ds.dtype.kind not in "fiub" or ds.ndim == 0:
        return None
    plist = ds.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    return filters if set(filters) <= {DEFLATE, SHUFFLE, FLETCHER32} else None


def _place(
    out: np.ndarray,
    start: int,
    filters: list[int],
    dtype: np.dtype,
    chunks: tuple[int, ...],
    shape: tuple[int, ...],
    chunk: Any,
    raw: memoryview,
) -> None:
    """Undo the filters of one stored chunk and copy its values into `out` (rows from `start`)."""
    data: Any = raw
    for i in reversed(range(len(filters))):  # undo in the reverse order of writing
        if chunk.filter_mask & (1 << i):
            continue  # HDF5 skipped this filter for this chunk
        if filters[i] == FLETCHER32:
            data = data[:-4]  # the last 4 bytes are a checksum: trimmed, not verified
        elif filters[i] == DEFLATE:
            data = inflate(data)
        elif filters[i] == SHUFFLE:  # byte k of every value was stored together: transpose back
            b = np.frombuffer(data, np.uint8)
            data = b.reshape(dtype.itemsize, b.size // dtype.itemsize).T.tobytes()
    values = np.frombuffer(data, dtype, math.prod(chunks)).reshape(chunks)
    # the part of the chunk inside the output: rows [start, start + len(out)), all of other axes
    ends = (start + out.shape[0], *shape[1:])
    lo = [max(o, start if k == 0 else 0) for k, o in enumerate(chunk.chunk_offset)]
    hi = [min(o + c, e) for o, c, e in zip(chunk.chunk_offset, chunks, ends, strict=True)]
    into = [slice(a, b) for a, b in zip(lo, hi, strict=True)]
    into[0] = slice(lo[0] - start, hi[0] - start)
    out[tuple(into)] = values[
        tuple(slice(a - o, b - o) for a, b, o in zip(lo, hi, chunk.chunk_offset, strict=True))
    ]
