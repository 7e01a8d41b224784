"""The helpers package: its public API, and the rules every public function follows."""

from __future__ import annotations

import importlib
import inspect

import pytest

import helpers

MODULES = ["attrs", "auth", "errors", "maps", "readers", "s3", "tables"]


def test_public_api_is_explicit() -> None:
    assert len(helpers.__all__) == len(set(helpers.__all__))
    for name in helpers.__all__:
        assert hasattr(helpers, name), name


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_function_is_typed_and_has_a_runnable_example(module_name) -> None:
    module = importlib.import_module(f"helpers.{module_name}")
    assert module.__doc__
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # constants
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
        assert str(cls("what was asked; what exists; what to do")) == (
            "what was asked; what exists; what to do"
        )
