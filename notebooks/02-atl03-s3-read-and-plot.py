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
# # Reading ICESat-2 ATL03 photons straight from S3
#
# ## Overview
#
# In notebook 01 you found the ICESat-2 photon product ATL03 in Earthdata Cloud. Now you **read**
# one granule where it lives, in Amazon S3 in AWS region `us-west-2`, without downloading it: only
# the few megabytes you need cross the network, not the whole file. You then plot the photon
# heights of one laser beam across the Juneau Icefield in Alaska, on 15 October 2018.
#
# 1. Find the granule in the cloud collection
# 2. Temporary S3 credentials
# 3. Open the granule on S3, without downloading it
# 4. Read the photons of one strong beam into xarray
# 5. Plot the photon heights along the track
# 6. How much was read, and how fast
# 7. Outside `us-west-2`: the same granule over HTTPS
#
# ## Prerequisites
#
# | Concepts | Importance | Notes |
# | --- | --- | --- |
# | Notebook 01, *Finding ICESat-2 data in the cloud* | Necessary | Collections, granules, providers, S3 and HTTPS links |
# | [NumPy basics](https://foundations.projectpythia.org/core/numpy/numpy-basics) | Necessary | Arrays, boolean masks |
# | [xarray basics](https://foundations.projectpythia.org/core/xarray/xarray-intro) | Helpful | `Dataset`, `isel`, `rolling` |
# | [HDF5 and h5py](https://docs.h5py.org/en/stable/quick.html) | Helpful | Files, groups, datasets, attributes |
# | [Matplotlib](https://foundations.projectpythia.org/core/matplotlib/matplotlib-basics) and [Cartopy](https://foundations.projectpythia.org/core/cartopy/cartopy) | Helpful | Plots and map projections |
# | [ICESat-2 ATL03](https://nsidc.org/data/atl03) | Helpful | What the photon product contains |
#
# - **Time to learn**: 45 minutes
# - **System requirements**: the tutorial environment (Python 3.12 or newer, `earthaccess` 0.18 or newer) and an
#   [Earthdata Login](https://urs.earthdata.nasa.gov) account. Reading from S3 needs a JupyterHub
#   in AWS `us-west-2`; anywhere else the notebook reads the same granule over HTTPS (step 7).
#
# ## Learning objectives
#
# By the end of this notebook you can:
#
# - find one granule by name in a cloud collection, choosing the newest version at run time;
# - explain what temporary S3 credentials are, how long they last and where they work;
# - open an HDF5 granule on S3 as a file object and explore it with h5py;
# - say why `xarray.open_dataset` alone does not make sense of an ICESat-2 file, and open one
#   group of it instead;
# - read the photons of one beam inside a bounding box into an `xarray.Dataset`, with units,
#   UTC times and a true along-track distance;
# - tell strong from weak beams with the spacecraft orientation;
# - plot photon heights so the ice surface stands out from the background photons;
# - list the chunks a read needs, and fetch them all at once with library calls (h5py's chunk
#   index, fsspec's merged byte ranges, threads to decompress) instead of one request at a time.
#
# ```{note}
# The outputs shown in the book come from the project's **Earthdata sandbox**, an offline stand-in
# for NASA's services that serves *synthetic* granules. Run live on a `us-west-2` JupyterHub, the
# same code reads the real granule: the version, file size, photon counts, heights, byte counts
# and timings will differ from the ones shown here.
# ```

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import time
import warnings
from pathlib import Path

# earthaccess draws progress bars with ipywidgets where installed, and plain text bars (after a
# warning) elsewhere; the text bars are fine, so the warning is hidden.
warnings.filterwarnings("ignore", message="IProgress not found")

import cartopy.crs as ccrs
import cartopy.feature as cfeature
import earthaccess
import h5py
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from IPython.display import display

import helpers

# Cartopy reads its coastlines and land from a copy shipped with the tutorials (no download).
helpers.use_offline_natural_earth()

GRANULE_ID = "ATL03_20181015124359_02580106"  # date and time, RGT 0258, cycle 01, region 06
JUNEAU_BBOX = (-135.1977, 58.3325, -133.3410, 58.9839)  # west, south, east, north
BEAM = "gt1l"
FIGURE = Path("figures") / "atl03_juneau_gt1l.png"

# %% [markdown]
# ## 1. Find the granule in the cloud collection
#
# Log in first: reading files needs an [Earthdata Login](https://urs.earthdata.nasa.gov).
# `earthaccess.login()` finds your credentials (see notebook 01 for where it looks);
# `helpers.login_status` says who is logged in and whether this notebook runs in AWS `us-west-2`,
# which decides how the file is read. `helpers.retry_transient_errors()`, called once before, makes
# earthaccess's requests retry the brief server errors a cloud service sometimes answers.

# %% tags=["output-depends-on-region"]
helpers.retry_transient_errors()
auth = earthaccess.login()
status = helpers.login_status(auth)
print(status)

# %% [markdown]
# ATL03 has had several versions, and NSIDC adds new ones to Earthdata Cloud (provider
# `NSIDC_CPRD`) over time. Rather than writing a version into the code, ask CMR which versions the
# cloud holds and take the newest:

# %%
cloud_collections = earthaccess.search_datasets(short_name="ATL03", provider="NSIDC_CPRD")
versions = sorted(collection.version for collection in cloud_collections)
version = versions[-1]
print(f"ATL03 versions in the cloud: {', '.join(versions)}; using the newest, {version}")

