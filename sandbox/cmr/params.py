"""Parsing and validating CMR search parameters into a :class:`Query`, with CMR's error messages.

Accepts the forms python-cmr and earthaccess send (``temporal[]=a,b``, ``concept_id[]=...``,
``options[readable_granule_name][pattern]=true``, booleans as ``true``/``True``) and refuses the
rest as CMR does (``Parameter [foo] was not recognized.``).

Parameter names are normalised as CMR does (``sanitize-params`` in
nasa/Common-Metadata-Repository ``elastic-utils-lib/src/cmr/elastic_utils/search/
es_params_converter.clj``: ``u/map-keys->kebab-case``, camel-snake-kebab's word split), so
``concept-id``, ``concept_id`` and ``conceptId`` are one parameter; parameters whose value is
empty or blank are dropped (``remove-empty-params``, same file).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sandbox.catalog.spatial import Box, Point, Ring, close_ring, split_box
from sandbox.cmr import shapes
from sandbox.cmr.errors import CmrError, ErrorCollector
from sandbox.cmr.temporal import (
    TemporalError,
    TemporalRange,
    parse_datetime,
    parse_interval,
    periodic_windows,
)

__all__ = ["Query", "TemporalRange", "TextFilter", "parse_datetime", "parse_query"]

ConceptType = Literal["collections", "granules"]
MAX_PAGE_SIZE = 2000
DEFAULT_PAGE_SIZE = 10

_COMMON = {
    "page_size", "page_num", "offset", "sort_key", "concept_id", "provider", "provider_id",
    "short_name", "version", "entry_title", "temporal", "bounding_box", "point", "polygon", "line",
    "circle", "shapefile",
    "downloadable", "online_only", "token", "pretty", "instrument", "platform",
    "updated_since", "revision_date", "native_id",
}  # fmt: skip
_COLLECTION_ONLY = {
    "keyword", "doi", "has_granules", "include_granule_counts", "include_has_granules",
    "processing_level_id", "project", "archive_center", "data_center", "consortium",
    "cloud_hosted",
}  # fmt: skip
_GRANULE_ONLY = {
    "collection_concept_id", "readable_granule_name", "producer_granule_id", "granule_ur",
    "day_night_flag", "cloud_cover", "orbit_number",
}  # fmt: skip
RECOGNIZED: dict[ConceptType, frozenset[str]] = {
    "collections": frozenset(_COMMON | _COLLECTION_ONLY),
    "granules": frozenset(_COMMON | _GRANULE_ONLY),
}
_STRING_PARAMS = {
    "provider", "provider_id", "short_name", "version", "entry_title", "native_id",
    "readable_granule_name", "producer_granule_id", "granule_ur", "instrument", "platform",
    "project", "archive_center", "data_center", "processing_level_id", "doi", "consortium",
}  # fmt: skip
_OPTIONS = {
    **{name: {"ignore_case", "pattern", "and", "or"} for name in _STRING_PARAMS},
    "temporal": {"exclude_boundary", "and", "or"},
    "spatial": {"or"},
    "concept_id": {"and", "or"},
    "keyword": {"ignore_case", "pattern"},
}
_BOOLEAN_PARAMS = {
    "cloud_hosted", "downloadable", "online_only", "has_granules", "include_granule_counts",
    "include_has_granules", "pretty",
}  # fmt: skip
_SORT_KEYS: dict[ConceptType, frozenset[str]] = {
    "collections": frozenset(
        {
            "entry_title",
            "short_name",
            "version",
            "provider",
            "start_date",
            "end_date",
            "revision_date",
            "score",
            "granule_count",
            "processing_level_id",
            "platform",
            "instrument",
            "usage_score",
            "has_granules",
            "create_data_date",
        }  # fmt: skip
    ),
    "granules": frozenset(
        {
            "granule_ur",
            "producer_granule_id",
            "readable_granule_name",
            "start_date",
            "end_date",
            "provider",
            "revision_date",
            "data_size",
            "concept_id",
            "day_night_flag",
            "cloud_cover",
            "platform",
            "instrument",
            "entry_title",
            "short_name",
            "version",
            "online_only",
            "browsable",
            "orbit_number",
        }  # fmt: skip
    ),
}


@dataclass(frozen=True)
class TextFilter:
    """Values of a string parameter and how to match them."""

    values: tuple[str, ...]
    ignore_case: bool = True
    pattern: bool = False
    all_of: bool = False

    def matches_any(self, candidates: Iterable[str]) -> bool:
        """Whether the record's candidate strings satisfy the filter."""
        candidates = list(candidates)
        hits = [any(self._match(v, c) for c in candidates) for v in self.values]
        return all(hits) if self.all_of else any(hits)

    def _match(self, value: str, candidate: str) -> bool:
        flags = re.IGNORECASE if self.ignore_case else 0
        if self.pattern:
            return wildcard_regex(value, flags).fullmatch(candidate) is not None
        if self.ignore_case:
            return value.lower() == candidate.lower()
        return value == candidate


