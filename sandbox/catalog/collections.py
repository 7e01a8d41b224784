"""The sandbox's collections: which (short name, version, provider) exist, and their UMM-C records.

``COLLECTIONS`` is NASA's catalog as of 2026-12-04 for the products the tutorials use (sources in
sandbox/README.md, "Sources for the catalog"): ATL03 and ATL07 version 007 in NSIDC_CPRD only,
MODIS L2P in POCLOUD. ICESat-2 version 006 is retired, and so are NSIDC's on-premises
(NSIDC_ECS) copies: ``RETIRED_COLLECTIONS`` keeps them, marked DEPRECATED, only for catalogs
whose granules name them (the tests' hand-made catalog exercises the on-premises code paths).

Concept ids are NASA's where known (ATL03 007 C3326974349-NSIDC_CPRD, MODIS L2P
C1940473819-POCLOUD, the 006 ids as earthaccess printed them in NSIDC's tutorials). ATL07 007's
real id was not found: its record carries an obviously made-up id and says so in a
``SANDBOX_STAND_IN_CONCEPT_ID`` attribute. Every record's Abstract begins by saying it is
synthetic, and an AdditionalAttribute ``SANDBOX_SYNTHETIC_DATA`` marks it (granules repeat it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.catalog.locations import CLOUD_PROVIDERS, NSIDC, PODAAC, Daac

UMM_C_VERSION = "1.18.6"
SYNTHETIC_ATTRIBUTE = "SANDBOX_SYNTHETIC_DATA"
STAND_IN_ID_ATTRIBUTE = "SANDBOX_STAND_IN_CONCEPT_ID"
RETIRED_ATTRIBUTE = "SANDBOX_RETIRED"
SYNTHETIC_SENTENCE = (
    "SYNTHETIC SANDBOX RECORD: this collection is served by the offline Earthdata sandbox for "
    "practice; its granules keep the real names, paths and file layout but hold invented values. "
)
LANDING_HOSTS = {"NSIDC": "nsidc.org", "PODAAC": "podaac.jpl.nasa.gov"}


@dataclass(frozen=True)
class Product:
    """What all versions and providers of one short name share."""

    short_name: str
    long_name: str
    """EntryTitle without the version suffix."""
    abstract: str
    processing_level: str
    science_keywords: tuple[tuple[str, ...], ...]
    platform: tuple[str, str, str, str]
    """(platform short name, long name, instrument short name, instrument long name)."""
    begins: str
    file_format: str
    average_file_size_mb: float
    daac: str


@dataclass(frozen=True)
class CollectionSpec:
    """One CMR collection: a product version as one provider lists it."""

    short_name: str
    version: str
    provider: str
    concept_id: str
    revision_date: str
    """ISO date-time of the record's revision (also the production date of its granules)."""
    retired: str = ""
    """Why and since when the collection is retired, with the source (empty: current)."""
    stand_in_id: str = ""
    """Why the concept id may not be NASA's (empty: it is)."""

    @property
    def key(self) -> tuple[str, str, str]:
        """(short_name, version, provider)."""
        return (self.short_name, self.version, self.provider)

    @property
    def cloud_hosted(self) -> bool:
        """Whether the provider distributes from AWS (us-west-2)."""
        return self.provider in CLOUD_PROVIDERS

    @property
    def daac(self) -> Daac | None:
        """The cloud DAAC that distributes it, if cloud hosted."""
        return CLOUD_PROVIDERS.get(self.provider)


_ICESAT2 = (
    "ICESat-2",
    "Ice, Cloud and land Elevation Satellite-2",
    "ATLAS",
    "Advanced Topographic Laser Altimeter System",
)