# %% [markdown]
# A granule's name says what it holds: `ATL03_20181015124359_02580106_007_01.h5` is ATL03 from
# 2018-10-15 12:43:59 UTC, reference ground track (RGT) 0258, cycle 01, region 06, version 007,
# revision 01. The version and revision differ between versions of the collection, so search
# with a **wildcard** for the part after the ID (earthaccess's `granule_name` is CMR's
# `readable_granule_name` with pattern matching):

# %%
results = earthaccess.search_data(
    short_name="ATL03",
    version=version,
    provider="NSIDC_CPRD",
    granule_name=f"{GRANULE_ID}_*",
)
print(f"Found {len(results)} granule(s)")
granule = results[0]
table = helpers.granule_table(results)
with pd.option_context("display.max_colwidth", None):
    display(table.T)

# %% [markdown]
# If you do not know the name, search by time and place instead: the same granule is the one
# that crosses the Juneau Icefield during that pass.

# %%
by_place = earthaccess.search_data(
    short_name="ATL03",
    version=version,
    provider="NSIDC_CPRD",
    temporal=("2018-10-15T12:40:00Z", "2018-10-15T12:55:00Z"),
    bounding_box=JUNEAU_BBOX,
)
print(f"Time and place: {len(by_place)} granule(s):")
for name in helpers.granule_table(by_place)["granule"]:
    print(" ", name)

# %% [markdown]
# ## 2. Temporary S3 credentials
#
# The granule has an `s3://` link. NASA's buckets are not public: reading them needs AWS keys.
# Each DAAC hands out **temporary S3 credentials** to anyone logged in to Earthdata Login:
#
# - they are three values: an access key id, a secret access key and a session token, plus their
#   expiration time;
# - they last **one hour**: then you (or earthaccess) must ask again;
# - they work only for **reads from AWS `us-west-2`**, the region where the data are; from
#   anywhere else the buckets answer `403 Forbidden`;
# - each DAAC has its own: NSIDC's credentials read NSIDC's buckets only.
#
# earthaccess knows where each DAAC's credentials endpoint is. Here are NSIDC's; the cell prints
# only the **names** of the keys and how long they last, never their values. Treat the values like
# a password: never print, share or commit them.

# %%
credentials = earthaccess.get_s3_credentials(daac="NSIDC")
print("Keys:", ", ".join(sorted(credentials)))

expires = pd.Timestamp(credentials["expiration"])
if expires.tzinfo is None:
    expires = expires.tz_localize("UTC")
minutes_left = (expires - pd.Timestamp.now(tz="UTC")).total_seconds() / 60
print(f"They expire in about {minutes_left:.0f} min.")

# %% [markdown]
# With these values, [s3fs](https://s3fs.readthedocs.io) makes a *file system* that reads S3 like
# local files. By hand it is:
#
# ```python
# import s3fs
#
# fs = s3fs.S3FileSystem(
#     key=credentials["accessKeyId"],
#     secret=credentials["secretAccessKey"],
#     token=credentials["sessionToken"],
# )
# ```
#
# `earthaccess.get_s3_filesystem(daac="NSIDC")` does the same, and fetches new credentials when
# the old ones are about to expire. From outside `us-west-2` the keys are handed out all the same,
# but the bucket refuses to read, so the cell below only uses them in the region.

# %% tags=["output-depends-on-region"]
s3_link = granule.data_links(access="direct")[0]
print(s3_link)
if status.in_region:
    fs = earthaccess.get_s3_filesystem(daac="NSIDC")
    info = fs.info(s3_link)  # one request: the object's size, no data
    print(f"Size on S3: {info['size']:,} bytes ({info['size'] / 2**20:.1f} MiB)")
else:
    print(
        "Not in AWS us-west-2: S3 would refuse to read this object (403 Forbidden). "
        "Step 3 reads the same granule over HTTPS instead."
    )

# %% [markdown]
# ```{warning}
# A file opened with these credentials keeps them. After an hour it fails with `ExpiredToken`:
# open the file again (the cells of steps 3 and 4), which fetches new credentials.
# ```
#
# ## 3. Open the granule on S3, without downloading it
#
# `earthaccess.open([granule])` gives back one **file object** per granule: something Python can
# `read` and `seek` in like a local file, whose bytes are fetched from S3 only when read. In
# `us-west-2` it is an s3fs file, the same as `fs.open(s3_link)`; elsewhere earthaccess opens the
# granule's HTTPS link instead (step 7). Its default read settings are explained in step 6;
# `show_progress=False` only hides its progress bars.

# %% tags=["output-depends-on-region"]
f = earthaccess.open([granule], show_progress=False)[0]
print(f)

# %% [markdown]
# ATL03 files are [HDF5](https://www.hdfgroup.org/solutions/hdf5/): a tree of **groups** (like
# folders) holding **datasets** (arrays) and **attributes** (metadata). `h5py.File` opens a file
# object just as it opens a path. The top level holds one group per laser beam (`gt1l` ...
# `gt3r`) and a few groups that describe the whole granule:

# %%
with h5py.File(f, "r") as h5:
    for name, item in h5.items():
        kind = "group" if isinstance(item, h5py.Group) else "dataset"
        print(f"{name:<24} {kind}, {len(item.attrs)} attributes")
    heights = h5[f"{BEAM}/heights"]
    print(f"\n/{BEAM}/heights holds {len(heights)} datasets, e.g. h_ph: {heights['h_ph']}")

