"""Test-session set-up shared by every test (tests/, helpers doctests, notebooks): guard on.

Any connection to or DNS lookup of a non-loopback host, by any test or library, raises
``sandbox.guard.NetworkBlockedError`` naming the host (see ``tests/sandbox/test_guard.py``).

Notebooks under nbval: the committed outputs come from the us-west-2 sandbox. A code cell tagged
``output-depends-on-region`` (S3 in us-west-2, HTTPS elsewhere) is still run in every region,
and must run without error, but its output is compared only in us-west-2.
"""

from __future__ import annotations

import os

import pytest

from sandbox import guard

guard.install()

REGION_TAG = "output-depends-on-region"
OUTPUT_REGION = "us-west-2"  # where the committed notebook outputs come from


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside us-west-2, don't compare the outputs of cells tagged `REGION_TAG`."""
    region = os.environ.get("EARTHDATA_SANDBOX_REGION")
    if region is None or region == OUTPUT_REGION:
        return
    for item in items:
        cell = getattr(item, "cell", None)
        options = getattr(item, "options", None)
        if cell is None or options is None:  # not a notebook cell of nbval
            continue
        if REGION_TAG in cell.get("metadata", {}).get("tags", []):
            options["check"] = False
