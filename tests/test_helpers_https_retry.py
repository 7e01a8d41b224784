"""helpers.retries, HTTPS reads: fsspec's HTTPFileSystem (aiohttp) retries 5xx and resets mid-body.

A loopback ``http.server`` plays the data server: it answers with 503s, resets the connection in
the middle of a body, or refuses for good, a set number of times. No real network.
"""

from __future__ import annotations

import socket
import struct
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import fsspec
import pytest

from helpers import retries as https_retry
from helpers.retries import get_retrying_client, retry_delay, retry_transient_errors

DATA = bytes(range(256)) * 64  # 16 KiB
PRESIGNED_QUERY = "A-userid=learner&X-Amz-Credential=ASIASECRET&X-Amz-Security-Token=FwoSECRET"


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.plan: list[str] = []  # what to do for the next requests: "503", "reset"; then data
        self.seen: list[str] = []

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the resets it makes on purpose

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/granule.h5"


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: bool) -> None:
        self.server.seen.append(self.command)
        action = self.server.plan.pop(0) if self.server.plan else "ok"
        if action == "303":  # a DAAC's answer: to a presigned S3 URL, credentials in its query
            self.send_response(303)
            self.send_header("Location", f"/granule.h5?{PRESIGNED_QUERY}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if action == "404":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if action == "503":
            message = b'{"message": "Service Unavailable"}'
            self.send_response(503)
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message if body else b"")
            return
        start, stop = 0, len(DATA)
        ranged = self.headers.get("Range")
        if ranged:
            first, last = ranged.removeprefix("bytes=").split("-")
            start, stop = int(first), min(int(last) + 1, len(DATA))
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Length", str(stop - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if not body:
            return
        if action == "reset":  # half the body, then an abortive close (RST), as the sandbox does
            self.wfile.write(DATA[start : start + (stop - start) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.wfile.write(DATA[start:stop])

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_POST(self) -> None:
        self._answer(body=True)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(https_retry, "BACKOFF_BASE", 0.01)
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _fs() -> fsspec.AbstractFileSystem:
    return fsspec.filesystem(
        "http",
        get_client=get_retrying_client,
        skip_instance_cache=True,
        client_kwargs={"trust_env": False},
    )


def test_a_range_read_survives_503s(server: Server) -> None:
    server.plan = ["503", "503", "503"]
    assert _fs().cat_file(server.url, start=100, end=4196) == DATA[100:4196]
    assert server.seen == ["GET"] * 4


def test_a_reset_mid_body_is_retried(server: Server) -> None:
    server.plan = ["reset", "503", "reset"]
    assert _fs().cat_file(server.url, start=0, end=8192) == DATA[:8192]
    assert len(server.seen) == 4


def test_a_file_opened_as_earthaccess_does_reads_through_faults(server: Server) -> None:
    server.plan = ["503", "ok", "reset", "503"]  # the HEAD for the size, then the block reads
    with _fs().open(server.url, "rb", cache_type="blockcache", block_size=4096) as f:
        f.seek(5000)
        assert f.read(3000) == DATA[5000:8000]


def test_a_permanent_503_ends_with_the_services_answer_after_the_retries(server: Server) -> None:
    server.plan = ["503"] * 50
    with pytest.raises(aiohttp.ClientResponseError) as err:
        _fs().cat_file(server.url, start=0, end=10)
    assert err.value.status == 503
    assert len(server.seen) == https_retry.RETRIES + 1 == 6


def test_a_permanent_reset_raises_the_payload_error_after_the_retries(server: Server) -> None:
    server.plan = ["reset"] * 50
    with pytest.raises(aiohttp.ClientPayloadError):
        _fs().cat_file(server.url, start=0, end=8192)
    assert len(server.seen) == 6


def test_a_request_with_a_body_is_never_repeated(server: Server) -> None:
    import asyncio

    async def post() -> int:
        session = await get_retrying_client()
        async with session, session.post(server.url, data=b"x") as resp:
            return resp.status

    server.plan = ["503", "503"]
    assert asyncio.run(post()) == 503
    assert server.seen == ["POST"]


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    delays = [retry_delay(n, draw=lambda: 1.0) for n in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0]
    assert retry_delay(3, draw=lambda: 0.25) == 2.0


def test_every_earthaccess_store_reads_https_with_the_retrying_client() -> None:
    """The real earthaccess Store class, patched once: the options earthaccess chose (its token
    header, trust_env False) are kept, and each Store keeps one file system."""
    from earthaccess.auth import Auth
    from earthaccess.store import Store

    auth = Auth()
    auth.token, auth.authenticated = {"access_token": "t0ken"}, True
    store = Store.__new__(Store)  # no login requests: only the attributes get_fsspec_session reads
    store.auth = auth
    retry_transient_errors()
    retry_transient_errors()  # idempotent: one layer only
    fs = store.get_fsspec_session()
    assert fs.get_client is get_retrying_client
    assert fs.client_kwargs == {"headers": {"Authorization": "Bearer t0ken"}, "trust_env": False}
    assert store.get_fsspec_session() is fs


@pytest.mark.parametrize("redirected", [False, True], ids=["presigned URL", "DAAC redirect"])
def test_an_error_answer_never_names_a_presigned_url_s_credentials(
    server: Server, redirected: bool
) -> None:
    """aiohttp's error names the URL of the answer, which after a DAAC's redirect is a presigned
    S3 URL: user name and temporary credentials in its query. After the retries the error is
    the same kind, with the status, and without the query or the request's headers."""
    url = server.url if redirected else f"{server.url}?{PRESIGNED_QUERY}"
    server.plan = (["303"] if redirected else []) + ["503"] * 50
    fs = _fs()
    with pytest.raises(aiohttp.ClientResponseError) as err:
        fs.cat_file(url, start=0, end=10)
    assert err.value.status == 503 and "query is left out" in str(err.value)
    shown = "".join(traceback.format_exception(err.value))
    for secret in ("learner", "SECRET", "X-Amz"):
        assert secret not in shown
    assert not err.value.request_info.headers and not err.value.history
    assert len(server.seen) == (1 if redirected else 0) + https_retry.RETRIES + 1


def test_a_missing_file_is_still_fsspec_s_file_not_found(server: Server) -> None:
    server.plan = ["404"]
    with pytest.raises(FileNotFoundError):
        _fs().cat_file(f"{server.url}?{PRESIGNED_QUERY}", start=0, end=10)
