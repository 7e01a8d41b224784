"""Every page of the built book in a real browser (headless Chromium), kept off the network.

For each page: no console error or uncaught exception, every image loaded, no error output in a
notebook cell, every request of the page answered by the local server, and no request to any
other host (any such request must also fail: see `book_browser` for the three layers that keep
Chromium off the network). Notebook pages must also show the practice-data note (in a live build,
``BOOK_OUTPUTS=live``: the real-data note instead) and at least one figure with alt text. A
screenshot of each page goes to ``_build/screenshots/``.

The last tests plant each kind of problem in a copy of the site and show that it is caught.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from book_browser import BROWSER_BACKGROUND_HOSTS, Browser, PageReport, serve_directory
from book_site import ROOT, site_pages

NOTEBOOK_PREFIX = "notebooks/"


def notebook_page_problems(report: PageReport, live: bool | None = None) -> list[str]:
    """What a notebook page lacks: the practice-data note (or, in a live build, the real-data
    note), a figure with alt text."""
    if live is None:
        live = os.environ.get("BOOK_OUTPUTS", "").strip().lower() == "live"
    found = []
    if live:
        if report.live_notes != 1 or report.sandbox_notes:
            found.append(
                f"expected one real-data note (class live-note) and no practice-data note in a"
                f" live build, found {report.live_notes} and {report.sandbox_notes}"
            )
    elif report.sandbox_notes != 1:
        found.append(
            f"expected one practice-data note (class sandbox-note), found {report.sandbox_notes}"
            " (is the book built under `python -m sandbox run`?)"
        )
    figures = [f for f in report.figures if f["loaded"] and f["alt"]]
    if not figures:
        found.append(
            "no rendered figure with alt text in the cell outputs; give each figure cell an alt"
            ' text (cell metadata mystnb: {"image": {"alt": "..."}})'
        )
    found += [f"figure without alt text: {f['src']}" for f in report.figures if not f["alt"]]
    return found


def _report(site_browser, page_reports: dict[str, PageReport], page: str) -> PageReport:
    if page not in page_reports:
        browser, base_url = site_browser
        page_reports[page] = browser.visit(base_url + page, name=page.replace("/", "__"))
    return page_reports[page]


def test_page_is_clean_in_the_browser(site_browser, page_reports, page):
    report = _report(site_browser, page_reports, page)
    problems = report.problems()
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)
    assert report.screenshot is not None and report.screenshot.stat().st_size > 1000


def test_notebook_page_shows_the_note_and_a_figure(site_browser, page_reports, page):
    if not page.startswith(NOTEBOOK_PREFIX):
        pytest.skip("not a notebook page")
    problems = notebook_page_problems(_report(site_browser, page_reports, page))
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_every_tutorial_notebook_has_a_page(site):
    pages = set(site_pages(site))
    notebooks = sorted(ROOT.glob("notebooks/[0-9][0-9]-*.ipynb"))
    assert notebooks
    missing = [n.name for n in notebooks if f"notebooks/{n.stem}.html" not in pages]
    assert not missing, f"notebooks without a page in the built book: {missing}"


def test_no_page_sent_anything_beyond_this_machine(site_browser, page_reports):
    """Runs after the pages (file order): the black-hole proxy saw nothing from them."""
    browser, _ = site_browser
    assert page_reports, "no page was visited"
    unexpected = browser.proxy.unexpected()
    assert not unexpected, f"requests that reached the black-hole proxy: {unexpected}"
    # Chromium's own background requests (account list, updates) were blocked, not forwarded.
    assert set(browser.proxy.hosts()) <= BROWSER_BACKGROUND_HOSTS


# --- the checks catch planted problems ----------------------------------------------------

PLANTED = """
<img id="planted-missing" src="../_images/planted-does-not-exist.png" alt="missing">
<img id="planted-external" src="https://example.invalid/planted.png" alt="external">
<div class="cell_output docutils container">
  <div class="output traceback highlight-ipythontb notranslate"><pre>Traceback (most recent call
last):
ZeroDivisionError: planted division by zero</pre></div>
</div>
<script>
  console.error("planted console error");
  fetch("https://example.com/planted-fetch").catch(() => {});
</script>
"""


@pytest.fixture
def planted_site(site: Path, tmp_path: Path) -> Path:
    """A copy of the site in which the first notebook page has every kind of problem, and the
    second has lost its practice-data note and its figures."""
    copy = tmp_path / "html"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_sources", "*.js.map"))
    pages = [p for p in site_pages(copy) if p.startswith(NOTEBOOK_PREFIX)]
    assert len(pages) >= 2, pages
    first = copy / pages[0]
    first.write_text(first.read_text().replace("</body>", PLANTED + "</body>", 1))
    second = copy / pages[1]
    html = second.read_text().replace("sandbox-note", "plain-note").replace("live-note", "plain")
    html = html.replace('<img alt="', '<img data-planted="no alt" data-alt="')
    second.write_text(html)
    return copy


def test_planted_problems_are_caught(planted_site: Path, chromium: str, tmp_path: Path):
    pages = [p for p in site_pages(planted_site) if p.startswith(NOTEBOOK_PREFIX)]
    with serve_directory(planted_site) as base_url, Browser(chromium, tmp_path / "shots") as b:
        broken = b.visit(base_url + pages[0], name="planted")
        bare = b.visit(base_url + pages[1], name="bare")
        proxy_hosts = b.proxy.hosts()
        unexpected = b.proxy.unexpected()

    problems = "\n".join(broken.problems())
    assert "image did not load: " in problems and "planted-does-not-exist.png" in problems
    assert "console error: planted console error" in problems
    assert "ZeroDivisionError: planted division by zero" in problems
    for url in ("https://example.invalid/planted.png", "https://example.com/planted-fetch"):
        assert "request to a non-loopback host, blocked" in problems and url in problems, url
    # The external requests were reported and none of them got through.
    external = {r.url: r for r in broken.external_requests}
    assert {"https://example.invalid/planted.png", "https://example.com/planted-fetch"} <= set(
        external
    )
    assert not any(r.succeeded for r in external.values())
    # They reached only the black-hole proxy, which the site check fails on.
    assert {"example.invalid", "example.com"} <= set(proxy_hosts)
    assert any("example.com" in line for line in unexpected)

    # The clean parts of the page still pass: the note and the real figures are found.
    assert not notebook_page_problems(broken)
    bare_problems = "\n".join(notebook_page_problems(bare))
    live = os.environ.get("BOOK_OUTPUTS", "").strip().lower() == "live"
    assert f"expected one {'real-data' if live else 'practice-data'} note" in bare_problems
    assert "no rendered figure with alt text" in bare_problems
