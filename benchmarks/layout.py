"""What a read of some HDF5 variables needs, measured on the local file: the physical floor.

* bytes needed: the stored (compressed) chunks of the variables, from ``chunk_iter``, plus the
  metadata HDF5 reads to find them (object headers, heaps, the chunk-index B-tree), measured by
  tracing h5py's reads through a Python file object;
* dependent request depth: 2 + the number of levels of the chunk B-tree (the metadata up to the
  dataset headers in one round, as a reader that knows the layout would fetch it, one round per
  B-tree level, then the chunks), the tree's height read from the ``TREE`` nodes HDF5 visits;
* inflate time: decompressing those chunks with zlib in one thread (CPU seconds), the inflater
  HDF5 itself uses; also with ISA-L (``isal``, about 3x faster, what ``helpers.chunks`` uses
  when it is installed), for a stricter floor.

floor(latency, connections, bandwidth) = depth x latency + bytes needed / (connections x
bandwidth) + inflate time / cores.

And what a reader did, from the S3 emulator's request log: `round_trips_before_data`, the
dependent round trips it made before its first request for chunk data (`chunk_ranges`).
"""

from __future__ import annotations

import io
import os
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

__all__ = [
    "Needs",
    "chunk_ranges",
    "first_data_request",
    "measure_needs",
    "round_trips_before_data",
]


@dataclass(frozen=True)
class Needs:
    """The floor's ingredients for one read."""

    chunk_bytes: int
    metadata_bytes: int
    chunks: int
    btree_levels: int
    inflate_seconds: float
    raw_bytes: int
    file_bytes: int
    inflate_seconds_isal: float | None = None
    """The same chunks inflated with ISA-L, or None without ``isal``."""

    @property
    def bytes_needed(self) -> int:
        """Chunks plus metadata."""
        return self.chunk_bytes + self.metadata_bytes

    @property
    def depth(self) -> int:
        """Dependent request rounds: headers, each B-tree level, chunks."""
        return 2 + self.btree_levels

    def floor(
        self, latency: float, connections: int, bandwidth: float, cores: int, isal: bool = False
    ) -> float:
        """Seconds no reader with this many connections and cores can beat (with `isal`, the
        inflate time is ISA-L's instead of zlib's)."""
        transfer = self.bytes_needed / (max(1, connections) * bandwidth) if bandwidth else 0.0
        inflate = self.inflate_seconds
        if isal and self.inflate_seconds_isal is not None:
            inflate = self.inflate_seconds_isal
        return self.depth * latency + transfer + inflate / max(1, cores)


class TracedFile(io.RawIOBase):
    """A local file that records every read h5py makes through it: ``reads`` holds
    ``(offset, length, head)``, `head` the first 16 bytes read (enough to tell a B-tree node)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.f = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.reads: list[tuple[int, int, bytes]] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def readinto(self, buffer: memoryview) -> int:
        position = self.f.tell()
        n = self.f.readinto(buffer)
        self.reads.append((position, n, bytes(memoryview(buffer)[: min(16, n)])))
        return n

    def close(self) -> None:
        self.f.close()
        super().close()


def _union(ranges: Sequence[tuple[int, int]]) -> int:
    total, end = 0, -1
    for a, b in sorted(ranges):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _cpu_seconds(decompress: Callable[[bytes], bytes], pieces: Sequence[bytes]) -> float:
    """CPU seconds `decompress` takes over all `pieces`, one after another."""
    t0 = time.process_time()
    for piece in pieces:
        decompress(piece)
    return time.process_time() - t0


def measure_needs(path: Path, names: Sequence[str]) -> Needs:
    """Measure what reading `names` (dataset paths) of the local file at `path` needs."""
    tracer = TracedFile(Path(path))
    chunk_ranges: list[tuple[int, int]] = []
    try:
        with h5py.File(tracer, "r") as h5:
            datasets = [h5[n] for n in names]
            for d in datasets:
                d.id.chunk_iter(lambda c: chunk_ranges.append((c.byte_offset, c.size)))
            raw_bytes = sum(d.size * d.dtype.itemsize for d in datasets)
        reads = list(tracer.reads)
    finally:
        tracer.close()
    metadata = []
    levels = 0
    for position, n, head in reads:
        metadata.append((position, position + n))
        if head[:4] == b"TREE" and len(head) > 5 and head[4] == 1:
            levels = max(levels, head[5] + 1)
    with open(path, "rb") as f:
        stored = []
        for offset, size in chunk_ranges:
            f.seek(offset)
            stored.append(f.read(size))
    inflate = _cpu_seconds(zlib.decompress, stored)
    try:
        from isal import isal_zlib
    except ImportError:
        inflate_isal = None
    else:
        inflate_isal = _cpu_seconds(isal_zlib.decompress, stored)
    del stored
    return Needs(
        chunk_bytes=sum(size for _, size in chunk_ranges),
        metadata_bytes=_union(metadata),
        chunks=len(chunk_ranges),
        btree_levels=levels,
        inflate_seconds=inflate,
        inflate_seconds_isal=inflate_isal,
        raw_bytes=raw_bytes,
        file_bytes=os.path.getsize(path),
    )


def chunk_ranges(path: Path, names: Sequence[str]) -> list[tuple[int, int]]:
    """(offset, size) of every stored chunk of the variables `names` in the local file, from
    h5py's ``chunk_iter``: the bytes that are chunk data, as opposed to metadata."""
    spans: list[tuple[int, int]] = []
    with h5py.File(path, "r") as h5:
        for name in names:
            h5[name].id.chunk_iter(lambda c: spans.append((c.byte_offset, c.size)))
    return sorted(spans)


