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
# # Check your setup
#
# ## Overview
#
# Run this notebook **first**, in the environment and on the computer that you will use for the
# tutorials. One function, `helpers.check_setup()`, looks at everything the tutorials need and
# reports, line by line, what works and what to fix:
#
# 1. Python and the key packages, and their versions
# 2. Your Earthdata Login
# 3. Where this computer runs: in AWS `us-west-2` or elsewhere
# 4. Temporary S3 credentials from the two data centres of the tutorials, NSIDC and PO.DAAC
# 5. The offline map layer of the tutorials' maps
# 6. Which services answer: NASA's, or the offline practice sandbox
#
# ## Prerequisites
#
# | Concepts | Importance | Notes |
# | --- | --- | --- |
# | [Set up](../book/setup.md) | Necessary | An environment with the tutorial packages, and an [Earthdata Login account](https://urs.earthdata.nasa.gov/users/new) (free) with your credentials given in one of three ways (see [Set up](../book/setup.md)) |
#
# - **Time to learn**: 5 minutes
# - **System requirements**: any computer with the tutorial environment.
#
# ```{note}
# The outputs shown in the book come from the project's **Earthdata sandbox**, an offline stand-in
# for NASA's services. On your computer or hub you will see your own user name, versions and
# region, and perhaps a warning or a failure with what to do about it.
# ```

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import warnings

# earthaccess draws progress bars with ipywidgets where installed, and plain text bars (after a
# warning) elsewhere; the text bars are fine, so the warning is hidden.
warnings.filterwarnings("ignore", message="IProgress not found")

import cartopy.crs as ccrs
import cartopy.feature as cfeature
import matplotlib.pyplot as plt

import helpers

# %% [markdown]
# ## Run the check
#
# `check_setup` logs in to Earthdata Login the same way the tutorials do, with
# `earthaccess.login()`: from the environment, then `~/.netrc`, then a prompt. It never shows a
# password, a token or a key: only your user name, where the credentials came from, and how long
# the S3 credentials last.

# %% tags=["output-depends-on-region"]
report = helpers.check_setup()

# %% [markdown]
# ## What each line means
#
# - **Python**, **earthaccess**, **xarray**, **h5py**, **s3fs**, **cartopy**, **pyresample**: the
#   installed versions, against the oldest ones the tutorials work with. A package that is
#   missing or too old fails: install the tutorial environment again
#   ([Set up](../book/setup.md), "On your own computer") and restart the kernel.
# - **Earthdata Login**: who you are logged in as, and which of the three ways gave the
#   credentials. A failure lists the three ways to give them
#   ([Set up](../book/setup.md), "Giving your Earthdata Login credentials") and says where to test
#   your user name and password (<https://urs.earthdata.nasa.gov>); a rejected password is
#   explained in [Troubleshooting](../book/troubleshooting.md), "401". A warning about `~/.netrc`
#   means that others can read your password: run `chmod 600 ~/.netrc`.
# - **AWS region**: whether this computer runs in AWS `us-west-2`, next to the data. Outside it,
#   the tutorials still work: they read the same files over HTTPS, more slowly
#   ([why](../book/concepts.md)). This is a warning, never a failure.
# - **S3 credentials (NSIDC)** and **(PO.DAAC)**: each data centre handed you
#   [temporary S3 credentials](../book/concepts.md), which last about an
#   hour. If one refuses, accept its licence (EULA) or authorise its application in your Earthdata
#   Login profile ([Troubleshooting](../book/troubleshooting.md), "EULA"). Outside `us-west-2` they are still
#   issued, but open the buckets only from inside the region.
# - **Offline map layer**: the coastlines and land that the tutorials' maps draw, shipped with
#   `helpers` so that no map needs a download.
# - **Services**: whether NASA's services answered, or the offline
#   [Earthdata sandbox](../book/sandbox.md) with its synthetic practice data.
#
# The result is also a Python object, a `helpers.SetupReport`: `report.ok` is `True` when no check
# failed, `report.failures` lists the checks that failed, and each check has a `status` (`"ok"`,
# `"warn"` or `"fail"`), a `message` and a `fix`.

# %%
if report.ok:
    print("Ready for the tutorials: open 01-cloud-collection-search.")
else:
    for check in report.failures:
        print(f"Fix first: {check.name}: {check.fix}")

# %% [markdown]
# ## Where the data live
#
# The map below uses the offline map layer that the check has just read. NSIDC (in Boulder,
# Colorado) and PO.DAAC (at JPL in Pasadena, California) distribute the data of the tutorials,
# but their cloud copies are stored in Amazon's `us-west-2` region, in Oregon: that is where a
# computer reads them fastest, and the only place where direct S3 reads are allowed.

# %% mystnb={"image": {"alt": "Map of the western United States with coastlines and land: a filled circle marks the AWS us-west-2 region in Oregon, where the cloud data are stored, and two open circles mark the data centres NSIDC in Boulder, Colorado, and PO.DAAC in Pasadena, California, with arrows from each data centre to us-west-2."}}
places = {
    "AWS us-west-2\n(the data)": (-119.7, 45.8),
    "NSIDC": (-105.27, 40.01),
    "PO.DAAC": (-118.17, 34.2),
}
projection = ccrs.LambertConformal(central_longitude=-112)
# Positions in the map's own coordinates, so that markers, labels and arrows share them.
xy = {
    name: projection.transform_point(lon, lat, ccrs.PlateCarree())
    for name, (lon, lat) in places.items()
}
region = "AWS us-west-2\n(the data)"

fig = plt.figure(figsize=(7, 5))
ax = fig.add_subplot(projection=projection)
ax.set_extent([-126, -100, 30, 50], crs=ccrs.PlateCarree())
ax.add_feature(cfeature.LAND.with_scale("110m"), facecolor="0.92")
ax.coastlines("110m", linewidth=0.8)
for name, point in xy.items():
    in_region = name == region
    colour = "tab:orange" if in_region else "tab:blue"
    ax.plot(
        *point,
        "o",
        markersize=12 if in_region else 9,
        markerfacecolor=colour if in_region else "white",
        markeredgecolor=colour,
        markeredgewidth=2,
    )
    ax.annotate(
        name, point, xytext=(10, -4 if in_region else 6), textcoords="offset points", fontsize=10
    )
    if not in_region:
        ax.annotate(
            "",
            xy=xy[region],
            xytext=point,
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": 1.2,
                "shrinkA": 6,
                "shrinkB": 9,
            },
        )
ax.set_title("The data centres, and the AWS region that stores their cloud data")
plt.show()

# %% [markdown]
# ## Next steps
#
# - Every line passed (warnings are fine)? Open the first tutorial,
#   [Finding ICESat-2 data in the cloud](01-cloud-collection-search.ipynb).
# - A line failed? Do what its message says, restart the kernel, and run this notebook again.
#   The [troubleshooting](../book/troubleshooting.md) page explains the common problems in
#   more detail.
