"""The project's shared reference material (official UMM schemas, recorded CMR responses).

A copy lives in ``tests/data/reference`` (see its README for sources and licences);
``EARTHDATA_SHARED`` overrides the location.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``$EARTHDATA_SHARED`` or ``tests/data/reference``; fails clearly when missing."""
    path = Path(os.environ.get("EARTHDATA_SHARED", REPO / "tests" / "data" / "reference"))
    if not (path / "schemas").is_dir():
        raise FileNotFoundError(
            f"the shared reference folder {path} (with schemas/ and cmr-samples/) is missing; "
            "set EARTHDATA_SHARED to its location"
        )
    return path


def load_json(relative: str) -> Any:
    """A JSON file of the shared folder."""
    return json.loads((shared_dir() / relative).read_text())


@cache
def validator(relative: str) -> jsonschema.protocols.Validator:
    """A validator for a schema file whose sibling files resolve by file name."""
    path = shared_dir() / relative
    resources = []
    for sibling in path.parent.glob("*.json"):
        contents = json.loads(sibling.read_text())
        resources.append(
            (sibling.name, Resource.from_contents(contents, default_specification=DRAFT7))
        )
    registry = Registry().with_resources(resources)
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def umm_errors(relative: str, document: Any) -> list[str]:
    """Every validation error of ``document`` against a shared schema, as readable lines."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(relative).iter_errors(document)
    ]


def load_cassette(relative: str = "cmr-samples/cassette_data_links.yaml") -> list[dict[str, Any]]:
    """The recorded interactions of a vcrpy cassette."""
    import yaml

    return yaml.safe_load((shared_dir() / relative).read_text())["interactions"]
