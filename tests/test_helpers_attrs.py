"""helpers.attrs: attributes as plain Python values, for h5py objects and xarray datasets."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import xarray as xr
from helpers_data import FLOAT32_MAX, MODIS_TIME, make_atl07, make_modis_l2p

from helpers.attrs import DROPPED_ATTRS, decode_attr_value, decode_attrs, decode_attrs_dataset


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"meters", "meters"),
        (np.bytes_(b"meters"), "meters"),
        ("already text", "already text"),
        (np.array([b"kelvin"]), "kelvin"),
        (np.array([b"caf\xc3\xa9"]), "café"),
        (np.array([-32767], dtype="i2"), -32767),
        (np.array([3], dtype="i4"), 3),
        (np.array([1198800018.0]), 1198800018.0),
        (np.int8(5), 5),
        (np.float64(0.5), 0.5),
        (np.bool_(True), True),
        (np.array(["vlen text"], dtype=object), "vlen text"),
    ],
)
def test_decode_attr_value_gives_plain_python(raw: object, expected: object) -> None:
    value = decode_attr_value(raw)
    assert value == expected
    assert type(value) is type(expected)


def test_float32_stays_exact_numpy_scalar() -> None:
    for raw in (np.array([0.005], dtype="f4"), np.float32(0.005)):
        value = decode_attr_value(raw)
        assert isinstance(value, np.float32)
        assert value == np.float32(0.005)
    fill = decode_attr_value(np.array([FLOAT32_MAX], dtype="f4"))
    assert isinstance(fill, np.float32) and fill == np.finfo(np.float32).max


def test_longer_arrays_stay_arrays() -> None:
    flags = decode_attr_value(np.array([0, 1, 2, 3, 4, 5], dtype="i1"))
    assert isinstance(flags, np.ndarray) and flags.dtype == np.int8
    np.testing.assert_array_equal(flags, [0, 1, 2, 3, 4, 5])
    names = decode_attr_value(np.array([b"low", b"high"]))
    assert names.tolist() == ["low", "high"]
    objects = decode_attr_value(np.array([b"a", "b"], dtype=object))
    assert objects.tolist() == ["a", "b"]
    assert decode_attr_value(np.array([], dtype="f4")).size == 0


def test_empty_hdf5_attribute_is_none(tmp_path) -> None:
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as f:
        f.attrs["nothing"] = h5py.Empty("f4")
    with h5py.File(path) as f:
        assert decode_attrs(f) == {"nothing": None}


def test_decode_attrs_drops_dimension_scale_bookkeeping(tmp_path) -> None:
    path = make_atl07(tmp_path / "ATL07.h5", n_segments=20)
    with h5py.File(path) as f:
        scale = f["gt1l/sea_ice_segments/delta_time"]
        height = f["gt1l/sea_ice_segments/heights/height_segment_height"]
        # The raw h5py view has the quirks ...
        assert {"CLASS", "NAME", "REFERENCE_LIST"} <= set(scale.attrs)
        assert "DIMENSION_LIST" in height.attrs
        assert isinstance(height.attrs["units"], bytes)
        # ... and the decoded one has none of them.
        scale_attrs = decode_attrs(scale)
        height_attrs = decode_attrs(height)
    assert not (set(scale_attrs) | set(height_attrs)) & DROPPED_ATTRS
    assert scale_attrs["units"] == "seconds since 2018-01-01"
    assert height_attrs["units"] == "meters"
    assert height_attrs["_FillValue"] == np.finfo(np.float32).max
    assert isinstance(height_attrs["_FillValue"], np.float32)


def test_decode_attrs_on_one_element_netcdf_attributes(tmp_path) -> None:
    path = make_modis_l2p(tmp_path / "modis.nc")
    with h5py.File(path) as f:
        sst = f["sea_surface_temperature"]
        assert sst.attrs["scale_factor"].shape == (1,)  # the old-style quirk, as h5py sees it
        attrs = decode_attrs(sst)
        root = decode_attrs(f)
    assert attrs["units"] == "kelvin"
    assert attrs["_FillValue"] == -32767 and isinstance(attrs["_FillValue"], int)
    assert attrs["scale_factor"] == np.float32(0.005)
    assert attrs["valid_min"] == -1000
    assert not set(attrs) & {"DIMENSION_LIST", "_Netcdf4Coordinates", "_Netcdf4Dimid"}
    assert root["title"] == "MODIS Aqua L2P SST"
    assert root["file_quality_level"] == 3
    assert "_NCProperties" not in root


def test_decode_attrs_accepts_a_mapping() -> None:
    assert decode_attrs({"units": np.array([b"m"]), "NAME": b"x"}) == {"units": "m"}


# ---------------------------------------------------------------------------------------------
# xarray and the MODIS L2P one-element attributes (FORMATS.md C4)


def _raw_dataset_from_h5py(path) -> xr.Dataset:
    """The file as xarray sees it when attributes arrive as one-element arrays.

    That is what xarray got from h5netcdf before h5netcdf unwrapped one-element attributes
    (h5netcdf issue #116), and what any Dataset built from h5py's attributes gets today.
    """
    variables = {}
    with h5py.File(path) as f:
        for name, dset in f.items():
            if dset.is_scale:
                if name != "time":
                    continue  # pure netCDF dimensions (nj, ni) have no data
                dims: tuple[str, ...] = (name,)
            else:
                dims = tuple(d[0].name.rsplit("/", 1)[-1] for d in dset.dims)
            attrs = {k: v for k, v in dset.attrs.items() if k not in DROPPED_ATTRS}
            variables[name] = (dims, dset[()], attrs)
        global_attrs = {k: v for k, v in f.attrs.items() if k not in DROPPED_ATTRS}
    return xr.Dataset(variables, attrs=global_attrs)


def test_current_h5netcdf_already_unwraps_one_element_attributes(tmp_path) -> None:
    """What the installed xarray + h5netcdf do with the file (recorded, not assumed).

    Opening with decode_cf=False gives scalar attributes, so decode_cf=True on open works.
    If a future release changes that, this test says so, and decode_attrs_dataset still helps.
    """
    path = make_modis_l2p(tmp_path / "modis.nc")
    with open(path, "rb") as fileobj:
        raw = xr.open_dataset(fileobj, engine="h5netcdf", decode_cf=False).load()
    assert raw["sea_surface_temperature"].attrs["units"] == "kelvin"
    assert np.ndim(raw["sea_surface_temperature"].attrs["scale_factor"]) == 0
    with open(path, "rb") as fileobj:
        decoded = xr.open_dataset(fileobj, engine="h5netcdf").load()
    assert decoded["time"].values[0] == np.datetime64("2019-06-22T10:00:01")
    assert decoded["sea_surface_temperature"].dtype == np.float32


def test_one_element_attributes_break_decode_cf(tmp_path) -> None:
    """The problem: with one-element array attributes, CF decoding fails or is silently wrong."""
    raw = _raw_dataset_from_h5py(make_modis_l2p(tmp_path / "modis.nc"))
    assert raw["sea_surface_temperature"].attrs["units"].shape == (1,)
    # A one-element 'coordinates' array makes decode_cf fail outright ...
    with pytest.raises(AttributeError, match="split"):
        xr.decode_cf(raw)
    # ... and without it, times stay integers and SST becomes float64 instead of float32.
    wrong = xr.decode_cf(raw, decode_coords=False)
    assert wrong["time"].dtype == np.int32
    assert wrong["time"].values[0] == MODIS_TIME
    assert wrong["sea_surface_temperature"].dtype == np.float64


def test_decode_attrs_dataset_makes_decode_cf_work(tmp_path) -> None:
    """The fix: decode the attributes, then decode_cf gives what the file means."""
    path = make_modis_l2p(tmp_path / "modis.nc")
    raw = _raw_dataset_from_h5py(path)
    fixed = xr.decode_cf(decode_attrs_dataset(raw))
    assert fixed["time"].values[0] == np.datetime64("2019-06-22T10:00:01")
    sst = fixed["sea_surface_temperature"]
    assert sst.dtype == np.float32
    assert sst.values[0, 0, 0] == pytest.approx(263.375, abs=1e-4)
    assert np.isnan(sst.values[0, 0, 1])
    assert sst.attrs["units"] == "kelvin"
    assert fixed["quality_level"].attrs["flag_values"].tolist() == [0, 1, 2, 3, 4, 5]
    assert fixed.attrs["title"] == "MODIS Aqua L2P SST"
    assert fixed.attrs["file_quality_level"] == 3
    assert set(fixed.coords) >= {"lat", "lon"}  # the 'coordinates' attribute now works
    # Same result as the current h5netcdf's own decoding.
    with open(path, "rb") as fileobj:
        reference = xr.open_dataset(fileobj, engine="h5netcdf").load()
    for name in ("sea_surface_temperature", "quality_level", "lat", "lon"):
        np.testing.assert_array_equal(fixed[name].values, reference[name].values)
        assert fixed[name].dtype == reference[name].dtype


def test_decode_attrs_dataset_on_a_decode_cf_false_open(tmp_path) -> None:
    """The notebook's path: open with decode_cf=False from a file object, fix, decode."""
    path = make_modis_l2p(tmp_path / "modis.nc")
    with open(path, "rb") as fileobj:
        raw = xr.open_dataset(fileobj, engine="h5netcdf", decode_cf=False).load()
    decoded = xr.decode_cf(decode_attrs_dataset(raw))
    assert decoded["time"].values[0] == np.datetime64("2019-06-22T10:00:01")
    assert decoded["sea_surface_temperature"].dtype == np.float32


def test_decode_attrs_dataset_leaves_the_input_alone() -> None:
    raw = xr.Dataset(
        {"v": ("x", np.arange(3), {"units": np.array([b"m"])})},
        attrs={"title": np.array([b"t"])},
    )
    out = decode_attrs_dataset(raw)
    assert out["v"].attrs == {"units": "m"} and out.attrs == {"title": "t"}
    assert isinstance(raw["v"].attrs["units"], np.ndarray)
    assert isinstance(raw.attrs["title"], np.ndarray)