PRODUCTS: dict[str, Product] = {
    "ATL03": Product(
        short_name="ATL03",
        long_name="ATLAS/ICESat-2 L2A Global Geolocated Photon Data",
        abstract=(
            "This data set (ATL03) contains height above the WGS 84 ellipsoid (ITRF2014 reference "
            "frame), latitude, longitude, and time for all photons downlinked by the Advanced "
            "Topographic Laser Altimeter System (ATLAS) on board the ICESat-2 observatory, with "
            "the instrument, spacecraft and geophysical parameters that the higher-level ATLAS "
            "products need."
        ),
        processing_level="2A",
        science_keywords=(
            ("EARTH SCIENCE", "LAND SURFACE", "TOPOGRAPHY", "TERRAIN ELEVATION"),
            (
                "EARTH SCIENCE",
                "CRYOSPHERE",
                "GLACIERS/ICE SHEETS",
                "GLACIER ELEVATION/ICE SHEET ELEVATION",
            ),
            ("EARTH SCIENCE", "CRYOSPHERE", "SEA ICE", "SEA ICE ELEVATION"),
        ),
        platform=_ICESAT2,
        begins="2018-10-13T00:00:00.000Z",
        file_format="HDF5",
        average_file_size_mb=2000.0,
        daac="NSIDC",
    ),
    "ATL07": Product(
        short_name="ATL07",
        long_name="ATLAS/ICESat-2 L3A Sea Ice Height",
        abstract=(
            "The data set (ATL07) contains along-track heights for sea ice and open water leads, "
            "at varying length scales, relative to the WGS 84 ellipsoid (ITRF2014 reference frame) "
            "after adjustment for geoidal and tidal variations and inverted barometer effects, for "
            "both polar regions."
        ),
        processing_level="3A",
        science_keywords=(
            ("EARTH SCIENCE", "CRYOSPHERE", "SEA ICE", "SEA ICE ELEVATION"),
            ("EARTH SCIENCE", "OCEANS", "SEA ICE", "SEA ICE ELEVATION"),
        ),
        platform=_ICESAT2,
        begins="2018-10-14T00:00:00.000Z",
        file_format="HDF5",
        average_file_size_mb=200.0,
        daac="NSIDC",
    ),
    "MODIS_A-JPL-L2P-v2019.0": Product(
        short_name="MODIS_A-JPL-L2P-v2019.0",
        long_name=(
            "GHRSST Level 2P Global Sea Surface Skin Temperature from the Moderate Resolution "
            "Imaging Spectroradiometer (MODIS) on the NASA Aqua satellite (GDS2)"
        ),
        abstract=(
            "NASA produces skin sea surface temperature (SST) products from the infrared channels "
            "of the Moderate Resolution Imaging Spectroradiometer (MODIS) on board the Aqua "
            "satellite. The Ocean Biology Processing Group at NASA Goddard processes them and the "
            "JPL PO.DAAC reformats them to the GHRSST GDS2 specification as five-minute Level 2P "
            "swaths with quality levels and single-sensor error statistics."
        ),
        processing_level="2P",
        science_keywords=(
            ("EARTH SCIENCE", "OCEANS", "OCEAN TEMPERATURE", "SEA SURFACE TEMPERATURE"),
        ),
        platform=(
            "Aqua",
            "Earth Observing System, Aqua",
            "MODIS",
            "Moderate-Resolution Imaging Spectroradiometer",
        ),
        begins="2002-07-04T00:00:00.000Z",
        file_format="netCDF-4",
        average_file_size_mb=20.0,
        daac="PODAAC",
    ),
}

_ICESAT2_006_RETIRED = (
    "ICESat-2 release 006 is retired: NSIDC's metadata feed lists {sn}.006 in its 'retired' set "
    "(OAI-PMH record dated {date}); the exact retirement date is not established."
)
_ECS_RETIRED = (
    "NSIDC's on-premises (NSIDC_ECS) ICESat-2 copies are retired: NSIDC removed the on-premises "
    "links from its ICESat-2 tutorials on 2025-07-16 ('Is2 ecs decom', nsidc/NSIDC-Data-Tutorials "
    "PR #97); the exact date access ended is not established."
)

COLLECTIONS: tuple[CollectionSpec, ...] = (
    # revision dates: the cloud-optimized ATL03 007 release day (its time of day is made up);
    # ATL07 007's is made up
    CollectionSpec(
        "ATL03", "007", "NSIDC_CPRD", "C3326974349-NSIDC_CPRD", "2025-07-31T16:20:44.380Z"
    ),
    CollectionSpec(
        "ATL07",
        "007",
        "NSIDC_CPRD",
        "C0000000707-NSIDC_CPRD",
        "2025-09-30T12:00:00.000Z",
        stand_in_id=(
            "NASA's concept id of ATL07 version 007 in NSIDC_CPRD was not found in the sources "
            "available to the sandbox (2026-12-04): C0000000707-NSIDC_CPRD is made up; look up "
            "the real one with earthaccess.search_datasets(short_name='ATL07')."
        ),
    ),
    CollectionSpec(
        "MODIS_A-JPL-L2P-v2019.0",
        "2019.0",
        "POCLOUD",
        "C1940473819-POCLOUD",
        "2024-02-13T20:32:15.120Z",
    ),
)
"""Today's collections (2026-12-04): what a default CMR search finds."""

