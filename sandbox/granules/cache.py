"""The on-disk cache: a directory per generator version and seed, atomic files, a manifest.

The manifest (``manifest.json``) records, per file, its size, mtime, md5 and the CMR-facing
description the writer derived from its data, so a warm start neither re-hashes nor reopens
files. A lock file serialises concurrent generators (sandbox services and tests) on one cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .granule_meta import GranuleMeta

MANIFEST = "manifest.json"


def md5_of(path: Path) -> str:
    """MD5 hex digest of a file."""
    h = hashlib.md5()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory/.lock``."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_path(final: Path) -> Path:
    """A fresh temporary name in the same directory as ``final`` (for write-then-rename)."""
    fd, tmp = tempfile.mkstemp(prefix="." + final.name + ".", suffix=".part", dir=final.parent)
    os.close(fd)
    return Path(tmp)


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to a temporary file and rename it into place."""
    tmp = atomic_path(path)
    try:
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=True))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """The manifest's entries by file name (empty if missing or unreadable)."""
    try:
        data = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("files", {}) if isinstance(data, dict) else {}


def save_manifest(
    directory: Path, entries: dict[str, dict[str, Any]], header: dict[str, Any]
) -> None:
    """Replace the manifest atomically."""
    write_json_atomic(directory / MANIFEST, {**header, "files": entries})


def meta_to_json(meta: GranuleMeta) -> dict[str, Any]:
    """JSON form of a GranuleMeta."""
    return {
        "begin": meta.begin.isoformat(),
        "end": meta.end.isoformat(),
        "footprint": [list(p) for p in meta.footprint],
        "bounding_box": list(meta.bounding_box),
        "orbit": meta.orbit,
    }


def meta_from_json(data: dict[str, Any]) -> GranuleMeta:
    """Inverse of :func:`meta_to_json`."""
    return GranuleMeta(
        begin=datetime.fromisoformat(data["begin"]),
        end=datetime.fromisoformat(data["end"]),
        footprint=tuple((float(x), float(y)) for x, y in data["footprint"]),
        bounding_box=tuple(float(v) for v in data["bounding_box"]),  # type: ignore[arg-type]
        orbit=dict(data.get("orbit", {})),
    )


def entry_is_current(path: Path, entry: dict[str, Any] | None) -> bool:
    """True if the file exists with the size and mtime the manifest recorded."""
    if not entry:
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_size == entry.get("size") and st.st_mtime_ns == entry.get("mtime_ns")
