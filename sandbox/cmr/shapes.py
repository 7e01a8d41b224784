"""CMR's spatial search parameters: decoding, validation messages and the circle's polygon.

Ports of nasa/Common-Metadata-Repository ``spatial-lib``:

- ``src/cmr/spatial/codec.clj``: the URL forms (``lon,lat`` pairs; numbers ``[+-]?\\d+(\\.\\d+)?``,
  no exponents) and ``[...] is not a valid URL encoded <type>``;
- ``src/cmr/spatial/messages.clj``, ``point.clj``, ``mbr.clj``, ``ring_validations.clj``,
  ``points_validation_helpers.clj``: the validation messages, in CMR's order;
- ``src/cmr/spatial/geodetic_ring.clj`` (``arcs->course-rotation-direction``), ``point.clj``
  (``course``), ``math.clj`` (``angle-delta``, ``rotation-direction``): a search polygon is
  geodetic, and its points must run counter-clockwise (net turn of the courses along its arcs);
- ``src/cmr/spatial/circle.clj`` and ``search-app/.../converters/spatial.clj``: a circle is
  searched as the polygon of 16 (radius < 50 km) or 32 points that ``circle->polygon`` makes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

from sandbox.catalog.spatial import Point, Ring, normalize_ring

_NUM = r"[+\-]?\d+(?:\.\d+)?"
POINT_RE = re.compile(rf"({_NUM}),({_NUM})")
MBR_RE = re.compile(rf"({_NUM}),({_NUM}),({_NUM}),({_NUM})")
POLYGON_RE = re.compile(rf"{_NUM},{_NUM}(?:,{_NUM},{_NUM}){{3,}}")
LINE_RE = re.compile(rf"{_NUM},{_NUM}(?:,{_NUM},{_NUM}){{1,}}")
CIRCLE_RE = re.compile(rf"({_NUM}),({_NUM}),({_NUM})")

MIN_RADIUS = 10
MAX_RADIUS = 6_000_000
EARTH_RADIUS_APPROX = 6378137.0
_ES_PRECISION = 7  # points_validation_helpers.clj: elasticsearch-rounding-precision


def double_string(value: float) -> str:
    """``cmr.common.util/double->string``: DecimalFormat("#.#####################")."""
    text = format(Decimal(repr(float(value))).quantize(Decimal(10) ** -21).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def java_double(value: float) -> str:
    """``Double.toString`` (``1.0``, ``6000001.0``, ``1.0E7``), as ``format "%s"`` prints it."""
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    power = len(text) - 1 + int(exponent)
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def decode_error(kind: str, value: str) -> str:
    """``shape-decode-msg``."""
    return f"[{value}] is not a valid URL encoded {kind}"


def point_errors(lon: float, lat: float) -> list[str]:
    """``cmr.spatial.point`` validation: longitude, then latitude."""
    errors = []
    if not -180.0 <= lon <= 180.0:
        errors.append(f"Point longitude [{double_string(lon)}] must be within -180.0 and 180.0")
    if not -90.0 <= lat <= 90.0:
        errors.append(f"Point latitude [{double_string(lat)}] must be within -90 and 90.0")
    return errors


def mbr_errors(west: float, south: float, east: float, north: float) -> list[str]:
    """``cmr.spatial.mbr`` validations: each field's range (west, north, east, south), then
    north < south."""
    errors = []
    for name, value, limit in (
        ("West", west, 180.0),
        ("North", north, 90.0),
        ("East", east, 180.0),
        ("South", south, 90.0),
    ):
        if not -limit <= value <= limit:
            errors.append(
                f"{name} must be within [{java_double(-limit)}] and [{java_double(limit)}] "
                f"but was [{java_double(value)}]."
            )
    if north < south:
        errors.append(
            f"The bounding rectangle north value [{double_string(north)}] was less than the "
            f"south value [{double_string(south)}]"
        )
    return errors


def shape_point_errors(points: Sequence[Point]) -> list[str]:
    """``points-in-shape-validation``: each point's problems, numbered from 1."""
    return [
        f"Point {i} had the following error: {message}"
        for i, (lon, lat) in enumerate(points, start=1)
        for message in point_errors(lon, lat)
    ]


def duplicate_point_errors(points: Sequence[Point]) -> list[str]:
    """``duplicate-point-validation``: points equal after rounding to 7 decimals."""
    groups: dict[Point, list[tuple[int, Point]]] = {}
    for i, (lon, lat) in enumerate(points, start=1):
        key = (round(lon, _ES_PRECISION), round(lat, _ES_PRECISION))
        groups.setdefault(key, []).append((i, (lon, lat)))
    messages = []
    for group in groups.values():
        if len(group) > 1:
            parts = [f"{i} [lon={double_string(p[0])} lat={double_string(p[1])}]" for i, p in group]
            messages.append(
                "The shape contained duplicate points. Points "
                f"{', '.join(parts[:-1])} and {parts[-1]} were considered equivalent or very close."
            )
    return messages


def _is_pole(lat: float, pole: float) -> bool:
    return abs(lat - pole) <= 1e-7


