"""helpers.readers: ICESat-2 beams into xarray, time, strong beams, and every error path."""

from __future__ import annotations

import io
import pickle
import warnings

import fsspec
import h5py
import numpy as np
import pytest
import xarray as xr
from helpers_data import (
    ATL03_START_DELTA_TIME,
    FLOAT32_MAX,
    make_atl03,
    make_atl07,
    segment_of_each_photon,
)

import helpers
from helpers.errors import (
    BeamNotFoundError,
    HelpersError,
    NotHDF5Error,
    SpacecraftOrientationError,
    VariableNotFoundError,
)
from helpers.readers import read_atl03_beam, read_atl07_beam, strong_beams

ATL03_VARIABLES = ("h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time")
EARTHACCESS_OPEN = {"cache_type": "background", "block_size": 4 * 2**20}
"""What ``earthaccess.open`` gives a small file: fsspec's background cache, 4 MiB blocks."""


@pytest.fixture(scope="module")
def atl03(tmp_path_factory) -> object:
    return make_atl03(tmp_path_factory.mktemp("atl03") / "ATL03_synthetic.h5")


@pytest.fixture(scope="module")
def atl07(tmp_path_factory) -> object:
    return make_atl07(tmp_path_factory.mktemp("atl07") / "ATL07_synthetic.h5")


# ---------------------------------------------------------------------------------------------
# Time


def _utc_with_leap_seconds(delta_time: float, gps_minus_utc: int = 18) -> np.datetime64:
    """The definition: GPS epoch + atlas_sdp_gps_epoch + delta_time - (GPS - UTC)."""
    since_epoch = np.timedelta64(round(delta_time * 1e9), "ns")  # in integers: no float rounding
    gps_epoch = np.datetime64("1980-01-06T00:00:00", "ns")
    return gps_epoch + np.timedelta64(1198800018 - gps_minus_utc, "s") + since_epoch


def test_cf_decoded_time_is_the_leap_second_conversion_for_icesat2_times(atl03, atl07) -> None:
    """CF decoding of delta_time ("seconds since 2018-01-01") equals the definition with the
    18 s GPS - UTC that holds since 2017-01-01, to the nanosecond, for every photon."""
    for ds in (read_atl03_beam(atl03, "gt1l"), read_atl07_beam(atl07, "gt1l")):
        assert ds["time"].dtype == np.dtype("datetime64[ns]")
        want = [_utc_with_leap_seconds(t) for t in ds["delta_time"].values]
        np.testing.assert_array_equal(ds["time"].values, np.array(want))
    assert str(read_atl03_beam(atl03, "gt1l")["time"].values[0]) == "2018-10-15T12:43:57.696000000"


def test_cf_decoding_ignores_leap_seconds_before_the_epoch(tmp_path) -> None:
    """Before the 2016-12-31 leap second (GPS - UTC was 17 s) CF decoding is one second late:
    no ICESat-2 measurement is that old (launch: September 2018)."""
    path = make_atl07(tmp_path / "old.h5", n_segments=5)
    one_year = 365 * 86400
    with h5py.File(path, "a") as f:
        f["gt1l/sea_ice_segments/delta_time"][:2] = [-one_year - 2 - 86400, np.nan]
    ds = read_atl07_beam(path, "gt1l", ["delta_time"])
    assert str(ds["time"].values[0]) == "2016-12-30T23:59:58.000000000"
    assert _utc_with_leap_seconds(-one_year - 2 - 86400, 17) == np.datetime64("2016-12-30T23:59:59")
    assert np.isnat(ds["time"].values[1])  # NaN is NaT


