"""helpers.chunks: the library-composed chunk reader returns exactly what h5py returns.

Small HDF5 files with every storage the reader handles or hands to h5py, read through a local
fsspec file object and through the benchmark's S3 emulator with s3fs, compared value for value
(NaN where h5py has NaN) with h5py reading the file from disk.
"""

from __future__ import annotations

import inspect
import os
import threading
import traceback
import weakref
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import fsspec
import h5py
import numpy as np
import pytest
from fsspec.asyn import AsyncFileSystem

from helpers import chunks, retries

ROWS = 25_000
"""Rows of the 1-D datasets: two full chunks of 10,000 and a partial one."""

CASES: dict[str, dict[str, Any]] = {
    "deflate_f4": {"dtype": "f4", "chunks": (10_000,), "compression": "gzip"},
    "shuffle_deflate_f8": {
        "dtype": "f8",
        "chunks": (10_000,),
        "compression": "gzip",
        "shuffle": True,
    },
    "fletcher32_deflate_i8": {
        "dtype": "i1",
        "chunks": (10_000,),
        "compression": "gzip",
        "fletcher32": True,
    },
    "shuffle_fletcher32_u8": {
        "dtype": "u8",
        "chunks": (10_000,),
        "shuffle": True,
        "fletcher32": True,
        "compression": "gzip",
    },
    "chunked_uncompressed_f4": {"dtype": "f4", "chunks": (4_000,)},
    "big_endian_f8": {"dtype": ">f8", "chunks": (10_000,), "compression": "gzip"},
    "contiguous_f8": {"dtype": "f8"},
    "two_d_f4": {"dtype": "f4", "chunks": (7_000, 3), "compression": "gzip", "shuffle": True},
    "lzf_f4": {"dtype": "f4", "chunks": (10_000,), "compression": "lzf"},  # h5py reads it
}
"""Dataset name -> ``create_dataset`` keywords (data made by `_values`)."""


def _values(name: str, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(len(name))
    shape = (ROWS, 5) if name.startswith("two_d") else (ROWS,)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        values = rng.normal(100.0, 30.0, shape).astype(dt)
        values[rng.random(shape) < 0.01] = np.nan  # missing values, as in real granules
        return values
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)