RETIRED_COLLECTIONS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        "ATL03",
        "006",
        "NSIDC_ECS",
        "C2559919423-NSIDC_ECS",
        "2023-05-22T13:41:06.133Z",
        retired=_ECS_RETIRED,
    ),
    CollectionSpec(
        "ATL03",
        "006",
        "NSIDC_CPRD",
        "C2596864127-NSIDC_CPRD",
        "2023-05-24T18:02:51.475Z",
        retired=_ICESAT2_006_RETIRED.format(sn="ATL03", date="2026-02-17"),
    ),
    CollectionSpec(
        "ATL07",
        "006",
        "NSIDC_ECS",
        "C2564625052-NSIDC_ECS",
        "2023-05-30T20:12:37.502Z",
        retired=_ECS_RETIRED,
        stand_in_id="A plausible stand-in: NASA's id of ATL07 006 in NSIDC_ECS was not verified.",
    ),
    CollectionSpec(
        "ATL07",
        "006",
        "NSIDC_CPRD",
        "C2713030505-NSIDC_CPRD",
        "2023-06-02T15:55:12.811Z",
        retired=_ICESAT2_006_RETIRED.format(sn="ATL07", date="2026-04-30"),
        stand_in_id="A plausible stand-in: NASA's id of ATL07 006 in NSIDC_CPRD was not verified.",
    ),
)
"""History (2023-2026): ICESat-2 006 on premises and in the cloud. Not in the served catalog;
only catalogs whose granules name them (the tests' hand-made one) include them, as DEPRECATED."""


def collections_for(keys: set[tuple[str, str, str]]) -> tuple[CollectionSpec, ...]:
    """Today's collections, plus the retired ones some granule of ``keys`` still names."""
    return COLLECTIONS + tuple(spec for spec in RETIRED_COLLECTIONS if spec.key in keys)


def entry_title(spec: CollectionSpec) -> str:
    """The EntryTitle (ICESat-2 titles end in ``V006``; the GHRSST one has no version)."""
    product = PRODUCTS[spec.short_name]
    if spec.short_name.startswith("ATL"):
        return f"{product.long_name} V{spec.version}"
    return product.long_name


def doi(spec: CollectionSpec) -> str:
    """The collection DOI (10.5067/...)."""
    if spec.short_name.startswith("ATL"):
        return f"10.5067/ATLAS/{spec.short_name}.{spec.version}"
    return "10.5067/GHMDA-2PJ19"


def landing_page(spec: CollectionSpec) -> str:
    """The DAAC's landing page of the collection (served by the sandbox as a stand-in page)."""
    product = PRODUCTS[spec.short_name]
    host = LANDING_HOSTS[product.daac]
    if product.daac == "NSIDC":
        return f"https://{host}/data/{spec.short_name.lower()}/versions/{int(spec.version)}"
    return f"https://{host}/dataset/{spec.short_name}"


def s3_prefixes(spec: CollectionSpec) -> list[str]:
    """Bucket/prefix names of the collection's objects (``meta.s3-links``)."""
    if spec.provider == "NSIDC_CPRD":
        return [f"{bucket}/ATLAS/{spec.short_name}/{spec.version}" for bucket in NSIDC.buckets]
    if spec.provider == "POCLOUD":
        return [f"{bucket}/{spec.short_name}" for bucket in PODAAC.buckets]
    return []