# %% [markdown]
# Why not simply `xarray.open_dataset`? xarray reads **one group at a time** into one
# `Dataset`, whose variables share dimensions. An ICESat-2 file is a tree: the photons sit two
# levels down, in six beams, and each beam has groups of different lengths (one value per photon
# in `heights`, one per 20 m segment in `geolocation`). The root group holds none of that, only
# attributes and two short label arrays, so the root gives a dataset without data:

# %%
f.seek(0)  # xarray checks the file's first bytes and wants to start at the beginning
with xr.open_dataset(f, engine="h5netcdf") as root:
    print(
        f"Root group: {len(root.data_vars)} data variables; coordinates {list(root.coords)}; "
        f"{len(root.attrs)} attributes"
    )
    print(f"short_name: {root.attrs['short_name']!r}, title: {root.attrs['title']!r}")

# %% [markdown]
# One group at a time works. Here is the photon group of beam `gt1l`, opened lazily (xarray reads
# the values of a variable only when you use them):

# %%
f.seek(0)
with xr.open_dataset(f, engine="h5netcdf", group=f"{BEAM}/heights") as heights_xr:
    display(heights_xr)

# %% [markdown]
# Notice that `delta_time` became the dimension of every variable and was decoded into dates,
# that `lat_ph` and `lon_ph` are coordinates, and that nothing says how far along the track a
# photon is: `dist_ph_along` restarts at zero every 20 m (step 4 fixes that). The other groups
# of the beam, such as `geolocation`, need their own `open_dataset`.
#
# ## 4. Read the photons of one strong beam into xarray
#
# ### Strong and weak beams
#
# ICESat-2's laser makes six beams in three pairs, about 3.3 km apart; within a pair the two
# beams are 90 m apart, one **strong** and one **weak**, with about a quarter of the energy.
# Which one of a pair is strong depends on which way the spacecraft flies, stored in
# `/orbit_info/sc_orient`: 0 (backward) makes the left beams (`gt1l`, `gt2l`, `gt3l`) strong, 1
# (forward) the right ones. `helpers.strong_beams` reads it; each beam group also says what it is
# in its `atlas_beam_type` attribute:

# %%
print("Strong beams:", helpers.strong_beams(f))

with h5py.File(f, "r") as h5:
    print("sc_orient:", h5["orbit_info/sc_orient"][:])
    beams = pd.DataFrame(
        [
            {
                "beam": beam,
                **{
                    key: helpers.decode_attrs(h5[beam]).get(key)
                    for key in ("atlas_beam_type", "atlas_spot_number", "sc_orientation")
                },
                "photons": h5[f"{beam}/heights/h_ph"].shape[0],  # metadata only: no data read
            }
            for beam in helpers.BEAMS
            if beam in h5
        ]
    ).set_index("beam")
beams

# %% [markdown]
# A strong beam returns about four times as many photons from the surface, so its profile is the
# clearest: this notebook reads `gt1l`, the strong beam of the first pair. (The exercise at the
# end reads its weak partner.)
#
# ### Only the photons inside the box
#
# A real ATL03 granule runs for thousands of kilometres (region 06 of a southbound pass, from
# 59.5 N to 27 N), and one strong beam holds tens of millions of photons: the box covers a small
# part of that. (The practice granule of the sandbox is shorter, so there the box holds a larger
# share.) The `geolocation` group has one row per 20 m **segment**: its position
# (`reference_photon_lat`, `reference_photon_lon`), the 1-based index of its first photon
# (`ph_index_beg`, 0 when the segment has none) and its number of photons (`segment_ph_cnt`).
# These small arrays tell you which photons to read:


# %%
def photons_in_box(h5, beam, bbox):
    """Return the slice of photon indices of `beam` whose 20 m segments lie inside `bbox`.

    One segment more on each side keeps photons near the edges; filter with `lat_ph` and `lon_ph`
    afterwards for the exact box.
    """
    west, south, east, north = bbox
    geolocation = h5[f"{beam}/geolocation"]
    lat = geolocation["reference_photon_lat"][:]
    lon = geolocation["reference_photon_lon"][:]
    first = geolocation["ph_index_beg"][:]  # 1-based; 0 = no photons
    count = geolocation["segment_ph_cnt"][:]
    inside = np.flatnonzero(
        (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north) & (count > 0)
    )
    if inside.size == 0:
        raise ValueError(f"No segment of {beam} lies inside {bbox}.")
    lo, hi = max(inside[0] - 1, 0), min(inside[-1] + 2, count.size)
    has_photons = count[lo:hi] > 0
    start = first[lo:hi][has_photons].min() - 1
    stop = (first[lo:hi][has_photons] + count[lo:hi][has_photons]).max() - 1
    return slice(int(start), int(stop))


def ground_track(h5, beam, step=50):
    """Longitude and latitude of every `step`-th 20 m segment of `beam`: a light ground track."""
    geolocation = h5[f"{beam}/geolocation"]
    return (
        geolocation["reference_photon_lon"][::step],
        geolocation["reference_photon_lat"][::step],
    )


# %% [markdown]
# ### The read
#
# `helpers.read_atl03_beam` reads photon variables of `/gt1l/heights` into an `xarray.Dataset`.
# It keeps each variable's attributes (units, long names) as plain text, turns fill values into
# `NaN`, turns `delta_time` into UTC times (xarray's CF decoding of its units, "seconds since
# 2018-01-01", done when `time` is first used, as `xarray.open_dataset` does), and with
# `along_track=True` adds the true along-track distance. Here it reads
# only the photons of the box, fetching the compressed chunks of all six variables at once, many
# requests in flight, instead of one after another (step 6 shows how, and what that changes). We
# use a freshly opened file object:

# %% tags=["output-depends-on-region"]
VARIABLES = ["h_ph", "lat_ph", "lon_ph", "dist_ph_along", "delta_time", "signal_conf_ph"]

# a fresh file object: its cache starts empty
f_read = earthaccess.open([granule], show_progress=False)[0]
with h5py.File(f_read, "r") as h5:
    photons = photons_in_box(h5, BEAM, JUNEAU_BBOX)
    track_lon, track_lat = ground_track(h5, BEAM)

start = time.perf_counter()
ds = helpers.read_atl03_beam(f_read, BEAM, VARIABLES, along_track=True, subset=photons)
read_seconds = time.perf_counter() - start

n_beam = beams.loc[BEAM, "photons"]
print(
    f"Read photons {photons.start:,} to {photons.stop:,} of {n_beam:,} "
    f"({(photons.stop - photons.start) / n_beam:.0%} of the beam)"
)
display(ds)

# %% [markdown]
# Under the hood it is plain h5py. For one variable, without the conveniences:
#
# ```python
# with h5py.File(f, "r") as h5:
#     dataset = h5["gt1l/heights/h_ph"]
#     h_ph = dataset[photons]           # one slice: HDF5 reads the chunks it covers, and only those
#     units = dataset.attrs["units"]    # b'meters': HDF5 text attributes come back as bytes
# ```
#
# ### A true along-track distance
#
# `dist_ph_along` is the distance of a photon from the start of **its 20 m segment**, so it saws
# up and down. Adding the segment's distance from the equator crossing (`geolocation/segment_dist_x`)
# gives a distance that grows steadily along the track. Every photon belongs to one segment, and
# the segments list their photons in order, so each segment's distance repeats once per photon:

# %%
with h5py.File(f_read, "r") as h5:
    geolocation = h5[f"{BEAM}/geolocation"]
    segment_dist_x = geolocation["segment_dist_x"][:]
    segment_ph_cnt = geolocation["segment_ph_cnt"][:]
segment_of_photon = np.repeat(np.arange(segment_ph_cnt.size), segment_ph_cnt)[photons]
along_track = segment_dist_x[segment_of_photon] + ds["dist_ph_along"].values

# Around the first segment boundary: dist_ph_along drops back, the along-track distance does not.
# (Photons of one laser shot share one position, hence the repeated values.)
boundary = np.flatnonzero(np.diff(ds["dist_ph_along"].values) < 0)[0] + 1
around = slice(boundary - 3, boundary + 3)
display(
    pd.DataFrame(
        {
            "dist_ph_along (m)": ds["dist_ph_along"].values[around],
            "segment": segment_of_photon[around],
            "along-track distance (m)": along_track[around],
        }
    ).round(2)
)
print(
    "Same as the helpers' along_track_distance:",
    np.allclose(along_track, ds["along_track_distance"]),
)

# %% [markdown]
# ### Keep only the photons inside the box
#
# The segments were a first cut; the photons' own `lat_ph` and `lon_ph` give the exact box:

# %%
west, south, east, north = JUNEAU_BBOX
in_box = (
    (ds["lon_ph"] >= west)
    & (ds["lon_ph"] <= east)
    & (ds["lat_ph"] >= south)
    & (ds["lat_ph"] <= north)
)
box = ds.isel(photon=np.flatnonzero(in_box.values))
print(f"{box.sizes['photon']:,} {BEAM} photons inside the box")
first_time, last_time = np.datetime_as_string(box["time"].values[[0, -1]], unit="ms")
print(f"from {first_time} to {last_time} UTC")
print(
    f"latitude {box['lat_ph'].values.max():.3f} N to {box['lat_ph'].values.min():.3f} N (southbound)"
)

# %% [markdown]
# ## 5. Plot the photon heights along the track
#
# Not every photon comes from the surface. Sunlight scattered by the atmosphere and the ice adds
# **background photons** at all heights of the telemetry window, the stretch of heights around
# the expected surface that the instrument records. Their number depends on the light: this pass
# crossed the icefield before dawn (about 03:45 local solar time), when there are few; the
# practice data have more. ATL03 grades each photon in
# `signal_conf_ph`, one column per surface type (land, ocean, sea ice, land ice, inland water):
# 0 noise, 1 buffer, 2 low, 3 medium and 4 high confidence that it is signal (-1: surface type not
# considered here). The plot below takes a photon's best grade over the surface types and draws
# medium and high confidence photons dark, the rest small and grey. The line is a centred rolling
# mean over 1000 signal photons (about 100-200 m of track), which needs at least 500 of them:
# averaging the background photons too would pull it towards the middle of the window.

# %%
confidence = box["signal_conf_ph"].max(dim=box["signal_conf_ph"].dims[1]).values
is_signal = confidence >= 3
distance_km = (box["along_track_distance"].values - box["along_track_distance"].values[0]) / 1000
height = box["h_ph"].values

signal_height = box["h_ph"].isel(photon=np.flatnonzero(is_signal))
rolling_mean = signal_height.rolling(photon=1000, center=True, min_periods=500).mean()

print(f"Signal photons (medium or high confidence): {is_signal.mean():.0%}")
print(f"Surface height: {np.nanmin(rolling_mean):.0f} to {np.nanmax(rolling_mean):.0f} m")

