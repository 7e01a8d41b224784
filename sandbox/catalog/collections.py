"""The sandbox's collections: which (short name, version, provider) exist, and their UMM-C records.

Concept ids are NASA's where known (FORMATS.md D7: ATL03 006/007 in NSIDC_CPRD, MODIS L2P in
POCLOUD); the others are plausible stand-ins. Every record's Abstract begins by saying it is
synthetic, and an AdditionalAttribute ``SANDBOX_SYNTHETIC_DATA`` marks it (granules repeat it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.catalog.locations import CLOUD_PROVIDERS, NSIDC, PODAAC, Daac

UMM_C_VERSION = "1.18.6"
SYNTHETIC_ATTRIBUTE = "SANDBOX_SYNTHETIC_DATA"
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

COLLECTIONS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        "ATL03", "006", "NSIDC_ECS", "C2559919423-NSIDC_ECS", "2023-05-22T13:41:06.133Z"
    ),
    CollectionSpec(
        "ATL03", "006", "NSIDC_CPRD", "C2596864127-NSIDC_CPRD", "2023-05-24T18:02:51.475Z"
    ),
    CollectionSpec(
        "ATL03", "007", "NSIDC_CPRD", "C3326974349-NSIDC_CPRD", "2025-01-28T16:20:44.380Z"
    ),
    CollectionSpec(
        "ATL07", "006", "NSIDC_ECS", "C2564625052-NSIDC_ECS", "2023-05-30T20:12:37.502Z"
    ),
    CollectionSpec(
        "ATL07", "006", "NSIDC_CPRD", "C2713030505-NSIDC_CPRD", "2023-06-02T15:55:12.811Z"
    ),
    CollectionSpec(
        "MODIS_A-JPL-L2P-v2019.0",
        "2019.0",
        "POCLOUD",
        "C1940473819-POCLOUD",
        "2024-02-13T20:32:15.120Z",
    ),
)


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
        "CollectionProgress": "ACTIVE",
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
