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
"""

from __future__ import annotations

import io
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

__all__ = ["Needs", "measure_needs"]


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


class _Tracer(io.RawIOBase):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.f = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.reads: list[tuple[int, bytes]] = []

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
        self.reads.append((position, bytes(memoryview(buffer)[: min(16, n)])))
        self.reads[-1] = (position, self.reads[-1][1] + n.to_bytes(8, "little"))
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
    tracer = _Tracer(Path(path))
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
    for position, head in reads:
        n = int.from_bytes(head[-8:], "little")
        metadata.append((position, position + n))
        if head[:4] == b"TREE" and head[4] == 1:
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


def reference_arrays(path: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The variables read with h5py from the local file: what every reader must return."""
    with h5py.File(path, "r") as h5:
        return {n: h5[n][...] for n in names}