def wildcard_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """CMR's wildcards: ``*`` any run of characters, ``?`` one character."""
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), flags | re.DOTALL)


@dataclass(frozen=True)
class Query:
    """A validated CMR search."""

    concept_type: ConceptType
    text: dict[str, TextFilter] = field(default_factory=dict)
    concept_ids: tuple[str, ...] = ()
    collection_concept_ids: tuple[str, ...] = ()
    temporal: tuple[TemporalRange, ...] = ()
    temporal_all: bool = False
    exclude_boundary: bool = False
    boxes: tuple[tuple[Box, ...], ...] = ()
    """Each bounding box, split at the antimeridian into one or two planar boxes."""
    points: tuple[Point, ...] = ()
    polygons: tuple[Ring, ...] = ()
    lines: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[tuple[Ring, ...], ...] = ()
    """Each circle as the rings of CMR's polygon approximation (cut at the antimeridian)."""
    spatial_any: bool = False
    flags: dict[str, bool] = field(default_factory=dict)
    keyword: tuple[str, ...] = ()
    day_night: str | None = None
    cloud_cover: tuple[float, float] | None = None
    orbit_numbers: tuple[tuple[float, float], ...] = ()
    page_size: int = DEFAULT_PAGE_SIZE
    page_num: int | None = None
    offset: int | None = None
    sort_keys: tuple[tuple[str, bool], ...] = ()
    """(field, descending) pairs."""
    token: str | None = None
    updated_since: datetime | None = None
    revision: tuple[TemporalRange, ...] = ()

    @property
    def has_spatial(self) -> bool:
        """Whether any spatial condition is present."""
        return bool(self.boxes or self.points or self.polygons or self.lines or self.circles)


_SPLIT_RE = re.compile(r"[-_ \t\n\x0b\f\r]+")


def _words(name: str) -> list[str]:
    """camel-snake-kebab's ``generic-split``: words separated by ``-``, ``_``, whitespace, and
    before an upper-case letter that follows a non-upper one (``shortName``), before a digit
    that follows a non-digit (``echo10``), and between ``AB`` and ``c`` in ``ABc``."""
    words: list[str] = []
    for chunk in _SPLIT_RE.split(name):
        start = 0
        for i in range(len(chunk) - 1):
            a, b = chunk[i], chunk[i + 1]
            c = chunk[i + 2] if i + 2 < len(chunk) else ""
            if (
                (not a.isupper() and b.isupper())
                or (not a.isdigit() and b.isdigit())
                or (a.isupper() and b.isupper() and c.islower())
            ):
                words.append(chunk[start : i + 1])
                start = i + 1
        if chunk[start:]:
            words.append(chunk[start:])
    return words


def normalize_name(name: str) -> str:
    """A parameter name as CMR keys it (``->kebab-case``), written snake_case as CMR's messages
    write it back (``->snake_case_string``): ``concept-id`` and ``conceptId`` become
    ``concept_id``."""
    return "_".join(w.lower() for w in _words(name)) if name.isascii() else name


def _strip_brackets(name: str) -> str:
    return name[:-2] if name.endswith("[]") else name


