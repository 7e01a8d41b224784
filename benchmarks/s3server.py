"""A small S3 server on 127.0.0.1 that serves files from disk with Range, latency and bandwidth.

moto's server copies the whole object on every GET (about 6 ms + 0.5 ms per MiB of object, and
it serialises concurrent GETs), far too slow for GB objects, so the benchmark serves the few S3
calls that s3fs/aiobotocore, boto3 and h5coro make from files under a root directory
(``<root>/<bucket>/<key>``):

* ``HEAD /bucket/key`` (HeadObject) and ``GET /bucket/key`` with ``Range: bytes=a-b`` (GetObject,
  ``206 Partial Content``), ``HEAD /bucket`` (HeadBucket),
* ``GET /bucket?list-type=2&prefix=...`` (ListObjectsV2) and ``GET /bucket?location``.

Every S3 request waits `latency` seconds before its first byte, and each connection sends at most
`bandwidth` bytes per second. Requests, bytes and distinct connections are counted. Signatures are
not checked. Control endpoints under ``/__bench__/`` (``stats``, ``reset``, ``config``) let the
benchmark read the counters and change the conditions between runs.

Run in its own process (so that its threads do not compete with the reader for the GIL)::

    python -m benchmarks.s3server --root DIR [--port 0] [--latency-ms 30] [--bandwidth-mb 50]

which prints one JSON line ``{"endpoint": "http://127.0.0.1:PORT"}``, or use `S3Emulator`.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

__all__ = ["Conditions", "S3Emulator", "serve"]

PIECE = 256 * 1024
"""Bytes sent per ``sendfile`` call while pacing (5 ms at 50 MB/s)."""


@dataclass
class Conditions:
    """Injected per-request latency (seconds) and per-connection bandwidth (bytes/s, 0 = none)."""

    latency: float = 0.030
    bandwidth: float = 50e6


@dataclass
class _Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    gets: int = 0
    heads: int = 0
    lists: int = 0
    bytes: int = 0
    connections: set[tuple[str, int]] = field(default_factory=set)
    active: int = 0
    max_active: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    cpu_at_reset: float = field(default_factory=time.process_time)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "gets": self.gets,
                "heads": self.heads,
                "lists": self.lists,
                "bytes": self.bytes,
                "connections": len(self.connections),
                "max_concurrent": self.max_active,
                "ranges": list(self.ranges),
                "cpu_seconds": time.process_time() - self.cpu_at_reset,
            }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, root: Path, conditions: Conditions, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.root = Path(root)
        self.conditions = conditions
        self.stats = _Stats()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    # ------------------------------------------------------------------ helpers
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error>"
        ).encode()
        self._send(status, body, {"Content-Type": "application/xml"})

    def _split(self) -> tuple[str, str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        path = unquote(parts.path).lstrip("/")
        bucket, _, key = path.partition("/")
        return bucket, key, parse_qs(parts.query, keep_blank_values=True)

    def _file(self, bucket: str, key: str) -> Path | None:
        root = self.server.root.resolve()
        path = (root / bucket / key).resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    def _begin(self, kind: str) -> None:
        stats = self.server.stats
        with stats.lock:
            setattr(stats, kind, getattr(stats, kind) + 1)
            stats.connections.add(self.client_address[:2])
            stats.active += 1
            stats.max_active = max(stats.max_active, stats.active)
        if self.server.conditions.latency > 0:
            time.sleep(self.server.conditions.latency)

    def _end(self) -> None:
        with self.server.stats.lock:
            self.server.stats.active -= 1

    # ------------------------------------------------------------------ control
    def _control(self, name: str, query: dict[str, list[str]]) -> None:
        server = self.server
        if name == "stats":
            body = json.dumps(server.stats.snapshot()).encode()
        elif name == "reset":
            with server.stats.lock:
                server.stats = _Stats()
            body = b"{}"
        elif name == "config":
            if "latency_ms" in query:
                server.conditions.latency = float(query["latency_ms"][0]) / 1000.0
            if "bandwidth_mb" in query:
                server.conditions.bandwidth = float(query["bandwidth_mb"][0]) * 1e6
            body = json.dumps(vars(server.conditions)).encode()
        else:
            return self._error(404, "NoSuchControl", name)
        self._send(200, body, {"Content-Type": "application/json"})

    # ------------------------------------------------------------------ S3
    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        bucket, key, query = self._split()
        if bucket == "__bench__":
            return self._control(key, query)
        self._error(405, "MethodNotAllowed", "read-only emulator")

    def do_PUT(self) -> None:  # noqa: N802
        self.do_POST()

    def do_HEAD(self) -> None:  # noqa: N802
        bucket, key, _ = self._split()
        self._begin("heads")
        try:
            if not key:
                if (self.server.root / bucket).is_dir():
                    return self._send(200, headers={"x-amz-bucket-region": "us-west-2"})
                return self._send(404)
            path = self._file(bucket, key)
            if path is None:
                return self._send(404)
            self._send_object_headers(200, path, path.stat().st_size)
        finally:
            self._end()

    def do_GET(self) -> None:  # noqa: N802
        bucket, key, query = self._split()
        if bucket == "__bench__":
            return self._control(key, query)
        if not key:
            self._begin("lists")
            try:
                return self._bucket_get(bucket, query)
            finally:
                self._end()
        self._begin("gets")
        try:
            self._get_object(bucket, key)
        finally:
            self._end()

    def _send_object_headers(
        self, status: int, path: Path, length: int, extra: dict[str, str] | None = None
    ) -> None:
        st = path.stat()
        etag = hashlib.md5(f"{path.name}{st.st_size}{st.st_mtime_ns}".encode()).hexdigest()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-hdf5")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{etag}"')
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _get_object(self, bucket: str, key: str) -> None:
        path = self._file(bucket, key)
        if path is None:
            return self._error(404, "NoSuchKey", f"{bucket}/{key}")
        size = path.stat().st_size
        header = self.headers.get("Range")
        start, end = 0, size - 1
        status, extra = 200, {}
        if header:
            spec = header.strip().removeprefix("bytes=")
            first, _, last = spec.partition("-")
            if first == "":  # suffix range: the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(size - 1, int(last)) if last else size - 1
            if start >= size or end < start:
                return self._error(416, "InvalidRange", header)
            status, extra = 206, {"Content-Range": f"bytes {start}-{end}/{size}"}
        length = end - start + 1
        self._send_object_headers(status, path, length, extra)
        with self.server.stats.lock:
            self.server.stats.ranges.append((start, length))
        self._stream(path, start, length)

    def _stream(self, path: Path, start: int, length: int) -> None:
        """Send bytes ``[start, start + length)`` with ``os.sendfile`` (no copy through Python),
        in `PIECE` pieces paced to the bandwidth."""
        bandwidth = self.server.conditions.bandwidth
        t0 = time.perf_counter()
        sent = 0
        sock = self.connection.fileno()
        fd = os.open(path, os.O_RDONLY)
        try:
            while sent < length:
                n = os.sendfile(sock, fd, start + sent, min(PIECE, length - sent))
                if n == 0:
                    break
                sent += n
                if bandwidth > 0:
                    ahead = t0 + sent / bandwidth - time.perf_counter()
                    if ahead > 0:
                        time.sleep(ahead)
        finally:
            os.close(fd)
            with self.server.stats.lock:
                self.server.stats.bytes += sent

    def _bucket_get(self, bucket: str, query: dict[str, list[str]]) -> None:
        root = self.server.root / bucket
        if not root.is_dir():
            return self._error(404, "NoSuchBucket", bucket)
        if "location" in query:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><LocationConstraint '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-west-2</LocationConstraint>'
            )
            return self._send(200, body.encode(), {"Content-Type": "application/xml"})
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
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
            f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>"
            for p in sorted(prefixes)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
            'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<KeyCount>{len(keys) + len(prefixes)}</KeyCount><MaxKeys>1000</MaxKeys>"
            f"<Delimiter>{escape(delimiter)}</Delimiter><IsTruncated>false</IsTruncated>"
            f"{contents}{common}</ListBucketResult>"
        )
        self._send(200, body.encode(), {"Content-Type": "application/xml"})


def serve(root: Path, conditions: Conditions, port: int = 0) -> _Server:
    """Start a server in a daemon thread of this process; return it (``.server_address``)."""
    server = _Server(root, conditions, port)
    threading.Thread(target=server.serve_forever, daemon=True, name="s3-emulator").start()
    return server


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
        """GETs, HEADs, LISTs, bytes sent, distinct connections, max concurrency, GET ranges."""
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
    host, port = server.server_address[:2]
    print(json.dumps({"endpoint": f"http://{host}:{port}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
