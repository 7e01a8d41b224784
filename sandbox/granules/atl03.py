# ruff: noqa: E501  (attribute texts are kept whole, as in the real files)
"""ATL03 writer: the real v006 group/variable/attribute layout, and NSIDC's v007 cloud layout.

v006: photon variables chunked (10000,) with gzip, extended block by block through time for all
six beams, so one variable's chunks are interleaved with every other's in the file, as a
producer that appends through time leaves them. v007: paged aggregation (8 MiB pages) and
(100000,) photon chunks written variable by variable, as NSIDC's cloud-optimized repack.

`write_photons` lays the photon variables out in either layout from any `PhotonSource`; it is
also the benchmark's ATL03 writer (``benchmarks/granule.py`` gives it cheaper photon values at
1 GB sizes), so the sandbox's files and the benchmark's share one layout code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import h5py
import numpy as np

from . import h5util
from .atl03_photons import BeamPhotons, simulate_beam
from .atlas_common import (
    beam_group_attrs,
    beams,
    orbit_number,
    root_attributes,
    write_ancillary,
    write_metadata_and_qa,
    write_orbit_info,
)
from .catalog import GranuleSpec, from_2018
from .footprints import boundary_polygon, bounding_box
from .granule_meta import GranuleMeta

Layout = Literal["v006", "v007"]
PHOTON_CHUNK: dict[str, int] = {"v006": 10_000, "v007": 100_000}
"""Photon chunk length of each layout (NSIDC's repack made them 10x longer)."""
SEGMENT_CHUNK = 10_000
DATE_CREATED = {"006": from_2018(168_998_400.0), "007": from_2018(233_798_400.0)}
"""Fixed production dates (2023-05-11 and 2025-05-28)."""

DT_ATTRS = {
    "contentType": "referenceInformation",
    "description": "Elapsed seconds from the ATLAS SDP GPS Epoch, corresponding to the transmit time of the reference photon. The ATLAS Standard Data Products (SDP) epoch offset is defined within /ancillary_data/atlas_sdp_gps_epoch as the number of GPS seconds between the GPS epoch (1980-01-06T00:00:00.000000Z UTC) and the ATLAS SDP epoch. By adding the offset contained within atlas_sdp_gps_epoch to delta time parameters, the time in gps_seconds relative to the GPS epoch can be computed.",
    "long_name": "Elapsed GPS seconds",
    "source": "Operations",
    "standard_name": "time",
    "units": "seconds since 2018-01-01",
}

HEIGHT_VARS: dict[str, tuple[str, dict[str, object]]] = {
    "lat_ph": (
        "f8",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lon_ph",
            "description": "Latitude of each received photon. Computed from the ECF Cartesian coordinates of the bounce point.",
            "long_name": "Latitude",
            "source": "ATL03g ATBD, Section 3.4",
            "standard_name": "latitude",
            "units": "degrees_north",
            "valid_max": 90.0,
            "valid_min": -90.0,
        },
    ),
    "lon_ph": (
        "f8",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph",
            "description": "Longitude of each received photon. Computed from the ECF Cartesian coordinates of the bounce point.",
            "long_name": "Longitude",
            "source": "ATL03g ATBD, Section 3.4",
            "standard_name": "longitude",
            "units": "degrees_east",
            "valid_max": 180.0,
            "valid_min": -180.0,
        },
    ),
    "h_ph": (
        "f4",
        {
            "contentType": "physicalMeasurement",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Height of each received photon, relative to the WGS-84 ellipsoid including the geophysical corrections noted in section 6.0. Please note that neither the geoid, ocean tide nor the dynamic atmospheric corrections (DAC) are applied to the ellipsoidal heights.",
            "long_name": "Photon WGS84 Height",
            "source": "ATL03g ATBD, Section 3.4",
            "standard_name": "height",
            "units": "meters",
        },
    ),
    "dist_ph_along": (
        "f4",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Along-track distance of the photon from the beginning of the segment.",
            "long_name": "Distance from equator crossing.",
            "source": "ATL03g ATBD, Section 3.1",
            "units": "meters",
        },
    ),
    "dist_ph_across": (
        "f4",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Across-track distance of the photon from the reference ground track.",
            "long_name": "Distance off RGT.",
            "source": "ATL03g ATBD, Section 3.1",
            "units": "meters",
        },
    ),
    "signal_conf_ph": (
        "i1",
        {
            "contentType": "qualityInformation",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Confidence level associated with each photon event selected as signal. 0=noise. 1=added to allow for buffer but algorithm classifies as background; 2=low; 3=med; 4=high). This parameter is a 5xN array where N is the number of photons in the granule, and the 5 rows indicate signal finding for each surface type (in order: land, ocean, sea ice, land ice and inland water). Events not associated with a specific surface type have a confidence level of -1. Events evaluated as TEP returns have a confidence level of -2.",
            "flag_meanings": "possible_tep not_considered noise buffer low medium high",
            "flag_values": np.array([-2, -1, 0, 1, 2, 3, 4], dtype="i1"),
            "long_name": "Photon Signal Confidence",
            "source": "ATL03 ATBD, Section 5, Conf",
            "units": "1",
            "valid_max": np.int8(4),
            "valid_min": np.int8(-2),
        },
    ),
    "quality_ph": (
        "i1",
        {
            "contentType": "qualityInformation",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Indicates the quality of the associated photon. 0=nominal, 1=possible_afterpulse, 2=possible_impulse_response_effect, 3=possible_tep. Use this flag in conjunction with signal_conf_ph to identify those photons that are likely noise or likely signal.",
            "flag_meanings": "nominal possible_afterpulse possible_impulse_response_effect possible_tep",
            "flag_values": np.array([0, 1, 2, 3], dtype="i1"),
            "long_name": "Photon Quality",
            "source": "ATL03 ATBD, Section 5",
            "units": "1",
            "valid_max": np.int8(3),
            "valid_min": np.int8(0),
        },
    ),
    "weight_ph": (
        "u1",
        {
            "contentType": "qualityInformation",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Signal-to-noise weighting (YAPC) of each photon, 0-255.",
            "long_name": "Photon weight",
            "source": "ATL03 ATBD, Section 5",
            "units": "1",
            "valid_max": np.uint8(255),
            "valid_min": np.uint8(0),
        },
    ),
    "pce_mframe_cnt": (
        "u4",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "PCE Major frame counter from the telemetry header.",
            "long_name": "PCE Major frame counter",
            "source": "Retained from prior ATL02 processing",
            "units": "counts",
        },
    ),
    "ph_id_channel": (
        "u1",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Channel number assigned for each received photon event.",
            "long_name": "Receive channel id",
            "source": "Retained from prior ATL02 processing",
            "units": "1",
            "valid_max": np.uint8(120),
            "valid_min": np.uint8(1),
        },
    ),
    "ph_id_count": (
        "u1",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Photon event counter within a channel for a given pulse.",
            "long_name": "photon event counter",
            "source": "Retained from prior ATL02 processing",
            "units": "counts",
            "valid_max": np.uint8(20),
            "valid_min": np.uint8(1),
        },
    ),
    "ph_id_pulse": (
        "u1",
        {
            "contentType": "modelResult",
            "coordinates": "delta_time lat_ph lon_ph",
            "description": "Laser pulse counter within a major frame (1-200).",
            "long_name": "laser pulse counter",
            "source": "Retained from prior ATL02 processing",
            "units": "counts",
            "valid_max": np.uint8(200),
            "valid_min": np.uint8(1),
        },
    ),
}

