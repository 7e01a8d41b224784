"""CMR footprints: one simple lon/lat ring that encloses the data (see ``model.Granule.footprint``).

Two cases. A boundary that stays on one side of the antimeridian and does not go around a pole
becomes a buffered polygon of that boundary. A boundary that goes around a pole or crosses the
antimeridian (a polar swath, the ATL07 track past the pole) becomes a polar band: the ring runs
along ``lat = f(lon)`` from -180 to 180, then along the pole line back to -180, so in lon/lat it
is simple, never crosses the antimeridian inside an edge, and encloses the data and the pole cap
beyond it. Edges are at most 5 degrees long; rings are counter-clockwise and closed.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

Ring = tuple[tuple[float, float], ...]
MAX_EDGE_DEG = 5.0


def _round_ring(coords: np.ndarray) -> Ring:
    ring = tuple((round(float(x), 6), round(float(y), 6)) for x, y in coords)
    if ring[0] != ring[-1]:
        ring = ring + (ring[0],)
    return ring


def _is_polar(lon_ring: np.ndarray) -> bool:
    d = np.diff(np.concatenate([lon_ring, lon_ring[:1]]))
    wraps = np.abs(d) > 180.0
    return bool(wraps.any())


def polar_band(lat: ArrayLike, lon: ArrayLike, *, margin_deg: float = 0.05) -> Ring:
    """A band ring from -180 to 180 whose lower (or upper, in the south) edge bounds the data."""
    lat = np.asarray(lat, dtype=np.float64).ravel()
    lon = np.asarray(lon, dtype=np.float64).ravel()
    north = float(np.nanmean(lat)) >= 0
    step = MAX_EDGE_DEG
    nodes = np.arange(-180.0, 180.0 + step / 2, step)
    sign = 1.0 if north else -1.0
    s_lat = sign * lat
    cap = float(np.nanmax(s_lat))
    edge = np.empty(nodes.size)
    for i, node in enumerate(nodes):
        d = np.abs((lon - node + 180.0) % 360.0 - 180.0)
        sel = d <= step
        edge[i] = float(np.nanmin(s_lat[sel])) if sel.any() else cap
    edge = np.clip(edge - margin_deg, -90.0, 89.9)
    pole = 90.0
    coords = [(float(x), sign * float(y)) for x, y in zip(nodes, edge, strict=True)]
    top = [(float(x), sign * pole) for x in nodes[::-1]]
    ring = coords + top
    poly = shapely.segmentize(orient(Polygon(ring), sign=1.0), MAX_EDGE_DEG)
    return _round_ring(np.asarray(poly.exterior.coords))


def boundary_polygon(lat_ring: ArrayLike, lon_ring: ArrayLike, *, buffer_deg: float = 0.01) -> Ring:
    """A buffered ring from an ordered boundary (polar or antimeridian-crossing: a band)."""
    lat_ring = np.asarray(lat_ring, dtype=np.float64)
    lon_ring = np.asarray(lon_ring, dtype=np.float64)
    if _is_polar(lon_ring):
        return polar_band(lat_ring, lon_ring, margin_deg=max(buffer_deg, 0.05))
    poly = Polygon(np.column_stack([lon_ring, lat_ring]))
    if not poly.is_valid:
        poly = shapely.make_valid(poly).convex_hull
    poly = poly.buffer(buffer_deg, join_style="mitre").simplify(buffer_deg / 4)
    poly = poly.intersection(shapely.box(-180.0, -90.0, 180.0, 90.0))
    poly = shapely.segmentize(orient(poly, sign=1.0), MAX_EDGE_DEG)
    return _round_ring(np.asarray(poly.exterior.coords))


def bounding_box(ring: Ring) -> tuple[float, float, float, float]:
    """(W, S, E, N) of a footprint ring."""
    arr = np.asarray(ring)
    return (
        round(float(arr[:, 0].min()), 6),
        round(float(arr[:, 1].min()), 6),
        round(float(arr[:, 0].max()), 6),
        round(float(arr[:, 1].max()), 6),
    )


def contains(ring: Ring, lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """Which points lie inside (or on) the ring, in planar lon/lat."""
    poly = Polygon(ring)
    return shapely.intersects_xy(
        poly, np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
