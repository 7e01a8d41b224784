"""Loaded by every Python process the Earthdata sandbox starts (its directory leads PYTHONPATH).

Installs the sandbox's network guard (``sandbox/guard.py``) and, when the environment names them,
the resolution of the emulated NASA host names to the sandbox's loopback servers
(``sandbox/resolver.py``; both loaded by path so that nothing is added to ``sys.path``), then runs
the ``sitecustomize`` this file shadows, if any (a distribution's or a virtual environment's), so
that nothing else changes.
"""

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str, path: str) -> None:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def _install_guard() -> None:
    _load("_earthdata_sandbox_guard", os.path.join(os.path.dirname(_HERE), "guard.py"))
    sys.modules["_earthdata_sandbox_guard"].install()


def _install_resolver() -> None:
    _load("_earthdata_sandbox_resolver", os.path.join(os.path.dirname(_HERE), "resolver.py"))
    sys.modules["_earthdata_sandbox_resolver"].install_from_environment(os.environ)


def _run_shadowed_sitecustomize() -> None:
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is not None and spec.origin:
        _load("_shadowed_sitecustomize", spec.origin)


_install_guard()
_install_resolver()
_run_shadowed_sitecustomize()