def test_time_is_decoded_lazily_on_first_use_then_kept(atl03, tmp_path) -> None:
    """As ``xr.open_dataset`` decodes: ``time`` costs nothing until it is used; then it is
    decoded once and kept; selections, ``load``, pickling and plotting see the same times."""
    ds = read_atl03_beam(atl03, "gt1l")
    assert "600 values with dtype=datetime64[ns]" in repr(ds["time"])  # not decoded yet
    want = np.array([_utc_with_leap_seconds(t) for t in ds["delta_time"].values])
    part = ds.isel(photon=slice(10, 20))
    np.testing.assert_array_equal(part["time"].values, want[10:20])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ds))["time"].values, want)
    first = ds["time"].values
    assert np.shares_memory(ds["time"].values, first)  # decoded once, then kept
    assert "600 values" not in repr(ds["time"])
    np.testing.assert_array_equal(ds.load()["time"].values, want)
    assert ds["time"].attrs["long_name"] == "UTC time"
    with warnings.catch_warnings():  # written as xarray chooses, without a warning
        warnings.simplefilter("error")
        ds.to_netcdf(tmp_path / "photons.nc")
    with xr.open_dataset(tmp_path / "photons.nc") as back:
        np.testing.assert_array_equal(back["time"].values, want)
    sub = read_atl03_beam(atl03, "gt1l", subset=slice(5, 9))
    np.testing.assert_array_equal(sub["time"].values, want[5:9])


# ---------------------------------------------------------------------------------------------
# ATL03


def test_read_atl03_default_variables(atl03) -> None:
    ds = read_atl03_beam(atl03, "gt1l")
    assert set(ds.data_vars) == {"h_ph", "lat_ph", "lon_ph", "dist_ph_along"}
    assert set(ds.coords) == {"delta_time", "time"}
    assert ds.sizes == {"photon": 600}
    assert ds["h_ph"].dtype == np.float32 and ds["lat_ph"].dtype == np.float64
    assert ds["h_ph"].attrs["units"] == "meters"
    assert ds["h_ph"].attrs["long_name"] == "Photon WGS84 Height"
    assert "DIMENSION_LIST" not in ds["h_ph"].attrs
    assert "coordinates" not in ds["h_ph"].attrs
    assert ds["lat_ph"].attrs["valid_max"] == 90.0
    assert ds["delta_time"].values[0] == ATL03_START_DELTA_TIME
    assert ds["delta_time"].attrs["units"] == "seconds since 2018-01-01"
    assert str(ds["time"].values[0]) == "2018-10-15T12:43:57.696000000"
    assert ds.attrs["beam"] == "gt1l" and ds.attrs["group"] == "/gt1l/heights"
    assert ds.attrs["atlas_beam_type"] == "strong"  # sc_orient 0: left beams strong
    assert ds.attrs["source"].endswith("ATL03_synthetic.h5")
    with h5py.File(atl03) as f:
        np.testing.assert_array_equal(ds["h_ph"].values, f["gt1l/heights/h_ph"][()])


def test_read_atl03_same_from_path_h5py_file_and_file_objects(atl03) -> None:
    reference = read_atl03_beam(atl03, "gt1r")
    with h5py.File(atl03) as f:
        from_h5 = read_atl03_beam(f, "gt1r")
        assert f.id.valid  # a file given open stays open
        assert from_h5.attrs["source"] == str(atl03)
        with pytest.raises(BeamNotFoundError, match=str(atl03)):
            read_atl03_beam(f, "gt3r")
    with open(atl03, "rb") as fileobj:
        from_fileobj = read_atl03_beam(fileobj, "gt1r")
        assert not fileobj.closed
    from_bytes = read_atl03_beam(io.BytesIO(atl03.read_bytes()), "gt1r")
    for ds in (from_h5, from_fileobj, from_bytes):
        for name in ATL03_VARIABLES:
            np.testing.assert_array_equal(ds[name].values, reference[name].values)
    assert reference.attrs["atlas_beam_type"] == "weak"


def test_read_atl03_through_an_fsspec_file_with_earthaccess_settings(atl03) -> None:
    """An fsspec file opened as ``earthaccess.open`` opens one (background cache, 4 MiB
    blocks): the chunks come through ``fs.cat_ranges``, the values are h5py's."""
    fs = fsspec.filesystem("memory")
    fs.pipe("/granules/atl03.h5", atl03.read_bytes())
    want = read_atl03_beam(atl03, "gt1l", along_track=True)
    with fs.open("/granules/atl03.h5", "rb", **EARTHACCESS_OPEN) as f:
        got = read_atl03_beam(f, "gt1l", along_track=True)
        with h5py.File(f, "r") as h5:  # also given the h5py.File opened on it: h5py reads
            from_h5 = read_atl03_beam(h5, "gt1l", along_track=True)
    assert got.identical(want) is False  # only the source attribute differs
    assert got.drop_attrs(deep=False).identical(want.drop_attrs(deep=False))
    assert from_h5.drop_attrs(deep=False).identical(want.drop_attrs(deep=False))
    fs.rm("/granules/atl03.h5")


