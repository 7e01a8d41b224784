"""The ways of reading gt1l's photon variables from S3 that the benchmark compares.

Each reader gets a fresh S3 file system (no cached instance, listing or bytes) on the emulator,
already connected: a notebook makes its file system once per session, and making one costs about
0.5 s of CPU (botocore loads its endpoint data), which is not reading. The clock starts after
that. h5coro makes its own boto3 session for every file it opens, so it pays that cost in its
time. Each reader returns ``{variable: array}``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import h5py
import numpy as np

import helpers
from benchmarks.s3server import S3Emulator
from helpers.chunks import read_chunked_many

__all__ = ["READERS", "Reader"]

ReadFunction = Callable[[S3Emulator, Any, str, Sequence[str]], dict[str, np.ndarray]]
"""``read(s3, fs, path, names)``: `fs` is a connected ``s3fs.S3FileSystem`` on `s3`."""


@dataclass(frozen=True)
class Reader:
    """One way of reading, with the words the results table uses for it."""

    key: str
    label: str
    how: str
    read: ReadFunction


def _h5py_through(fileobj: Any, names: Sequence[str]) -> dict[str, np.ndarray]:
    with h5py.File(fileobj, "r") as h5:
        return {n: h5[n][...] for n in names}


def read_seed(s3: S3Emulator, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The seed tutorial: ``s3.open(path, "rb")`` with s3fs defaults, then h5py."""
    with fs.open(path, "rb") as f:
        return _h5py_through(f, names)


def earthaccess_block_size(size: int) -> int:
    """earthaccess's block size (0.17 to 0.19) for a file of `size` bytes (4, 8 or 16 MiB)."""
    try:
        from earthaccess.store import _optimal_fsspec_block_size
    except ImportError:  # pragma: no cover - the same rule, if earthaccess moves it
        mib = 1024 * 1024
        return 4 * mib if size < 100 * mib else 8 * mib if size < 1024 * mib else 16 * mib
    return int(_optimal_fsspec_block_size(size))


def read_earthaccess(
    s3: S3Emulator, fs: Any, path: str, names: Sequence[str]
) -> dict[str, np.ndarray]:
    """``earthaccess.open`` defaults: fsspec's ``background`` block cache, 4-16 MiB by size."""
    size = fs.info(path)["size"]
    with fs.open(path, "rb", cache_type="background", block_size=earthaccess_block_size(size)) as f:
        return _h5py_through(f, names)


def read_helpers(s3: S3Emulator, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """What notebook 02 does: ``helpers.read_atl03_beam`` on ``earthaccess.open``'s defaults."""
    with _earthaccess_open(fs, path) as f:
        ds = helpers.read_atl03_beam(f, "gt1l", _variables(names))
    return {n: ds[n.rsplit("/", 1)[-1]].values for n in names}


def _earthaccess_open(fs: Any, path: str, block_size: int = 0) -> Any:
    size = fs.info(path)["size"]
    block_size = block_size or earthaccess_block_size(size)
    return fs.open(path, "rb", cache_type="background", block_size=block_size)


def read_h5coro(s3: S3Emulator, fs: Any, path: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """h5coro with its S3 driver (boto3; endpoint from ``AWS_ENDPOINT_URL_S3``), defaults."""
    from h5coro import h5coro, s3driver

    os.environ["AWS_ENDPOINT_URL_S3"] = s3.endpoint
    credentials = {
        "aws_access_key_id": "benchmark",
        "aws_secret_access_key": "benchmark",
        "aws_session_token": "benchmark",
    }
    h5 = h5coro.H5Coro(path, s3driver.S3Driver, credentials=credentials)
    try:
        promise = h5.readDatasets(["/" + n for n in names], block=True)
        return {n: np.asarray(promise["/" + n]) for n in names}
    finally:
        h5.close()


def read_chunks(
    s3: S3Emulator, fs: Any, path: str, names: Sequence[str], block_size: int = 0
) -> dict[str, np.ndarray]:
    """``helpers.read_chunked_many`` on ``earthaccess.open``'s defaults (or `block_size`)."""
    with _earthaccess_open(fs, path, block_size) as f, h5py.File(f, "r") as h5:
        arrays = read_chunked_many([h5[n] for n in names], f)
    return dict(zip(names, arrays, strict=True))


def _variables(names: Sequence[str]) -> list[str]:
    return [n.rsplit("/", 1)[-1] for n in names]


def h5coro_available() -> bool:
    """Whether h5coro is installed (it is in the ``dev`` extra)."""
    try:
        import h5coro  # noqa: F401
    except ImportError:
        return False
    return True


READERS: tuple[Reader, ...] = (
    Reader("seed", "seed tutorial", "s3fs defaults (readahead, 50 MiB) + h5py", read_seed),
    Reader(
        "earthaccess",
        "earthaccess.open defaults",
        "fsspec background block cache, 4/8/16 MiB by file size + h5py",
        read_earthaccess,
    ),
    Reader(
        "helpers",
        "helpers (what notebook 02 does)",
        "earthaccess.open defaults, then read_atl03_beam: h5py walks the metadata through 1 MiB "
        "blocks of the reader's own, helpers.chunks fetches the chunks (at most 64 MiB waiting to "
        "be inflated), xarray, UTC time decoded on first use",
        read_helpers,
    ),
    Reader("h5coro", "h5coro", "h5coro 1.x, S3 driver, 4 MiB cache lines, defaults", read_h5coro),
    Reader(
        "chunks",
        "helpers.chunks (library calls)",
        "read_chunked_many on earthaccess.open's file, arrays only: chunk_iter, "
        "merge_offset_ranges, 128 ranges in flight (fsspec HTTP on the URL s3fs signs), ISA-L",
        read_chunks,
    ),
    Reader(
        "chunks-1mib",
        "helpers.chunks, 1 MiB blocks",
        "the same on a file opened with 1 MiB blocks (the chunk index costs one request per "
        "block h5py reads, one at a time)",
        partial(read_chunks, block_size=2**20),
    ),
)
