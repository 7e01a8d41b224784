"""An HTTPS emulator of the path a laptop takes to a granule: the DAAC's TEA, then S3, over TLS.

Out of us-west-2, ``earthaccess.open(granule)`` opens the granule's HTTPS URL
(``https://data.nsidc.earthdatacloud.nasa.gov/<bucket>/<key>``) with an fsspec HTTPS file system
whose session sends ``Authorization: Bearer <Earthdata Login token>``. The DAAC's Thin Egress
App answers every request for the file, HEAD and each ranged GET alike, with ``303 See Other``
to a presigned ``https://<bucket>.s3.us-west-2.amazonaws.com/<key>?X-Amz-...`` URL, and S3
serves the bytes (see ``sandbox/daac.py`` and ``sandbox/tea.py`` for the sources). So each read
is two requests in a row on two TLS connections. This server answers both host names on one
TLS port of 127.0.0.1 (routed by ``Host``; the client resolves the names to it, see
`benchmarks.https`), with a certificate of a private CA made at start (``trustme``):

* the DAAC host: a request without the Bearer token the emulator was started with is ``401``
  with a JSON body saying so; with it, ``303`` to a presigned-looking URL (query signed with
  an HMAC of the key and expiry), ``Range`` echoed as TEA does, logged as ``REDIRECT``;
* the S3 host: the URL's signature must verify (else ``403 AccessDenied``), and a request that
  also carries an ``Authorization`` header is ``400 InvalidArgument`` ("Only one auth mechanism
  allowed", as S3 answers); then HEAD and ranged GET as `benchmarks.s3server`.

Every request (DAAC and S3) waits the latency before its first byte, and each connection sends
at most `bandwidth` bytes per second: a piece of the body leaves when a link of that bandwidth
would have carried it (`benchmarks.s3server` sends a piece, then waits, so its last piece is
free: 13 ms per response at 20 MB/s). The counters, request log and control endpoints
(``/__bench__/stats``, ``reset``, ``config``) are `benchmarks.s3server`'s: this is its server
with TLS, two hosts, and bodies written through TLS in pieces instead of ``sendfile`` (which TLS
cannot use).

Run in its own process::

    python -m benchmarks.https_server --root DIR --token TOKEN --certs DIR [--latency-ms 80]

which prints one JSON line ``{"endpoint": "https://127.0.0.1:PORT", "ca": "DIR/ca.pem"}``, or
use `HttpsEmulator`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import trustme

from benchmarks.s3server import (
    PIECE,
    Conditions,
    S3Emulator,
    _Connection,
    _File,
    _Request,
    _Server,
    _split,
)

__all__ = ["DAAC_HOST", "HttpsEmulator", "make_certificates", "s3_host"]

DAAC_HOST = "data.nsidc.earthdatacloud.nasa.gov"
"""NSIDC's cloud DAAC (TEA), where the granules' "GET DATA" URLs point."""

EXPIRES_S = 3600


def s3_host(bucket: str) -> str:
    """The virtual-hosted S3 name presigned URLs use.

    >>> s3_host("nsidc-cumulus-prod-protected")
    'nsidc-cumulus-prod-protected.s3.us-west-2.amazonaws.com'
    """
    return f"{bucket}.s3.us-west-2.amazonaws.com"


def make_certificates(directory: Path, hosts: list[str]) -> tuple[Path, ssl.SSLContext]:
    """A fresh private CA (its PEM written to ``directory/ca.pem``, for the client's
    ``SSL_CERT_FILE``) and a server context with one certificate for `hosts`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="earthdata benchmark (loopback, synthetic)")
    leaf = ca.issue_cert(*hosts, common_name=hosts[0])
    ca_pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return ca_pem, context


