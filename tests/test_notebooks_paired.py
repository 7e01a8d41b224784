"""Each tutorial notebook and its Jupytext percent-format twin hold the same cells."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
PYS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))


def _cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    nb = jupytext.read(path)
    return [
        (cell.cell_type, cell.source.strip(), tuple(cell.metadata.get("tags", ())))
        for cell in nb.cells
    ]


def test_every_notebook_has_a_pair() -> None:
    stems_ipynb = {p.stem for p in IPYNBS}
    stems_py = {p.stem for p in PYS}
    assert stems_ipynb == stems_py, (
        f"unpaired notebooks: only .ipynb {sorted(stems_ipynb - stems_py)}, "
        f"only .py {sorted(stems_py - stems_ipynb)}; run `jupytext --sync notebooks/<name>.py`"
    )


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_pair_in_sync(ipynb: Path) -> None:
    py = ipynb.with_suffix(".py")
    a, b = _cells(ipynb), _cells(py)
    for i, (ca, cb) in enumerate(zip(a, b, strict=False)):
        assert ca == cb, (
            f"{ipynb.name} and {py.name} differ at cell {i}; edit the .py, then run "
            f"`jupytext --sync notebooks/{py.name}` and re-execute under the sandbox"
        )
    assert len(a) == len(b), f"{ipynb.name} has {len(a)} cells, {py.name} has {len(b)}"


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.stem)
def test_committed_outputs_are_complete(ipynb: Path) -> None:
    """Outputs come from a full top-to-bottom run: every code cell ran, in order, none failed."""
    nb = jupytext.read(ipynb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert all(n is not None for n in counts), f"{ipynb.name}: some code cells were not executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{ipynb.name}: cells were not run once, top to bottom ({counts})"
    )
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors, f"{ipynb.name}: committed outputs contain errors: {errors[:1]}"
