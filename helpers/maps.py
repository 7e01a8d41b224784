"""Offline coastlines and land for cartopy maps.

cartopy downloads Natural Earth shapefiles on first use. `use_offline_natural_earth` points it at
the 110m land and coastline layers shipped in ``helpers/data/natural_earth``, so
``ax.coastlines("110m")`` and ``cartopy.feature.LAND.with_scale("110m")`` work with no network.
Other scales or layers are not shipped and would still be downloaded.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NATURAL_EARTH_DIR", "use_offline_natural_earth"]

#: The shipped Natural Earth layers, in cartopy's ``shapefiles/natural_earth/<category>`` layout.
NATURAL_EARTH_DIR: Path = Path(__file__).parent / "data" / "natural_earth"


def use_offline_natural_earth() -> Path:
    """Make cartopy read Natural Earth 110m land and coastlines from the shipped copy.

    Sets ``cartopy.config["pre_existing_data_dir"]``, which cartopy checks before downloading.

    Returns
    -------
    pathlib.Path
        The directory now used (`NATURAL_EARTH_DIR`).

    Examples
    --------
    >>> import cartopy
    >>> path = use_offline_natural_earth()
    >>> cartopy.config["pre_existing_data_dir"] == path
    True
    >>> sorted(p.name for p in path.glob("shapefiles/natural_earth/physical/*.shp"))
    ['ne_110m_coastline.shp', 'ne_110m_land.shp']
    """
    import cartopy

    cartopy.config["pre_existing_data_dir"] = NATURAL_EARTH_DIR
    return NATURAL_EARTH_DIR
