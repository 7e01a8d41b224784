# ruff: noqa: E501  (attribute texts are kept whole, as in the real files)
"""GHRSST MODIS-Aqua L2P writer (``MODIS_A-JPL-L2P-v2019.0``), old-style attributes.

netCDF-4 layout (dimension scales ``time``, ``nj``, ``ni``; chunks (1, 1015, 677), deflate 5), but
every attribute, variable and global, is a one-element array (``[b'text']``, ``[0.005]``) as in
the real PO.DAAC files: xarray then shows 1-element arrays with ``decode_cf=False``.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from . import h5util
from .atlas_common import SANDBOX_NOTE, file_uuid
from .catalog import MODIS_GRANULE_S, MODIS_LINES, MODIS_PIXELS, GranuleSpec, from_2018
from .footprints import boundary_polygon, bounding_box, polar_band
from .geometry import seconds_since_2018, swath_latlon
from .granule_meta import GranuleMeta
from .land import is_land
from .modis_scene import Scene, scene

SCAN_HALF_ANGLE = 55.0
CHUNKS_3D = (1, 1015, 677)
CHUNKS_2D = (1015, 677)
EPOCH_1981 = seconds_since_2018(from_2018(0).replace(year=1981))
"""1981-01-01 in seconds since 2018 (negative)."""
NC_DIM_NAME = "This is a netCDF dimension but not a netCDF variable.{:>10d}"
DATE_CREATED = "20200221T085224Z"


def _encode(
    x: np.ndarray, scale: float, offset: float, dtype: str, fill: int, valid: np.ndarray
) -> np.ndarray:
    info = np.iinfo(dtype)
    raw = np.round((x - offset) / scale)
    raw = np.clip(raw, info.min + 1, info.max)
    return np.where(valid, raw, fill).astype(dtype)


def _attrs(obj: h5py.HLObject, attrs: dict[str, object], dtype: str | None = None) -> None:
    for key, value in attrs.items():
        if isinstance(value, (str, bytes)):
            obj.attrs[key] = h5util.one_element(value)
        elif (
            key
            in (
                "_FillValue",
                "valid_min",
                "valid_max",
                "scale_factor",
                "add_offset",
                "flag_values",
                "flag_masks",
            )
            and dtype
        ):
            dt = "f4" if key in ("scale_factor", "add_offset") else dtype
            obj.attrs[key] = h5util.one_element(value, dt)
        else:
            obj.attrs[key] = h5util.one_element(value)


def _var(
    f: h5py.File, name: str, data: np.ndarray, attrs: dict, dims: list[h5py.Dataset], fill=None
) -> None:
    chunks = CHUNKS_3D if data.ndim == 3 else (CHUNKS_2D if data.ndim == 2 else None)
    ds = f.create_dataset(
        name,
        data=data,
        chunks=chunks,
        compression="gzip" if chunks else None,
        compression_opts=5 if chunks else None,
        fillvalue=fill,
        track_times=False,
    )
    for axis, dim in enumerate(dims):
        ds.dims[axis].attach_scale(dim)
    _attrs(ds, attrs, str(data.dtype))


def _midpoints(a: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Values halfway between consecutive samples along ``axis``; ``n`` of them (edge repeated)."""
    a = np.moveaxis(a, axis, 0)
    mids = 0.5 * (a[:-1] + a[1:])
    if mids.shape[0] < n:
        mids = np.concatenate([mids, a[-1:]], axis=0)
    return np.moveaxis(mids[:n], 0, axis)


