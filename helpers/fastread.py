"""Read chunked HDF5 variables from S3 (or HTTPS) with few, large, concurrent requests.

h5py reads a remote file through a Python file object one request at a time: first the metadata
(a few KB here and there), then every chunk of the variable in file order. Each request waits for
the one before, so at 30 ms per S3 request and 50 MB/s per connection, reading the five photon
variables of one ATL03 beam takes minutes, whatever the cache. This module keeps h5py for what it
is good at (finding the variables and their chunk index) and fetches the data itself:

1. h5py opens the file through `RemoteHDF5File`, a small file object that reads 1 MiB blocks
   (metadata is small but scattered), and that fetches all the children of a chunk-index B-tree
   node at once as soon as it sees the node, so the index costs one round trip per tree level
   instead of one per node.
2. ``Dataset.id.chunk_iter`` lists each chunk's byte offset and size; the chunks needed are
   sorted, adjacent ones merged into requests of a few MiB (no byte that is not needed is
   fetched), and the requests sent concurrently (128 at a time by default).
3. Each chunk is inflated (deflate, shuffle and fletcher32 are supported) in a pool of one
   thread per core (with ISA-L's inflate from ``isal`` when installed, about 3x zlib's speed;
   both release the GIL) as soon as its request arrives, and copied into the output array.

Requests go to a presigned URL of the S3 object: the data requests from one aiohttp session on
fsspec's event loop thread, the one s3fs runs on (`_EventLoopClient`), the metadata requests over
keep-alive ``http.client`` connections (`RangeClient`), one per thread; or through the file system
itself when presigning is not possible.

Anything else (a filter other than deflate/shuffle/fletcher32, a compound type, a contiguous
dataset, a file object that is not from fsspec) is read with h5py as usual, so the result is
always the same as ``dataset[rows]``.

Examples
--------
Any fsspec file works; here a local one:

>>> import tempfile, pathlib, shutil, fsspec, h5py, numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
>>> with h5py.File(path, "w") as f:
...     _ = f.create_dataset("h", data=np.arange(25_000, dtype="f4"), chunks=(10_000,),
...                          compression="gzip")
>>> fobj = fsspec.open(f"file://{path}", "rb").open()
>>> with RemoteHDF5File.from_file(fobj) as rf, h5py.File(rf, "r") as h5:
...     (h,) = read_datasets([h5["h"]], rf)
>>> h[[0, 24_999]], h.dtype.name
(array([    0., 24999.], dtype=float32), 'float32')
>>> fobj.close(); shutil.rmtree(path.parent)
"""

from __future__ import annotations

import asyncio
import atexit
import bisect
import contextlib
import http.client
import io
import math
import os
import re
import selectors
import ssl
import struct
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

__all__ = [
    "FETCH_CONCURRENCY",
    "METADATA_BLOCK_SIZE",
    "REQUEST_SIZE",
    "Chunk",
    "RangeClient",
    "RequestCount",
    "RangeRefused",
    "RemoteHDF5File",
    "fast_source",
    "plan_requests",
    "prefetch_members",
    "count_requests",
    "read_datasets",
]

#: Bytes per metadata read: HDF5 metadata comes a few KB at a time from a few regions of a file.
METADATA_BLOCK_SIZE: int = 1024 * 1024
#: Metadata blocks are fetched in pieces of this size, concurrently (one round trip per block).
PIECE_SIZE: int = 256 * 1024
#: Concurrent range requests for the data; ``HELPERS_FETCH_CONCURRENCY`` in the environment
#: overrides it. A connection waits the first-byte latency once per request, so the 1,300
#: requests of an ATL03 beam take 11 rounds of 30 ms at 128 and twice as many at 64. 128
#: connections at 20-30 ms ask for 4,000-6,000 GETs/s, about S3's 5,500 per prefix (a 503
#: ``SlowDown`` is retried with backoff).
FETCH_CONCURRENCY: int = int(os.environ.get("HELPERS_FETCH_CONCURRENCY", "128"))
#: Largest request for data: adjacent chunks are merged up to this size (AWS suggests 8-16 MB).
REQUEST_SIZE: int = 8 * 1024 * 1024

_DEFLATE, _SHUFFLE, _FLETCHER32 = 1, 2, 3

try:  # ISA-L's inflate is about 3x faster than zlib's, same output; optional
    from isal.isal_zlib import decompress as _inflate
except ImportError:  # pragma: no cover - isal is a dependency, but zlib is always there
    _inflate = zlib.decompress
_SUPPORTED_FILTERS = {_DEFLATE, _SHUFFLE, _FLETCHER32}

Fetch = Callable[[int, int], bytes]
"""``fetch(start, stop)``: bytes ``[start, stop)`` of the file."""


# --------------------------------------------------------------------------------------------
# Where the bytes come from


