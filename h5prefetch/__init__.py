"""A read-only file object for h5py that fetches a chunk B-tree a level at a time.

h5py lists the chunks of a variable (``Dataset.id.chunk_iter``) by walking its chunk index, and
in files written with HDF5's version-1 B-trees (ICESat-2 ATL03 v006 and earlier) it reads the
nodes one at a time: one round trip per node through an fsspec file. `RemoteHDF5File` serves
h5py's reads from whole blocks fetched through fsspec, and when a read returns an internal
B-tree node it fetches all that node's children at once (``fs.cat_ranges``), so the next level
costs one round trip instead of one per node. See README.md for why this exists and when to
delete it.

Examples
--------
>>> import tempfile, pathlib, fsspec, h5py, numpy as np
>>> path = str(pathlib.Path(tempfile.mkdtemp()) / "tiny.h5")
>>> with h5py.File(path, "w") as f:
...     _ = f.create_dataset("h", data=np.arange(10_000.0), chunks=(100,), compression="gzip")
>>> fs = fsspec.filesystem("file")
>>> with RemoteHDF5File(fs, path, block_size=4096) as rf, h5py.File(rf, "r") as h5:
...     prefetch_members(h5, ["h"], rf)
...     h5["h"][-2:], rf.requests < 40
(array([9998., 9999.]), True)
"""

from __future__ import annotations

import bisect
import io
import struct
import threading
from collections.abc import Sequence
from typing import Any

import h5py

__all__ = ["RemoteHDF5File", "prefetch_members"]

PIECE_SIZE = 256 * 1024  # bytes per request; a block is fetched as several pieces at once


class RemoteHDF5File(io.RawIOBase):
    """h5py's reads of ``fs``/``path`` served from `block_size` blocks kept for its lifetime;
    the children of every internal v1 chunk B-tree node read are fetched together, with
    `PIECE_SIZE` bytes of context on each side (producers that append through time write the
    index nodes of all variables side by side, so one window often holds several indexes).
    """

    def __init__(self, fs: Any, path: str, size: int | None = None, block_size: int = 1 << 20):
        super().__init__()
        self.fs, self.path, self.block_size = fs, path, int(block_size)
        self.size = int(size if size is not None else fs.size(path))
        self.requests = 0  # ranges fetched through this object
        self.rounds = 0  # round trips: calls of fs.cat_ranges, each with its ranges in flight
        self._pos = 0
        self._blocks: dict[int, bytes] = {}
        self._extents: list[tuple[int, bytes]] = []  # prefetched windows, sorted by start
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, fileobj: Any, **kwargs: Any) -> RemoteHDF5File:
        """The same file as an fsspec file object (``fs.open`` or ``earthaccess.open``)."""
        return cls(fileobj.fs, fileobj.path, getattr(fileobj, "size", None), **kwargs)

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
        with self._lock:
            data = self._read(self._pos, n)
            view[:n] = data
            self._pos += n
            self._prefetch_children(data)
        return n

    def _get(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """Fetch byte ranges concurrently, each in `PIECE_SIZE` pieces."""
        pieces = [(a, min(a + PIECE_SIZE, b)) for lo, b in ranges for a in range(lo, b, PIECE_SIZE)]
        self.requests += len(pieces)
        self.rounds += 1
        blobs = self.fs.cat_ranges(
            [self.path] * len(pieces), [a for a, _ in pieces], [b for _, b in pieces]
        )
        got = dict(zip(pieces, blobs, strict=True))
        return [b"".join(got[p] for p in pieces if lo <= p[0] < b) for lo, b in ranges]

    def _read(self, start: int, n: int) -> bytes:
        i = bisect.bisect_right(self._extents, start, key=lambda e: e[0]) - 1
        if i >= 0 and start + n <= self._extents[i][0] + len(self._extents[i][1]):
            return self._extents[i][1][start - self._extents[i][0] :][:n]
        first, last = start // self.block_size, (start + n - 1) // self.block_size
        self._fetch_blocks(range(first, last + 1))
        joined = b"".join(self._blocks[b] for b in range(first, last + 1))
        return joined[start - first * self.block_size :][:n]

    def _fetch_blocks(self, blocks: Sequence[int]) -> None:
        missing = [b for b in blocks if b not in self._blocks and b * self.block_size < self.size]
        spans = [(b * self.block_size, min((b + 1) * self.block_size, self.size)) for b in missing]
        for b, data in zip(missing, self._get(spans) if spans else [], strict=True):
            self._blocks[b] = data

    def _prefetch_children(self, node: bytes) -> None:
        todo = [a for a in _btree_children(node) if a not in self._seen]
        self._seen.update(todo)
        bs, blocks = self.block_size, self._blocks
        todo = [a for a in todo if not (a // bs in blocks and (a + len(node) - 1) // bs in blocks)]
        windows: list[list[int]] = []
        for a in sorted(todo):
            lo, hi = max(0, a - PIECE_SIZE), min(self.size, a + len(node) + PIECE_SIZE)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        if windows:
            for (lo, _), data in zip(windows, self._get(windows), strict=True):
                bisect.insort(self._extents, (lo, data), key=lambda e: e[0])

    def prefetch(self, addresses: Sequence[int]) -> None:
        """Fetch the blocks holding these file addresses (object headers) in one round trip."""
        with self._lock:
            self._fetch_blocks(sorted({a // self.block_size for a in addresses if a >= 0}))


def prefetch_members(group: h5py.Group, names: Sequence[str], source: RemoteHDF5File) -> None:
    """Fetch together the object headers of `group`'s members `names` (hard links only;
    names not there are skipped), which h5py would otherwise read one round trip each."""
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
    # key = chunk size (4) + filter mask (4) + (rank + 1) offsets (8 each); the rank is the one
    # whose layout fills the node exactly (HDF5 reads whole nodes: 24 + (2K+1) keys + 2K children)
    for rank in range(1, 33):
        key = 8 + 8 * (rank + 1)
        body = len(node) - 24 - key
        if body <= 0 or body % (key + 8) or entries > body // (key + 8):
            continue
        children = [
            struct.unpack_from("<Q", node, 24 + key + i * (key + 8))[0] for i in range(entries)
        ]
        if all(0 < a < 2**62 for a in children):
            return children
    return []
