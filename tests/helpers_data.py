"""Tiny HDF5 / netCDF files with the quirks of the real products, for the helpers' tests.

Each builder writes a file of a few kilobytes and returns its path. The quirks are those of
FORMATS.md: string attributes as fixed-length bytes, ``delta_time`` as an HDF5 dimension scale
(``CLASS``, ``NAME``, ``REFERENCE_LIST``) attached to every variable (``DIMENSION_LIST``),
``orbit_info/sc_orient``, ``ancillary_data/atlas_sdp_gps_epoch``, chunked deflated datasets, the
ATL07 float32-max ``_FillValue``, and a MODIS L2P netCDF-4 file whose every attribute is a
one-element array.

Examples
--------
>>> import tempfile, pathlib, shutil, h5py
>>> path = make_atl07(pathlib.Path(tempfile.mkdtemp()) / "ATL07.h5", n_segments=10)
>>> with h5py.File(path) as f:
...     bytes(f["gt1l/sea_ice_segments/delta_time"].attrs["CLASS"])
b'DIMENSION_SCALE'
>>> shutil.rmtree(path.parent)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5netcdf
import h5py
import numpy as np

__all__ = [
    "ATL03_START_DELTA_TIME",
    "ATL07_START_DELTA_TIME",
    "FLOAT32_MAX",
    "MODIS_TIME",
    "make_atl03",
    "make_atl07",
    "make_modis_l2p",
    "segment_of_each_photon",
]

#: delta_time of the first photon of the target ATL03 granule (2018-10-15T12:43:57.696 UTC).
ATL03_START_DELTA_TIME = 24842637.696
#: delta_time of the first ATL07 segment of the tutorial granule (2019-06-22T06:14:53.64 UTC).
ATL07_START_DELTA_TIME = 46419293.64266939
#: The ATL07 height fill value: float32 max, exactly.
FLOAT32_MAX = np.finfo(np.float32).max
#: MODIS L2P ``time``: seconds since 1981-01-01 of 2019-06-22T10:00:01.
MODIS_TIME = 1214042401

_STRONG = {0: ("gt1l", "gt2l", "gt3l"), 1: ("gt1r", "gt2r", "gt3r")}
_ALL_BEAMS = ("gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r")


def _text(obj: h5py.HLObject, **attrs: str) -> None:
    """Write string attributes as fixed-length bytes, the way the ATL products store them."""
    for name, value in attrs.items():
        obj.attrs.create(name, np.bytes_(value))


def _dataset(group: h5py.Group, name: str, data: np.ndarray, **attrs: object) -> h5py.Dataset:
    data = np.asarray(data)
    chunks = (min(len(data), 256), *data.shape[1:]) if data.ndim and len(data) else None
    dset = group.create_dataset(name, data=data, chunks=chunks, compression="gzip")
    for key, value in attrs.items():
        if isinstance(value, str):
            _text(dset, **{key: value})
        else:
            dset.attrs[key] = value
    return dset


def _time_scale(group: h5py.Group, delta_time: np.ndarray, scale_name: str) -> h5py.Dataset:
    dset = _dataset(
        group,
        "delta_time",
        delta_time,
        units="seconds since 2018-01-01",
        long_name="Elapsed GPS seconds",
        standard_name="time",
        source="Operations",
        contentType="referenceInformation",
    )
    dset.make_scale(scale_name)
    return dset


def _attach(scale: h5py.Dataset, *datasets: h5py.Dataset) -> None:
    for dset in datasets:
        dset.dims[0].attach_scale(scale)


def _common(f: h5py.File, short_name: str, sc_orient: Sequence[int]) -> None:
    _text(
        f,
        short_name=short_name,
        Conventions="CF-1.6",
        featureType="trajectory",
        title=f"SYNTHETIC {short_name} for helpers tests",
        description="Synthetic test data, not a real granule.",
    )
    epoch = _dataset(
        f.require_group("ancillary_data"),
        "atlas_sdp_gps_epoch",
        np.array([1198800018.0]),
        units="seconds since 1980-01-06T00:00:00.000000Z",
        long_name="ATLAS Epoch Offset",
    )
    epoch.attrs["valid_min"] = np.array([0.0])
    orient = _dataset(
        f.require_group("orbit_info"),
        "sc_orient",
        np.asarray(sc_orient, dtype="i1"),
        long_name="Spacecraft Orientation",
        units="1",
        flag_meanings="backward forward transition",
        source="POD/PPD",
    )
    orient.attrs["flag_values"] = np.array([0, 1, 2], dtype="i1")
    _dataset(f["orbit_info"], "rgt", np.array([258], dtype="i2"), units="counts")


def _beam_group(f: h5py.File, beam: str, sc_orient: Sequence[int]) -> h5py.Group:
    group = f.create_group(beam)
    strong = _STRONG.get(int(sc_orient[0]), ()) if len(sc_orient) == 1 else ()
    _text(
        group,
        Description="Each group contains the segments for one Ground Track.",
        atlas_beam_type="strong" if beam in strong else "weak",
        atlas_spot_number=str(_ALL_BEAMS.index(beam) + 1),
        groundtrack_id=beam,
        sc_orientation="Backward" if sc_orient[0] == 0 else "Forward",
    )
    return group


def make_atl03(
    path: Path,
    *,
    beams: Sequence[str] = ("gt1l", "gt1r", "gt2l"),
    n_photons: int = 600,
    n_segments: int = 60,
    sc_orient: Sequence[int] = (0,),
    seed: int = 3,
) -> Path:
    """Write an ATL03-like file: ``gtXX/heights`` (photons) and ``gtXX/geolocation`` (segments).

    Photons are spread over 20 m segments with random counts, some segments empty (their
    ``ph_index_beg`` is 0); ``dist_ph_along`` is the saw-tooth distance within the segment.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py
    >>> path = make_atl03(pathlib.Path(tempfile.mkdtemp()) / "ATL03.h5", n_photons=50)
    >>> with h5py.File(path) as f:
    ...     f["gt1l/heights/h_ph"].shape, sorted(f["gt1l/heights/h_ph"].attrs)[0]
    ((50,), 'DIMENSION_LIST')
    >>> shutil.rmtree(path.parent)
    """
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        _common(f, "ATL03", sc_orient)
        for beam in beams:
            group = _beam_group(f, beam, sc_orient)
            # Photon counts per segment: random, with every 7th segment empty.
            weights = rng.random(n_segments)
            weights[::7] = 0.0
            counts = np.floor(weights / weights.sum() * n_photons).astype(np.int64)
            counts[np.argmax(counts)] += n_photons - counts.sum()
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            ph_index_beg = np.where(counts > 0, starts + 1, 0)
            segment_dist_x = 2_000_000.0 + 20.0 * np.arange(n_segments)
            segment = np.repeat(np.arange(n_segments), counts)
            within = np.concatenate([np.sort(rng.uniform(0, 20, c)) for c in counts])

            heights = group.create_group("heights")
            t = ATL03_START_DELTA_TIME + np.arange(n_photons) * 1e-4
            scale = _time_scale(heights, t, f"{beam}/heights/delta_time")
            surf = heights.create_dataset("ds_surf_type", data=np.arange(1, 6, dtype="i1"))
            surf.make_scale("ds_surf_type")
            lat = 59.0 - 1e-5 * np.arange(n_photons)
            variables = [
                _dataset(
                    heights,
                    "h_ph",
                    rng.normal(1500.0, 2.0, n_photons).astype("f4"),
                    units="meters",
                    long_name="Photon WGS84 Height",
                    standard_name="height",
                    coordinates="delta_time lat_ph lon_ph",
                    contentType="physicalMeasurement",
                ),
                _dataset(
                    heights,
                    "lat_ph",
                    lat,
                    units="degrees_north",
                    long_name="Latitude",
                    standard_name="latitude",
                    coordinates="delta_time lon_ph",
                    valid_min=-90.0,
                    valid_max=90.0,
                ),
                _dataset(
                    heights,
                    "lon_ph",
                    -134.3 + 1e-6 * np.arange(n_photons),
                    units="degrees_east",
                    long_name="Longitude",
                    standard_name="longitude",
                    coordinates="delta_time lat_ph",
                    valid_min=-180.0,
                    valid_max=180.0,
                ),
                _dataset(
                    heights,
                    "dist_ph_along",
                    within.astype("f4"),
                    units="meters",
                    long_name="Distance from equator crossing.",
                    description="Along-track distance of the photon within its 20 m segment.",
                ),
            ]
            conf = _dataset(
                heights,
                "signal_conf_ph",
                rng.integers(-1, 5, (n_photons, 5)).astype("i1"),
                units="1",
                long_name="Photon Signal Confidence",
                flag_meanings="possible_tep not_considered noise buffer low medium high",
            )
            conf.attrs["flag_values"] = np.arange(-2, 5, dtype="i1")
            conf.dims[1].attach_scale(surf)
            _attach(scale, *variables, conf)

            geolocation = group.create_group("geolocation")
            tg = ATL03_START_DELTA_TIME + np.arange(n_segments) * (n_photons * 1e-4 / n_segments)
            gscale = _time_scale(geolocation, tg, f"{beam}/geolocation/delta_time")
            _attach(
                gscale,
                _dataset(geolocation, "segment_id", np.arange(n_segments, dtype="i4") + 555_000),
                _dataset(geolocation, "segment_dist_x", segment_dist_x, units="meters"),
                _dataset(geolocation, "segment_length", np.full(n_segments, 20.0), units="meters"),
                _dataset(
                    geolocation,
                    "ph_index_beg",
                    ph_index_beg.astype("i8"),
                    units="1",
                    long_name="Photon Index Begin",
                ),
                _dataset(
                    geolocation,
                    "segment_ph_cnt",
                    counts.astype("i4"),
                    units="counts",
                    _FillValue=np.int32(0),
                ),
            )
            assert len(segment) == n_photons
    return Path(path)


def segment_of_each_photon(path: Path, beam: str) -> np.ndarray:
    """The segment of each photon, found with a plain loop: the reference for the fast version.

    Examples
    --------
    >>> import tempfile, pathlib, shutil
    >>> path = make_atl03(pathlib.Path(tempfile.mkdtemp()) / "ATL03.h5", n_photons=20)
    >>> segment_of_each_photon(path, "gt1l").shape
    (20,)
    >>> shutil.rmtree(path.parent)
    """
    with h5py.File(path) as f:
        beg = f[f"{beam}/geolocation/ph_index_beg"][()]
        cnt = f[f"{beam}/geolocation/segment_ph_cnt"][()]
        n = f[f"{beam}/heights/delta_time"].shape[0]
    out = np.full(n, -1)
    for segment, (first, count) in enumerate(zip(beg, cnt, strict=True)):
        for photon in range(first - 1, first - 1 + count):
            out[photon] = segment
    return out


def make_atl07(
    path: Path,
    *,
    beams: Sequence[str] = ("gt1l", "gt2r"),
    n_segments: int = 400,
    sc_orient: Sequence[int] = (1,),
    seed: int = 7,
) -> Path:
    """Write an ATL07-like file: ``gtXX/sea_ice_segments`` with ``heights/`` and ``geophysical/``.

    ``height_segment_height`` starts with the fill value (float32 max) and has more fills in
    between (every 13th segment), like the tutorial granule.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py
    >>> path = make_atl07(pathlib.Path(tempfile.mkdtemp()) / "ATL07.h5", n_segments=5)
    >>> with h5py.File(path) as f:
    ...     bool(f["gt1l/sea_ice_segments/heights/height_segment_height"][0] == FLOAT32_MAX)
    True
    >>> shutil.rmtree(path.parent)
    """
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        _common(f, "ATL07", sc_orient)
        for beam in beams:
            group = _beam_group(f, beam, sc_orient)
            segments = group.create_group("sea_ice_segments")
            t = ATL07_START_DELTA_TIME + np.linspace(0.0, 388.2, n_segments)
            scale = _time_scale(segments, t, f"{beam}/sea_ice_segments/delta_time")
            height = rng.normal(-0.45, 0.1, n_segments).astype("f4")
            height[0] = FLOAT32_MAX
            height[13::13] = FLOAT32_MAX
            heights = segments.create_group("heights")
            geophysical = segments.create_group("geophysical")
            height_attrs = {
                "units": "meters",
                "long_name": "height of segment surface",
                "coordinates": "../delta_time ../latitude ../longitude",
                "_FillValue": np.float32(FLOAT32_MAX),
            }
            _attach(
                scale,
                _dataset(
                    segments,
                    "latitude",
                    np.linspace(82.38431982, 72.60970985, n_segments),
                    units="degrees_north",
                    long_name="Latitude",
                    coordinates="delta_time longitude",
                    valid_min=-90.0,
                    valid_max=90.0,
                ),
                _dataset(
                    segments,
                    "longitude",
                    np.linspace(-55.10896068, 145.05389832, n_segments),
                    units="degrees_east",
                    long_name="Longitude",
                    coordinates="delta_time latitude",
                ),
                _dataset(
                    segments,
                    "height_segment_id",
                    np.arange(n_segments, dtype="i4") + 1,
                    long_name="Identifier of each height segment",
                ),
                _dataset(heights, "height_segment_height", height, **height_attrs),
                _dataset(
                    heights,
                    "height_segment_confidence",
                    rng.random(n_segments).astype("f4"),
                    units="1",
                    _FillValue=np.float32(FLOAT32_MAX),
                ),
                _dataset(
                    heights,
                    "height_segment_type",
                    rng.integers(0, 10, n_segments).astype("i1"),
                    units="1",
                    _FillValue=np.int8(-1),
                ),
                _dataset(
                    geophysical,
                    "height_segment_dac",
                    rng.normal(0.0, 0.05, n_segments).astype("f4"),
                    units="meters",
                    _FillValue=np.float32(FLOAT32_MAX),
                ),
            )
    return Path(path)


def _one(value: object, dtype: str | None = None) -> np.ndarray:
    """A one-element array attribute, as in the old-style GHRSST files."""
    if isinstance(value, str):
        return np.array([value.encode()])
    return np.array([value], dtype=dtype)


def make_modis_l2p(path: Path, *, nj: int = 8, ni: int = 6, seed: int = 11) -> Path:
    """Write a MODIS-Aqua GHRSST L2P-like netCDF-4 file whose every attribute is a 1-element array.

    Dimensions ``time`` (1), ``nj``, ``ni``; int16 scaled SST with ``_FillValue`` -32767, int8
    ``quality_level`` with a six-element ``flag_values``, ``l2p_flags`` with ``flag_masks``.
    Pixel [0, 0, 0] holds the raw SST -1955 (263.375 K); pixel [0, 0, 1] is fill.

    Examples
    --------
    >>> import tempfile, pathlib, shutil, h5py
    >>> path = make_modis_l2p(pathlib.Path(tempfile.mkdtemp()) / "modis.nc")
    >>> with h5py.File(path) as f:
    ...     f["sea_surface_temperature"].attrs["units"]
    array([b'kelvin'], dtype='|S6')
    >>> shutil.rmtree(path.parent)
    """
    rng = np.random.default_rng(seed)
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {"time": 1, "nj": nj, "ni": ni}
        for key, value in {
            "Conventions": "CF-1.7, ACDD-1.3",
            "title": "MODIS Aqua L2P SST",
            "id": "MODIS_A-JPL-L2P-v2019.0",
            "summary": "SYNTHETIC test data, not a real granule.",
            "start_time": "20190622T100001Z",
        }.items():
            f.attrs[key] = _one(value)
        f.attrs["file_quality_level"] = _one(3, "i4")
        f.attrs["northernmost_latitude"] = _one(89.9862, "f4")

        time = f.create_variable("time", ("time",), "i4")
        time[:] = [MODIS_TIME]
        time.attrs["units"] = _one("seconds since 1981-01-01 00:00:00")
        time.attrs["long_name"] = _one("reference time of sst file")
        time.attrs["standard_name"] = _one("time")

        for name, units, low, high in (("lat", "degrees_north", 66.0, 90.0),):
            lat = f.create_variable(name, ("nj", "ni"), "f4", fillvalue=np.float32(-999.0))
            lat[:] = np.linspace(low, high, nj * ni, dtype="f4").reshape(nj, ni)
            lat.attrs["units"] = _one(units)
            lat.attrs["valid_min"] = _one(-90.0, "f4")
            lat.attrs["valid_max"] = _one(90.0, "f4")
        lon = f.create_variable("lon", ("nj", "ni"), "f4", fillvalue=np.float32(-999.0))
        lon[:] = np.linspace(-50.0, 150.0, nj * ni, dtype="f4").reshape(nj, ni)
        lon.attrs["units"] = _one("degrees_east")

        sst_raw = rng.integers(-2000, 1000, (1, nj, ni)).astype("i2")
        sst_raw[0, 0, 0] = -1955
        sst_raw[0, 0, 1] = -32767
        sst = f.create_variable(
            "sea_surface_temperature",
            ("time", "nj", "ni"),
            "i2",
            fillvalue=np.int16(-32767),
            chunks=(1, nj // 2, ni // 2),
            compression="gzip",
            compression_opts=5,
        )
        sst[:] = sst_raw
        for key, value in {
            "units": _one("kelvin"),
            "scale_factor": _one(0.005, "f4"),
            "add_offset": _one(273.15, "f4"),
            "valid_min": _one(-1000, "i2"),
            "valid_max": _one(10000, "i2"),
            "long_name": _one("sea surface temperature"),
            "standard_name": _one("sea_surface_skin_temperature"),
            "coordinates": _one("lon lat"),
        }.items():
            sst.attrs[key] = value

        dtime = f.create_variable(
            "sst_dtime", ("time", "nj", "ni"), "i2", fillvalue=np.int16(-32768)
        )
        dtime[:] = rng.integers(0, 300, (1, nj, ni)).astype("i2")
        dtime.attrs["units"] = _one("seconds")
        dtime.attrs["long_name"] = _one("time difference from reference time")

        quality = f.create_variable(
            "quality_level", ("time", "nj", "ni"), "i1", fillvalue=np.int8(-128)
        )
        quality[:] = rng.integers(0, 6, (1, nj, ni)).astype("i1")
        quality.attrs["valid_min"] = _one(0, "i1")
        quality.attrs["valid_max"] = _one(5, "i1")
        quality.attrs["flag_values"] = np.array([0, 1, 2, 3, 4, 5], dtype="i1")
        quality.attrs["flag_meanings"] = _one(
            "no_data bad_data worst_quality low_quality acceptable_quality best_quality"
        )

        flags = f.create_variable("l2p_flags", ("time", "nj", "ni"), "i2")
        flags[:] = rng.integers(0, 32, (1, nj, ni)).astype("i2")
        flags.attrs["flag_masks"] = np.array([1, 2, 4, 8, 16], dtype="i2")
        flags.attrs["flag_meanings"] = _one("microwave land ice lake river")
    return Path(path)