class _HttpsServer(_Server):
    """`benchmarks.s3server`'s server behind TLS, answering as the DAAC and as S3."""

    def __init__(
        self,
        root: Path,
        conditions: Conditions,
        context: ssl.SSLContext,
        token: str,
        port: int = 0,
    ) -> None:
        super().__init__(root, conditions, port)
        self._ssl = context
        self._token = token
        self._key = secrets.token_bytes(32)  # signs the presigned URLs

    # ------------------------------------------------------------------ signing
    def _signature(self, bucket: str, key: str, expires: str) -> str:
        message = f"{bucket}/{key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def presigned_url(self, bucket: str, key: str) -> str:
        """A URL of ``s3://bucket/key`` as TEA forms it (query-signed, valid an hour)."""
        expires = str(int(time.time()) + EXPIRES_S)
        query = (
            "A-userid=benchmark&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Expires={EXPIRES_S}&X-Amz-SignedHeaders=host&X-Benchmark-Until={expires}"
            f"&X-Amz-Signature={self._signature(bucket, key, expires)}"
        )
        return f"https://{s3_host(bucket)}/{quote(key)}?{query}"

    def _signed(self, bucket: str, key: str, query: dict[str, list[str]]) -> bool:
        until = query.get("X-Benchmark-Until", [""])[0]
        given = query.get("X-Amz-Signature", [""])[0]
        if not until.isdigit() or int(until) < time.time():
            return False
        return hmac.compare_digest(given, self._signature(bucket, key, until))

    # ------------------------------------------------------------------ HTTP
    async def _dispatch(self, conn: _Connection, request: _Request) -> None:
        method = request.method
        host = request.headers.get("host", "").split(":")[0].lower()
        path, _, query_text = request.target.partition("?")
        if path.startswith("/__bench__/") and method in ("GET", "POST", "PUT"):
            _, name, query = _split(request.target)
            return self._control(conn, request, name, query)
        if method not in ("GET", "HEAD"):
            request.keep_alive = False
            return self._error(conn, request, 405, "MethodNotAllowed", method)
        if host == DAAC_HOST:
            return await self._tea(conn, request, path)
        if host.endswith(".s3.us-west-2.amazonaws.com"):
            bucket = host.split(".s3.", 1)[0]
            key = unquote(path).lstrip("/")
            query = parse_qs(query_text, keep_blank_values=True)
            if "authorization" in request.headers:
                message = "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                message += "parameter, Signature query string parameter or the Authorization "
                message += "header should be specified"
                return self._error(conn, request, 400, "InvalidArgument", message)
            if not self._signed(bucket, key, query):
                return self._error(conn, request, 403, "AccessDenied", "bad or expired signature")
            return await self._s3_request(conn, request, bucket, key, {})
        return self._error(conn, request, 421, "MisdirectedRequest", f"not emulated: {host!r}")

    async def _tea(self, conn: _Connection, request: _Request, path: str) -> None:
        """The DAAC: 401 without the token, else after the latency a 303 to S3 (logged)."""
        authorization = request.headers.get("authorization", "")
        if not hmac.compare_digest(authorization.encode(), f"Bearer {self._token}".encode()):
            said = "no Authorization header" if not authorization else "a wrong token"
            body = json.dumps(
                {
                    "status_code": 401,
                    "error_description": f"Earthdata Login Bearer token required ({said} was "
                    "sent): log in with earthaccess.login() before earthaccess.open()",
                }
            ).encode()
            return self._send(conn, request, 401, body, {"Content-Type": "application/json"})
        bucket, _, key = unquote(path).lstrip("/").partition("/")
        stats = self.stats
        started = time.perf_counter()
        stats.connections.add(conn.peer)
        if self.conditions.latency > 0:
            await asyncio.sleep(self.conditions.latency)
        headers = {"Location": self.presigned_url(bucket, key), "Content-Type": "application/json"}
        span = (-1, 0)
        if request.method == "GET":
            headers["Cache-Control"] = f"private, max-age={EXPIRES_S - 60}"
            if "range" in request.headers:
                headers["Range"] = request.headers["range"]
                first, _, last = request.headers["range"].removeprefix("bytes=").partition("-")
                if first.isdigit() and last.isdigit():
                    span = (int(first), int(last) - int(first) + 1)
        self._send(conn, request, 303, b"", headers)
        now = time.perf_counter()
        base = stats.time_at_reset
        stats.requests.append(("REDIRECT", round(started - base, 6), round(now - base, 6), *span))

    async def _stream(
        self,
        conn: _Connection,
        file: _File,
        start: int,
        length: int,
        sent_all: Callable[[], None] = lambda: None,
    ) -> None:
        """Send bytes ``[start, start + length)`` through TLS in `PIECE` pieces (``pread``,
        then the TLS transport encrypts), each when a link of `bandwidth` would have carried it
        (so the last byte leaves ``length / bandwidth`` after the first could)."""
        bandwidth = self.conditions.bandwidth
        t0 = time.perf_counter()
        sent = 0
        fd = file.handle.fileno()
        while sent < length:
            if conn.writer.transport.is_closing():
                raise ConnectionResetError("the client closed the connection")
            want = min(PIECE, length - sent)
            if bandwidth > 0:
                ahead = t0 + (sent + want) / bandwidth - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            data = os.pread(fd, want, start + sent)
            if not data:
                break
            self.stats.bytes += len(data)
            conn.writer.write(data)
            sent += len(data)
            if sent >= length:
                sent_all()
            await conn.writer.drain()


