"""Every record the sandbox serves validates against the official UMM schemas and says it is
synthetic; granule records carry what earthaccess reads from them."""

from __future__ import annotations

import copy

import pytest
from sandbox_shared import umm_errors

from sandbox.catalog.build import Catalog
from sandbox.catalog.collections import SYNTHETIC_ATTRIBUTE
from sandbox.cmr import render
from sandbox.service import Sandbox

UMM_G = "schemas/umm-g-1.6.6/umm-g-json-schema.json"
UMM_G_RESULTS = "schemas/umm-g-1.6.6/umm-g-search-results-json-schema.json"
UMM_C = "schemas/umm-c-1.18.6/umm-c-json-schema.json"
UMM_C_RESULTS = "schemas/umm-c-1.18.6/umm-search-results-json-schema.json"


@pytest.fixture(scope="module")
def catalog(sandbox_us: Sandbox) -> Catalog:
    assert sandbox_us.catalog is not None
    return sandbox_us.catalog


def test_every_granule_record_validates_against_umm_g(catalog: Catalog) -> None:
    assert len(catalog.granules) > 40
    for record in catalog.granules:
        assert umm_errors(UMM_G, record.umm) == [], record.granule_ur


def test_every_collection_record_validates_against_umm_c(catalog: Catalog) -> None:
    for record in catalog.collections:
        assert umm_errors(UMM_C, record.umm) == [], record.concept_id


def test_search_results_with_meta_validate(catalog: Catalog) -> None:
    granules = {"hits": 1, "took": 1, "items": [render.umm_item(g) for g in catalog.granules]}
    collections = {"hits": 1, "took": 1, "items": [render.umm_item(c) for c in catalog.collections]}
    assert umm_errors(UMM_G_RESULTS, granules) == []
    assert umm_errors(UMM_C_RESULTS, collections) == []


def test_the_validator_does_catch_invalid_records(catalog: Catalog) -> None:
    broken = copy.deepcopy(catalog.granules[0].umm)
    broken["RelatedUrls"][0]["Type"] = "GET SOME DATA"
    del broken["GranuleUR"]
    errors = umm_errors(UMM_G, broken)
    assert any("GranuleUR" in e for e in errors)
    assert any("GET SOME DATA" in e for e in errors)


def test_every_record_says_it_is_synthetic(catalog: Catalog) -> None:
    for collection in catalog.collections:
        assert collection.umm["Abstract"].startswith("SYNTHETIC SANDBOX RECORD")
        names = [a["Name"] for a in collection.umm["AdditionalAttributes"]]
        assert SYNTHETIC_ATTRIBUTE in names
    for granule in catalog.granules:
        assert {"Name": SYNTHETIC_ATTRIBUTE, "Values": ["true"]} in granule.umm[
            "AdditionalAttributes"
        ]


def test_cloud_and_on_premises_records_link_as_the_real_ones(catalog: Catalog) -> None:
    by_provider = {}
    for g in catalog.granules:
        if g.granule.short_name in ("ATL03", "MODIS_A-JPL-L2P-v2019.0"):
            by_provider.setdefault(g.provider, g)
    cloud = by_provider["NSIDC_CPRD"].umm["RelatedUrls"]
    types = [u["Type"] for u in cloud]
    assert types == ["GET DATA", "GET DATA VIA DIRECT ACCESS", "VIEW RELATED INFORMATION"]
    https, s3, credentials = (u["URL"] for u in cloud)
    # the DAAC's real host, as NASA's records link (cmr-samples/cassette_data_links.yaml for
    # PO.DAAC's archive.podaac.earthdata.nasa.gov; NSIDC_CPRD's host in its s3credentials URL)
    assert https.startswith("https://data.nsidc.earthdatacloud.nasa.gov/")
    assert "/nsidc-cumulus-prod-protected/ATLAS/ATL03/006/2018/10/" in https
    assert s3.startswith("s3://nsidc-cumulus-prod-protected/ATLAS/ATL03/006/2018/10/")
    assert https.split("/", 3)[3] == s3[len("s3://") :]
    assert credentials == "https://data.nsidc.earthdatacloud.nasa.gov/s3credentials"
    ecs = by_provider["NSIDC_ECS"].umm
    assert [u["Type"] for u in ecs["RelatedUrls"]] == ["GET DATA"]
    assert "/DP9/ATLAS/ATL03.006/2018.10." in ecs["RelatedUrls"][0]["URL"]
    assert ecs["GranuleUR"].startswith("SC:ATL03.006:")
    assert "EntryTitle" in ecs["CollectionReference"]
    modis = by_provider["POCLOUD"].umm
    assert [u["Type"] for u in modis["RelatedUrls"]] == [
        "EXTENDED METADATA",
        "EXTENDED METADATA",
        "GET DATA",
        "GET DATA VIA DIRECT ACCESS",
        "VIEW RELATED INFORMATION",
        "USE SERVICE API",
    ]
    assert modis["RelatedUrls"][3]["URL"].startswith("s3://podaac-ops-cumulus-protected/MODIS_A-")
    opendap = modis["RelatedUrls"][5]
    assert opendap["Subtype"] == "OPENDAP DATA"
    assert opendap["URL"] == (
        "https://opendap.earthdata.nasa.gov/collections/C1940473819-POCLOUD/granules/"
        + modis["GranuleUR"]
    )
    assert not any(
        u["Type"] == "GET RELATED VISUALIZATION"
        for g in catalog.granules
        for u in g.umm["RelatedUrls"]
    )


def test_sizes_and_checksums_come_from_the_files(catalog: Catalog) -> None:
    import hashlib

    for record in catalog.granules[:10]:
        info = record.umm["DataGranule"]["ArchiveAndDistributionInformation"][0]
        data = record.granule.path.read_bytes()
        assert info["SizeInBytes"] == len(data)
        assert info["Size"] == pytest.approx(len(data) / 1024 / 1024)
        assert info["SizeUnit"] == "MB"
        assert info["Checksum"] == {"Value": hashlib.md5(data).hexdigest(), "Algorithm": "MD5"}


def test_on_premises_collection_holds_granules_the_cloud_one_lacks(catalog: Catalog) -> None:
    def names(concept_id: str) -> set[str]:
        return {
            g.producer_granule_id for g in catalog.granules if g.collection.concept_id == concept_id
        }

    ecs, cloud = names("C2559919423-NSIDC_ECS"), names("C2596864127-NSIDC_CPRD")
    assert cloud < ecs


def test_collection_meta_advertises_cloud_access(catalog: Catalog) -> None:
    for record in catalog.collections:
        meta = record.meta
        assert meta["granule-count"] == sum(
            1 for g in catalog.granules if g.collection.concept_id == record.concept_id
        )
        if record.spec.cloud_hosted:
            ddi = record.umm["DirectDistributionInformation"]
            assert ddi["Region"] == "us-west-2"
            assert meta["s3-links"] == ddi["S3BucketAndObjectPrefixNames"]
            assert ddi["S3CredentialsAPIEndpoint"].endswith("/s3credentials")
        else:
            assert "s3-links" not in meta
            assert "DirectDistributionInformation" not in record.umm