# %% mystnb={"image": {"alt": "Three panels. Top: photon heights of ICESat-2 beam gt1l across the Juneau Icefield on 15 October 2018, in metres above the WGS 84 ellipsoid, against along-track distance in kilometres; dark signal photons trace the ice surface with an orange rolling mean on top, and light grey background photons scatter above and below it. Bottom: a 2 km zoom in the middle of the box showing single photons, the narrow surface band and the background. Right: a north polar stereographic map of southeast Alaska with the ground track and the box around the icefield."}}
SIGNAL, OTHER, MEAN = "#08306b", "0.6", "#f16913"  # colours


def plot_photons(ax, selection, markersize):
    """Background photons light grey, signal photons dark, and the rolling mean on top."""
    other, signal = selection & ~is_signal, selection & is_signal
    ax.plot(
        distance_km[other],
        height[other],
        ".",
        markersize=markersize,
        color=OTHER,
        alpha=0.4,
        rasterized=True,
        label="Other photons (noise, buffer, low confidence)",
    )
    ax.plot(
        distance_km[signal],
        height[signal],
        ".",
        markersize=markersize,
        color=SIGNAL,
        rasterized=True,
        label="Signal photons (medium or high confidence)",
    )
    ax.plot(
        distance_km[is_signal],
        rolling_mean,
        color=MEAN,
        linewidth=1,
        label="Rolling mean of 1000 signal photons",
    )
    ax.set_ylabel("Photon height above\nthe WGS 84 ellipsoid (m)")
    ax.grid(alpha=0.3)


fig = plt.figure(figsize=(12, 8), layout="constrained")
grid = fig.add_gridspec(2, 2, width_ratios=[3.2, 1], height_ratios=[1.4, 1])
everything = np.ones(height.size, dtype=bool)

# Top: the whole box, focused on the surface (the signal photons' range, with a margin).
ax = fig.add_subplot(grid[0, 0])
plot_photons(ax, everything, markersize=0.8)
low, high = np.nanpercentile(signal_height, [0.5, 99.5])
margin = 0.15 * (high - low)
ax.set_ylim(low - margin, high + margin)
ax.set_xlim(distance_km[0], distance_km[-1])
ax.set_xlabel("Along-track distance from the northern edge of the box (km)")
middle = distance_km[-1] / 2
ax.axvspan(middle - 1, middle + 1, color=MEAN, alpha=0.2, label="Zoom below")
ax.set_title(
    f"ICESat-2 ATL03 v{version}, strong beam {BEAM}, Juneau Icefield, "
    f"{pd.Timestamp(box['time'].values[0]):%Y-%m-%d %H:%M} UTC"
)
legend = ax.legend(loc="lower left", markerscale=10, framealpha=0.9, fontsize=9)
for handle in legend.legend_handles:
    handle.set_alpha(1)

# Bottom: 2 km in the middle of the box, where single photons can be seen.
zoom_ax = fig.add_subplot(grid[1, 0])
in_zoom = np.abs(distance_km - middle) <= 1
plot_photons(zoom_ax, in_zoom, markersize=2)
zoom_signal = height[in_zoom & is_signal]
zoom_ax.set_xlim(middle - 1, middle + 1)
zoom_ax.set_ylim(zoom_signal.min() - 30, zoom_signal.max() + 30)
zoom_ax.set_xlabel("Along-track distance from the northern edge of the box (km)")
zoom_ax.set_title("Zoom: 2 km in the middle of the box", fontsize=10)

# Right: a map of the ground track.
inset = fig.add_subplot(grid[:, 1], projection=ccrs.NorthPolarStereo(central_longitude=-134))
inset.set_extent([-141, -127, 54.5, 61.5], crs=ccrs.PlateCarree())
inset.add_feature(cfeature.LAND.with_scale("110m"), facecolor="0.88")
inset.coastlines("110m", linewidth=0.6)
inset.plot(track_lon, track_lat, color=SIGNAL, linewidth=1.5, transform=ccrs.Geodetic(), label=BEAM)
inset.plot(
    [west, east, east, west, west],
    [south, south, north, north, south],
    color=MEAN,
    linewidth=1.5,
    transform=ccrs.PlateCarree(),
    label="Box",
)
gridlines = inset.gridlines(
    draw_labels=True,
    xlocs=range(-145, -120, 5),
    ylocs=range(53, 64, 2),
    linewidth=0.3,
    color="0.5",
    x_inline=False,
)
gridlines.top_labels = gridlines.right_labels = False
gridlines.xlabel_style = gridlines.ylabel_style = {"size": 8}
inset.legend(loc="lower left", fontsize=8)
inset.set_title("Ground track\n(North Polar Stereographic)", fontsize=10)

FIGURE.parent.mkdir(exist_ok=True)
fig.savefig(FIGURE, dpi=150, bbox_inches="tight")
plt.show()

# %% [markdown]
# The dark band is the ice surface, rising and falling by hundreds of metres across the icefield;
# the grey photons above and below it are background. The figure is saved as
# `figures/atl03_juneau_gt1l.png` next to this notebook.
#
# ## 6. How much was read, and how fast
#
# An HDF5 library does not read a file front to back. It first reads the file's **metadata**, the
# map of where every group, attribute and chunk lives, a few kilobytes at a time, then the
# compressed **chunks** of the arrays it needs. Locally each small read costs microseconds; on S3
# each request costs tens of milliseconds before the first byte arrives (30 to 60 ms inside
# `us-west-2`), and from outside AWS more. h5py sends one request, waits for it, then sends the
# next. So what matters is how many requests there are, how many of them wait for one another,
# and how many bytes they move.
#
# ### What the chunks of the box weigh
#
# h5py can list the chunks of a variable, with their place in the file and their size, without
# reading them (`Dataset.id.chunk_iter`). The function below adds up the chunks a read needs:


# %%
def chunk_bytes(dataset, rows=slice(None)):
    """Stored (compressed) bytes of the chunks of `dataset` that overlap `rows`."""
    start, stop, _ = rows.indices(dataset.shape[0])
    chunk_rows = dataset.chunks[0]
    sizes = []

    def add(chunk):
        first_row = chunk.chunk_offset[0]
        if first_row < stop and first_row + chunk_rows > start:
            sizes.append(chunk.size)

    dataset.id.chunk_iter(add)
    return sum(sizes), len(sizes)


with h5py.File(f_read, "r") as h5:
    heights = h5[f"{BEAM}/heights"]
    print(f"Photon variables are stored in chunks of {heights['h_ph'].chunks[0]:,} photons.")
    box_chunks = [chunk_bytes(heights[v], photons) for v in VARIABLES]
    beam_chunks = [chunk_bytes(heights[v]) for v in VARIABLES]
needed = sum(size for size, _ in box_chunks)
print(
    f"Photons in the box: {sum(n for _, n in box_chunks):,} chunks, {needed / 2**20:.1f} MiB"
    f" (the whole beam: {sum(size for size, _ in beam_chunks) / 2**20:.1f} MiB)"
)

# %% [markdown]
# Reading by segment kept the read to the photons of the box. In the practice granule the box is
# a large part of a short beam; in a real granule one strong beam holds tens of millions of
# photons in hundreds of megabytes of chunks, and the box is a small fraction of that.
#
# ### Fetching the chunks all at once
#
# h5py fetches what it needs one request after another. With the list of chunks in hand, three
# library calls do better: `fsspec.utils.merge_offset_ranges` merges neighbouring byte ranges
# into fewer requests (here of at most 1 MiB), the file system's `cat_ranges` sends them all at
# once (many in flight: the waits overlap), and `zlib` decompresses the chunks in threads (it
# releases Python's lock while it works). HDF5 compresses these chunks with its *deflate* filter,
# which is zlib; some files add the *shuffle* filter (byte 1 of every value, then byte 2 ...: it
# compresses better), undone after inflating. Each chunk then goes to its place in the output.
# This is the core of `helpers.read_atl03_beam` (`helpers.read_chunked`), for one variable:

# %% tags=["output-depends-on-region"]
import bisect
import zlib
from concurrent.futures import ThreadPoolExecutor

import fsspec

DEFLATE, SHUFFLE = h5py.h5z.FILTER_DEFLATE, h5py.h5z.FILTER_SHUFFLE


def read_rows(dataset, file_object, rows):
    """dataset[rows] of a 1-D variable stored in chunks with deflate (and maybe shuffle)."""
    start, stop, _ = rows.indices(dataset.shape[0])
    chunk_rows, dtype = dataset.chunks[0], dataset.dtype
    plist = dataset.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    assert DEFLATE in filters and set(filters) <= {DEFLATE, SHUFFLE}, filters

    # 0. the chunks that overlap the rows: (first row, byte offset, bytes stored)
    chunks = []

    def keep(chunk):
        first = chunk.chunk_offset[0]
        if first < stop and first + chunk_rows > start:
            chunks.append((first, chunk.byte_offset, chunk.size))

    dataset.id.chunk_iter(keep)

    # 1. neighbouring chunks merged into requests of at most 1 MiB
    path = file_object.path
    _, starts, ends = fsspec.utils.merge_offset_ranges(
        [path] * len(chunks),
        [offset for _, offset, _ in chunks],
        [offset + size for _, offset, size in chunks],
        max_block=2**20,
    )
    # 2. every request sent at once
    blobs = file_object.fs.cat_ranges([path] * len(starts), starts, ends)

    # 3. each chunk cut out of its request and inflated (in threads), unshuffled, put in place
    def decode(chunk):
        first, offset, size = chunk
        i = bisect.bisect_right(starts, offset) - 1  # the request that holds this chunk
        data = zlib.decompress(blobs[i][offset - starts[i] :][:size])
        if SHUFFLE in filters:
            data = np.frombuffer(data, np.uint8).reshape(dtype.itemsize, -1).T.tobytes()
        return first, np.frombuffer(data, dtype)

    out = np.empty(stop - start, dtype)
    with ThreadPoolExecutor() as pool:
        for first, values in pool.map(decode, chunks):
            lo, hi = max(first, start), min(first + chunk_rows, stop)
            out[lo - start : hi - start] = values[lo - first : hi - first]
    return out, len(chunks), len(starts)


with h5py.File(f_read, "r") as h5:
    start = time.perf_counter()
    h_ph, n_chunks, n_requests = read_rows(h5[f"{BEAM}/heights/h_ph"], f_read, photons)
    core_seconds = time.perf_counter() - start
print(f"h_ph of the box: {n_chunks} chunks in {n_requests} requests, {core_seconds:.2f} s")
print("Same values as read_atl03_beam:", np.array_equal(h_ph, ds["h_ph"].values))

