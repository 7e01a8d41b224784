# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Pairing ICESat-2 sea-ice heights with MODIS sea surface temperature
#
# ## Overview
#
# Satellites rarely answer a question alone. In this notebook you bring together two very
# different NASA datasets over one spot of Arctic sea ice north of Greenland, where a melt pond
# was seen on 22 June 2019:
#
# - **ICESat-2 ATL07**, sea-ice heights measured by a laser along a narrow track, one value every
#   few metres; you **download** one granule over HTTPS, as you would for a file you keep using;
# - **GHRSST MODIS-Aqua L2P**, sea surface temperature (SST) from an infrared imager, in 5-minute
#   swaths of 1 km pixels; you **read** the one you need straight from the cloud (S3) without
#   downloading it.
#
# Then you look for the nearest MODIS pixel of every ICESat-2 segment, learn to tell a
# trustworthy sea surface temperature from a misleading one, and look at both along the track.
#
# 1. The use case: a melt pond north of Greenland
# 2. Search for ATL07 and MODIS granules
# 3. Download the ATL07 granule, safely
# 4. Read the ATL07 sea-ice heights
# 5. Choose a MODIS granule by a rule
# 6. Open the MODIS granule and decode its attributes
# 7. Map the two datasets together
# 8. Pair: the nearest pixel for every segment
# 9. Both along the track, and a file to keep
#
# This notebook follows the tutorial "Pairing Cloud and non-Cloud Data" of the
# [2021 NASA Earthdata Cloud Hackathon](https://nasa-openscapes.github.io/2021-Cloud-Hackathon/tutorials/08_On-Prem_Cloud.html),
# updated for today's tools.
#
# ## Prerequisites
#
# | Concepts | Importance | Notes |
# | --- | --- | --- |
# | [Tutorial 1: cloud collection search](01-cloud-collection-search.ipynb) | Necessary | Earthdata Login, `earthaccess.search_data`, S3 and HTTPS links |
# | [Tutorial 2: reading ATL03 from S3](02-atl03-s3-read-and-plot.ipynb) | Helpful | Opening HDF5 files from S3 with earthaccess and h5py |
# | [Cloud access concepts](../book/concepts.md) | Helpful | S3 or HTTPS, regions, temporary credentials |
# | [xarray basics](https://foundations.projectpythia.org/core/xarray/xarray-intro.html) | Necessary | `Dataset`, `DataArray`, attributes, `decode_cf` |
# | [Cartopy basics](https://foundations.projectpythia.org/core/cartopy/cartopy.html) | Helpful | Map projections and `transform` |
# | [ICESat-2 ATL07](https://nsidc.org/data/atl07) | Helpful | What a sea-ice height segment is |
# | [GHRSST L2P](https://www.ghrsst.org/ghrsst-data-services/products/) | Helpful | Swath SST with quality levels and flags |
#
# - **Time to learn**: 60 minutes
# - **System requirements**: the tutorial environment (Python 3.12 or newer, `earthaccess` 0.18 or newer, `pyresample`,
#   `cartopy`). Run it on a JupyterHub in AWS `us-west-2` to read MODIS from S3; anywhere else the
#   same code reads it over HTTPS, more slowly.
#
# ## Learning objectives
#
# By the end of this notebook you can:
#
# - search two collections from two data centres for the same place and day;
# - download a granule so that a file is never left half-written and is checked against the size
#   (and checksum) the catalogue gives, and skip the download when a good copy is already there;
# - read ICESat-2 ATL07 heights into xarray, with fill values as NaN and UTC times;
# - choose among candidate granules with a rule you can reuse, not by a hard-coded index;
# - decode a netCDF file whose attributes are stored as one-element arrays;
# - keep only trustworthy SST pixels, using `quality_level` and `l2p_flags`;
# - pair a swath with a track by nearest neighbour with `pyresample`, and say what such a pairing
#   can and cannot tell you.
#
# ```{note}
# The outputs shown in the book come from the project's **Earthdata sandbox**, an offline
# stand-in for NASA's services that serves *synthetic* granules. Run live, the same code returns
# real data: granule names, versions, sizes, links, the MODIS granule chosen, the temperatures and
# the match fractions will all differ from the ones shown here.
# ```

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import warnings

# earthaccess draws progress bars with tqdm, which warns when the notebook widgets (ipywidgets)
# are not installed. Nothing here depends on them: hide the warning.
warnings.filterwarnings("ignore", message="IProgress not found")

import hashlib
import os
import tempfile
from pathlib import Path

import cartopy.crs as ccrs
import cartopy.feature as cfeature
import earthaccess
import h5py
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyresample
import xarray as xr
from IPython.display import display
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import helpers

# Cartopy reads its coastlines and land from a copy shipped with the tutorials (no download).
helpers.use_offline_natural_earth()

DOWNLOADS = Path("downloads")  # downloaded granules (relative to this notebook)
FIGURES = Path("figures")  # saved figures
OUTPUTS = Path("outputs")  # the paired dataset
for folder in (DOWNLOADS, FIGURES, OUTPUTS):
    folder.mkdir(exist_ok=True)

# %% [markdown]
# ## 1. The use case: a melt pond north of Greenland
#
# In June, the snow on Arctic sea ice melts and collects in **melt ponds**. Ponds are darker than
# snow and ice, so they absorb more sunlight and speed up the melt: they matter for the heat
# balance of the Arctic Ocean. A melt pond north of Greenland was spotted in ICESat-2 data of
# 22 June 2019 with NASA's [OpenAltimetry](https://openaltimetry.earthdatacloud.nasa.gov/) tool.
# The question of this notebook: what was the temperature of the open water around the ice
# along that ICESat-2 track?
#
# The area of interest is a bounding box (west, south, east, north, in degrees) and the whole day:

# %%
BBOX = (-62.8, 81.7, -56.4, 83.0)  # west, south, east, north
TEMPORAL = ("2019-06-22T00:00:00Z", "2019-06-22T23:59:59Z")

# %% [markdown]
# ## 2. Search for ATL07 and MODIS granules
#
# Log in first, as in tutorial 1: `earthaccess.login()` finds your Earthdata Login credentials in
# the environment, in `~/.netrc` or by asking you; `helpers.login_status` says who is logged in
# and whether this machine is in AWS `us-west-2`, where S3 direct access works (it stops with a
# clear message if the login failed). `helpers.retry_transient_errors()`, called once before,
# makes earthaccess retry a request that meets a temporary server error.

# %% tags=["output-depends-on-region"]
helpers.retry_transient_errors()
auth = earthaccess.login()
status = helpers.login_status(auth)
print(status)

# %% [markdown]
# ### ICESat-2 ATL07, sea-ice height
#
# ATL07 is archived by NSIDC, in the cloud under the provider `NSIDC_CPRD` (its on-premises
# copies are retired: see notebook 01). Versions come and go (ICESat-2 products are reprocessed
# every year or two, and version 006 is retired), so look up the newest version at run time
# instead of writing it into the code:

# %%
ATL07_PROVIDER = "NSIDC_CPRD"
atl07_collections = earthaccess.search_datasets(short_name="ATL07", provider=ATL07_PROVIDER)
atl07_versions = sorted(collection.version for collection in atl07_collections)
atl07_version = atl07_versions[-1]
print(f"ATL07 versions in {ATL07_PROVIDER}: {', '.join(atl07_versions)}; using {atl07_version}")

atl07_results = earthaccess.search_data(
    short_name="ATL07",
    version=atl07_version,
    provider=ATL07_PROVIDER,
    bounding_box=BBOX,
    temporal=TEMPORAL,
)
atl07_results.sort(key=lambda g: g["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"])
atl07_table = helpers.granule_table(atl07_results)
with pd.option_context("display.max_colwidth", None):
    display(atl07_table[["granule", "start_time", "end_time", "size_mb", "https_link"]])

# %% [markdown]
# Two ICESat-2 passes crossed the box that day. An ATL07 granule holds one pass over the whole
# Arctic, from one side of the ocean to the other, for all six beams.
#
# ### GHRSST MODIS-Aqua L2P, sea surface temperature
#
# The SST product `MODIS_A-JPL-L2P-v2019.0` is archived by PO.DAAC, provider `POCLOUD`. Each
# granule is a 5-minute swath of the MODIS instrument on the Aqua satellite, about 2,000 km
# across. Near the poles the swaths of successive orbits overlap, so many of them see the box in
# one day:

# %%
MODIS_SHORT_NAME = "MODIS_A-JPL-L2P-v2019.0"
modis_results = earthaccess.search_data(
    short_name=MODIS_SHORT_NAME,
    provider="POCLOUD",
    bounding_box=BBOX,
    temporal=TEMPORAL,
)
modis_table = helpers.granule_table(modis_results)
print(f"{len(modis_results)} MODIS granules")
display(modis_table[["granule", "start_time", "size_mb", "s3_link"]])

# %% [markdown]
# Which one should we use? That depends on the ICESat-2 data, so first get those.
#
# ## 3. Download the ATL07 granule, safely
#
# We work with the first pass of the day. We read only a few of its variables, but we may come
# back to the file again and again (other beams, other variables), so here we **download** it
# once, over HTTPS. The same code works on a laptop and on a cloud JupyterHub.
#
# A download can fail half-way: the network drops, the disk fills, you interrupt the kernel. A
# file that is only partly written, but has the right name, is a trap: the next run happily
# "skips" it and then fails in strange ways, or worse, reads wrong data. So:
#
# 1. **Skip** the download when the file is already there *and* passes the checks below.
# 2. Download to a **temporary name** in a temporary folder next to the destination.
#    `earthaccess.download` itself writes to a `partial_...` file and renames it when the
#    transfer ends, but it does not compare the result with what the catalogue says the file
#    should be, and it skips any existing file without checking it.
# 3. **Verify** the file against its CMR record: its size in bytes and, when the record has one,
#    its MD5 checksum.
# 4. Only then **rename** it to its final name. A rename within one folder is atomic: the file
#    appears complete, or not at all.
#
# ```{note}
# Why `earthaccess.download` of the HTTPS link, with the provider named? This tutorial reads
# ATL07 over HTTPS on purpose, the way a laptop outside AWS does. Given the granule itself,
# `earthaccess.download` would read from S3 when it runs in `us-west-2` (a route that works from
# earthaccess 0.18 on; 0.17 failed there, [issue #1331](https://github.com/nsidc/earthaccess/issues/1331)).
# Given the HTTPS link, it downloads over HTTPS everywhere; inside `us-west-2` it needs to be
# told the provider of a cloud link.
# ```


# %%
def cmr_file_record(granule, name):
    """The size (bytes) and checksum that a granule's CMR record gives for its file `name`."""
    files = granule["umm"]["DataGranule"]["ArchiveAndDistributionInformation"]
    record = next((f for f in files if f.get("Name") == name), files[0])
    if "SizeInBytes" in record:
        size, tolerance = int(record["SizeInBytes"]), 0
    else:  # only a size in MB (CMR's MB are MiB) is given: allow for its rounding
        size, tolerance = round(float(record["Size"]) * 2**20), 1024
    checksum = record.get("Checksum", {})
    return {"size": size, "tolerance": tolerance, "md5": checksum.get("Value")}


def problems_with(path, expected):
    """What is wrong with a local file, compared with its CMR record (an empty list: nothing)."""
    problems = []
    size = path.stat().st_size
    if abs(size - expected["size"]) > expected["tolerance"]:
        problems.append(f"it has {size:,} bytes, CMR says {expected['size']:,}")
    elif expected["md5"]:
        md5 = hashlib.md5()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(8 * 2**20), b""):
                md5.update(block)
        if md5.hexdigest() != expected["md5"].lower():
            problems.append("its MD5 checksum differs from the one in CMR")
    return problems


def download_verified(granule, directory):
    """Download a granule over HTTPS into `directory`, verified, unless a good copy is there."""
    url = granule.data_links(access="external")[0]
    name = url.rsplit("/", 1)[-1]
    target = directory / name
    expected = cmr_file_record(granule, name)
    if target.exists() and not problems_with(target, expected):
        return target, expected  # already downloaded and verified: nothing to do
    # A temporary folder next to the target: removed at the end, even if anything fails.
    with tempfile.TemporaryDirectory(dir=directory, prefix=".incomplete-") as tmp:
        paths = earthaccess.download(
            [url],
            local_path=tmp,
            provider=granule["meta"]["provider-id"],
            threads=1,
            show_progress=False,
        )
        if not paths:
            raise RuntimeError(f"earthaccess downloaded nothing for {url}: are you logged in?")
        downloaded = Path(paths[0])
        problems = problems_with(downloaded, expected)
        if problems:
            raise RuntimeError(f"{name} failed verification ({'; '.join(problems)}); discarded")
        os.replace(downloaded, target)  # atomic: the file appears complete, or not at all
    return target, expected


atl07_granule = atl07_results[0]  # the first pass of the day
atl07_path, atl07_expected = download_verified(atl07_granule, DOWNLOADS)
checks = "size and MD5 checksum" if atl07_expected["md5"] else "size"
print(f"{atl07_path}: {atl07_path.stat().st_size:,} bytes; {checks} match CMR")

