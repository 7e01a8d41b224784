"""Parsing and validating CMR search parameters into a :class:`Query`, with CMR's error messages.

Accepts the forms python-cmr and earthaccess send (``temporal[]=a,b``, ``concept_id[]=...``,
``options[readable_granule_name][pattern]=true``, booleans as ``true``/``True``) and refuses the
rest as CMR does (``Parameter [foo] was not recognized.``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sandbox.catalog.spatial import Box, Point, Ring, close_ring, split_box
from sandbox.cmr.errors import ErrorCollector

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
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_NUMBER = r"\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*"
_BBOX = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")


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
class TemporalRange:
    """A closed or open-ended time range."""

    start: datetime | None
    end: datetime | None


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
        return bool(self.boxes or self.points or self.polygons or self.lines)


def _strip_brackets(name: str) -> str:
    return name[:-2] if name.endswith("[]") else name


def parse_datetime(text: str) -> datetime | None:
    """A CMR date-time (``2019-06-22``, ``2019-06-22T10:00:01Z``, ...) or None if invalid."""
    match = _DATETIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment


def _parse_duration(text: str) -> timedelta | None:
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        return None
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(
        days=365 * years + 30 * months + 7 * weeks + days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
    )


def _parse_temporal(value: str, errors: ErrorCollector) -> TemporalRange | None:
    if "/" in value and "," not in value:
        start_text, _, end_text = value.partition("/")
        start_dur = _parse_duration(start_text) if start_text.startswith("P") else None
        end_dur = _parse_duration(end_text) if end_text.startswith("P") else None
        start = None if start_dur else parse_datetime(start_text)
        end = None if end_dur else parse_datetime(end_text)
        if start is None and start_dur is None:
            errors.add(
                f"temporal start datetime is invalid: [{start_text}] is not a valid datetime."
            )
            return None
        if end is None and end_dur is None:
            errors.add(f"temporal end datetime is invalid: [{end_text}] is not a valid datetime.")
            return None
        if start_dur is not None and end is not None:
            start = end - start_dur
        if end_dur is not None and start is not None:
            end = start + end_dur
        return TemporalRange(start, end)
    parts = value.split(",")
    if len(parts) > 2:
        errors.add(
            f"temporal [{value}] uses periodic ranges (start,end,start_day,end_day), which the "
            "sandbox does not support; give start,end only."
        )
        return None
    start_text = parts[0].strip()
    end_text = parts[1].strip() if len(parts) > 1 else ""
    start = parse_datetime(start_text) if start_text else None
    end = parse_datetime(end_text) if end_text else None
    if start_text and start is None:
        errors.add(f"temporal start datetime is invalid: [{start_text}] is not a valid datetime.")
        return None
    if end_text and end is None:
        errors.add(f"temporal end datetime is invalid: [{end_text}] is not a valid datetime.")
        return None
    if start is not None and end is not None and start > end:
        errors.add(f"start_date [{start_text}] must be before end_date [{end_text}]")
        return None
    return TemporalRange(start, end)


def _format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _check_point(lon: float, lat: float, errors: ErrorCollector) -> bool:
    ok = True
    if not -180.0 <= lon <= 180.0:
        errors.add(f"Point longitude [{_format_number(lon)}] must be within -180.0 and 180.0")
        ok = False
    if not -90.0 <= lat <= 90.0:
        errors.add(f"Point latitude [{_format_number(lat)}] must be within -90.0 and 90.0")
        ok = False
    return ok


def _parse_bbox(value: str, errors: ErrorCollector) -> tuple[Box, ...] | None:
    if not _BBOX.match(value):
        errors.add(f"[{value}] is not a valid URL encoded bounding_box")
        return None
    west, south, east, north = (float(v) for v in value.split(","))
    ok = _check_point(west, south, errors) & _check_point(east, north, errors)
    if north < south:
        errors.add(
            f"The bounding rectangle north value [{_format_number(north)}] was less than the "
            f"south value [{_format_number(south)}]"
        )
        ok = False
    return tuple(split_box(west, south, east, north)) if ok else None


def _parse_numbers(value: str, name: str, errors: ErrorCollector) -> list[float] | None:
    try:
        return [float(v) for v in value.split(",")]
    except ValueError:
        errors.add(f"[{value}] is not a valid URL encoded {name}")
        return None


def _parse_point(value: str, errors: ErrorCollector) -> Point | None:
    numbers = _parse_numbers(value, "point", errors)
    if numbers is None or len(numbers) != 2:
        if numbers is not None:
            errors.add(f"[{value}] is not a valid URL encoded point")
        return None
    return (numbers[0], numbers[1]) if _check_point(numbers[0], numbers[1], errors) else None


def _parse_polygon(value: str, errors: ErrorCollector) -> Ring | None:
    numbers = _parse_numbers(value, "polygon", errors)
    if numbers is None:
        return None
    if len(numbers) % 2 or len(numbers) < 8:
        errors.add(f"[{value}] is not a valid URL encoded polygon")
        return None
    points = list(zip(numbers[0::2], numbers[1::2], strict=True))
    if not all(_check_point(lon, lat, errors) for lon, lat in points):
        return None
    if points[0] != points[-1]:
        errors.add(
            "Polygon boundary was not closed. The last point must be equal to the first point."
        )
        return None
    return close_ring(points)


def _parse_line(value: str, errors: ErrorCollector) -> tuple[Point, ...] | None:
    numbers = _parse_numbers(value, "line", errors)
    if numbers is None:
        return None
    if len(numbers) % 2 or len(numbers) < 4:
        errors.add(f"[{value}] is not a valid URL encoded line")
        return None
    points = tuple(zip(numbers[0::2], numbers[1::2], strict=True))
    if not all(_check_point(lon, lat, errors) for lon, lat in points):
        return None
    return points


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
            options.setdefault(param, {})[option] = value
            continue
        name = _strip_brackets(raw_name)
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
    for unsupported in ("circle", "shapefile"):
        if unsupported in values:
            errors.add(
                f"The sandbox's CMR does not support [{unsupported}] searches; use bounding_box, "
                "point, polygon or line."
            )

    sort_keys: list[tuple[str, bool]] = []
    for raw in values.get("sort_key", []):
        descending = raw.startswith("-")
        key = raw.lstrip("+-")
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
            "short_name, version or entry_title."
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
