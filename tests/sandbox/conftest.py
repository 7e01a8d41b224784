"""Sandbox test fixtures: the services start once per session, in each region.

The session's catalog is the small, hand-made one of :mod:`tests.sandbox.factories` (deterministic,
fast, with the antimeridian, pole, ECS-only and paging cases); the generator's real catalog is
checked separately (``test_real_catalog.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sandbox_factories import session_catalog
from sandbox_http import session

from sandbox.catalog.records import GranuleRecord
from sandbox.granules.model import Granule
from sandbox.service import Sandbox


@pytest.fixture(scope="session")
def granules(tmp_path_factory: pytest.TempPathFactory) -> list[Granule]:
    """The session's synthetic granules (tiny files)."""
    return session_catalog(tmp_path_factory.mktemp("granules"))


def _start(region: str, granules: list[Granule], tmp: Path) -> Sandbox:
    return Sandbox(region, port_base=0, cache_dir=tmp, granules=granules).start()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sandbox_us(
    granules: list[Granule], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """The sandbox in region us-west-2 (direct S3 works)."""
    sandbox = _start("us-west-2", granules, tmp_path_factory.mktemp("cache-us"))
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def sandbox_elsewhere(
    granules: list[Granule], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """The sandbox in region elsewhere (no EC2 metadata, S3 refused)."""
    sandbox = _start("elsewhere", granules, tmp_path_factory.mktemp("cache-elsewhere"))
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def http(sandbox_us: Sandbox) -> requests.Session:
    """A requests session routed to the us-west-2 sandbox (its proxy and CA)."""
    return session(sandbox_us)


@pytest.fixture(scope="module")
def records(sandbox_us: Sandbox) -> list[GranuleRecord]:
    """The us-west-2 sandbox's granule records."""
    assert sandbox_us.catalog is not None
    return list(sandbox_us.catalog.granules)