# %% [markdown]
# Run the cell again: this time nothing is downloaded, because the file is there and passes the
# checks. Delete the file, or change one byte of it, and the next run downloads it again.
#
# ## 4. Read the ATL07 sea-ice heights
#
# ATL07 is HDF5, with one group per beam. Each beam's `sea_ice_segments` group holds one row per
# **segment**: a stretch of track of about 10 to 200 m over which about 150 photons were
# aggregated into one height. We read the segment positions and times and the height of beam
# `gt1l` (a strong beam for this granule) with `helpers.read_atl07_beam`, which
#
# - reads each variable with h5py in one go;
# - turns the string attributes, stored as bytes, into text, and drops the HDF5 bookkeeping
#   attributes such as `DIMENSION_LIST`;
# - turns the fill value of the heights (3.4028235e+38, the largest float32) into NaN, and
# - adds a `time` coordinate in UTC from `delta_time`, decoded by xarray from its CF `units`
#   attribute, `seconds since 2018-01-01`. As `xarray.open_dataset` does, it decodes the times
#   when they are first used, so the listing below shows `time` as `...` until then.

# %%
BEAM = "gt1l"
print("Strong beams:", helpers.strong_beams(atl07_path))
is2 = helpers.read_atl07_beam(
    atl07_path,
    BEAM,
    ["latitude", "longitude", "delta_time", "heights/height_segment_height"],
)
is2

# %% [markdown]
# A quick summary of the segments, and of those inside the box:

# %%
heights = is2["height_segment_height"]
in_box = (
    (is2.longitude >= BBOX[0])
    & (is2.longitude <= BBOX[2])
    & (is2.latitude >= BBOX[1])
    & (is2.latitude <= BBOX[3])
)
is2_time = is2.time[in_box]
overpass = is2_time.values[len(is2_time) // 2]  # the middle of the pass over the box
print(f"Segments: {is2.sizes['segment']:,}, without a height: {int(heights.isnull().sum()):,}")
print(f"Track: {str(is2.time.values[0])[:19]} to {str(is2.time.values[-1])[:19]} UTC")
print(f"Segments in the box: {int(in_box.sum()):,}, over the box at {str(overpass)[:19]} UTC")
print(
    f"Heights: median {float(heights.median()):.2f} m, 1st-99th percentile "
    f"{float(heights.quantile(0.01)):.2f} to {float(heights.quantile(0.99)):.2f} m"
)

# %% mystnb={"image": {"alt": "Two panels of ICESat-2 ATL07 sea-ice height for beam gt1l. Top: height in metres against UTC time for the whole pass, a band of points mostly between about minus half a metre and one and a half metres, with the minutes over the bounding box shaded. Bottom: the segments inside the bounding box against latitude."}}
fig, (ax_all, ax_box) = plt.subplots(2, 1, figsize=(10, 6.5), layout="constrained")
ax_all.scatter(is2.time, heights, s=0.2, color="0.25", rasterized=True)
ax_all.axvspan(
    is2_time.values[0], is2_time.values[-1], color="tab:orange", alpha=0.3, label="over the box"
)
ax_all.set(
    xlabel="Time (UTC), 2019-06-22",
    ylabel="Height (m)",
    title=f"ATL07 {BEAM} sea-ice height, whole pass",
)
ax_all.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
ax_all.legend(loc="upper right")
ax_box.scatter(is2.latitude[in_box], heights[in_box], s=0.5, color="tab:orange", rasterized=True)
ax_box.set(xlabel="Latitude (°N)", ylabel="Height (m)", title="Segments inside the box")
fig.savefig(FIGURES / "03-atl07-heights.png", dpi=110, bbox_inches="tight")
plt.show()


# %% [markdown]
# Heights are relative to the mean sea surface: open water in leads sits near 0 m, snow-covered
# ice floes a few tens of centimetres higher.
#
# ## 5. Choose a MODIS granule by a rule
#
# Which of the MODIS granules should be paired with this ICESat-2 pass? Picking "the third one
# in the list" would work for this day only. Better, a **rule** you can reuse for any day and
# place. We want the granule that
#
# 1. is a **Day** granule: MODIS measures SST differently by night (other channels, other
#    errors), so we compare like with like;
# 2. **sees the track**: enough of the ICESat-2 segments in the box have a MODIS pixel with a
#    value within 1 km, that is, they are not hidden under thick clouds or outside the swath;
# 3. among those, is **closest in time** to the ICESat-2 overpass: the ocean surface changes within
#    hours, and the ice drifts, so the smaller the time difference the better.
#
# These settings, and the tests made of them, are the **pairing rule** of this notebook and of
# tutorial 4. They are written once, in `helpers.PAIRING_RULE`, so that both tutorials (and the
# project's benchmark) use exactly the same rule; print it to see them:

# %%
rule = helpers.PAIRING_RULE
print(rule)

# %% [markdown]
# `radius_m` is how far from a segment a pixel may be (1 km, the size of a MODIS pixel at the
# centre of the swath); `min_seen` the fraction of the box segments a granule must see (test 2);
# `max_offset` the largest time difference worth considering; `min_quality`, `l2p_land` and
# `l2p_ice` say what a trustworthy SST is (below).
#
# GHRSST L2P files rate every pixel with a `quality_level`, from 0 (`no_data`: no value at all)
# to 5 (`best_quality`). For test 2 we count the pixels with any value, `quality_level >= 1`.
# That is a weak test on purpose: it asks whether MODIS saw the surface along the track, not
# whether what it saw is a trustworthy *sea surface* temperature; that is the question of step 8,
# and for it the table below also counts the pixels of quality 4 or 5 that are neither land nor
# sea ice (the flags are explained in step 6). In these files thick clouds leave no value at all.
# Some L2P files keep a value under clouds, with `quality_level` 1 (`bad_data`); then the test
# only tells you that the swath covers the track, and the map of step 7 is the place to check.
#
# `rule.seen(quality_level)` is that test of a pixel, `quality_level >= 1`, and
# `rule.trustworthy(quality_level, l2p_flags)` the test of a trustworthy SST: `quality_level >=
# rule.min_quality`, and neither the land bit (`rule.l2p_land`) nor the sea-ice bit
# (`rule.l2p_ice`) of `l2p_flags` set. Both take numpy arrays and give an array of True/False.
# `quality_level` and `l2p_flags` are plain integers, without scale factor or offset, so we can
# read them with h5py as they are stored.
#
# To find the pixels near the segments we write one function with pyresample:


# %%
def nearest_pixel(pixel_lon, pixel_lat, use, values, lon, lat, radius=rule.radius_m):
    """For each point (lon, lat): `values` of the nearest pixel where `use` is True, if that pixel
    is within `radius` metres; NaN otherwise. `values` may have a last axis of several channels.

    Only the pixels in `use` take part, so a point next to a rejected pixel still gets the nearest
    accepted one, if there is one within the radius.
    """
    use = use & (np.abs(pixel_lat) <= 90)  # also drops missing coordinates (NaN or -999)
    channels = values.shape[use.ndim :]
    if not use.any():
        return np.full(np.shape(lon) + channels, np.nan)
    source = pyresample.geometry.SwathDefinition(lons=pixel_lon[use], lats=pixel_lat[use])
    target = pyresample.geometry.SwathDefinition(lons=np.asarray(lon), lats=np.asarray(lat))
    return pyresample.kd_tree.resample_nearest(
        source,
        values[use].astype(np.float64),
        target,
        radius_of_influence=radius,
        fill_value=np.nan,
    )


# %% [markdown]
# `nearest_pixel` is the heart of the pairing, and we use it again in step 8: a
# [k-d tree](https://en.wikipedia.org/wiki/K-d_tree) of the pixel positions (built by
# `pyresample.kd_tree.resample_nearest`) finds the nearest pixel of every segment quickly, even
# for millions of pixels.
#
# Now screen every granule. For each Day granule we open the file with `earthaccess.open` (from
# S3 in `us-west-2`, over HTTPS elsewhere) and read four arrays with h5py, not the whole file:
# the pixel coordinates, `quality_level` and `l2p_flags`. `helpers.read_chunked_many` returns
# what h5py's `h5["lat"][()]` would, but fetches the compressed chunks of all four arrays at
# once, many requests in flight, where h5py would fetch them one after another (notebook 02). The coordinates are most of the bytes, 10 to 20 MB per
# granule: about a second in `us-west-2`, longer over HTTPS from elsewhere.

# %%
box_lon = is2.longitude.values[in_box]
box_lat = is2.latitude.values[in_box]
overpass_utc = pd.Timestamp(overpass, tz="UTC")


def read_pixel_arrays(granule):
    """Pixel latitudes, longitudes, quality_level and l2p_flags of a MODIS L2P granule."""
    f = earthaccess.open([granule], show_progress=False)[0]
    try:
        with h5py.File(f, "r") as h5:
            names = ["lat", "lon", "quality_level", "l2p_flags"]
            lat, lon, quality, flags = helpers.read_chunked_many([h5[n] for n in names], f)
    finally:
        f.close()
    # quality_level and l2p_flags have a time axis of length 1: drop it
    return lat, lon, quality[0], flags[0]


seen_fraction = {}  # granule name: the fraction of the box segments it sees


def screen(name, granule):
    """One row of the candidates table: time offset, day/night, pixels near the track."""
    umm = granule["umm"]
    start = pd.Timestamp(umm["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"])
    end = pd.Timestamp(umm["TemporalExtent"]["RangeDateTime"]["EndingDateTime"])
    row = {
        "granule": name,
        "start (UTC)": start.strftime("%H:%M"),
        "offset (min)": round((start + (end - start) / 2 - overpass_utc).total_seconds() / 60),
        # CMR's DayNightFlag, or, where CMR has none, the "-D-" (Day) in the file name
        "day/night": "Day" if rule.is_day(granule) else "Night",
        "seen pixels in box": pd.NA,
        "trustworthy SST pixels in box": pd.NA,
        "box segments seen (%)": np.nan,
    }
    if row["day/night"] != "Day":
        return row  # not a candidate: no need to read it
    try:
        lat, lon, quality, flags = read_pixel_arrays(granule)
    except OSError as err:  # e.g. an empty placeholder file
        row["granule"] += f" (unreadable: {type(err).__name__})"
        return row
    seen = rule.seen(quality)
    pixel_in_box = (lon >= BBOX[0]) & (lon <= BBOX[2]) & (lat >= BBOX[1]) & (lat <= BBOX[3])
    found = nearest_pixel(lon, lat, seen, lat, box_lon, box_lat)
    seen_fraction[name] = np.isfinite(found).mean()
    row["seen pixels in box"] = int((seen & pixel_in_box).sum())
    row["trustworthy SST pixels in box"] = int(
        (rule.trustworthy(quality, flags) & pixel_in_box).sum()
    )
    row["box segments seen (%)"] = round(100 * seen_fraction[name], 1)
    return row


candidates = pd.DataFrame(
    [screen(*pair) for pair in zip(modis_table.granule, modis_results, strict=True)]
)
candidates = candidates.sort_values("offset (min)", key=abs, ignore_index=True)
candidates

# %% [markdown]
# The rule, in code: `helpers.choose_modis` takes the Day granules within `rule.max_offset` (two
# hours) of the overpass, closest in time first, and returns the first that sees at least
# `rule.min_seen` (a quarter) of the box segments. It asks what each granule sees through a
# function we give it: here, a look-up of the fractions measured above (NaN for a granule that
# was not read). In tutorial 4 the same function reads each candidate only when it is asked,
# and stops reading at the winner.

# %%
choice = helpers.choose_modis(
    modis_results, overpass, lambda g: seen_fraction.get(helpers.granule_name(g), np.nan)
)
if choice.granule is None:
    raise RuntimeError(f"{choice.status}: widen the time window or the radius.")
modis_granule = choice.granule
winner_name = helpers.granule_name(modis_granule)
print(f"Chosen: {winner_name}")
print(
    f"  {round(choice.offset / pd.Timedelta(minutes=1)):+d} min from the ICESat-2 overpass, "
    f"{100 * choice.seen:.0f}% of the box segments seen"
)
best = candidates.index[candidates["granule"] == winner_name][0]
print("Closer in time, but not chosen:" if best else "It is also the closest in time.")
for _, row in candidates.loc[: best - 1].iterrows():
    if row["day/night"] != "Day":
        why = f"a {row['day/night']} granule"
    elif pd.isna(row["box segments seen (%)"]):
        why = "could not be read"
    else:
        why = f"sees only {row['box segments seen (%)']:.0f}% of the box segments"
    print(f"  {row['start (UTC)']} ({row['offset (min)']:+d} min): {why}")

# %% [markdown]
# The granule nearest in time is not always usable: a swath may end just short of the box, or
# clouds may hide the surface, and clouds are common over the Arctic in summer. A rule that
# checks coverage first and time second avoids both traps. Notice also the column of trustworthy
# SST pixels: we come back to it in step 8.
#
# ## 6. Open the MODIS granule and decode its attributes
#
# `earthaccess.open` opens the chosen granule as a file object: from **S3** when this notebook
# runs in `us-west-2`, over **HTTPS** elsewhere. Nothing is downloaded; xarray and h5py read only
# the bytes they need.

# %% tags=["output-depends-on-region"]
modis_file = earthaccess.open([modis_granule], show_progress=False)[0]
print(modis_file)

# %% [markdown]
# ### The problem: attributes stored as one-element arrays
#
# The netCDF attributes of these files (units, scale factors, fill values, ...) were written in an
# old style: each one is an **array of one element**, and text is stored as **bytes**. Here is
# what is really in the file, read with h5py:

# %%
with h5py.File(modis_file, "r") as h5:
    sst_attrs = h5["sea_surface_temperature"].attrs
    for name in ("units", "scale_factor", "add_offset", "_FillValue", "coordinates"):
        print(f"sea_surface_temperature: {name:<13} {sst_attrs[name]!r}")
    print(f"time:                    units         {h5['time'].attrs['units']!r}")
    print("HDF5 bookkeeping attributes:", [k for k in sst_attrs if k.isupper()])

# %% [markdown]
# CF decoding, the step that applies scale factors, masks fill values and turns numbers into
# dates, expects `units="kelvin"` and `scale_factor=0.005`, not `[b'kelvin']` and `[0.005]`. Give
# such raw attributes to `xr.decode_cf`, as happens when you build a dataset from h5py, and it
# fails. Remove the attribute it trips over, and it is worse: it runs, but silently leaves the
# time as a plain number of seconds.

# %%
dims = {"time": ("time",), "sea_surface_temperature": ("time", "nj", "ni")}
with h5py.File(modis_file, "r") as h5:
    raw_h5 = xr.Dataset({name: (dims[name], h5[name][...], dict(h5[name].attrs)) for name in dims})
try:
    xr.decode_cf(raw_h5)
except AttributeError as err:
    print(f"xr.decode_cf failed: AttributeError: {err}")

del raw_h5["sea_surface_temperature"].attrs["coordinates"]
quiet = xr.decode_cf(raw_h5)
print(f"Without 'coordinates' it runs, but time is still {quiet.time.dtype}: {quiet.time.values}")

# %% [markdown]
# In 2021 the original tutorial met this problem in `xr.open_dataset` itself, so it opened the
# file with `decode_cf=False` and unwrapped every attribute by hand. Today's netCDF readers for
# xarray (`h5netcdf` and `netCDF4`) unwrap one-element attributes while
# reading, so a plain `xr.open_dataset` copes with this file:

# %%
with xr.open_dataset(modis_file, engine="h5netcdf") as plain:
    units = plain.sea_surface_temperature.attrs["units"]
    print(f"Plain xr.open_dataset: time is {plain.time.dtype}, SST units are {units!r}")

# %% [markdown]
# The arrays and bytes are still in the file, though, for every tool that reads the HDF5
# attributes directly, and older environments still meet them. A recipe that works with old and
# new libraries alike:
#
# 1. open with `decode_cf=False`, and keep only the variables we need;
# 2. make every attribute a plain value with `helpers.decode_attrs_dataset` (one-element arrays
#    become scalars, bytes become text, bookkeeping attributes are dropped);
# 3. decode with `xr.decode_cf`, asking for `sst_dtime` (in seconds) as a time difference.

# %%
MODIS_VARIABLES = [
    "lat",
    "lon",
    "sea_surface_temperature",
    "quality_level",
    "l2p_flags",
    "sst_dtime",
]
raw = xr.open_dataset(modis_file, engine="h5netcdf", decode_cf=False)[MODIS_VARIABLES]
modis = xr.decode_cf(helpers.decode_attrs_dataset(raw), decode_timedelta=True).load()
modis_file.close()  # everything we need is in memory now
modis

# %% [markdown]
# Now the SST is in kelvin, as float32, with NaN where there is no value; `time` is a date and
# `sst_dtime` a time difference. The flag metadata confirm the bits used in step 5:

# %%
flag_attrs = modis.l2p_flags.attrs
flag_bits = dict(
    zip(flag_attrs["flag_meanings"].split(), flag_attrs["flag_masks"].tolist(), strict=True)
)
print("l2p_flags bits:", flag_bits)
assert flag_bits["land"] == rule.l2p_land and flag_bits["ice"] == rule.l2p_ice
print("quality_level: ", dict(enumerate(modis.quality_level.attrs["flag_meanings"].split())))

# %% [markdown]
# A first look at the swath in its own rows and columns (`nj` along the satellite's path, `ni`
# across it): the temperature of every pixel that has one, its quality level, and the pixels
# flagged as sea ice.

# %% mystnb={"image": {"alt": "Three panels of the MODIS swath in its own pixel rows and columns. Left: surface temperature in kelvin of every pixel with a value, with blank areas under thick clouds. Middle: quality level from 0 to 5; high levels only over open ocean, low levels over sea ice and near clouds. Right: the pixels flagged as sea ice, land or neither; the sea-ice flag covers the colder part of the swath."}}
sst = modis.sea_surface_temperature.squeeze("time")
quality = modis.quality_level.squeeze("time")
l2p_flags = modis.l2p_flags.squeeze("time")
surface = xr.where(l2p_flags & rule.l2p_land, 2, xr.where(l2p_flags & rule.l2p_ice, 1, 0))


def every_second_pixel(da):
    """Every second line and pixel, labelled with their row and column numbers in the file."""
    return da.assign_coords(nj=np.arange(da.sizes["nj"]), ni=np.arange(da.sizes["ni"]))[::2, ::2]


fig, axes = plt.subplots(1, 3, figsize=(13, 5.2), layout="constrained")
every_second_pixel(sst).plot(
    ax=axes[0],
    cmap="RdYlBu_r",
    robust=True,
    rasterized=True,
    cbar_kwargs={"label": "temperature (K)"},
)
axes[0].set_title("sea_surface_temperature")
every_second_pixel(quality).plot(
    ax=axes[1],
    cmap=plt.get_cmap("viridis", 6),
    vmin=-0.5,
    vmax=5.5,
    rasterized=True,
    cbar_kwargs={"label": "quality_level", "ticks": range(6)},
)
axes[1].set_title("quality_level")
bar = every_second_pixel(surface).plot(
    ax=axes[2],
    cmap=ListedColormap(["#4a90c8", "#e8f1f8", "#b5a27a"]),
    vmin=-0.5,
    vmax=2.5,
    rasterized=True,
    cbar_kwargs={"ticks": [0, 1, 2]},
)
bar.colorbar.ax.set_yticklabels(["neither", "sea ice", "land"])
axes[2].set_title("l2p_flags")
for ax in axes:
    ax.set_aspect("equal")
fig.savefig(FIGURES / "03-modis-swath.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# Look at the values over the sea ice: they are not sea surface temperatures at all, but the
# temperature of the ice and snow surface seen through the SST algorithm, which is not made for
# it. The file says so twice: the sea-ice flag, and quality levels that never reach 4 there.
#
# ## 7. Map the two datasets together
#
# A map in a projection centred on the North Pole (`NorthPolarStereo`) puts the swath and the
# track in context. It shows the trustworthy SST (quality 4 or 5, neither land nor ice), the
# pixels flagged as sea ice in one pale colour, and the ICESat-2 heights on top. MODIS swaths are
# not a regular grid, and near the pole their longitudes jump from +180 to -180, so we convert the
# pixel positions into the map's own coordinates and draw them there with `pcolormesh`. Every
# second pixel and every 20th ICESat-2 segment are enough for the eye, and much faster to draw.

# %%
trustworthy = rule.trustworthy(quality, l2p_flags)
seen_ice = rule.seen(quality) & (l2p_flags & rule.l2p_ice > 0).values
sst_trustworthy = sst.where(trustworthy)
print(
    f"Pixels: {sst.size:,}; trustworthy SST {trustworthy.sum():,} ({100 * trustworthy.mean():.0f}%),"
    f" seen sea ice {seen_ice.sum():,} ({100 * seen_ice.mean():.0f}%)"
)
sst_limits = np.nanpercentile(sst_trustworthy, [2, 98])
height_limits = np.nanpercentile(heights, [2, 98])
print(
    f"Colour limits: SST {sst_limits[0]:.1f} to {sst_limits[1]:.1f} K, "
    f"heights {height_limits[0]:.2f} to {height_limits[1]:.2f} m"
)

# %% mystnb={"image": {"alt": "Map of the Arctic Ocean in a north polar stereographic projection with Greenland at the bottom. The MODIS swath shows trustworthy sea surface temperature from blue (near freezing) to red (warmer) in kelvin over the open ocean between Greenland and Svalbard, and pale blue where its pixels are flagged as sea ice. The ICESat-2 track runs from the north coast of Greenland across the North Pole towards Siberia, coloured by sea-ice height in metres. The small study box on the north coast of Greenland is outlined in black."}}
projection = ccrs.NorthPolarStereo(central_longitude=-45)
step = 2
xy = projection.transform_points(
    ccrs.PlateCarree(), modis.lon.values[::step, ::step], modis.lat.values[::step, ::step]
)
x, y = np.ma.masked_invalid(xy[..., 0]), np.ma.masked_invalid(xy[..., 1])

fig = plt.figure(figsize=(9.5, 8.5))
ax = fig.add_subplot(projection=projection)
ax.set_extent([-3.0e6, 3.0e6, -3.0e6, 3.0e6], crs=projection)
ax.add_feature(cfeature.LAND.with_scale("110m"), facecolor="#d9d0bd", zorder=0)
ax.coastlines("110m", linewidth=0.6, color="0.3")
ax.pcolormesh(
    x,
    y,
    np.where(seen_ice[::step, ::step], 1.0, np.nan),
    cmap=ListedColormap(["#dbe9f4"]),
    shading="auto",
    rasterized=True,
)
mesh = ax.pcolormesh(
    x,
    y,
    sst_trustworthy.values[::step, ::step],
    cmap="RdYlBu_r",
    vmin=sst_limits[0],
    vmax=sst_limits[1],
    shading="auto",
    rasterized=True,
)
dots = ax.scatter(
    is2.longitude[::20],
    is2.latitude[::20],
    c=heights[::20],
    s=3,
    cmap="viridis",
    vmin=height_limits[0],
    vmax=height_limits[1],
    transform=ccrs.PlateCarree(),
    zorder=3,
)
west, south, east, north = BBOX
box_lon_outline = np.r_[np.linspace(west, east, 20), np.linspace(east, west, 20), west]
box_lat_outline = np.r_[np.full(20, south), np.full(20, north), south]
ax.plot(
    box_lon_outline, box_lat_outline, color="k", linewidth=2, transform=ccrs.PlateCarree(), zorder=4
)
ax.gridlines(linewidth=0.4, color="0.6", linestyle=":")
ax.legend(
    handles=[
        Patch(facecolor="#dbe9f4", edgecolor="0.6", label="MODIS: sea ice (flagged)"),
        Line2D([], [], color="k", linewidth=2, label="study box"),
    ],
    loc="lower left",
)
fig.colorbar(mesh, ax=ax, shrink=0.7, pad=0.02, label="MODIS SST, quality 4-5 (K)")
fig.colorbar(dots, ax=ax, shrink=0.7, pad=0.04, label="ICESat-2 ATL07 height (m)")
ax.set_title(f"MODIS-Aqua L2P {winner_name[:14]} and ICESat-2 ATL07 {BEAM}, 2019-06-22")
fig.savefig(FIGURES / "03-map.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 8. Pair: the nearest pixel for every segment
#
# For each ICESat-2 segment we now look for the nearest MODIS pixel within 1 km, with
# `nearest_pixel` from step 5, twice:
#
# - **unfiltered**: any pixel with a value, as the 2021 tutorial did;
# - **trustworthy SST**: only pixels of quality 4 or 5 that are neither land nor sea ice. The
#   pixels are masked *before* the search, so a segment next to a rejected pixel still gets the
#   nearest trustworthy one if there is one within 1 km.
#
# Besides the temperature we carry along each pixel's observation time (the granule's `time` +
# the pixel's `sst_dtime`), its position, quality level and flags, to say how far apart each pair
# is in time and space, and what kind of pixel it is.
#
# (`helpers.pair_nearest` packages the same search, and keeps each segment's pixel index and
# distance to sample more variables later; here we spell the steps out.)


# %%
def great_circle_m(lon1, lat1, lon2, lat2):
    """Distance in metres between points on a sphere of the Earth's mean radius (haversine)."""
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (lon1, lat1, lon2, lat2))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * np.arcsin(np.sqrt(h))


pixel_time = (modis.time.squeeze("time") + modis.sst_dtime.squeeze("time")).values
channels = {
    "temperature": sst.values,
    "seconds": (pixel_time - np.datetime64("2019-06-22")) / np.timedelta64(1, "s"),
    "lon": modis.lon.values,
    "lat": modis.lat.values,
    "quality_level": quality.values,
    "l2p_flags": l2p_flags.values,
}
stacked = np.stack(list(channels.values()), axis=-1)


def pair(use):
    """The nearest `use` pixel within rule.radius_m of every segment, one array per channel."""
    found = nearest_pixel(
        modis.lon.values, modis.lat.values, use, stacked, is2.longitude.values, is2.latitude.values
    )
    out = dict(zip(channels, np.moveaxis(found, -1, 0), strict=True))
    out["time"] = np.datetime64("2019-06-22") + (out["seconds"] * 1e9).astype("timedelta64[ns]")
    out["time_difference"] = (is2.time.values - out["time"]) / np.timedelta64(1, "m")  # minutes
    out["distance"] = great_circle_m(
        is2.longitude.values, is2.latitude.values, out["lon"], out["lat"]
    )
    return out


unfiltered = pair(rule.seen(quality))
trusted = pair(trustworthy)


def summary(p):
    """Matched segments, distances, time differences and temperatures of one pairing."""
    matched = np.isfinite(p["temperature"])
    row = {
        "segments matched": f"{matched.sum():,}",
        "matched (%)": f"{100 * matched.mean():.1f}",
        "matched in box (%)": f"{100 * matched[in_box.values].mean():.1f}",
        "median distance (m)": "-",
        "time difference (min)": "-",
        "temperature (K)": "-",
    }
    if matched.any():
        t, dt = p["temperature"], p["time_difference"]
        row["median distance (m)"] = f"{np.nanmedian(p['distance']):.0f}"
        row["time difference (min)"] = f"{np.nanmin(dt):+.0f} to {np.nanmax(dt):+.0f}"
        row["temperature (K)"] = f"{np.nanmin(t):.1f} to {np.nanmax(t):.1f}"
    return row


pd.DataFrame({"unfiltered": summary(unfiltered), "trustworthy SST": summary(trusted)}).T

# %% [markdown]
# What are the unfiltered pixels that the quality filter rejects?

# %%
got = np.isfinite(unfiltered["temperature"])
flags_of = unfiltered["l2p_flags"][got].astype(int)
reasons = pd.Series(
    {
        "flagged sea ice": int((flags_of & rule.l2p_ice > 0).sum()),
        "flagged land": int((flags_of & rule.l2p_land > 0).sum()),
        f"quality below {rule.min_quality}": int(
            (unfiltered["quality_level"][got] < rule.min_quality).sum()
        ),
    },
    name="segments",
)
print(f"Of the {got.sum():,} segments paired with an unfiltered pixel:")
print((100 * reasons / got.sum()).round(1).astype(str).add(" %").to_string())

# %% [markdown]
# And how far from the track is the nearest trustworthy SST at all? The same function answers,
# with a search radius of 3,000 km instead of 1 km (for every 100th segment: enough here).

# %%
every = slice(None, None, 100)
nearest_water = nearest_pixel(
    modis.lon.values,
    modis.lat.values,
    trustworthy,
    np.stack([modis.lon.values, modis.lat.values], axis=-1),
    is2.longitude.values[every],
    is2.latitude.values[every],
    radius=3_000_000,
)
km = (
    great_circle_m(
        is2.longitude.values[every],
        is2.latitude.values[every],
        nearest_water[:, 0],
        nearest_water[:, 1],
    )
    / 1000
)
if np.isfinite(km).any():
    print(f"Nearest trustworthy SST pixel: {np.nanmin(km):,.0f} km from the track")
else:
    print("No trustworthy SST pixel within 3,000 km of the track")

# %% [markdown]
# ### What this pairing can and cannot tell you
#
# - **Quality filtering changes the answer, not just its precision.** The unfiltered pairing
#   gives a "sea surface temperature" to many segments, but here every one of those pixels is
#   flagged as sea ice, with a quality level below 4, and the nearest trustworthy SST is hundreds
#   of kilometres away. Those values are the temperature of the ice and snow surface, seen through
#   an algorithm made for water, well below the freezing point of sea water (about 271.4 K):
#   using them as SST, as the 2021 tutorial did, is wrong. Trustworthy SST exists only where the
#   track crosses open water wide enough to fill pixels: large leads, polynyas, the ice edge. With
#   real data you may find a few such pixels, or none, as here; the lesson is the same.
# - **Different footprints.** A MODIS pixel is about 1 km across at the centre of the swath and
#   several km at its edges; an ATL07 segment is 10 to 200 m long and about 11 m wide. One pixel is
#   shared by dozens of segments and averages over everything in it: a 50 m lead inside a pixel of
#   ice does not get its own temperature. Near the edges of the swath, where this granule sees the
#   study box, pixel centres are more than 2 km apart, so a 1 km radius leaves gaps between them
#   even under a clear sky.
# - **Different times.** Here the pairs are more than an hour apart (the table above): the rule
#   of step 5 chose the closest *usable* granule, not the closest one. The ice drifts, often 5 to
#   20 km a day, and clouds move, so the pixel may no longer be over the same piece of ice.
# - **Skin, not bulk.** MODIS measures the temperature of the top tenth of a millimetre of the
#   surface (the "skin"), which can differ from the water a metre below by a few tenths of a
#   kelvin, more in calm, sunny weather.
# - **Clouds.** Only what MODIS saw through clear skies is there: the picture is biased towards
#   clear weather, and cloud edges that slip through the tests look too cold.
# - **Nearest, not interpolated.** Nearest-neighbour keeps real measured values, but steps from
#   one pixel to the next along the track.
#
# ## 9. Both along the track, and a file to keep
#
# We plot the heights and the paired temperatures against latitude, on two y-axes, from the start
# of the track up to its northernmost point, where latitude grows along the track (past the pole
# the track runs south again, towards Siberia).

# %%
northernmost = int(np.argmax(is2.latitude.values))
ascending = slice(0, northernmost + 1)
lat_up = is2.latitude.values[ascending]
print(f"Plotted: segments 0 to {northernmost:,}, latitude {lat_up[0]:.2f} to {lat_up[-1]:.2f} °N")

# %% mystnb={"image": {"alt": "Scatter plot along the ICESat-2 track against latitude, from about 82 to 88 degrees north, with two y-axes. Left axis: ATL07 sea-ice height in metres as small grey points, in two bands, floes around 0.3 m and leads near 0 m; the few segments inside the study box are orange. Right axis: paired MODIS temperatures in kelvin. Unfiltered values, in blue, are scattered between about 257 and 269 K, well below freezing: ice-surface temperatures. No red points, trustworthy sea surface temperatures, appear along this stretch. A legend names every series."}}
fig, ax_h = plt.subplots(figsize=(11, 5.2), layout="constrained")
ax_t = ax_h.twinx()  # a second y-axis, sharing the latitude axis
box_up = in_box.values[ascending]
ax_h.scatter(lat_up, heights.values[ascending], s=0.3, color="0.55", rasterized=True)
ax_h.scatter(lat_up[box_up], heights.values[ascending][box_up], s=0.3, color="tab:orange")
ax_t.scatter(lat_up, unfiltered["temperature"][ascending], s=1, color="#4292c6", rasterized=True)
ax_t.scatter(lat_up, trusted["temperature"][ascending], s=3, color="tab:red", rasterized=True)
ax_h.set(
    xlabel="Latitude (°N)",
    ylabel="Sea-ice height (m)",
    title=f"Along ICESat-2 {BEAM}, with MODIS-Aqua {winner_name[:14]} within {rule.radius_m:g} m",
)
ax_t.set_ylabel("Temperature (K)")


def marker(color, label):
    return Line2D([], [], ls="", marker="o", color=color, label=label)


fig.legend(
    handles=[
        marker("0.55", "ATL07 sea-ice height (left axis)"),
        marker("tab:orange", "ATL07 height in the study box (left axis)"),
        marker("#4292c6", "MODIS, unfiltered: any pixel with a value (right axis)"),
        marker("tab:red", "MODIS SST: quality 4-5, neither land nor ice (right axis)"),
    ],
    loc="outside lower center",
    ncols=2,
    frameon=False,
)
fig.savefig(FIGURES / "03-along-track.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# How to read it: the heights form two bands, floes a few tens of centimetres above the sea
# surface and leads near 0 m. The unfiltered MODIS values change in steps, because one pixel is
# the nearest pixel of a hundred segments or more, and they lie well below the freezing point of
# sea water: ice-surface temperatures, not SST. Red points, trustworthy SST, would mark open
# water; on this stretch there are none.

# %% [markdown]
# Finally, save the pairs to netCDF, to use them again without repeating all of the above. Every
# segment is kept, with NaN where no pixel was found, and the attributes say where the values
# come from and how they were paired.


# %%
def variable(values, **attrs):
    return xr.Variable("segment", np.asarray(values, dtype=np.float32), attrs)


pairs = xr.Dataset(
    {
        "height_segment_height": heights,
        "sst": variable(
            trusted["temperature"],
            units="K",
            long_name="MODIS-Aqua L2P skin SST of the nearest trustworthy pixel",
            comment=f"quality_level >= {rule.min_quality}, neither land nor ice",
        ),
        "sst_time_difference": variable(
            trusted["time_difference"],
            units="minutes",
            long_name="ICESat-2 time minus the time of the SST pixel",
        ),
        "sst_pixel_distance": variable(
            trusted["distance"], units="m", long_name="distance to the centre of the SST pixel"
        ),
        "unfiltered_temperature": variable(
            unfiltered["temperature"],
            units="K",
            long_name="temperature of the nearest pixel with any "
            "value: not a sea surface temperature over ice",
        ),
        "unfiltered_quality_level": variable(
            unfiltered["quality_level"], long_name="quality_level of that pixel"
        ),
        "unfiltered_l2p_flags": variable(
            unfiltered["l2p_flags"], long_name="l2p_flags of that pixel (2 land, 4 ice)"
        ),
    },
    coords={"latitude": is2.latitude, "longitude": is2.longitude, "time": is2.time},
    attrs={
        "title": "ICESat-2 ATL07 sea-ice heights paired with MODIS-Aqua L2P temperatures",
        "atl07_granule": atl07_path.name,
        "atl07_beam": BEAM,
        "modis_granule": winner_name,
        "method": f"nearest pixel within {rule.radius_m:g} m (pyresample.kd_tree.resample_nearest)",
    },
)
pairs_path = OUTPUTS / f"{atl07_path.stem}_{BEAM}_MODIS_pairs.nc"
pairs.to_netcdf(pairs_path)
with xr.open_dataset(pairs_path) as reread:
    print(
        f"{pairs_path}: {reread.sizes['segment']:,} segments, variables: {list(reread.data_vars)}"
    )

# %% [markdown]
# ## Summary
#
# - Two datasets from two data centres were searched with the same area and day; the ATL07
#   version was looked up at run time.
# - The ATL07 granule was downloaded over HTTPS with `earthaccess.download` into a temporary
#   folder, checked against the size and checksum in its CMR record, and only then renamed into
#   place; a good copy is never downloaded twice.
# - `helpers.read_atl07_beam` gave an xarray dataset of heights, with decoded attributes, NaN for
#   fill values and UTC times.
# - The MODIS granule was chosen by a rule (Day, within two hours, seeing the track, closest in
#   time), stated once in `helpers.PAIRING_RULE` and applied by `helpers.choose_modis`; the table
#   of candidates shows why it won.
# - MODIS L2P attributes stored as one-element arrays break CF decoding, loudly or silently, when
#   they reach it raw: `helpers.decode_attrs_dataset` then `xr.decode_cf` works with any version
#   of the libraries.
# - Quality filtering decides what the pairing means: over sea ice the L2P "SST" is the ice
#   surface seen through a water algorithm, and only pixels of quality 4-5 that are neither land
#   nor ice are sea surface temperatures.
# - A nearest-neighbour pairing relates 1 km pixels, observed an hour or more apart, to 10-200 m
#   segments: good for context, not for a segment-by-segment comparison.
#
# ## Exercise
#
# The 1 km radius and the single beam were our choices. Pair the unfiltered MODIS pixels and the
# trustworthy SST with **all three strong beams**, each with a search radius of **500 m, 1 km and
# 2 km**, and make a table of the percentage of segments matched. Then answer: why is a bigger
# radius not simply better? And would any radius give this track a trustworthy SST?
#
# *Hints:* `helpers.strong_beams(atl07_path)` lists the strong beams; `nearest_pixel` takes a
# `radius`; `modis`, `trustworthy` and `rule.seen(quality)` are still in memory.
#
# ### Solution
#
# Click to reveal the solution below.

# %% tags=["hide-cell"]
rows = {}
seen = rule.seen(quality)
for beam in helpers.strong_beams(atl07_path):
    track = helpers.read_atl07_beam(atl07_path, beam, ["latitude", "longitude"])
    for radius in (500, 1000, 2000):
        for label, use in (("unfiltered", seen), ("trustworthy SST", trustworthy)):
            found = nearest_pixel(
                modis.lon.values,
                modis.lat.values,
                use,
                sst.values,
                track.longitude.values,
                track.latitude.values,
                radius=radius,
            )
            rows[(beam, f"{radius} m", label)] = 100 * np.isfinite(found).mean()
matched_percent = pd.Series(rows).unstack([1, 2]).round(1)
matched_percent.index.name = "beam"
matched_percent

# %% [markdown]
# A bigger radius matches more segments, but each added pair is a worse pair: the pixel is
# farther away, and with 1 km pixels a radius well above 1 km pairs segments with pixels that do
# not contain them. No radius of a few kilometres gives this track a trustworthy SST: the open
# water is hundreds of kilometres away, beyond the ice edge. The three beams, about 3 km apart,
# see slightly different pixels but tell the same story.
#
# ## What's next
#
# - **Where is the open water?** Measure, for each segment, the distance to the nearest
#   trustworthy SST pixel without any radius limit: how far from this track was the ice edge?
# - **More granules, more days.** The same steps in a loop over days, or over all the ATL07
#   granules of a season, turn this into a time series. In the cloud, next to the data, many
#   granules can be read in parallel; [Cloud access concepts](../book/concepts.md) explains why.
# - **Other products.** Gridded, gap-filled SST such as
#   [MUR](https://podaac.jpl.nasa.gov/dataset/MUR-JPL-L4-GLOB-v4.1) (level 4) has no cloud gaps,
#   at the price of interpolation; ice-surface temperature has products of its own (MODIS
#   MOD29/MYD29 at NSIDC); ATL10 (freeboard) and ATL20/ATL21 (gridded) build on ATL07.
#
# ## Resources and references
#
# - [ATL07 at NSIDC](https://nsidc.org/data/atl07), with its user guide
# - [MODIS_A-JPL-L2P-v2019.0 at PO.DAAC](https://podaac.jpl.nasa.gov/dataset/MODIS_A-JPL-L2P-v2019.0)
# - [GHRSST](https://www.ghrsst.org), whose Data Specification (GDS 2.0) defines `quality_level`
#   and `l2p_flags`
# - [pyresample documentation](https://pyresample.readthedocs.io/), on swath resampling
# - [earthaccess documentation](https://earthaccess.readthedocs.io)
# - [2021 Cloud Hackathon, "Pairing Cloud and non-Cloud Data"](https://nasa-openscapes.github.io/2021-Cloud-Hackathon/tutorials/08_On-Prem_Cloud.html),
#   the tutorial this notebook follows
