"""The benchmark's S3 emulator on its own: ranges, headers, errors, keep-alive, latency, pacing,
counters and control endpoints (the readers' use of it is covered by test_benchmark_small)."""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmarks.s3server import Conditions, S3Emulator, serve

SIZE = 3_000_000


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("s3")
    (base / "root" / "bucket" / "sub").mkdir(parents=True)
    data = np.random.default_rng(5).integers(0, 256, SIZE, dtype=np.uint8).tobytes()
    (base / "root" / "bucket" / "f.bin").write_bytes(data)
    (base / "root" / "bucket" / "sub" / "g.bin").write_bytes(b"0123456789")
    (base / "secret.txt").write_bytes(b"outside the root")
    return base / "root"


@pytest.fixture
def server(root: Path) -> Iterator:
    srv = serve(root, Conditions(latency=0.0, bandwidth=0))
    yield srv
    srv.shutdown()


def _data(root: Path) -> bytes:
    return (root / "bucket" / "f.bin").read_bytes()


def _request(
    server, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _get_range(server, spec: str) -> tuple[int, dict[str, str], bytes]:
    return _request(server, "GET", "/bucket/f.bin", {"Range": f"bytes={spec}"})


def test_ranges_of_every_form(server, root: Path) -> None:
    data = _data(root)
    status, headers, body = _get_range(server, "10-19")
    assert (status, body) == (206, data[10:20])
    assert headers["Content-Range"] == f"bytes 10-19/{SIZE}" and headers["Content-Length"] == "10"
    status, headers, body = _get_range(server, f"{SIZE - 5}-")
    assert (status, body, headers["Content-Range"]) == (
        206,
        data[-5:],
        f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}",
    )
    status, headers, body = _get_range(server, "-7")
    assert (status, body, headers["Content-Range"]) == (
        206,
        data[-7:],
        f"bytes {SIZE - 7}-{SIZE - 1}/{SIZE}",
    )
    status, headers, body = _get_range(server, f"{SIZE - 3}-{SIZE + 100}")  # clipped at the end
    assert (status, body) == (206, data[-3:])
    status, headers, body = _request(server, "GET", "/bucket/f.bin")
    assert (status, body) == (200, data) and "Content-Range" not in headers
    for beyond in (f"{SIZE}-{SIZE + 10}", "20-10", "-0"):
        status, headers, body = _get_range(server, beyond)
        assert status == 416 and headers["Content-Type"] == "application/xml"
        assert b"<Code>InvalidRange</Code>" in body


def test_head_object_and_bucket(server, root: Path) -> None:
    status, headers, body = _request(server, "HEAD", "/bucket/f.bin")
    assert status == 200 and body == b""
    assert headers["Content-Type"] == "application/x-hdf5"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Length"] == str(SIZE)
    assert headers["ETag"].startswith('"') and len(headers["ETag"]) == 34
    mtime = (root / "bucket" / "f.bin").stat().st_mtime
    assert email.utils.parsedate_to_datetime(headers["Last-Modified"]).timestamp() == int(mtime)
    again = _request(server, "GET", "/bucket/f.bin", {"Range": "bytes=0-0"})[1]
    assert again["ETag"] == headers["ETag"] and again["Last-Modified"] == headers["Last-Modified"]
    status, headers, _ = _request(server, "HEAD", "/bucket")
    assert status == 200 and headers["x-amz-bucket-region"] == "us-west-2"
    assert _request(server, "HEAD", "/nobucket")[0] == 404
    assert _request(server, "HEAD", "/bucket/missing.bin")[0] == 404


def test_missing_keys_buckets_and_paths_out_of_the_root_are_404(server) -> None:
    status, headers, body = _request(server, "GET", "/bucket/missing.bin")
    assert status == 404 and b"<Code>NoSuchKey</Code>" in body
    status, headers, body = _request(server, "GET", "/nobucket?list-type=2")
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body
    for path in (
        "/bucket/%2E%2E/%2E%2E/secret.txt",
        "/bucket/../../secret.txt",
        "/bucket/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "/bucket/sub",  # a directory is not an object
    ):
        status, _, body = _request(server, "GET", path)
        assert status == 404 and b"outside" not in body, path


