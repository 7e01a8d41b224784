"""Every internal link and cross-reference of the built book resolves (files and anchors)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from book_links import check_site
from book_site import site_pages


def test_every_internal_link_resolves(site: Path):
    broken, checked = check_site(site)
    assert checked > 100, f"only {checked} internal links found: is the site complete?"
    assert not broken, f"{len(broken)} broken internal links:\n  " + "\n  ".join(map(str, broken))


def test_cross_references_between_pages_are_links(site: Path):
    """The {doc}/{ref} links of the prose reach the notebooks and back (not plain text)."""
    intro = (site / "book" / "intro.html").read_text(encoding="utf-8")
    notebook_pages = [p for p in site_pages(site) if p.startswith("notebooks/")]
    assert notebook_pages
    for page in notebook_pages:
        assert f'href="../{page}' in intro, f"the introduction does not link to {page}"


@pytest.fixture
def broken_site(site: Path, tmp_path: Path) -> Path:
    """A copy of the site with a link to a missing page, a missing anchor and a missing image."""
    copy = tmp_path / "html"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_sources", "_images", "*.js"))
    page = copy / "book" / "setup.html"
    planted = (
        '<a href="../notebooks/99-missing.html">gone</a>'
        '<a href="troubleshooting.html#no-such-topic">gone anchor</a>'
        '<a href="#setup-nowhere">gone local anchor</a>'
        '<img src="../_static/planted-missing.svg" alt="x">'
        '<a href="../../outside.html">outside</a>'
        '<a href="https://urs.earthdata.nasa.gov/">external: not checked</a>'
    )
    page.write_text(page.read_text().replace("</body>", planted + "</body>", 1))
    return copy


def test_planted_broken_links_are_caught(broken_site: Path):
    broken, _ = check_site(broken_site)
    found = {(b.page, b.url) for b in broken}
    for url in (
        "../notebooks/99-missing.html",
        "troubleshooting.html#no-such-topic",
        "#setup-nowhere",
        "../_static/planted-missing.svg",
        "../../outside.html",
    ):
        assert ("book/setup.html", url) in found, url
    assert not any(b.url.startswith("https://") for b in broken)
    # _images/ was left out of the copy: every figure of the notebooks is reported.
    assert any(b.url.startswith("../_images/") for b in broken)
