"""``python -m sandbox.granules [--cache DIR] [--seed N]``: generate and summarise the granules."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import DEFAULT_SEED, cache_directory, ensure_granules


def main(argv: list[str] | None = None) -> int:
    """Generate missing granules and print one line per file."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.granules", description=__doc__)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="cache root (default $EARTHDATA_SANDBOX_CACHE or ~/.cache/earthdata-sandbox)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        granules = ensure_granules(args.cache, args.seed)
    except ValueError as error:  # the cache variable's retired name is set
        print(f"sandbox.granules: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    total = 0
    for g in granules:
        total += g.size
        providers = ",".join(g.providers)
        print(
            f"{g.short_name:24s} {g.version:7s} {g.size / 1e6:8.1f} MB  {providers:20s} "
            f"{g.begin:%Y-%m-%dT%H:%M:%S} {g.day_night:11s} {g.name}"
        )
    where = cache_directory(args.cache, args.seed)
    print(f"{len(granules)} granules, {total / 1e6:.1f} MB in {where} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
