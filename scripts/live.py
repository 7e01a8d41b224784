#!/usr/bin/env python3
"""Run every tutorial notebook against the REAL NASA services and check its structure (`make live`).

    python scripts/live.py [--out DIR] [--timeout S] [NOTEBOOK.ipynb ...]
    python scripts/live.py --check-credentials [--refuse-sandbox]     (`make book-live`, before)
    python scripts/live.py --scan PATH ...                             (`make book-live`, after)

Each notebook (default: ``notebooks/NN-*.ipynb``) is executed top to bottom with nbclient, in a
working folder of its own (``DIR/work``: downloads, figures and outputs land there, never in
``notebooks/``), with the Earthdata Login credentials of the environment or of ``~/.netrc``.
Outside AWS us-west-2 the notebooks take their HTTPS path by themselves.

The outputs differ from the committed ones (they come from the sandbox's synthetic data), so the
run checks structure, not values: every cell runs without error; every figure is made (as many
``image/png`` outputs as the committed notebook has); every search finds something (no
"0 granules" / "found: 0" line) and reports a count when the committed notebook does; and the
collection versions the notebooks choose at run time are extracted from their outputs and
reported.

It writes ``DIR/NN-name.ipynb`` (the executed copies; default ``DIR`` is ``_build/live``) and
``DIR/report.md`` (per notebook: cells run, figures made, versions chosen, searches, status) and
exits 1 naming the notebook and the cell (number and first line) that failed. It never writes
into the folder of the notebooks it runs.

Credentials: it refuses to start (exit 2, at once, before any kernel) without
``EARTHDATA_USERNAME`` + ``EARTHDATA_PASSWORD``, ``EARTHDATA_TOKEN``, or a ``~/.netrc`` entry for
``urs.earthdata.nasa.gov``. The account name that ``helpers.login_status`` prints is replaced by
``[earthdata-username]`` in everything written. After the run the executed notebooks and the
report are scanned with ``scripts/scan_secrets.py`` and for the literal credential values; a file
with a finding is deleted and the run fails.

Inside ``python -m sandbox run`` (``EARTHDATA_SANDBOX`` set) it still runs, as a REHEARSAL
against the sandbox's synthetic practice data, and says so in its output and in the report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "_build" / "live"
EDL_HOST = "urs.earthdata.nasa.gov"
USERNAME_PLACEHOLDER = "[earthdata-username]"
MIN_SECRET_LENGTH = 4  # shorter values would match everywhere; EDL passwords have 8 or more

NO_CREDENTIALS = f"""\
live.py: no Earthdata Login credentials, so nothing was run.
A live run reads NASA's real services and needs an Earthdata Login account
(https://urs.earthdata.nasa.gov) that has accepted the NSIDC and PO.DAAC EULAs. Give it by:
  - EARTHDATA_USERNAME and EARTHDATA_PASSWORD in the environment, or
  - EARTHDATA_TOKEN (an Earthdata Login token), or
  - a line "machine {EDL_HOST} login <user> password <password>" in ~/.netrc (mode 0600).
The notebooks' kernels have no terminal to prompt for a password, so it is checked here first."""

# How the notebooks print the collection version they chose (01: the version its searches use;
# 02/03: the newest version in the cloud, chosen at run time; 04: the season's ATL07 version).
VERSION_PATTERNS = (
    re.compile(r"Version used below: (?P<version>[\w.]+)"),
    re.compile(
        r"(?P<what>[\w-]+) versions in [^:\n]+: [^;\n]*; using (?:the newest, )?(?P<version>[\w.]+)"
    ),
    re.compile(r"(?P<what>[\w-]+) version (?P<version>[\w.]+): \d+ granules?"),
)
# How they print what a search found: "Found 1 granule(s)", "8 granules", "6 MODIS granules",
# "earthaccess found: 6", "ATL07 version 007: 10 granules".
SEARCH_COUNT = re.compile(
    r"(?i)(?:\bfound:?[ \t]+(?P<found>\d+)\b"
    r"|\b(?P<count>\d+)[ \t]+(?:[A-Za-z][\w-]*[ \t]+)?granules?\b)"
)


# --- credentials ----------------------------------------------------------------------------


def credential_source(environ) -> str | None:
    """Where the run's Earthdata Login credentials come from, or None without any: what
    ``earthaccess.login()`` finds in the kernels (the environment, then the .netrc it reads; its
    prompt has nobody to answer)."""
    from helpers.auth import netrc_file, netrc_login

    if environ.get("EARTHDATA_TOKEN"):
        return "EARTHDATA_TOKEN"
    if environ.get("EARTHDATA_USERNAME") and environ.get("EARTHDATA_PASSWORD"):
        return "EARTHDATA_USERNAME/EARTHDATA_PASSWORD"
    return f"~/.netrc ({EDL_HOST})" if netrc_login(netrc_file(environ)) else None


def credential_values(environ) -> tuple[list[str], list[str]]:
    """(usernames, secrets): the literal values that must never be written."""
    from helpers.auth import netrc_file, netrc_login

    users = [environ.get("EARTHDATA_USERNAME", "")]
    secrets = [environ.get("EARTHDATA_PASSWORD", ""), environ.get("EARTHDATA_TOKEN", "")]
    entry = netrc_login(netrc_file(environ))
    if entry:
        users.append(entry[0])
        secrets.append(entry[1])
    keep = sorted({v for v in users if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
    return keep, sorted({v for v in secrets if len(v) >= MIN_SECRET_LENGTH})


def _username_regex(name: str) -> re.Pattern[str]:
    """The account name as a whole word (not inside a longer name or path)."""
    return re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])")


def redact(text: str, usernames: list[str], secrets: list[str] = ()) -> str:
    """The account name replaced by a placeholder (and, for log lines, the secrets masked)."""
    for name in usernames:
        text = _username_regex(name).sub(USERNAME_PLACEHOLDER, text)
    for value in secrets:
        text = text.replace(value, "[secret]")
    return text


# --- what a notebook printed ----------------------------------------------------------------


def output_text(cell) -> str:
    """The text a code cell showed: streams, text/plain results, error lines."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(output.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
        elif kind == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def count_figures(nb) -> int:
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    )


def versions_chosen(nb) -> list[str]:
    """The versions the notebook says it chose, e.g. ``ATL03 007``, in order, without repeats."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in output_text(cell).splitlines():
            for pattern in VERSION_PATTERNS:
                match = pattern.search(line)
                if match:
                    what = match.groupdict().get("what")
                    item = f"{what} {match['version']}" if what else match["version"]
                    if item not in found:
                        found.append(item)
                    break
    return found


def search_counts(nb) -> list[int]:
    counts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for match in SEARCH_COUNT.finditer(output_text(cell)):
                counts.append(int(match["found"] or match["count"]))
    return counts


# A failed line of the setup check (helpers.check_setup: "[FAIL] Earthdata Login  ...").
SETUP_CHECK_FAILED = re.compile(r"^\[FAIL\]\s+(?P<line>.+)$", re.MULTILINE)


def setup_check_failures(nb) -> list[str]:
    return [
        " ".join(match["line"].split())
        for cell in nb.cells
        if cell.cell_type == "code"
        for match in SETUP_CHECK_FAILED.finditer(output_text(cell))
    ]


def first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return lines[0].strip() if lines else "(empty cell)"


# --- one notebook ---------------------------------------------------------------------------


@dataclass
class Result:
    notebook: Path
    code_cells: int
    figures_expected: int
    cells_run: int = 0
    figures: int = 0
    versions: list[str] = field(default_factory=list)
    searches: list[int] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    failed_cell: str = ""
    written: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        return "ok" if self.ok else "FAILED: " + "; ".join(self.problems)


def support_modules(folder: Path) -> list[Path]:
    """The Python modules beside the notebooks that are not a notebook's jupytext twin
    (``season_tasks.py``): a notebook run in another folder imports them from there."""
    return sorted(p for p in folder.glob("*.py") if not p.with_suffix(".ipynb").exists())


def run_notebook(
    path: Path, out: Path, workdir: Path, timeout: int, usernames: list[str], secrets: list[str]
) -> Result:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    committed = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i in code:
        nb.cells[i].outputs = []
        nb.cells[i].execution_count = None
    result = Result(path, len(code), count_figures(committed))
    expected_versions = versions_chosen(committed)
    expected_searches = search_counts(committed)

    workdir.mkdir(parents=True, exist_ok=True)
    for module in support_modules(path.parent):  # e.g. season_tasks.py, imported by notebook 04
        shutil.copy2(module, workdir / module.name)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(workdir)}},
        allow_errors=False,
        record_timing=False,
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = exc
    except Exception as exc:  # a kernel that does not start, a bad notebook
        error = exc
    result.seconds = time.perf_counter() - start

    result.cells_run = sum(1 for i in code if nb.cells[i].get("execution_count") is not None)
    if error is not None:
        failed = next(
            (i for i in code if any(o.output_type == "error" for o in nb.cells[i].outputs)), None
        )
        if failed is None:  # a timeout or a dead kernel: the first cell not finished
            failed = next((i for i in code if nb.cells[i].get("execution_count") is None), None)
            result.cells_run = max(0, result.cells_run - (failed is not None))
        else:
            result.cells_run -= 1
        kind = type(error).__name__
        detail = ""
        if failed is not None:
            cell = nb.cells[failed]
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                detail = f"{errors[0].ename}: {errors[0].evalue}".splitlines()[0][:300]
            else:
                detail = str(error).strip().splitlines()[-1][:300] if str(error).strip() else kind
            result.failed_cell = (
                f"cell {failed + 1} (code cell {code.index(failed) + 1} of {len(code)}): "
                f"{first_line(cell.source)!r}"
            )
            result.problems.append(
                f"{result.failed_cell} raised {redact(detail, usernames, secrets)}"
            )
        else:
            result.problems.append(f"{kind}: {redact(str(error), usernames, secrets)[:300]}")

    result.figures = count_figures(nb)
    result.versions = versions_chosen(nb)
    result.searches = search_counts(nb)
    if error is None:
        if result.figures != result.figures_expected:
            result.problems.append(
                f"{result.figures} figure(s) made, the committed notebook has "
                f"{result.figures_expected}"
            )
        if expected_versions and not result.versions:
            result.problems.append("no collection version reported (the committed run reports one)")
        if expected_searches and not result.searches:
            result.problems.append("no search result count printed (the committed run prints one)")
    for line in setup_check_failures(nb):
        result.problems.append(f"the setup check failed: {redact(line, usernames, secrets)}")
    if any(n == 0 for n in result.searches):
        result.problems.append("a search found nothing (a count of 0 in the outputs)")

    target = out / path.name
    text = redact(nbformat.writes(nb), usernames)
    target.write_text(text, encoding="utf-8")
    result.written = target
    return result


