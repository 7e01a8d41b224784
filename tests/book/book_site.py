"""Where the built book is and which of its files are pages (shared by the book checks)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("BOOK_SITE", ROOT / "_build" / "html"))
SCREENSHOTS = ROOT / "_build" / "screenshots"
#: Folders of the site that hold assets and copied sources, not pages.
NOT_PAGES = ("_static", "_sources", "_images", "_downloads")


def book_checks_required() -> bool:
    """True when ``BOOK_CHECKS`` is set (not empty, not 0): missing prerequisites then fail."""
    return os.environ.get("BOOK_CHECKS", "").strip() not in ("", "0")


def site_pages(site: Path = SITE) -> list[str]:
    """The site's HTML pages, as paths relative to the site (assets and sources left out)."""
    if not site.is_dir():
        return []
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in NOT_PAGES
    )
