"""The whole catalog: records of every collection and granule, and every file the DAACs serve."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sandbox.catalog.collections import PRODUCTS, CollectionSpec, collections_for, landing_page
from sandbox.catalog.locations import DAACS, ServedFile
from sandbox.catalog.records import (
    CollectionRecord,
    GranuleRecord,
    build_collection_record,
    build_granule_record,
)
from sandbox.granules.model import Granule


@dataclass(frozen=True)
class Catalog:
    """Records in CMR's default order, and indexes the services look things up in."""

    collections: tuple[CollectionRecord, ...]
    granules: tuple[GranuleRecord, ...]
    files: dict[str, ServedFile]
    """URL path -> file, for every file a record links to (paths are unique across DAACs)."""
    pages: dict[str, str]
    """``https://host/path`` -> title of the stand-in pages (landing pages, READMEs)."""

    def collection(self, concept_id: str) -> CollectionRecord | None:
        """The collection with this concept id."""
        return next((c for c in self.collections if c.concept_id == concept_id), None)

    def s3_locations(self) -> dict[tuple[str, str], ServedFile]:
        """(bucket, key) -> file, for the files held in S3 buckets."""
        seen: dict[tuple[str, str], ServedFile] = {}
        for record in self.granules:
            for served in record.files:
                if served.s3_bucket and served.s3_key:
                    seen.setdefault((served.s3_bucket, served.s3_key), served)
        return seen

    def s3_objects(self) -> list[ServedFile]:
        """Files held in S3 buckets, each (bucket, key) once."""
        return list(self.s3_locations().values())

    @property
    def buckets(self) -> list[str]:
        """Every bucket name of every cloud DAAC."""
        return [bucket for daac in DAACS for bucket in daac.buckets]


def _spec_for(granule: Granule, provider: str, specs: Iterable[CollectionSpec]) -> CollectionSpec:
    for spec in specs:
        if spec.key == (granule.short_name, granule.version, provider):
            return spec
    raise ValueError(
        f"granule {granule.name} is listed by {provider} as {granule.short_name} "
        f"v{granule.version}, but the sandbox has no such collection; known: "
        + ", ".join(f"{s.short_name} {s.version} {s.provider}" for s in specs)
    )


def build_catalog(
    granules: Sequence[Granule], specs: Sequence[CollectionSpec] | None = None
) -> Catalog:
    """Every record, linking to the files at their DAACs' real host names.

    ``specs`` defaults to today's collections plus any retired one the granules name.
    """
    if specs is None:
        specs = collections_for(
            {(g.short_name, g.version, p) for g in granules for p in g.providers}
        )
    records: list[GranuleRecord] = []
    for granule in granules:
        for provider in granule.providers:
            records.append(build_granule_record(granule, _spec_for(granule, provider, specs)))
    seen_ids: dict[str, GranuleRecord] = {}
    for record in records:
        if (other := seen_ids.get(record.concept_id)) is not None:
            raise ValueError(
                f"granules {other.granule.name} and {record.granule.name} share the concept id "
                f"{record.concept_id}: give them distinct GranuleURs"
            )
        seen_ids[record.concept_id] = record
    records.sort(key=granule_sort_key)
    counts = {spec.concept_id: 0 for spec in specs}
    for record in records:
        counts[record.collection.concept_id] += 1
    collections = tuple(build_collection_record(spec, counts[spec.concept_id]) for spec in specs)
    files: dict[str, ServedFile] = {}
    for record in records:
        for served in record.files:
            files.setdefault(served.path, served)
    pages: dict[str, str] = {}
    for spec in specs:
        pages[landing_page(spec)] = (
            f"{PRODUCTS[spec.short_name].long_name} (version {spec.version})"
        )
    for daac in DAACS:
        pages[daac.credentials_documentation] = f"{daac.name} temporary S3 credentials"
    return Catalog(collections=collections, granules=tuple(records), files=files, pages=pages)


def granule_sort_key(record: GranuleRecord) -> tuple[str, int, int]:
    """CMR's default granule order (and ``CMR-Search-After`` values): provider, start, id."""
    return (
        record.provider.lower(),
        int(record.granule.begin.timestamp() * 1000),
        int(record.concept_id[1:].split("-", 1)[0]),
    )
