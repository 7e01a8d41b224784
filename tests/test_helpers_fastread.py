"""helpers.fastread and the readers' fast path: same values as h5py, fewer requests."""

from __future__ import annotations

import warnings
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
