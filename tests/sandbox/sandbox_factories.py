"""Small synthetic Granule lists for sandbox tests (tiny HDF5 files in a temporary folder)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h5py
import numpy as np

from sandbox.granules.model import Granule


def rectangle(
    west: float, south: float, east: float, north: float
) -> tuple[tuple[float, float], ...]:
    """A counter-clockwise closed ring (lon, lat) around a box."""
    return ((west, south), (east, south), (east, north), (west, north), (west, south))


def _wrap(lon: float) -> float:
    return lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0


def write_h5(path: Path, title: str, n: int = 5000) -> tuple[int, str]:
    """A small HDF5 file with a root attribute and one dataset; returns (size, md5)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["title"] = title
        f.attrs["sandbox_note"] = "synthetic test granule"
        f.create_dataset("gt1l/heights/h_ph", data=np.arange(n, dtype="f4"), chunks=(1000,))
    data = path.read_bytes()
    return len(data), hashlib.md5(data).hexdigest()


def make_granule(
    directory: Path,
    short_name: str,
    version: str,
    providers: tuple[str, ...],
    begin: datetime,
    footprint: tuple[tuple[float, float], ...],
    *,
    minutes: float = 5.0,
    day_night: str = "Unspecified",
    index: int = 0,
    orbit: dict | None = None,
) -> Granule:
    """A Granule with a real tiny file, named like the real product."""
    stamp = begin.strftime("%Y%m%d%H%M%S")
    if short_name == "MODIS_A-JPL-L2P-v2019.0":
        flag = "D" if day_night == "Day" else "N"
        name = f"{stamp}-JPL-L2P_GHRSST-SSTskin-MODIS_A-{flag}-v02.0-fv01.0.nc"
        granule_ur = name[: -len(".nc")]
    else:
        prefix = "ATL07-01" if short_name == "ATL07" else short_name
        name = f"{prefix}_{stamp}_{258 + index:04d}0106_{version}_02.h5"
        granule_ur = name
    path = directory / short_name / version / name
    size, md5 = write_h5(path, name)
    lons = [p[0] for p in footprint]
    lats = [p[1] for p in footprint]
    if orbit is None and short_name.startswith("ATL"):
        orbit = {
            "rgt": 258 + index,
            "cycle": 1,
            "region": 6,
            "orbit_number": 1000 + index,
            "start_lat": lats[0],
            "end_lat": lats[2],
            "start_direction": "D",
            "end_direction": "D",
            "ascending_crossing": -120.5 + index,
        }
    return Granule(
        short_name=short_name,
        version=version,
        providers=providers,
        name=name,
        granule_ur=granule_ur,
        begin=begin,
        end=begin + timedelta(minutes=minutes),
        footprint=footprint,
        bounding_box=(_wrap(min(lons)), min(lats), _wrap(max(lons)), max(lats)),
        day_night=day_night,
        path=path,
        size=size,
        md5=md5,
        orbit=orbit or {},
    )


