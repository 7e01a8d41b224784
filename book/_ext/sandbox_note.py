"""Sphinx extension: say on every notebook page where its outputs come from.

When the book is built inside ``python -m sandbox run`` (which sets ``EARTHDATA_SANDBOX=1``), the
outputs of every notebook come from synthetic practice data. This extension inserts, right under
the title of each page whose docname starts with ``notebooks/``, an admonition with the CSS class
``sandbox-note`` that says so and links to the setup page (how to run it for real) and to the page
that explains the sandbox. Nothing is inserted when the variable is unset, empty or ``0``.

A live build (``make book-live``: ``BOOK_OUTPUTS=live``, outside the sandbox) executes the
notebooks against NASA's real services. Then the note is a "Real data" note (CSS class
``live-note``) naming the build date (``SOURCE_DATE_EPOCH`` or today, UTC), the footer's fixed
sentence about synthetic data (``html.extra_footer`` of _config.yml) is replaced, the intro's
"About the practice data" box says that this build is not one of the sandbox builds, and the
Earthdata Login account name that the login line prints is replaced on the notebook pages by
``[earthdata-username]``. ``BOOK_OUTPUTS=live`` inside the sandbox is a contradiction: the
practice note wins, with a warning.

The notebooks themselves stay untouched: the note belongs to the build, not to the content.
"""

from __future__ import annotations

import datetime as dt
import netrc
import os
import re
from collections.abc import Mapping
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

ENV_VAR = "EARTHDATA_SANDBOX"
OUTPUTS_VAR = "BOOK_OUTPUTS"
NOTE_CLASS = "sandbox-note"
LIVE_NOTE_CLASS = "live-note"
SETUP_DOC = "/book/setup"
SANDBOX_DOC = "/book/sandbox"
INTRO_DOC = "book/intro"
PRACTICE_BOX_TITLE = "About the practice data"
USERNAME_PLACEHOLDER = "[earthdata-username]"
LIVE_FOOTER = (
    "<p>Content under the MIT licence. The outputs in this build are real data from NASA's live"
    " services, executed on {date}; the data are NASA's, distributed by NSIDC and PO.DAAC.</p>"
)

logger = logging.getLogger(__name__)


def sandbox_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True when the build runs on the sandbox (``EARTHDATA_SANDBOX`` set and not 0/false/no)."""
    value = environ.get(ENV_VAR, "").strip().lower()
    return value not in ("", "0", "false", "no")


def live_outputs(environ: Mapping[str, str] = os.environ) -> bool:
    """True when the build says its outputs are real (``BOOK_OUTPUTS=live``)."""
    return environ.get(OUTPUTS_VAR, "").strip().lower() == "live"


def build_date(environ: Mapping[str, str] = os.environ) -> str:
    """The build's date, ``YYYY-MM-DD`` in UTC (``SOURCE_DATE_EPOCH`` for reproducible builds)."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        if epoch.isdigit()
        else dt.datetime.now(dt.UTC)
    )
    return when.date().isoformat()


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


def _admonition(docname: str, css: str, title: str, *parts) -> nodes.admonition:
    """An admonition of one paragraph: ``parts`` are text, ``("strong", text)`` or
    ``(target_doc, link_text)`` for a cross-reference."""
    note = nodes.admonition(classes=[css, "note"])
    note += nodes.title("", title)
    para = nodes.paragraph()
    for part in parts:
        if isinstance(part, str):
            para += nodes.Text(part)
        elif part[0] == "strong":
            para += nodes.strong("", part[1])
        else:
            para += _doc_link(docname, *part)
    note += para
    return note


def make_note(docname: str) -> nodes.admonition:
    """The admonition node shown at the top of a notebook page built on the sandbox."""
    return _admonition(
        docname,
        NOTE_CLASS,
        "Practice data",
        "The outputs on this page come from ",
        ("strong", "synthetic practice data"),
        ": files and search results with the real formats (names, groups, variables, chunking,"
        " attributes) but invented values, served on this machine by the ",
        (SANDBOX_DOC, "Earthdata sandbox"),
        " instead of by NASA. Counts, sizes and URLs differ from the live services. The code is"
        " the same: to run it against real NASA data, on a us-west-2 JupyterHub with an Earthdata"
        " Login account, follow ",
        (SETUP_DOC, "the setup guide"),
        ".",
    )