# %% [markdown]
# `helpers.read_chunked` is the same technique, written for any chunked variable: two-dimensional
# ones like `signal_conf_ph`, missing chunks (the fill value), a checksum filter, many variables
# in one batch (`read_chunked_many`, what `read_atl03_beam` uses), at most 64 MiB of compressed
# bytes waiting to be inflated at a time, and anything else (another compression, a local path)
# left to h5py. It takes the datasets of an `h5py.File` and the file object h5py opened, from S3
# or over HTTPS alike. For h5py's walk through the metadata, `read_atl03_beam` opens a file
# object of its own on the same file, with 1 MiB blocks: through the 16 MiB blocks that
# `earthaccess.open` gives a large granule, the project's benchmark saw 784 MB move for 220 MB
# needed on the older layout of version 006. Step 4's read of six variables took:

# %%
print(f"read_atl03_beam: {read_seconds:.2f} s for {ds.sizes['photon']:,} photons")

# %% [markdown]
# ### The same read, one request at a time
#
# Through h5py alone, every read goes through the file object's own cache, one request at a
# time. `earthaccess.open` sets that cache up as fsspec's `background` block cache, with blocks
# of 4 to 16 MiB by file size. While h5py works on one block, the cache fetches the next one in
# the background, but only if no such fetch is still under way, so the count of requests below
# can differ by one or two from run to run:

# %% tags=["output-depends-on-region"]
f_slow = earthaccess.open([granule], show_progress=False)[0]
print(f"cache: {type(f_slow.cache).__name__}, blocks of {f_slow.blocksize / 2**20:.0f} MiB")
start = time.perf_counter()
with h5py.File(f_slow, "r") as h5:
    group = h5[f"{BEAM}/heights"]
    slow = {name: group[name][photons] for name in VARIABLES}
slow_seconds = time.perf_counter() - start
print("Same values:", all(np.array_equal(slow[name], ds[name].values) for name in VARIABLES))
print(
    f"h5py alone: {f_slow.cache.miss_count} requests of {f_slow.blocksize / 2**20:.0f} MiB, "
    f"{f_slow.cache.total_requested_bytes / 2**20:.1f} MiB fetched, {slow_seconds:.2f} s"
)
f_slow.close()

# %% [markdown]
# - **A block cache**: every read h5py makes is rounded out to whole blocks, and the blocks are
#   kept. HDF5's many small metadata reads, which jump back and forth through the file, then come
#   from memory, and a few large requests fetch the chunks. 8-16 MB is the request size AWS
#   recommends for S3, and the page size of NSIDC's cloud-optimized ATL03 (version 007). Without
#   a cache, every small read would be a request. s3fs's own default is a `readahead` cache with
#   50 MiB blocks: it keeps only the latest block, so each jump backwards fetches again.
# - The block cache still sends one request at a time, and fetches whole blocks around the chunks
#   it needs. The chunk reader fetches only the chunks, all at once: on a 1 GB granule with 30 ms
#   per request, the project's benchmark measures `read_atl03_beam` about 5 times faster than
#   h5py alone on this cloud-optimized layout (1.2 s against 5.8 s), and 33 times on the older
#   one of version 006 (3.6 s against 119 s; see [Performance](../book/performance.md)).
#
# Published benchmarks in `us-west-2` agree on the block cache: reading three variables of one
# beam of a 7 GB ATL03 granule took 2062 s through fsspec without a cache, and 114 s with an
# 8 MiB block cache on a cloud-optimized (paged) copy of the file; in icepyx, reading one ATL03
# group went from about 6 minutes to about 30 s with an 8 MiB block cache.
#
# ```{note}
# The timings in the sandbox say little about the cloud: its S3 server runs on this computer, with
# no network in between, so waiting for one request after another costs almost nothing here. In
# `us-west-2` expect tens of milliseconds per request and about 50 MB/s per connection; over HTTPS
# from outside AWS, more time per request and less bandwidth.
# ```
#
# ## 7. Outside `us-west-2`: the same granule over HTTPS
#
# Everything above works unchanged outside AWS `us-west-2`, on a laptop or a university server.
# There `helpers.login_status` reports that you are not in `us-west-2`, step 2 skips the S3 file
# system, and `earthaccess.open` opens the granule's **HTTPS** link instead of its S3 link, with
# your Earthdata Login token. The file object reads byte ranges over HTTPS with the same block
# cache, and the chunk reader fetches over HTTPS as it does from S3, so h5py, xarray and the plots
# are the same. Which route did this run take?

# %% tags=["output-depends-on-region"]
route = "S3 (direct access in us-west-2)" if status.in_region else "HTTPS (outside us-west-2)"
print(f"Read over {route}:")
print(f_read)

# %% [markdown]
# | | S3 (direct access) | HTTPS |
# | --- | --- | --- |
# | Works from | AWS `us-west-2` only | anywhere |
# | Credentials | temporary S3 keys, one hour | Earthdata Login token |
# | Speed | fast: same region as the data | slower: every request crosses the internet |
# | Egress cost | none | paid by NASA for every byte |
#
# HTTPS is fine for a few files like this one. For many granules, work in `us-west-2`.
#
# Close the file objects when you are done:

# %%
f.close()
f_read.close()