def course(p1: Point, p2: Point) -> float:
    """``cmr.spatial.point/course``: the initial bearing from p1 to p2 in degrees, 0 north,
    increasing counter-clockwise (CMR negates the usual compass bearing)."""
    (lon1, lat1), (lon2, lat2) = p1, p2
    if _is_pole(lat2, 90.0):
        return 0.0
    if _is_pole(lat1, 90.0):
        return 180.0
    if _is_pole(lat2, -90.0):
        return 180.0
    if _is_pole(lat1, -90.0):
        return 0.0
    if lon1 == lon2:
        return 180.0 if lat1 > lat2 else 0.0
    if abs(lon1 - lon2) == 180.0:
        return 0.0 if (lat1 + lat2) / 2 > 0 else 180.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    delta = math.radians(lon2 - lon1)
    y = math.sin(delta) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(delta)
    return (-math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def _angle_delta(a1: float, a2: float) -> float:
    """``cmr.spatial.math/angle-delta``: the smaller signed turn from a1 to a2."""
    if a2 < a1:
        a2 += 360.0
    left = a2 - a1
    if left == 180.0:
        return 0.0
    return left - 360.0 if left > 180.0 else left


def ring_rotation(ring: Sequence[Point]) -> str:
    """``arcs->course-rotation-direction`` of a closed geodetic ring: ``counter-clockwise``,
    ``clockwise`` or ``none`` (a ring around a pole)."""
    courses: list[float] = []
    for p1, p2 in zip(ring, ring[1:], strict=False):
        courses.append(course(p1, p2))
        courses.append((180.0 + course(p2, p1)) % 360.0)
    courses.append(courses[0])
    net = sum(_angle_delta(a, b) for a, b in zip(courses, courses[1:], strict=False))
    if abs(net) < 0.01:
        return "none"
    return "counter-clockwise" if net > 0 else "clockwise"


RING_OUT_OF_ORDER = (
    "The polygon boundary points are listed in the wrong order. Points must be provided in "
    "counter-clockwise order."
)
RING_NOT_CLOSED = (
    "Polygon boundary was not closed. The last point must be equal to the first point."
)


def geodetic_ring_errors(points: Sequence[Point]) -> list[str]:
    """``GeodeticRing`` validation, in its stages (a stage runs only if the earlier passed):
    the points; closed and no duplicates; counter-clockwise order. (Self-intersection, both
    poles and consecutive antipodal points are not checked by the sandbox.)"""
    errors = shape_point_errors(points)
    if errors:
        return errors
    if points[0] != points[-1]:
        errors.append(RING_NOT_CLOSED)
    errors += duplicate_point_errors(points[:-1])
    if errors:
        return errors
    return [RING_OUT_OF_ORDER] if ring_rotation(points) == "clockwise" else []


def circle_errors(lon: float, lat: float) -> list[str]:
    """The circle's center (its point, then not on a pole); the radius is checked on decoding."""
    errors = point_errors(lon, lat)
    if lat in (90.0, -90.0):
        errors.append(
            "Circle center cannot be the north or south pole, but was "
            f"[{java_double(lon)}, {java_double(lat)}]"
        )
    return errors


def radius_errors(radius: float) -> list[str]:
    """``validate-radius``."""
    if MIN_RADIUS <= radius <= MAX_RADIUS:
        return []
    return [
        f"Circle radius must be between {MIN_RADIUS} and {MAX_RADIUS}, but was "
        f"{java_double(radius)}."
    ]


def circle_points(lon: float, lat: float, radius: float) -> list[Point]:
    """``circle->polygon``'s points (16 when radius < 50 km, else 32), first repeated last, with
    longitudes left unwrapped (continuous) so the ring can be cut at the antimeridian."""
    n = 16 if radius < 50_000 else 32
    lon1, lat1 = math.radians(lon), math.radians(lat)
    r = radius / EARTH_RADIUS_APPROX
    points: list[Point] = []
    for index in range(n):
        theta = -2.0 * math.pi * index / n
        plat = math.asin(
            math.sin(lat1) * math.cos(r) + math.cos(lat1) * math.sin(r) * math.cos(theta)
        )
        dlon = math.atan2(
            math.sin(theta) * math.sin(r) * math.cos(lat1),
            math.cos(r) - math.sin(lat1) * math.sin(plat),
        )
        points.append((math.degrees(lon1 + dlon), math.degrees(plat)))
    return [*points, points[0]]


def circle_rings(lon: float, lat: float, radius: float) -> tuple[Ring, ...]:
    """The circle as planar lon/lat rings for the sandbox's CARTESIAN matching.

    A circle that reaches over a pole becomes the latitude band from its lowest point to that
    pole (the sandbox's simplification: CMR keeps the geodetic polygon around the pole)."""
    points = circle_points(lon, lat, radius)
    distance_to_pole = math.radians(90.0 - abs(lat)) * EARTH_RADIUS_APPROX
    if radius >= distance_to_pole:
        if lat > 0:
            low = min(p[1] for p in points)
            return (((-180.0, low), (180.0, low), (180.0, 90.0), (-180.0, 90.0), (-180.0, low)),)
        high = max(p[1] for p in points)
        return (((-180.0, -90.0), (180.0, -90.0), (180.0, high), (-180.0, high), (-180.0, -90.0)),)
    return tuple(normalize_ring(points))
