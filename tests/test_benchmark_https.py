"""The HTTPS condition (issue #19 item 4): the emulator's TLS, token, 303 and pacing, and the
condition's readers returning h5py's arrays on a small generated granule.

The client side here reaches the emulator through aiohttp's own resolver hook (no change to
this process's ``socket`` module, which other tests' sandboxes patch); the benchmark's children
use `sandbox.resolver` instead (tested by the last test, through `run_https`)."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from pathlib import Path
from typing import Any

import aiohttp
import fsspec
import pytest
from aiohttp.abc import AbstractResolver

from benchmarks.https_run import run_https
from benchmarks.https_server import DAAC_HOST, HttpsEmulator, s3_host
from benchmarks.s3server import Conditions

TOKEN = "test-token-not-a-secret"
BUCKET = "nsidc-cumulus-prod-protected"
KEY = "ATLAS/ATL03/v007/granule.h5"
URL = f"https://{DAAC_HOST}/{BUCKET}/{KEY}"
DATA = bytes(range(256)) * 8192  # 2 MiB


class _Loopback(AbstractResolver):
    """Every emulated name is the emulator's address and port."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[dict[str, Any]]:
        assert host in (DAAC_HOST, s3_host(BUCKET)), host
        return [
            {"hostname": host, "host": "127.0.0.1", "port": self.port, "family": 2}
            | {"proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("https-root")
    (root / BUCKET / KEY).parent.mkdir(parents=True)
    (root / BUCKET / KEY).write_bytes(DATA)
    with HttpsEmulator(root, Conditions(0.0, 0.0), token=TOKEN) as https:
        yield https


def _session(https: HttpsEmulator, **kwargs: Any) -> aiohttp.ClientSession:
    context = ssl.create_default_context(cafile=str(https.ca))
    port = int(https.endpoint.rsplit(":", 1)[1])
    connector = aiohttp.TCPConnector(ssl=context, resolver=_Loopback(port))
    return aiohttp.ClientSession(connector=connector, trust_env=False, **kwargs)


def _get(https: HttpsEmulator, url: str, headers: dict[str, str], redirects: bool = False):
    async def go() -> tuple[int, dict[str, str], bytes]:
        async with (
            _session(https) as session,
            session.get(url, headers=headers, allow_redirects=redirects) as r,
        ):
            return r.status, dict(r.headers), await r.read()

    return asyncio.run(go())


def test_the_daac_refuses_a_request_without_the_token_and_says_why(emulator) -> None:
    status, _, body = _get(emulator, URL, {})
    assert status == 401
    assert "Bearer token required (no Authorization header" in json.loads(body)["error_description"]
    status, _, body = _get(emulator, URL, {"Authorization": "Bearer wrong"})
    assert status == 401 and "a wrong token" in body.decode()


def test_the_daac_answers_303_to_a_presigned_s3_url_which_refuses_the_token(emulator) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}", "Range": "bytes=0-9"}
    status, headers, body = _get(emulator, URL, bearer)
    assert status == 303 and body == b"" and headers["Range"] == "bytes=0-9"
    location = headers["Location"]
    assert location.startswith(f"https://{s3_host(BUCKET)}/{KEY}?")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=3600" in location
    # the presigned URL alone is enough; with the token as well S3 refuses, as AWS does
    status, _, body = _get(emulator, location, {"Range": "bytes=0-9"})
    assert status == 206 and body == DATA[:10]
    status, _, body = _get(emulator, location, bearer)
    assert status == 400 and b"Only one auth mechanism allowed" in body
    forged = location.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    status, _, body = _get(emulator, forged, {"Range": "bytes=0-9"})
    assert status == 403 and b"AccessDenied" in body


def test_ranges_come_through_the_redirect_exactly_with_fsspec(emulator) -> None:
    """earthaccess's client (fsspec HTTPS, Bearer header, trust_env=False) follows the 303 (and
    aiohttp drops the token on the way to the other host, or S3 would answer 400)."""
    port = int(emulator.endpoint.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(emulator.ca))

    async def get_client(**kwargs: Any) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=context, resolver=_Loopback(port))
        return aiohttp.ClientSession(connector=connector, **kwargs)

    client_kwargs = {"headers": {"Authorization": f"Bearer {TOKEN}"}, "trust_env": False}
    fs = fsspec.filesystem(
        "https", client_kwargs=client_kwargs, get_client=get_client, skip_instance_cache=True
    )
    emulator.reset()
    assert fs.info(URL)["size"] == len(DATA)
    assert fs.cat_file(URL, start=1000, end=1_501_000) == DATA[1000:1_501_000]
    assert fs.cat_file(URL, start=len(DATA) - 7, end=len(DATA)) == DATA[-7:]
    kinds = [r[0] for r in emulator.stats()["requests"]]
    assert kinds == ["REDIRECT", "HEAD", "REDIRECT", "GET", "REDIRECT", "GET"], kinds
    assert emulator.stats()["bytes"] == 1_500_000 + 7


def test_latency_applies_to_the_daac_and_to_s3_and_bandwidth_per_connection(emulator) -> None:
    emulator.configure(0.2, 2e6)  # 200 ms per request, 2 MB/s
    try:
        bearer = {"Authorization": f"Bearer {TOKEN}", "Range": "bytes=0-199999"}
        emulator.reset()
        t0 = time.perf_counter()
        status, _, body = _get(emulator, URL, bearer, redirects=True)
        seconds = time.perf_counter() - t0
    finally:
        emulator.configure(0.0, 0.0)
    assert status == 206 and body == DATA[:200_000]
    # two requests of 200 ms each, then 200 kB at 2 MB/s (0.1 s)
    assert 0.5 <= seconds < 2.0, seconds
    log = {r[0]: r for r in emulator.stats()["requests"]}
    assert log["REDIRECT"][2] - log["REDIRECT"][1] >= 0.2
    assert log["GET"][2] - log["GET"][1] >= 0.2 + 0.09


def test_the_https_readers_return_h5pys_arrays(tmp_path: Path) -> None:
    """On a small generated granule, through the children's real set-up (guard, resolver,
    SSL_CERT_FILE, earthaccess's own session and open), unthrottled."""
    cost: dict[str, float] = {}
    rows = run_https(
        3_000_000,
        layouts=("v007",),
        cache=tmp_path,
        latency=0.0,
        bandwidth=0.0,
        fast_runs=0,
        log=lambda *_: None,
        cost=cost,
    )
    assert cost["cpu_ms_per_mb"] > 0 and cost["cpu_ms_per_request"] > 0, cost
    assert [r.reader for r in rows] == ["notebooks", "earthaccess"]
    for row in rows:
        assert row.error == "" and row.identical, row
        assert row.redirects == row.gets + row.heads  # every S3 request came through a 303
        assert row.heads == 2 and row.gets > 0 and row.bytes_moved > 0
        assert row.round_trips is not None and row.round_trips >= 4  # two HEADs, two hops each