GEOLOCATION_VARS: dict[str, tuple[str, dict[str, object]]] = {
    "segment_id": (
        "i4",
        {
            "contentType": "referenceInformation",
            "description": "A 7 digit number identifying the along-track geolocation segment number. These are sequential, starting with 1 for the first segment after an ascending equatorial crossing node.",
            "long_name": "Along-track segment ID number",
            "units": "1",
        },
    ),
    "segment_dist_x": (
        "f8",
        {
            "contentType": "referenceInformation",
            "description": "Along-track distance from the equator crossing to the start of the 20 m geolocation segment.",
            "long_name": "Along track distance",
            "units": "meters",
        },
    ),
    "segment_length": (
        "f8",
        {
            "contentType": "referenceInformation",
            "description": "The along-track length of the along-track segment. Nominally these are 20m.",
            "long_name": "along-track segment length",
            "units": "meters",
        },
    ),
    "ph_index_beg": (
        "i8",
        {
            "contentType": "referenceInformation",
            "description": "Index (1-based) within the photon-rate data of the first photon within this segment; 0 when the segment holds no photons.",
            "long_name": "Photon Index Begin",
            "units": "1",
        },
    ),
    "segment_ph_cnt": (
        "i4",
        {
            "contentType": "referenceInformation",
            "description": "Number of photons in a given along-track segment.",
            "long_name": "Number of photons in a segment",
            "units": "counts",
            "_FillValue": np.int32(0),
        },
    ),
    "reference_photon_index": (
        "i4",
        {
            "contentType": "referenceInformation",
            "description": "Index of the reference photon within the segment (1-based).",
            "long_name": "Reference Photon Index",
            "units": "1",
        },
    ),
    "reference_photon_lat": (
        "f8",
        {
            "contentType": "referenceInformation",
            "description": "Latitude of each reference photon.",
            "long_name": "Latitude",
            "standard_name": "latitude",
            "units": "degrees_north",
            "valid_max": 90.0,
            "valid_min": -90.0,
        },
    ),
    "reference_photon_lon": (
        "f8",
        {
            "contentType": "referenceInformation",
            "description": "Longitude of each reference photon.",
            "long_name": "Longitude",
            "standard_name": "longitude",
            "units": "degrees_east",
            "valid_max": 180.0,
            "valid_min": -180.0,
        },
    ),
    "solar_elevation": (
        "f4",
        {
            "contentType": "referenceInformation",
            "description": "Elevation of the sun above the horizon at the reference photon bounce point.",
            "long_name": "solar elevation",
            "units": "degrees",
        },
    ),
    "solar_azimuth": (
        "f4",
        {
            "contentType": "referenceInformation",
            "description": "Azimuth of the sun at the reference photon bounce point, clockwise from north.",
            "long_name": "solar azimuth",
            "units": "degrees_east",
        },
    ),
    "altitude_sc": (
        "f8",
        {
            "contentType": "referenceInformation",
            "description": "Height of the spacecraft above the WGS84 ellipsoid.",
            "long_name": "altitude",
            "units": "meters",
        },
    ),
    "sigma_h": (
        "f4",
        {
            "contentType": "qualityInformation",
            "description": "Estimated height uncertainty (1-sigma) for the reference photon.",
            "long_name": "height uncertainty",
            "units": "meters",
        },
    ),
    "podppd_flag": (
        "i1",
        {
            "contentType": "qualityInformation",
            "description": "Composite POD/PPD flag.",
            "flag_meanings": "nominal pod_degrade ppd_degrade podppd_degrade",
            "flag_values": np.array([0, 1, 2, 3], dtype="i1"),
            "long_name": "POD_PPD Flag",
            "units": "1",
        },
    ),
    "velocity_sc": (
        "f4",
        {
            "contentType": "modelResult",
            "description": "Spacecraft velocity components (east component, north component, up component).",
            "long_name": "spacecraft velocity",
            "units": "meters/second",
        },
    ),
    "surf_type": (
        "i1",
        {
            "contentType": "modelResult",
            "description": "Flags describing which surface types this segment is associated with: land, ocean, sea ice, land ice, inland water.",
            "flag_meanings": "not_type is_type",
            "flag_values": np.array([0, 1], dtype="i1"),
            "long_name": "Surface Type",
            "units": "1",
        },
    ),
}