# --- secrets --------------------------------------------------------------------------------


def _scan_module():
    spec = importlib.util.spec_from_file_location(
        "scan_secrets", ROOT / "scripts" / "scan_secrets.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scan_secrets", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return sys.modules["scan_secrets"]


def find_secrets(paths: list[Path], usernames: list[str], secrets: list[str]) -> list:
    """Findings of scan_secrets.py plus the literal credential values, in the given files."""
    scan = _scan_module()
    extra = [
        scan.Pattern(f"the Earthdata Login secret #{i}", re.compile(re.escape(v)))
        for i, v in enumerate(secrets, 1)
    ]
    extra += [
        scan.Pattern(f"the Earthdata Login username #{i}", _username_regex(v))
        for i, v in enumerate(usernames, 1)
    ]
    findings, _ = scan.scan_paths([p for p in paths if p.exists()], extra)
    return findings


# --- the report -----------------------------------------------------------------------------


def mode_label(environ) -> tuple[bool, str]:
    from helpers.auth import in_sandbox  # the test the tutorials' login line uses

    if in_sandbox(environ):
        region = environ.get("EARTHDATA_SANDBOX_REGION", "us-west-2")
        return True, (
            "REHEARSAL against the Earthdata sandbox (synthetic practice data, region "
            f"{region}), NOT NASA's live services"
        )
    return False, "NASA's live services (real data)"


def write_report(
    out: Path,
    results: list[Result],
    label: str,
    rehearsal: bool,
    source: str,
    started: dt.datetime,
    secret_notes: list[str],
) -> Path:
    lines = []
    if rehearsal:
        lines += [
            "# Live-mode REHEARSAL (Earthdata sandbox, not NASA)",
            "",
            "> **This is a rehearsal against the Earthdata sandbox, not NASA.** The outputs come",
            "> from synthetic practice data served on this machine; it tests `make live` itself,",
            "> not the real services.",
        ]
    else:
        lines += ["# Live run of the tutorials against NASA"]
    failed = [r for r in results if not r.ok]
    outcome = (
        f"{len(failed)} of {len(results)} notebooks FAILED"
        if failed
        else f"all {len(results)} notebooks passed"
    )
    lines += [
        "",
        f"- Services: {label}",
        f"- Started: {started:%Y-%m-%d %H:%M:%S} UTC; Python {platform.python_version()}",
        f"- Credentials from: {source} (values never written)",
        f"- Result: {outcome}",
        "",
        "| Notebook | Cells run | Figures made | Versions chosen | Search counts | Time | Status |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        versions = ", ".join(r.versions) or "-"
        searches = ", ".join(map(str, r.searches)) or "-"
        lines.append(
            f"| {r.notebook.name} | {r.cells_run}/{r.code_cells} | "
            f"{r.figures}/{r.figures_expected} | {versions} | {searches} | {r.seconds:.0f} s | "
            f"{r.status.replace('|', '/')} |"
        )
    if failed:
        lines += ["", "## Failures", ""]
        for r in failed:
            for problem in r.problems:
                lines.append(f"- `{r.notebook.name}`: {problem}")
    if secret_notes:
        lines += ["", "## Credentials found in outputs (files deleted)", ""]
        lines += [f"- {note}" for note in secret_notes]
    lines += [
        "",
        "Cells run counts code cells that finished; figures compare the `image/png` outputs with",
        "the committed notebook's. The executed notebooks are next to this report.",
        "",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


# --- main -----------------------------------------------------------------------------------


def default_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN-*.ipynb")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument(
        "--check-credentials",
        action="store_true",
        help="only check that credentials are there (make book-live), run nothing",
    )
    parser.add_argument(
        "--refuse-sandbox",
        action="store_true",
        help="fail when EARTHDATA_SANDBOX is set (a live build must not run in the sandbox)",
    )
    parser.add_argument(
        "--scan",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="only scan these files or folders (make book-live: _build/html) for credentials",
    )
    args = parser.parse_args(argv)
    environ = os.environ
    if args.scan:
        usernames, secrets = credential_values(environ)
        findings = find_secrets(args.scan, usernames, secrets)
        for finding in findings:
            print(f"live.py: {finding}", file=sys.stderr)
        where = ", ".join(map(str, args.scan))
        if findings:
            print(f"live.py: {len(findings)} credential(s) in {where}", file=sys.stderr)
            return 1
        print(f"live.py: no credentials in {where}")
        return 0

    rehearsal, label = mode_label(environ)
    if args.refuse_sandbox and rehearsal:
        print(
            "live.py: EARTHDATA_SANDBOX is set: this is the Earthdata sandbox, not NASA. A live "
            "build must run outside `python -m sandbox run` (use `make book` for the sandbox).",
            file=sys.stderr,
        )
        return 2
    source = credential_source(environ)
    if source is None:
        print(NO_CREDENTIALS, file=sys.stderr)
        return 2
    if args.check_credentials:
        print(f"live.py: Earthdata Login credentials from {source}; services: {label}")
        return 0

    notebooks = [p.resolve() for p in (args.notebooks or default_notebooks())]
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing or not notebooks:
        print(f"live.py: no such notebook: {', '.join(missing) or '(none found)'}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    if any(out == p.parent for p in notebooks):
        print(
            f"live.py: --out {out} holds the notebooks themselves; choose another folder",
            file=sys.stderr,
        )
        return 2
    out.mkdir(parents=True, exist_ok=True)
    usernames, secrets = credential_values(environ)

    banner = f"live.py: {len(notebooks)} notebook(s) against {label}"
    print(("=" * 78 + "\n" if rehearsal else "") + banner + ("\n" + "=" * 78 if rehearsal else ""))
    started = dt.datetime.now(dt.UTC)
    results = []
    for path in notebooks:
        print(f"== {path.name} ...", flush=True)
        result = run_notebook(path, out, out / "work", args.timeout, usernames, secrets)
        results.append(result)
        print(
            f"   {result.status} ({result.cells_run}/{result.code_cells} cells, "
            f"{result.figures}/{result.figures_expected} figures, versions "
            f"{', '.join(result.versions) or '-'}, {result.seconds:.1f} s)",
            flush=True,
        )

    # No credential may leave in an output: scan the executed copies, delete the offending ones.
    secret_notes = []
    for result in results:
        findings = find_secrets([result.written], usernames, secrets)
        if findings:
            result.written.unlink()
            kinds = sorted({f.kind for f in findings})
            note = (
                f"{result.notebook.name}: {len(findings)} finding(s) ({', '.join(kinds)}); "
                "its executed copy was deleted"
            )
            secret_notes.append(note)
            result.problems.append("credentials in its outputs (executed copy deleted)")
            for finding in findings:
                print(f"live.py: {finding}", file=sys.stderr)
    report = write_report(out, results, label, rehearsal, source, started, secret_notes)
    findings = find_secrets([report], usernames, secrets)
    if findings:
        report.unlink()
        for finding in findings:
            print(f"live.py: {finding}", file=sys.stderr)
        print("live.py: the report held credentials and was deleted", file=sys.stderr)
        return 1

    failed = [r for r in results if not r.ok]
    print(
        f"live.py: report in {report}"
        + (" (REHEARSAL against the sandbox, not NASA)" if rehearsal else "")
    )
    for r in failed:
        for problem in r.problems:
            print(f"live.py: FAILED {r.notebook.name}: {problem}", file=sys.stderr)
    if failed:
        return 1
    print(f"live.py: all {len(results)} notebooks passed against {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
