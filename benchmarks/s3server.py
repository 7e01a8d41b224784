"""A small S3 server on 127.0.0.1 that serves files from disk with Range, latency and bandwidth.

moto's server copies the whole object on every GET (about 6 ms + 0.5 ms per MiB of object, and
it serialises concurrent GETs), far too slow for GB objects, so the benchmark serves the few S3
calls that s3fs/aiobotocore, boto3 and h5coro make from files under a root directory
(``<root>/<bucket>/<key>``):

* ``HEAD /bucket/key`` (HeadObject) and ``GET /bucket/key`` with ``Range: bytes=a-b``, ``bytes=a-``
  or ``bytes=-N`` (GetObject, ``206 Partial Content``; without Range ``200`` and the whole file),
  ``HEAD /bucket`` (HeadBucket),
* ``GET /bucket?list-type=2&prefix=...`` (ListObjectsV2) and ``GET /bucket?location``.

Every S3 request waits `latency` seconds before its first byte, and each connection sends at most
`bandwidth` bytes per second. Requests, bytes and distinct connections are counted, and every S3
request is logged with its kind, start and end time and byte range (``requests`` in the stats:
what `benchmarks.layout.round_trips_before_data` counts round trips from). Signatures are
not checked. Control endpoints under ``/__bench__/`` (``stats``, ``reset``, ``config``) let the
benchmark read the counters and change the conditions between runs.

It shares the cores with the reader being measured, so it costs little CPU per request: one
thread runs an `asyncio` loop with a minimal HTTP/1.1 parser, bodies go from the page cache to the
socket with ``sendfile`` (no copy through Python), and each file's size, ETag and Last-Modified
are found once (files do not change while served). About 0.12 ms of CPU per ranged GET of 170 KB
from 64 keep-alive connections at 30 ms and 50 MB/s, where a thread per connection took 0.6 ms.

Run in its own process (so that it does not compete with the reader for the GIL)::

    python -m benchmarks.s3server --root DIR [--port 0] [--latency-ms 30] [--bandwidth-mb 50]

which prints one JSON line ``{"endpoint": "http://127.0.0.1:PORT"}``, or use `S3Emulator`.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

__all__ = ["Conditions", "S3Emulator", "serve"]

PIECE = 256 * 1024
"""Bytes sent per ``sendfile`` call while pacing (5 ms at 50 MB/s)."""

HEAD_LIMIT = 64 * 1024
"""Longest request line and headers accepted (a longer one is answered 400)."""

RECV_SIZE = 64 * 1024
"""Bytes asked of each ``recv``: asyncio's 256 KiB are above glibc's mmap threshold, so each
buffer would be mapped, shrunk and unmapped again (about 10% of the CPU per GET)."""

_STATUS = {s.value: f"HTTP/1.1 {s.value} {s.phrase}" for s in HTTPStatus}
_XML = {"Content-Type": "application/xml"}
_JSON = {"Content-Type": "application/json"}


@dataclass
class Conditions:
    """Injected per-request latency (seconds) and per-connection bandwidth (bytes/s, 0 = none)."""

    latency: float = 0.030
    bandwidth: float = 50e6


@dataclass
class _Stats:
    """The counters (touched by the server's one thread only, so without a lock)."""

    gets: int = 0
    heads: int = 0
    lists: int = 0
    bytes: int = 0
    connections: set[tuple[str, int]] = field(default_factory=set)
    active: int = 0
    max_active: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    requests: list[tuple[str, float, float, int, int]] = field(default_factory=list)
    """One entry per S3 request, in the order they ended: kind (``GET``, ``HEAD``, ``LIST``),
    start and end in seconds since the reset (start: its request head has been read, before the
    latency; end: the last byte of its answer has gone to the socket), and the byte range sent,
    (offset, length) (``-1, 0`` for a request without one: HEAD, LIST, an error)."""
    cpu_at_reset: float = field(default_factory=time.process_time)
    time_at_reset: float = field(default_factory=time.perf_counter)

    def snapshot(self) -> dict[str, Any]:
        return {
            "gets": self.gets,
            "heads": self.heads,
            "lists": self.lists,
            "bytes": self.bytes,
            "connections": len(self.connections),
            "max_concurrent": self.max_active,
            "ranges": list(self.ranges),
            "requests": list(self.requests),
            "cpu_seconds": time.process_time() - self.cpu_at_reset,
        }


@dataclass(frozen=True)
class _File:
    """What a HEAD or GET needs of a file, found once; the file stays open for ``sendfile``."""

    path: Path
    size: int
    etag: str
    last_modified: str
    handle: IO[bytes]

    @classmethod
    def open(cls, path: Path) -> _File:
        handle = open(path, "rb")  # noqa: SIM115 - closed when the server stops
        st = os.fstat(handle.fileno())
        etag = hashlib.md5(f"{path.name}{st.st_size}{st.st_mtime_ns}".encode()).hexdigest()
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        return cls(path, st.st_size, f'"{etag}"', modified, handle)


class _BadRequest(Exception):
    """A request that cannot be parsed: answered 400, then the connection is closed."""


@dataclass
class _Request:
    """One HTTP/1.x request: method, target, version, headers (lower-cased names), body."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    keep_alive: bool
    body: bytes = b""


@dataclass
class _Connection:
    """One client's connection: its streams, address and socket."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: tuple[str, int]
    fd: int


def _parse_head(head: bytes) -> _Request:
    """The request line and headers of ``head`` (which ends with an empty line).

    >>> head = b"GET /b/k HTTP/1.0\\r\\nRange: bytes=0-9\\r\\nConnection: keep-alive\\r\\n\\r\\n"
    >>> r = _parse_head(head)
    >>> r.method, r.target, r.headers["range"], r.keep_alive
    ('GET', '/b/k', 'bytes=0-9', True)
    >>> _parse_head(b"GET /\\r\\n\\r\\n")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    _BadRequest: bad request line 'GET /'
    """
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[1] or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(f"bad request line {lines[0][:100]!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(f"bad header line {line[:100]!r}")
            headers[name.lower()] = value.strip()
    method, target, version = parts
    connection = headers.get("connection", "").lower()
    keep = "close" not in connection and "transfer-encoding" not in headers  # a body not read
    keep = keep and (version != "HTTP/1.0" or "keep-alive" in connection)
    return _Request(method, target, version, headers, keep)


async def _read_request(conn: _Connection) -> _Request | None:
    """The next request on the connection with its body, or None when the client has closed it."""
    try:
        head = await conn.reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # closed, between requests or within one
    except asyncio.LimitOverrunError as err:
        raise _BadRequest("request head too long") from err
    request = _parse_head(head)
    length = request.headers.get("content-length", "0")
    if not length.isdigit():
        raise _BadRequest(f"bad Content-Length {length[:30]!r}")
    if int(length):
        if request.headers.get("expect", "").lower() == "100-continue":
            conn.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            request.body = await conn.reader.readexactly(int(length))
        except asyncio.IncompleteReadError:
            return None
    return request


def _split(target: str) -> tuple[str, str, dict[str, list[str]]]:
    """Bucket, key and query of a request target.

    >>> _split("/bucket/a/b%20c.h5"), _split("/bucket?list-type=2&prefix=a/")
    (('bucket', 'a/b c.h5', {}), ('bucket', '', {'list-type': ['2'], 'prefix': ['a/']}))
    """
    if target.startswith("/"):
        path, _, query = target.partition("?")
    else:  # absolute form, http://host/path?query
        parts = urlsplit(target)
        path, query = parts.path, parts.query
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    return bucket, key, parse_qs(query, keep_blank_values=True) if query else {}


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, length) of ``bytes=a-b``, ``bytes=a-`` or ``bytes=-N``; None if unsatisfiable.

    >>> [_parse_range(f"bytes={spec}", 100) for spec in ("10-19", "90-", "-5", "90-200")]
    [(10, 10), (90, 10), (95, 5), (90, 10)]
    >>> [_parse_range(f"bytes={spec}", 100) for spec in ("100-200", "5-2", "-0", "x")]
    [None, None, None, None]
    """
    first, _, last = header.strip().removeprefix("bytes=").partition("-")
    try:
        if first == "":  # suffix range: the last N bytes
            start, end = max(0, size - int(last)), size - 1
        else:
            start = int(first)
            end = min(size - 1, int(last)) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return None
    return start, end - start + 1


def _error_body(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    ).encode()


async def _send_piece(conn: _Connection, file: _File, offset: int, count: int) -> int:
    """Send ``count`` bytes of ``file`` from ``offset`` (fewer at its end); how many were sent.

    One ``os.sendfile`` when the socket takes them all at once, as it mostly does; otherwise
    ``loop.sendfile`` sends the rest, waiting for the socket to drain. (``loop.sendfile`` alone
    pauses reading, and waits a round of the loop for the socket even when it took everything:
    about a quarter more CPU per GET.)
    """
    transport = conn.writer.transport
    sent = 0
    if not transport.get_write_buffer_size():
        try:
            sent = os.sendfile(conn.fd, file.handle.fileno(), offset, count)
        except BlockingIOError:
            sent = -1
        if sent == count or sent == 0:  # all of it, or the end of the file
            return sent
        sent = max(sent, 0)
    loop = asyncio.get_running_loop()
    return sent + await loop.sendfile(transport, file.handle, offset + sent, count - sent)


class _Server:
    """The emulator: a socket on 127.0.0.1 served by an `asyncio` loop in one thread.

    The socket listens from construction (``.server_address``); `serve_forever` serves in the
    calling thread, `start` in a daemon thread, and `shutdown` (from another thread) stops it.
    """

    def __init__(self, root: Path, conditions: Conditions, port: int = 0) -> None:
        self.root = Path(root)
        self.conditions = conditions
        self.stats = _Stats()
        self._real_root = self.root.resolve()
        self._keys: dict[str, _File] = {}  # "bucket/key" as asked -> its file
        self._files: dict[Path, _File] = {}  # resolved path -> its file
        self._tasks: set[asyncio.Task[Any]] = set()
        self._date = (0, "")
        self._sock = socket.create_server(("127.0.0.1", port), backlog=256)
        self._ssl: ssl.SSLContext | None = None  # TLS, in benchmarks.https_server
        self.server_address: tuple[str, int] = self._sock.getsockname()[:2]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._done = threading.Event()

    # ------------------------------------------------------------------ life
    def serve_forever(self) -> None:
        """Serve in this thread until `shutdown` (or Ctrl-C, in the main thread)."""
        try:
            with asyncio.Runner() as runner:
                self._loop = runner.get_loop()
                runner.run(self._serve())
        finally:
            for file in self._files.values():
                file.handle.close()
            self._sock.close()
            self._done.set()
            self._ready.set()

    def start(self) -> _Server:
        """Serve in a daemon thread; return once connections are accepted."""
        threading.Thread(target=self.serve_forever, daemon=True, name="s3-emulator").start()
        self._ready.wait()
        if self._done.is_set():
            raise RuntimeError("the S3 emulator did not start")
        return self

    def shutdown(self) -> None:
        """Stop serving and close the socket (call it from another thread than the server's)."""
        if self._loop is None:  # never served
            self._sock.close()
            return
        self._ready.wait()
        if not self._done.is_set():
            assert self._stop is not None
            self._loop.call_soon_threadsafe(self._stop.set)
            self._done.wait()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(
            self._connection, sock=self._sock, backlog=256, limit=HEAD_LIMIT, ssl=self._ssl
        )
        async with server:
            self._ready.set()
            await self._stop.wait()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ HTTP
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer the requests of one connection, one after the other."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.transport.max_size = RECV_SIZE  # type: ignore[attr-defined]
        conn = _Connection(reader, writer, writer.get_extra_info("peername")[:2], sock.fileno())
        try:
            while await self._one(conn):
                pass
        except (OSError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one(self, conn: _Connection) -> bool:
        """Answer one request; whether the connection stays open for another."""
        try:
            request = await _read_request(conn)
        except _BadRequest as err:
            body = _error_body("BadRequest", str(err))
            conn.writer.write(self._head(400, _XML, len(body), keep=False) + body)
            await conn.writer.drain()
            return False
        if request is None:
            return False
        await self._dispatch(conn, request)
        await conn.writer.drain()
        return request.keep_alive

    def _head(self, status: int, headers: dict[str, str], length: int, keep: bool) -> bytes:
        """The status line and headers of a response."""
        now = int(time.time())
        if now != self._date[0]:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        lines = [_STATUS[status], f"Date: {self._date[1]}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        lines.append(f"Content-Length: {length}")
        if not keep:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self,
        conn: _Connection,
        request: _Request,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        """A response with a small body (none to HEAD: only its length)."""
        head = self._head(status, headers or {}, len(body), request.keep_alive)
        conn.writer.write(head if request.method == "HEAD" else head + body)

    def _error(
        self, conn: _Connection, request: _Request, status: int, code: str, message: str
    ) -> None:
        self._send(conn, request, status, _error_body(code, message), _XML)

    async def _dispatch(self, conn: _Connection, request: _Request) -> None:
        """Answer a control request, an S3 one (counted, after the latency), or refuse it."""
        method = request.method
        bucket, key, query = _split(request.target)
        if bucket == "__bench__" and method in ("GET", "POST", "PUT"):
            return self._control(conn, request, key, query)
        if method in ("POST", "PUT"):
            return self._error(conn, request, 405, "MethodNotAllowed", "read-only emulator")
        if method not in ("GET", "HEAD"):
            request.keep_alive = False
            return self._error(conn, request, 501, "NotImplemented", method)
        await self._s3_request(conn, request, bucket, key, query)

    async def _s3_request(
        self,
        conn: _Connection,
        request: _Request,
        bucket: str,
        key: str,
        query: dict[str, list[str]],
    ) -> None:
        """An S3 request (GET or HEAD): counted, logged, answered after the latency."""
        method = request.method
        kind = "heads" if method == "HEAD" else "gets" if key else "lists"
        stats = self.stats  # a reset in the meantime starts new counters: log in these ones
        started = time.perf_counter()
        logged = False

        def log(span: tuple[int, int] = (-1, 0)) -> None:
            """Log the request once, when the last byte of its answer has gone to the socket."""
            nonlocal logged
            if not logged:
                logged = True
                base = stats.time_at_reset
                now = time.perf_counter()
                entry = (kind[:-1].upper(), round(started - base, 6), round(now - base, 6))
                stats.requests.append((*entry, *span))

        await self._begin(kind, conn.peer)
        try:
            if method == "HEAD":
                self._head_object(conn, request, bucket, key)
            elif key:
                await self._get_object(conn, request, bucket, key, log)
            else:
                self._bucket_get(conn, request, bucket, query)
        finally:
            self.stats.active -= 1
            log()  # (a GET has logged itself with its range, before pacing the last piece)

    async def _begin(self, kind: str, peer: tuple[str, int]) -> None:
        """Count an S3 request (in progress until its answer is sent), then wait the latency."""
        stats = self.stats
        setattr(stats, kind, getattr(stats, kind) + 1)
        stats.connections.add(peer)
        stats.active += 1
        stats.max_active = max(stats.max_active, stats.active)
        if self.conditions.latency > 0:
            await asyncio.sleep(self.conditions.latency)

    # ------------------------------------------------------------------ control
    def _control(
        self, conn: _Connection, request: _Request, name: str, query: dict[str, list[str]]
    ) -> None:
        if name == "stats":
            body = json.dumps(self.stats.snapshot()).encode()
        elif name == "reset":
            self.stats = _Stats(active=self.stats.active)  # requests in progress stay counted
            body = b"{}"
        elif name == "config":
            try:
                if "latency_ms" in query:
                    self.conditions.latency = float(query["latency_ms"][0]) / 1000.0
                if "bandwidth_mb" in query:
                    self.conditions.bandwidth = float(query["bandwidth_mb"][0]) * 1e6
            except ValueError as err:
                return self._error(conn, request, 400, "InvalidArgument", str(err))
            body = json.dumps(vars(self.conditions)).encode()
        else:
            return self._error(conn, request, 404, "NoSuchControl", name)
        self._send(conn, request, 200, body, _JSON)

    # ------------------------------------------------------------------ S3
    def _file(self, bucket: str, key: str) -> _File | None:
        """The file of ``bucket/key``, or None if there is none under the root."""
        name = f"{bucket}/{key}"
        found = self._keys.get(name)
        if found is None:
            path = (self._real_root / bucket / key).resolve()
            if self._real_root not in path.parents or not path.is_file():
                return None
            found = self._files.get(path)
            if found is None:
                found = self._files[path] = _File.open(path)
            self._keys[name] = found
        return found

    def _object_head(
        self, status: int, file: _File, length: int, keep: bool, **extra: str
    ) -> bytes:
        headers = {
            "Content-Type": "application/x-hdf5",
            "Accept-Ranges": "bytes",
            "ETag": file.etag,
            "Last-Modified": file.last_modified,
            **extra,
        }
        return self._head(status, headers, length, keep)

    def _head_object(self, conn: _Connection, request: _Request, bucket: str, key: str) -> None:
        """HeadObject, or HeadBucket without a key."""
        if not key:
            if (self.root / bucket).is_dir():
                return self._send(conn, request, 200, headers={"x-amz-bucket-region": "us-west-2"})
            return self._send(conn, request, 404)
        file = self._file(bucket, key)
        if file is None:
            return self._send(conn, request, 404)
        conn.writer.write(self._object_head(200, file, file.size, request.keep_alive))

    async def _get_object(
        self,
        conn: _Connection,
        request: _Request,
        bucket: str,
        key: str,
        log: Callable[[tuple[int, int]], None],
    ) -> None:
        """GetObject: one range of the file (206), or all of it (200); `log` gets the (offset,
        length) sent as soon as its last byte has gone to the socket."""
        file = self._file(bucket, key)
        if file is None:
            return self._error(conn, request, 404, "NoSuchKey", f"{bucket}/{key}")
        header = request.headers.get("range")
        if header:
            span = _parse_range(header, file.size)
            if span is None:
                return self._error(conn, request, 416, "InvalidRange", header)
            start, length = span
            extra = {"Content-Range": f"bytes {start}-{start + length - 1}/{file.size}"}
            head = self._object_head(206, file, length, request.keep_alive, **extra)
        else:
            start, length = 0, file.size
            head = self._object_head(200, file, length, request.keep_alive)
        conn.writer.write(head)
        self.stats.ranges.append((start, length))
        await self._stream(conn, file, start, length, lambda: log((start, length)))

    async def _stream(
        self,
        conn: _Connection,
        file: _File,
        start: int,
        length: int,
        sent_all: Callable[[], None] = lambda: None,
    ) -> None:
        """Send bytes ``[start, start + length)`` of the file in `PIECE` pieces paced to the
        bandwidth (from the first byte on).

        Each piece is counted before it goes to the socket: once the socket has taken the last
        bytes the client may have the whole answer, and read the counters, before this coroutine
        runs again. A piece whose send fails (the client went away) is taken off again, as it
        was never counted before; one that comes out short (the end of the file) counts what was
        sent. Both go to the counters they were added to, even after a reset. `sent_all` is
        called once the last byte has gone to the socket (before the pacing wait after it).
        """
        bandwidth = self.conditions.bandwidth
        t0 = time.perf_counter()
        sent = 0
        while sent < length:
            if conn.writer.transport.is_closing():
                raise ConnectionResetError("the client closed the connection")
            want = min(PIECE, length - sent)
            stats = self.stats  # a reset in the meantime starts new counters: fix these ones
            stats.bytes += want
            try:
                n = await _send_piece(conn, file, start + sent, want)
            except BaseException:
                stats.bytes -= want
                raise
            stats.bytes -= want - n
            if n == 0:
                break
            sent += n
            if sent >= length:  # the client can have it all now, whatever the pacing below
                sent_all()
            if bandwidth > 0:
                ahead = t0 + sent / bandwidth - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)

    def _bucket_get(
        self, conn: _Connection, request: _Request, bucket: str, query: dict[str, list[str]]
    ) -> None:
        """GetBucketLocation (``?location``) or ListObjectsV2."""
        root = self.root / bucket
        if not root.is_dir():
            return self._error(conn, request, 404, "NoSuchBucket", bucket)
        if "location" in query:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><LocationConstraint '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-west-2</LocationConstraint>'
            )
            return self._send(conn, request, 200, body.encode(), _XML)
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        self._send(conn, request, 200, _list_body(root, bucket, prefix, delimiter), _XML)


def _list_body(root: Path, bucket: str, prefix: str, delimiter: str) -> bytes:
    """The ListObjectsV2 answer for the files under ``root`` (all of them: no paging)."""
    keys, prefixes = [], set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if delimiter and delimiter in rest:
            prefixes.add(prefix + rest.split(delimiter)[0] + delimiter)
            continue
        keys.append((key, path.stat()))
    contents = "".join(
        f"<Contents><Key>{escape(k)}</Key><LastModified>"
        f"{time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(st.st_mtime))}</LastModified>"
        f"<ETag>&quot;0&quot;</ETag><Size>{st.st_size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        for k, st in keys
    )
    common = "".join(
        f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in sorted(prefixes)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
        'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
        f"<KeyCount>{len(keys) + len(prefixes)}</KeyCount><MaxKeys>1000</MaxKeys>"
        f"<Delimiter>{escape(delimiter)}</Delimiter><IsTruncated>false</IsTruncated>"
        f"{contents}{common}</ListBucketResult>"
    )
    return body.encode()


def serve(root: Path, conditions: Conditions, port: int = 0) -> _Server:
    """Start a server in a daemon thread of this process; return it (``.server_address``,
    ``.stats``, ``.conditions``; ``.shutdown()`` stops it)."""
    return _Server(root, conditions, port).start()


class S3Emulator:
    """The server in a child process, with its counters and conditions one call away.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, s3fs
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "bucket").mkdir(); _ = (root / "bucket" / "f.bin").write_bytes(bytes(range(256)))
    >>> with S3Emulator(root, Conditions(latency=0.0, bandwidth=0)) as s3:
    ...     fs = s3.filesystem()
    ...     fs.cat_file("bucket/f.bin", start=10, end=14), s3.stats()["gets"]
    (b'\\n\\x0b\\x0c\\r', 1)
    >>> shutil.rmtree(root)
    """

    def __init__(self, root: Path, conditions: Conditions | None = None) -> None:
        self.root = Path(root)
        self.conditions = conditions or Conditions()
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""

    @classmethod
    def attach(cls, endpoint: str, root: Path = Path()) -> S3Emulator:
        """A handle on an emulator another process started (at `endpoint`): its counters,
        conditions and file systems, for a child process that measures a reader."""
        s3 = cls(root)
        s3.endpoint = endpoint
        return s3

    def __enter__(self) -> S3Emulator:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.s3server",
            "--root",
            str(self.root),
            "--latency-ms",
            str(self.conditions.latency * 1000),
            "--bandwidth-mb",
            str(self.conditions.bandwidth / 1e6),
        ]
        repo = Path(__file__).resolve().parent.parent
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
        }
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=repo, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the S3 emulator did not start")
        self.endpoint = json.loads(line)["endpoint"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()

    def _call(self, name: str, **query: float) -> dict[str, Any]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        req = urllib.request.Request(f"{self.endpoint}/__bench__/{name}?{qs}", method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        with opener.open(req, timeout=30) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        """GETs, HEADs, LISTs, bytes sent, distinct connections, max concurrency, GET ranges,
        and the log of requests (kind, start s, end s, offset, length; see `_Stats.requests`)."""
        return self._call("stats")

    def reset(self) -> None:
        """Zero the counters."""
        self._call("reset")

    def configure(self, latency: float, bandwidth: float) -> None:
        """Change the latency (s) and bandwidth (bytes/s per connection) of later requests."""
        self.conditions = Conditions(latency, bandwidth)
        self._call("config", latency_ms=latency * 1000, bandwidth_mb=bandwidth / 1e6)

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """s3fs options that reach this server with dummy credentials."""
        return {
            "key": "benchmark",
            "secret": "benchmark",
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "us-west-2"},
            "skip_instance_cache": True,
            **extra,
        }

    def filesystem(self, **extra: Any) -> Any:
        """A fresh ``s3fs.S3FileSystem`` on this server (no cached instance, listing or data)."""
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options(**extra))


def main(argv: list[str] | None = None) -> None:
    """Command line: serve ``--root`` until killed, after printing the endpoint as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--bandwidth-mb", type=float, default=50.0)
    args = parser.parse_args(argv)
    server = _Server(
        args.root, Conditions(args.latency_ms / 1000, args.bandwidth_mb * 1e6), args.port
    )
    host, port = server.server_address
    print(json.dumps({"endpoint": f"http://{host}:{port}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
