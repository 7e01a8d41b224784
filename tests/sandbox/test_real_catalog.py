"""The generator's real catalog served by the sandbox: valid records, resolvable links, the
tutorials' searches find their granules, and the sandbox starts quickly once granules are cached.

The first run on a machine generates the granules (minutes); later runs reuse the cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from sandbox_http import check_links_resolve, edl_token, session
from sandbox_shared import umm_errors

from sandbox.granules import ensure_granules
from sandbox.granules.model import Granule
from sandbox.service import Sandbox

JUNEAU = "-135.1977,58.3325,-133.341,58.9839"
PAIRING = "-62.8,81.7,-56.4,83.0"
CMR = "https://cmr.earthdata.nasa.gov/search"
START_BUDGET_S = 10.0


@pytest.fixture(scope="module")
def real_granules() -> list[Granule]:
    return ensure_granules()


@pytest.fixture(scope="module")
def real(
    real_granules: list[Granule], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Sandbox, float]]:
    started = time.monotonic()
    sandbox = Sandbox(
        port_base=0, cache_dir=tmp_path_factory.mktemp("cache-real"), granules=real_granules
    ).start()
    yield sandbox, time.monotonic() - started
    sandbox.stop()


@pytest.fixture(scope="module")
def http(real: tuple[Sandbox, float]) -> requests.Session:
    s = session(real[0])
    s.headers["Authorization"] = f"Bearer {edl_token(real[0])}"
    return s


def hits(http: requests.Session, **params: str) -> int:
    response = http.get(f"{CMR}/granules.umm_json", params={**params, "page_size": 0}, timeout=30)
    assert response.status_code == 200, response.text
    return int(response.headers["CMR-Hits"])


def test_starts_within_the_budget_once_granules_are_cached(real: tuple[Sandbox, float]) -> None:
    sandbox, seconds = real
    assert sandbox.s3_bytes > 100e6
    assert seconds < START_BUDGET_S


def test_every_real_record_validates(real: tuple[Sandbox, float]) -> None:
    catalog = real[0].catalog
    assert catalog is not None
    for record in catalog.granules:
        assert umm_errors("schemas/umm-g-1.6.6/umm-g-json-schema.json", record.umm) == [], (
            record.granule_ur
        )
    for collection in catalog.collections:
        assert umm_errors("schemas/umm-c-1.18.6/umm-c-json-schema.json", collection.umm) == []


def test_every_real_link_resolves(real: tuple[Sandbox, float], http: requests.Session) -> None:
    checked = check_links_resolve(real[0], http)
    assert checked["https"] > 30 and checked["s3"] > 20


def test_the_tutorial_searches_find_their_granules(http: requests.Session) -> None:
    juneau = hits(
        http, short_name="ATL03", version="007", provider="NSIDC_CPRD", bounding_box=JUNEAU
    )
    assert juneau >= 3
    day = "2019-06-22T00:00:00Z,2019-06-22T23:59:59Z"
    assert (
        hits(http, short_name="ATL07", provider="NSIDC_CPRD", bounding_box=PAIRING, temporal=day)
        >= 1
    )
    assert hits(http, short_name="MODIS_A-JPL-L2P-v2019.0", bounding_box=PAIRING, temporal=day) >= 1


def collections(http: requests.Session, **params: str) -> list[tuple[str, str, str]]:
    response = http.get(f"{CMR}/collections.umm_json", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return sorted(
        (item["umm"]["ShortName"], item["umm"]["Version"], item["meta"]["provider-id"])
        for item in response.json()["items"]
    )


def test_the_catalog_is_todays(http: requests.Session) -> None:
    """NASA's catalog as of 2026-12-04 (sources: sandbox/README.md, "Sources for the catalog").

    - ATL03.006, ATL06.006 and ATL07.006 are in NSIDC's "retired" OAI-PMH set (records dated
      2026-02-17, 2026-05-01, 2026-04-30): a default search finds no 006.
    - NSIDC's on-premises ICESat-2 copies (NSIDC_ECS) are retired (NSIDC-Data-Tutorials PR #97,
      "Is2 ecs decom", 2025-07-16): none is listed.
    - ATL03 007 is C3326974349-NSIDC_CPRD, cloud-optimized since 2025-07-31; ATL07 007 is in
      NSIDC_CPRD (its concept id is a labelled stand-in).
    - PO.DAAC granules link https, s3 ("GET DATA VIA DIRECT ACCESS") and OPeNDAP ("USE SERVICE
      API" / "OPENDAP DATA"), in the order of the recorded 2024 POCLOUD record.
    """
    assert collections(http, short_name="ATL03") == [("ATL03", "007", "NSIDC_CPRD")]
    assert collections(http, short_name="ATL07") == [("ATL07", "007", "NSIDC_CPRD")]
    for short_name in ("ATL03", "ATL07"):
        assert hits(http, short_name=short_name, version="006") == 0
        assert collections(http, short_name=short_name, provider="NSIDC_ECS") == []
    items = http.get(
        f"{CMR}/collections.umm_json", params={"short_name": "ATL03"}, timeout=30
    ).json()["items"]
    assert items[0]["meta"]["concept-id"] == "C3326974349-NSIDC_CPRD"
    atl07 = http.get(
        f"{CMR}/collections.umm_json", params={"short_name": "ATL07"}, timeout=30
    ).json()["items"][0]
    attributes = {a["Name"]: a["Value"] for a in atl07["umm"]["AdditionalAttributes"]}
    assert "made up" in attributes["SANDBOX_STAND_IN_CONCEPT_ID"]
    modis = http.get(
        f"{CMR}/granules.umm_json",
        params={"short_name": "MODIS_A-JPL-L2P-v2019.0", "page_size": 1},
        timeout=30,
    ).json()["items"][0]["umm"]
    assert [(u["Type"], u.get("Subtype")) for u in modis["RelatedUrls"]] == [
        ("EXTENDED METADATA", None),
        ("EXTENDED METADATA", None),
        ("GET DATA", None),
        ("GET DATA VIA DIRECT ACCESS", None),
        ("VIEW RELATED INFORMATION", None),
        ("USE SERVICE API", "OPENDAP DATA"),
    ]
    assert modis["RelatedUrls"][-1]["URL"].startswith(
        "https://opendap.earthdata.nasa.gov/collections/C1940473819-POCLOUD/granules/"
    )