class HttpsEmulator(S3Emulator):
    """The HTTPS server in a child process; counters and conditions as `S3Emulator`'s.

    ``endpoint`` is ``https://127.0.0.1:<port>`` (what the emulated host names must resolve
    to) and ``ca`` the PEM of the CA that signed its certificate.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, ssl, urllib.request
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "bucket").mkdir(); _ = (root / "bucket" / "f.bin").write_bytes(bytes(256))
    >>> with HttpsEmulator(root, Conditions(0.0, 0), token="t0k3n") as https:
    ...     https.stats()["gets"], https.ca.name
    (0, 'ca.pem')
    >>> shutil.rmtree(root)
    """

    def __init__(
        self, root: Path, conditions: Conditions | None = None, *, token: str, certs: Path = Path()
    ) -> None:
        super().__init__(root, conditions)
        self.token = token
        self.certs = certs
        self.ca = Path()
        self._tmp: Any = None

    def __enter__(self) -> HttpsEmulator:
        import tempfile

        if self.certs == Path():
            self._tmp = tempfile.TemporaryDirectory(prefix="https-bench-")
            self.certs = Path(self._tmp.name)
        cmd = [sys.executable, "-m", "benchmarks.https_server", "--root", str(self.root)]
        cmd += ["--certs", str(self.certs), "--latency-ms", str(self.conditions.latency * 1000)]
        cmd += ["--bandwidth-mb", str(self.conditions.bandwidth / 1e6)]
        repo = Path(__file__).resolve().parent.parent
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]),
            "BENCHMARK_HTTPS_TOKEN": self.token,  # not on the command line, where ps shows it
        }
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=repo, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the HTTPS emulator did not start")
        started = json.loads(line)
        self.endpoint, self.ca = started["endpoint"], Path(started["ca"])
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(None, None, None)
        if self._tmp is not None:
            self._tmp.cleanup()

    @classmethod
    def attach(cls, endpoint: str, root: Path = Path(), ca: Path = Path()) -> HttpsEmulator:
        """A handle on an emulator another process started (its counters and conditions)."""
        https = cls(root, token="")
        https.endpoint, https.ca = endpoint, ca
        return https

    def _call(self, name: str, **query: float) -> dict[str, Any]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        req = urllib.request.Request(f"{self.endpoint}/__bench__/{name}?{qs}", method="POST")
        req.add_header("Host", DAAC_HOST)  # the certificate's name, not the address
        context = ssl.create_default_context(cafile=str(self.ca))
        context.check_hostname = False  # the address is 127.0.0.1; the CA is still checked
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(req, timeout=30) as resp:
            return json.loads(resp.read())


def main(argv: list[str] | None = None) -> None:
    """Command line: serve ``--root`` until killed, after printing the endpoint and CA as JSON.
    The token is read from ``$BENCHMARK_HTTPS_TOKEN``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--certs", required=True, type=Path, help="where ca.pem is written")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    parser.add_argument("--bandwidth-mb", type=float, default=20.0)
    args = parser.parse_args(argv)
    token = os.environ.get("BENCHMARK_HTTPS_TOKEN", "")
    if not token:
        parser.error("set BENCHMARK_HTTPS_TOKEN to the Bearer token the DAAC should accept")
    ca, context = make_certificates(args.certs, [DAAC_HOST, s3_host("*")])
    conditions = Conditions(args.latency_ms / 1000, args.bandwidth_mb * 1e6)
    server = _HttpsServer(args.root, conditions, context, token, args.port)
    host, port = server.server_address
    print(json.dumps({"endpoint": f"https://{host}:{port}", "ca": str(ca)}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
