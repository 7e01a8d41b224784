"""Notebook 01's plain CMR request (section 6) through the sandbox's injected faults.

The cell is taken from the notebook itself (with its import cell) and run in a child Python under
the sandbox, as a learner's kernel runs it. CMR's temporary 503 ("please try your request again
later", sandbox/faults.py) is retried by the session's urllib3 ``Retry``; the same cell with a
bare ``requests.get`` fails on it, which shows the fault reaches this request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupytext
import pytest
from sandbox_factories import small_catalog
from sandbox_http import run_python

from sandbox.faults import parse_profile
from sandbox.service import Sandbox

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01-cloud-collection-search.py"
CMR_503_TWICE = [{"service": "cmr", "kind": "error", "status": 503, "count": 2}]


def _cell(marker: str) -> str:
    """The source of notebook 01's one code cell that contains `marker` (magics left out)."""
    cells = [c.source for c in jupytext.read(NOTEBOOK).cells if c.cell_type == "code"]
    found = [c for c in cells if marker in c]
    assert len(found) == 1, f"{len(found)} code cells of {NOTEBOOK.name} contain {marker!r}"
    return "\n".join(line for line in found[0].splitlines() if not line.startswith("%"))


SCRIPT = """
import json, traceback
{imports}
version, JUNEAU_BBOX = "006", (-135.1977, 58.3325, -133.3410, 58.9839)
granules = {{"NSIDC_CPRD": []}}  # the notebook's earthaccess search, only printed by the cell
result = {{}}
try:
{request}
    result["hits"] = response.headers["CMR-Hits"]
    result["items"] = [item["umm"]["GranuleUR"] for item in response.json()["items"]]
except Exception as error:
    result["raised"] = type(error).__name__
    result["message"] = str(error)[:300]
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """run(cell_source, rules) -> (the child's JSON, the faults injected), each on a new sandbox."""
    started: list[Sandbox] = []
    granules = small_catalog(tmp_path_factory.mktemp("cmr-request-granules"))

    def run(request: str, rules: list[dict]) -> tuple[dict, int]:
        box = Sandbox("us-west-2", port_base=0, granules=granules,  # type: ignore[arg-type]
                      cache_dir=tmp_path_factory.mktemp("cmr-request"),
                      faults=parse_profile({"seed": 1, "rules": rules}, "test") if rules else None,
                      ).start()  # fmt: skip
        started.append(box)
        indented = "\n".join("    " + line for line in request.splitlines())
        script = SCRIPT.format(imports=_cell("import requests"), request=indented)
        result = run_python(box, script, timeout=180)
        return result, sum(box.faults.counts.values()) if box.faults else 0

    yield run
    for box in started:
        box.stop()


def test_the_cells_request_is_answered_without_faults(sandbox) -> None:
    result, faults = sandbox(_cell("granules.umm_json"), [])
    assert faults == 0 and "raised" not in result, result
    assert int(result["hits"]) >= len(result["items"]) > 0


def test_cmr_s_temporary_503_is_retried_by_the_cells_session(sandbox) -> None:
    result, faults = sandbox(_cell("granules.umm_json"), CMR_503_TWICE)
    assert faults == 2 and "raised" not in result, result
    assert int(result["hits"]) >= len(result["items"]) > 0


def test_a_bare_requests_get_fails_on_the_same_faults(sandbox) -> None:
    cell = _cell("granules.umm_json")
    bare = cell.replace("response = session.get(", "response = requests.get(")
    assert bare != cell, "the cell no longer sends its request with session.get"
    result, faults = sandbox(bare, CMR_503_TWICE)
    assert faults == 1 and result.get("raised") == "HTTPError", result
    assert "503" in result["message"], result
