"""Build the small offline map layer that ships in ``helpers/data/natural_earth``.

Cartopy downloads Natural Earth shapefiles on first use; this project must never download at run
time, so it ships a land and a coastline layer in cartopy's own directory layout and points
``cartopy.config["pre_existing_data_dir"]`` at it (``helpers.maps.use_offline_natural_earth``).

Source: Natural Earth 1:110m admin-0 countries (public domain), as distributed inside the
geopandas 0.14.4 wheel (``geopandas/datasets/naturalearth_lowres``). The countries are dissolved
into land polygons; the coastline is their boundary. Run once, by hand, when the layer must change:

    pip download --no-deps geopandas==0.14.4 -d /tmp/dl
    unzip /tmp/dl/geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*' -d /tmp/gpd
    python scripts/make_land_layer.py \
        /tmp/gpd/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp
"""

from __future__ import annotations

import sys
from pathlib import Path

import shapefile  # pyshp, a dependency of cartopy
import shapely
from shapely.geometry import shape
from shapely.geometry.polygon import orient

OUT = (
    Path(__file__).resolve().parents[1]
    / "helpers/data/natural_earth/shapefiles/natural_earth/physical"
)
PRJ = (
    'GEOGCS["GCS_WGS_1984",'
    'DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)


def main(src: str) -> None:
    with shapefile.Reader(src) as reader:
        land = shapely.unary_union([shape(s.__geo_interface__) for s in reader.shapes()])
    polygons = list(getattr(land, "geoms", [land]))
    OUT.mkdir(parents=True, exist_ok=True)
    with shapefile.Writer(str(OUT / "ne_110m_land"), shapeType=shapefile.POLYGON) as w:
        w.field("featurecla", "C", 20)
        for poly in polygons:
            # shapefile outer rings run clockwise, holes anticlockwise
            poly = orient(poly, sign=-1.0)
            rings = [list(poly.exterior.coords)] + [list(r.coords) for r in poly.interiors]
            w.poly(rings)
            w.record("Land")
    with shapefile.Writer(str(OUT / "ne_110m_coastline"), shapeType=shapefile.POLYLINE) as w:
        w.field("featurecla", "C", 20)
        for poly in polygons:
            for ring in [poly.exterior, *poly.interiors]:
                w.line([list(ring.coords)])
                w.record("Coastline")
    for name in ("ne_110m_land", "ne_110m_coastline"):
        (OUT / f"{name}.prj").write_text(PRJ)
    print(f"wrote {len(polygons)} land polygons to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
