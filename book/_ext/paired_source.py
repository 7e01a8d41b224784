"""Sphinx extension: offer a notebook's paired Jupytext script in the page's download menu.

Each tutorial ``notebooks/NN-name.ipynb`` is paired with ``notebooks/NN-name.py`` (percent
format). sphinx-book-theme's download menu offers ``.ipynb`` (and ``.pdf``); this adds ``.py``
beside them and copies the script to ``_sources/`` so that the link works offline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PAIRED_SUFFIX = ".py"


def paired_script(srcdir: str | Path, docname: str) -> Path | None:
    """The paired script of a notebook page, or None when the page has none."""
    src = Path(srcdir)
    script = src / f"{docname}{PAIRED_SUFFIX}"
    if (src / f"{docname}.ipynb").is_file() and script.is_file():
        return script
    return None


def _add_button(app, pagename, templatename, context, doctree):
    if paired_script(app.srcdir, pagename) is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(
                1,
                {
                    "type": "link",
                    "url": f"{context['pathto']('_sources', 1)}/{pagename}{PAIRED_SUFFIX}",
                    "text": PAIRED_SUFFIX,
                    "tooltip": "Download the paired Jupytext script (percent format)",
                    "icon": "fas fa-file-code",
                    "label": "download-script-button",
                },
            )


def _copy_scripts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        script = paired_script(app.srcdir, docname)
        if script is not None:
            target = Path(app.outdir, "_sources", f"{docname}{PAIRED_SUFFIX}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(script, target)


def setup(app):
    # After sphinx-book-theme (priority 501) has built the download menu.
    app.connect("html-page-context", _add_button, priority=510)
    app.connect("build-finished", _copy_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
