"""environment.yml (conda-forge) lists what pyproject.toml needs, with the same version bounds.

Every requirement of pyproject.toml (its dependencies and its `sandbox` and `dev` extras) has a
conda-forge package in environment.yml with the same specifier; python's floor there is
requires-python; and environment.yml has nothing pyproject.toml does not ask for. A new
dependency in pyproject.toml fails here until its conda-forge name is checked and written below
and in environment.yml.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SELF = "earthdata-cloud-tutorials"

# PyPI name (canonical) -> the conda-forge packages that provide it; the first carries the
# version bounds. Each checked in the feedstock's recipe (package or output name), newest version.
CONDA_FORGE = {
    # anaconda.org/conda-forge/earthaccess lists noarch/earthaccess-0.18.0 (feedstock not stored)
    "earthaccess": ("earthaccess",),
    "xarray": ("xarray",),  # conda-forge/xarray-feedstock recipe/recipe.yaml (2026.4.0)
    "h5py": ("h5py",),  # conda-forge/h5py-feedstock recipe/meta.yaml (3.16.0)
    "h5netcdf": ("h5netcdf",),  # conda-forge/h5netcdf-feedstock recipe/meta.yaml (1.8.1)
    "isal": ("python-isal",),  # conda-forge/python-isal-feedstock recipe/meta.yaml (1.8.0)
    "aiohttp": ("aiohttp",),  # conda-forge/aiohttp-feedstock recipe/meta.yaml (3.13.5)
    "s3fs": ("s3fs",),  # conda-forge/s3fs-feedstock recipe/meta.yaml (2026.4.0)
    "numpy": ("numpy",),  # conda-forge/numpy-feedstock recipe/recipe.yaml (2.5.1)
    "pandas": ("pandas",),  # conda-forge/pandas-feedstock recipe/recipe.yaml (3.0.3)
    # conda-forge/matplotlib-feedstock recipe/meta.yaml, output matplotlib-base (3.11.0)
    "matplotlib": ("matplotlib-base",),
    "cartopy": ("cartopy",),  # conda-forge/cartopy-feedstock recipe/meta.yaml (0.25.0)
    "pyresample": ("pyresample",),  # conda-forge/pyresample-feedstock recipe/meta.yaml (1.35.0)
    "requests": ("requests",),  # conda-forge/requests-feedstock recipe/recipe.yaml (2.33.1)
    # conda-forge/dask-feedstock recipe/recipe.yaml (2026.6.0),
    # conda-forge/distributed-feedstock recipe/recipe.yaml (2026.3.0)
    "dask": ("dask", "distributed"),
    # conda-forge/moto-feedstock recipe/meta.yaml (5.1.22); [server]: conda-forge/flask-feedstock
    # recipe/meta.yaml (3.1.2), conda-forge/flask-cors-feedstock recipe/recipe.yaml (6.0.5)
    "moto": ("moto", "flask", "flask-cors"),
    "trustme": ("trustme",),  # conda-forge/trustme-feedstock recipe/meta.yaml (1.2.1)
    "werkzeug": ("werkzeug",),  # conda-forge/werkzeug-feedstock recipe/recipe.yaml (3.1.8)
    "boto3": ("boto3",),  # conda-forge/boto3-feedstock recipe/meta.yaml (1.43.78)
    "jsonschema": ("jsonschema",),  # conda-forge/jsonschema-feedstock recipe/recipe.yaml (4.26.0)
    # conda-forge/referencing-feedstock recipe/recipe.yaml (0.37.0)
    "referencing": ("referencing",),
    "shapely": ("shapely",),  # conda-forge/shapely-feedstock recipe/meta.yaml (2.1.2)
    "pyyaml": ("pyyaml",),  # conda-forge/pyyaml-feedstock recipe/meta.yaml (6.0.3)
    "pyshp": ("pyshp",),  # conda-forge/pyshp-feedstock recipe/meta.yaml (3.0.9)
    "netcdf4": ("netcdf4",),  # conda-forge/netcdf4-feedstock recipe/recipe.yaml (1.7.4)
    # conda-forge/jupyter-book-feedstock recipe/recipe.yaml (2.1.5; 1.0.4.post1 the last 1.x)
    "jupyter-book": ("jupyter-book",),
    "jupytext": ("jupytext",),  # conda-forge/jupytext-feedstock recipe/meta.yaml (1.19.4)
    "nbval": ("nbval",),  # conda-forge/nbval-feedstock recipe/meta.yaml (0.11.0)
    "ipykernel": ("ipykernel",),  # conda-forge/ipykernel-feedstock recipe/recipe.yaml (7.2.0)
    "jupyterlab": ("jupyterlab",),  # conda-forge/jupyterlab-feedstock recipe/meta.yaml (4.5.6)
    "pytest": ("pytest",),  # conda-forge/pytest-feedstock recipe/recipe.yaml (9.1.1)
    # conda-forge/pytest-timeout-feedstock recipe/meta.yaml (2.4.0)
    "pytest-timeout": ("pytest-timeout",),
    "cryptography": ("cryptography",),  # conda-forge/cryptography-feedstock recipe/recipe.yaml
    "ruff": ("ruff",),  # conda-forge/ruff-feedstock recipe/recipe.yaml (0.16.2)
    "pre-commit": ("pre-commit",),  # conda-forge/pre-commit-feedstock recipe/meta.yaml
    "h5coro": ("h5coro",),  # conda-forge/h5coro-feedstock recipe/meta.yaml (1.0.5)
}
# In environment.yml without a counterpart in pyproject.toml: the interpreter (checked against
# requires-python; conda-forge/python-feedstock recipe/meta.yaml, branch 3.12: 3.12.13) and pip
# (conda-forge/pip-feedstock recipe/meta.yaml, 26.0.1).
CONDA_ONLY = {"python", "pip"}

_MATCH_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements() -> dict[str, Requirement]:
    """pyproject.toml's requirements by canonical name, extras included, the self-reference not."""
    project = _pyproject()["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    found: dict[str, Requirement] = {}
    for line in lines:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == SELF:
            continue
        assert name not in found, f"{req.name} is required twice in pyproject.toml"
        found[name] = req
    return found


def _environment() -> tuple[dict[str, SpecifierSet], dict[str, SpecifierSet]]:
    """environment.yml's conda packages, and its `pip:` ones (PyPI names), with their specifiers."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, SpecifierSet] = {}
    pip: dict[str, SpecifierSet] = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # a `pip:` list of PyPI requirements
            for line in entry["pip"]:
                req = Requirement(line)
                name = canonicalize_name(req.name)
                assert name not in pip, f"{name} is listed twice under pip: in environment.yml"
                pip[name] = req.specifier
            continue
        match = _MATCH_SPEC.match(str(entry))
        assert match, f"environment.yml: cannot read {entry!r}"
        name, spec = match.group(1).lower(), match.group(2).replace(" ", "")
        assert name not in conda, f"{name} is listed twice in environment.yml"
        conda[name] = SpecifierSet(spec)  # a conda spec that is not PEP 440 fails here
    return conda, pip


def test_environment_yml_is_for_conda_forge_with_pip() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "pip" in _environment()[0]


def test_python_floor_is_requires_python() -> None:
    requires_python = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert _environment()[0]["python"] == requires_python


@pytest.mark.parametrize("name", sorted(_requirements()))
def test_each_requirement_has_its_conda_forge_package(name: str) -> None:
    req = _requirements()[name]
    assert name in CONDA_FORGE, (
        f"{req.name} is new in pyproject.toml: find its conda-forge package (its feedstock's "
        "recipe), add it to CONDA_FORGE here and to environment.yml with the same bounds"
    )
    env, pip = _environment()
    if name in pip:  # not on conda-forge: installed from PyPI by environment.yml's `pip:` list
        assert pip[name] == req.specifier, f"{name}: pip {pip[name]} != pyproject {req.specifier}"
        return
    main, *companions = CONDA_FORGE[name]
    assert main in env, f"environment.yml lacks {main} (for {req})"
    assert env[main] == req.specifier, f"{main}: {env[main]} != pyproject {req.specifier}"
    for companion in companions:
        assert companion in env, f"environment.yml lacks {companion} (for {req})"


def test_environment_yml_has_nothing_pyproject_does_not_ask_for() -> None:
    needed = set(CONDA_ONLY)
    for name in _requirements():
        needed.add(name)
        needed.update(CONDA_FORGE.get(name, ()))
    conda, pip = _environment()
    extra = sorted((set(conda) | set(pip)) - needed)
    assert not extra, f"environment.yml has packages pyproject.toml does not need: {extra}"


def test_mapping_has_no_stale_entries() -> None:
    stale = sorted(set(CONDA_FORGE) - set(_requirements()))
    assert not stale, f"CONDA_FORGE maps packages pyproject.toml no longer needs: {stale}"
