"""The helpers package: its public API, its size, and the rules every public function follows.

Issue #18 set the limits: a learner reads `helpers` in one sitting, and everything it offers is
used by a notebook or a book page (anything else belongs in the notebooks or in earthaccess).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "helpers"
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]))

MAX_PUBLIC_NAMES = 30
MAX_MODULE_LINES = 400
MAX_PACKAGE_LINES = 2_500


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_public_api_is_explicit_and_small() -> None:
    assert len(helpers.__all__) == len(set(helpers.__all__))
    for name in helpers.__all__:
        assert hasattr(helpers, name), name
    assert len(helpers.__all__) <= MAX_PUBLIC_NAMES, sorted(helpers.__all__)


def test_every_public_name_is_used_by_a_notebook_or_a_book_page() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "notebooks").glob("*.py"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book").glob("*.md"))]
    corpus = "\n".join(texts)
    errors = set(helpers.errors.__all__)
    unused = [
        name
        for name in helpers.__all__
        if name not in errors and not re.search(rf"\b{re.escape(name)}\b", corpus)
    ]
    assert not unused, f"public but used by no notebook or book page: {unused}"


def test_notebooks_use_only_the_public_api() -> None:
    """``helpers.x.y`` (a module's insides) in a notebook bypasses the public API."""
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"\bhelpers\.([A-Za-z_]+)\b", text):
            assert name in helpers.__all__, f"{path.name} uses helpers.{name}, not in __all__"


def test_the_package_is_small_enough_to_read_in_one_sitting() -> None:
    sizes = {p.name: _lines(p) for p in sorted(PACKAGE.glob("*.py"))}
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"
    total = sum(_lines(p) for p in PACKAGE.rglob("*.py"))
    assert total < MAX_PACKAGE_LINES, f"helpers/ has {total} lines ({sizes})"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_function_is_typed_and_has_a_runnable_example(module_name) -> None:
    module = importlib.import_module(f"helpers.{module_name}")
    assert module.__doc__
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # constants
        if isinstance(obj, type) and issubclass(obj, helpers.HelpersError):
            continue  # errors: the next test
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc and ">>>" in doc, f"{module_name}.{name} has no example"
        if inspect.isfunction(obj):
            hints = inspect.get_annotations(obj)
            assert "return" in hints, f"{module_name}.{name} has no return type"
            params = inspect.signature(obj).parameters
            assert all(p in hints for p in params), f"{module_name}.{name} lacks parameter types"


def test_errors_share_a_base_and_read_plainly() -> None:
    for name in helpers.errors.__all__:
        cls = getattr(helpers.errors, name)
        assert issubclass(cls, helpers.HelpersError)
        assert cls.__doc__, name
        assert str(cls("what was asked; what exists; what to do")) == (
            "what was asked; what exists; what to do"
        )