def fast_source(fileobj: Any) -> tuple[Fetch, int, str] | None:
    """Return ``(fetch, size, name)`` for an fsspec file object, or None if it is not one.

    Works on what ``s3fs.S3FileSystem.open``, ``fsspec.open`` and ``earthaccess.open`` return
    (earthaccess wraps the fsspec file and passes attributes through). For S3, the requests go
    to a presigned URL of the object (signed once with the file system's credentials) through a
    plain HTTP connection pool: a signed botocore request costs about 1 ms of CPU, a plain one a
    tenth of that, which matters for the thousand requests of an ATL03 beam. If presigning
    fails, or S3 refuses a presigned request, it uses the file system's own ``cat_file``.

    Examples
    --------
    >>> import io
    >>> fast_source(io.BytesIO(b"not an fsspec file")) is None
    True
    """
    fs = getattr(fileobj, "fs", None)
    path = getattr(fileobj, "path", None)
    if fs is None or not isinstance(path, str) or not hasattr(fs, "cat_file"):
        return None
    try:
        size = int(getattr(fileobj, "size", None) or fs.size(path))
    except Exception:
        return None
    name = f"{_protocol(fs)}://{path}"
    fetch = _presigned_fetch(fs, path, size)
    if fetch is None:
        wide = _wide_pool(fs)

        def fetch(start: int, stop: int) -> bytes:
            return bytes(wide.cat_file(path, start=start, end=stop))

    return fetch, size, name


def _protocol(fs: Any) -> str:
    protocol = getattr(fs, "protocol", "file")
    return protocol[0] if isinstance(protocol, tuple | list) else str(protocol)


def _proxied(url: str) -> bool:
    """Whether a proxy from the environment applies to `url` (``NO_PROXY`` alone does not)."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


def _presigned_fetch(fs: Any, path: str, size: int) -> _PresignedFetch | None:
    """Range GETs on a presigned URL of an S3 object with `RangeClient`, if that works here."""
    try:
        import s3fs
    except ImportError:  # pragma: no cover - s3fs is a dependency of helpers
        return None
    if not isinstance(fs, s3fs.S3FileSystem) or size <= 0:
        return None
    try:
        client = RangeClient(fs.sign(path, expiration=3600))
    except Exception:
        return None
    if _proxied(client.url):
        return None  # a proxy is configured for this host: let s3fs/aiohttp deal with it
    return _PresignedFetch(fs, path, client)


class _PresignedFetch:
    """``fetch(start, stop)`` on a presigned URL of an S3 object.

    An expired or refused URL (403, or 400 ``ExpiredToken``) is signed again once; anything else
    that `RangeClient` cannot get after its retries sends this file to s3fs from then on.
    """

    def __init__(self, fs: Any, path: str, client: RangeClient) -> None:
        self.fs, self.path, self.client = fs, path, client
        self.fallback: Any = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str | None:
        """The presigned URL in use, or None once this file has gone to s3fs."""
        return None if self.fallback is not None else self.client.url

    def __call__(self, start: int, stop: int) -> bytes:
        if self.fallback is None:
            signed = self.client
            try:
                return signed.get(start, stop)  # type: ignore[return-value]  # bytes-like
            except RangeRefused as refused:
                if refused.status in (400, 403):  # expired: sign again, once
                    with self._lock:
                        if self.client is signed:
                            self.client = RangeClient(self.fs.sign(self.path, expiration=3600))
                    try:
                        return self.client.get(start, stop)  # type: ignore[return-value]
                    except (OSError, http.client.HTTPException, RangeRefused):
                        pass
            except (OSError, http.client.HTTPException):
                pass
            with self._lock:
                if self.fallback is None:
                    self.fallback = _wide_pool(self.fs)  # refused or unreachable: s3fs from now on
        return bytes(self.fallback.cat_file(self.path, start=start, end=stop))


class RangeRefused(Exception):
    """The server answered a range request with something other than the bytes asked for."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


_THREAD_CONNECTIONS = threading.local()
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_SMALL_BODY = 64 * 1024
"""An error answer up to this size is read, to keep the connection; a larger one is dropped."""


def _refusal(status: int, content_range: str, start: int, stop: int) -> str:
    """Why an answer to a GET of bytes ``[start, stop)`` is not those bytes, or "" if it is: a
    206 whose ``Content-Range`` covers them, or a 200 (the whole file) when they start at 0."""
    asked = f"bytes {start}-{stop - 1}"
    if status == 206:
        got = _CONTENT_RANGE.fullmatch(content_range)
        if not got or int(got[1]) != start or int(got[2]) < stop - 1:
            return f"206 with a wrong range for {asked}"
        return ""
    if status != 200 or start:
        return f"HTTP {status} for {asked}"
    return ""


def _backoff(attempt: int) -> float:
    """Seconds to wait before retrying after a 5xx (S3's 503 SlowDown) or a broken connection."""
    return 0.1 * 2**attempt


def _ca_file() -> str | None:
    """The certificate bundle S3 clients would use: ``AWS_CA_BUNDLE``, ``REQUESTS_CA_BUNDLE``,
    ``SSL_CERT_FILE``, else botocore's (certifi's) bundle."""
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        from botocore.httpsession import get_cert_path

        return str(get_cert_path(True))
    except Exception:  # pragma: no cover - botocore comes with s3fs
        return None