def small_catalog(directory: Path) -> list[Granule]:
    """A dozen granules covering every collection, the antimeridian, the pole and ECS-only ones.

    History as well as today: the retired ICESat-2 006 collections, on premises (NSIDC_ECS) and in
    the cloud, are kept here to exercise the on-premises code paths (``build_catalog`` adds the
    retired collections that granules name); test_real_catalog.py states today's catalog."""
    t0 = datetime(2018, 10, 15, 12, 43, 59, tzinfo=UTC)
    both = ("NSIDC_ECS", "NSIDC_CPRD")
    granules = [
        make_granule(directory, "ATL03", "006", both, t0, rectangle(-134.8, 58.0, -133.9, 60.0)),
        make_granule(
            directory,
            "ATL03",
            "006",
            both,
            t0 + timedelta(days=1),
            rectangle(-135.5, 57.5, -134.5, 59.5),
            index=1,
        ),
        make_granule(
            directory,
            "ATL03",
            "006",
            ("NSIDC_ECS",),
            t0 + timedelta(days=2),
            rectangle(-134.2, 58.2, -133.2, 61.0),
            index=2,
        ),
        make_granule(
            directory,
            "ATL03",
            "006",
            both,
            t0 + timedelta(days=3),
            rectangle(170.0, 60.0, 180.0, 65.0),
            index=3,
        ),
        make_granule(
            directory, "ATL03", "007", ("NSIDC_CPRD",), t0, rectangle(-134.8, 58.0, -133.9, 60.0)
        ),
        make_granule(
            directory,
            "ATL07",
            "006",
            both,
            datetime(2019, 6, 22, 5, 53, 17, tzinfo=UTC),
            ((-180.0, 80.0), (180.0, 80.0), (180.0, 90.0), (-180.0, 90.0), (-180.0, 80.0)),
            minutes=40,
            index=4,
        ),
        make_granule(
            directory,
            "ATL07",
            "006",
            both,
            datetime(2019, 6, 22, 7, 30, 0, tzinfo=UTC),
            ((175.0, 70.0), (185.0, 70.0), (185.0, 75.0), (175.0, 75.0), (175.0, 70.0)),
            index=5,
        ),
    ]
    for i in range(6):
        begin = datetime(2019, 6, 22, 10, 0, 1, tzinfo=UTC) + timedelta(minutes=5 * i)
        granules.append(
            make_granule(
                directory,
                "MODIS_A-JPL-L2P-v2019.0",
                "2019.0",
                ("POCLOUD",),
                begin,
                rectangle(-70.0 + 10 * i, 66.0, -40.0 + 10 * i, 85.0),
                day_night="Day" if i % 2 == 0 else "Night",
                orbit={},
            )
        )
    return granules


def session_catalog(directory: Path) -> list[Granule]:
    """:func:`small_catalog` plus 30 MODIS swaths of 2019-06-22 (for paging and spatial variety:
    some cross the antimeridian as unwrapped rings, some reach the pole)."""
    granules = small_catalog(directory)
    start = datetime(2019, 6, 22, 11, 0, 1, tzinfo=UTC)
    for i in range(30):
        west = -180.0 + 23.0 * i % 360.0
        south = 60.0 + (i % 5) * 5.0
        north = 90.0 if i % 7 == 0 else min(90.0, south + 12.0)
        ring = rectangle(west, south, west + 40.0, north)  # west + 40 may pass 180: unwrapped
        granules.append(
            make_granule(
                directory,
                "MODIS_A-JPL-L2P-v2019.0",
                "2019.0",
                ("POCLOUD",),
                start + timedelta(minutes=5 * i),
                ring,
                day_night="Day" if i % 3 else "Night",
                orbit={},
            )
        )
    return granules


def many_on_premises_granules(directory: Path, count: int) -> list[Granule]:
    """``count`` ATL03 v006 records of NSIDC_ECS only (no S3 objects), sharing one tiny file:
    enough records to make clients page (CMR pages hold at most 2000)."""
    shared = make_granule(
        directory,
        "ATL03",
        "006",
        ("NSIDC_ECS",),
        datetime(2019, 1, 1, tzinfo=UTC),
        rectangle(-150.0, 60.0, -149.0, 61.0),
    )
    start = datetime(2019, 1, 1, tzinfo=UTC)
    granules = []
    for i in range(count):
        begin = start + timedelta(minutes=7 * i)
        name = f"ATL03_{begin:%Y%m%d%H%M%S}_{i % 1387 + 1:04d}0206_006_02.h5"
        lon = -180.0 + (i * 0.17) % 350.0
        granules.append(
            Granule(
                short_name="ATL03",
                version="006",
                providers=("NSIDC_ECS",),
                name=name,
                granule_ur=name,
                begin=begin,
                end=begin + timedelta(minutes=5),
                footprint=rectangle(lon, -60.0, lon + 1.0, -50.0),
                bounding_box=(lon, -60.0, lon + 1.0, -50.0),
                day_night="Unspecified",
                path=shared.path,
                size=shared.size,
                md5=shared.md5,
                orbit={},
            )
        )
    return granules
