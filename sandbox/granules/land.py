"""Land mask from the committed offline Natural Earth 110 m land polygons.

The same polygons the tutorial maps draw, so flagged land in the data lines up with the map.
The shapefile is read by path (the sandbox never imports ``helpers``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import shapefile
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import shape
from shapely.ops import unary_union

LAND_SHAPEFILE = (
    Path(__file__).resolve().parents[2]
    / "helpers/data/natural_earth/shapefiles/natural_earth/physical/ne_110m_land.shp"
)
"""Natural Earth 1:110m physical land polygons (public domain)."""


@lru_cache(maxsize=1)
def land_geometry() -> shapely.Geometry:
    """All land polygons as one prepared (multi)polygon in lon/lat degrees."""
    with shapefile.Reader(str(LAND_SHAPEFILE)) as reader:
        polygons = [shape(s.__geo_interface__) for s in reader.shapes()]
    geom = unary_union(polygons)
    shapely.prepare(geom)
    return geom


def is_land(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """True where (lat, lon) falls on Natural Earth 110 m land."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    out = np.zeros(lat.shape, dtype=bool)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if ok.any():
        out[ok] = shapely.contains_xy(land_geometry(), lon[ok], lat[ok])
    return out


def distance_to_coast_deg(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Planar lon/lat distance (deg) to the nearest Natural Earth coastline (coarse helper)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    boundary = land_geometry().boundary
    pts = shapely.points(lon.ravel(), lat.ravel())
    return shapely.distance(boundary, pts).reshape(lat.shape)