class RangeClient:
    """Range GETs on one URL over keep-alive connections, one per thread (``http.client``).

    This is all the fast path needs from HTTP, without a general client's per-request work:
    urllib3 costs about 0.5 ms of CPU per request here, this about 0.3 ms, and the body is read
    straight into its buffer. Each thread keeps one connection per host for the life of the
    process, so reading many granules from one bucket does not connect again for each. A broken
    connection, or a 5xx answer (S3's ``SlowDown``), is retried with backoff up to `attempts`
    times; any other answer than 206 with ``Content-Range`` covering exactly the bytes asked for
    (or 200 for a whole file from byte 0) raises `RangeRefused`.

    Examples
    --------
    >>> RangeClient("ftp://example.org/file")
    Traceback (most recent call last):
    ...
    ValueError: RangeClient needs an http or https URL, not 'ftp'
    """

    def __init__(self, url: str, timeout: float = 60.0, attempts: int = 4) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"RangeClient needs an http or https URL, not {parts.scheme!r}")
        self.url = url
        self.scheme, self.netloc = parts.scheme, parts.netloc
        self.target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.timeout, self.attempts = timeout, attempts
        self._tls: ssl.SSLContext | None = None

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        """This thread's connections, by (scheme, host)."""
        conns: dict[tuple[str, str], http.client.HTTPConnection] | None
        conns = getattr(_THREAD_CONNECTIONS, "conns", None)
        if conns is None:
            conns = _THREAD_CONNECTIONS.conns = {}
        return conns

    def _connection(self) -> http.client.HTTPConnection:
        conns = self._connections()
        conn = conns.get((self.scheme, self.netloc))
        if conn is None:
            if self.scheme == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context(cafile=_ca_file())
                conn = http.client.HTTPSConnection(
                    self.netloc, timeout=self.timeout, context=self._tls
                )
            else:
                conn = http.client.HTTPConnection(self.netloc, timeout=self.timeout)
            conns[(self.scheme, self.netloc)] = conn
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._connections().pop((self.scheme, self.netloc), None)

    def _refuse(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, why: str
    ) -> RangeRefused:
        length = response.length
        if length is not None and length <= _SMALL_BODY:
            response.read()  # small: read it and keep the connection
        else:
            self._drop(conn)  # a large or unknown body (a whole file?): not worth reading
        return RangeRefused(why, response.status)

    def get(self, start: int, stop: int) -> bytearray:
        """Bytes ``[start, stop)`` of the URL."""
        for attempt in range(self.attempts):
            conn = self._connection()
            try:
                conn.request("GET", self.target, headers={"Range": f"bytes={start}-{stop - 1}"})
                response = conn.getresponse()
                if response.status >= 500 and attempt + 1 < self.attempts:
                    self._refuse(conn, response, "")
                    time.sleep(_backoff(attempt))
                    continue
                why = _refusal(
                    response.status, response.getheader("Content-Range", ""), start, stop
                )
                if why:
                    raise self._refuse(conn, response, why)
                buffer = bytearray(stop - start)
                view, got = memoryview(buffer), 0
                while got < len(buffer):
                    n = response.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got < len(buffer):
                    raise http.client.IncompleteRead(bytes(buffer[:got]), len(buffer) - got)
                if not response.isclosed():  # more than asked, or chunked: not reusable as is
                    self._drop(conn)
                return buffer
            except (OSError, http.client.HTTPException):
                self._drop(conn)
                if attempt + 1 == self.attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