@pytest.fixture(scope="module")
def h5file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file with every case, in ``<root>/bucket/cases.h5`` (the emulator serves <root>)."""
    path = tmp_path_factory.mktemp("chunks") / "bucket" / "cases.h5"
    path.parent.mkdir()
    with h5py.File(path, "w") as f:
        for name, kwargs in CASES.items():
            f.create_dataset(name, data=_values(name, kwargs["dtype"]), **kwargs)
        # chunks never written: only rows 10,000-19,999 of 30,000, fill value -9999
        sparse = f.create_dataset(
            "unwritten_f4",
            shape=(30_000,),
            dtype="f4",
            chunks=(10_000,),
            compression="gzip",
            fillvalue=-9999.0,
        )
        sparse[10_000:20_000] = np.arange(10_000, dtype="f4")
        sparse2d = f.create_dataset(
            "unwritten_2d_i8", shape=(50, 40), dtype="i1", chunks=(10, 10), fillvalue=7
        )
        sparse2d[12:25, 5:15] = -3
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        space, i4 = h5py.h5s.create_simple((10,)), h5py.h5t.NATIVE_INT32
        h5py.h5d.create(f.id, b"compact_i4", i4, space, dcpl=dcpl).write(
            h5py.h5s.ALL, h5py.h5s.ALL, np.arange(10, dtype="i4")
        )
        f.create_dataset("scalar_f8", data=3.25)
        f.create_dataset("empty_f4", shape=(0,), maxshape=(None,), dtype="f4", chunks=(100,))
        f.create_dataset("strings", data=np.array([b"ab", b"cd"]), chunks=(1,))
    return path


NAMES = [
    *CASES,
    "unwritten_f4",
    "unwritten_2d_i8",
    "compact_i4",
    "scalar_f8",
    "empty_f4",
    "strings",
]
SUBSETS = [None, slice(9_999, 20_001), slice(0, 1), slice(24_999, None), slice(-5, None)]


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want, strict=True)  # NaN equals NaN here


@pytest.fixture(scope="module")
def expected(h5file: Path) -> dict[str, Any]:
    with h5py.File(h5file, "r") as f:
        return {n: f[n][()] for n in NAMES}


def _want(expected: dict[str, Any], name: str, rows: slice | None) -> np.ndarray:
    values = np.asarray(expected[name])
    return values if rows is None or values.ndim == 0 else values[rows]


@pytest.fixture(scope="module")
def s3(h5file: Path) -> Iterator[Any]:
    from benchmarks.s3server import Conditions, S3Emulator

    with S3Emulator(h5file.parent.parent, Conditions(latency=0.0, bandwidth=0)) as emulator:
        yield emulator


@pytest.mark.parametrize("rows", SUBSETS, ids=str)
def test_local_fsspec_file_matches_h5py(h5file: Path, expected: dict, rows: slice | None) -> None:
    with fsspec.open(f"file://{h5file}", "rb") as fobj, h5py.File(fobj, "r") as f:
        for name in NAMES:
            if rows is not None and f[name].ndim == 1 and f[name].shape[0] < ROWS:
                continue  # the subsets are for the 25,000-row datasets
            _same(chunks.read_chunked(f[name], fobj, rows), _want(expected, name, rows))


@pytest.mark.parametrize("rows", [None, slice(9_999, 20_001), slice(3, 17)], ids=str)
def test_s3_file_matches_h5py_and_fetches_only_needed_bytes(
    s3: Any, h5file: Path, expected: dict, rows: slice | None
) -> None:
    fs = s3.filesystem()
    with fs.open("bucket/cases.h5", "rb", block_size=2**20) as fobj, h5py.File(fobj, "r") as f:
        names = [n for n in NAMES if rows is None or f[n].ndim >= 1 and f[n].shape[0] >= 50]
        s3.reset()
        got = chunks.read_chunked_many([f[n] for n in names], fobj, rows)
        for name, values in zip(names, got, strict=True):
            _same(values, _want(expected, name, rows))
    assert s3.stats()["gets"] >= 1


def test_s3_fs_and_path_pair_and_wide_2d_chunks(s3: Any, expected: dict, h5file: Path) -> None:
    fs = s3.filesystem()
    with fs.open("bucket/cases.h5", "rb") as fobj, h5py.File(fobj, "r") as f:
        for rows in (None, slice(11, 33)):
            got = chunks.read_chunked(f["unwritten_2d_i8"], (fs, "bucket/cases.h5"), rows)
            _same(got, _want(expected, "unwritten_2d_i8", rows))


def test_unwritten_chunks_read_as_the_fill_value(h5file: Path) -> None:
    with fsspec.open(f"file://{h5file}", "rb") as fobj, h5py.File(fobj, "r") as f:
        values = chunks.read_chunked(f["unwritten_f4"], fobj)
        assert f["unwritten_f4"].id.get_num_chunks() == 1
    assert (values[:10_000] == -9999).all() and (values[20_000:] == -9999).all()
    assert (values[10_000:20_000] == np.arange(10_000)).all()


def test_not_an_fsspec_file_falls_back_to_h5py(h5file: Path, expected: dict) -> None:
    with h5py.File(h5file, "r") as f:  # a path on disk: h5py reads it
        _same(chunks.read_chunked(f["deflate_f4"]), expected["deflate_f4"])
        _same(chunks.read_chunked(f["deflate_f4"], str(h5file)), expected["deflate_f4"])
    with open(h5file, "rb") as plain, h5py.File(plain, "r") as f:  # a plain Python file
        _same(chunks.read_chunked(f["two_d_f4"], plain, slice(5, 9)), expected["two_d_f4"][5:9])


def test_a_file_object_of_another_file_is_not_trusted(h5file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("deflate_f4", data=np.zeros(ROWS, "f4"), chunks=(10,), compression="gzip")
    with (
        fsspec.open(f"file://{h5file}", "rb") as fobj,
        fsspec.open(f"file://{other}", "rb") as wrong,
        h5py.File(fobj, "r") as f,
    ):
        want = f["deflate_f4"][()]
        _same(chunks.read_chunked(f["deflate_f4"], wrong), want)  # h5py reads it instead


def test_a_step_falls_back_to_h5py(h5file: Path, expected: dict) -> None:
    with fsspec.open(f"file://{h5file}", "rb") as fobj, h5py.File(fobj, "r") as f:
        got = chunks.read_chunked(f["shuffle_deflate_f8"], fobj, slice(3, 20_000, 7))
    _same(got, expected["shuffle_deflate_f8"][3:20_000:7])


def test_filter_mask_skips_filters_hdf5_skipped(tmp_path: Path) -> None:
    """A chunk written raw (filter mask 1: deflate skipped) beside deflated ones."""
    path = tmp_path / "mask.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("x", shape=(20,), dtype="i4", chunks=(10,), compression="gzip")
        ds[:10] = np.arange(10)
        ds.id.write_direct_chunk((10,), np.arange(10, 20, dtype="i4").tobytes(), filter_mask=1)
    with fsspec.open(f"file://{path}", "rb") as fobj, h5py.File(fobj, "r") as f:
        _same(chunks.read_chunked(f["x"], fobj), np.arange(20, dtype="i4"))


def test_public_functions_are_typed_with_examples() -> None:
    for name in chunks.__all__:
        obj = getattr(chunks, name)
        assert ">>>" in (inspect.getdoc(obj) or ""), name
        hints = inspect.get_annotations(obj)
        assert "return" in hints and all(p in hints for p in inspect.signature(obj).parameters)


def test_the_chunks_are_read_by_the_module_not_by_h5py(
    s3: Any, expected: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through an earthaccess file (a proxy of the s3fs file): every chunk placed by `_place`."""
    from earthaccess.store import EarthAccessFile

    placed: list[Any] = []
    real = chunks._place
    monkeypatch.setattr(chunks, "_place", lambda *a: (placed.append(a[-2]), real(*a))[1])
    fs = s3.filesystem()
    with (
        fs.open("bucket/cases.h5", "rb") as inner,
        h5py.File(EarthAccessFile(inner, None), "r") as f,
    ):
        got = chunks.read_chunked(f["shuffle_deflate_f8"], EarthAccessFile(inner, None))
        want_chunks = f["shuffle_deflate_f8"].id.get_num_chunks()
    _same(got, expected["shuffle_deflate_f8"])
    assert len(placed) == want_chunks == 3


