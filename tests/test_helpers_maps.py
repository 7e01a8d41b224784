"""helpers.maps: cartopy finds the shipped Natural Earth 110m layers, with downloads forbidden."""

from __future__ import annotations

import cartopy
import cartopy.feature
import cartopy.io
import cartopy.io.shapereader as shapereader
import pytest

from helpers.maps import NATURAL_EARTH_DIR, use_offline_natural_earth


@pytest.fixture
def offline(monkeypatch):
    """Restore cartopy's config afterwards, and make any download attempt fail the test."""
    monkeypatch.setitem(
        cartopy.config, "pre_existing_data_dir", cartopy.config.get("pre_existing_data_dir")
    )

    def no_download(self, target_path, format_dict):
        raise AssertionError(f"cartopy tried to download {target_path}")

    monkeypatch.setattr(cartopy.io.Downloader, "acquire_resource", no_download)
    monkeypatch.setattr(shapereader.NEShpDownloader, "acquire_resource", no_download)


def test_shipped_layers_exist() -> None:
    physical = NATURAL_EARTH_DIR / "shapefiles" / "natural_earth" / "physical"
    for name in ("ne_110m_land", "ne_110m_coastline"):
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            assert (physical / f"{name}{suffix}").is_file()


@pytest.mark.parametrize("name", ["land", "coastline"])
def test_cartopy_reads_the_shipped_layers(offline, name) -> None:
    assert use_offline_natural_earth() == NATURAL_EARTH_DIR
    path = shapereader.natural_earth(resolution="110m", category="physical", name=name)
    assert str(path).startswith(str(NATURAL_EARTH_DIR))
    assert len(list(shapereader.Reader(path).geometries())) > 50


def test_features_work_offline(offline) -> None:
    use_offline_natural_earth()
    land = cartopy.feature.LAND.with_scale("110m")
    assert len(list(land.geometries())) > 50
    coastline = cartopy.feature.NaturalEarthFeature("physical", "coastline", "110m")
    assert len(list(coastline.geometries())) > 50


def test_a_polar_map_draws_offline(offline) -> None:
    import io

    import cartopy.crs as ccrs
    from matplotlib.figure import Figure

    use_offline_natural_earth()
    fig = Figure(figsize=(3, 3))
    ax = fig.add_subplot(projection=ccrs.NorthPolarStereo())
    ax.set_extent([-180, 180, 60, 90], crs=ccrs.PlateCarree())
    ax.add_feature(cartopy.feature.LAND.with_scale("110m"))
    ax.coastlines("110m")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
