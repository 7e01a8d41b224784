"""The earthaccess steps of ``test_earthaccess.py``, run as a script in a child Python under the
sandbox's environment. Prints one JSON object: each step's result, or its error and traceback.

Only unmodified earthaccess, h5py and the standard library are used, as in a notebook.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import tempfile
import traceback
import warnings
from collections.abc import Callable
from typing import Any

JUNEAU = {"short_name": "ATL03", "version": "006", "bounding_box": (-134.7, 58.9, -133.9, 59.2)}
MODIS = "MODIS_A-JPL-L2P-v2019.0"


def ids(results: list) -> list[str]:
    """Sorted concept ids of search results."""
    return sorted(r["meta"]["concept-id"] for r in results)


def login() -> dict[str, Any]:
    import earthaccess

    auth = earthaccess.login(strategy="environment")
    return {
        "authenticated": auth.authenticated,
        "in_region": earthaccess.__store__.in_region,
        "token_type": auth.token.get("token_type"),
    }


def status() -> dict[str, str]:
    import earthaccess

    return earthaccess.status()


def datasets() -> dict[str, Any]:
    import earthaccess

    search = earthaccess.search_datasets
    atl07 = search(short_name="ATL07", version="006", provider="NSIDC_CPRD")[0]
    return {
        "atl03_cloud": ids(search(short_name="ATL03", cloud_hosted=True)),
        "pocloud": ids(search(provider="POCLOUD")),
        "cloud": ids(search(cloud_hosted=True)),
        "keyword_count": len(search(keyword="sea ice", count=1)),
        "atl07_summary_has_cloud_info": "cloud-info" in atl07.summary,
        "atl07_s3_links": atl07.s3_bucket["S3BucketAndObjectPrefixNames"],
    }


def granules() -> dict[str, Any]:
    import earthaccess

    search = earthaccess.search_data
    one_modis = search(concept_id="C1940473819-POCLOUD", count=1)[0]
    return {
        "juneau_all": ids(search(**JUNEAU)),
        "juneau_day": ids(search(**JUNEAU, temporal=("2018-10-15", "2018-10-15"))),
        "juneau_cloud": sorted(
            g["meta"]["provider-id"] for g in search(**JUNEAU, cloud_hosted=True)
        ),
        "concept_id": len(search(concept_id="C2596864127-NSIDC_CPRD")),
        "provider": len(
            search(provider="POCLOUD", temporal=("2019-06-22T10:00:00", "2019-06-22T10:30:00"))
        ),
        "granule_name": sorted(
            g["umm"]["GranuleUR"]
            for g in search(short_name="ATL03", granule_name="ATL03_2018101612*")
        ),
        "day_night": sorted(
            {
                g["umm"]["DataGranule"]["DayNightFlag"]
                for g in search(short_name=MODIS, day_night_flag="night")
            }
        ),
        "antimeridian": len(search(short_name="ATL07", bounding_box=(170, 65, -170, 78))),
        "pole": len(search(short_name="ATL07", bounding_box=(-10, 88, 10, 89))),
        "count": len(search(provider="POCLOUD", count=4)),
        "downloadable": len(search(short_name="ATL07", downloadable=True)),
        "cloud_hosted_flag": one_modis.cloud_hosted,
        "size_mb": one_modis.size,
    }


def _titles(files: list) -> list[list[str]]:
    import h5py

    titles = []
    for f in files:
        with h5py.File(f, "r") as h5:
            title = h5.attrs["title"]
            titles.append([type(f.f).__name__, title if isinstance(title, str) else title.decode()])
    return titles


def open_cloud() -> list[list[str]]:
    import earthaccess

    found = earthaccess.search_data(
        short_name="ATL03", version="006", provider="NSIDC_CPRD", count=2
    )
    return _titles(earthaccess.open(found))


def open_on_premises() -> list[list[str]]:
    import earthaccess

    found = earthaccess.search_data(
        short_name="ATL03", version="006", provider="NSIDC_ECS", count=1
    )
    return _titles(earthaccess.open(found))


def open_podaac() -> list[list[str]]:
    import earthaccess

    return _titles(earthaccess.open(earthaccess.search_data(short_name=MODIS, count=1)))


def credentials() -> dict[str, list[str]]:
    import earthaccess

    found = earthaccess.search_data(short_name=MODIS, count=1)
    return {
        "daac": sorted(earthaccess.get_s3_credentials(daac="NSIDC")),
        "provider": sorted(earthaccess.get_s3_credentials(provider="POCLOUD")),
        "results": sorted(earthaccess.get_s3_credentials(results=found)),
    }


def s3_filesystem() -> dict[str, Any]:
    import earthaccess

    fs = earthaccess.get_s3_filesystem(daac="NSIDC")
    listing = fs.ls("nsidc-cumulus-prod-protected/ATLAS/ATL03/006/2018/10/15/")
    with fs.open(listing[0], "rb") as f:
        head = f.read(8)
    return {"listed": len(listing), "head": head.hex()}


def download() -> Any:
    import earthaccess

    # In us-west-2 earthaccess downloads the granules' s3:// links (broken in 0.17, #1331; fixed
    # in 0.18), elsewhere their https:// links.
    found = earthaccess.search_data(short_name=MODIS, count=2)
    paths = earthaccess.download(found, local_path=pathlib.Path(tempfile.mkdtemp()))
    return {
        pathlib.Path(p).name: hashlib.md5(pathlib.Path(p).read_bytes()).hexdigest() for p in paths
    }


STEPS: list[Callable[[], Any]] = [
    login,
    status,
    datasets,
    granules,
    open_cloud,
    open_on_premises,
    open_podaac,
    credentials,
    s3_filesystem,
    download,
]


def main() -> None:
    """Run every step, recording its result or its error, and print the record as JSON."""
    # A deprecated or renamed earthaccess call of these steps fails the step instead of warning.
    warnings.filterwarnings(
        "error", category=DeprecationWarning, module="__main__|earthaccess_steps"
    )
    warnings.filterwarnings("error", category=FutureWarning, module="__main__|earthaccess_steps")
    results: dict[str, Any] = {}
    for step in STEPS:
        try:
            results[step.__name__] = step()
        except BaseException as error:  # record and go on: one failure must not hide the rest
            results[step.__name__] = {
                "error": f"{type(error).__name__}: {error}"[:2000],
                "trace": traceback.format_exc()[-3000:],
            }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
