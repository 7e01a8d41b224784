"""The contract between the synthetic-granule generator and the sandbox services.

The generator (``sandbox.granules``) owns the list of granules and writes their files; the
services (CMR, HTTPS data, S3) read only this description of them and never open the files'
contents, except to serve their bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Granule:
    """One synthetic granule: its identity, where it is listed, and its file on disk."""

    short_name: str
    """Collection short name: ``"ATL03"``, ``"ATL07"`` or ``"MODIS_A-JPL-L2P-v2019.0"``."""
    version: str
    """Collection version as CMR spells it: ``"006"``, ``"007"``, ``"2019.0"``."""
    providers: tuple[str, ...]
    """CMR providers that list it, e.g. ``("NSIDC_ECS", "NSIDC_CPRD")``; an on-premises-only
    granule (not yet migrated) is ``("NSIDC_ECS",)``."""
    name: str
    """File name, real naming convention: ``ATL03_20181015124359_02580106_006_02.h5``."""
    granule_ur: str
    """CMR GranuleUR (NSIDC: the file name; PO.DAAC: the file name without ``.nc``)."""
    begin: datetime
    """UTC start time (timezone-aware), equal to the file's own first measurement time."""
    end: datetime
    """UTC end time (timezone-aware)."""
    footprint: tuple[tuple[float, float], ...]
    """The area the data covers as one closed ring of (lon, lat) points, counter-clockwise, first
    point repeated last, no edge longer than about 5 degrees, never crossing the antimeridian
    inside an edge (split the ring's longitudes with care near the pole: a footprint over the pole
    is given as a ring that encloses it in lon/lat space, e.g. a band from -180 to 180).

    Generator convention for bands: the ring runs from (-180, f(-180)) eastward along the data's
    equatorward edge to (180, f(180)), then back along lat 90 (-90 in the south), vertices every
    5 degrees. Data that cross the antimeridian near a pole without enclosing it (the ATL07 track
    passes ~2 degrees from the North Pole) get such a band too: it covers the data plus the polar
    cap between them and the pole. Other footprints are the buffered outline of the data."""
    bounding_box: tuple[float, float, float, float]
    """(west, south, east, north) of the data, with west > east when it crosses the antimeridian."""
    day_night: str
    """``"Day"``, ``"Night"`` or ``"Unspecified"`` (ICESat-2 uses ``"Unspecified"``)."""
    path: Path
    """The generated file in the cache."""
    size: int
    """File size in bytes."""
    md5: str
    """MD5 hex digest of the file."""
    orbit: dict[str, float | int | str] = field(default_factory=dict)
    """ICESat-2 only: ``rgt``, ``cycle``, ``region``, ``orbit_number``, ``start_lat``, ``end_lat``,
    ``start_direction`` ("A"/"D"), ``end_direction``, ``ascending_crossing`` (lon, degrees)."""
    fault: str = ""
    """Empty, or what is deliberately wrong with the file (a sandbox fault for practice, e.g. cut
    short): the CMR record says it in an AdditionalAttribute ``SANDBOX_DELIBERATE_FAULT``."""

    @property
    def collection_key(self) -> tuple[str, str]:
        """(short_name, version): which collection the granule belongs to."""
        return (self.short_name, self.version)