def collection_umm(spec: CollectionSpec) -> dict[str, Any]:
    """The UMM-C 1.18.6 record of a collection."""
    product = PRODUCTS[spec.short_name]
    daac_long = {
        "NSIDC": (
            "NASA NSIDC DAAC",
            "NASA National Snow and Ice Data Center Distributed Active Archive Center",
        ),
        "PODAAC": (
            "NASA/JPL/PODAAC",
            "Physical Oceanography Distributed Active Archive Center, "
            "Jet Propulsion Laboratory, NASA",
        ),
    }[product.daac]
    platform, platform_long, instrument, instrument_long = product.platform
    related = [
        {
            "URL": landing_page(spec),
            "URLContentType": "CollectionURL",
            "Type": "DATA SET LANDING PAGE",
            "Description": "The DAAC's page of this data set (a stand-in page in the sandbox).",
        }
    ]
    umm: dict[str, Any] = {
        "ShortName": spec.short_name,
        "Version": spec.version,
        "EntryTitle": entry_title(spec),
        "DOI": {"DOI": doi(spec), "Authority": "https://doi.org"},
        "Abstract": SYNTHETIC_SENTENCE + product.abstract,
        "ProcessingLevel": {"Id": product.processing_level},
        "CollectionProgress": "DEPRECATED" if spec.retired else "ACTIVE",
        "DataCenters": [
            {
                "Roles": ["ARCHIVER", "DISTRIBUTOR"],
                "ShortName": daac_long[0],
                "LongName": daac_long[1],
            }
        ],
        "ScienceKeywords": [
            dict(zip(("Category", "Topic", "Term", "VariableLevel1"), keyword, strict=False))
            for keyword in product.science_keywords
        ],
        "TemporalExtents": [
            {"EndsAtPresentFlag": True, "RangeDateTimes": [{"BeginningDateTime": product.begins}]}
        ],
        "SpatialExtent": {
            "SpatialCoverageType": "HORIZONTAL",
            "HorizontalSpatialDomain": {
                "Geometry": {
                    "CoordinateSystem": "CARTESIAN",
                    "BoundingRectangles": [
                        {
                            "WestBoundingCoordinate": -180.0,
                            "SouthBoundingCoordinate": -90.0,
                            "EastBoundingCoordinate": 180.0,
                            "NorthBoundingCoordinate": 90.0,
                        }
                    ],
                }
            },
            "GranuleSpatialRepresentation": "CARTESIAN",
        },
        "Platforms": [
            {
                "Type": "Earth Observation Satellites",
                "ShortName": platform,
                "LongName": platform_long,
                "Instruments": [{"ShortName": instrument, "LongName": instrument_long}],
            }
        ],
        "ArchiveAndDistributionInformation": {
            "FileDistributionInformation": [
                {
                    "Format": product.file_format,
                    "FormatType": "Native",
                    "AverageFileSize": product.average_file_size_mb,
                    "AverageFileSizeUnit": "MB",
                }
            ]
        },
        "AdditionalAttributes": [
            {
                "Name": SYNTHETIC_ATTRIBUTE,
                "Description": (
                    "Whether the record and its granules are synthetic practice data served by "
                    "the offline Earthdata sandbox (real names and layouts, invented values)."
                ),
                "DataType": "BOOLEAN",
                "Value": "true",
            }
        ],
        "RelatedUrls": related,
        "MetadataSpecification": {
            "URL": f"https://cdn.earthdata.nasa.gov/umm/collection/v{UMM_C_VERSION}",
            "Name": "UMM-C",
            "Version": UMM_C_VERSION,
        },
    }
    notes = (
        (RETIRED_ATTRIBUTE, "Why the collection is retired (sandbox note).", spec.retired),
        (
            STAND_IN_ID_ATTRIBUTE,
            "Why the concept id may not be NASA's (sandbox note).",
            spec.stand_in_id,
        ),
    )
    for name, description, value in notes:
        if value:
            umm["AdditionalAttributes"].append(
                {"Name": name, "Description": description, "DataType": "STRING", "Value": value}
            )
    if spec.daac is not None:
        umm["DirectDistributionInformation"] = {
            "Region": "us-west-2",
            "S3BucketAndObjectPrefixNames": s3_prefixes(spec),
            "S3CredentialsAPIEndpoint": spec.daac.credentials_endpoint,
            "S3CredentialsAPIDocumentationURL": spec.daac.credentials_documentation,
        }
        related.append(
            {
                "URL": spec.daac.credentials_documentation,
                "URLContentType": "PublicationURL",
                "Type": "VIEW RELATED INFORMATION",
                "Subtype": "GENERAL DOCUMENTATION",
                "Description": "How to get temporary credentials for direct S3 access.",
            }
        )
    return umm
