# ruff: noqa: E501  (attribute texts are kept whole, as in the real files)
"""ATL07 writer: /gtXX/sea_ice_segments with heights/, geophysical/, geolocation/, stats/."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from . import h5util
from .atl07_seaice import FILL_F4, BeamSegments, simulate_segments
from .atlas_common import (
    beam_group_attrs,
    beams,
    orbit_number,
    root_attributes,
    write_ancillary,
    write_metadata_and_qa,
    write_orbit_info,
)
from .catalog import ATL07_GT1L_SEGMENTS, GranuleSpec, from_2018
from .footprints import bounding_box, polar_band
from .geometry import solar_azimuth, solar_elevation
from .granule_meta import GranuleMeta
from .modis_scene import ice_edge_at

CHUNK = 10_000
DATE_CREATED = from_2018(165_542_400.0)
"""Fixed production date (2023-03-31)."""
COORDS = "../delta_time ../latitude ../longitude"

BASE_ATTRS = {
    "latitude": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time longitude",
        "description": "Latitude, WGS84, North=+, Lat of segment center",
        "long_name": "Latitude",
        "source": "ATBD, section 4.4",
        "standard_name": "latitude",
        "units": "degrees_north",
        "valid_max": 90.0,
        "valid_min": -90.0,
    },
    "longitude": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time latitude",
        "description": "Longitude, WGS84, East=+,Lon of segment center",
        "long_name": "Longitude",
        "source": "ATBD, section 4.4",
        "standard_name": "longitude",
        "units": "degrees_east",
        "valid_max": 180.0,
        "valid_min": -180.0,
    },
    "geoseg_beg": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time latitude longitude",
        "description": "Geolocation segment (geoseg) ID associated with the first photon used in this sea ice segment",
        "long_name": "Beginning GEOSEG",
        "source": "Derived",
        "units": "1",
    },
    "geoseg_end": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time latitude longitude",
        "description": "Geolocation segment (geoseg) ID associated with the last photon used in this sea ice segment",
        "long_name": "Ending GEOSEG",
        "source": "Derived",
        "units": "1",
    },
    "height_segment_id": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time latitude longitude",
        "description": "Identifier of each height segment",
        "long_name": "Identifier of each height segment",
        "source": "Derived",
        "units": "1",
    },
    "seg_dist_x": {
        "contentType": "referenceInformation",
        "coordinates": "delta_time latitude longitude",
        "description": "Along-track distance from the equator crossing to the segment center.",
        "long_name": "Along track distance",
        "source": "Derived",
        "units": "meters",
    },
}
DT_ATTRS = {
    "contentType": "physicalMeasurement",
    "coordinates": "latitude longitude",
    "description": "Number of GPS seconds since the ATLAS SDP epoch. The ATLAS Standard Data Products (SDP) epoch offset is defined within /ancillary_data/atlas_sdp_gps_epoch as the number of GPS seconds between the GPS epoch (1980-01-06T00:00:00.000000Z UTC) and the ATLAS SDP epoch.",
    "long_name": "Elapsed GPS seconds",
    "source": "telemetry",
    "standard_name": "time",
    "units": "seconds since 2018-01-01",
}


def _f4(
    desc: str, long_name: str, units: str, source: str = "ATBD, section 4.2", fill: bool = True
) -> dict:
    a = {
        "contentType": "modelResult",
        "coordinates": COORDS,
        "description": desc,
        "long_name": long_name,
        "source": source,
        "units": units,
    }
    if fill:
        a = {"_FillValue": FILL_F4, **a}
    return a


HEIGHT_ATTRS = {
    "height_segment_height": (
        "f4",
        {
            "_FillValue": FILL_F4,
            "contentType": "referenceInformation",
            "coordinates": COORDS,
            "description": "Mean height from along-track segment fit detremined by the sea ice algorithm. The sea ice height is relative to the tide-free MSS.",
            "long_name": "height of segment surface",
            "source": "ATBD, section 4.2.2.4",
            "standard_name": "h_surf",
            "units": "meters",
        },
    ),
    "height_segment_height_uncorr": (
        "f4",
        _f4(
            "Segment height before the first-photon-bias and other corrections.",
            "uncorrected segment height",
            "meters",
        ),
    ),
    "height_segment_confidence": (
        "f4",
        _f4(
            "Confidence level in the surface height estimate based on the number of photons; the background noise rate; and the error measure provided by the surface-finding algorithm.",
            "height segment confidence",
            "1",
        ),
    ),
    "height_segment_quality": (
        "i1",
        {
            "contentType": "qualityInformation",
            "coordinates": COORDS,
            "description": "Height segment quality flag, 1 is good quality, 0 is bad",
            "flag_meanings": "bad_quality good_quality",
            "flag_values": np.array([0, 1], dtype="i1"),
            "long_name": "height segment quality flag",
            "source": "ATBD, section 4.2.2.4",
            "units": "1",
            "valid_max": np.int8(1),
            "valid_min": np.int8(0),
        },
    ),
    "height_segment_type": (
        "i1",
        {
            "contentType": "modelResult",
            "coordinates": COORDS,
            "description": "Value that indicates segment surface type as sea ice or different types of sea surface.",
            "flag_meanings": "cloud_covered other specular_lead_low_w_bkg specular_lead_low specular_lead_high_w_bkg specular_lead_high dark_lead_smooth_w_bkg dark_lead_smooth dark_lead_rough_w_bkg dark_lead_rough",
            "flag_values": np.arange(10, dtype="i1"),
            "long_name": "height segment surface type",
            "source": "ATBD, section 4.3",
            "units": "1",
            "valid_max": np.int8(9),
            "valid_min": np.int8(0),
        },
    ),
    "height_segment_ssh_flag": (
        "i1",
        {
            "contentType": "modelResult",
            "coordinates": COORDS,
            "description": "Identifies the height segments that are candidate for use as sea surface reference in freeboard calculations in ATL10. 0 = sea ice; 1 = sea surface",
            "flag_meanings": "sea_ice sea_surface",
            "flag_values": np.array([0, 1], dtype="i1"),
            "long_name": "height segment sea surface flag",
            "source": "ATBD, section 4.3",
            "units": "1",
            "valid_max": np.int8(1),
            "valid_min": np.int8(0),
        },
    ),
    "height_segment_rms": (
        "f4",
        _f4(
            "RMS difference between sea ice modeled and observed photon height distribution",
            "height rms",
            "meters",
        ),
    ),
    "height_segment_length_seg": (
        "f4",
        _f4(
            "along-track length of segment containing n_photons_actual",
            "length of segment",
            "meters",
        ),
    ),
    "height_segment_w_gaussian": (
        "f4",
        _f4("Width of Gaussian fit", "width of Gaussian", "meters"),
    ),
    "height_segment_surface_error_est": (
        "f4",
        _f4("Error estimate of the surface height", "h surface error est", "meters"),
    ),
    "height_segment_fit_quality_flag": (
        "f4",
        _f4(
            "Flag describing the quality of the results of the along-track fit, 1 best to 5 worst",
            "height quality flag",
            "1",
        ),
    ),
    "height_segment_asr_calc": (
        "f4",
        _f4("Computed apparent surface reflectance for the sea ice segment.", "asr calc", "1"),
    ),
    "height_segment_contrast_ratio": (
        "f4",
        _f4(
            "Contrast ratio between the segment and the neighbourhood, used for dark lead detection.",
            "contrast ratio",
            "1",
        ),
    ),
    "height_segment_htcorr_skew": (
        "f4",
        _f4("Height correction for the skew of the photon distribution.", "htcorr skew", "meters"),
    ),
    "height_segment_n_pulse_seg": (
        "i4",
        {
            "contentType": "modelResult",
            "coordinates": COORDS,
            "description": "Number of laser pulses in the segment.",
            "long_name": "number of laser pulses",
            "source": "ATBD, section 4.2",
            "units": "1",
        },
    ),
    "height_segment_sigma": (
        "f4",
        _f4("Propagated uncertainty of the segment height.", "height uncertainty", "meters"),
    ),
    "across_track_distance": (
        "f4",
        _f4(
            "Across track distance of the photons averaged over the sea ice height segment.",
            "across track distance",
            "meters",
        ),
    ),
}
GEOPHYS = (
    "dac",
    "earth",
    "earth_free2mean",
    "geoid",
    "geoid_free2mean",
    "ib",
    "load",
    "ocean",
    "pole",
    "ps",
    "t2m",
    "u2m",
    "v2m",
)
GEOPHYS_UNITS = {"ps": "Pa", "t2m": "K", "u2m": "m/s", "v2m": "m/s"}
GEOLOC = (
    "beam_azimuth",
    "beam_coelev",
    "height_segment_podppd_flag",
    "sigma_h",
    "sigma_lat",
    "sigma_lon",
    "solar_azimuth",
    "solar_elevation",
)
STATS = (
    "asr_25",
    "backgr_r_200",
    "background_r_norm",
    "n_photons_actual",
    "n_photons_used",
    "photon_rate",
)


def _ds(
    grp: h5py.Group,
    name: str,
    arr: np.ndarray,
    attrs: dict,
    dt: h5py.Dataset,
    extra: h5py.Dataset | None = None,
) -> None:
    chunks = (min(CHUNK, arr.shape[0]),) + arr.shape[1:]
    ds = h5util.dataset(
        grp, name, arr, chunks=chunks, attrs=attrs, fillvalue=attrs.get("_FillValue")
    )
    ds.dims[0].attach_scale(dt)
    if extra is not None:
        ds.dims[1].attach_scale(extra)


def _smooth(
    rng: np.random.Generator, s: np.ndarray, scale: float, amp: float, base: float, q: float
) -> np.ndarray:
    ph = rng.uniform(0, 6.28, 2)
    v = base + amp * np.sin(s / scale + ph[0]) + 0.3 * amp * np.sin(s / (scale / 7) + ph[1])
    return (np.round(v / q) * q).astype("f4")


def _write_beam(
    bg: h5py.Group,
    beam_name: str,
    seg: BeamSegments,
    rng: np.random.Generator,
    track,
    yapc_bins: h5py.Dataset,
) -> None:
    n = seg.t.size
    sis = h5util.group(
        bg,
        "sea_ice_segments",
        {
            "Description": "Top group for sea ice segments as computed by the ATBD algorithm.",
            "data_rate": "Data within this group are stored at the variable segment rate.",
        },
    )
    dt = h5util.dataset(sis, "delta_time", seg.t, chunks=(min(CHUNK, n),), attrs=DT_ATTRS)
    h5util.make_scale(dt, f"{beam_name}/sea_ice_segments/delta_time")
    geoseg_beg = (np.floor((seg.x - seg.length / 2) / 20.0) + 1).astype("i4")
    base = {
        "latitude": seg.lat,
        "longitude": seg.lon,
        "geoseg_beg": geoseg_beg,
        "geoseg_end": (np.floor((seg.x + seg.length / 2) / 20.0) + 1).astype("i4"),
        "height_segment_id": np.arange(1, n + 1, dtype="i4"),
        "seg_dist_x": seg.x,
    }
    for name, arr in base.items():
        _ds(sis, name, arr, BASE_ATTRS[name], dt)
    fill = seg.quality == 0
    lead = seg.ssh_flag == 1

    def f4(v):
        return np.where(fill, FILL_F4, v).astype("f4")

    h = seg.height
    rms = np.where(lead, rng.gamma(2.0, 0.012, n), rng.gamma(2.0, 0.05, n))
    hvars = {
        "height_segment_height": h,
        "height_segment_height_uncorr": f4(h.astype("f8") + 0.012 + rng.normal(0, 0.002, n)),
        "height_segment_confidence": f4(np.clip(rng.beta(8, 1.5, n), 0, 1)),
        "height_segment_quality": seg.quality,
        "height_segment_type": seg.seg_type,
        "height_segment_ssh_flag": seg.ssh_flag,
        "height_segment_rms": f4(rms),
        "height_segment_length_seg": f4(seg.length),
        "height_segment_w_gaussian": f4(np.clip(0.6 * rms + rng.gamma(2, 0.02, n), 0.01, None)),
        "height_segment_surface_error_est": f4(0.005 + 0.5 * rms / np.sqrt(seg.n_photons)),
        "height_segment_fit_quality_flag": f4(np.where(lead, 1.0, rng.integers(1, 4, n))),
        "height_segment_asr_calc": f4(
            np.where(lead, rng.uniform(0.05, 0.3, n), rng.uniform(0.6, 0.95, n))
        ),
        "height_segment_contrast_ratio": f4(
            np.where(lead, rng.uniform(0.05, 0.4, n), rng.uniform(0.85, 1.0, n))
        ),
        "height_segment_htcorr_skew": f4(np.round(rng.normal(0.0, 0.004, n), 4)),
        "height_segment_n_pulse_seg": np.clip(seg.length / 0.7, 1, None).astype("i4"),
        "height_segment_sigma": f4(0.01 + 0.2 * rms / np.sqrt(seg.n_photons)),
        "across_track_distance": f4(np.round(rng.normal(0.0, 1.5, n), 2)),
    }
    hg = h5util.group(
        sis,
        "heights",
        {
            "Description": "Contains parameters relating to the calculated surface height.",
            "data_rate": "Data within this group are stored at the variable segment rate.",
        },
    )
    for name, (dtype, attrs) in HEIGHT_ATTRS.items():
        _ds(hg, name, np.asarray(hvars[name]).astype(dtype), attrs, dt)
    s = seg.x - seg.x[0]
    gp = h5util.group(
        sis,
        "geophysical",
        {
            "Description": "Contains geophysical parameters and corrections used to correct photon heights for geophysical effects, such as tides.",
            "data_rate": "Data within this group are stored at the variable segment rate.",
        },
    )
    geo_vals = {
        "dac": _smooth(rng, s, 200e3, 0.04, 0.0, 0.001),
        "earth": _smooth(rng, s, 900e3, 0.1, 0.0, 0.001),
        "earth_free2mean": _smooth(rng, s, 900e3, 0.01, -0.05, 0.001),
        "geoid": _smooth(rng, s, 300e3, 8.0, 18.0, 0.001),
        "geoid_free2mean": _smooth(rng, s, 900e3, 0.01, -0.04, 0.001),
        "ib": _smooth(rng, s, 250e3, 0.05, 0.0, 0.001),
        "load": _smooth(rng, s, 400e3, 0.005, 0.0, 0.0001),
        "ocean": _smooth(rng, s, 500e3, 0.12, 0.0, 0.001),
        "pole": _smooth(rng, s, 2e6, 0.003, 0.0, 0.0001),
        "ps": _smooth(rng, s, 400e3, 800.0, 101_300.0, 1.0),
        "t2m": _smooth(rng, s, 500e3, 1.5, 272.5, 0.01),
        "u2m": _smooth(rng, s, 150e3, 4.0, 1.0, 0.01),
        "v2m": _smooth(rng, s, 150e3, 4.0, -1.0, 0.01),
    }
    for key in GEOPHYS:
        _ds(
            gp,
            f"height_segment_{key}",
            geo_vals[key],
            _f4(
                f"{key} correction or ancillary value at the segment",
                f"{key}",
                GEOPHYS_UNITS.get(key, "meters"),
                "ATBD, section 4.5",
            ),
            dt,
        )
    _ds(
        gp,
        "height_segment_tide_interp_flag",
        np.zeros(n, "f8"),
        {
            "contentType": "qualityInformation",
            "coordinates": COORDS,
            "description": "Number of tide model grid points used in interpolation.",
            "long_name": "tide interpolation flag",
            "units": "1",
        },
        dt,
    )
    gl = h5util.group(
        sis,
        "geolocation",
        {
            "Description": "Contains parameters related to geolocation.",
            "data_rate": "Data within this group are stored at the variable segment rate.",
        },
    )
    se = solar_elevation(seg.t, seg.lat, seg.lon)
    sa = solar_azimuth(seg.t, seg.lat, seg.lon)
    geoloc = {
        "beam_azimuth": _smooth(rng, s, 1e6, 5.0, 180.0, 0.01),
        "beam_coelev": _smooth(rng, s, 1e6, 0.02, 89.6, 0.0001),
        "height_segment_podppd_flag": np.zeros(n, "f4"),
        "sigma_h": _smooth(rng, s, 300e3, 0.005, 0.03, 0.0001),
        "sigma_lat": _smooth(rng, s, 300e3, 0.2e-5, 1.0e-5, 1e-7),
        "sigma_lon": _smooth(rng, s, 300e3, 1e-4, 3e-4, 1e-6),
        "solar_azimuth": np.round(sa, 2).astype("f4"),
        "solar_elevation": np.round(se, 2).astype("f4"),
    }
    for key in GEOLOC:
        _ds(
            gl,
            key,
            geoloc[key],
            _f4(
                f"{key.replace('_', ' ')} at the segment",
                key,
                "degrees" if "azimuth" in key or "elev" in key else "1",
            ),
            dt,
        )
    _ds(
        gl,
        "rgt",
        np.full(n, track.rgt, "i2"),
        {
            "contentType": "referenceInformation",
            "coordinates": COORDS,
            "description": "The reference ground track (RGT) is the track on the earth at which a specified unit vector within the observatory is pointed.",
            "long_name": "reference ground track",
            "units": "1",
            "valid_max": np.int16(1387),
            "valid_min": np.int16(1),
        },
        dt,
    )
    st = h5util.group(
        sis,
        "stats",
        {
            "Description": "Contains parameters related to quality and corrections on the sea ice height parameters.",
            "data_rate": "Data within this group are stored at the variable segment rate.",
        },
    )
    stats = {
        "asr_25": np.round(rng.uniform(0.6, 0.9, n), 3).astype("f4"),
        "backgr_r_200": _smooth(rng, s, 50e3, 2e5, 8e5, 1000.0),
        "background_r_norm": _smooth(rng, s, 50e3, 3e4, 1.2e5, 100.0),
        "n_photons_actual": np.round(seg.n_photons).astype("f4"),
        "n_photons_used": np.round(seg.n_photons * 0.97).astype("f4"),
        "photon_rate": np.round(seg.n_photons / np.clip(seg.length / 0.7, 1, None), 2).astype("f4"),
    }
    for key in STATS:
        _ds(
            st,
            key,
            stats[key],
            _f4(
                f"{key.replace('_', ' ')} of the segment", key, "1", "ATBD, section 4.2", fill=False
            ),
            dt,
        )
    yapc = np.zeros((n, 6), dtype="i2")
    yapc[:, 5] = np.round(seg.n_photons * 0.8).astype("i2")
    yapc[:, 4] = np.round(seg.n_photons * 0.15).astype("i2")
    yapc[:, 3] = 6
    _ds(
        st,
        "yapc_weight_ph_cts_n",
        yapc,
        {
            "contentType": "modelResult",
            "coordinates": COORDS,
            "description": "Histogram of photon counts in YAPC weight bins.",
            "long_name": "YAPC weight counts",
            "units": "counts",
        },
        dt,
        yapc_bins,
    )


def write(spec: GranuleSpec, path: Path, seed: int) -> GranuleMeta:
    """Simulate and write one ATL07 granule; return its CMR-facing description."""
    track = spec.track
    assert track is not None
    rng = np.random.default_rng(seed + spec.index)
    bl = beams(track.sc_orient)
    gt1l = next(b for b in bl if b.name == "gt1l")
    fixed = spec.name.startswith("ATL07-01_20190622055317_12980301")
    ice_edge = None
    if track.follow_ice_edge:  # season granules: sea ice where the MODIS scene has it

        def ice_edge(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
            return ice_edge_at(lat, lon, seed)

    segs = {}
    for b in bl:
        n_fixed = ATL07_GT1L_SEGMENTS if (fixed and b.name == "gt1l") else None
        segs[b.name] = simulate_segments(track, b, gt1l.across_m, rng, n_fixed, ice_edge)
    t0 = min(float(s.t[0]) for s in segs.values())
    t1 = max(float(s.t[-1]) for s in segs.values())
    lats = np.concatenate([s.lat for s in segs.values()])
    lons = np.concatenate([s.lon for s in segs.values()])
    with h5util.create_file(path) as f:
        attrs = root_attributes(
            spec,
            level="L3A",
            title="SET_BY_PGE",
            description="The data set (ATL07) contains along-track heights for sea ice and open water leads (at varying length scales) relative to the WGS84 ellipsoid (ITRF2014 reference frame) after adjustment for geoidal and tidal variations, and inverted barometer effects.",
            t0=t0,
            t1=t1,
            lat=(float(lats.min()), float(lats.max())),
            lon=(float(lons.min()), float(lons.max())),
            date_created=DATE_CREATED,
            summary="The purpose of ATL07 is to provide along-track surface height and type (e.g. snow-covered ice, open water) for the ice-covered seas of the northern and southern hemispheres (SYNTHETIC sandbox copy).",
        )
        attrs["title"] = "ATLAS/ICESat-2 L3A Sea Ice Height"
        h5util.set_attrs(f, attrs)
        yb = h5util.dataset(
            f,
            "ds_yapc_hist_bins",
            np.arange(6, dtype="i4"),
            attrs={"long_name": "YAPC histogram bins", "units": "1"},
        )
        h5util.make_scale(yb, "ds_yapc_hist_bins")
        geo0 = int(min(np.floor(s.x[0] / 20) + 1 for s in segs.values()))
        geo1 = int(max(np.floor(s.x[-1] / 20) + 1 for s in segs.values()))
        write_ancillary(f, spec, track, t0, t1, geo0, geo1)
        write_orbit_info(f, track, orbit_dtype="u2")
        write_metadata_and_qa(f, spec)
        for b in bl:
            bg = h5util.group(f, b.name, beam_group_attrs(b, track.sc_orient, product="ATL07"))
            _write_beam(bg, b.name, segs[b.name], rng, track, yb)
    step = 200
    footprint = polar_band(
        np.concatenate([s.lat[::step] for s in segs.values()] + [lats[-1:]]),
        np.concatenate([s.lon[::step] for s in segs.values()] + [lons[-1:]]),
        margin_deg=0.05,
    )
    first = segs["gt1l"]
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
            "start_lat": round(float(first.lat[0]), 4),
            "end_lat": round(float(first.lat[-1]), 4),
            "start_direction": "A",
            "end_direction": "D",
            "ascending_crossing": round(track.orbit.node_lon, 8),
        },
    )
