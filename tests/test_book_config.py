"""Checks of the book's configuration and of its local Sphinx extensions, without building it.

- _toc.yml names only pages that exist, and every page of book/ and every tutorial notebook
  (notebooks/NN-name.ipynb) is in it;
- _config.yml is valid for Jupyter Book, keeps the build out of the rest of the repository,
  executes every notebook, and fetches nothing;
- book/_ext/sandbox_note.py inserts the "practice data" note on notebook pages only;
- book/_ext/paired_source.py finds a notebook's paired Jupytext script.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
import yaml
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util.matching import Matcher
from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE_SUFFIXES = (".md", ".ipynb")


def _load_extension(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "book" / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sandbox_note = _load_extension("sandbox_note")
paired_source = _load_extension("paired_source")


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def toc_docnames() -> list[str]:
    return list(parse_toc_yaml(ROOT / "_toc.yml").keys())


def _source_of(docname: str) -> Path | None:
    for suffix in SOURCE_SUFFIXES:
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None


# --- _toc.yml -------------------------------------------------------------------------------


def test_toc_is_a_jupyter_book(toc_docnames):
    site_map = parse_toc_yaml(ROOT / "_toc.yml")
    assert site_map.file_format == "jb-book"
    assert site_map.root.docname == "book/intro"


def test_toc_names_only_existing_pages(toc_docnames):
    missing = [d for d in toc_docnames if _source_of(d) is None]
    assert not missing, f"_toc.yml names pages with no .md or .ipynb file: {missing}"


def test_every_book_page_is_in_the_toc(toc_docnames):
    pages = sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in ROOT.glob("book/*.md"))
    assert pages, "no pages in book/"
    absent = [p for p in pages if p not in toc_docnames]
    assert not absent, f"pages of book/ missing from _toc.yml: {absent}"


def test_every_tutorial_notebook_is_in_the_toc(toc_docnames):
    notebooks = sorted(
        p.relative_to(ROOT).with_suffix("").as_posix()
        for p in ROOT.glob("notebooks/[0-9][0-9]-*.ipynb")
    )
    absent = [n for n in notebooks if n not in toc_docnames]
    assert not absent, (
        f"tutorial notebooks missing from _toc.yml (add them to 'Tutorials'): {absent}"
    )


# --- _config.yml ----------------------------------------------------------------------------


def test_config_is_valid_for_jupyter_book(config):
    from jupyter_book.config import validate_yaml

    validate_yaml(config, raise_on_errors=True)


def test_build_stays_out_of_the_rest_of_the_repository(config):
    assert config["only_build_toc_files"] is True
    excluded = Matcher(config["exclude_patterns"])
    crawled = sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and p.name not in ("book", "notebooks") and not excluded(p.name)
    )
    assert not crawled, f"exclude_patterns lets the build crawl: {crawled}"
    for name in (".venv", ".git", "_build", "README.md"):
        assert excluded(name), name


def test_notebooks_are_executed_and_errors_fail_the_build(config):
    execute = config["execute"]
    assert execute["execute_notebooks"] == "force"
    assert execute["allow_errors"] is False
    assert execute["timeout"] >= 60


def test_nothing_is_fetched_at_build_time(config):
    sphinx_config = config["sphinx"]["config"]
    assert sphinx_config["intersphinx_mapping"] == {}
    assert config["launch_buttons"].get("thebe") is False


def test_local_files_named_by_the_config_exist(config):
    assert (ROOT / config["logo"]).is_file()
    assert (ROOT / config["html"]["favicon"]).is_file()
    for name, path in config["sphinx"]["local_extensions"].items():
        assert (ROOT / path / f"{name}.py").is_file(), (name, path)
    for static in config["sphinx"]["config"]["html_static_path"]:
        for css in config["sphinx"]["config"]["html_css_files"]:
            assert (ROOT / static / css).is_file(), css


# --- book/_ext/sandbox_note.py --------------------------------------------------------------


def _page(title: str | None = "Cloud collection search") -> nodes.document:
    document = new_document("<test>", get_default_settings(Parser))
    body = nodes.paragraph("", "Some text.")
    if title is None:
        document += body
    else:
        section = nodes.section(ids=["page"])
        section += nodes.title("", title)
        section += body
        document += section
    return document


def _notes(document: nodes.document) -> list[nodes.admonition]:
    return [
        n for n in document.findall(nodes.admonition) if sandbox_note.NOTE_CLASS in n["classes"]
    ]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"EARTHDATA_SANDBOX": "1"}, True),
        ({"EARTHDATA_SANDBOX": "true"}, True),
        ({"EARTHDATA_SANDBOX": "0"}, False),
        ({"EARTHDATA_SANDBOX": ""}, False),
        ({}, False),
    ],
)
def test_sandbox_enabled_reads_the_environment(environ, expected):
    assert sandbox_note.sandbox_enabled(environ) is expected


def test_note_goes_under_the_title_of_a_notebook_page(toc_docnames):
    page = _page()
    assert sandbox_note.insert_note(page, "notebooks/01-cloud-collection-search") is True

    section = page[0]
    assert isinstance(section[0], nodes.title)
    note = section[1]
    assert _notes(page) == [note]
    assert "Practice data" in note[0].astext()
    assert "synthetic practice data" in note.astext()

    targets = {ref["reftarget"] for ref in note.findall(addnodes.pending_xref)}
    assert targets == {sandbox_note.SETUP_DOC, sandbox_note.SANDBOX_DOC}
    for target in targets:  # the links resolve: they name pages of the book
        assert target.lstrip("/") in toc_docnames


def test_note_is_added_once():
    page = _page()
    docname = "notebooks/02-atl03-s3-read-and-plot"
    sandbox_note.insert_note(page, docname)
    assert sandbox_note.insert_note(page, docname) is False
    assert len(_notes(page)) == 1


def test_note_goes_first_on_a_page_without_a_title():
    page = _page(title=None)
    assert sandbox_note.insert_note(page, "notebooks/03-atl07-modis-pairing")
    assert _notes(page) == [page[0]]


def test_no_note_on_prose_pages():
    page = _page("Set up")
    assert sandbox_note.insert_note(page, "book/setup") is False
    assert not _notes(page)


def test_extension_adds_the_note_only_on_sandbox_builds():
    calls = {}
    fake_app = SimpleNamespace(
        add_config_value=lambda name, default, rebuild, types: calls.update(config=(name, rebuild)),
        connect=lambda event, handler: calls.update({event: handler}),
    )
    sandbox_note.setup(fake_app)
    # a change of the value must re-read every page, not reuse cached doctrees
    assert calls["config"] == ("sandbox_note_enabled", "env")
    handler = calls["doctree-read"]

    for enabled, expected in ((True, 1), (False, 0)):
        page = _page()
        build = SimpleNamespace(
            config=SimpleNamespace(sandbox_note_enabled=enabled),
            env=SimpleNamespace(docname="notebooks/01-cloud-collection-search"),
        )
        handler(build, page)
        assert len(_notes(page)) == expected


# --- book/_ext/paired_source.py -------------------------------------------------------------


def test_paired_script_needs_both_files(tmp_path):
    (tmp_path / "notebooks").mkdir()
    docname = "notebooks/01-example"
    assert paired_source.paired_script(tmp_path, docname) is None
    (tmp_path / f"{docname}.py").write_text("# %%\n")
    assert paired_source.paired_script(tmp_path, docname) is None  # a script alone is no page
    (tmp_path / f"{docname}.ipynb").write_text("{}")
    assert paired_source.paired_script(tmp_path, docname) == tmp_path / f"{docname}.py"


def test_account_names_come_from_the_environment_and_the_netrc_earthaccess_reads(
    tmp_path: Path,
) -> None:
    """earthaccess reads ``$NETRC`` when it is set and not empty, else ``~/.netrc``
    (earthaccess.auth.netrc_path); the book redacts the account names of either."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    line = "machine urs.earthdata.nasa.gov login {} password not-shown\n"
    (home / ".netrc").write_text(line.format("home_account"))
    (elsewhere / "netrc").write_text(line.format("netrc_env_account"))
    names = sandbox_note.account_names
    # longest first, so that a name inside another is replaced after it
    assert names({"EARTHDATA_USERNAME": "env_account"}, home) == ["home_account", "env_account"]
    assert names({"NETRC": str(elsewhere / "netrc")}, home) == ["netrc_env_account"]
    assert names({"NETRC": ""}, home) == ["home_account"]  # empty: the default, as earthaccess
    assert names({"NETRC": str(elsewhere / "missing")}, home) == []
