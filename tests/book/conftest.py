"""Fixtures of the checks of the built book (`_build/html`): the site, its pages, Chromium.

The checks need a built book (``make book``). Without one they are skipped, unless ``BOOK_CHECKS``
is set (``scripts/test.sh`` sets it after building the book): then a missing build, or a missing
Chromium, fails them. Chromium is Debian's ``chromium`` package (``scripts/test.sh`` installs it
with ``apt-get install -y --no-install-recommends chromium`` when it is absent).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from book_browser import INSTALL_HINT, Browser, PageReport, find_chromium, serve_directory
from book_site import SCREENSHOTS, SITE, book_checks_required, site_pages


def _missing(reason: str) -> None:
    if book_checks_required():
        pytest.fail(f"{reason} (BOOK_CHECKS is set, so the book checks must run)")
    pytest.skip(f"{reason}; build the book first (make book), or set BOOK_CHECKS=1 to fail")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``page`` with every page of the built site (or one placeholder without it)."""
    if "page" in metafunc.fixturenames:
        pages = site_pages() or ["(no built book)"]
        metafunc.parametrize("page", pages)


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site, ``_build/html`` (``$BOOK_SITE`` overrides)."""
    if not (SITE / "index.html").is_file():
        _missing(f"no built book at {SITE}")
    return SITE


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable."""
    executable = find_chromium()
    if executable is None:
        _missing(f"Chromium is not installed (as root: {INSTALL_HINT})")
    return executable  # type: ignore[return-value]


@pytest.fixture(scope="session")
def site_browser(site: Path, chromium: str) -> Iterator[tuple[Browser, str]]:
    """Chromium and the site served on 127.0.0.1: ``(browser, base_url)``."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pages
    with serve_directory(site) as base_url, Browser(chromium, SCREENSHOTS) as browser:
        yield browser, base_url


@pytest.fixture(scope="session")
def page_reports() -> dict[str, PageReport]:
    """Reports of the pages visited so far, so each page is opened once per session."""
    return {}