GEOPHYS_VARS: dict[str, tuple[str, dict[str, object]]] = {
    "dac": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Dynamic Atmosphere Correction",
            "units": "meters",
        },
    ),
    "dem_h": ("f4", {"contentType": "modelResult", "long_name": "DEM Height", "units": "meters"}),
    "geoid": ("f4", {"contentType": "modelResult", "long_name": "Geoid", "units": "meters"}),
    "tide_earth": (
        "f4",
        {"contentType": "modelResult", "long_name": "Solid Earth Tide", "units": "meters"},
    ),
    "tide_load": (
        "f4",
        {"contentType": "modelResult", "long_name": "Load Tide", "units": "meters"},
    ),
    "tide_ocean": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Ocean Tide",
            "units": "meters",
            "_FillValue": np.finfo(np.float32).max,
        },
    ),
    "tide_pole": (
        "f4",
        {"contentType": "modelResult", "long_name": "Solid Earth Pole Tide", "units": "meters"},
    ),
}

BCKGRD_VARS: dict[str, tuple[str, dict[str, object]]] = {
    "bckgrd_counts": (
        "i4",
        {
            "contentType": "modelResult",
            "long_name": "ATLAS 50-shot background count",
            "units": "counts",
        },
    ),
    "bckgrd_counts_reduced": (
        "i4",
        {
            "contentType": "modelResult",
            "long_name": "ATLAS 50-shot background count - reduced",
            "units": "counts",
        },
    ),
    "bckgrd_hist_top": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Top of the ATLAS 50-shot background height",
            "units": "meters",
        },
    ),
    "bckgrd_int_height": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Altimetric range window height",
            "units": "meters",
        },
    ),
    "bckgrd_int_height_reduced": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Altimetric range window height - reduced",
            "units": "meters",
        },
    ),
    "bckgrd_rate": (
        "f4",
        {
            "contentType": "modelResult",
            "long_name": "Background count rate based on the ATLAS 50-shot sum",
            "units": "counts / second",
        },
    ),
    "pce_mframe_cnt": (
        "u4",
        {"contentType": "modelResult", "long_name": "PCE Major frame counter", "units": "counts"},
    ),
    "tlm_height_band1": (
        "f4",
        {"contentType": "modelResult", "long_name": "Telemetry band 1 height", "units": "meters"},
    ),
    "tlm_top_band1": (
        "f4",
        {"contentType": "modelResult", "long_name": "Telemetry band 1 top", "units": "meters"},
    ),
}


