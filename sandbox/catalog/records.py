"""CMR records of the synthetic granules: UMM-G per (granule, provider), UMM-C per collection.

Records follow the recorded real ones (``tests/data/reference/cmr-samples``) and validate
against UMM-G 1.6.6 and UMM-C 1.18.6. Their "GET DATA" links are the real ones
(``https://<DAAC host>/<path>``, which the sandbox answers: through its proxy, or resolved to its
loopback HTTPS port in the processes it starts); "GET DATA VIA DIRECT ACCESS" links are the real
``s3://`` URLs. PO.DAAC granules end with today's OPeNDAP link ("USE SERVICE API" / "OPENDAP
DATA", ``https://opendap.earthdata.nasa.gov/collections/<C-id>/granules/<GranuleUR>``), as in
the recorded 2024 POCLOUD record; the sandbox lists it but does not serve OPeNDAP.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.catalog import spatial
from sandbox.catalog.collections import (
    PRODUCTS,
    SYNTHETIC_ATTRIBUTE,
    CollectionSpec,
    collection_umm,
    entry_title,
    s3_prefixes,
)
from sandbox.catalog.ids import ecs_granule_ur, granule_concept_id, hours_offset
from sandbox.catalog.locations import ServedFile, served_files
from sandbox.granules.model import Granule

UMM_G_VERSION = "1.6.6"
FAULT_ATTRIBUTE = "SANDBOX_DELIBERATE_FAULT"
"""Granule AdditionalAttribute naming a deliberate fault of its file (see Granule.fault)."""
ICESAT2_INCLINATION_DEG = 92.0
ICESAT2_PERIOD_S = 94.22 * 60.0
_MB = 1024.0 * 1024.0
OPENDAP_HOST = "opendap.earthdata.nasa.gov"
"""NASA's Hyrax in the cloud; PO.DAAC granules link to it (not emulated by the sandbox)."""
_MIME = {".h5": "application/x-hdf5", ".nc": "application/x-netcdf", ".md5": "text/plain"}