def _upsample2(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Linear 2x upsampling of a field sampled at [::2, ::2] back to ``shape``."""
    rows = np.empty((shape[0], a.shape[1]), dtype=a.dtype)
    rows[0::2] = a
    rows[1::2] = _midpoints(a, shape[0] // 2, 0)
    out = np.empty(shape, dtype=a.dtype)
    out[:, 0::2] = rows
    out[:, 1::2] = _midpoints(rows, shape[1] // 2, 1)
    return out


def scene_upsampled(lat: np.ndarray, lon: np.ndarray, t: np.ndarray, seed: int) -> Scene:
    """The scene sampled on every other line and pixel, interpolated back (fields are ~5 km)."""
    sub = scene(lat[::2, ::2], lon[::2, ::2], t[::2, ::2], seed)
    up = {
        k: _upsample2(getattr(sub, k), lat.shape) for k in ("sst", "cloud", "wind", "chl", "clim")
    }
    ice = _upsample2(sub.ice.astype(np.float32), lat.shape) > 0.5
    return Scene(ice=ice, **up)


def write(spec: GranuleSpec, path: Path, seed: int) -> GranuleMeta:
    """Simulate and write one MODIS L2P granule; return its CMR-facing description."""
    sw = spec.swath
    assert sw is not None
    rng = np.random.default_rng(seed + spec.index)
    t_lines = sw.t_start + np.arange(MODIS_LINES) * (MODIS_GRANULE_S / (MODIS_LINES - 1))
    angles = np.linspace(-SCAN_HALF_ANGLE, SCAN_HALF_ANGLE, MODIS_PIXELS)
    lat, lon = swath_latlon(sw.orbit, t_lines, angles)
    tt = np.broadcast_to(t_lines[:, None], lat.shape)
    sc = scene_upsampled(lat, lon, tt, seed)
    land = is_land(lat, lon)
    shape = lat.shape

    cloud = sc.cloud + 0.04 * rng.standard_normal(shape)
    opaque = cloud > 0.15
    edge = (cloud > 0.0) & ~opaque
    ocean = ~land
    ice = sc.ice & ocean
    water = ocean & ~ice
    # open water never below freezing (interpolation across the ice edge could put it there)
    sst = np.where(sc.ice, sc.sst, np.maximum(sc.sst, 271.2)) + 0.12 * rng.standard_normal(shape)
    sst = np.where(edge, sst - rng.uniform(2.0, 9.0, shape), sst)
    retrieved = ocean & ~opaque
    view = np.abs(angles)[None, :]
    q = np.zeros(shape, dtype=np.int8)
    q[retrieved] = 1
    clear_water = water & retrieved & ~edge
    q = np.where(clear_water, 3, q)
    q = np.where(clear_water & (cloud < -0.15) & (view < 45.0), 4, q)
    q = np.where(clear_water & (cloud < -0.3) & (view < 35.0), 5, q)
    q = np.where(ice & retrieved & ~edge & (rng.random(shape) < 0.35), 2, q)
    flags = (land.astype(np.int16) * 2) | (ice.astype(np.int16) * 4)

    bias = np.select([q == 5, q == 4, q == 3, q == 2], [-0.17, -0.24, -0.38, -0.6], -0.9)
    std = np.select(
        [q == 5, q == 4, q == 3, q == 2], [0.38, 0.45, 0.62, 0.9], 1.2
    ) + 0.03 * rng.standard_normal(shape)
    valid = retrieved
    t0 = float(sw.t_start)
    time_val = int(round(t0 - EPOCH_1981))
    dtime = np.broadcast_to(np.round(t_lines - t0)[:, None], shape)

    with h5util.create_file(path) as f:
        tdim = f.create_dataset(
            "time",
            data=np.array([time_val], dtype="i4"),
            maxshape=(None,),
            chunks=(1,),
            track_times=False,
        )
        tdim.make_scale("time")
        nj = f.create_dataset("nj", shape=(MODIS_LINES,), dtype="f4", track_times=False)
        nj.make_scale(NC_DIM_NAME.format(MODIS_LINES))
        ni = f.create_dataset("ni", shape=(MODIS_PIXELS,), dtype="f4", track_times=False)
        ni.make_scale(NC_DIM_NAME.format(MODIS_PIXELS))
        for i, d in enumerate((tdim, nj, ni)):
            d.attrs["_Netcdf4Dimid"] = np.int32(i)
        _attrs(
            tdim,
            {
                "long_name": "reference time of sst file",
                "standard_name": "time",
                "units": "seconds since 1981-01-01 00:00:00",
                "comment": "time of first sensor observation",
                "coverage_content_type": "coordinate",
            },
        )
        dims3 = [tdim, nj, ni]
        _var(
            f,
            "lat",
            lat.astype("f4"),
            {
                "long_name": "latitude",
                "standard_name": "latitude",
                "units": "degrees_north",
                "_FillValue": -999.0,
                "valid_min": -90.0,
                "valid_max": 90.0,
                "comment": "geographical coordinates, WGS84 projection",
                "coverage_content_type": "coordinate",
            },
            [nj, ni],
            fill=np.float32(-999.0),
        )
        _var(
            f,
            "lon",
            lon.astype("f4"),
            {
                "long_name": "longitude",
                "standard_name": "longitude",
                "units": "degrees_east",
                "_FillValue": -999.0,
                "valid_min": -180.0,
                "valid_max": 180.0,
                "comment": "geographical coordinates, WGS84 projection",
                "coverage_content_type": "coordinate",
            },
            [nj, ni],
            fill=np.float32(-999.0),
        )
        sst_raw = _encode(sst, 0.005, 273.15, "i2", -32767, valid)[None]
        _var(
            f,
            "sea_surface_temperature",
            sst_raw,
            {
                "long_name": "sea surface temperature",
                "standard_name": "sea_surface_skin_temperature",
                "units": "kelvin",
                "_FillValue": -32767,
                "valid_min": -1000,
                "valid_max": 10000,
                "comment": "sea surface temperature from thermal IR (11 um) channels",
                "scale_factor": 0.005,
                "add_offset": 273.15,
                "source": "NASA and University of Miami",
                "coordinates": "lon lat",
                "coverage_content_type": "physicalMeasurement",
            },
            dims3,
            fill=np.int16(-32767),
        )
        _var(
            f,
            "sst_dtime",
            np.where(valid, dtime, -32768).astype("i2")[None],
            {
                "long_name": "time difference from reference time",
                "units": "seconds",
                "_FillValue": -32768,
                "valid_min": -32767,
                "valid_max": 32767,
                "comment": "time plus sst_dtime gives seconds after 00:00:00 UTC January 1, 1981",
                "coordinates": "lon lat",
                "coverage_content_type": "referenceInformation",
            },
            dims3,
            fill=np.int16(-32768),
        )
        _var(
            f,
            "quality_level",
            np.where(ocean, q, 0).astype("i1")[None],
            {
                "long_name": "quality level of SST pixel",
                "_FillValue": -128,
                "valid_min": 0,
                "valid_max": 5,
                "comment": "thermal IR SST proximity confidence value; signed byte array: WARNING Some applications are unable to properly handle signed byte values. If values are encountered > 127, please subtract 256 from this reported value",
                "coordinates": "lon lat",
                "flag_values": np.arange(6),
                "flag_meanings": "no_data bad_data worst_quality low_quality acceptable_quality best_quality",
                "coverage_content_type": "qualityInformation",
            },
            dims3,
            fill=np.int8(-128),
        )
        _var(
            f,
            "sses_bias",
            _encode(bias, 0.15748031, 0.0, "i1", -128, valid)[None],
            {
                "long_name": "SSES bias error based on proximity confidence flags",
                "units": "kelvin",
                "_FillValue": -128,
                "valid_min": -127,
                "valid_max": 127,
                "comment": "thermal IR SST bias error; signed byte array: WARNING Some applications are unable to properly handle signed byte values. If values are encountered > 127, please subtract 256 from this reported value",
                "scale_factor": 0.15748031,
                "add_offset": 0.0,
                "coordinates": "lon lat",
                "coverage_content_type": "auxiliaryInformation",
            },
            dims3,
            fill=np.int8(-128),
        )
        _var(
            f,
            "sses_standard_deviation",
            _encode(std, 0.07874016, 10.0, "i1", -128, valid)[None],
            {
                "long_name": "SSES standard deviation error based on proximity confidence flags",
                "units": "kelvin",
                "_FillValue": -128,
                "valid_min": -127,
                "valid_max": 127,
                "comment": "thermal IR SST standard deviation error; signed byte array: WARNING Some applications are unable to properly handle signed byte values. If values are encountered > 127, please subtract 256 from this reported value",
                "scale_factor": 0.07874016,
                "add_offset": 10.0,
                "coordinates": "lon lat",
                "coverage_content_type": "auxiliaryInformation",
            },
            dims3,
            fill=np.int8(-128),
        )
        _var(
            f,
            "l2p_flags",
            flags.astype("i2")[None],
            {
                "long_name": "L2P flags",
                "valid_min": 0,
                "valid_max": 16,
                "comment": "These flags can be used to further filter data variables",
                "coordinates": "lon lat",
                "flag_meanings": "microwave land ice lake river",
                "flag_masks": np.array([1, 2, 4, 8, 16]),
                "coverage_content_type": "qualityInformation",
            },
            dims3,
        )
        if sw.day:
            chl_ok = clear_water & (q >= 3)
            chl = np.where(chl_ok, sc.chl, -32767.0).astype("f4")
            _var(
                f,
                "chlorophyll_a",
                chl[None],
                {
                    "long_name": "Chlorophyll Concentration, OC3 Algorithm",
                    "units": "mg m^-3",
                    "_FillValue": -32767.0,
                    "valid_min": 0.001,
                    "valid_max": 100.0,
                    "comment": "non L2P core field",
                    "coordinates": "lon lat",
                    "coverage_content_type": "auxiliaryInformation",
                },
                dims3,
                fill=np.float32(-32767.0),
            )
            k490 = 0.0166 + 0.0773 * sc.chl**0.6715
            _var(
                f,
                "K_490",
                _encode(k490, 0.0002, 0.0, "i2", -32767, chl_ok)[None],
                {
                    "long_name": "Diffuse attenuation coefficient at 490 nm (OBPG)",
                    "units": "m^-1",
                    "_FillValue": -32767,
                    "valid_min": 50,
                    "valid_max": 30000,
                    "comment": "non L2P core field",
                    "scale_factor": 0.0002,
                    "add_offset": 0.0,
                    "coordinates": "lon lat",
                    "coverage_content_type": "auxiliaryInformation",
                },
                dims3,
                fill=np.int16(-32767),
            )
        else:
            sst4 = sst + 0.08 * rng.standard_normal(shape) - 0.05
            _var(
                f,
                "sea_surface_temperature_4um",
                _encode(sst4, 0.005, 273.15, "i2", -32767, valid)[None],
                {
                    "long_name": "sea surface temperature",
                    "units": "kelvin",
                    "_FillValue": -32767,
                    "valid_min": -1000,
                    "valid_max": 10000,
                    "comment": "sea surface temperature from mid-IR (4 um) channels; non L2P core field",
                    "scale_factor": 0.005,
                    "add_offset": 273.15,
                    "source": "NASA and University of Miami",
                    "coordinates": "lon lat",
                    "coverage_content_type": "physicalMeasurement",
                },
                dims3,
                fill=np.int16(-32767),
            )
            _var(
                f,
                "quality_level_4um",
                np.where(ocean, q, 0).astype("i1")[None],
                {
                    "long_name": "quality level of SST pixel",
                    "_FillValue": -128,
                    "valid_min": 0,
                    "valid_max": 5,
                    "comment": "mid-IR SST proximity confidence value; non L2P core field",
                    "coordinates": "lon lat",
                    "flag_values": np.arange(6),
                    "flag_meanings": "no_data bad_data worst_quality low_quality acceptable_quality best_quality",
                    "coverage_content_type": "qualityInformation",
                },
                dims3,
                fill=np.int8(-128),
            )
            _var(
                f,
                "sses_bias_4um",
                _encode(bias + 0.05, 0.15748031, 0.0, "i1", -128, valid)[None],
                {
                    "long_name": "SSES bias error based on proximity confidence flags",
                    "units": "kelvin",
                    "_FillValue": -128,
                    "valid_min": -127,
                    "valid_max": 127,
                    "comment": "mid-IR SST bias error; non L2P core field",
                    "scale_factor": 0.15748031,
                    "add_offset": 0.0,
                    "coordinates": "lon lat",
                    "coverage_content_type": "auxiliaryInformation",
                },
                dims3,
                fill=np.int8(-128),
            )
            _var(
                f,
                "sses_standard_deviation_4um",
                _encode(std * 0.9, 0.07874016, 10.0, "i1", -128, valid)[None],
                {
                    "long_name": "SSES standard deviation error based on proximity confidence flags",
                    "units": "kelvin",
                    "_FillValue": -128,
                    "valid_min": -127,
                    "valid_max": 127,
                    "comment": "mid-IR SST standard deviation error; non L2P core field",
                    "scale_factor": 0.07874016,
                    "add_offset": 10.0,
                    "coordinates": "lon lat",
                    "coverage_content_type": "auxiliaryInformation",
                },
                dims3,
                fill=np.int8(-128),
            )
        wind = np.round(sc.wind / 0.2) * 0.2
        _var(
            f,
            "wind_speed",
            _encode(wind, 0.2, 25.0, "i1", -128, ocean)[None],
            {
                "long_name": "10m wind speed",
                "standard_name": "wind_speed",
                "units": "m s-1",
                "_FillValue": -128,
                "valid_min": -127,
                "valid_max": 127,
                "comment": "Wind at 10 meters above the sea surface",
                "scale_factor": 0.2,
                "add_offset": 25.0,
                "source": "TBD.  Placeholder.  Currently empty",
                "coordinates": "lon lat",
                "grid_mapping": "TBD",
                "time_offset": 2.0,
                "height": "10 m",
                "coverage_content_type": "auxiliaryInformation",
            },
            dims3,
            fill=np.int8(-128),
        )
        _var(
            f,
            "dt_analysis",
            _encode(sst - sc.clim, 0.1, 0.0, "i1", -128, valid)[None],
            {
                "long_name": "deviation from SST reference climatology",
                "units": "kelvin",
                "_FillValue": -128,
                "valid_min": -127,
                "valid_max": 127,
                "comment": "TBD",
                "scale_factor": 0.1,
                "add_offset": 0.0,
                "source": "TBD. Placeholder.  Currently empty",
                "coordinates": "lon lat",
                "coverage_content_type": "auxiliaryInformation",
            },
            dims3,
            fill=np.int8(-128),
        )
        _global_attrs(f, spec, t0, lat, lon)

    # footprint from the swath boundary plus a sample of the interior
    b = 16
    ring_lat = np.concatenate([lat[0, ::b], lat[::b, -1], lat[-1, ::-b], lat[::-b, 0]])
    ring_lon = np.concatenate([lon[0, ::b], lon[::b, -1], lon[-1, ::-b], lon[::-b, 0]])
    poleward = np.abs(lat).max() > 80.0 or np.ptp(lon) > 180.0
    if poleward:
        footprint = polar_band(
            np.concatenate([ring_lat, lat[::20, ::20].ravel()]),
            np.concatenate([ring_lon, lon[::20, ::20].ravel()]),
            margin_deg=0.1,
        )
    else:
        footprint = boundary_polygon(ring_lat, ring_lon, buffer_deg=0.05)
    return GranuleMeta(
        begin=from_2018(t0),
        end=from_2018(float(t_lines[-1])),
        footprint=footprint,
        bounding_box=bounding_box(footprint),
    )


def _global_attrs(
    f: h5py.File, spec: GranuleSpec, t0: float, lat: np.ndarray, lon: np.ndarray
) -> None:
    sw = spec.swath
    assert sw is not None
    start = from_2018(t0).strftime("%Y%m%dT%H%M%SZ")
    stop = from_2018(t0 + MODIS_GRANULE_S - 1).strftime("%Y%m%dT%H%M%SZ")
    day = "Day" if sw.day else "Night"
    nodes = (
        "Start Node:Ascending, End Node:Descending"
        if lat.max() > 80
        else (
            "Start Node:Ascending, End Node:Ascending"
            if sw.day
            else "Start Node:Descending, End Node:Descending"
        )
    )
    start_dir, end_dir = [n.split(":")[1] for n in nodes.split(", ")]
    attrs: dict[str, object] = {
        "Conventions": "CF-1.7, ACDD-1.3",
        "title": "MODIS Aqua L2P SST",
        "summary": "Sea surface temperature retrievals produced at the NASA OBPG for the MODIS Aqua sensor.  These have been reformatted to GHRSST GDS specifications by the JPL PO.DAAC",
        "references": "GHRSST Data Processing Specification v2r5",
        "institution": "NASA/JPL/OBPG/RSMAS",
        "history": "MODIS L2P created at JPL PO.DAAC",
        "comment": f"L2P Core without DT analysis or other ancillary fields; {day}, {nodes}; WARNING Some applications are unable to properly handle signed byte values. If values are encountered > 127, please subtract 256 from this reported value; Refined",
        "license": "GHRSST and PO.DAAC protocol allow data use as free and open.",
        "id": "MODIS_A-JPL-L2P-v2019.0",
        "naming_authority": "org.ghrsst",
        "product_version": "2019.0",
        "uuid": file_uuid(spec.name),
        "gds_version_id": "2.0",
        "netcdf_version_id": "4.1",
        "date_created": DATE_CREATED,
        "file_quality_level": np.int32(3),
        "spatial_resolution": "1km",
        "start_time": start,
        "time_coverage_start": start,
        "stop_time": stop,
        "time_coverage_end": stop,
        "northernmost_latitude": np.float32(lat.max()),
        "southernmost_latitude": np.float32(lat.min()),
        "easternmost_longitude": np.float32(lon.max()),
        "westernmost_longitude": np.float32(lon.min()),
        "source": "MODIS sea surface temperature observations for the OBPG",
        "platform": "Aqua",
        "sensor": "MODIS",
        "metadata_link": "http://podaac.jpl.nasa.gov/ws/metadata/dataset/?format=iso&shortName=MODIS_A-JPL-L2P-v2019.0",
        "keywords": "Oceans > Ocean Temperature > Sea Surface Temperature",
        "keywords_vocabulary": "NASA Global Change Master Directory (GCMD) Science Keywords",
        "standard_name_vocabulary": "NetCDF Climate and Forecast (CF) Metadata Convention",
        "geospatial_lat_units": "degrees_north",
        "geospatial_lat_resolution": np.float32(0.01),
        "geospatial_lon_units": "degrees_east",
        "geospatial_lon_resolution": np.float32(0.01),
        "acknowledgment": "The MODIS L2P sea surface temperature data are sponsored by NASA",
        "creator_name": "Ed Armstrong, JPL PO.DAAC",
        "creator_email": "edward.m.armstrong@jpl.nasa.gov",
        "creator_url": "http://podaac.jpl.nasa.gov",
        "project": "Group for High Resolution Sea Surface Temperature",
        "publisher_name": "The GHRSST Project Office",
        "publisher_url": "http://www.ghrsst.org",
        "publisher_email": "ghrsst-po@nceo.ac.uk",
        "processing_level": "L2P",
        "cdm_data_type": "swath",
        "startDirection": start_dir,
        "endDirection": end_dir,
        "day_night_flag": day,
        "sandbox_note": SANDBOX_NOTE,
    }
    _attrs(f, attrs)
