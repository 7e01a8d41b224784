"""`make live` (scripts/live.py): the tutorials against NASA's real services, checked for structure.

Nothing here reaches NASA: the live script refuses without credentials, runs tiny notebooks of
the test's own (a failing cell, a cell that prints the password) with dummy credentials and no
network, and runs the real tutorials only as a rehearsal inside ``python -m sandbox run``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "live.py"
PYTHON = sys.executable
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
DUMMY_USER = "live_test_learner"
DUMMY_PASSWORD = "Tr0ub4dor-live-test-9731"


def _load_live():
    spec = importlib.util.spec_from_file_location("live_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("live_script", module)
    spec.loader.exec_module(module)
    return module


live = _load_live()


def _bare_env(home: Path, **extra: str) -> dict[str, str]:
    """No credentials, no sandbox: only PATH (for the kernel) and an empty HOME."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 300):
    return subprocess.run(
        [PYTHON, str(SCRIPT), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("# A test notebook")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


# --- (a) no credentials: refused at once ----------------------------------------------------


def test_refuses_at_once_without_credentials(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "out"
    start = time.monotonic()
    result = _run(["--out", str(out)], _bare_env(home), timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode == 2, result.stderr
    assert elapsed < 15, f"took {elapsed:.1f} s: it must refuse before starting any kernel"
    assert "no Earthdata Login credentials" in result.stderr
    for way in ("EARTHDATA_USERNAME", "EARTHDATA_TOKEN", "machine urs.earthdata.nasa.gov"):
        assert way in result.stderr
    assert not out.exists(), "nothing is written without credentials"


def test_a_username_without_password_is_not_enough(tmp_path):
    result = _run(["--check-credentials"], _bare_env(tmp_path, EARTHDATA_USERNAME="someone"))
    assert result.returncode == 2
    assert "no Earthdata Login credentials" in result.stderr


def test_credentials_from_netrc_or_token_are_accepted(tmp_path):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine urs.earthdata.nasa.gov login someone password Secr3t-netrc-value\n")
    netrc.chmod(0o600)
    result = _run(["--check-credentials"], _bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "~/.netrc" in result.stdout
    assert "Secr3t-netrc-value" not in result.stdout + result.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    result = _run(["--check-credentials"], _bare_env(empty, EARTHDATA_TOKEN="eyJ0.a.b"))
    assert result.returncode == 0, result.stderr
    assert "EARTHDATA_TOKEN" in result.stdout


def test_book_live_check_refuses_inside_the_sandbox(tmp_path):
    env = _bare_env(
        tmp_path,
        EARTHDATA_USERNAME=DUMMY_USER,
        EARTHDATA_PASSWORD=DUMMY_PASSWORD,
        EARTHDATA_SANDBOX="1",
    )
    result = _run(["--check-credentials", "--refuse-sandbox"], env)
    assert result.returncode == 2
    assert "EARTHDATA_SANDBOX is set" in result.stderr
    # without --refuse-sandbox (make live) the sandbox is a rehearsal, and says so
    result = _run(["--check-credentials"], env)
    assert result.returncode == 0
    assert "REHEARSAL" in result.stdout


def test_never_writes_into_the_notebooks_folder(tmp_path):
    notebook = _notebook(tmp_path / "one.ipynb", "print(1)")
    env = _bare_env(tmp_path, EARTHDATA_USERNAME=DUMMY_USER, EARTHDATA_PASSWORD=DUMMY_PASSWORD)
    before = notebook.read_bytes()
    result = _run(["--out", str(tmp_path), str(notebook)], env)
    assert result.returncode == 2
    assert "holds the notebooks themselves" in result.stderr
    assert notebook.read_bytes() == before


# --- what is read from the outputs ----------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.stem)
def test_each_tutorial_reports_the_version_it_chose(path):
    """01 prints its version, 02-04 the one they chose at run time: the report finds it."""
    nb = nbformat.read(path, as_version=4)
    versions = live.versions_chosen(nb)
    assert versions, f"no version line found in the outputs of {path.name}"
    assert all(any(c.isdigit() for c in v) for v in versions), versions
    assert all(n > 0 for n in live.search_counts(nb))


def test_a_search_that_finds_nothing_is_noticed():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(len(results))")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Found 0 granule(s)\n")]
    nb.cells = [cell]
    assert live.search_counts(nb) == [0]


# --- (c) a failing cell ---------------------------------------------------------------------


def test_a_failing_cell_is_named_and_fails_the_run(tmp_path):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    good = _notebook(notebooks / "10-good.ipynb", "x = 1", "print('Found 3 granules')")
    broken = _notebook(
        notebooks / "11-broken.ipynb",
        "import math",
        "value = math.sqrt(4)\nprint(value)",
        "results = []  # the search found nothing\nfirst = results[0]",
        "print('never reached')",
    )
    before = broken.read_bytes()
    out = tmp_path / "out"
    env = _bare_env(tmp_path, EARTHDATA_USERNAME=DUMMY_USER, EARTHDATA_PASSWORD=DUMMY_PASSWORD)
    result = _run(["--out", str(out), str(good), str(broken)], env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "11-broken.ipynb" in result.stderr
    assert "cell 4 (code cell 3 of 4)" in result.stderr  # the markdown title is cell 1
    assert "results = []  # the search found nothing" in result.stderr
    assert "IndexError" in result.stderr
    assert "10-good.ipynb" not in result.stderr

    report = (out / "report.md").read_text()
    assert "| 10-good.ipynb | 2/2 | 0/0 |" in report
    assert "| 11-broken.ipynb | 2/4 | 0/0 |" in report
    assert "1 of 2 notebooks FAILED" in report
    assert "REHEARSAL" not in report
    executed = nbformat.read(out / "11-broken.ipynb", as_version=4)
    assert executed.cells[4].outputs == []  # the run stopped at the failing cell
    assert broken.read_bytes() == before, "the input notebook is never written"


# --- (d) credentials in the outputs ---------------------------------------------------------


def test_a_notebook_that_prints_the_password_is_caught_and_deleted(tmp_path):
    notebook = _notebook(
        tmp_path / "20-leak.ipynb",
        "import os",
        "print('the password is', os.environ['EARTHDATA_PASSWORD'])",
    )
    out = tmp_path / "out"
    env = _bare_env(tmp_path, EARTHDATA_USERNAME=DUMMY_USER, EARTHDATA_PASSWORD=DUMMY_PASSWORD)
    result = _run(["--out", str(out), str(notebook)], env)

    assert result.returncode == 1
    assert not (out / "20-leak.ipynb").exists(), "the executed copy with the password is deleted"
    assert "the Earthdata Login secret" in result.stderr
    report = (out / "report.md").read_text()
    assert "20-leak.ipynb: 1 finding(s)" in report
    assert "executed copy was deleted" in report
    for text in (report, result.stdout, result.stderr):
        assert DUMMY_PASSWORD not in text
    leftovers = [p for p in out.rglob("*") if p.is_file() and DUMMY_PASSWORD in p.read_text()]
    assert not leftovers


def test_the_account_name_is_replaced_in_what_is_written(tmp_path):
    """The login line (helpers.login_status) prints the account name: it is replaced, and the run
    passes."""
    notebook = _notebook(
        tmp_path / "21-login.ipynb",
        "import os\nprint(f\"Logged in to Earthdata as {os.environ['EARTHDATA_USERNAME']} (ok)\")",
    )
    out = tmp_path / "out"
    env = _bare_env(tmp_path, EARTHDATA_USERNAME=DUMMY_USER, EARTHDATA_PASSWORD=DUMMY_PASSWORD)
    result = _run(["--out", str(out), str(notebook)], env)

    assert result.returncode == 0, result.stdout + result.stderr
    executed = (out / "21-login.ipynb").read_text()
    assert DUMMY_USER not in executed
    assert "Logged in to Earthdata as [earthdata-username] (ok)" in executed


# --- (b) the real tutorials, rehearsed inside the sandbox -----------------------------------


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    """`make live`'s script on every tutorial, inside `python -m sandbox run` (about 90 s)."""
    out = tmp_path_factory.mktemp("live")
    committed = _digest([*NOTEBOOKS, *(p.with_suffix(".py") for p in NOTEBOOKS)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    start = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "sandbox", "run", "--port-base", "0", "--"]
        + [PYTHON, str(SCRIPT), "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - start
    after = _digest([*NOTEBOOKS, *(p.with_suffix(".py") for p in NOTEBOOKS)])
    return result, out, committed, after, elapsed


@pytest.mark.notebooks
def test_rehearsal_runs_every_tutorial_and_reports_it(rehearsal):
    result, out, _, _, elapsed = rehearsal
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    report = (out / "report.md").read_text()
    rows = {
        line.split("|")[1].strip(): line.split("|")
        for line in report.splitlines()[1:]
        if line.startswith("| 0")
    }
    assert sorted(rows) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        committed = nbformat.read(path, as_version=4)
        row = [cell.strip() for cell in rows[path.name]]
        code_cells = sum(c.cell_type == "code" for c in committed.cells)
        figures = sum(
            "image/png" in o.get("data", {})
            for c in committed.cells
            if c.cell_type == "code"
            for o in c.outputs
        )
        assert row[2] == f"{code_cells}/{code_cells}", (path.name, row)
        assert row[3] == f"{figures}/{figures}", (path.name, row)
        assert figures >= 1
        if path.name[:2] != "00":
            assert row[4] != "-" and any(ch.isdigit() for ch in row[4]), (path.name, row)
        assert row[7] == "ok", (path.name, row)
        executed = nbformat.read(out / path.name, as_version=4)
        assert not [
            o
            for c in executed.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
    print(f"rehearsal of {len(NOTEBOOKS)} notebooks: {elapsed:.0f} s")


@pytest.mark.notebooks
def test_rehearsal_says_it_is_not_nasa(rehearsal):
    result, out, _, _, _ = rehearsal
    report = (out / "report.md").read_text()
    assert "rehearsal against the Earthdata sandbox, not NASA" in report
    assert report.startswith("# Live-mode REHEARSAL")
    assert "REHEARSAL against the Earthdata sandbox" in result.stdout
    assert "NOT NASA's live services" in result.stdout


@pytest.mark.notebooks
def test_rehearsal_leaves_the_committed_notebooks_alone(rehearsal):
    result, out, before, after, _ = rehearsal
    assert before == after
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    # the notebooks' files (downloads, figures) went to the output's work folder
    assert (out / "work" / "figures").is_dir()


@pytest.mark.notebooks
def test_rehearsal_writes_no_credentials(rehearsal):
    result, out, _, _, _ = rehearsal
    from sandbox.config import EDL_PASSWORD

    for path in out.glob("*"):
        if path.is_file():
            text = path.read_text()
            assert EDL_PASSWORD not in text, path.name
    assert "[earthdata-username]" in (out / "02-atl03-s3-read-and-plot.ipynb").read_text()


# --- the book says where its outputs come from (book/_ext/sandbox_note.py) ------------------

MINI_CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = ["sandbox_note"]
html_theme = "sphinx_book_theme"
html_theme_options = {{"extra_footer": "<p>The practice data in this build are synthetic.</p>"}}
exclude_patterns = ["_build"]
"""
MINI_PAGES = {
    "index.rst": "Home\n====\n\n.. toctree::\n\n   book/intro\n   book/setup\n   book/sandbox\n"
    "   notebooks/01-search\n",
    "book/intro.rst": "Intro\n=====\n\n.. admonition:: About the practice data\n\n"
    "   In CI the notebooks run on synthetic practice data.\n",
    "book/setup.rst": "Setup\n=====\n\nText.\n",
    "book/sandbox.rst": "Sandbox\n=======\n\nText.\n",
    "notebooks/01-search.rst": "Search\n======\n\n.. code-block:: none\n\n"
    "   Logged in to Earthdata as live_test_learner (credentials from EARTHDATA_USERNAME)\n",
}


def _mini_book(tmp_path: Path, **env: str) -> Path:
    """A small Sphinx project with the book's extension and theme, built with ``env``."""
    source = tmp_path / "src"
    for name, text in MINI_PAGES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    (source / "conf.py").write_text(MINI_CONF.format(ext=str(ROOT / "book" / "_ext")))
    out = tmp_path / "html"
    base = {k: v for k, v in os.environ.items() if k not in ("EARTHDATA_SANDBOX", "BOOK_OUTPUTS")}
    result = subprocess.run(
        [PYTHON, "-m", "sphinx", "-b", "html", "-q", "-E", str(source), str(out)],
        env={**base, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_a_live_build_says_the_data_are_real(tmp_path):
    out = _mini_book(
        tmp_path,
        BOOK_OUTPUTS="live",
        EARTHDATA_USERNAME=DUMMY_USER,
        SOURCE_DATE_EPOCH="1780000000",  # 2026-05-28
    )
    page = (out / "notebooks" / "01-search.html").read_text()
    assert '<div class="live-note note admonition">' in page
    assert "sandbox-note" not in page
    assert "Real data" in page and "on 2026-05-28" in page
    assert "The practice data in this build are synthetic" not in page
    footer = page[page.index('class="extra_footer"') :]
    assert "The outputs in this build are real data from NASA" in footer
    assert "executed on 2026-05-28" in footer
    assert DUMMY_USER not in page
    assert "Logged in to Earthdata as [earthdata-username]" in page
    intro = (out / "book" / "intro.html").read_text()
    assert "This build is not one of them:" in intro
    assert "sandbox-note" not in (out / "book" / "setup.html").read_text()


def test_a_sandbox_build_keeps_the_practice_note(tmp_path):
    out = _mini_book(tmp_path, EARTHDATA_SANDBOX="1", BOOK_OUTPUTS="live")  # the sandbox wins
    page = (out / "notebooks" / "01-search.html").read_text()
    assert '<div class="sandbox-note note admonition">' in page
    assert "live-note" not in page
    assert "synthetic practice data" in page
    assert "The practice data in this build are synthetic" in page
    assert "This build is not one of them" not in (out / "book" / "intro.html").read_text()
