"""Sphinx extension: mark notebook pages built on the Earthdata sandbox.

When the book is built inside ``python -m sandbox run`` (which sets ``EARTHDATA_SANDBOX=1``), the
outputs of every notebook come from synthetic practice data. This extension inserts, right under
the title of each page whose docname starts with ``notebooks/``, an admonition with the CSS class
``sandbox-note`` that says so and links to the setup page (how to run it for real) and to the page
that explains the sandbox. Nothing is inserted when the variable is unset, empty or ``0``.

The notebooks themselves stay untouched: the note belongs to the build, not to the content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from docutils import nodes
from sphinx import addnodes

ENV_VAR = "EARTHDATA_SANDBOX"
NOTE_CLASS = "sandbox-note"
SETUP_DOC = "/book/setup"
SANDBOX_DOC = "/book/sandbox"


def sandbox_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True when the build runs on the sandbox (``EARTHDATA_SANDBOX`` set and not 0/false/no)."""
    value = environ.get(ENV_VAR, "").strip().lower()
    return value not in ("", "0", "false", "no")


def is_notebook_doc(docname: str, prefix: str = "notebooks/") -> bool:
    """True for the docnames of the tutorial notebooks (``notebooks/01-...``)."""
    return docname.startswith(prefix)


def _doc_link(docname: str, target: str, text: str) -> addnodes.pending_xref:
    """A ``{doc}`` cross-reference, resolved by Sphinx like one written in a page."""
    ref = addnodes.pending_xref(
        "",
        refdomain="std",
        reftype="doc",
        reftarget=target,
        refexplicit=True,
        refwarn=True,
        refdoc=docname,
    )
    ref += nodes.inline("", text, classes=["xref", "std", "std-doc"])
    return ref


def make_note(docname: str) -> nodes.admonition:
    """The admonition node shown at the top of a notebook page built on the sandbox."""
    note = nodes.admonition(classes=[NOTE_CLASS, "note"])
    note += nodes.title("", "Practice data")
    para = nodes.paragraph()
    para += nodes.Text("The outputs on this page come from ")
    para += nodes.strong("", "synthetic practice data")
    para += nodes.Text(
        ": files and search results with the real formats (names, groups, variables, chunking,"
        " attributes) but invented values, served on this machine by the "
    )
    para += _doc_link(docname, SANDBOX_DOC, "Earthdata sandbox")
    para += nodes.Text(
        " instead of by NASA. Counts, sizes and URLs differ from the live services. The code is"
        " the same: to run it against real NASA data, on a us-west-2 JupyterHub with an Earthdata"
        " Login account, follow "
    )
    para += _doc_link(docname, SETUP_DOC, "the setup guide")
    para += nodes.Text(".")
    note += para
    return note


def insert_note(doctree: nodes.document, docname: str) -> bool:
    """Insert the note under the page title (or at the top); return True if a note was added.

    Does nothing for docnames outside ``notebooks/`` and when the page already has one.
    """
    if not is_notebook_doc(docname):
        return False
    if any(NOTE_CLASS in node["classes"] for node in doctree.findall(nodes.admonition)):
        return False
    note = make_note(docname)
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, note)
    else:
        doctree.insert(0, note)
    return True


def _on_doctree_read(app, doctree: nodes.document) -> None:
    if app.config.sandbox_note_enabled:
        insert_note(doctree, app.env.docname)


def setup(app):
    # The value comes from the environment at build time. Registered with rebuild="env" so that
    # switching between a sandbox build and a live build re-reads every page instead of reusing
    # cached doctrees with (or without) the note.
    app.add_config_value("sandbox_note_enabled", sandbox_enabled(), "env", [bool])
    app.connect("doctree-read", _on_doctree_read)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