# %% [markdown]
# ## Summary
#
# - `earthaccess.search_datasets` gives the versions in the cloud, and `search_data` with
#   `granule_name` (wildcards allowed) or with time and place finds one granule.
# - Temporary S3 credentials (`earthaccess.get_s3_credentials`) last one hour and read NASA's
#   buckets only from AWS `us-west-2`; `earthaccess.get_s3_filesystem` wraps them in an s3fs file
#   system.
# - `earthaccess.open` gives a file object that h5py and xarray read like a local file, from S3
#   in `us-west-2` and over HTTPS elsewhere; nothing is downloaded.
# - ICESat-2 files are trees of groups: xarray opens one group at a time, h5py sees the whole tree.
# - `/orbit_info/sc_orient` tells the strong beams; `geolocation` segments tell which photons lie
#   in a region, so only those are read; `segment_dist_x` + `dist_ph_along` is the true
#   along-track distance.
# - Signal confidence separates the surface from background photons in plots and averages.
# - h5py lists a variable's chunks (`chunk_iter`); merging their byte ranges
#   (`merge_offset_ranges`), fetching them all at once (`cat_ranges`) and inflating them in
#   threads is much faster than h5py's one request at a time. `helpers.read_atl03_beam` reads
#   that way; through h5py alone, a block cache keeps the requests few, but one at a time.
#
# ## Exercise
#
# Each strong beam has a weak partner 90 m away. Read the photons of the **weak beam of the first
# pair** inside the same box, with the same signal-confidence grading. How many photons does it
# have, and what share of them is signal, compared with `gt1l`? Plot its signal photons and the
# rolling mean of `gt1l` together: do the two beams see the same surface?
#
# *Hint:* `beams` lists the beam types, and `photons_in_box` and `helpers.read_atl03_beam` work
# for any beam. Open a new file object with `earthaccess.open([granule])[0]`: the ones above are
# closed.
#
# ### Solution
#
# Click to reveal the solution below.

# %% mystnb={"image": {"alt": "Photon heights against along-track distance across the Juneau Icefield: the signal photons of the weak beam as small points, with the rolling mean of the strong beam gt1l as a line on top; both follow the same ice surface."}} tags=["hide-cell"]
weak = beams.index[(beams["atlas_beam_type"] == "weak") & beams.index.str.startswith("gt1")][0]

f_weak = earthaccess.open([granule], show_progress=False)[0]
with h5py.File(f_weak, "r") as h5:
    weak_photons = photons_in_box(h5, weak, JUNEAU_BBOX)
weak_ds = helpers.read_atl03_beam(f_weak, weak, VARIABLES, along_track=True, subset=weak_photons)
f_weak.close()
weak_in_box = (
    (weak_ds["lon_ph"] >= west)
    & (weak_ds["lon_ph"] <= east)
    & (weak_ds["lat_ph"] >= south)
    & (weak_ds["lat_ph"] <= north)
)
weak_box = weak_ds.isel(photon=np.flatnonzero(weak_in_box.values))
weak_confidence = weak_box["signal_conf_ph"].max(dim=weak_box["signal_conf_ph"].dims[1]).values
weak_signal = weak_confidence >= 3

print(f"{'beam':<6}{'photons':>10}{'signal':>10}{'signal share':>14}")
for name, n, n_signal in [
    (BEAM, box.sizes["photon"], int(is_signal.sum())),
    (weak, weak_box.sizes["photon"], int(weak_signal.sum())),
]:
    print(f"{name:<6}{n:>10,}{n_signal:>10,}{n_signal / n:>14.0%}")

weak_km = (weak_box["along_track_distance"].values - box["along_track_distance"].values[0]) / 1000
fig, ax = plt.subplots(figsize=(11, 5))
ax.plot(
    weak_km[weak_signal],
    weak_box["h_ph"].values[weak_signal],
    ".",
    markersize=1.5,
    color="#6a51a3",
    rasterized=True,
    label=f"{weak} (weak) signal photons",
)
ax.plot(
    distance_km[is_signal],
    rolling_mean,
    color=MEAN,
    linewidth=1.2,
    label=f"{BEAM} rolling mean",
)
ax.set_ylim(low - margin, high + margin)
ax.set_xlabel("Along-track distance from the northern edge of the box (km)")
ax.set_ylabel("Photon height above the WGS 84 ellipsoid (m)")
ax.set_title(f"Weak beam {weak} and strong beam {BEAM}, Juneau Icefield")
ax.grid(alpha=0.3)
ax.legend(loc="upper right", markerscale=8)
plt.show()

# %% [markdown]
# The weak beam returns about a quarter as many photons, but its signal photons follow the same
# surface, 90 m to the side. Weak beams still count: with the strong beam of the same pair they
# give the slope of the surface across the track.
#
# ## What's next
#
# In notebook 03 you pair ICESat-2 with another sensor: ATL07 sea-ice heights read over HTTPS and
# MODIS sea surface temperature read from S3, resampled onto the ICESat-2 track.
#
# ## Resources and references
#
# - [NASA Earthdata Cloud Cookbook](https://nasa-openscapes.github.io/earthdata-cloud-cookbook/),
#   whose tutorial "ICESat2-CMR-AWS-S3" this notebook follows
# - [earthaccess documentation](https://earthaccess.readthedocs.io)
# - [ATL03 at NSIDC](https://nsidc.org/data/atl03): user guide and data dictionary
# - [s3fs](https://s3fs.readthedocs.io) and
#   [fsspec's caches](https://filesystem-spec.readthedocs.io/en/latest/api.html#read-buffering)
# - [h5py](https://docs.h5py.org) and [xarray](https://docs.xarray.dev)
# - [Cartopy](https://scitools.org.uk/cartopy/docs/latest/)
