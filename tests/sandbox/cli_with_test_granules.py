"""``python -m sandbox`` with the tests' small catalog instead of the generator's, for CLI tests.

Usage: ``python cli_with_test_granules.py GRANULE_DIR <sandbox arguments>``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    """Patch the granule source, then run the real command line."""
    sys.path.insert(0, str(Path(__file__).parent))
    from sandbox_factories import small_catalog

    import sandbox.service
    from sandbox import cli

    granules = small_catalog(Path(sys.argv[1]))
    sandbox.service.load_granules = lambda cache_dir: granules
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
