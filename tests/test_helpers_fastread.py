"""helpers.fastread and the readers' fast path: same values as h5py, fewer requests."""

from __future__ import annotations

import warnings
from concurrent.futures import Future
from pathlib import Path

import fsspec
import h5py
import numpy as np
import pytest

import helpers
from helpers import fastread


@pytest.fixture()
def odd_file(tmp_path: Path) -> Path:
    """Datasets with every case the fast path handles, and some it hands back to h5py."""
    path = tmp_path / "odd.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w", libver="earliest") as f:
        f.create_dataset(
            "plain", data=rng.normal(size=95_001).astype("f4"), chunks=(10_000,), compression="gzip"
        )
        f.create_dataset(
            "shuffled",
            data=rng.integers(0, 9, 30_001).astype(">i4"),
            chunks=(7_000,),
            compression="gzip",
            shuffle=True,
            fletcher32=True,
        )
        f.create_dataset(
            "two_d",
            data=rng.integers(-2, 5, (25_003, 5), dtype="i1"),
            chunks=(10_000, 3),
            compression="gzip",
        )
        sparse = f.create_dataset(
            "sparse",
            shape=(50_000,),
            dtype="f8",
            chunks=(10_000,),
            compression="gzip",
            fillvalue=-9.5,
        )
        sparse[20_000:30_000] = 1.25
        f.create_dataset(
            "lzf", data=np.arange(20_000, dtype="u2"), chunks=(5_000,), compression="lzf"
        )
        f.create_dataset("contiguous", data=np.arange(10, dtype="f8"))
        f.create_dataset(
            "many", data=np.arange(700_000, dtype="u4"), chunks=(1_000,), compression="gzip"
        )  # a B-tree of 2 levels: prefetched children
    return path


@pytest.mark.parametrize("rows", [slice(None), slice(12_345, 23_456), slice(0, 1), slice(5, 5)])
def test_fast_reads_equal_h5py(odd_file: Path, rows: slice) -> None:
    names = ["plain", "shuffled", "two_d", "sparse", "lzf", "contiguous", "many"]
    with (
        fsspec.open(f"file://{odd_file}", "rb") as fobj,
        fastread.RemoteHDF5File.from_file(fobj) as rf,
        h5py.File(rf, "r") as h5,
    ):
        got = fastread.read_datasets([h5[n] for n in names], rf, rows)
        assert rf.requests > 0 and rf.bytes_fetched > 0
    with h5py.File(odd_file, "r") as h5:
        for name, array in zip(names, got, strict=True):
            want = h5[name][rows]
            assert array.dtype == want.dtype and np.array_equal(array, want), name