def _overlaps(offset: int, length: int, chunks: Sequence[tuple[int, int]]) -> bool:
    """Whether ``[offset, offset + length)`` overlaps one of the sorted (offset, size) `chunks`."""
    import bisect

    if length <= 0 or offset < 0:
        return False
    k = bisect.bisect_left(chunks, (offset + length, -1))  # chunks[:k] start before the end
    return k > 0 and sum(chunks[k - 1]) > offset  # chunks do not overlap: only the last can


def round_trips_before_data(
    requests: Iterable[Sequence[Any]], chunks: Sequence[tuple[int, int]]
) -> int | None:
    """Dependent round trips a reader made before its first request for chunk data.

    `requests` is the S3 emulator's log of one read (``stats()["requests"]``: kind, start,
    end, offset, length per request, HEADs and LISTs included, since each waits the latency as
    a GET does); `chunks` the sorted (offset, size) of the chunks of the variables read
    (`chunk_ranges`). The *first data request* is the earliest-starting GET that asks for
    chunks as such: its range begins at a chunk's first byte and ends at a chunk's last (one
    chunk, or adjacent chunks merged). A reader that never asks so (h5py through a block cache:
    its blocks begin and end where the cache's block grid says) gets its chunk data in cache
    blocks, so for it the first data request is the earliest GET whose range overlaps a chunk.
    A block of metadata that happens to hold some chunk bytes therefore does not end the count
    of a reader that fetches its chunks itself. The requests *before* the first data request
    are those that ended before it started. The count is the length of the longest chain among
    them in which each request starts after the one before it ended: requests in flight
    together count as one round trip, and requests in a chain had to wait for one another (or
    at least did not overlap), one latency each. It is computed greedily, taking at each step
    the request that ends first among those starting after the chain's last end (the
    interval-scheduling optimum). None when no request fetched chunk data (a failed read).

    Examples
    --------
    Two metadata GETs one after the other, then three in flight together, then data:

    >>> chunks = [(1000, 100), (1100, 50), (5000, 100)]
    >>> log = [("HEAD", 0.0, 0.1, -1, 0), ("GET", 0.1, 0.2, 0, 50), ("GET", 0.2, 0.3, 60, 50),
    ...        ("GET", 0.3, 0.4, 200, 8), ("GET", 0.31, 0.41, 300, 8), ("GET", 0.3, 0.4, 400, 8),
    ...        ("GET", 0.45, 0.6, 1000, 150), ("GET", 0.45, 0.6, 900, 50)]
    >>> round_trips_before_data(log, chunks)
    4

    A 1 MiB metadata block holding the first chunk does not count as data when the reader
    later asks for the chunks themselves; for a reader that only ever reads blocks, it does:

    >>> blocks = [("GET", 0.0, 0.1, 0, 2**20), ("GET", 0.1, 0.2, 2**21, 2**20)]
    >>> round_trips_before_data(blocks + [("GET", 0.2, 0.3, 1000, 100)], chunks)
    2
    >>> round_trips_before_data(blocks, chunks)
    0
    >>> round_trips_before_data([("GET", 0.0, 0.1, 0, 50)], chunks) is None
    True
    """
    first = first_data_request(requests, chunks)
    if first is None:
        return None
    before = sorted((float(r[2]), float(r[1])) for r in requests if float(r[2]) <= first)
    count, last_end = 0, float("-inf")
    for end, start in before:
        if start >= last_end:
            count, last_end = count + 1, end
    return count


def first_data_request(
    requests: Iterable[Sequence[Any]], chunks: Sequence[tuple[int, int]]
) -> float | None:
    """When the first data request started, by `round_trips_before_data`'s rule: the earliest
    GET for chunks as such (its range from a chunk's first byte to a chunk's last), or, for a
    reader that never asks so, the earliest GET overlapping a chunk; None if there is none.

    >>> log = [("GET", 0.1, 0.2, 0, 120), ("REDIRECT", 0.2, 0.3, 100, 50),
    ...        ("GET", 0.3, 0.4, 100, 50)]
    >>> first_data_request(log, [(100, 50)]), first_data_request(log[:1], [(100, 50)])
    (0.3, 0.1)
    """
    spans = sorted(chunks)
    gets = [(float(r[1]), int(r[3]), int(r[4])) for r in requests if r[0] == "GET"]
    starts, ends = {off for off, _ in spans}, {off + size for off, size in spans}
    aligned = [start for start, off, n in gets if off in starts and off + n in ends]
    overlapping = [start for start, off, n in gets if _overlaps(off, n, spans)]
    return min(aligned) if aligned else min(overlapping, default=None)


def reference_arrays(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The variables read with h5py from the local file: what every reader must return."""
    with h5py.File(path, "r") as h5:
        return {n: h5[n][...] for n in names}