def test_earthaccess_default_open_over_s3_fetches_concurrently(s3: Any, expected: dict) -> None:
    """``earthaccess.open``'s defaults (an EarthAccessFile around fsspec's background cache, 4
    MiB blocks for a small file), h5py opened on it: the same arrays, the chunks fetched with
    many requests in flight at once (h5py alone makes one request at a time)."""
    from earthaccess.store import EarthAccessFile

    names = [n for n in NAMES if n != "lzf_f4"]
    s3.configure(0.02, 0)  # 20 ms a request: requests overlap only if sent concurrently
    try:
        fs = s3.filesystem()
        inner = fs.open("bucket/cases.h5", "rb", cache_type="background", block_size=4 * 2**20)
        f = EarthAccessFile(inner, None)
        with inner, h5py.File(f, "r") as h5:
            datasets = [h5[n] for n in names]
            s3.reset()
            got = chunks.read_chunked_many(datasets, f, slice(0, 20_001))
            stats = s3.stats()
    finally:
        s3.configure(0.0, 0)
    for name, values in zip(names, got, strict=True):
        _same(values, _want(expected, name, slice(0, 20_001)))
    assert stats["max_concurrent"] > 4, stats
    assert stats["gets"] > 4


def test_local_path_and_none_read_with_h5py(h5file: Path, expected: dict) -> None:
    with h5py.File(h5file, "r") as f:
        got = chunks.read_chunked_many([f["two_d_f4"], f["scalar_f8"]], None, slice(2, 7))
    _same(got[0], expected["two_d_f4"][2:7])
    _same(got[1], np.asarray(expected["scalar_f8"]))


class _InstantFiles(AsyncFileSystem):
    """Local files through fsspec's async interface, every answer at once (fetching outruns
    inflating), each answer a buffer whose life is counted: bytes alive now and at most."""

    protocol = "instant"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(skip_instance_cache=True, **kwargs)
        self.alive = self.peak = 0
        self.lock = threading.Lock()

    def _count(self, n: int) -> None:
        with self.lock:
            self.alive += n
            self.peak = max(self.peak, self.alive)

    async def _cat_file(self, path: str, start: Any = None, end: Any = None, **kw: Any) -> Any:
        with open(path, "rb") as f:
            f.seek(start)
            answer = _Answer(f.read(end - start))
        self._count(len(answer))
        weakref.finalize(answer, self._count, -len(answer))
        return answer


