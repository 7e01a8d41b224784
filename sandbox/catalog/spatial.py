"""Planar longitude/latitude geometry for spatial search (CMR's CARTESIAN reading).

A footprint is one closed ring of (lon, lat) points whose edges are straight lines in lon/lat.
Longitudes may run past +-180 (an unwrapped ring); :func:`normalize_ring` cuts such a ring at the
antimeridian into pieces that lie in [-180, 180]. Query boxes with west > east are split in two.
Boundaries count as inside: touching is intersecting, as in CMR.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Ring = tuple[Point, ...]
Box = tuple[float, float, float, float]  # west, south, east, north with west <= east

_EPS = 1e-12


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area; positive for a counter-clockwise ring."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        total += x1 * y2 - x2 * y1
    return total / 2.0


def close_ring(points: Iterable[Point]) -> Ring:
    """The points without consecutive duplicates, first point repeated last."""
    out: list[Point] = []
    for lon, lat in points:
        point = (float(lon), float(lat))
        if not out or point != out[-1]:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return tuple(out)


def counter_clockwise(ring: Ring) -> Ring:
    """The ring in counter-clockwise order (as UMM-G GPolygon boundaries must be)."""
    return ring if signed_area(ring) >= 0 else tuple(reversed(ring))


def _clip_half_plane(ring: Sequence[Point], lon: float, keep_above: bool) -> list[Point]:
    """Sutherland-Hodgman clip of a closed ring against the half-plane lon >= or <= ``lon``."""

    def inside(p: Point) -> bool:
        return p[0] >= lon - _EPS if keep_above else p[0] <= lon + _EPS

    out: list[Point] = []
    open_ring = list(ring[:-1]) if len(ring) > 1 and ring[0] == ring[-1] else list(ring)
    for i, current in enumerate(open_ring):
        previous = open_ring[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(_cross_at_lon(previous, current, lon))
            out.append(current)
        elif inside(previous):
            out.append(_cross_at_lon(previous, current, lon))
    return out


def _cross_at_lon(a: Point, b: Point, lon: float) -> Point:
    t = (lon - a[0]) / (b[0] - a[0])
    return (lon, a[1] + t * (b[1] - a[1]))


def normalize_ring(ring: Sequence[Point]) -> list[Ring]:
    """Pieces of the ring within lon [-180, 180], each closed and counter-clockwise."""
    ring = close_ring(ring)
    if len(ring) < 4:
        raise ValueError(f"a footprint ring needs at least 3 distinct points, got {ring!r}")
    lons = [p[0] for p in ring]
    if min(lons) >= -180 - _EPS and max(lons) <= 180 + _EPS:
        return [counter_clockwise(ring)]
    pieces: list[Ring] = []
    for shift in (-720.0, -360.0, 0.0, 360.0, 720.0):
        moved = [(lon + shift, lat) for lon, lat in ring]
        clipped = _clip_half_plane(_clip_half_plane(moved, -180.0, True), 180.0, False)
        piece = close_ring((max(-180.0, min(180.0, x)), y) for x, y in clipped)
        if len(piece) >= 4 and abs(signed_area(piece)) > _EPS:
            pieces.append(counter_clockwise(piece))
    return pieces


def split_box(west: float, south: float, east: float, north: float) -> list[Box]:
    """One box, or two when it crosses the antimeridian (west > east)."""
    if west <= east:
        return [(west, south, east, north)]
    return [(west, south, 180.0, north), (-180.0, south, east, north)]


def box_ring(box: Box) -> Ring:
    """A box as a counter-clockwise closed ring."""
    w, s, e, n = box
    return ((w, s), (e, s), (e, n), (w, n), (w, s))


def ring_bounds(ring: Sequence[Point]) -> Box:
    """The ring's (west, south, east, north) in its own planar coordinates."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (min(lons), min(lats), max(lons), max(lats))


def boxes_overlap(a: Box, b: Box) -> bool:
    """Whether two planar boxes share at least one point."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def point_in_ring(point: Point, ring: Sequence[Point]) -> bool:
    """Whether the point is inside the ring or on its boundary (even-odd rule)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if _on_segment(point, (x1, y1), (x2, y2)):
            return True
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    if abs(_orientation(a, b, p)) > 1e-9 * max(1.0, abs(b[0] - a[0]) + abs(b[1] - a[1])):
        return False
    return (
        min(a[0], b[0]) - _EPS <= p[0] <= max(a[0], b[0]) + _EPS
        and min(a[1], b[1]) - _EPS <= p[1] <= max(a[1], b[1]) + _EPS
    )


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments ab and cd share a point (touching included)."""
    o1, o2 = _orientation(a, b, c), _orientation(a, b, d)
    o3, o4 = _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and (
        (o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)
    ):
        return True
    return (
        _on_segment(c, a, b) or _on_segment(d, a, b) or _on_segment(a, c, d) or _on_segment(b, c, d)
    )


def _edges_cross(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Whether any segment of polyline ``a`` meets any segment of polyline ``b``."""
    return any(
        segments_intersect(p1, p2, q1, q2)
        for p1, p2 in zip(a, a[1:], strict=False)
        for q1, q2 in zip(b, b[1:], strict=False)
    )


def rings_intersect(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Whether the areas enclosed by two closed rings share at least one point."""
    if not boxes_overlap(ring_bounds(a), ring_bounds(b)):
        return False
    return point_in_ring(a[0], b) or point_in_ring(b[0], a) or _edges_cross(a, b)


def line_intersects_ring(line: Sequence[Point], ring: Sequence[Point]) -> bool:
    """Whether a polyline touches the area enclosed by a closed ring."""
    if not boxes_overlap(ring_bounds(line), ring_bounds(ring)):
        return False
    return point_in_ring(line[0], ring) or _edges_cross(line, ring)