@pytest.fixture(scope="module")
def served(atl03):
    """The benchmark's S3 emulator serving the ATL03 file (bucket: its folder's name)."""
    from benchmarks.s3server import Conditions, S3Emulator

    with S3Emulator(atl03.parent.parent, Conditions(latency=0.0, bandwidth=0)) as s3:
        yield s3, f"{atl03.parent.name}/{atl03.name}"


@pytest.mark.parametrize("protocol", ["s3", "https"])
def test_the_metadata_is_read_through_a_file_of_small_blocks(
    served, atl03, protocol, monkeypatch
) -> None:
    """On ``earthaccess.open``'s file (over S3, or HTTPS with a Bearer header), h5py walks the
    metadata through a file object of the reader's own, opened on the same file system with
    `METADATA_BLOCK_SIZE` blocks and the known size: no HEAD, none of the given file's blocks;
    the chunks come as merged byte ranges, the values are h5py's."""
    from earthaccess.store import EarthAccessFile

    from helpers import readers

    s3, key = served
    monkeypatch.setattr(readers, "METADATA_BLOCK_SIZE", 2**14)  # the test file is 170 kB
    if protocol == "s3":
        fs, path = s3.filesystem(), key
    else:
        headers = {"Authorization": "Bearer test-token"}  # as earthaccess's HTTPS file system
        fs = fsspec.filesystem("https", client_kwargs={"headers": headers, "trust_env": False})
        path = f"{s3.endpoint}/{key}"
    want = read_atl03_beam(atl03, "gt1l", along_track=True)
    with fs.open(path, "rb", **EARTHACCESS_OPEN) as inner:
        s3.reset()
        got = read_atl03_beam(EarthAccessFile(inner, None), "gt1l", along_track=True)
        stats = s3.stats()
        assert inner.cache.hit_count == inner.cache.miss_count == 0  # h5py never read it
    assert got.drop_attrs(deep=False).identical(want.drop_attrs(deep=False))
    assert stats["heads"] == 0
    blocks = [(r[3], r[4]) for r in stats["requests"] if r[0] == "GET" and r[3] % 2**14 == 0]
    assert (0, 2**14) in blocks and all(length <= 2**14 for _, length in blocks)
    assert stats["gets"] > len(blocks)  # and the chunk requests


def test_read_atl03_selected_and_two_dimensional_variables(atl03) -> None:
    ds = read_atl03_beam(atl03, "gt1l", ["h_ph", "signal_conf_ph"])
    assert "time" not in ds.coords  # delta_time not asked for
    assert ds["signal_conf_ph"].dims == ("photon", "ds_surf_type")
    assert ds["signal_conf_ph"].dtype == np.int8
    assert ds["signal_conf_ph"].attrs["flag_values"].tolist() == [-2, -1, 0, 1, 2, 3, 4]
    assert list(read_atl03_beam(atl03, "gt1l", "h_ph").data_vars) == ["h_ph"]


def test_read_atl03_subset(atl03) -> None:
    full = read_atl03_beam(atl03, "gt2l", along_track=True)
    part = read_atl03_beam(atl03, "gt2l", along_track=True, subset=slice(100, 250))
    assert part.sizes["photon"] == 150
    for name in ("h_ph", "time", "along_track_distance"):
        np.testing.assert_array_equal(part[name].values, full[name].values[100:250])
    with pytest.raises(TypeError, match="slice"):
        read_atl03_beam(atl03, "gt2l", subset=[1, 2])  # type: ignore[arg-type]


def test_read_atl03_along_track_distance_matches_a_plain_loop(atl03) -> None:
    ds = read_atl03_beam(atl03, "gt1l", ["h_ph"], along_track=True)
    segment = segment_of_each_photon(atl03, "gt1l")
    with h5py.File(atl03) as f:
        expected = f["gt1l/geolocation/segment_dist_x"][()][segment] + f[
            "gt1l/heights/dist_ph_along"
        ][()].astype(np.float64)
    np.testing.assert_allclose(ds["along_track_distance"].values, expected)
    assert ds["along_track_distance"].attrs["units"] == "meters"
    assert "dist_ph_along" not in ds  # read for the sum, not added
    assert np.all(np.diff(ds["along_track_distance"].values) > 0)  # photons in order


