"""The planar geometry behind spatial search, checked against shapely on random shapes."""

from __future__ import annotations

import math
import random

import pytest
from shapely.geometry import LineString, Polygon, box
from shapely.geometry import Point as ShapelyPoint

from sandbox.catalog import spatial


def _random_ring(rng: random.Random, cx: float, cy: float) -> spatial.Ring:
    """A star-shaped (hence simple) ring around (cx, cy), counter-clockwise."""
    n = rng.randint(3, 9)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    points = [
        (cx + rng.uniform(0.5, 8) * math.cos(a), cy + rng.uniform(0.5, 8) * math.sin(a))
        for a in angles
    ]
    return spatial.close_ring(points)


def test_rings_intersect_agrees_with_shapely() -> None:
    rng = random.Random(7)
    checked = {True: 0, False: 0}
    for _ in range(3000):
        a = _random_ring(rng, rng.uniform(-12, 12), rng.uniform(-12, 12))
        b = _random_ring(rng, rng.uniform(-12, 12), rng.uniform(-12, 12))
        expected = Polygon(a).intersects(Polygon(b))
        assert spatial.rings_intersect(a, b) is expected, (a, b)
        checked[expected] += 1
    assert min(checked.values()) > 300  # both outcomes well represented


def test_point_in_ring_agrees_with_shapely_and_counts_the_boundary() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        ring = _random_ring(rng, 0, 0)
        point = (rng.uniform(-9, 9), rng.uniform(-9, 9))
        assert spatial.point_in_ring(point, ring) is Polygon(ring).covers(ShapelyPoint(point))
    square = spatial.box_ring((0, 0, 1, 1))
    assert spatial.point_in_ring((1.0, 0.5), square)
    assert spatial.point_in_ring((0.0, 0.0), square)


def test_touching_counts_as_intersecting() -> None:
    assert spatial.rings_intersect(spatial.box_ring((0, 0, 1, 1)), spatial.box_ring((1, 0, 2, 1)))
    assert not spatial.rings_intersect(
        spatial.box_ring((0, 0, 1, 1)), spatial.box_ring((1.001, 0, 2, 1))
    )


def test_unwrapped_ring_is_cut_at_the_antimeridian() -> None:
    pieces = spatial.normalize_ring([(170, 60), (190, 60), (190, 70), (170, 70), (170, 60)])
    assert len(pieces) == 2
    areas = sorted(Polygon(p).area for p in pieces)
    assert areas == pytest.approx([100.0, 100.0])
    bounds = sorted(spatial.ring_bounds(p) for p in pieces)
    assert bounds == [(-180.0, 60.0, -170.0, 70.0), (170.0, 60.0, 180.0, 70.0)]
    assert all(spatial.signed_area(p) > 0 for p in pieces)


def test_clockwise_rings_are_turned_counter_clockwise() -> None:
    (ring,) = spatial.normalize_ring([(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)])
    assert spatial.signed_area(ring) > 0
    assert ring[0] == ring[-1]


def test_boxes_across_the_antimeridian_are_split() -> None:
    assert spatial.split_box(170, -10, -170, 10) == [(170, -10, 180.0, 10), (-180.0, -10, -170, 10)]
    assert spatial.split_box(-10, -10, 10, 10) == [(-10, -10, 10, 10)]


def test_degenerate_rings_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 distinct points"):
        spatial.normalize_ring([(0, 0), (1, 1), (0, 0)])


def test_box_ring_matches_shapely_box() -> None:
    ring = spatial.box_ring((-3, -2, 5, 7))
    assert Polygon(ring).equals(box(-3, -2, 5, 7))


def test_line_intersects_ring_agrees_with_shapely() -> None:
    rng = random.Random(3)
    outcomes = set()
    for _ in range(2000):
        ring = _random_ring(rng, 0, 0)
        line = [(rng.uniform(-15, 15), rng.uniform(-15, 15)) for _ in range(rng.randint(2, 4))]
        expected = Polygon(ring).intersects(LineString(line))
        assert spatial.line_intersects_ring(line, ring) is expected, (line, ring)
        outcomes.add(expected)
    assert outcomes == {True, False}