class _Answer(bytearray):
    """A bytearray that a weak reference can watch (bytes cannot)."""


def test_compressed_bytes_in_flight_stay_within_the_budget(tmp_path: Path) -> None:
    """With answers that arrive at once, every compressed byte would be in memory before the
    threads inflated them; `in_flight_bytes` bounds the bytes fetched and not yet inflated,
    and the values are h5py's."""
    path = tmp_path / "big.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        for name in ("a", "b"):
            values = rng.normal(0.0, 1.0, 1_000_000).round(3)
            f.create_dataset(name, data=values, chunks=(20_000,), compression="gzip", shuffle=True)
    with h5py.File(path, "r") as f:
        want = [f["a"][()], f["b"][()]]
        stored = sum(c.size for n in "ab" for c in chunks._chunks_between(f[n], 0, 10**6)[0])
    budget, request = 2**19, -(-stored // 128)  # read_chunked_many merges into 128 requests
    peaks = []
    for in_flight_bytes in (budget, 2**40):
        fs = _InstantFiles()
        with h5py.File(path, "r") as f:  # h5py reads the metadata, `fs` the chunks
            got = chunks.read_chunked_many(
                [f["a"], f["b"]], (fs, str(path)), in_flight_bytes=in_flight_bytes
            )
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
        assert fs.alive == 0
        peaks.append(fs.peak)
    assert stored > 16 * budget  # the file is large enough for the bound to matter
    # a request's bytes go when its last chunk is inflated, a moment after the budget counts
    # them free: the thread still holds its view (at most one request per thread)
    assert peaks[0] <= budget + ((os.cpu_count() or 2) + 1) * request, (peaks, budget, request)
    assert peaks[1] > 4 * budget, peaks  # without the bound: most of the file at once


class _Refusing(BaseHTTPRequestHandler):
    """S3 refusing every request: ``503 SlowDown`` (AWS's error body), or 404 for ``/gone/``."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        code = 404 if self.path.startswith("/gone/") else 503
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def refusing_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The base URL of a server that refuses every request (retries' waits made short)."""
    monkeypatch.setattr(retries, "BACKOFF_BASE", 0.001)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _http_fs() -> fsspec.AbstractFileSystem:
    return fsspec.filesystem(
        "http",
        get_client=retries.get_retrying_client,
        skip_instance_cache=True,
        client_kwargs={"trust_env": False},
    )


@pytest.mark.parametrize(
    ("where", "error", "says"),
    [
        ("bucket", aiohttp.ClientResponseError, "503"),  # aiohttp's error, from the retries
        ("gone", OSError, "FileNotFoundError reading"),  # fsspec's, naming the URL it was given
    ],
)
def test_a_failed_read_never_shows_a_presigned_url_s_credentials(
    h5file: Path, refusing_server: str, where: str, error: type, says: str
) -> None:
    """The query of a presigned S3 URL (a DAAC's redirect target, or a URL s3fs signs) holds
    temporary credentials, and the libraries' errors name the URL: after the retries run out
    the error says what failed, without the query, and its traceback shows no other error."""
    query = "A-userid=learner&X-Amz-Security-Token=FwoGZXIvYXdzSECRET&X-Amz-Signature=0a1b2c3d"
    url = f"{refusing_server}/{where}/cases.h5?{query}"
    with h5py.File(h5file, "r") as f, pytest.raises(error) as raised:
        chunks.read_chunked_many([f["deflate_f4"]], (_http_fs(), url))
    shown = "".join(traceback.format_exception(raised.value))  # what a notebook shows
    assert says in str(raised.value) and f"/{where}/cases.h5" in shown
    for secret in ("learner", "SECRET", "Signature", "0a1b2c3d"):
        assert secret not in shown


def test_a_failed_read_of_a_plain_url_raises_the_library_s_own_error(
    h5file: Path, refusing_server: str
) -> None:
    with h5py.File(h5file, "r") as f, pytest.raises(FileNotFoundError):
        chunks.read_chunked_many([f["deflate_f4"]], (_http_fs(), f"{refusing_server}/gone/c.h5"))
