"""``python -m sandbox clean``: remove the granule folders of other sandbox versions.

The generated granules live in ``<cache>/v<generator version>-<source hash>-seed<seed>/``
(`sandbox.granules.cache_directory`): any change to the generator's code gives a new folder, and
the old one (about 0.7 GB) stays behind. `stale_granule_folders` finds them; `clean` removes
them, but never while a sandbox instance of this cache folder is running (another checkout's may
be serving from one of them). Start-up names them (`stale_note`) without removing anything.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sandbox.state import pid_alive

__all__ = ["clean", "running_instances", "stale_granule_folders", "stale_note"]

_GRANULE_FOLDER = re.compile(r"v\d+-[0-9a-f]{10}-seed\d+")


def _current_prefix() -> str:
    from sandbox.granules import GENERATOR_VERSION, source_fingerprint

    return f"v{GENERATOR_VERSION}-{source_fingerprint()}-"


def stale_granule_folders(root: Path) -> list[Path]:
    """The granule folders in the cache folder `root` that this sandbox's generator would not use
    (another generator version or source), sorted; other folders (``instances``, ``benchmark``,
    anything of yours) are never listed.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("v1-0123456789-seed7", _current_prefix() + "seed7", "benchmark", "v1-notes"):
    ...     (root / name).mkdir()
    >>> [p.name for p in stale_granule_folders(root)]
    ['v1-0123456789-seed7']
    """
    if not root.is_dir():
        return []
    current = _current_prefix()
    return sorted(
        path
        for path in root.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and _GRANULE_FOLDER.fullmatch(path.name)
        and not path.name.startswith(current)
    )


def running_instances(root: Path) -> list[int]:
    """The process ids of the sandbox instances running on the cache folder `root` (each has an
    ``instances/<pid>-*`` folder while it runs)."""
    instances = root / "instances"
    if not instances.is_dir():
        return []
    pids = {path.name.split("-", 1)[0] for path in instances.iterdir() if path.is_dir()}
    return sorted(int(pid) for pid in pids if pid.isdigit() and pid_alive(int(pid)))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def stale_note(root: Path) -> str | None:
    """One line for the start-up log when `root` holds granule folders of other versions, else
    None."""
    stale = stale_granule_folders(root)
    if not stale:
        return None
    gigabytes = sum(map(_size, stale)) / 1e9
    return (
        f"{len(stale)} granule folder(s) of other sandbox versions ({gigabytes:.1f} GB) in {root}; "
        "`python -m sandbox clean` removes them"
    )


def clean(root: Path, dry_run: bool = False) -> tuple[int, list[str]]:
    """Remove the granule folders of other versions from the cache folder `root`.

    Returns the exit code and the lines to print. Nothing is removed while a sandbox instance of
    `root` runs (exit code 1), nor with `dry_run` (the folders are listed).
    """
    stale = stale_granule_folders(root)
    if not stale:
        return 0, [f"sandbox clean: no granule folders of other versions in {root}"]
    running = running_instances(root)
    if running and not dry_run:
        pids = ", ".join(map(str, running))
        return 1, [
            f"sandbox clean: a sandbox is running on {root} (pid {pids}); it, or another "
            "checkout's sandbox, may be serving from these folders. Stop it and run clean again."
        ]
    lines, freed = [], 0
    for folder in stale:
        size = _size(folder)
        if not dry_run:
            try:
                shutil.rmtree(folder)
            except OSError as error:
                lines.append(f"sandbox clean: could not remove {folder}: {error}")
                return 1, lines
        freed += size
        lines.append(f"{'would remove' if dry_run else 'removed'} {folder} ({size / 1e9:.2f} GB)")
    verb = "would free" if dry_run else "freed"
    lines.append(f"sandbox clean: {verb} {freed / 1e9:.1f} GB in {len(stale)} folder(s)")
    return 0, lines