@dataclass
class _Photons:
    beams: list
    data: list[BeamPhotons]


def simulate(spec: GranuleSpec, seed: int) -> _Photons:
    """Photons of all six beams (deterministic for the seed and the granule's offset)."""
    assert spec.track is not None
    rng = np.random.default_rng(seed + spec.index)
    bl = beams(spec.track.sc_orient)
    return _Photons(bl, [simulate_beam(spec.track, b, seed, rng) for b in bl])


def _segment_dataset(
    grp: h5py.Group,
    name: str,
    arr: np.ndarray,
    dtype: str,
    attrs: dict,
    scale: h5py.Dataset | None,
    extra_scale: h5py.Dataset | None = None,
) -> h5py.Dataset:
    n = arr.shape[0]
    chunks = (min(SEGMENT_CHUNK, n),) + arr.shape[1:]
    ds = h5util.dataset(grp, name, arr, dtype=dtype, chunks=chunks, attrs=attrs)
    if scale is not None:
        ds.dims[0].attach_scale(scale)
        if extra_scale is not None:
            ds.dims[1].attach_scale(extra_scale)
    return ds


def write(spec: GranuleSpec, path: Path, seed: int) -> GranuleMeta:
    """Simulate and write one ATL03 granule to ``path``; return its CMR-facing description."""
    track = spec.track
    assert track is not None
    ph = simulate(spec, seed)
    t0 = min(float(b.delta_time[0]) for b in ph.data)
    t1 = max(float(b.delta_time[-1]) for b in ph.data)
    all_lat = np.concatenate([b.lat_ph[:: max(1, b.lat_ph.size // 2000)] for b in ph.data])
    all_lon = np.concatenate([b.lon_ph[:: max(1, b.lon_ph.size // 2000)] for b in ph.data])
    g0 = int(min(b.seg["segment_id"][0] for b in ph.data))
    g1 = int(max(b.seg["segment_id"][-1] for b in ph.data))
    cloud = spec.paged
    with h5util.create_file(path, paged=cloud) as f:
        h5util.set_attrs(
            f,
            root_attributes(
                spec,
                level="L2A",
                title="ATLAS/ICESat-2 L2A Global Geolocated Photon Data",
                description="This data set (ATL03) contains height above the WGS 84 ellipsoid (ITRF2014 reference frame), latitude, longitude, and time for all photons downlinked by the Advanced Topographic Laser Altimeter System (ATLAS) instrument on board the Ice, Cloud and land Elevation Satellite-2 (ICESat-2) observatory.",
                t0=t0,
                t1=t1,
                lat=(float(all_lat.min()), float(all_lat.max())),
                lon=(float(all_lon.min()), float(all_lon.max())),
                date_created=DATE_CREATED[spec.version],
                summary="The ATL03 product contains the geolocated photon heights for each of the six beams (SYNTHETIC sandbox copy).",
            ),
        )
        surf = h5util.dataset(
            f,
            "ds_surf_type",
            np.arange(1, 6, dtype="i4"),
            attrs={
                "description": "Dimension scale indexing the surface types: land, ocean, sea ice, land ice, inland water.",
                "long_name": "Surface Type",
                "units": "1",
            },
            chunks=None,
        )
        h5util.make_scale(surf, "ds_surf_type")
        xyz = h5util.dataset(
            f,
            "ds_xyz",
            np.arange(1, 4, dtype="i4"),
            attrs={
                "description": "Dimension scale indexing the x, y, z components of a vector.",
                "long_name": "xyz",
                "units": "1",
            },
            chunks=None,
        )
        h5util.make_scale(xyz, "ds_xyz")
        write_ancillary(f, spec, track, t0, t1, g0, g1)
        _write_tep(f)
        write_orbit_info(f, track)
        write_metadata_and_qa(f, spec)
        heights_groups = {}
        for beam, data in zip(ph.beams, ph.data, strict=True):
            bg = h5util.group(
                f, beam.name, beam_group_attrs(beam, track.sc_orient, product="ATL03")
            )
            heights_groups[beam.name] = h5util.group(
                bg,
                "heights",
                {
                    "Description": "Contains arrays of the parameters for each received photon.",
                    "data_rate": "Data are stored at the photon detection rate.",
                },
            )
            _write_segment_groups(bg, data, surf, xyz)
        sources = [_Simulated(b.name, d) for b, d in zip(ph.beams, ph.data, strict=True)]
        write_photons(heights_groups, sources, "v007" if cloud else "v006", surf)
    lat_edge, lon_edge = _strip_ring(ph)
    footprint = boundary_polygon(lat_edge, lon_edge, buffer_deg=0.01)
    start_lat = float(ph.data[0].seg["reference_photon_lat"][0])
    end_lat = float(ph.data[0].seg["reference_photon_lat"][-1])
    direction = "A" if end_lat > start_lat else "D"
    return GranuleMeta(
        begin=from_2018(t0),
        end=from_2018(t1),
        footprint=footprint,
        bounding_box=bounding_box(footprint),
        orbit={
            "rgt": track.rgt,
            "cycle": track.cycle,
            "region": track.region,
            "orbit_number": orbit_number(track.rgt, track.cycle),
            "start_lat": round(start_lat, 4),
            "end_lat": round(end_lat, 4),
            "start_direction": direction,
            "end_direction": direction,
            "ascending_crossing": round(track.orbit.node_lon, 8),
        },
    )


def _strip_ring(ph: _Photons) -> tuple[np.ndarray, np.ndarray]:
    """Outer edge of the six ground tracks: one outer beam forward, the other back."""
    left = ph.data[0].seg
    right = ph.data[-1].seg
    step = 50
    la = np.concatenate(
        [
            left["reference_photon_lat"][::step],
            left["reference_photon_lat"][-1:],
            right["reference_photon_lat"][::-step],
            right["reference_photon_lat"][:1],
        ]
    )
    lo = np.concatenate(
        [
            left["reference_photon_lon"][::step],
            left["reference_photon_lon"][-1:],
            right["reference_photon_lon"][::-step],
            right["reference_photon_lon"][:1],
        ]
    )
    return la, lo


def _write_tep(f: h5py.File) -> None:
    air = h5util.group(
        f, "atlas_impulse_response", {"Description": "Contains impulse response (TEP) histograms."}
    )
    bins = np.arange(0, 100e-9, 0.025e-9)
    for pce_spot in ("pce1_spot1", "pce2_spot3"):
        g = h5util.group(air, pce_spot)
        th = h5util.group(g, "tep_histogram")
        hist = np.exp(-0.5 * ((bins - 20e-9) / 0.6e-9) ** 2) + 0.08 * np.exp(
            -(((bins - 23e-9) / 2e-9) ** 2)
        )
        h5util.dataset(
            th, "tep_bins", bins, attrs={"long_name": "TEP bins", "units": "seconds"}, chunks=None
        )
        h5util.dataset(
            th,
            "tep_hist",
            hist / hist.sum(),
            attrs={"long_name": "TEP histogram", "units": "1"},
            chunks=None,
        )
        h5util.scalar_array(
            th,
            "tep_hist_sum",
            1_000_000,
            "i8",
            {"long_name": "TEP histogram sum", "units": "counts"},
        )


def _write_segment_groups(
    bg: h5py.Group, data: BeamPhotons, surf: h5py.Dataset, xyz: h5py.Dataset
) -> None:
    seg = data.seg
    geo = h5util.group(
        bg,
        "geolocation",
        {
            "Description": "Geolocation parameters at the 20 m along-track segment rate.",
            "data_rate": "Data within this group are stored at the along-track segment rate.",
        },
    )
    dt = _segment_dataset(geo, "delta_time", seg["delta_time"], "f8", DT_ATTRS, None)
    h5util.make_scale(dt, "delta_time")
    for name, (dtype, attrs) in GEOLOCATION_VARS.items():
        arr = seg[name]
        extra = None
        if arr.ndim == 2:
            extra = surf if arr.shape[1] == 5 else xyz
        _segment_dataset(
            geo,
            name,
            arr,
            dtype,
            {**attrs, "coordinates": "delta_time reference_photon_lat reference_photon_lon"},
            dt,
            extra,
        )
    gc = h5util.group(
        bg,
        "geophys_corr",
        {
            "Description": "Geophysical corrections at the geolocation segment rate.",
            "data_rate": "Data within this group are stored at the along-track segment rate.",
        },
    )
    dt2 = _segment_dataset(gc, "delta_time", seg["delta_time"], "f8", DT_ATTRS, None)
    h5util.make_scale(dt2, "delta_time")
    for name, (dtype, attrs) in GEOPHYS_VARS.items():
        _segment_dataset(
            gc,
            name,
            seg[name],
            dtype,
            {
                **attrs,
                "coordinates": "delta_time ../geolocation/reference_photon_lat ../geolocation/reference_photon_lon",
            },
            dt2,
        )
    bk = h5util.group(
        bg,
        "bckgrd_atlas",
        {
            "Description": "Background count rate at the 50-shot (200 Hz) rate.",
            "data_rate": "Data within this group are stored at the ATLAS 50-shot rate.",
        },
    )
    dt3 = _segment_dataset(bk, "delta_time", data.bckgrd["delta_time"], "f8", DT_ATTRS, None)
    h5util.make_scale(dt3, "delta_time")
    for name, (dtype, attrs) in BCKGRD_VARS.items():
        _segment_dataset(
            bk, name, data.bckgrd[name], dtype, {**attrs, "coordinates": "delta_time"}, dt3
        )
    sf = h5util.group(
        bg,
        "signal_find_output",
        {"Description": "Statistics of the signal finding algorithm (summary)."},
    )
    li = h5util.group(sf, "land_ice")
    t = data.bckgrd["delta_time"][::4]
    dt4 = _segment_dataset(li, "delta_time", t, "f8", DT_ATTRS, None)
    h5util.make_scale(dt4, "delta_time")
    rate = data.bckgrd["bckgrd_rate"][::4]
    _segment_dataset(
        li,
        "bckgrd_mean",
        rate.astype("f4"),
        "f4",
        {"long_name": "mean background rate", "units": "counts / second"},
        dt4,
    )
    _segment_dataset(
        li,
        "bckgrd_sigma",
        (np.sqrt(rate) * 10).astype("f4"),
        "f4",
        {"long_name": "background rate standard deviation", "units": "counts / second"},
        dt4,
    )


class PhotonSource(Protocol):
    """One beam's photons as the layout writer asks for them (the sandbox's simulated photons,
    or the benchmark's generated ones): ``n`` photons, any ``[start, stop)`` slice of every
    variable of `PHOTON_VARIABLES`, and the ``delta_time`` of one photon (the v006 write order)."""

    name: str
    n: int

    def delta_time_at(self, index: int) -> float:
        """``delta_time`` of photon `index` (the order of v006's appends)."""
        ...

    def arrays(self, start: int, stop: int) -> Mapping[str, np.ndarray]:
        """Every photon variable of photons ``[start, stop)``; `start` is a multiple of 10,000."""
        ...


@dataclass
class _Simulated:
    """A `PhotonSource` over one beam's simulated photons."""

    name: str
    data: BeamPhotons

    @property
    def n(self) -> int:
        return int(self.data.delta_time.size)

    def delta_time_at(self, index: int) -> float:
        return float(self.data.delta_time[index])

    def arrays(self, start: int, stop: int) -> dict[str, np.ndarray]:
        whole = {"delta_time": self.data.delta_time}
        whole.update({k: getattr(self.data, k) for k in HEIGHT_VARS})
        return {k: v[start:stop] for k, v in whole.items()}


PHOTON_VARIABLES: dict[str, tuple[str, dict[str, object]]] = {
    "delta_time": ("f8", {**DT_ATTRS, "coordinates": "lat_ph lon_ph"}),
    **HEIGHT_VARS,
}
"""The photon-rate variables of ``/gtXX/heights`` in file order: dtype and attributes."""


def _create_photon_datasets(
    hg: h5py.Group, n: int, chunk: int, resizable: bool
) -> dict[str, h5py.Dataset]:
    out = {}
    for name, (dtype, attrs) in PHOTON_VARIABLES.items():
        tail = (5,) if name == "signal_conf_ph" else ()
        shape = (0 if resizable else n,) + tail
        maxshape = (None,) + tail if resizable else None
        out[name] = h5util.dataset(
            hg,
            name,
            None,
            dtype=dtype,
            shape=shape,
            maxshape=maxshape,
            chunks=(chunk,) + tail,
            attrs=attrs,
        )
    return out


def _attach_photon_scales(dsets: dict[str, h5py.Dataset], surf: h5py.Dataset | None) -> None:
    dt = dsets["delta_time"]
    h5util.make_scale(dt, "delta_time")
    for name, ds in dsets.items():
        if name == "delta_time":
            continue
        ds.dims[0].attach_scale(dt)
        if name == "signal_conf_ph" and surf is not None:
            ds.dims[1].attach_scale(surf)


def write_photons(
    groups: Mapping[str, h5py.Group],
    sources: Sequence[PhotonSource],
    layout: Layout,
    surf: h5py.Dataset | None = None,
) -> None:
    """Write every beam's photon variables into its ``heights`` group (``groups[source.name]``)
    in `layout`, then make ``delta_time`` their dimension scale (and `surf`, when given, the
    second dimension's of ``signal_conf_ph``).

    ``"v006"``: (10000,) chunks, every beam's variables grown block by block in time order, so
    one variable's chunks interleave with every other's, as a producer appending through time
    leaves them. ``"v007"``: (100000,) chunks, each variable written whole, as NSIDC's
    cloud-optimized repack (open the file with ``h5util.create_file(path, paged=True)``).
    """
    if layout == "v006":
        _write_photons_through_time(groups, sources, surf)
    elif layout == "v007":
        _write_photons_by_variable(groups, sources, surf)
    else:
        raise ValueError(f"layout must be 'v006' or 'v007', not {layout!r}")


def _write_photons_through_time(
    groups: Mapping[str, h5py.Group], sources: Sequence[PhotonSource], surf: h5py.Dataset | None
) -> None:
    """v006: every beam's photon variables grow block by block in time order (chunks interleave)."""
    chunk = PHOTON_CHUNK["v006"]
    dsets = {s.name: _create_photon_datasets(groups[s.name], 0, chunk, True) for s in sources}
    blocks = sorted(
        (src.delta_time_at(start), bi, start, min(src.n, start + chunk))
        for bi, src in enumerate(sources)
        for start in range(0, src.n, chunk)
    )
    for _, bi, a, b in blocks:
        src = sources[bi]
        arrays = src.arrays(a, b)
        for var, ds in dsets[src.name].items():
            ds.resize(b, axis=0)
            ds[a:b] = arrays[var]
    for s in sources:
        _attach_photon_scales(dsets[s.name], surf)


def _write_photons_by_variable(
    groups: Mapping[str, h5py.Group], sources: Sequence[PhotonSource], surf: h5py.Dataset | None
) -> None:
    """v007: each variable written whole (contiguous chunks), 100,000-element chunks."""
    for src in sources:
        chunk = min(PHOTON_CHUNK["v007"], max(src.n, 1))
        dsets = _create_photon_datasets(groups[src.name], src.n, chunk, False)
        arrays = src.arrays(0, src.n)
        for var, ds in dsets.items():
            ds[...] = arrays[var]
        del arrays
        _attach_photon_scales(dsets, surf)
