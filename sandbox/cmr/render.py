"""CMR response bodies: UMM-JSON items and JSON (Atom-like) feed entries (FORMATS.md D2-D4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sandbox.catalog.collections import PRODUCTS, entry_title
from sandbox.catalog.records import CollectionRecord, GranuleRecord, iso
from sandbox.cmr.search import Record

REL = "http://esipfed.org/ns/fedsearch/1.1/"
_REL_BY_TYPE = {
    "GET DATA": "data#",
    "GET DATA VIA DIRECT ACCESS": "s3#",
    "GET RELATED VISUALIZATION": "browse#",
    "USE SERVICE API": "service#",
    "VIEW RELATED INFORMATION": "metadata#",
    "EXTENDED METADATA": "metadata#",
    "DATA SET LANDING PAGE": "metadata#",
}


def umm_item(record: Record) -> dict[str, Any]:
    """``{"meta": ..., "umm": ...}`` as in ``*.umm_json`` results."""
    return {"meta": record.meta, "umm": record.umm}


def _link(url: dict[str, Any], inherited: bool = False) -> dict[str, Any]:
    link: dict[str, Any] = {}
    if inherited:
        link["inherited"] = True
    link["rel"] = REL + _REL_BY_TYPE.get(url["Type"], "documentation#")
    if "MimeType" in url:
        link["type"] = url["MimeType"]
    link["hreflang"] = "en-US"
    link["href"] = url["URL"]
    return link


def _polygon_strings(record: GranuleRecord) -> list[list[str]]:
    return [[" ".join(f"{lat!r} {lon!r}" for lon, lat in ring)] for ring in record.rings]


def granule_entry(record: GranuleRecord, collection: CollectionRecord) -> dict[str, Any]:
    """A ``granules.json`` entry: every number a string, polygons as "lat lon ..." strings."""
    umm = record.umm
    granule = record.granule
    entry: dict[str, Any] = {
        "producer_granule_id": record.producer_granule_id,
        "time_start": iso(granule.begin),
    }
    orbit = umm["SpatialExtent"]["HorizontalSpatialDomain"].get("Orbit")
    if orbit is not None:
        entry["orbit"] = {
            "ascending_crossing": str(orbit["AscendingCrossing"]),
            "start_lat": str(orbit["StartLatitude"]),
            "start_direction": orbit["StartDirection"],
            "end_lat": str(orbit["EndLatitude"]),
            "end_direction": orbit["EndDirection"],
        }
    entry["updated"] = iso(record.updated)
    if domains := umm.get("OrbitCalculatedSpatialDomains"):
        entry["orbit_calculated_spatial_domains"] = [
            {
                **(
                    {"equator_crossing_date_time": d["EquatorCrossingDateTime"]}
                    if "EquatorCrossingDateTime" in d
                    else {}
                ),
                **(
                    {"equator_crossing_longitude": str(d["EquatorCrossingLongitude"])}
                    if "EquatorCrossingLongitude" in d
                    else {}
                ),
                "orbit_number": str(d["OrbitNumber"]),
            }
            for d in domains
        ]
    entry.update(
        {
            "dataset_id": entry_title(record.collection),
            "data_center": record.provider,
            "title": record.granule_ur,
            "coordinate_system": "CARTESIAN",
            "time_end": iso(granule.end),
            "id": record.concept_id,
            "original_format": "ISO-SMAP" if record.provider == "NSIDC_ECS" else "UMM_JSON",
            "granule_size": str(record.size_mb),
            "browse_flag": False,
            "polygons": _polygon_strings(record),
            "collection_concept_id": record.collection.concept_id,
            "online_access_flag": True,
            "links": [_link(u) for u in umm["RelatedUrls"]]
            + [_link(u, inherited=True) for u in collection.umm.get("RelatedUrls", [])],
        }
    )
    return entry


def collection_entry(record: CollectionRecord, granule_counts: bool, has_granules: bool) -> dict:
    """A ``collections.json`` entry."""
    spec = record.spec
    umm = record.umm
    product = PRODUCTS[spec.short_name]
    entry: dict[str, Any] = {
        "processing_level_id": product.processing_level,
        "cloud_hosted": spec.cloud_hosted,
        "time_start": product.begins,
        "version_id": spec.version,
        "updated": spec.revision_date,
        "dataset_id": entry_title(spec),
        "has_spatial_subsetting": False,
        "has_transforms": False,
        "has_variables": False,
        "data_center": spec.provider,
        "short_name": spec.short_name,
        "organizations": [c["ShortName"] for c in umm["DataCenters"]],
        "title": entry_title(spec),
        "coordinate_system": "CARTESIAN",
        "summary": umm["Abstract"],
        "has_formats": False,
        "original_format": "UMM_JSON",
        "archive_center": umm["DataCenters"][0]["ShortName"],
        "has_temporal_subsetting": False,
        "browse_flag": False,
        "platforms": [p["ShortName"] for p in umm["Platforms"]],
        "online_access_flag": True,
        "id": record.concept_id,
        "boxes": ["-90 -180 90 180"],
        "consortiums": ["EOSDIS"],
        "links": [_link(u) for u in umm.get("RelatedUrls", [])],
    }
    if spec.daac is not None:
        entry["s3_links"] = record.meta["s3-links"]
    if granule_counts:
        entry["granule_count"] = record.granule_count
    if has_granules:
        entry["has_granules"] = record.granule_count > 0
    return entry


def references_xml(
    hits: int, took: int, records: Sequence[Record], public_root: str, pretty: bool = False
) -> str:
    """CMR's default search result, the XML references (search-app
    ``results_handlers/reference_results_handler.clj``; docs: api.md "XML Reference"):
    ``<results><hits/><took/><references><reference>`` with the granule UR or entry title as
    ``name``, ``id``, ``location`` (``<root>concepts/<id>/<revision>``) and ``revision-id``. No
    ``score`` (CMR gives one only for relevance-sorted collection searches)."""
    root = ET.Element("results")
    ET.SubElement(root, "hits").text = str(hits)
    ET.SubElement(root, "took").text = str(took)
    references = ET.SubElement(root, "references")
    for record in records:
        reference = ET.SubElement(references, "reference")
        name = record.granule_ur if isinstance(record, GranuleRecord) else entry_title(record.spec)
        revision = str(record.meta["revision-id"])
        ET.SubElement(reference, "name").text = name
        ET.SubElement(reference, "id").text = record.concept_id
        location = f"{public_root}concepts/{record.concept_id}/{revision}"
        ET.SubElement(reference, "location").text = location
        ET.SubElement(reference, "revision-id").text = revision
    if pretty:
        ET.indent(root)
    separator = "\n" if pretty else ""
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    return declaration + separator + ET.tostring(root, encoding="unicode")


def feed(entries: list[dict[str, Any]], request_url: str, concept_type: str) -> dict[str, Any]:
    """The ``{"feed": ...}`` wrapper of the JSON format (``id``: CMR's public root, the path and
    the query string, as in cmr-samples/atl03.json)."""
    noun = "dataset" if concept_type == "collections" else "granule"
    return {
        "feed": {
            "updated": iso(datetime.now(UTC)),
            "id": request_url,
            "title": f"ECHO {noun} metadata",
            "entry": entries,
        }
    }
