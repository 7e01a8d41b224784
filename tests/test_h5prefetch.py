"""h5prefetch: h5py over RemoteHDF5File reads what h5py reads from disk, and walks a v1 chunk
B-tree in fewer round trips than a plain fsspec file (one level at a time, not node by node)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import h5py
import numpy as np
import pytest

from h5prefetch import RemoteHDF5File, _btree_children, prefetch_members
from helpers.chunks import read_chunked_many


@pytest.fixture(scope="module")
def deep_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three variables of 2,000 small chunks each, appended in turn (a two-level v1 B-tree)."""
    path = tmp_path_factory.mktemp("prefetch") / "bucket" / "deep.h5"
    path.parent.mkdir()
    rng = np.random.default_rng(1)
    with h5py.File(path, "w", libver="earliest") as f:
        for name in ("a", "b", "c"):
            f.create_dataset(name, (0,), "f8", maxshape=(None,), chunks=(50,), compression="gzip")
        for start in range(0, 100_000, 5_000):
            for name in ("a", "b", "c"):
                f[name].resize((start + 5_000,))
                f[name][start:] = rng.normal(size=5_000)
    return path


@pytest.fixture(scope="module")
def s3(deep_index: Path) -> Iterator[Any]:
    from benchmarks.s3server import Conditions, S3Emulator

    with S3Emulator(deep_index.parent.parent, Conditions(latency=0.0, bandwidth=0)) as emulator:
        yield emulator


def test_same_arrays_as_h5py_locally(deep_index: Path) -> None:
    fs = fsspec.filesystem("file")
    with (
        h5py.File(deep_index) as plain,
        RemoteHDF5File(fs, str(deep_index), block_size=64 * 1024) as rf,
        h5py.File(rf, "r") as h5,
    ):
        prefetch_members(h5, ["a", "b", "c", "missing"], rf)
        got = read_chunked_many([h5[n] for n in "abc"], (fs, str(deep_index)))
        for name, values in zip("abc", got, strict=True):
            np.testing.assert_array_equal(values, plain[name][()])
        assert h5["b"][123:127].tolist() == plain["b"][123:127].tolist()  # h5py through it


def test_chunk_index_over_s3_in_fewer_round_trips(s3: Any, deep_index: Path) -> None:
    """Listing the chunks over S3: a plain fsspec file reads the B-tree nodes one request at a
    time; RemoteHDF5File fetches each level's nodes together (many requests, few rounds)."""
    with h5py.File(deep_index) as plain:
        want = {n: [c.byte_offset for c in _chunk_list(plain[n])] for n in "abc"}
    fs = s3.filesystem()
    s3.reset()
    with fs.open("bucket/deep.h5", "rb", block_size=64 * 1024) as f, h5py.File(f, "r") as h5:
        assert {n: [c.byte_offset for c in _chunk_list(h5[n])] for n in "abc"} == want
    sequential = s3.stats()["gets"]
    s3.reset()
    with (
        fs.open("bucket/deep.h5", "rb") as f,
        RemoteHDF5File.from_file(f, block_size=64 * 1024) as rf,
        h5py.File(rf, "r") as h5,
    ):
        assert {n: [c.byte_offset for c in _chunk_list(h5[n])] for n in "abc"} == want
        rounds = rf.rounds
    assert rounds < sequential / 3, (rounds, sequential)


def _chunk_list(ds: h5py.Dataset) -> list[Any]:
    found: list[Any] = []
    ds.id.chunk_iter(found.append)
    return found


def test_btree_children_only_for_internal_chunk_nodes() -> None:
    assert _btree_children(b"TREE" + bytes(60)) == []  # a leaf (level 0)
    assert _btree_children(b"SNOD" + bytes(60)) == []  # not a chunk B-tree node
    assert _btree_children(b"") == []