def _parse_day(text: str, tag: str, errors: ErrorCollector) -> int | None:
    """``day-valid?`` (search-app parameter_validation.clj): an integer from 1 to 366."""
    if not text:
        return None
    try:
        day = int(text)
    except ValueError:
        day = 0
    if not 1 <= day <= 366:
        errors.add(f"{tag} [{text}] must be an integer between 1 and 366")
        return None
    return day


def _parse_temporal(
    value: str, errors: ErrorCollector, now: datetime | None = None
) -> TemporalRange | None:
    """``start,end[,start_day[,end_day]]`` or ``interval[,start_day[,end_day]]`` (an ISO 8601
    interval with ``/``); see :mod:`sandbox.cmr.temporal`."""
    parts = [p.strip() for p in value.split(",")]
    if "/" in value:
        interval, start_day_text, end_day_text = (*parts, "", "")[:3]
        start_text = end_text = ""
    else:
        start_text, end_text, start_day_text, end_day_text = (*parts, "", "", "")[:4]
        interval = ""
    problems = len(errors.messages)
    start = parse_datetime(start_text) if start_text else None
    end = parse_datetime(end_text) if end_text else None
    if start_text and start is None:
        errors.add(f"temporal start datetime is invalid: [{start_text}] is not a valid datetime.")
    if end_text and end is None:
        errors.add(f"temporal end datetime is invalid: [{end_text}] is not a valid datetime.")
    start_day = _parse_day(start_day_text, "temporal_start_day", errors)
    end_day = _parse_day(end_day_text, "temporal_end_day", errors)
    if len(errors.messages) > problems:
        return None
    try:
        if interval:
            start, end = parse_interval(interval)
        if start is not None and end is not None and start > end:
            errors.add(f"start_date [{start_text}] must be before end_date [{end_text}]")
            return None
        if start_day is None and end_day is None:
            return TemporalRange(start, end)
        windows = periodic_windows(start, end, start_day, end_day, now or datetime.now(UTC))
    except TemporalError as error:
        if error.status != 400:
            raise CmrError(str(error), status=error.status) from error
        errors.add(str(error))
        return None
    return TemporalRange(start, end, tuple(windows))


def _parse_bbox(value: str, errors: ErrorCollector) -> tuple[Box, ...] | None:
    match = shapes.MBR_RE.fullmatch(value)
    if not match:
        errors.add(shapes.decode_error("bounding_box", value))
        return None
    west, south, east, north = (float(v) for v in match.groups())
    problems = shapes.mbr_errors(west, south, east, north)
    for problem in problems:
        errors.add(problem)
    return None if problems else tuple(split_box(west, south, east, north))


def _pairs(value: str) -> list[Point]:
    numbers = [float(v) for v in value.split(",")]
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


def _parse_point(value: str, errors: ErrorCollector) -> Point | None:
    match = shapes.POINT_RE.fullmatch(value)
    if not match:
        errors.add(shapes.decode_error("point", value))
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    problems = shapes.point_errors(lon, lat)
    for problem in problems:
        errors.add(problem)
    return None if problems else (lon, lat)


def _parse_polygon(value: str, errors: ErrorCollector) -> Ring | None:
    if not shapes.POLYGON_RE.fullmatch(value):
        errors.add(shapes.decode_error("polygon", value))
        return None
    points = _pairs(value)
    problems = shapes.geodetic_ring_errors(points)
    for problem in problems:
        errors.add(problem)
    return None if problems else close_ring(points)


def _parse_line(value: str, errors: ErrorCollector) -> tuple[Point, ...] | None:
    if not shapes.LINE_RE.fullmatch(value):
        errors.add(shapes.decode_error("line", value))
        return None
    points = _pairs(value)
    problems = shapes.shape_point_errors(points) or shapes.duplicate_point_errors(points)
    for problem in problems:
        errors.add(problem)
    return None if problems else tuple(points)


