"""Check that every internal link of a built HTML site resolves: files and ``#fragment`` anchors.

`check_site` parses every HTML file (standard library parser) and, for each relative ``href``,
``src``, ``srcset`` and ``poster`` (and ``<meta http-equiv="refresh">`` target), checks that the
file exists in the site and, for a ``#fragment``, that the target page has an element with that
``id`` (or an ``<a name>``). URLs with a scheme (``https:``, ``mailto:``, ``data:``, ...) or a host
are external and not checked here: nothing may be fetched.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = frozenset({"href", "src", "poster"})
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


@dataclass(frozen=True)
class BrokenLink:
    """A link of ``page`` (site-relative) whose target ``url`` does not resolve."""

    page: str
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.url} ({self.reason})"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.anchors.add(values["id"])
        if tag == "a" and "name" in values:
            self.anchors.add(values["name"])
        for name in LINK_ATTRIBUTES & values.keys():
            self.links.append(values[name])
        if "srcset" in values:
            self.links += [c.split()[0] for c in values["srcset"].split(",") if c.strip()]
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match:
                self.links.append(match.group(1).strip())

    handle_startendtag = handle_starttag


@cache
def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def is_internal(url: str) -> bool:
    """True for a URL inside the site: no scheme and no host (``//host/...``).

    >>> [is_internal(u) for u in ("../_images/a.png", "#top", "https://x.org", "mailto:a@b")]
    [True, True, False, False]
    >>> is_internal("//cdn.example.org/lib.js")
    False
    """
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


def resolve(page: str, url: str) -> tuple[str, str]:
    """The site-relative path and fragment that ``url`` on ``page`` points at.

    >>> resolve("book/intro.html", "../notebooks/01-a.html#setup")
    ('notebooks/01-a.html', 'setup')
    >>> resolve("book/intro.html", "#top")
    ('book/intro.html', 'top')
    >>> resolve("index.html", "book/")
    ('book/index.html', '')
    """
    parts = urlsplit(url)
    fragment = unquote(parts.fragment)
    if not parts.path:
        return page, fragment
    if parts.path.startswith("/"):
        target = parts.path.lstrip("/")
    else:
        target = posixpath.join(posixpath.dirname(page), unquote(parts.path))
    target = posixpath.normpath(target)
    if parts.path.endswith("/"):
        target = posixpath.join(target, "index.html")
    return target, fragment


#: Folders of a Sphinx site whose HTML files are not pages (theme template macros, sources).
NOT_PAGES = ("_static", "_sources")


def check_site(site: Path) -> tuple[list[BrokenLink], int]:
    """Every broken internal link of the site's pages, and how many internal links were checked.

    HTML files under ``_static/`` and ``_sources/`` are templates and copies, not pages: their
    links are not checked (links *to* them are).
    """
    _parse.cache_clear()
    site = site.resolve()
    broken: list[BrokenLink] = []
    checked = 0
    for path in sorted(site.rglob("*.html")):
        page = path.relative_to(site).as_posix()
        if page.split("/", 1)[0] in NOT_PAGES:
            continue
        for url in _parse(path).links:
            url = url.strip()
            if not url or not is_internal(url):
                continue
            checked += 1
            target, fragment = resolve(page, url)
            if target == ".." or target.startswith("../"):
                broken.append(BrokenLink(page, url, "points outside the site"))
                continue
            file = site / target
            if file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                broken.append(BrokenLink(page, url, f"no file {target}"))
                continue
            if fragment and file.suffix == ".html" and fragment not in _parse(file).anchors:
                broken.append(BrokenLink(page, url, f"no anchor #{fragment} in {target}"))
    return broken, checked