def make_live_note(docname: str, date: str) -> nodes.admonition:
    """The admonition node shown at the top of a notebook page built against NASA."""
    return _admonition(
        docname,
        LIVE_NOTE_CLASS,
        "Real data",
        "The outputs on this page are ",
        ("strong", "real data from NASA's live services"),
        f" (Earthdata Login, CMR, NSIDC and PO.DAAC), from a run of this notebook on {date},"
        " when this book was built. A run today may find more granules or newer versions. To run"
        " it yourself, follow ",
        (SETUP_DOC, "the setup guide"),
        "; to practise offline, use the ",
        (SANDBOX_DOC, "Earthdata sandbox"),
        ".",
    )


def insert_note(
    doctree: nodes.document, docname: str, *, live: bool = False, date: str = ""
) -> bool:
    """Insert the note under the page title (or at the top); return True if a note was added.

    The practice-data note, or with ``live`` the real-data note naming ``date``. Does nothing for
    docnames outside ``notebooks/`` and when the page already has one.
    """
    if not is_notebook_doc(docname):
        return False
    classes = (NOTE_CLASS, LIVE_NOTE_CLASS)
    if any(set(classes) & set(node["classes"]) for node in doctree.findall(nodes.admonition)):
        return False
    note = make_live_note(docname, date or build_date()) if live else make_note(docname)
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, note)
    else:
        doctree.insert(0, note)
    return True


def mark_practice_box(doctree: nodes.document, date: str) -> bool:
    """In a live build, add to the intro's "About the practice data" box that this build is real."""
    for box in doctree.findall(nodes.admonition):
        titles = [child for child in box.children if isinstance(child, nodes.title)]
        if titles and titles[0].astext().strip() == PRACTICE_BOX_TITLE:
            para = nodes.paragraph(classes=[LIVE_NOTE_CLASS])
            para += nodes.strong("", "This build is not one of them:")
            para += nodes.Text(
                f" its notebooks ran against NASA's live services on {date}, and their outputs"
                " are real data."
            )
            box += para
            return True
    return False


def account_names(environ: Mapping[str, str] = os.environ, home: Path | None = None) -> list[str]:
    """The Earthdata Login account names of this build: ``EARTHDATA_USERNAME`` and the netrc
    file earthaccess reads (``$NETRC`` if set and not empty, else ``~/.netrc``)."""
    names = [environ.get("EARTHDATA_USERNAME", "")]
    path = Path(environ.get("NETRC") or (home or Path.home()) / ".netrc")
    try:
        entry = netrc.netrc(str(path)).authenticators("urs.earthdata.nasa.gov")
    except (OSError, netrc.NetrcParseError):
        entry = None
    if entry and entry[0]:
        names.append(entry[0])
    return sorted({n for n in names if len(n) >= 4}, key=len, reverse=True)


def redact_account(doctree: nodes.document, names: list[str]) -> int:
    """Replace each account name (as a whole word) in the page's text; return how many nodes."""
    if not names:
        return 0
    pattern = re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])")
    changed = 0
    for text in list(doctree.findall(nodes.Text)):
        new = pattern.sub(USERNAME_PLACEHOLDER, str(text))
        if new != str(text):
            text.parent.replace(text, nodes.Text(new))
            changed += 1
    return changed


def _is_live(config) -> bool:
    return getattr(config, "book_outputs", "") == "live" and not config.sandbox_note_enabled


def _on_doctree_read(app, doctree: nodes.document) -> None:
    docname = app.env.docname
    if app.config.sandbox_note_enabled:
        insert_note(doctree, docname)
    elif _is_live(app.config):
        date = getattr(app.config, "book_build_date", "") or build_date()
        insert_note(doctree, docname, live=True, date=date)
        if is_notebook_doc(docname):
            redact_account(doctree, account_names())
        elif docname == INTRO_DOC:
            mark_practice_box(doctree, date)


def _on_config_inited(app, config) -> None:
    if getattr(config, "book_outputs", "") == "live" and config.sandbox_note_enabled:
        logger.warning(
            "BOOK_OUTPUTS=live inside the Earthdata sandbox: the outputs are synthetic practice "
            "data, so the pages say so (build live with `make book-live`, outside the sandbox)"
        )
    if _is_live(config):
        options = dict(config.html_theme_options or {})
        options["extra_footer"] = LIVE_FOOTER.format(date=config.book_build_date)
        config.html_theme_options = options


def setup(app):
    # The values come from the environment at build time. Registered with rebuild="env" so that
    # switching between a sandbox build and a live build re-reads every page instead of reusing
    # cached doctrees with (or without) the note.
    app.add_config_value("book_outputs", "live" if live_outputs() else "", "env", [str])
    app.add_config_value("book_build_date", build_date(), "env", [str])
    app.add_config_value("sandbox_note_enabled", sandbox_enabled(), "env", [bool])
    app.connect("config-inited", _on_config_inited)
    app.connect("doctree-read", _on_doctree_read)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
