"""Unmodified earthaccess against the sandbox, in a child Python started with the sandbox's
environment (and so with the guard), in both regions.

Each region runs ``earthaccess_steps.py`` once; it records every step's outcome as JSON (a failing
step records its error instead of hiding the others); the tests then check the outcomes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sandbox_http import run_python

from sandbox.config import EDL_USERNAME
from sandbox.granules.model import Granule
from sandbox.service import Sandbox

WRONG_LOGIN = r"""
import json, earthaccess
try:
    earthaccess.login(strategy="environment")
    print(json.dumps({"raised": None}))
except Exception as error:
    print(json.dumps({"raised": type(error).__name__, "message": str(error)}))
"""


STEPS = Path(__file__).with_name("earthaccess_steps.py")


@pytest.fixture(scope="module")
def in_region(sandbox_us: Sandbox) -> dict[str, Any]:
    return run_python(sandbox_us, STEPS.read_text(), timeout=300)


@pytest.fixture(scope="module")
def elsewhere(sandbox_elsewhere: Sandbox) -> dict[str, Any]:
    return run_python(sandbox_elsewhere, STEPS.read_text(), timeout=300)


def ok(results: dict[str, Any], name: str) -> Any:
    value = results[name]
    assert not (isinstance(value, dict) and "error" in value), value
    return value


def md5s(granules: list[Granule]) -> dict[str, str]:
    return {g.name: g.md5 for g in granules}


def test_login_and_region_detection(in_region: dict, elsewhere: dict) -> None:
    assert ok(in_region, "login") == {
        "authenticated": True,
        "in_region": True,
        "token_type": "Bearer",
    }
    assert ok(elsewhere, "login") == {
        "authenticated": True,
        "in_region": False,
        "token_type": "Bearer",
    }
    assert ok(in_region, "status") == {"Earthdata Login": "OK", "Common Metadata Repository": "OK"}


def test_wrong_credentials_fail_login(sandbox_us: Sandbox) -> None:
    outcome = run_python(sandbox_us, WRONG_LOGIN, EARTHDATA_PASSWORD="not-the-password")
    assert outcome["raised"] == "LoginAttemptFailure"
    assert "401" in outcome["message"] or "invalid_credentials" in outcome["message"]
    assert "not-the-password" not in outcome["message"]
    assert EDL_USERNAME  # the username may appear; the password never does


@pytest.mark.parametrize("region", ["in_region", "elsewhere"])
def test_search_datasets(region: str, request: pytest.FixtureRequest) -> None:
    datasets = ok(request.getfixturevalue(region), "datasets")
    assert datasets["atl03_cloud"] == ["C2596864127-NSIDC_CPRD", "C3326974349-NSIDC_CPRD"]
    assert datasets["pocloud"] == ["C1940473819-POCLOUD"]
    assert datasets["cloud"] == sorted(
        [
            "C2596864127-NSIDC_CPRD",
            "C3326974349-NSIDC_CPRD",
            "C2713030505-NSIDC_CPRD",
            "C0000000707-NSIDC_CPRD",  # today's ATL07 007 (no granules in the test catalog)
            "C1940473819-POCLOUD",
        ]
    )
    assert datasets["keyword_count"] == 1
    assert datasets["atl07_summary_has_cloud_info"] is True
    assert datasets["atl07_s3_links"] == [
        "nsidc-cumulus-prod-protected/ATLAS/ATL07/006",
        "nsidc-cumulus-prod-public/ATLAS/ATL07/006",
    ]


def test_search_data_with_each_parameter(in_region: dict, sandbox_us: Sandbox) -> None:
    found = ok(in_region, "granules")
    assert sandbox_us.catalog is not None
    records = sandbox_us.catalog.granules
    juneau = [
        r
        for r in records
        if r.granule.short_name == "ATL03"
        and r.granule.version == "006"
        and r.granule.bounding_box[0] < -130
    ]
    assert found["juneau_all"] == sorted(r.concept_id for r in juneau)
    assert found["juneau_day"] == sorted(r.concept_id for r in juneau if r.granule.begin.day == 15)
    assert set(found["juneau_cloud"]) == {
        "NSIDC_CPRD"
    }  # cloud_hosted=True picks the cloud provider
    assert found["concept_id"] == sum(
        1 for r in records if r.collection.concept_id == "C2596864127-NSIDC_CPRD"
    )
    assert found["provider"] == 6
    # the cloud record's GranuleUR is the file name; the on-premises one matches by its
    # ProducerGranuleId and has an ECS GranuleUR
    name = "ATL03_20181016124359_02590106_006_02.h5"
    assert found["granule_name"][0] == name and found["granule_name"][1].startswith("SC:ATL03.006:")
    assert len(found["granule_name"]) == 2
    assert found["day_night"] == ["Night"]
    assert found["antimeridian"] == 2 and found["pole"] == 2
    assert found["count"] == 4
    assert found["downloadable"] == 4
    assert found["cloud_hosted_flag"] is True
    assert found["size_mb"] > 0


def test_open_reads_hdf5_over_s3_in_region(in_region: dict) -> None:
    assert [kind for kind, _ in ok(in_region, "open_cloud")] == ["S3File", "S3File"]
    assert ok(in_region, "open_podaac")[0][0] == "S3File"
    on_premises = ok(in_region, "open_on_premises")
    assert on_premises[0][0] == "HTTPFile"  # on-premises data stay HTTPS even in us-west-2
    assert on_premises[0][1].startswith("ATL03_")


def test_open_reads_hdf5_over_https_elsewhere(elsewhere: dict) -> None:
    opened = ok(elsewhere, "open_cloud") + ok(elsewhere, "open_podaac")
    assert {kind for kind, _ in opened} == {"HTTPFile"}
    assert all(title.endswith((".h5", ".nc")) for _, title in opened)


def test_s3_credentials_by_daac_provider_and_results(in_region: dict, elsewhere: dict) -> None:
    expected = ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"]
    for results in (in_region, elsewhere):
        assert ok(results, "credentials") == {
            "daac": expected,
            "provider": expected,
            "results": expected,
        }


def test_s3_filesystem_lists_and_reads_in_region_only(in_region: dict, elsewhere: dict) -> None:
    listed = ok(in_region, "s3_filesystem")
    assert listed["listed"] == 1  # one ATL03 v006 granule of 2018-10-15 in the cloud
    assert bytes.fromhex(listed["head"]) == b"\x89HDF\r\n\x1a\n"
    refused = elsewhere["s3_filesystem"]
    assert "error" in refused and "PermissionError" in refused["error"]


@pytest.mark.parametrize("region", ["in_region", "elsewhere"])
def test_download_gets_the_exact_files_in_both_regions(
    region: str, request: pytest.FixtureRequest, granules: list[Granule]
) -> None:
    # earthaccess 0.18+ downloads from S3 in us-west-2 (0.17 raised FileExistsError there,
    # nsidc/earthaccess#1331) and over HTTPS elsewhere: the sandbox serves both, fakes neither.
    downloaded = ok(request.getfixturevalue(region), "download")
    assert len(downloaded) == 2
    expected = md5s(granules)
    assert all(expected[name] == digest for name, digest in downloaded.items())
    assert all(hashlib.md5(b"").hexdigest() != digest for digest in downloaded.values())