def test_list_objects_and_location(server) -> None:
    status, _, body = _request(server, "GET", "/bucket?list-type=2&prefix=&delimiter=/")
    assert status == 200
    assert b"<Key>f.bin</Key>" in body and b"<Prefix>sub/</Prefix>" in body
    assert b"<Key>sub/g.bin</Key>" not in body and b"<KeyCount>2</KeyCount>" in body
    status, _, body = _request(server, "GET", "/bucket?list-type=2&prefix=sub/")
    assert status == 200 and b"<Key>sub/g.bin</Key>" in body and b"<Size>10</Size>" in body
    status, _, body = _request(server, "GET", "/bucket?location")
    assert status == 200 and b"us-west-2</LocationConstraint>" in body


def test_writes_are_refused(server) -> None:
    status, _, body = _request(server, "PUT", "/bucket/new.bin")
    assert status == 405 and b"<Code>MethodNotAllowed</Code>" in body
    assert _request(server, "DELETE", "/bucket/f.bin")[0] == 501


def test_connections_are_kept_alive(server, root: Path) -> None:
    host, port = server.server_address
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/bucket/f.bin", headers={"Range": "bytes=0-99"})
    assert conn.getresponse().read() == _data(root)[:100]
    first = conn.sock
    conn.request("HEAD", "/bucket/f.bin")
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b""
    conn.request("GET", "/bucket/f.bin", headers={"Range": "bytes=100-199"})
    assert conn.getresponse().read() == _data(root)[100:200]
    assert conn.sock is first  # not reconnected
    conn.close()
    assert server.stats.snapshot()["connections"] == 1