def test_btree_children_are_fetched_in_one_round(
    odd_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds: list[int] = []
    run_all = fastread._run_all
    monkeypatch.setattr(fastread, "_run_all", lambda f, r: rounds.append(len(r)) or run_all(f, r))
    with (
        fsspec.open(f"file://{odd_file}", "rb") as fobj,
        fastread.RemoteHDF5File.from_file(fobj, block_size=4096) as rf,
        h5py.File(rf) as h5,
    ):
        dset = h5["many"]
        rounds.clear()
        infos: list = []
        dset.id.chunk_iter(infos.append)
        assert len(infos) == 700
    # 700 chunks need 11-22 leaf nodes, scattered: one round for the root's block, one for all
    # the leaves together, instead of one per leaf
    assert len(rounds) <= 3, rounds


def test_plan_requests_merges_only_adjacent_bytes() -> None:
    chunks = [
        fastread.Chunk(0, (0,), 0, 10, 0),
        fastread.Chunk(0, (1,), 10, 10, 0),
        fastread.Chunk(1, (0,), 25, 5, 0),
    ]
    plan = fastread.plan_requests(chunks, request_size=100)
    assert [(a, b, len(c)) for a, b, c in plan] == [(0, 20, 2), (25, 30, 1)]
    assert len(fastread.plan_requests(chunks, request_size=100, max_requests=3)) == 3


def test_readers_fast_path_over_s3_matches_h5py(tmp_path: Path) -> None:
    from benchmarks.granule import GranuleSpec, cached_granule
    from benchmarks.s3server import Conditions, S3Emulator

    local = cached_granule(tmp_path / "bucket", GranuleSpec(target_bytes=3_000_000), "v006")
    with S3Emulator(tmp_path, Conditions(latency=0.0, bandwidth=0)) as s3:
        fs = s3.filesystem()
        key = f"bucket/{local.name}"
        with fs.open(key, "rb", **helpers.HDF5_OPEN_KWARGS) as f:
            s3.reset()
            fast = helpers.read_atl03_beam(f, "gt1l", along_track=True)
            fast_gets = s3.stats()["gets"]
        with fs.open(key, "rb", **helpers.HDF5_OPEN_KWARGS) as f:
            slow = helpers.read_atl03_beam(f, "gt1l", along_track=True, fast=False)
        with fs.open(key, "rb", **helpers.HDF5_OPEN_KWARGS) as f:
            part = helpers.read_atl03_beam(f, "gt1l", subset=slice(1000, 25_000))
    direct = helpers.read_atl03_beam(local, "gt1l", along_track=True)
    assert fast.identical(slow) and fast.equals(direct)
    assert part.equals(direct.isel(photon=slice(1000, 25_000)).drop_vars("along_track_distance"))
    assert fast_gets > 1


def test_non_fsspec_file_objects_fall_back_to_h5py(odd_file: Path) -> None:
    import io

    assert fastread.fast_source(io.BytesIO(b"")) is None
    with open(odd_file, "rb") as raw:
        buffered = io.BytesIO(raw.read())
    with h5py.File(odd_file) as h5:
        assert fastread.RemoteHDF5File is not None and h5["plain"].shape == (95_001,)
    with pytest.raises(TypeError):
        fastread.RemoteHDF5File.from_file(buffered)


def test_not_hdf5_over_fsspec_still_says_so(tmp_path: Path) -> None:
    page = tmp_path / "login.html"
    page.write_bytes(b"<!DOCTYPE html><title>Earthdata Login</title>")
    with fsspec.open(f"file://{page}", "rb") as fobj, pytest.raises(helpers.NotHDF5Error):
        helpers.read_atl03_beam(fobj)


def test_a_failing_fast_read_falls_back_to_h5py(odd_file: Path, monkeypatch) -> None:
    from helpers import readers

    def broken(*args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(fastread, "read_datasets", broken)
    with (
        fsspec.open(f"file://{odd_file}", "rb") as fobj,
        pytest.warns(RuntimeWarning, match="concurrent read failed"),
        readers._open_for_reading(fobj, fast=True) as (h5, read),
    ):
        (values,) = read([h5["plain"]], slice(0, 10))
    with h5py.File(odd_file) as h5:
        assert np.array_equal(values, h5["plain"][:10])


def test_without_presigned_urls_the_file_system_fetches(tmp_path: Path, monkeypatch) -> None:
    import s3fs

    from benchmarks.granule import GranuleSpec, cached_granule
    from benchmarks.s3server import Conditions, S3Emulator

    def refuse(self, path, expiration=100, **kwargs):
        raise PermissionError("no presigning here")

    monkeypatch.setattr(s3fs.S3FileSystem, "sign", refuse)
    local = cached_granule(tmp_path / "bucket", GranuleSpec(target_bytes=1_000_000), "v007")
    with S3Emulator(tmp_path, Conditions(latency=0.0, bandwidth=0)) as s3:
        fs = s3.filesystem()
        with fs.open(f"bucket/{local.name}", "rb") as f:
            s3.reset()
            ds = helpers.read_atl03_beam(f, "gt1l", ["h_ph"])
            assert s3.stats()["gets"] > 0
    with h5py.File(local) as h5:
        assert np.array_equal(ds.h_ph.values, h5["gt1l/heights/h_ph"][...])


def test_range_client_reads_ranges_and_survives_a_dropped_connection(tmp_path: Path) -> None:
    from benchmarks.s3server import Conditions, S3Emulator

    data = np.random.default_rng(3).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "f.bin").write_bytes(data)
    with S3Emulator(tmp_path, Conditions(latency=0.0, bandwidth=0)) as s3:
        client = fastread.RangeClient(f"{s3.endpoint}/bucket/f.bin")
        assert client.get(0, 1) == data[:1]
        assert client.get(123_456, 250_001) == data[123_456:250_001]
        client._connection().sock.close()  # the server or a middlebox dropped the connection
        assert client.get(299_990, 300_000) == data[-10:]
        assert s3.stats()["gets"] == 3
        with pytest.raises(fastread.RangeRefused, match="HTTP 404"):
            fastread.RangeClient(f"{s3.endpoint}/bucket/missing.bin").get(0, 10)
        with pytest.raises(fastread.RangeRefused, match="HTTP 416"):
            client.get(400_000, 400_010)


def test_a_refused_presigned_url_falls_back_to_the_file_system(tmp_path: Path, monkeypatch) -> None:
    import s3fs

    from benchmarks.granule import GranuleSpec, cached_granule
    from benchmarks.s3server import Conditions, S3Emulator

    local = cached_granule(tmp_path / "bucket", GranuleSpec(target_bytes=1_000_000), "v006")
    with S3Emulator(tmp_path, Conditions(latency=0.0, bandwidth=0)) as s3:
        # a URL that S3 refuses (here: a key that is not there), as with a clock skew or a policy
        monkeypatch.setattr(
            s3fs.S3FileSystem, "sign", lambda self, path, **kw: f"{s3.endpoint}/bucket/nothing"
        )
        fs = s3.filesystem()
        with fs.open(f"bucket/{local.name}", "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # not the slow h5py fallback
            s3.reset()
            ds = helpers.read_atl03_beam(f, "gt1l", ["h_ph", "delta_time"])
            assert s3.stats()["gets"] > 2  # one refused, then s3fs's ranges
    with h5py.File(local) as h5:
        assert np.array_equal(ds.h_ph.values, h5["gt1l/heights/h_ph"][...])


def test_read_variables_over_s3_matches_h5py_and_is_counted(tmp_path: Path) -> None:
    from benchmarks.s3server import Conditions, S3Emulator

    (tmp_path / "bucket").mkdir()
    local = tmp_path / "bucket" / "swath.nc"
    rng = np.random.default_rng(7)
    with h5py.File(local, "w") as h5:
        h5.create_dataset("lat", data=rng.uniform(60, 90, (203, 135)).astype("f4"), chunks=(50, 70))
        h5.create_dataset(
            "quality_level",
            data=rng.integers(0, 6, (1, 203, 135), dtype="i1"),
            chunks=(1, 101, 68),
            compression="gzip",
            shuffle=True,
        )
        h5.create_dataset("epoch", data=1198800018.0)  # a scalar
    names = ["lat", "quality_level", "epoch"]
    with S3Emulator(tmp_path, Conditions(latency=0.0, bandwidth=0)) as s3:
        fs = s3.filesystem()
        with fs.open("bucket/swath.nc", "rb") as f, helpers.count_requests() as count:
            s3.reset()
            got = helpers.read_variables(f, names)
            gets = s3.stats()["gets"]
    with h5py.File(local) as h5:
        for name in names:
            assert np.array_equal(got[name], h5[name][()]) and got[name].dtype == h5[name].dtype
    assert count.requests == gets > 1
    assert count.bytes >= sum(h5py.File(local)[n].id.get_storage_size() for n in names[:2])
    with pytest.raises(helpers.VariableNotFoundError, match="'sst'.*lat, quality_level"):
        helpers.read_variables(local, ["lat", "sst"])


def test_prefetch_members_opens_several_headers_in_a_few_round_trips(
    tmp_path: Path, monkeypatch
) -> None:
    from benchmarks.granule import GranuleSpec, cached_granule

    local = cached_granule(tmp_path, GranuleSpec(target_bytes=3_000_000), "v006")
    names = ["h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time"]
    rounds: list[int] = []
    real_run_all = fastread._run_all

    def counting(fetch, ranges):
        rounds.append(len(ranges))
        return real_run_all(fetch, ranges)

    monkeypatch.setattr(fastread, "_run_all", counting)

    def open_all(prefetch: bool) -> tuple[int, list[str]]:
        with (
            fsspec.open(f"file://{local}", "rb") as fobj,
            fastread.RemoteHDF5File.from_file(fobj, block_size=16 * 1024) as rf,
            h5py.File(rf, "r") as h5,
        ):
            heights = h5["gt1l/heights"]
            rounds.clear()
            if prefetch:
                fastread.prefetch_members(heights, [*names, "not_there"], rf)
            dtypes = [heights[n].dtype.str for n in names]
            return len(rounds), dtypes

    plain, want = open_all(prefetch=False)
    prefetched, got = open_all(prefetch=True)
    assert got == want
    assert plain >= len(names)  # one round trip (or more) per dataset header
    assert prefetched <= 4 < plain  # headers, their continuation chunks: a round each


# --------------------------------------------------------------------------------------------
# RangeClient against a server that misbehaves on purpose


class _Misbehaving:
    """A loopback HTTP server of one 1 MiB object whose answers `mode` bends."""

    data = bytes(range(256)) * 4096

    def __init__(self) -> None:
        import contextlib
        import http.server
        import re
        import socketserver
        import threading

        owner = self
        self.mode = "ok"
        self.requests = self.connections = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                owner.connections += 1

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                owner.requests += 1
                if "X-Amz-Signature=expired" in self.path:  # S3's answer to an expired URL
                    return self._send(403, b"<Error><Code>AccessDenied</Code></Error>", {})
                match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
                a, b = int(match[1]), int(match[2]) + 1
                size = len(owner.data)
                if owner.mode == "shifted":  # 206, but not the range asked for
                    a -= 16
                if owner.mode == "ignore-range":
                    return self._send(200, owner.data, {})
                if owner.mode.startswith("busy"):  # S3's 503 SlowDown, then fine
                    owner.mode = "ok" if owner.mode == "busy" else "busy"
                    return self._send(503, b"<Error><Code>SlowDown</Code></Error>", {})
                body = owner.data[a:b]
                headers = {"Content-Range": f"bytes {a}-{b - 1}/{size}"}
                if owner.mode == "chunked":
                    headers["Transfer-Encoding"] = "chunked"
                    body = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
                self._send(206, body, headers)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client that hangs up mid-answer is part of the test

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/obj?X-Amz-Signature=x"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def misbehaving():
    server = _Misbehaving()
    yield server
    server.close()


def test_range_client_refuses_a_206_of_another_range(misbehaving) -> None:
    misbehaving.mode = "shifted"
    with pytest.raises(fastread.RangeRefused, match="wrong range") as refused:
        fastread.RangeClient(misbehaving.url).get(1000, 1100)
    assert refused.value.status == 206


def test_range_client_does_not_download_a_whole_file_it_did_not_ask_for(misbehaving) -> None:
    misbehaving.mode = "ignore-range"
    client = fastread.RangeClient(misbehaving.url)
    assert client.get(0, 100) == misbehaving.data[:100]  # from byte 0, a 200 is the same bytes
    with pytest.raises(fastread.RangeRefused, match="HTTP 200"):
        client.get(5000, 5100)
    misbehaving.mode = "ok"
    assert client.get(10, 20) == misbehaving.data[10:20]
    # each whole-file answer was cut short by hanging up (not read to the end to keep the
    # connection): three requests, three connections
    assert misbehaving.requests == misbehaving.connections == 3


def test_range_client_retries_slow_down_and_reuses_connections(misbehaving) -> None:
    client = fastread.RangeClient(misbehaving.url)
    misbehaving.mode = "busy-twice"
    assert client.get(10, 20) == misbehaving.data[10:20]  # two 503s, then the bytes
    misbehaving.mode = "chunked"
    for start in range(0, 5000, 1000):
        assert client.get(start, start + 100) == misbehaving.data[start : start + 100]
    misbehaving.mode = "ok"
    before = misbehaving.connections
    for start in range(0, 5000, 1000):
        assert client.get(start, start + 100) == misbehaving.data[start : start + 100]
    assert misbehaving.connections - before <= 1  # keep-alive: one connection for all five


def test_no_proxy_alone_keeps_the_presigned_path(monkeypatch) -> None:
    url = "https://bucket.s3.us-west-2.amazonaws.com/key?X-Amz-Signature=x"
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert not fastread._proxied(url)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert fastread._proxied(url)
    monkeypatch.setenv("NO_PROXY", "amazonaws.com")
    assert not fastread._proxied(url)


def _child_succeeds(pid: int) -> None:
    """Wait up to 10 s for a forked child; it must exit 0 (it is killed if it hangs)."""
    import os
    import time

    for _ in range(200):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


def test_a_forked_child_reads_with_fresh_pools(tmp_path: Path) -> None:
    import os

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    data = bytes(range(256)) * 8192
    remote = fastread.RemoteHDF5File(lambda a, b: data[a:b], len(data), block_size=1 << 20)
    assert remote.read(10) == data[:10]  # the parent's pool threads are running now
    pid = os.fork()
    if pid == 0:  # the child: a read needs the pools, whose threads the fork did not copy
        try:
            child = fastread.RemoteHDF5File(lambda a, b: data[a:b], len(data), block_size=1 << 20)
            os._exit(0 if child.read(10) == data[:10] else 1)
        except BaseException:
            os._exit(2)
    _child_succeeds(pid)


def test_an_expired_presigned_url_is_signed_again(misbehaving) -> None:
    import s3fs

    class Signing(s3fs.S3FileSystem):
        """An S3 file system whose first signature has expired (nothing is contacted)."""

        signed: list[str] = []
        fell_back = 0

        def sign(self, path, expiration=100, **kwargs):
            fresh = "expired" if not self.signed else "fresh"
            self.signed.append(fresh)
            return misbehaving.url.replace("X-Amz-Signature=x", f"X-Amz-Signature={fresh}")

        def cat_file(self, path, start=None, end=None, **kwargs):
            Signing.fell_back += 1
            return misbehaving.data[start:end]

    fetch = fastread._presigned_fetch(
        Signing(key="k", secret="s", skip_instance_cache=True), "bucket/obj", 1 << 20
    )
    assert fetch is not None
    assert fetch(100, 200) == misbehaving.data[100:200]
    assert fetch(300, 400) == misbehaving.data[300:400]
    assert Signing.signed == ["expired", "fresh"] and Signing.fell_back == 0


# The event-loop client of read_datasets, against the same server


def _keep_into(arrived: dict[int, bytes]):
    """A ``then`` for `_EventLoopClient.fetch_all` keeping each answer by its start."""

    def then(data: bytes, begin: int, group: list) -> Future:
        arrived[begin] = bytes(data)
        done: Future = Future()
        done.set_result(None)
        return done

    return then


def _loop_get(client: fastread._EventLoopClient, url: str, start: int, stop: int) -> bytes:
    import asyncio

    return asyncio.run_coroutine_threadsafe(client.get(url, start, stop), client.loop).result(30)


def test_event_loop_client_checks_answers_as_range_client_does(misbehaving) -> None:
    client = fastread._EventLoopClient(4)
    try:
        assert _loop_get(client, misbehaving.url, 10, 20) == misbehaving.data[10:20]
        misbehaving.mode = "shifted"
        with pytest.raises(fastread.RangeRefused, match="wrong range"):
            _loop_get(client, misbehaving.url, 1000, 1100)
        misbehaving.mode = "ignore-range"  # a whole file: right from byte 0, refused elsewhere
        assert _loop_get(client, misbehaving.url, 0, 100) == misbehaving.data[:100]
        with pytest.raises(fastread.RangeRefused, match="HTTP 200"):
            _loop_get(client, misbehaving.url, 5000, 5100)
        misbehaving.mode = "busy-twice"  # two 503 SlowDown, then the bytes
        assert _loop_get(client, misbehaving.url, 30, 40) == misbehaving.data[30:40]
        misbehaving.mode = "chunked"
        assert _loop_get(client, misbehaving.url, 50, 4000) == misbehaving.data[50:4000]
        expired = misbehaving.url.replace("X-Amz-Signature=x", "X-Amz-Signature=expired")
        with pytest.raises(fastread.RangeRefused, match="HTTP 403") as refused:
            _loop_get(client, expired, 0, 10)
        assert refused.value.status == 403
    finally:
        client.close()


def test_event_loop_client_hands_failed_requests_to_the_thread_path(misbehaving) -> None:
    client = fastread._EventLoopClient(4)
    calls: list[tuple[int, int]] = []

    def fallback(start: int, stop: int) -> bytes:  # what _PresignedFetch does after a refusal
        calls.append((start, stop))
        return misbehaving.data[start:stop]

    arrived: dict[int, bytes] = {}
    then = _keep_into(arrived)
    expired = misbehaving.url.replace("X-Amz-Signature=x", "X-Amz-Signature=expired")
    try:
        requests = [(a, a + 500, []) for a in range(0, 5000, 1000)]
        client.fetch_all(misbehaving.url, requests, fallback, then)
        assert calls == [] and arrived == {a: misbehaving.data[a : a + 500] for a, _, _ in requests}
        arrived.clear()
        client.fetch_all(expired, requests, fallback, then)  # every request refused (403)
        assert sorted(calls) == [(a, b) for a, b, _ in requests]
        assert arrived == {a: misbehaving.data[a : a + 500] for a, _, _ in requests}
    finally:
        client.close()


def test_event_loop_client_follows_the_fetchs_current_url(misbehaving) -> None:
    class Signed:
        """Like _PresignedFetch: its URL changes when it signs again, None once on s3fs."""

        def __init__(self) -> None:
            self.url: str | None = misbehaving.url.replace("Signature=x", "Signature=expired")
            self.calls = 0

        def __call__(self, start: int, stop: int) -> bytes:
            self.calls += 1
            self.url = misbehaving.url  # signed again
            return misbehaving.data[start:stop]

    arrived: dict[int, bytes] = {}
    then = _keep_into(arrived)
    client = fastread._EventLoopClient(2)
    fetch = Signed()
    requests = [(a, a + 100, []) for a in range(0, 4000, 1000)]
    stale = fetch.url
    try:
        client.fetch_all(stale, requests, fetch, then)  # refused: the fetch signs again
        assert fetch.calls == 4
        client.fetch_all(stale, requests, fetch, then)  # the new URL, straight away
        assert fetch.calls == 4
        fetch.url, before = None, misbehaving.requests  # gone to s3fs: no request of its own
        client.fetch_all(stale, requests, fetch, then)
        assert fetch.calls == 8 and misbehaving.requests == before
        assert arrived == {a: misbehaving.data[a : a + 100] for a, _, _ in requests}
    finally:
        client.close()


def test_a_forked_child_leaves_the_parents_event_loop_client_working(misbehaving) -> None:
    import gc
    import os
    from concurrent.futures import ThreadPoolExecutor

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    parent = fastread._event_loop_client(3)
    assert parent is not None and fastread._event_loop_client(3) is parent

    def read_all() -> dict[int, bytes]:
        arrived: dict[int, bytes] = {}
        requests = [(a, a + 100, []) for a in range(0, 3000, 1000)]
        parent.fetch_all(misbehaving.url, requests, lambda a, b: b"", _keep_into(arrived))
        return arrived

    assert read_all()[1000] == misbehaving.data[1000:1100]  # connections kept alive now
    pid = os.fork()
    if pid == 0:  # the child: the parent's loop thread is not here; a new client; the copies of
        try:  # the parent's connections are dropped and collected
            child = fastread._event_loop_client(3)
            ok = child is not None and child is not parent and child.loop.is_running()
            del parent  # the test's own reference to the copy: now only helpers can keep it
            gc.collect()
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    _child_succeeds(pid)
    with ThreadPoolExecutor(1) as pool:  # the parent reads on its kept connections, promptly
        assert pool.submit(read_all).result(timeout=10)[2000] == misbehaving.data[2000:2100]


def test_an_unreadable_ca_bundle_leaves_the_threads_to_fetch(monkeypatch, tmp_path) -> None:
    import threading

    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    threads = threading.active_count()
    assert fastread._event_loop_client(7) is None  # read_datasets then uses the thread path
    assert fastread._event_loop_client(7) is None
    assert threading.active_count() == threads  # no thread started, none left over
    assert 7 not in fastread._EVENT_LOOP_CLIENTS


def test_the_event_loop_client_runs_on_fsspecs_loop_and_never_waits_on_it() -> None:
    """One loop thread in the process besides the caller's: fsspec's, which s3fs runs on (a
    file system collected on any other loop's thread is closed on the wrong loop: issue #17).
    Asked from that loop's own thread, there is no client: waiting there would stop the loop."""
    import asyncio

    from fsspec.asyn import get_loop

    client = fastread._event_loop_client(5)
    assert client is not None and client.loop is get_loop() and client.loop.is_running()

    async def ask() -> object:
        return fastread._event_loop_client(5)

    assert asyncio.run_coroutine_threadsafe(ask(), get_loop()).result(10) is None
    assert fastread._event_loop_client(5) is client  # from any other thread: the kept one