def _parse_circle(value: str, errors: ErrorCollector) -> tuple[Ring, ...] | None:
    """``lon,lat,radius_m`` (search-app parameter_validation.clj ``validate-circle-value``)."""
    match = shapes.CIRCLE_RE.fullmatch(value)
    if not match:
        errors.add(shapes.decode_error("circle", value))
        return None
    lon, lat, radius = (float(v) for v in match.groups())
    problems = shapes.radius_errors(radius) or shapes.circle_errors(lon, lat)
    for problem in problems:
        errors.add(problem)
    return None if problems else shapes.circle_rings(lon, lat, radius)


def _parse_bool(name: str, value: str, errors: ErrorCollector) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "unset":
        return None
    errors.add(f"Parameter {name} must take value of true, false, or unset, but was [{value}]")
    return None


def _parse_range(value: str, name: str, errors: ErrorCollector) -> tuple[float, float] | None:
    """``n`` (exactly n) or ``low,high`` with either end open."""
    parts = [p.strip() for p in value.split(",")]
    try:
        if len(parts) == 1:
            low = high = float(parts[0])
        elif len(parts) == 2:
            low = float(parts[0]) if parts[0] else float("-inf")
            high = float(parts[1]) if parts[1] else float("inf")
        else:
            raise ValueError(value)
    except ValueError:
        errors.add(f"{name} [{value}] must be a number or a range of two numbers")
        return None
    if low > high:
        errors.add(f"{name} [{value}]: the minimum must not exceed the maximum")
        return None
    return (low, high)


def _parse_int(value: str, low: int, high: int | None) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    if number < low or (high is not None and number > high):
        return None
    return number