# ---------------------------------------------------------------------------------------------
# ATL07


def test_read_atl07_default_variables_and_fill(atl07) -> None:
    ds = read_atl07_beam(atl07, "gt1l")
    assert set(ds.data_vars) == {"latitude", "longitude", "height_segment_height"}
    assert ds.sizes == {"segment": 400}
    height = ds["height_segment_height"]
    assert height.dtype == np.float32
    with h5py.File(atl07) as f:
        raw = f["gt1l/sea_ice_segments/heights/height_segment_height"][()]
    is_fill = raw == FLOAT32_MAX
    assert is_fill.sum() == 31 and is_fill[0]
    np.testing.assert_array_equal(np.isnan(height.values), is_fill)
    np.testing.assert_array_equal(height.values[~is_fill], raw[~is_fill])
    assert "_FillValue" not in height.attrs
    assert height.encoding["_FillValue"] == FLOAT32_MAX
    assert height.attrs["units"] == "meters"
    assert "coordinates" not in height.attrs
    assert not np.isnan(ds["latitude"].values).any()  # no _FillValue: nothing masked
    assert str(ds["time"].values[0]).startswith("2019-06-22T06:14:53.642")
    assert ds.attrs["group"] == "/gt1l/sea_ice_segments"
    assert ds.attrs["atlas_beam_type"] == "weak"  # sc_orient 1: right beams strong


def test_read_atl07_variable_paths_and_integer_fill(atl07) -> None:
    ds = read_atl07_beam(
        atl07,
        "gt2r",
        ["height_segment_height", "heights/height_segment_type", "geophysical/height_segment_dac"],
    )
    assert set(ds.data_vars) == {
        "height_segment_height",
        "height_segment_type",
        "height_segment_dac",
    }
    kind = ds["height_segment_type"]
    assert kind.dtype == np.int8  # integers are not turned into floats ...
    assert kind.attrs["_FillValue"] == -1  # ... and keep their fill attribute
    assert ds.attrs["atlas_beam_type"] == "strong"


def test_read_atl07_subset_and_file_object(atl07) -> None:
    with open(atl07, "rb") as fileobj:
        ds = read_atl07_beam(fileobj, subset=slice(10, 20))
    full = read_atl07_beam(atl07)
    np.testing.assert_array_equal(ds["latitude"].values, full["latitude"].values[10:20])


# ---------------------------------------------------------------------------------------------
# Strong beams


@pytest.mark.parametrize(
    ("sc_orient", "expected"),
    [((0,), ["gt1l", "gt2l", "gt3l"]), ((1,), ["gt1r", "gt2r", "gt3r"])],
)
def test_strong_beams(tmp_path, sc_orient, expected) -> None:
    path = make_atl07(tmp_path / "f.h5", n_segments=5, sc_orient=sc_orient)
    assert strong_beams(path) == expected
    with open(path, "rb") as fileobj:
        assert strong_beams(fileobj) == expected
    with h5py.File(path) as f:
        assert strong_beams(f) == expected


@pytest.mark.parametrize("sc_orient", [(2,), (0, 1), (0, 0), (7,)])
def test_strong_beams_transition_is_an_error(tmp_path, sc_orient) -> None:
    path = make_atl07(tmp_path / "f.h5", n_segments=5, sc_orient=sc_orient)
    with pytest.raises(SpacecraftOrientationError, match="atlas_beam_type") as info:
        strong_beams(path)
    assert str(list(sc_orient)) in str(info.value)


def test_strong_beams_without_orbit_info(tmp_path) -> None:
    path = tmp_path / "bare.h5"
    with h5py.File(path, "w") as f:
        f.create_group("gt1l")
    with pytest.raises(VariableNotFoundError, match="orbit_info/sc_orient.*ICESat-2"):
        strong_beams(path)