def iso(moment: datetime) -> str:
    """CMR's date-time form: UTC, milliseconds, ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso` (any ISO 8601 form with a zone)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def mime_type(name: str) -> str:
    """The Content-Type the DAACs give a file name."""
    for suffix, mime in _MIME.items():
        if name.endswith(suffix):
            return mime
    return "application/octet-stream"


@dataclass(frozen=True)
class CollectionRecord:
    """A collection as CMR returns it."""

    spec: CollectionSpec
    umm: dict[str, Any]
    granule_count: int

    @property
    def concept_id(self) -> str:
        """``C...-PROVIDER``."""
        return self.spec.concept_id

    @property
    def meta(self) -> dict[str, Any]:
        """The ``meta`` object of a ``collections.umm_json`` item."""
        meta: dict[str, Any] = {
            "revision-id": 7,
            "deleted": False,
            "format": "application/vnd.nasa.cmr.umm+json",
            "provider-id": self.spec.provider,
            "has-combine": False,
            "user-id": "sandbox",
            "has-formats": False,
            "associations": {},
            "concept-id": self.spec.concept_id,
            "revision-date": self.spec.revision_date,
            "granule-count": self.granule_count,
            "has-temporal-subsetting": False,
            "concept-type": "collection",
            "has-transforms": False,
            "has-variables": False,
            "native-id": f"{self.spec.short_name}_{self.spec.version}_{self.spec.provider}",
            "has-spatial-subsetting": False,
        }
        if self.spec.cloud_hosted:
            meta["s3-links"] = s3_prefixes(self.spec)
        return meta


@dataclass(frozen=True)
class GranuleRecord:
    """One granule as one provider lists it."""

    granule: Granule
    collection: CollectionSpec
    concept_id: str
    granule_ur: str
    files: tuple[ServedFile, ...]
    rings: tuple[spatial.Ring, ...]
    """The footprint cut at the antimeridian, counter-clockwise (search and GPolygons)."""
    production: datetime
    umm: dict[str, Any] = field(repr=False)

    @property
    def provider(self) -> str:
        """The CMR provider id."""
        return self.collection.provider

    @property
    def producer_granule_id(self) -> str:
        """The file name."""
        return self.granule.name

    @property
    def updated(self) -> datetime:
        """When the record was last revised."""
        return _revision_dates(self.production)[1]

    @property
    def meta(self) -> dict[str, Any]:
        """The ``meta`` object of a ``granules.umm_json`` item."""
        ecs = self.provider == "NSIDC_ECS"
        return {
            "concept-type": "granule",
            "concept-id": self.concept_id,
            "revision-id": 1,
            "native-id": self.granule_ur,
            "collection-concept-id": self.collection.concept_id,
            "provider-id": self.provider,
            "format": "application/iso:smap+xml" if ecs else "application/vnd.nasa.cmr.umm+json",
            "revision-date": iso(self.updated),
        }

    @property
    def size_mb(self) -> float:
        """Total size of the record's files in MB (what earthaccess's ``size()`` adds up)."""
        return sum(f.size for f in self.files) / _MB


def _revision_dates(production: datetime) -> tuple[datetime, datetime]:
    """(inserted, updated) of a record whose file was produced at ``production``."""
    inserted = production + timedelta(days=1)
    return inserted, inserted + timedelta(minutes=17)


def _equator_crossing(granule: Granule) -> datetime | None:
    """The ascending-node time before the granule starts, from its start latitude and direction."""
    orbit = granule.orbit
    if "start_lat" not in orbit or "start_direction" not in orbit:
        return None
    ratio = math.sin(math.radians(float(orbit["start_lat"]))) / math.sin(
        math.radians(ICESAT2_INCLINATION_DEG)
    )
    phase = math.degrees(math.asin(max(-1.0, min(1.0, ratio))))
    if orbit["start_direction"] == "D":
        phase = 180.0 - phase
    return granule.begin - timedelta(seconds=phase / 360.0 * ICESAT2_PERIOD_S)


def _orbit_umm(granule: Granule) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    orbit = granule.orbit
    needed = ("ascending_crossing", "start_lat", "start_direction", "end_lat", "end_direction")
    orbit_umm = None
    if all(key in orbit for key in needed):
        orbit_umm = {
            "AscendingCrossing": float(orbit["ascending_crossing"]),
            "StartLatitude": float(orbit["start_lat"]),
            "StartDirection": str(orbit["start_direction"]),
            "EndLatitude": float(orbit["end_lat"]),
            "EndDirection": str(orbit["end_direction"]),
        }
    domains: list[dict[str, Any]] = []
    if "orbit_number" in orbit:
        domain: dict[str, Any] = {"OrbitNumber": int(orbit["orbit_number"])}
        if "ascending_crossing" in orbit:
            domain["EquatorCrossingLongitude"] = float(orbit["ascending_crossing"])
        if (crossing := _equator_crossing(granule)) is not None:
            domain["EquatorCrossingDateTime"] = iso(crossing)
        domains.append(domain)
    return orbit_umm, domains


def _https_url(served: ServedFile) -> str:
    return f"https://{served.host}{served.path}"


def _related_urls(files: Sequence[ServedFile], spec: CollectionSpec, granule_ur: str) -> list:
    urls: list[dict[str, Any]] = []
    data, *companions = files
    for companion in companions:
        urls.append(
            {
                "URL": _https_url(companion),
                "Type": "EXTENDED METADATA",
                "Description": f"Download {companion.name}",
            }
        )
        urls.append(
            {
                "URL": companion.s3_url,
                "Type": "EXTENDED METADATA",
                "Description": "This link provides direct download access via S3 to the granule",
            }
        )
    get_data: dict[str, Any] = {"URL": _https_url(data), "Type": "GET DATA"}
    if spec.cloud_hosted:
        get_data["Description"] = f"Download {data.name}"
    else:
        get_data["MimeType"] = "application/x-hdfeos"
    urls.append(get_data)
    if spec.daac is not None and data.s3_url is not None:
        urls.append(
            {
                "URL": data.s3_url,
                "Type": "GET DATA VIA DIRECT ACCESS",
                "Description": "This link provides direct download access via S3 to the granule",
            }
        )
        urls.append(
            {
                "URL": spec.daac.credentials_endpoint,
                "Type": "VIEW RELATED INFORMATION",
                "Description": (
                    "api endpoint to retrieve temporary credentials valid for same-region direct "
                    "s3 access"
                ),
            }
        )
    if spec.provider == "POCLOUD":
        opendap = f"https://{OPENDAP_HOST}/collections/{spec.concept_id}/granules/{granule_ur}"
        urls.append(
            {
                "URL": opendap,
                "Type": "USE SERVICE API",
                "Subtype": "OPENDAP DATA",
                "Description": "OPeNDAP request URL",
            }
        )
    return urls


def _file_info(served: ServedFile) -> dict[str, Any]:
    info: dict[str, Any] = {
        "Name": served.name,
        "SizeInBytes": served.size,
        "Size": served.size / _MB,
        "SizeUnit": "MB",
    }
    if served.md5:
        info["Checksum"] = {"Value": served.md5, "Algorithm": "MD5"}
    return info


def build_granule_record(granule: Granule, spec: CollectionSpec) -> GranuleRecord:
    """The record of ``granule`` in ``spec``'s collection."""
    provider = spec.provider
    ecs = provider == "NSIDC_ECS"
    granule_ur = (
        ecs_granule_ur(granule.short_name, granule.version, granule.name)
        if ecs
        else granule.granule_ur
    )
    files = tuple(served_files(granule, provider))
    rings = tuple(spatial.normalize_ring(granule.footprint))
    production = parse_iso(spec.revision_date) - timedelta(
        hours=1 + hours_offset(granule.name, 24 * 20)
    )
    inserted, updated = _revision_dates(production)
    product = PRODUCTS[granule.short_name]
    platform, _, instrument, _ = product.platform

    horizontal: dict[str, Any] = {
        "Geometry": {
            "GPolygons": [
                {"Boundary": {"Points": [{"Longitude": lon, "Latitude": lat} for lon, lat in ring]}}
                for ring in rings
            ]
        }
    }
    orbit_umm, orbit_domains = _orbit_umm(granule)
    if orbit_umm is not None:
        horizontal["Orbit"] = orbit_umm
    umm: dict[str, Any] = {
        "GranuleUR": granule_ur,
        "ProviderDates": [
            {"Date": iso(inserted), "Type": "Insert"},
            {"Date": iso(updated), "Type": "Update"},
        ],
        "CollectionReference": (
            {"EntryTitle": entry_title(spec)}
            if ecs
            else {"ShortName": spec.short_name, "Version": spec.version}
        ),
        "TemporalExtent": {
            "RangeDateTime": {
                "BeginningDateTime": iso(granule.begin),
                "EndingDateTime": iso(granule.end),
            }
        },
        "SpatialExtent": {"HorizontalSpatialDomain": horizontal},
    }
    if orbit_domains:
        umm["OrbitCalculatedSpatialDomains"] = orbit_domains
    umm["DataGranule"] = {
        "DayNightFlag": granule.day_night,
        "Identifiers": [{"Identifier": granule.name, "IdentifierType": "ProducerGranuleId"}],
        "ProductionDateTime": iso(production),
        "ArchiveAndDistributionInformation": [_file_info(f) for f in files],
    }
    umm["Platforms"] = [{"ShortName": platform, "Instruments": [{"ShortName": instrument}]}]
    umm["AdditionalAttributes"] = [{"Name": SYNTHETIC_ATTRIBUTE, "Values": ["true"]}]
    if granule.fault:
        umm["AdditionalAttributes"].append({"Name": FAULT_ATTRIBUTE, "Values": [granule.fault]})
    umm["RelatedUrls"] = _related_urls(files, spec, granule_ur)
    umm["MetadataSpecification"] = {
        "URL": f"https://cdn.earthdata.nasa.gov/umm/granule/v{UMM_G_VERSION}",
        "Name": "UMM-G",
        "Version": UMM_G_VERSION,
    }
    return GranuleRecord(
        granule=granule,
        collection=spec,
        concept_id=granule_concept_id(provider, granule_ur),
        granule_ur=granule_ur,
        files=files,
        rings=rings,
        production=production,
        umm=umm,
    )


def build_collection_record(spec: CollectionSpec, granule_count: int) -> CollectionRecord:
    """The record of a collection holding ``granule_count`` granules."""
    return CollectionRecord(spec=spec, umm=collection_umm(spec), granule_count=granule_count)