def parse_query(concept_type: ConceptType, items: Iterable[tuple[str, str]]) -> Query:
    """Validate parameters (``(name, value)`` pairs in request order) into a :class:`Query`.

    Raises :class:`~sandbox.cmr.errors.CmrError` with every problem found, in CMR's words.
    """
    errors = ErrorCollector()
    values: dict[str, list[str]] = {}
    options: dict[str, dict[str, str]] = {}
    option_re = re.compile(r"^options\[([^\]]+)\]\[([^\]]+)\]$")
    recognized = RECOGNIZED[concept_type]
    for raw_name, value in items:
        if match := option_re.match(raw_name):
            param, option = match.groups()
            options.setdefault(normalize_name(param), {})[normalize_name(option)] = value
            continue
        bracketed = raw_name.endswith("[]")
        name = normalize_name(_strip_brackets(raw_name))
        if not bracketed and not value.strip():
            continue  # remove-empty-params: a blank single value is no condition
        if name not in recognized:
            errors.add(f"Parameter [{name}] was not recognized.")
            continue
        values.setdefault(name, []).append(value)
    for param, opts in options.items():
        allowed = _OPTIONS.get(param)
        if allowed is None:
            errors.add(f"Parameter [options[{param}]] was not recognized.")
            continue
        for option in opts:
            if option not in allowed:
                errors.add(f"Option [{option}] for param [{param}] was not recognized.")

    def option_flag(param: str, option: str, default: bool) -> bool:
        raw = options.get(param, {}).get(option)
        if raw is None:
            return default
        parsed = _parse_bool(f"options[{param}][{option}]", raw, errors)
        return default if parsed is None else parsed

    text: dict[str, TextFilter] = {}
    for name in _STRING_PARAMS & values.keys():
        text[name] = TextFilter(
            values=tuple(values[name]),
            ignore_case=option_flag(name, "ignore_case", True),
            pattern=option_flag(name, "pattern", False),
            all_of=option_flag(name, "and", False),
        )
    flags: dict[str, bool] = {}
    for name in _BOOLEAN_PARAMS & values.keys():
        parsed = _parse_bool(name, values[name][-1], errors)
        if parsed is not None:
            flags[name] = parsed

    page_size = DEFAULT_PAGE_SIZE
    if "page_size" in values:
        parsed_size = _parse_int(values["page_size"][-1], 0, MAX_PAGE_SIZE)
        if parsed_size is None:
            errors.add(f"page_size must be a number between 0 and {MAX_PAGE_SIZE}")
        else:
            page_size = parsed_size
    page_num = None
    if "page_num" in values:
        page_num = _parse_int(values["page_num"][-1], 1, None)
        if page_num is None:
            errors.add("page_num must be a number greater than or equal to 1")
    offset = None
    if "offset" in values:
        offset = _parse_int(values["offset"][-1], 0, None)
        if offset is None:
            errors.add("offset must be a number greater than or equal to 0")

    temporal = tuple(
        r for v in values.get("temporal", []) if (r := _parse_temporal(v, errors)) is not None
    )
    boxes = tuple(b for v in values.get("bounding_box", []) if (b := _parse_bbox(v, errors)))
    points = tuple(p for v in values.get("point", []) if (p := _parse_point(v, errors)))
    polygons = tuple(p for v in values.get("polygon", []) if (p := _parse_polygon(v, errors)))
    lines = tuple(p for v in values.get("line", []) if (p := _parse_line(v, errors)))
    circles = tuple(c for v in values.get("circle", []) if (c := _parse_circle(v, errors)))
    if "shapefile" in values:
        errors.add(
            "The sandbox's CMR does not support [shapefile] searches; use bounding_box, point, "
            "polygon, line or circle."
        )

    sort_keys: list[tuple[str, bool]] = []
    for raw in values.get("sort_key", []):
        descending = raw.startswith("-")
        key = normalize_name(raw.lstrip("+-"))
        if key not in _SORT_KEYS[concept_type]:
            noun = "collections" if concept_type == "collections" else "granules"
            errors.add(f"The sort key [{key}] is not a valid field for sorting {noun}.")
        else:
            sort_keys.append((key, descending))

    day_night = None
    if "day_night_flag" in values:
        day_night = values["day_night_flag"][-1].strip().lower()
        if day_night not in ("day", "night", "both", "unspecified"):
            errors.add(
                f"day_night_flag [{values['day_night_flag'][-1]}] must be one of "
                "[day, night, both, unspecified]"
            )
    cloud_cover = None
    if "cloud_cover" in values:
        cloud_cover = _parse_range(values["cloud_cover"][-1], "cloud_cover", errors)
    orbit_numbers = tuple(
        r for v in values.get("orbit_number", []) if (r := _parse_range(v, "orbit_number", errors))
    )
    updated_since = None
    if "updated_since" in values:
        raw_since = values["updated_since"][-1]
        updated_since = parse_datetime(raw_since)
        if updated_since is None:
            errors.add(f"updated_since [{raw_since}] is not a valid datetime.")
    revision = tuple(
        r for v in values.get("revision_date", []) if (r := _parse_temporal(v, errors)) is not None
    )
    concept_ids = tuple(values.get("concept_id", []))
    collection_ids = tuple(values.get("collection_concept_id", []))
    if concept_type == "granules" and not (
        concept_ids
        or collection_ids
        or {"provider", "provider_id", "short_name", "version", "entry_title"} & values.keys()
    ):
        errors.add(
            "The CMR does not allow querying across granules in all collections. To help optimize "
            "your search, you should limit your query using conditions that identify one or more "
            "collections, such as provider, provider_id, concept_id, collection_concept_id, "
            "short_name, version or entry_title. For any questions please contact "
            "cmr-support@nasa.gov."
        )
    if page_num is not None and offset is not None:
        errors.add("Only one of offset or page-num may be specified")
    errors.raise_if_any()
    return Query(
        concept_type=concept_type,
        text=text,
        concept_ids=concept_ids,
        collection_concept_ids=collection_ids,
        temporal=temporal,
        temporal_all=option_flag("temporal", "and", False),
        exclude_boundary=option_flag("temporal", "exclude_boundary", False),
        boxes=boxes,
        points=points,
        polygons=polygons,
        lines=lines,
        circles=circles,
        spatial_any=option_flag("spatial", "or", False),
        flags=flags,
        keyword=tuple(w for v in values.get("keyword", []) for w in v.split()),
        day_night=day_night,
        cloud_cover=cloud_cover,
        orbit_numbers=orbit_numbers,
        page_size=page_size,
        page_num=page_num,
        offset=offset,
        sort_keys=tuple(sort_keys),
        token=values["token"][-1] if "token" in values else None,
        updated_since=updated_since,
        revision=revision,
    )
