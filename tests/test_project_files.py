"""The files of an open project: licence, citation, contributing guide, hooks and workflows.

`CITATION.cff` is validated against the Citation File Format 1.2.0 JSON schema, kept in
`tests/data/cff/` (see its README) so that nothing is fetched. The licence, the version and the
repository URL must agree between `LICENSE`, `CITATION.cff`, `pyproject.toml` and `_config.yml`,
and the README and the book's introduction must link the three files. The workflows are checked
for what `scripts/lint_workflows.sh` cannot see without its tools: pinned actions, no secret
interpolated into a script, least privilege.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "data" / "cff" / "schema-1.2.0.json"
REPOSITORY = "https://github.com/earthdata-cloud-tutorials/earthdata-cloud-tutorials"
PROJECT_FILES = ("LICENSE", "CITATION.cff", "CONTRIBUTING.md")
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

# The first line of each licence text this test recognises, by SPDX identifier.
LICENSE_HEADINGS = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3"}


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _citation() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _pyproject_license() -> str:
    """The SPDX identifier of pyproject.toml: ``license = "MIT"`` or ``{ text = "MIT" }``."""
    value = _pyproject()["license"]
    return value if isinstance(value, str) else value["text"]


def test_citation_is_valid_cff_1_2_0() -> None:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))  # JSON is YAML
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    citation = _citation()
    errors = sorted(validator.iter_errors(citation), key=lambda e: list(e.absolute_path))
    assert not errors, "CITATION.cff does not follow CFF 1.2.0:\n" + "\n".join(
        f"- {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors
    )
    assert citation["cff-version"] == "1.2.0"


def test_schema_check_catches_mistakes() -> None:
    """The validation is not vacuous: a misspelt key and a missing author are refused."""
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    bad = dict(_citation(), **{"date_released": "2026-12-04"})
    del bad["authors"]
    messages = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(bad)]
    assert any("date_released" in m for m in messages), messages
    assert any("'authors' is a required property" in m for m in messages), messages


def test_citation_matches_the_project() -> None:
    citation = _citation()
    assert citation["version"] == _pyproject()["version"], (
        "CITATION.cff's version must be pyproject.toml's: bump them together"
    )
    assert citation["license"] == _pyproject_license()
    assert citation["repository-code"] == REPOSITORY
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == REPOSITORY
    assert citation["type"] == "software"
    assert citation["authors"] == [{"name": "The Earthdata Cloud Tutorials contributors"}]


def test_license_file_matches_pyproject() -> None:
    spdx = _pyproject_license()
    assert spdx in LICENSE_HEADINGS, f"no known licence heading for {spdx!r}"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith(LICENSE_HEADINGS[spdx]), (
        f"LICENSE does not start like the {spdx} licence that pyproject.toml declares"
    )
    assert "Copyright (c) 2026 The Earthdata Cloud Tutorials contributors" in text
    if spdx == "MIT":
        assert "Permission is hereby granted, free of charge" in text


def _link_targets(markdown: str) -> set[str]:
    """The targets of the Markdown links ``[text](target)`` of a page."""
    return set(re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", markdown))


@pytest.mark.parametrize("name", PROJECT_FILES)
def test_readme_links_project_files(name: str) -> None:
    assert (ROOT / name).is_file()
    targets = _link_targets((ROOT / "README.md").read_text(encoding="utf-8"))
    assert name in targets, f"README.md should link {name} (a relative link)"


@pytest.mark.parametrize("name", PROJECT_FILES)
def test_book_intro_links_project_files(name: str) -> None:
    # The book is built with --warningiserror: files outside the book are linked on GitHub.
    targets = _link_targets((ROOT / "book" / "intro.md").read_text(encoding="utf-8"))
    assert f"{REPOSITORY}/blob/main/{name}" in targets, f"book/intro.md should link {name}"


def test_contributing_names_files_that_exist() -> None:
    """Every repository path that CONTRIBUTING.md names in backticks exists (no placeholders)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    top = r"(?:\.github|book|helpers|notebooks|sandbox|scripts|tests)"
    paths = set(re.findall(rf"`({top}/[^`\s]*)`", text))
    assert paths
    missing = sorted(p for p in paths if "NN-" not in p and not (ROOT / p).exists())
    assert not missing, f"CONTRIBUTING.md names paths that do not exist: {missing}"


def test_pre_commit_hooks_run_offline() -> None:
    """Only local hooks: pre-commit clones nothing, so `make lint` works without the network."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repos = config["repos"]
    assert {repo["repo"] for repo in repos} <= {"local", "meta"}
    hooks = {hook["id"]: hook for repo in repos for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "jupytext-pairs"} <= set(hooks)
    for hook in hooks.values():
        assert hook["entry"].startswith(".venv/bin/"), hook["id"]  # the project's pinned tools
    assert "tests/test_notebooks_paired.py" in hooks["jupytext-pairs"]["entry"]


# --- the GitHub workflows ---------------------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)


def _workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pages.yml", "live.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_actions_are_pinned(path: Path) -> None:
    uses = USES.findall(path.read_text(encoding="utf-8"))
    assert uses
    for ref, rest in uses:
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{ref}: not pinned to a SHA"
        assert re.fullmatch(r"\s*#\s*v\d+(\.\d+)*\s*", rest), f"{ref}: no version comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_least_privilege(path: Path) -> None:
    workflow = _workflow(path)
    assert workflow["permissions"] == {}, "top-level permissions: {} (raise them per job)"
    for name, job in workflow["jobs"].items():
        assert "timeout-minutes" in job, f"job {name} has no timeout"
        assert "permissions" in job, f"job {name} does not say which permissions it needs"
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= {"pages", "id-token"}, f"job {name} writes {writes}"
        if writes:
            assert job.get("environment", {}).get("name") == "github-pages", name
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"job {name}: checkout"
            # Secrets reach scripts only through env:, never interpolated into the script.
            run = step.get("run", "")
            assert not re.search(r"\$\{\{[^}]*secrets\.", run), f"job {name}: secret in run:"


def test_workflows_run_the_readme_commands() -> None:
    jobs = {p.name: _workflow(p)["jobs"] for p in WORKFLOWS}
    runs = {
        name: [step.get("run", "") for job in j.values() for step in job.get("steps", [])]
        for name, j in jobs.items()
    }
    assert "make test" in runs["ci.yml"]
    assert "make book" in runs["pages.yml"] and "make book-live" in runs["pages.yml"]
    assert any("make live" in run for run in runs["live.yml"])
    on = _workflow(ROOT / ".github" / "workflows" / "live.yml")["on"]
    assert "schedule" in on and "workflow_dispatch" in on
