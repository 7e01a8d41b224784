"""helpers.tables: granule tables from DataGranule objects built from a real recorded CMR record."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from earthaccess import DataCollection, DataGranule

from helpers.errors import EmptySearchResultError
from helpers.tables import TABLE_COLUMNS, granule_name, granule_size_mb, granule_table

UMM = Path(__file__).parent / "data" / "helpers" / "atl03_umm.json"


def _record() -> dict:
    return json.loads(UMM.read_text())["items"][0]


def _cloud_record() -> dict:
    """The same granule as Earthdata Cloud (NSIDC_CPRD) lists it: HTTPS and S3 links, bytes."""
    item = _record()
    name = "ATL03_20221012161617_03351705_005_01.h5"
    item["meta"]["provider-id"] = "NSIDC_CPRD"
    item["meta"]["concept-id"] = "G2596864127-NSIDC_CPRD"
    item["umm"]["RelatedUrls"] = [
        {
            "URL": f"https://data.nsidc.earthdatacloud.nasa.gov/nsidc-cumulus-prod-protected/"
            f"ATLAS/ATL03/005/2022/10/12/{name}",
            "Type": "GET DATA",
        },
        {
            "URL": f"s3://nsidc-cumulus-prod-protected/ATLAS/ATL03/005/2022/10/12/{name}",
            "Type": "GET DATA VIA DIRECT ACCESS",
        },
        {
            "URL": "https://data.nsidc.earthdatacloud.nasa.gov/s3credentials",
            "Type": "VIEW RELATED INFORMATION",
        },
    ]
    item["umm"]["DataGranule"]["ArchiveAndDistributionInformation"] = [
        {"Name": name, "SizeInBytes": 617_915_801}
    ]
    return item


def test_table_from_the_recorded_on_premises_record() -> None:
    granule = DataGranule(_record(), cloud_hosted=False)
    table = granule_table([granule])
    assert list(table.columns) == list(TABLE_COLUMNS)
    row = table.iloc[0]
    assert row["granule"] == "ATL03_20221012161617_03351705_005_01.h5"
    assert row["size_mb"] == pytest.approx(589.2875518799)
    assert row["start_time"] == pd.Timestamp("2022-10-12T16:16:17.770Z")
    assert row["end_time"] == pd.Timestamp("2022-10-12T16:21:43.385Z")
    assert row["https_link"] == (
        "https://n5eil01u.ecs.nsidc.org/DP5/ATLAS/ATL03.005/2022.10.12/"
        "ATL03_20221012161617_03351705_005_01.h5"
    )
    assert row["s3_link"] is None  # an on-premises collection has no S3 copy
    assert row["concept_id"] == "G2560598660-NSIDC_ECS"
    assert isinstance(table["start_time"].dtype, pd.DatetimeTZDtype)
    assert str(table["start_time"].dt.tz) == "UTC"


def test_table_from_a_cloud_record() -> None:
    table = granule_table([DataGranule(_cloud_record(), cloud_hosted=True)])
    row = table.iloc[0]
    assert row["s3_link"].startswith("s3://nsidc-cumulus-prod-protected/ATLAS/ATL03/005/")
    assert row["https_link"].startswith("https://data.nsidc.earthdatacloud.nasa.gov/")
    assert row["size_mb"] == pytest.approx(617_915_801 / 1024**2)


def test_2021_style_record_with_s3_link_typed_get_data() -> None:
    item = _cloud_record()
    for link in item["umm"]["RelatedUrls"]:
        link["Type"] = "GET DATA" if link["URL"].endswith(".h5") else link["Type"]
    row = granule_table([DataGranule(item, cloud_hosted=True)]).iloc[0]
    assert row["s3_link"].startswith("s3://")
    assert row["https_link"].startswith("https://")


def test_many_granules_keep_their_order() -> None:
    first = DataGranule(_record(), cloud_hosted=False)
    second_record = copy.deepcopy(_cloud_record())
    second_record["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"] = (
        "2022-10-13T00:00:00Z"
    )
    table = granule_table([first, DataGranule(second_record, cloud_hosted=True)])
    assert len(table) == 2
    assert table["concept_id"].tolist() == ["G2560598660-NSIDC_ECS", "G2596864127-NSIDC_CPRD"]


def test_granule_name_fallbacks() -> None:
    item = _record()
    del item["umm"]["DataGranule"]["Identifiers"]
    assert granule_name(item) == "ATL03_20221012161617_03351705_005_01.h5"  # from the link
    del item["umm"]["RelatedUrls"]
    assert granule_name(item) == "SC:ATL03.005:256325263"  # GranuleUR


def test_granule_size_mb_forms() -> None:
    assert granule_size_mb(DataGranule(_record())) == pytest.approx(589.2875518799)

    class SizeProperty(dict):  # earthaccess 0.18+: DataGranule.size is a property
        @property
        def size(self) -> float:
            return 12.5

    assert granule_size_mb(SizeProperty()) == 12.5
    assert granule_size_mb({"size": None}) == 0.0


def test_empty_results() -> None:
    with pytest.raises(EmptySearchResultError) as info:
        granule_table([])
    message = str(info.value)
    for expected in ("found no granules", "bounding_box", "west", "temporal", "version"):
        assert expected in message
    assert "provider" in message
    assert isinstance(info.value, LookupError)


def test_collections_are_refused() -> None:
    collection = DataCollection(
        {"meta": {"concept-id": "C1-X", "concept-type": "collection"}, "umm": {"ShortName": "X"}}
    )
    with pytest.raises(TypeError, match="search_datasets"):
        granule_table([collection])
    with pytest.raises(TypeError, match="DataGranule"):
        granule_table(["s3://bucket/key.h5"])
