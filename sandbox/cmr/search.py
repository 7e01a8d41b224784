"""Matching, ordering and paging of catalog records for a validated :class:`Query`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.catalog import spatial
from sandbox.catalog.build import Catalog, granule_sort_key
from sandbox.catalog.collections import PRODUCTS, CollectionSpec, doi, entry_title
from sandbox.catalog.records import CollectionRecord, GranuleRecord, parse_iso
from sandbox.cmr.errors import CmrError
from sandbox.cmr.params import Query, TemporalRange, wildcard_regex

Record = CollectionRecord | GranuleRecord
SortValue = str | int | float | bool | None


@dataclass(frozen=True)
class Page:
    """One page of results: the total hit count, the items, and the next ``CMR-Search-After``."""

    hits: int
    items: list[Any]
    search_after: list[SortValue] | None


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _number(concept_id: str) -> int:
    return int(concept_id[1:].split("-", 1)[0])


def _spec(record: Record) -> CollectionSpec:
    return record.spec if isinstance(record, CollectionRecord) else record.collection


def _text_candidates(record: Record, name: str) -> list[str]:
    spec = _spec(record)
    product = PRODUCTS[spec.short_name]
    platform, _, instrument, _ = product.platform
    common = {
        "provider": [spec.provider],
        "provider_id": [spec.provider],
        "short_name": [spec.short_name],
        "version": [spec.version],
        "entry_title": [entry_title(spec)],
        "platform": [platform],
        "instrument": [instrument],
    }
    if name in common:
        return common[name]
    if isinstance(record, GranuleRecord):
        granule_fields = {
            "readable_granule_name": [record.granule_ur, record.producer_granule_id],
            "producer_granule_id": [record.producer_granule_id],
            "granule_ur": [record.granule_ur],
            "native_id": [record.granule_ur],
        }
        return granule_fields.get(name, [])
    collection_fields = {
        "native_id": [record.meta["native-id"]],
        "doi": [doi(spec)],
        "processing_level_id": [product.processing_level],
        "archive_center": [c["ShortName"] for c in record.umm["DataCenters"]],
        "data_center": [c["ShortName"] for c in record.umm["DataCenters"]],
        "consortium": ["EOSDIS"],
        "project": [],
    }
    return collection_fields.get(name, [])


def _time_range(record: Record) -> tuple[datetime | None, datetime | None]:
    if isinstance(record, GranuleRecord):
        return record.granule.begin, record.granule.end
    begins = record.umm["TemporalExtents"][0]["RangeDateTimes"][0]["BeginningDateTime"]
    return parse_iso(begins), None


def _overlaps(
    span: tuple[datetime | None, datetime | None], wanted: TemporalRange, strict: bool
) -> bool:
    """Whether [begin, end] meets the wanted range (open ends match everything on their side)."""
    begin, end = span
    if (
        wanted.end is not None
        and begin is not None
        and (begin > wanted.end or (strict and begin == wanted.end))
    ):
        return False
    return not (
        wanted.start is not None
        and end is not None
        and (end < wanted.start or (strict and end == wanted.start))
    )


def _temporal_match(
    span: tuple[datetime | None, datetime | None], wanted: TemporalRange, strict: bool
) -> bool:
    """A plain range, or any yearly window of a periodic one (CMR builds those windows without
    ``exclude_boundary``: complex_to_simple_converters/temporal.clj)."""
    if wanted.periodic:
        return any(_overlaps(span, TemporalRange(a, b), False) for a, b in wanted.windows)
    return _overlaps(span, wanted, strict)


def _rings(record: Record) -> Sequence[spatial.Ring]:
    if isinstance(record, GranuleRecord):
        return record.rings
    return (spatial.box_ring((-180.0, -90.0, 180.0, 90.0)),)


def _spatial_match(record: Record, query: Query) -> bool:
    rings = _rings(record)
    tests: list[bool] = []
    for pieces in query.boxes:
        boxes = [spatial.box_ring(piece) for piece in pieces]
        tests.append(any(spatial.rings_intersect(r, b) for r in rings for b in boxes))
    for point in query.points:
        tests.append(any(spatial.point_in_ring(point, r) for r in rings))
    for polygon in query.polygons:
        tests.append(any(spatial.rings_intersect(r, polygon) for r in rings))
    for line in query.lines:
        tests.append(any(spatial.line_intersects_ring(line, r) for r in rings))
    for pieces in query.circles:
        tests.append(any(spatial.rings_intersect(r, piece) for r in rings for piece in pieces))
    return any(tests) if query.spatial_any else all(tests)


def _keyword_text(record: CollectionRecord) -> list[str]:
    umm = record.umm
    fields = [
        umm["ShortName"],
        umm["Version"],
        umm["EntryTitle"],
        umm["Abstract"],
        umm["DOI"]["DOI"],
        umm["ProcessingLevel"]["Id"],
        record.concept_id,
        record.spec.provider,
    ]
    for keyword in umm["ScienceKeywords"]:
        fields.extend(keyword.values())
    for platform in umm["Platforms"]:
        fields.extend([platform["ShortName"], platform.get("LongName", "")])
        for instrument in platform.get("Instruments", []):
            fields.extend([instrument["ShortName"], instrument.get("LongName", "")])
    words = [w.strip(".,;:()[]\"'") for f in fields for w in f.split()]
    return [f for f in fields if f] + [w for w in words if w]


def _keyword_match(record: CollectionRecord, terms: Sequence[str]) -> bool:
    texts = _keyword_text(record)
    for term in terms:
        regex = wildcard_regex(term.lower())
        if not any(regex.fullmatch(t.lower()) for t in texts):
            return False
    return True


def matches(record: Record, query: Query) -> bool:
    """Whether a record satisfies every condition of the query."""
    for name, text_filter in query.text.items():
        if not text_filter.matches_any(_text_candidates(record, name)):
            return False
    if query.concept_ids:
        if isinstance(record, GranuleRecord):
            own = {record.concept_id, record.collection.concept_id}
        else:
            own = {record.concept_id}
        if not own & set(query.concept_ids):
            return False
    if (
        query.collection_concept_ids
        and isinstance(record, GranuleRecord)
        and record.collection.concept_id not in query.collection_concept_ids
    ):
        return False
    if query.temporal:
        span = _time_range(record)
        hits = [_temporal_match(span, r, query.exclude_boundary) for r in query.temporal]
        if not (all(hits) if query.temporal_all else any(hits)):
            return False
    if query.revision or query.updated_since:
        revised = parse_iso(record.meta["revision-date"])
        if query.updated_since is not None and revised < query.updated_since:
            return False
        if query.revision and not any(
            _overlaps((revised, revised), r, False) for r in query.revision
        ):
            return False
    if query.has_spatial and not _spatial_match(record, query):
        return False
    flags = query.flags
    if "cloud_hosted" in flags and _spec(record).cloud_hosted != flags["cloud_hosted"]:
        return False
    for name in ("downloadable", "online_only"):
        if name in flags and not flags[name]:
            return False  # every sandbox record has a GET DATA link
    if isinstance(record, CollectionRecord):
        if "has_granules" in flags and (record.granule_count > 0) != flags["has_granules"]:
            return False
        if query.keyword and not _keyword_match(record, query.keyword):
            return False
    else:
        if (
            query.day_night not in (None, "both")
            and record.granule.day_night.lower() != query.day_night
        ):
            return False
        if query.cloud_cover is not None:
            return False  # no sandbox granule has a CloudCover value, and CMR then never matches
        if query.orbit_numbers:
            number = record.granule.orbit.get("orbit_number")
            if number is None or not any(
                lo <= float(number) <= hi for lo, hi in query.orbit_numbers
            ):
                return False
    return True


def _granule_field(record: GranuleRecord, name: str) -> SortValue:
    granule = record.granule
    return {
        "granule_ur": record.granule_ur.lower(),
        "producer_granule_id": record.producer_granule_id.lower(),
        "readable_granule_name": record.granule_ur.lower(),
        "start_date": _ms(granule.begin),
        "end_date": _ms(granule.end),
        "provider": record.provider.lower(),
        "revision_date": _ms(record.updated),
        "data_size": record.size_mb,
        "concept_id": _number(record.concept_id),
        "day_night_flag": granule.day_night.lower(),
        "cloud_cover": None,
        "platform": PRODUCTS[granule.short_name].platform[0].lower(),
        "instrument": PRODUCTS[granule.short_name].platform[2].lower(),
        "entry_title": entry_title(record.collection).lower(),
        "short_name": granule.short_name.lower(),
        "version": granule.version.lower(),
        "online_only": True,
        "browsable": False,
        "orbit_number": granule.orbit.get("orbit_number"),
    }[name]


def _collection_field(record: CollectionRecord, name: str) -> SortValue:
    spec = record.spec
    product = PRODUCTS[spec.short_name]
    return {
        "entry_title": entry_title(spec).lower(),
        "short_name": spec.short_name.lower(),
        "version": spec.version.lower(),
        "provider": spec.provider.lower(),
        "start_date": _ms(parse_iso(product.begins)),
        "end_date": None,
        "revision_date": _ms(parse_iso(spec.revision_date)),
        "create_data_date": _ms(parse_iso(spec.revision_date)),
        "score": 1.0,
        "usage_score": 0,
        "granule_count": record.granule_count,
        "has_granules": record.granule_count > 0,
        "processing_level_id": product.processing_level.lower(),
        "platform": product.platform[0].lower(),
        "instrument": product.platform[2].lower(),
    }[name]


def sort_values(record: Record, sort_keys: Sequence[tuple[str, bool]]) -> list[SortValue]:
    """The record's values for the query's order, ending with its concept-id number."""
    if isinstance(record, GranuleRecord):
        if not sort_keys:
            return list(granule_sort_key(record))
        values = [_granule_field(record, name) for name, _ in sort_keys]
    else:
        if not sort_keys:
            sort_keys = (("short_name", False), ("version", False), ("provider", False))
        values = [_collection_field(record, name) for name, _ in sort_keys]
    return [*values, _number(record.concept_id)]


def _comparator(directions: Sequence[bool]) -> Callable[[Sequence, Sequence], int]:
    """Lexicographic order with a direction per field; missing values sort last."""

    def compare(a: Sequence[SortValue], b: Sequence[SortValue]) -> int:
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            try:
                order = -1 if x < y else 1  # type: ignore[operator]
            except TypeError:
                order = -1 if str(x) < str(y) else 1
            descending = directions[i] if i < len(directions) else False
            return -order if descending else order
        return 0

    return compare


def _directions(query: Query, record_count_fields: int) -> list[bool]:
    directions = [descending for _, descending in query.sort_keys]
    return directions + [False] * (record_count_fields - len(directions))


def search(catalog: Catalog, query: Query, search_after: str | None) -> Page:
    """Match, order and cut one page, starting after ``search_after`` (a JSON array) if given."""
    pool: Sequence[Record] = (
        catalog.collections if query.concept_type == "collections" else catalog.granules
    )
    matched = [r for r in pool if matches(r, query)]
    keyed = [(sort_values(r, query.sort_keys), r) for r in matched]
    width = len(keyed[0][0]) if keyed else 0
    compare = _comparator(_directions(query, width))
    keyed.sort(key=functools.cmp_to_key(lambda a, b: compare(a[0], b[0])))
    start = 0
    if search_after is not None:
        if query.page_num is not None or query.offset is not None:
            raise CmrError("page_num and offset are not allowed with search-after")
        try:
            after = json.loads(search_after)
        except ValueError:
            after = None
        if not isinstance(after, list):
            raise CmrError(
                f"search-after header value is invalid, must be in the form of a JSON array, "
                f"but was [{search_after}]"
            )
        start = next((i for i, (k, _) in enumerate(keyed) if compare(k, after) > 0), len(keyed))
    elif query.offset is not None:
        start = query.offset
    elif query.page_num is not None:
        start = (query.page_num - 1) * query.page_size
    page = keyed[start : start + query.page_size]
    next_after = page[-1][0] if page and query.page_size > 0 else None
    return Page(hits=len(matched), items=[r for _, r in page], search_after=next_after)
