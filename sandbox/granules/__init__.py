"""Synthetic granules for the Earthdata sandbox: generate, cache and describe them.

``ensure_granules()`` writes any missing file of the catalog (ATL03 v007 over the Juneau
Icefield, ATL07 v007 across the Arctic, MODIS-Aqua L2P swaths of 2019-06-22, and the smaller
season granules of tutorial 04 over Fram Strait on 2019-06-23 to 06-26) into a cache directory
per generator version and seed, and returns their :class:`Granule` records, sorted by
(short_name, version, name). Same seed, same bytes. Adding granules to the catalog leaves the
cached files in place (only the new ones are written); changing any file's bytes needs a new
``GENERATOR_VERSION``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..config import default_cache_dir
from .cache import (
    atomic_path,
    entry_is_current,
    load_manifest,
    locked,
    md5_of,
    meta_from_json,
    meta_to_json,
    save_manifest,
)
from .catalog import FAULT_TRUNCATED_BYTES, GranuleSpec, all_specs, season_specs
from .granule_meta import GranuleMeta
from .model import Granule

__all__ = [
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "Granule",
    "cache_directory",
    "ensure_granules",
    "generate_file",
    "season_specs",
    "served_specs",
    "source_fingerprint",
    "specs",
]

GENERATOR_VERSION = "2"
"""Bump when any file's bytes change: the cache moves to a new subdirectory."""
DEFAULT_SEED = 20181015


@functools.cache
def source_fingerprint() -> str:
    """A short hash of the generator's own source files.

    Part of the cache directory's name, so that any change to the generator's code (even one
    whose author forgot to bump `GENERATOR_VERSION`) regenerates the granules instead of serving
    files that a fresh machine would not produce.

    Examples
    --------
    >>> len(source_fingerprint()) == 10 and source_fingerprint() == source_fingerprint()
    True
    """
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def specs() -> list[GranuleSpec]:
    """The granules of tutorials 01-03 (2018-10 over Juneau, 2019-06-22 in the Arctic), sorted."""
    return all_specs()


def served_specs() -> list[GranuleSpec]:
    """Every granule the sandbox serves: `specs` and `season_specs`, sorted as
    ``ensure_granules`` returns them."""
    return sorted(specs() + season_specs(), key=lambda s: (s.short_name, s.version, s.name))


def cache_directory(cache_dir: Path | None = None, seed: int = DEFAULT_SEED) -> Path:
    """The cache subdirectory for this generator version and seed."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / f"v{GENERATOR_VERSION}-{source_fingerprint()}-seed{seed}"


def _writer(spec: GranuleSpec) -> Callable[[GranuleSpec, Path, int], GranuleMeta]:
    if spec.product == "ATL03":
        from . import atl03

        return atl03.write
    if spec.product == "ATL07":
        from . import atl07

        return atl07.write
    from . import modis_l2p

    return modis_l2p.write


def generate_file(
    spec: GranuleSpec, directory: Path, seed: int = DEFAULT_SEED
) -> tuple[Path, GranuleMeta]:
    """Write one granule atomically as ``directory/spec.name`` (no cache bookkeeping)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / spec.name
    tmp = atomic_path(final)
    try:
        meta = _writer(spec)(spec, tmp, seed)
        if spec.fault:  # a deliberate fault: the file is cut short (metadata from the full data)
            os.truncate(tmp, min(FAULT_TRUNCATED_BYTES, tmp.stat().st_size // 2))
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final, meta


def _generate_entry(args: tuple[GranuleSpec, Path, int]) -> tuple[str, dict]:
    spec, directory, seed = args
    path, meta = generate_file(spec, directory, seed)
    st = path.stat()
    return spec.name, {
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "md5": md5_of(path),
        "meta": meta_to_json(meta),
    }


def _to_granule(spec: GranuleSpec, directory: Path, entry: dict) -> Granule:
    meta = meta_from_json(entry["meta"])
    return Granule(
        short_name=spec.short_name,
        version=spec.version,
        providers=spec.providers,
        name=spec.name,
        granule_ur=spec.granule_ur,
        begin=meta.begin,
        end=meta.end,
        footprint=meta.footprint,
        bounding_box=meta.bounding_box,
        day_night=spec.day_night,
        path=directory / spec.name,
        size=int(entry["size"]),
        md5=str(entry["md5"]),
        orbit=meta.orbit,
        fault=spec.fault,
    )


def _workers() -> int:
    env = os.environ.get("SANDBOX_GENERATOR_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(2, os.cpu_count() or 1))


def ensure_granules(
    cache_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    *,
    only: Iterable[str] | None = None,
) -> list[Granule]:
    """Generate whatever is missing and return every granule's record (sorted).

    ``only`` limits generation and the result to the named files (handy in tests).
    """
    directory = cache_directory(cache_dir, seed)
    wanted = set(only) if only is not None else None
    catalog = [s for s in served_specs() if wanted is None or s.name in wanted]
    with locked(directory):
        entries = load_manifest(directory)
        todo: list[GranuleSpec] = []
        for spec in catalog:
            path = directory / spec.name
            entry = entries.get(spec.name)
            if entry_is_current(path, entry):
                continue
            if (
                entry
                and path.exists()
                and path.stat().st_size == entry.get("size")
                and md5_of(path) == entry.get("md5")
            ):
                entry["mtime_ns"] = path.stat().st_mtime_ns  # touched, not changed
                continue
            todo.append(spec)
        if todo:
            # biggest first, so the pool finishes together
            todo.sort(
                key=lambda s: (s.product != "ATL03" or s.index != 2, s.product != "ATL07", s.name)
            )
            jobs = [(s, directory, seed) for s in todo]
            workers = min(_workers(), len(jobs))
            if workers > 1:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(_generate_entry, jobs))
            else:
                results = [_generate_entry(j) for j in jobs]
            entries.update(dict(results))
        save_manifest(directory, entries, {"generator_version": GENERATOR_VERSION, "seed": seed})
    return [_to_granule(s, directory, entries[s.name]) for s in catalog]