class _EventLoopClient:
    """Range GETs for `read_datasets`: one aiohttp session on fsspec's event loop thread.

    With a thread per connection, the 128 fetch threads of a read take turns at the GIL so
    often that the threads decoding chunks hardly get it until the fetching is over: measured on
    an ATL03 beam, 240 of 6,155 chunks were decoded while the data came in. One thread serving
    all the connections leaves the decoders the GIL whenever it waits, so decoding overlaps the
    fetching. Checks answers as `RangeClient` does (206 with the range asked for, or 200 from
    byte 0; no redirects), retries 5xx and broken connections with backoff, and closes the
    connection of an answer it refuses instead of reading it; a request that still fails goes
    to the thread path's `fetch` (which signs again, or falls back to s3fs).

    The loop is fsspec's IO loop (``fsspec.asyn.get_loop()``), never one of this module's own:
    an ``s3fs.S3FileSystem`` is always in a reference cycle, so the cyclic garbage collector
    frees it on whichever thread happens to collect, and its finalizer
    (``S3FileSystem.close_session``) closes its aiobotocore client on the loop *running in that
    thread*, taken to be the file system's own. On a second loop thread, which allocates enough
    to collect now and then, that close fails ("Task exception was never retrieved ... attached
    to a different loop" on stderr, once per file system: each credentials refresh, each task of
    `helpers.season`). On fsspec's thread the running loop is the file system's own.
    """

    def __init__(self, connections: int, attempts: int = 4) -> None:
        import aiohttp
        from fsspec.asyn import get_loop

        self.connections, self.attempts = connections, attempts
        tls = ssl.create_default_context(cafile=_ca_file())  # first: it may fail (a bad bundle)
        self.loop = get_loop()  # started by fsspec (a daemon thread "fsspecIO") if not yet

        async def session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=connections, ssl=tls),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=60),
                auto_decompress=False,
                trust_env=False,  # the presigned path is only taken without a proxy
            )

        self.session = asyncio.run_coroutine_threadsafe(session(), self.loop).result()
        self._errors = (aiohttp.ClientError, asyncio.TimeoutError, OSError)

    async def get(self, url: str, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` of `url`; `RangeRefused` or the last network error if not."""
        n = stop - start
        for attempt in range(self.attempts):
            try:
                headers = {"Range": f"bytes={start}-{stop - 1}"}
                async with self.session.get(
                    url, headers=headers, allow_redirects=False
                ) as response:
                    if response.status >= 500 and attempt + 1 < self.attempts:
                        await asyncio.sleep(_backoff(attempt))
                        continue
                    why = _refusal(
                        response.status, response.headers.get("Content-Range", ""), start, stop
                    )
                    if why:
                        raise RangeRefused(why, response.status)
                    data = await response.content.readexactly(n)
                    if response.content_length != n:
                        response.close()  # more than asked (a whole file): drop the connection
                    return data
            except self._errors:
                if attempt + 1 == self.attempts:
                    raise
                await asyncio.sleep(_backoff(attempt))
            except asyncio.IncompleteReadError as short:
                raise RangeRefused(
                    f"{len(short.partial)} of {n} bytes for bytes {start}-{stop - 1}"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def fetch_all(
        self,
        url: str,
        requests: Sequence[tuple[int, int, list[Chunk]]],
        fallback: Fetch,
        then: Callable[[bytes, int, list[Chunk]], Future[None]],
    ) -> list[Future[None]]:
        """Fetch every request concurrently; ``then(data, start, chunks)`` as each arrives (on
        the loop thread: it should only hand the data on, never call a file system, whose
        ``sync`` refuses to run on its own loop). Returns what `then` returned.

        A `fallback` with a ``url`` attribute (`_PresignedFetch`) gives the URL for each request:
        once it has signed again, the new one; once it has gone to s3fs (None), the thread path.
        """

        async def one(begin: int, end: int, group: list[Chunk]) -> Future[None]:
            current = getattr(fallback, "url", url)
            data = None
            if current is not None:
                with contextlib.suppress(Exception):  # refused, expired, unreachable
                    data = await self.get(current, begin, end)
            if data is None:  # the thread path decides: sign again, or s3fs
                data = await self.loop.run_in_executor(_executor(), fallback, begin, end)
            return then(data, begin, group)

        async def every() -> list[Future[None]]:
            tasks = [asyncio.ensure_future(one(*request)) for request in requests]
            try:
                return await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                raise

        running = asyncio.run_coroutine_threadsafe(every(), self.loop)
        try:
            return running.result()
        except BaseException:  # e.g. KeyboardInterrupt: stop the requests still waiting
            running.cancel()
            raise

    def orphan(self) -> None:
        """In a forked child: detach this copy from the parent's epoll instance.

        The child shares the parent's epoll object; closing the copied connections (as their
        finalizers would) unregisters the parent's sockets from it, and the parent's next read
        waits for answers it never sees. So the child gives the copy a selector of its own.
        """
        with contextlib.suppress(Exception):
            inherited = self.loop._selector  # type: ignore[attr-defined]
            self.loop._selector = selectors.DefaultSelector()  # type: ignore[attr-defined]
            inherited.close()  # the child's descriptor only: the parent's epoll is untouched

    def close(self) -> None:
        """Close the session (at exit: aiohttp warns about sessions left open); the loop is
        fsspec's, and stays."""
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result(timeout=5)


_EVENT_LOOP_CLIENTS: dict[int, _EventLoopClient] = {}
_INHERITED: list[_EventLoopClient] = []


def _event_loop_client(connections: int) -> _EventLoopClient | None:
    """The process's `_EventLoopClient` for this many connections, kept for the life of the
    process (all on fsspec's loop: `read_datasets` asks for one size unless told otherwise);
    None if it cannot start (no aiohttp, an unreadable CA bundle), or if this thread runs that
    loop (waiting on it would stop it): the threads fetch then."""
    with _POOLS_LOCK:
        client = _EVENT_LOOP_CLIENTS.get(connections)
        if client is None:
            try:
                client = _EventLoopClient(connections)
            except Exception:
                return None
            _EVENT_LOOP_CLIENTS[connections] = client
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    return None if running is client.loop else client


@atexit.register
def _close_event_loop_clients() -> None:
    for client in _EVENT_LOOP_CLIENTS.values():
        client.close()


_POOLS: dict[Any, Any] = {}
_POOLS_LOCK = threading.Lock()


def _wide_pool(fs: Any) -> Any:
    """The same S3 file system with a connection pool of `FETCH_CONCURRENCY` (others as is)."""
    try:
        import s3fs
    except ImportError:  # pragma: no cover - s3fs is a dependency of helpers
        return fs
    if not isinstance(fs, s3fs.S3FileSystem):
        return fs
    key = getattr(fs, "_fs_token", None) or id(fs)  # fsspec's token: same options, same key
    with _POOLS_LOCK:
        wide = _POOLS.get(key)
        if wide is None:
            options = dict(fs.storage_options)
            config = dict(options.get("config_kwargs") or {})
            if config.get("max_pool_connections", 10) >= FETCH_CONCURRENCY:
                return fs
            config["max_pool_connections"] = FETCH_CONCURRENCY
            wide = type(fs)(**{**options, "config_kwargs": config})
            _POOLS[key] = wide
        return wide


_THREAD_POOLS: dict[tuple[str, int], ThreadPoolExecutor] = {}


def _pool(name: str, size: int) -> ThreadPoolExecutor:
    """The process's pool of `size` threads called `name`, started on first use and kept (its
    threads keep their connections)."""
    with _POOLS_LOCK:
        pool = _THREAD_POOLS.get((name, size))
        if pool is None:
            pool = _THREAD_POOLS[name, size] = ThreadPoolExecutor(size, thread_name_prefix=name)
        return pool


def _executor(size: int = FETCH_CONCURRENCY) -> ThreadPoolExecutor:
    """Threads that fetch: `FETCH_CONCURRENCY` of them, or `size` if fewer are asked for."""
    return _pool("helpers-fetch", max(1, min(size, FETCH_CONCURRENCY)))


def _decoder() -> ThreadPoolExecutor:
    """Threads that inflate chunks: one per CPU core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return _pool("helpers-inflate", max(1, cores or os.cpu_count() or 1))


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start pools and connections afresh."""
    global _POOLS_LOCK, _COUNT_LOCK, _THREAD_CONNECTIONS
    _THREAD_POOLS.clear()
    for client in _EVENT_LOOP_CLIENTS.values():
        client.orphan()
    _INHERITED.extend(_EVENT_LOOP_CLIENTS.values())  # never finalized in the child: see orphan
    _EVENT_LOOP_CLIENTS.clear()  # fsspec's loop thread is not in the child (fsspec starts anew)
    _POOLS.clear()
    _COUNTERS.clear()
    _POOLS_LOCK, _COUNT_LOCK = threading.Lock(), threading.Lock()
    _THREAD_CONNECTIONS = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _run_all(fetch: Fetch, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    if len(ranges) == 1:
        return [fetch(*ranges[0])]
    return list(_executor().map(lambda r: fetch(*r), ranges))


@dataclass
class RequestCount:
    """Requests and bytes that the fast readers fetched while `count_requests` was active."""

    requests: int = 0
    bytes: int = 0


_COUNTERS: list[RequestCount] = []
_COUNT_LOCK = threading.Lock()


@contextlib.contextmanager
def count_requests() -> Iterator[RequestCount]:
    """Count the range requests and bytes the fast readers (`read_datasets`, and so
    ``helpers.read_atl03_beam``, ``read_atl07_beam``, ``read_variables``) send over the network
    inside the ``with`` block, in every thread of this process.

    Reads through h5py and the file object's own cache (``fast=False``) are not counted: their
    file object reports its cache instead (``f.cache.miss_count``,
    ``f.cache.total_requested_bytes``).

    Examples
    --------
    >>> import tempfile, pathlib, shutil, fsspec, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     _ = f.create_dataset("h", data=np.zeros(25_000, "f4"), chunks=(10_000,),
    ...                          compression="gzip")
    >>> with count_requests() as count, fsspec.open(f"file://{path}", "rb") as fobj:
    ...     with RemoteHDF5File.from_file(fobj) as rf, h5py.File(rf, "r") as h5:
    ...         _ = read_datasets([h5["h"]], rf)
    >>> count.requests, count.bytes > path.stat().st_size  # the metadata, then 3 chunks
    (4, True)
    >>> shutil.rmtree(path.parent)
    """
    count = RequestCount()
    with _COUNT_LOCK:
        _COUNTERS.append(count)
    try:
        yield count
    finally:
        with _COUNT_LOCK:
            _COUNTERS.remove(count)


# --------------------------------------------------------------------------------------------
# The file object h5py reads metadata through


class RemoteHDF5File(io.RawIOBase):
    """A read-only file object for h5py over `fetch`, tuned for HDF5 metadata.

    Reads are served from `block_size` blocks kept for the life of the object. When a read
    returns an internal node of a version-1 chunk B-tree (signature ``TREE``, node type 1, level
    above 0), all its children are fetched at once, concurrently, and kept: HDF5 then walks the
    chunk index from memory.

    Parameters
    ----------
    fetch
        ``fetch(start, stop)`` returning bytes ``[start, stop)``.
    size
        File size in bytes.
    name
        For messages.
    block_size
        Bytes per metadata request.
    concurrency
        Concurrent requests when prefetching B-tree nodes and in `read_datasets`.

    Attributes
    ----------
    requests, bytes_fetched
        What went over the network through this object (metadata and `read_datasets`).

    Examples
    --------
    >>> data = bytes(range(256)) * 16
    >>> rf = RemoteHDF5File(lambda a, b: data[a:b], len(data), block_size=1024)
    >>> _ = rf.seek(1020); rf.read(8), rf.requests  # two blocks, fetched together
    (b'\\xfc\\xfd\\xfe\\xff\\x00\\x01\\x02\\x03', 2)
    """

    def __init__(
        self,
        fetch: Fetch,
        size: int,
        name: str = "remote file",
        *,
        block_size: int = METADATA_BLOCK_SIZE,
        concurrency: int = FETCH_CONCURRENCY,
    ) -> None:
        super().__init__()
        self.fetch, self.size, self.name = fetch, int(size), name
        self.block_size, self.concurrency = int(block_size), int(concurrency)
        self.requests = 0
        self.bytes_fetched = 0
        self._pos = 0
        self._blocks: dict[int, bytes] = {}
        self._extents: list[tuple[int, bytes]] = []  # sorted by start: prefetched windows
        self._seen_nodes: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, fileobj: Any, **kwargs: Any) -> RemoteHDF5File:
        """Wrap an fsspec file object (see `fast_source`); TypeError if it is not one."""
        source = fast_source(fileobj)
        if source is None:
            raise TypeError(f"{type(fileobj).__name__} is not an fsspec file object")
        fetch, size, name = source
        return cls(fetch, size, name, **kwargs)

    # io.RawIOBase
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self.size - self._pos))
        data = self._read(self._pos, n)
        view[:n] = data
        self._pos += n
        self._maybe_prefetch_children(data)
        return n

    # reading
    def _fetch(self, start: int, stop: int) -> bytes:
        data = self.fetch(start, stop)
        self._count(len(data))
        return data

    def _count(self, n: int) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_fetched += n
        if _COUNTERS:
            with _COUNT_LOCK:
                for count in _COUNTERS:
                    count.requests += 1
                    count.bytes += n

    def _extent(self, start: int, n: int) -> bytes | None:
        i = bisect.bisect_right(self._extents, start, key=lambda e: e[0]) - 1
        if i >= 0:
            first, data = self._extents[i]
            if start + n <= first + len(data):
                return data[start - first : start - first + n]
        return None

    def _read(self, start: int, n: int) -> bytes:
        extent = self._extent(start, n)
        if extent is not None:
            return extent
        first, last = start // self.block_size, (start + n - 1) // self.block_size
        self._fetch_blocks([b for b in range(first, last + 1) if b not in self._blocks])
        parts = [self._blocks[b] for b in range(first, last + 1)]
        joined = parts[0] if len(parts) == 1 else b"".join(parts)
        offset = start - first * self.block_size
        return joined[offset : offset + n]

    def _fetch_blocks(self, missing: Sequence[int]) -> None:
        """Fetch these blocks, each in pieces, all together: one round trip."""
        if not missing:
            return
        pieces = [
            (a, min(a + PIECE_SIZE, self.size, (b + 1) * self.block_size))
            for b in missing
            for a in range(b * self.block_size, (b + 1) * self.block_size, PIECE_SIZE)
            if a < self.size
        ]
        data = dict(zip(pieces, _run_all(self._fetch, pieces), strict=True))
        for b in missing:
            self._blocks[b] = b"".join(data[p] for p in pieces if p[0] // self.block_size == b)

    def prefetch(self, addresses: Sequence[int]) -> None:
        """Fetch the metadata blocks holding these file addresses now, in one round trip.

        h5py opens objects one at a time, and each object header it reads tells it nothing
        about the next one: with the addresses known in advance, several headers cost one round
        trip instead of one each.
        """
        regions = [(a, None) for a in addresses if 0 <= a < self.size]
        for _ in range(4):  # headers, then their continuation chunks (rarely deeper)
            wanted = {
                b
                for a, n in regions
                for b in range(a // self.block_size, (a + (n or 512) - 1) // self.block_size + 1)
                if b * self.block_size < self.size
            }
            self._fetch_blocks(sorted(wanted - self._blocks.keys()))
            regions = [c for a, n in regions for c in self._continuations(a, n)]
            if not regions:
                return

    def _continuations(self, address: int, length: int | None) -> list[tuple[int, int]]:
        """Continuation chunks named in a version-1 object header at `address` (``length``
        None) or in one of its continuation chunks; [] for anything else."""
        try:
            if length is None:
                version, _, count, _, size = struct.unpack("<BBHII", self._read(address, 12))
                if version != 1:
                    return []
                start, length = address + 16, size
            else:
                start, count = address, 1 << 16
            body = self._read(start, min(length, self.size - start))
        except (struct.error, OSError):
            return []
        out, offset = [], 0
        while count > 0 and offset + 8 <= len(body):
            kind, size = struct.unpack_from("<HH", body, offset)
            if kind == 0x10 and size >= 16 and offset + 24 <= len(body):
                where, n = struct.unpack_from("<QQ", body, offset + 8)
                if 0 < where < self.size and 0 < n < 1 << 24:
                    out.append((where, n))
            offset += 8 + size
            count -= 1
        return out

    def _cached(self, start: int, n: int) -> bool:
        if self._extent(start, n) is not None:
            return True
        first, last = start // self.block_size, (start + n - 1) // self.block_size
        return all(b in self._blocks for b in range(first, last + 1))

    def _maybe_prefetch_children(self, node: bytes) -> None:
        """Fetch the children of a B-tree node, each with `PIECE_SIZE` of context on each side.

        Producers that append through time allocate the index nodes of all their variables at
        the same moments, so the context usually holds the matching nodes of the other
        variables being read: their index walks then need no request at all.
        """
        children = _btree_children(node)
        if not children:
            return
        size = len(node)
        todo = sorted(a for a in children if a not in self._seen_nodes and a + size <= self.size)
        self._seen_nodes.update(children)
        todo = [a for a in todo if not self._cached(a, size)]
        if not todo:
            return
        half = PIECE_SIZE
        windows: list[list[int]] = []
        for a in todo:
            lo, hi = max(0, a - half), min(self.size, a + size + half)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        pieces = [
            (a, min(a + PIECE_SIZE, hi)) for lo, hi in windows for a in range(lo, hi, PIECE_SIZE)
        ]
        data = dict(zip(pieces, _run_all(self._fetch, pieces), strict=True))
        for lo, hi in windows:
            joined = b"".join(data[p] for p in pieces if lo <= p[0] < hi)
            bisect.insort(self._extents, (lo, joined), key=lambda e: e[0])


def prefetch_members(group: h5py.Group, names: Sequence[str], source: RemoteHDF5File) -> None:
    """Fetch at once the metadata blocks of the object headers of `group`'s members `names`
    (paths relative to `group`; soft and external links, and names not there, are skipped).

    Examples
    --------
    >>> import tempfile, pathlib, shutil, fsspec, h5py, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.h5"
    >>> with h5py.File(path, "w") as f:
    ...     for name in "abc":
    ...         _ = f.create_dataset(name, data=np.zeros(10))
    >>> fobj = fsspec.open(f"file://{path}", "rb").open()
    >>> with RemoteHDF5File.from_file(fobj, block_size=256) as rf, h5py.File(rf, "r") as h5:
    ...     prefetch_members(h5, ["a", "b", "c", "missing"], rf)
    ...     [h5[n].shape for n in "abc"]
    [(10,), (10,), (10,)]
    >>> fobj.close(); shutil.rmtree(path.parent)
    """
    addresses = []
    for name in names:
        try:
            info = group.id.links.get_info(name.encode())
        except (KeyError, ValueError, RuntimeError):
            continue
        if info.type == h5py.h5l.TYPE_HARD and isinstance(info.u, int):
            addresses.append(info.u)
    source.prefetch(addresses)


def _btree_children(node: bytes) -> list[int]:
    """Child addresses of an internal v1 chunk B-tree node (TREE, type 1, level > 0), else []."""
    if len(node) < 48 or node[:4] != b"TREE" or node[4] != 1 or node[5] == 0:
        return []
    entries = struct.unpack_from("<H", node, 6)[0]
    # key = chunk size (4) + filter mask (4) + (rank + 1) offsets (8 each); find the rank whose
    # layout fills the node exactly (HDF5 reads whole nodes: 24 + (2K+1) keys + 2K children)
    for rank in range(1, 33):
        key = 8 + 8 * (rank + 1)
        body = len(node) - 24 - key
        if body <= 0 or body % (key + 8):
            continue
        if entries > body // (key + 8):
            continue
        addresses = [
            struct.unpack_from("<Q", node, 24 + key + i * (key + 8))[0] for i in range(entries)
        ]
        if all(0 < a < 2**62 for a in addresses):
            return addresses
    return []


# --------------------------------------------------------------------------------------------
# Chunks


@dataclass(frozen=True)
class Chunk:
    """One stored chunk of one dataset: where it is and where its values go."""

    dataset: int
    """Index of the dataset in the list passed to `read_datasets`."""
    offset: tuple[int, ...]
    """Logical position of the chunk's first element."""
    byte_offset: int
    size: int
    filter_mask: int


def _filters(dset: h5py.Dataset) -> list[int] | None:
    """Filter ids in write order, or None when this module cannot undo them."""
    dcpl = dset.id.get_create_plist()
    ids = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
    return ids if set(ids) <= _SUPPORTED_FILTERS else None


def _eligible(dset: h5py.Dataset) -> bool:
    return (
        dset.chunks is not None
        and dset.ndim >= 1
        and dset.dtype.kind in "fiub"
        and not dset.dtype.hasobject
        and _filters(dset) is not None
    )


def _chunks(dset: h5py.Dataset, index: int, rows: slice) -> list[Chunk]:
    start, stop, _ = rows.indices(dset.shape[0])
    height = dset.chunks[0]
    out: list[Chunk] = []

    def keep(info: Any) -> None:
        first = info.chunk_offset[0]
        if first < stop and first + height > start:
            out.append(
                Chunk(
                    index, tuple(info.chunk_offset), info.byte_offset, info.size, info.filter_mask
                )
            )

    try:
        dset.id.chunk_iter(keep)
    except (AttributeError, NotImplementedError):  # HDF5 < 1.12.3: one call per chunk
        for i in range(dset.id.get_num_chunks()):
            keep(dset.id.get_chunk_info(i))
    return out


def plan_requests(
    chunks: Sequence[Chunk], request_size: int = REQUEST_SIZE, max_requests: int = 0
) -> list[tuple[int, int, list[Chunk]]]:
    """Group chunks into ``(start, stop, chunks)`` requests of adjacent bytes only.

    Chunks are sorted by position in the file; a chunk joins the previous request when it starts
    exactly where that one ends and the request stays within `request_size`. So no byte that is
    not needed is ever fetched. With `max_requests`, the request size shrinks (down to single
    chunks) until there are at least that many requests, so that every connection has work.

    Examples
    --------
    >>> cs = [Chunk(0, (i * 10,), 100 * i, 100, 0) for i in range(4)]
    >>> cs.append(Chunk(1, (0,), 1000, 50, 0))
    >>> [(a, b, len(c)) for a, b, c in plan_requests(cs, request_size=250)]
    [(0, 200, 2), (200, 400, 2), (1000, 1050, 1)]
    """
    ordered = sorted(chunks, key=lambda c: c.byte_offset)
    if max_requests and ordered:
        total = sum(c.size for c in ordered)
        request_size = max(1, min(request_size, -(-total // max_requests)))
    out: list[tuple[int, int, list[Chunk]]] = []
    for c in ordered:
        if out:
            start, stop, group = out[-1]
            end = c.byte_offset + c.size
            if c.byte_offset == stop and end - start <= request_size:
                out[-1] = (start, end, [*group, c])
                continue
        out.append((c.byte_offset, c.byte_offset + c.size, [c]))
    return out


def _expected_chunks(dset: h5py.Dataset, start: int, stop: int) -> int:
    """Number of chunks of `dset` that rows [start, stop) touch, written or not."""
    if stop <= start:
        return 0
    height = dset.chunks[0]
    rows = (stop - 1) // height - start // height + 1
    return rows * int(
        np.prod([-(-n // c) for n, c in zip(dset.shape[1:], dset.chunks[1:], strict=True)])
    )


def _decode(
    raw: bytes, filters: Sequence[int], mask: int, dtype: np.dtype, shape: tuple[int, ...]
) -> np.ndarray:
    data: Any = raw
    for position in reversed(range(len(filters))):
        if mask & (1 << position):
            continue
        code = filters[position]
        if code == _FLETCHER32:
            data = memoryview(data)[:-4]
        elif code == _DEFLATE:
            data = _inflate(data)
        elif code == _SHUFFLE:
            b = np.frombuffer(data, np.uint8)
            n = b.size // dtype.itemsize
            data = b[: n * dtype.itemsize].reshape(dtype.itemsize, n).T.tobytes()
    return np.frombuffer(data, dtype=dtype, count=math.prod(shape)).reshape(shape)


@dataclass
class _Target:
    """Where one dataset's chunks go, worked out once (h5py properties cost microseconds each)."""

    out: np.ndarray
    start: int
    """First row wanted."""
    filters: list[int]
    dtype: np.dtype
    chunks: tuple[int, ...]
    shape: tuple[int, ...]

    def place(self, piece: memoryview, chunk: Chunk) -> None:
        """Decode `piece` (the stored bytes of `chunk`) into the output array."""
        first, height, stop = chunk.offset[0], self.chunks[0], self.start + self.out.shape[0]
        lo, hi = max(first, self.start), min(first + height, stop)
        values = _decode(piece, self.filters, chunk.filter_mask, self.dtype, self.chunks)
        if len(self.chunks) == 1:  # ATL03/ATL07 variables: no other axis to fit
            self.out[lo - self.start : hi - self.start] = values[lo - first : hi - first]
            return
        inner = tuple(
            slice(0, min(h, n - o))
            for o, h, n in zip(chunk.offset[1:], self.chunks[1:], self.shape[1:], strict=True)
        )
        target = tuple(slice(o, o + s.stop) for o, s in zip(chunk.offset[1:], inner, strict=True))
        self.out[(slice(lo - self.start, hi - self.start), *target)] = values[
            (slice(lo - first, hi - first), *inner)
        ]


def read_datasets(
    datasets: Sequence[h5py.Dataset],
    source: RemoteHDF5File,
    rows: slice | None = None,
    *,
    concurrency: int | None = None,
) -> list[np.ndarray]:
    """Read ``dataset[rows]`` for every dataset, fetching all their chunks at once.

    Parameters
    ----------
    datasets
        Datasets of a file opened with ``h5py.File(source)``.
    source
        The `RemoteHDF5File` the file was opened through (gives `fetch`).
    rows
        Slice of the first axis (step 1), default all.
    concurrency
        Concurrent requests (default the source's).

    Returns
    -------
    list[numpy.ndarray]
        One array per dataset, equal to what h5py returns for ``dataset[rows]``.
    """
    rows = slice(None) if rows is None else rows
    if rows.step not in (None, 1):
        return [d[rows] for d in datasets]
    workers = concurrency or source.concurrency
    outputs: list[np.ndarray] = []
    targets: dict[int, _Target] = {}
    chunks: list[Chunk] = []
    for i, dset in enumerate(datasets):
        if not _eligible(dset):
            outputs.append(dset[()] if dset.ndim == 0 else dset[rows])
            continue
        start, stop, _ = rows.indices(dset.shape[0])
        out = np.empty((max(0, stop - start), *dset.shape[1:]), dtype=dset.dtype)
        found = _chunks(dset, i, rows)
        if len(found) < _expected_chunks(dset, start, stop):
            out[...] = dset.fillvalue  # chunks never written read as the fill value
        outputs.append(out)
        filters = _filters(dset)
        assert filters is not None
        targets[i] = _Target(out, start, filters, dset.dtype, dset.chunks, dset.shape)
        chunks.extend(found)
    if not chunks:
        return outputs

    def place(raw: memoryview, begin: int, group: list[Chunk]) -> None:
        for c in group:
            offset = c.byte_offset - begin
            targets[c.dataset].place(raw[offset : offset + c.size], c)

    decoder = _decoder()

    def decode(data: bytes, begin: int, group: list[Chunk]) -> Future[None]:
        source._count(len(data))
        return decoder.submit(place, memoryview(data), begin, group)

    def work(request: tuple[int, int, list[Chunk]]) -> Future[None]:
        # fetch here (many threads, mostly waiting), decode in the small pool: dozens of threads
        # taking turns at the GIL to decode would spend more time switching than decoding
        begin, end, group = request
        return decode(source.fetch(begin, end), begin, group)

    requests = plan_requests(chunks, REQUEST_SIZE, max_requests=workers)
    url = getattr(source.fetch, "url", None)
    client = _event_loop_client(workers) if isinstance(url, str) and len(requests) > 1 else None
    if client is not None:
        decoding = client.fetch_all(url, requests, source.fetch, decode)  # type: ignore[arg-type]
    else:
        decoding = list(_executor(workers).map(work, requests))
    for done in decoding:
        done.result()
    return outputs