def test_a_malformed_request_is_400_and_closes_the_connection(server) -> None:
    with socket.create_connection(server.server_address, timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in answer


def test_latency_is_waited_before_the_first_byte(server) -> None:
    server.conditions.latency = 0.05
    t0 = time.perf_counter()
    status, _, _ = _get_range(server, "0-0")
    assert status == 206 and time.perf_counter() - t0 >= 0.05


def test_each_connection_is_paced_to_the_bandwidth(server, root: Path) -> None:
    server.conditions.bandwidth = 20e6
    t0 = time.perf_counter()
    status, _, body = _get_range(server, "0-1999999")
    elapsed = time.perf_counter() - t0
    assert status == 206 and body == _data(root)[:2_000_000]
    assert elapsed >= 0.09  # 2 MB at 20 MB/s, less the last piece's time


def test_counters_of_concurrent_requests(server, root: Path) -> None:
    server.conditions.latency = 0.1
    spans = [(0, 1000), (5000, 2000), (100_000, 300_000), (2_000_000, 17)]
    barrier = threading.Barrier(len(spans))
    bodies: dict[int, bytes] = {}

    def get(start: int, length: int) -> None:
        barrier.wait()
        bodies[start] = _get_range(server, f"{start}-{start + length - 1}")[2]

    threads = [threading.Thread(target=get, args=span) for span in spans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    data = _data(root)
    assert all(bodies[a] == data[a : a + n] for a, n in spans)
    stats = server.stats.snapshot()
    assert stats["gets"] == 4 and stats["heads"] == 0 and stats["lists"] == 0
    assert stats["bytes"] == sum(n for _, n in spans)
    assert sorted(stats["ranges"]) == spans
    assert stats["connections"] == 4 and stats["max_concurrent"] == 4
    assert stats["cpu_seconds"] >= 0


def test_bytes_are_counted_before_the_client_has_them_all(
    server, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving behind a flaky ``bytes`` count, forced: the socket has taken the last
    piece of an answer, the client reads it and the counters, and only then does the server's
    coroutine run again (here it is held until the client has looked)."""
    import asyncio

    from benchmarks import s3server

    real = s3server._send_piece
    looked = threading.Event()
    held: list[int] = []

    async def send_then_wait(conn, file, offset: int, count: int) -> int:
        n = await real(conn, file, offset, count)
        if offset + count == 300_000:  # the last piece of the range below
            held.append(n)
            await asyncio.get_running_loop().run_in_executor(None, looked.wait, 10)
        return n

    monkeypatch.setattr(s3server, "_send_piece", send_then_wait)
    try:
        status, _, body = _get_range(server, "0-299999")  # two pieces: 262,144 + 37,856 bytes
        stats = server.stats.snapshot()  # the server is still held after the last piece
    finally:
        looked.set()
    assert status == 206 and body == _data(root)[:300_000]
    assert held == [300_000 - s3server.PIECE]  # the last piece was sent, and the server waited
    assert stats["bytes"] == 300_000 and stats["ranges"] == [(0, 300_000)]


def test_a_piece_that_fails_is_not_counted(
    server, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import s3server

    real = s3server._send_piece

    async def fail_second(conn, file, offset: int, count: int) -> int:
        if offset:
            raise ConnectionResetError("the client went away")
        return await real(conn, file, offset, count)

    monkeypatch.setattr(s3server, "_send_piece", fail_second)
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        _get_range(server, "0-299999")
    deadline = time.monotonic() + 10
    while server.stats.active and time.monotonic() < deadline:  # the server's side is done
        time.sleep(0.01)
    assert server.stats.active == 0 and server.stats.bytes == s3server.PIECE


def test_emulator_process_controls_and_counters(root: Path) -> None:
    with S3Emulator(root, Conditions(latency=0.0, bandwidth=0)) as s3:
        assert s3.endpoint.startswith("http://127.0.0.1:")
        fs = s3.filesystem()
        assert fs.cat_file("bucket/f.bin", start=10, end=14) == _data(root)[10:14]
        assert fs.ls("bucket", detail=False) == ["bucket/f.bin", "bucket/sub"]
        stats = s3.stats()
        assert set(stats) == {
            "gets", "heads", "lists", "bytes", "connections", "max_concurrent", "ranges",
            "requests", "cpu_seconds",
        }  # fmt: skip
        assert stats["gets"] == 1 and stats["ranges"] == [[10, 4]] and stats["lists"] >= 1
        s3.reset()
        after = s3.stats()
        assert (after["gets"], after["bytes"], after["ranges"], after["connections"]) == (
            0,
            0,
            [],
            0,
        )
        assert after["requests"] == []
        attached = S3Emulator.attach(s3.endpoint)  # what a child process measuring a reader uses
        assert attached.filesystem().cat_file("bucket/f.bin", start=0, end=2) == _data(root)[:2]
        assert [r[0] for r in s3.stats()["requests"]] == ["GET"]
        s3.reset()
        s3.configure(0.05, 5e6)
        assert s3._call("config") == {"latency": 0.05, "bandwidth": 5e6}
        host = s3.endpoint.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.request("GET", "/__bench__/config?latency_ms=0&bandwidth_mb=0")  # GET works too
        assert json.loads(conn.getresponse().read()) == {"latency": 0.0, "bandwidth": 0.0}
        conn.request("GET", "/__bench__/nothing")
        assert conn.getresponse().status == 404
        conn.close()
        assert s3.stats()["gets"] == 0  # control requests are not counted


def test_the_request_log_has_each_request_s_times_and_range(root: Path) -> None:
    """Sequential requests follow one another in the log (each starts after the one before
    ended); requests sent together overlap; each GET carries the range it sent."""
    latency = 0.2  # long enough for three threads to be in flight together on a busy machine
    srv = serve(root, Conditions(latency=latency, bandwidth=0))
    together = threading.Barrier(3)

    def get_together(k: int) -> None:
        together.wait()
        _get_range(srv, f"{k * 10_000}-{k * 10_000 + 9}")

    try:
        _get_range(srv, "0-99")
        _request(srv, "HEAD", "/bucket/f.bin")
        _get_range(srv, "1000-1999")
        threads = [threading.Thread(target=get_together, args=(k,)) for k in range(1, 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _get_range(srv, f"{SIZE}-")  # unsatisfiable: logged without a range
        # through the server's own thread, as the benchmark reads it (after the answers)
        log = [
            tuple(r) for r in json.loads(_request(srv, "GET", "/__bench__/stats")[2])["requests"]
        ]
    finally:
        srv.shutdown()
    assert [r[0] for r in log] == ["GET", "HEAD", "GET", "GET", "GET", "GET", "GET"]
    assert [r[3:] for r in log[:3]] == [(0, 100), (-1, 0), (1000, 1000)]
    assert sorted(r[3:] for r in log[3:6]) == [(10_000, 10), (20_000, 10), (30_000, 10)]
    assert log[6][3:] == (-1, 0)
    for kind, start, end, *_ in log:
        assert end - start >= latency * 0.9, (kind, start, end)  # the latency is inside
    for before, after in zip(log[:3], log[1:4], strict=True):
        assert after[1] >= before[2]  # sequential: starts after the one before ended
    sent_together = log[3:6]
    assert max(r[1] for r in sent_together) < min(r[2] for r in sent_together)  # all at once


def test_shutdown_stops_the_server(root: Path) -> None:
    srv = serve(root, Conditions(latency=0.0, bandwidth=0))
    assert _request(srv, "HEAD", "/bucket")[0] == 200
    srv.shutdown()
    with pytest.raises(OSError):
        socket.create_connection(srv.server_address, timeout=2).close()
