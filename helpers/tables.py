"""A one-row-per-granule table of earthaccess search results.

``earthaccess.search_data`` returns a list of ``DataGranule`` (a dict holding the CMR UMM-G record
under ``"umm"`` and ``"meta"``). `granule_table` shows what a learner needs from each: the file
name, its size, when it was acquired, and its two links, ``s3://`` for direct access inside AWS
us-west-2 (``granule.data_links(access="direct")``) and ``https://`` for everywhere else
(``granule.data_links(access="external")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from helpers.errors import EmptySearchResultError

__all__ = ["TABLE_COLUMNS", "granule_name", "granule_size_mb", "granule_table"]

#: Columns of `granule_table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "granule",
    "start_time",
    "end_time",
    "size_mb",
    "s3_link",
    "https_link",
    "concept_id",
)


def granule_name(granule: Mapping[str, Any]) -> str:
    """Return a granule's file name: its ProducerGranuleId, else the name in its data link.

    Parameters
    ----------
    granule
        An ``earthaccess.DataGranule`` (or its UMM-JSON dict with ``"umm"`` and ``"meta"``).

    Returns
    -------
    str
        E.g. ``ATL03_20181015124359_02580106_004_01.h5``.

    Examples
    --------
    >>> granule_name({"umm": {"GranuleUR": "SC:ATL03.005:256325263", "DataGranule": {
    ...     "Identifiers": [{"Identifier": "ATL03_2022.h5", "IdentifierType": "ProducerGranuleId"}]
    ... }}, "meta": {}})
    'ATL03_2022.h5'
    """
    umm = granule.get("umm", {})
    for identifier in umm.get("DataGranule", {}).get("Identifiers", []):
        if identifier.get("IdentifierType") == "ProducerGranuleId" and identifier.get("Identifier"):
            return str(identifier["Identifier"])
    for link in umm.get("RelatedUrls", []):
        if link.get("Type") in ("GET DATA", "GET DATA VIA DIRECT ACCESS"):
            return str(link["URL"]).rstrip("/").rsplit("/", 1)[-1]
    return str(umm.get("GranuleUR") or granule.get("meta", {}).get("concept-id", "unknown"))


def granule_size_mb(granule: Mapping[str, Any]) -> float:
    """Return a granule's size in MB (MiB, as CMR reports it), as earthaccess computes it.

    Parameters
    ----------
    granule
        An ``earthaccess.DataGranule``.

    Returns
    -------
    float
        Size in MB; 0.0 when the record has none.

    Examples
    --------
    >>> granule_size_mb({"size": 276.24})
    276.24
    """
    # earthaccess stores the size under the "size" key when it builds a DataGranule, and gives it
    # as the `size` property (earthaccess 0.18+).
    size: Any = granule.get("size") if isinstance(granule, Mapping) else None
    if size is None:
        size = getattr(granule, "size", None)
    try:
        return float(size)
    except (TypeError, ValueError):
        return 0.0


def _links(granule: Any, access: str) -> list[str]:
    try:
        return [str(link) for link in granule.data_links(access=access)]
    except (AttributeError, KeyError, TypeError):
        return []


def _first(links: Iterable[str], prefixes: tuple[str, ...]) -> str | None:
    return next((link for link in links if link.startswith(prefixes)), None)


def _time(umm: Mapping[str, Any], key: str) -> pd.Timestamp:
    temporal = umm.get("TemporalExtent", {})
    value = temporal.get("RangeDateTime", {}).get(key) or temporal.get("SingleDateTime")
    return pd.to_datetime(value, utc=True) if value else pd.NaT


def granule_table(results: Iterable[Any]) -> pd.DataFrame:
    """Return one row per granule: name, start/end time, size (MB), S3 and HTTPS links.

    Parameters
    ----------
    results
        What ``earthaccess.search_data(...)`` returned: a list of ``DataGranule``.

    Returns
    -------
    pandas.DataFrame
        Columns `TABLE_COLUMNS`; times are UTC; a link is None when the record has none
        (on-premises collections have no ``s3://`` link).

    Raises
    ------
    EmptySearchResultError
        `results` is empty: the search matched nothing.
    TypeError
        The items are not granules (e.g. collections from ``search_datasets``).

    Examples
    --------
    >>> from earthaccess import DataGranule
    >>> granule = DataGranule({"meta": {"concept-id": "G1-NSIDC_CPRD", "provider-id": "NSIDC_CPRD"},
    ...     "umm": {"GranuleUR": "ATL03_x.h5",
    ...         "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": "2018-10-15T12:43:57Z",
    ...                                              "EndingDateTime": "2018-10-15T12:52:28Z"}},
    ...         "DataGranule": {"ArchiveAndDistributionInformation": [{"Size": 276.24}]},
    ...         "RelatedUrls": [
    ...             {"URL": "https://data.nsidc.earthdatacloud.nasa.gov/p/ATL03_x.h5",
    ...              "Type": "GET DATA"},
    ...             {"URL": "s3://nsidc-cumulus-prod-protected/p/ATL03_x.h5",
    ...              "Type": "GET DATA VIA DIRECT ACCESS"}]}}, cloud_hosted=True)
    >>> row = granule_table([granule]).iloc[0]
    >>> print(row.granule, row.size_mb, row.s3_link)
    ATL03_x.h5 276.24 s3://nsidc-cumulus-prod-protected/p/ATL03_x.h5
    """
    granules = list(results)
    if not granules:
        raise EmptySearchResultError(
            "The search found no granules. Check: bounding_box is (west, south, east, north) in "
            "degrees, west before east; temporal is (start, end) and covers the data; short_name "
            "and version exist (e.g. ATL03 version '006'); provider is the cloud one "
            "(NSIDC_CPRD, POCLOUD) or left out; try earthaccess.search_datasets(short_name=...) "
            "to see the versions and providers available."
        )
    rows = []
    for item in granules:
        if not isinstance(item, Mapping) or "umm" not in item:
            raise TypeError(
                f"granule_table needs earthaccess.search_data results (DataGranule); got "
                f"{type(item).__name__}."
            )
        meta = item.get("meta", {})
        if meta.get("concept-type") == "collection" or "ShortName" in item["umm"]:
            raise TypeError(
                "granule_table got a collection (from earthaccess.search_datasets); pass the "
                "granules from earthaccess.search_data(...) instead."
            )
        direct = _links(item, "direct")
        external = _links(item, "external")
        rows.append(
            {
                "granule": granule_name(item),
                "start_time": _time(item["umm"], "BeginningDateTime"),
                "end_time": _time(item["umm"], "EndingDateTime"),
                "size_mb": granule_size_mb(item),
                "s3_link": _first(direct, ("s3://",)) or _first(external, ("s3://",)),
                "https_link": _first(external, ("https://", "http://")),
                "concept_id": meta.get("concept-id"),
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for column in ("start_time", "end_time"):
        table[column] = pd.to_datetime(table[column], utc=True)
    return table
