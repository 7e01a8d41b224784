"""Sphinx extension: put each script in a page once (a work-around for a bug of Sphinx 7).

Sphinx 7 adds an inline script registered once the builder runs (``app.add_js_file(None,
body=...)``) twice to every page: once with the file name ``None`` and once with ``""``, which it
does not see as the same script. Fixed in Sphinx 8.2 (sphinx-doc/sphinx#13402), but Jupyter Book
1.x needs Sphinx 7. sphinx-thebe's inline ``const THEBE_JS_URL = ...`` then runs twice and every
page logs ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` (the browser check
of ``tests/book/`` reports it). This drops the second copy of each script from the page context.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def script_key(script: Any) -> tuple[str, int, tuple[tuple[str, str], ...]]:
    """What makes two script entries the same: file name (``None`` as ``""``), priority and
    attributes (an inline script's ``body`` is one of them)."""
    filename = getattr(script, "filename", script)
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(filename or ""),
        int(getattr(script, "priority", 500)),
        tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
    )


def unique_scripts(scripts: Iterable[Any]) -> list[Any]:
    """The scripts in their order, each first occurrence only.

    >>> from types import SimpleNamespace as Script
    >>> inline = {"body": "const A = 1"}
    >>> scripts = [Script(filename=None, priority=500, attributes=inline),
    ...            Script(filename="x.js", priority=500, attributes={}),
    ...            Script(filename="", priority=500, attributes=inline)]
    >>> [s.filename for s in unique_scripts(scripts)]
    [None, 'x.js']
    """
    seen: set[tuple[str, int, tuple[tuple[str, str], ...]]] = set()
    kept = []
    for script in scripts:
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        # In place: the builder restores this list after each page.
        scripts[:] = unique_scripts(scripts)


def setup(app):
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