# ---------------------------------------------------------------------------------------------
# Errors


def test_missing_beam(atl03) -> None:
    with pytest.raises(BeamNotFoundError) as info:
        read_atl03_beam(atl03, "gt3r")
    message = str(info.value)
    assert "'gt3r'" in message and "gt1l, gt1r, gt2l" in message and "strong_beams" in message
    assert not message.startswith('"')  # not KeyError's quoted form
    assert isinstance(info.value, KeyError) and isinstance(info.value, HelpersError)
    with pytest.raises(BeamNotFoundError, match="Beams are named gt1l, gt1r"):
        read_atl03_beam(atl03, "GT1L")


def test_missing_variable(atl03, atl07) -> None:
    with pytest.raises(VariableNotFoundError) as info:
        read_atl03_beam(atl03, "gt1l", ["h_ph", "h_photon"])
    message = str(info.value)
    # the group is named once, the variable once (not "/gt1l/heights/h_photon" as the group)
    assert message.startswith("Variable 'h_photon' is not in /gt1l/heights. ")
    assert "heights/h_photon" not in message
    assert "h_ph" in message and "lat_ph" in message and "signal_conf_ph" in message
    with pytest.raises(VariableNotFoundError, match="sub-groups geophysical, heights"):
        read_atl07_beam(atl07, "gt1l", ["freeboard"])
    with pytest.raises(VariableNotFoundError, match="'heights' is not in /gt1l/sea_ice_"):
        read_atl07_beam(atl07, "gt1l", ["heights"])  # a group, not a variable
    with pytest.raises(ValueError, match="empty"):
        read_atl03_beam(atl03, "gt1l", [])


def test_wrong_product_gives_a_hint(atl03, atl07) -> None:
    with pytest.raises(VariableNotFoundError, match="read_atl07_beam") as info:
        read_atl03_beam(atl07, "gt1l")
    assert "/gt1l/heights" in str(info.value) and "sea_ice_segments" in str(info.value)
    with pytest.raises(VariableNotFoundError, match="read_atl03_beam"):
        read_atl07_beam(atl03, "gt1l")


def test_missing_geolocation_for_along_track(tmp_path, atl03) -> None:
    path = tmp_path / "no_geolocation.h5"
    path.write_bytes(atl03.read_bytes())
    with h5py.File(path, "a") as f:
        del f["gt1l/geolocation"]
    with pytest.raises(VariableNotFoundError, match="geolocation"):
        read_atl03_beam(path, "gt1l", along_track=True)


def test_variable_of_another_rate(atl03) -> None:
    with pytest.raises(ValueError, match="not a per-photon variable"):
        read_atl03_beam(atl03, "gt1l", ["h_ph", "ds_surf_type"])


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (b"<!DOCTYPE html><html><title>Earthdata Login</title>", "Earthdata Login"),
        (b"<?xml version='1.0'?><Error>AccessDenied</Error>", "HTML/XML"),
        (b"", "empty"),
        (b"\x00\x01garbage" * 10, "first bytes"),
    ],
)
def test_not_hdf5(tmp_path, content, hint) -> None:
    path = tmp_path / "granule.h5"
    path.write_bytes(content)
    with pytest.raises(NotHDF5Error, match=hint) as info:
        read_atl03_beam(path)
    assert str(path) in str(info.value) and "not an HDF5 file" in str(info.value)
    assert info.value.__suppress_context__  # no h5py traceback chained above it
    with pytest.raises(NotHDF5Error, match=hint):
        strong_beams(io.BytesIO(content))
    assert isinstance(info.value, OSError)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="No such file"):
        read_atl07_beam(tmp_path / "nowhere.h5")


def test_truncated_hdf5_keeps_h5py_error(tmp_path, atl03) -> None:
    path = tmp_path / "truncated.h5"
    path.write_bytes(atl03.read_bytes()[:4096])
    with pytest.raises(OSError) as info:
        read_atl03_beam(path)
    assert not isinstance(info.value, NotHDF5Error)


def test_the_public_api_of_the_readers() -> None:
    assert helpers.BEAMS == ("gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r")
    assert {"read_atl03_beam", "read_atl07_beam", "strong_beams", "BEAMS"} <= set(helpers.__all__)
