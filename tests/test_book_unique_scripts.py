"""book/_ext/unique_scripts.py: each script once per page, in order (a Sphinx 7 work-around)."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

from sphinx.builders.html._assets import _JavaScript

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "unique_scripts", ROOT / "book" / "_ext" / "unique_scripts.py"
)
unique_scripts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unique_scripts)


def test_the_sphinx_7_duplicate_is_dropped():
    body = 'const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"'
    scripts = [
        _JavaScript("doctools.js", priority=200),
        _JavaScript(None, body=body),
        _JavaScript("sphinx-thebe.js", **{"async": "async"}),
        _JavaScript("", body=body),  # what Sphinx 7.4 adds again
    ]
    context = {"script_files": scripts}
    unique_scripts._on_page_context(None, "page", "page.html", context, None)
    assert context["script_files"] is scripts  # changed in place: the builder restores it
    assert [s.filename for s in scripts] == ["doctools.js", None, "sphinx-thebe.js"]


def test_different_scripts_are_kept():
    scripts = [_JavaScript(None, body="let a = 1"), _JavaScript(None, body="let b = 2")]
    assert unique_scripts.unique_scripts(scripts) == scripts
    assert unique_scripts.unique_scripts([]) == []


def test_doctests():
    assert doctest.testmod(unique_scripts).failed == 0
