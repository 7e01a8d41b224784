"""Clients page through more than 2000 hits, and temporary S3 credentials really expire.

A third sandbox instance serves the session's granules plus 2100 on-premises-only records and
issues S3 credentials that live two seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_factories import many_on_premises_granules
from sandbox_http import run_python

from sandbox.granules.model import Granule
from sandbox.service import Sandbox

MANY = 2100
TTL_S = 2.0

PAGING = """
import json, warnings
warnings.filterwarnings("error", category=DeprecationWarning, module="__main__|helpers|sandbox")
warnings.filterwarnings("error", category=FutureWarning, module="__main__|helpers|sandbox")
import earthaccess
earthaccess.login(strategy="environment")
query = {"short_name": "ATL03", "provider": "NSIDC_ECS"}
found = earthaccess.search_data(**query, temporal=("2019-01-01", None))
hits = earthaccess.granule_query().parameters(**query).hits()
print(json.dumps({"hits": hits, "ids": [g["meta"]["concept-id"] for g in found]}))
"""

EXPIRY = """
import json, time, warnings
warnings.filterwarnings("error", category=DeprecationWarning, module="__main__|helpers|sandbox")
warnings.filterwarnings("error", category=FutureWarning, module="__main__|helpers|sandbox")
import earthaccess
earthaccess.login(strategy="environment")
fs = earthaccess.get_s3_filesystem(daac="NSIDC")
path = fs.ls("nsidc-cumulus-prod-protected/ATLAS/ATL03/006/2018/10/15/")[0]
opened = fs.open(path, "rb", cache_type="none")
first = opened.read(4).hex()
time.sleep(%(wait)s)
fs.invalidate_cache()
outcome = {}
try:
    opened.seek(0)
    opened.read(4)
    outcome["get"] = "read"
except Exception as error:
    outcome["get"] = type(error).__name__ + ": " + str(error)
try:
    fs.open(path, "rb", cache_type="none")
    outcome["head"] = "opened"
except Exception as error:
    outcome["head"] = type(error).__name__ + ": " + str(error)
print(json.dumps({"first": first, **outcome}))
"""


@pytest.fixture(scope="module")
def sandbox_many(
    granules: list[Granule], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    extra = many_on_premises_granules(tmp_path_factory.mktemp("many"), MANY)
    sandbox = Sandbox(
        "us-west-2",
        port_base=0,
        cache_dir=tmp_path_factory.mktemp("cache-many"),
        credentials_ttl=TTL_S,
        granules=[*granules, *extra],
    ).start()
    yield sandbox
    sandbox.stop()


def test_earthaccess_pages_past_2000_hits_without_repeats(sandbox_many: Sandbox) -> None:
    result: dict[str, Any] = run_python(sandbox_many, PAGING, timeout=300)
    assert sandbox_many.catalog is not None
    expected = {
        r.concept_id
        for r in sandbox_many.catalog.granules
        if r.provider == "NSIDC_ECS"
        and r.granule.short_name == "ATL03"
        and r.granule.begin.year >= 2019
    }
    assert len(expected) == MANY
    assert len(result["ids"]) == len(set(result["ids"])) == MANY
    assert set(result["ids"]) == expected
    assert result["hits"] > MANY  # without the temporal filter, the 2018 granules count too


def test_s3_credentials_from_the_endpoint_expire_and_reads_then_fail(sandbox_many: Sandbox) -> None:
    result = run_python(sandbox_many, EXPIRY % {"wait": TTL_S + 0.5}, timeout=120)
    assert result["first"] == "89484446"  # b"\\x89HDF"
    # GET: S3's ExpiredToken error document, which s3fs turns into PermissionError
    assert result["get"].startswith("PermissionError")
    assert "The provided token has expired" in result["get"]
    # HEAD (a fresh open): S3 sends 400 without a body, so s3fs can only say "Bad Request"
    assert result["head"] == "OSError: [Errno 22] Bad Request"
