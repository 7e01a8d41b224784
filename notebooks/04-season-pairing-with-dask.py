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
# # Scaling the pairing from one granule to a season with Dask
#
# ## Overview
#
# In [tutorial 3](03-atl07-modis-pairing.ipynb) you paired **one** ICESat-2 ATL07 granule with
# **one** MODIS-Aqua sea surface temperature (SST) swath, cell by cell. That teaches the method;
# science needs the same pairing for every pass of a season, thousands of granules. Here you run
# it for several days of passes over Fram Strait, between Greenland and Svalbard, where the sea
# ice meets the warmer Atlantic water, with [Dask](https://docs.dask.org): each pair becomes a
# task that a *worker* process runs on its own, first on this machine, then, when one machine is
# not enough, on a cluster.
#
# 1. The season: Fram Strait, 23 to 26 June 2019
# 2. Search both collections for the whole season
# 3. Start a Dask cluster
# 4. Credentials on the workers
# 5. Round 1: a MODIS swath for every ICESat-2 pass, as tasks
# 6. Round 2: pair every pair
# 7. One table for the season
# 8. SST against sea-ice height
# 9. A map of the season
# 10. From this machine to a cluster
# 11. Close the cluster
#
# ## Prerequisites
#
# | Concepts | Importance | Notes |
# | --- | --- | --- |
# | [Tutorial 3: pairing ATL07 with MODIS](03-atl07-modis-pairing.ipynb) | Necessary | The rule that chooses a swath, quality flags, nearest-pixel pairing |
# | [Tutorial 1: cloud collection search](01-cloud-collection-search.ipynb) | Necessary | Earthdata Login, `earthaccess.search_data` |
# | [Cloud access concepts](../book/concepts.md) | Helpful | S3 or HTTPS, regions, temporary credentials |
# | [Dask distributed, futures](https://docs.dask.org/en/stable/futures.html) | Helpful | `Client`, `submit`, `map`, `as_completed` |
# | [pandas basics](https://foundations.projectpythia.org/core/pandas/pandas.html) | Necessary | `DataFrame`, `merge`, `groupby` |
# | [Cartopy basics](https://foundations.projectpythia.org/core/cartopy/cartopy.html) | Helpful | Map projections and `transform` |
#
# - **Time to learn**: 45 minutes
# - **System requirements**: the tutorial environment (Python 3.12 or newer, `earthaccess` 0.18 or newer,
#   `dask.distributed`, `pyresample`, `cartopy`). Two CPU cores are enough here. On a JupyterHub
#   in AWS `us-west-2` the workers read MODIS from S3; anywhere else the same code reads it over
#   HTTPS.
#
# ## Learning objectives
#
# By the end of this notebook you can:
#
# - turn a step-by-step analysis into *task functions* that a worker can run with nothing but a
#   granule record in hand, in a file of your own that `client.upload_file` sends to the workers;
# - start a small Dask `LocalCluster`, send tasks with `client.map`, and collect results as they
#   finish with `as_completed`;
# - let workers log in to Earthdata from their own environment, so that no password, token or
#   key is ever part of a task, and keep S3 credentials fresh past their one hour;
# - let one broken granule fail on its own, reported in the results, while the rest of the
#   season completes;
# - reduce the results of many tasks to one pandas table, a plot and a map;
# - move the same code to a cluster, such as a hub's Dask Gateway.
#
# ```{note}
# The outputs shown in the book come from the project's **Earthdata sandbox**, an offline
# stand-in for NASA's services that serves *synthetic* granules: a handful of ATL07 passes with
# fewer segments than real ones, and only a few of the MODIS swaths over the box. It also
# **plants one broken ATL07 file on purpose**, to show what a batch job does when a granule
# cannot be read. Run live, the same code finds more granules (dozens of MODIS swaths a day over
# the box), takes longer, chooses other swaths, gets other numbers, and will usually have no
# broken file at all.
# ```

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import warnings

# earthaccess draws progress bars with tqdm, which warns when the notebook widgets (ipywidgets)
# are not installed. Nothing here depends on them: hide the warning.
warnings.filterwarnings("ignore", message="IProgress not found")

import logging
import time
from pathlib import Path

import cartopy.crs as ccrs
import cartopy.feature as cfeature
import earthaccess
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import season_tasks  # the task functions of this tutorial: season_tasks.py, next to it
from dask.distributed import Client, LocalCluster, as_completed
from IPython.display import display
from matplotlib.lines import Line2D

import helpers

# Cartopy reads its coastlines and land from a copy shipped with the tutorials (no download).
helpers.use_offline_natural_earth()

FIGURES = Path("figures")  # saved figures (relative to this notebook)
OUTPUTS = Path("outputs")  # the season's table
for folder in (FIGURES, OUTPUTS):
    folder.mkdir(exist_ok=True)

# %% [markdown]
# ## 1. The season: Fram Strait, 23 to 26 June 2019
#
# Fram Strait is the main gate between the Arctic Ocean and the North Atlantic. Sea ice drifts
# out of the Arctic through it, and warm Atlantic water flows in along Svalbard: the edge of the
# sea ice runs across it. ICESat-2 tracks that cross the strait see floes, leads and open water;
# MODIS sees, between the clouds, the temperature of the open water next to the ice. That is a
# good place to ask, pass after pass: *where MODIS gives a trustworthy sea surface temperature,
# what does ICESat-2 see?*
#
# The box (west, south, east, north) and the days:

# %%
BBOX = (-15.0, 76.0, 15.0, 81.0)  # west, south, east, north: Fram Strait
TEMPORAL = ("2019-06-23T00:00:00Z", "2019-06-26T23:59:59Z")

# %% [markdown]
# We keep tutorial 3's rule, `helpers.PAIRING_RULE`, the very same object: the pixel must be
# within 1 km of the segment (`radius_m`), a swath must see at least a quarter of the segments in
# the box (`min_seen`), a trustworthy SST has `quality_level` 4 or 5 and is neither land nor ice.
# Its time window matters more here: a season has swaths on every day, so a swath is a
# *candidate* for a pass only if it is within two hours of it (`max_offset`); farther away, ice
# drift and clouds make the pair useless.

# %%
rule = helpers.PAIRING_RULE
print(f"Radius {rule.radius_m:.0f} m, at least {rule.min_seen:.0%} seen,")
print(f"quality_level >= {rule.min_quality}, candidates within {rule.max_offset}")

# %% [markdown]
# ## 2. Search both collections for the whole season
#
# Log in as in tutorial 3, then search once for the whole season, with four days instead of
# one. The searches are cheap: they return records, not data.

# %% tags=["output-depends-on-region"]
helpers.retry_transient_errors()
auth = earthaccess.login()
status = helpers.login_status(auth)
print(status)

ATL07_PROVIDER = "NSIDC_CPRD"
atl07_versions = sorted(
    c.version for c in earthaccess.search_datasets(short_name="ATL07", provider=ATL07_PROVIDER)
)
atl07_version = atl07_versions[-1]
atl07_results = earthaccess.search_data(
    short_name="ATL07",
    version=atl07_version,
    provider=ATL07_PROVIDER,
    bounding_box=BBOX,
    temporal=TEMPORAL,
)
modis_results = earthaccess.search_data(
    short_name="MODIS_A-JPL-L2P-v2019.0",
    provider="POCLOUD",
    bounding_box=BBOX,
    temporal=TEMPORAL,
)


def start_of(granule):
    """The start of a granule's data, from its CMR record (UTC)."""
    return pd.Timestamp(granule["umm"]["TemporalExtent"]["RangeDateTime"]["BeginningDateTime"])


# sorted by start time (then name): the same order on every run
atl07_results.sort(key=lambda g: (start_of(g), helpers.granule_name(g)))
modis_results.sort(key=lambda g: (start_of(g), helpers.granule_name(g)))
print(f"ATL07 version {atl07_version}: {len(atl07_results)} granules")
print(f"MODIS-Aqua L2P: {len(modis_results)} granules")
atl07_table = helpers.granule_table(atl07_results)
display(atl07_table[["granule", "start_time", "size_mb"]])

# %% [markdown]
# Every ATL07 granule is one ICESat-2 pass over the Arctic; passes cross the box two or three
# times a day, in the early morning and in the late afternoon (UTC).
#
# Before sending work anywhere, narrow the MODIS list for each pass with the CMR times alone:
# `helpers.candidates_for` keeps the **Day** swaths within two hours of the pass, closest first.
# This runs here, in the notebook, in a few milliseconds; each task then gets its own short list
# instead of the whole season's.

# %%
atl07_by_name = {helpers.granule_name(g): g for g in atl07_results}
modis_by_name = {helpers.granule_name(g): g for g in modis_results}
candidates = {name: helpers.candidates_for(g, modis_results) for name, g in atl07_by_name.items()}
for name, found in candidates.items():
    starts = ", ".join(f"{start_of(m):%H:%M}" for m in found) or "none"
    print(f"{name}: {len(found)} candidate(s) starting {starts}")

# %% [markdown]
# The evening passes have no candidate: MODIS-Aqua flies over Fram Strait in the early morning
# and in the early afternoon (UTC), so no swath is within two hours of them. They will be
# reported as such, not silently dropped.
#
# ## 3. Start a Dask cluster
#
# A Dask **cluster** is a *scheduler*, which hands out tasks, and *workers*, which run them. On
# one machine, `LocalCluster` starts the workers as separate processes. We start a small one: two
# workers with one thread each. Reading HDF5 holds Python's global interpreter lock much of the
# time, so processes, not threads, run the pairs side by side; and with more workers than CPU
# cores they would only wait for each other.
#
# - `processes=True`: each worker is its own Python process, with its own memory and its own
#   earthaccess session (as on a real cluster, where workers are other machines);
# - `dashboard_address="127.0.0.1:0"`: the scheduler's web server on this computer only, on any
#   free port (the default, port 8787, may be taken by another cluster). On a hub with `bokeh`
#   and `jupyter-server-proxy` installed, open `client.dashboard_link` to watch the tasks run;
# - `silence_logs=logging.ERROR`: workers print only errors, so that routine messages do not mix
#   with the outputs of the cells.

# %%
cluster = LocalCluster(
    n_workers=2,
    threads_per_worker=1,
    processes=True,
    dashboard_address="127.0.0.1:0",
    silence_logs=logging.ERROR,
)
client = Client(cluster)
client.wait_for_workers(2, timeout=120)  # on a busy machine a worker can take a while to start
workers = client.scheduler_info()["workers"]
print(f"{len(workers)} workers, {sum(w['nthreads'] for w in workers.values())} threads in all")

# %% [markdown]
# We do not print `client` or `cluster` themselves: their summary shows addresses and ports that
# change from run to run.
#
# ### The task functions, on every worker
#
# The functions the workers run are in **`season_tasks.py`**, a file next to this notebook: open
# it and read it beside this page. It is tutorial 3's steps as functions (log in, open a granule,
# read the track and the swath, choose a swath, pair), and it takes the rule from
# `helpers.PAIRING_RULE`, like tutorial 3. We imported it in the setup cell; the workers need it
# too. `client.upload_file` sends a file of your own to every worker, now and to any worker that
# joins later, and imports it there (on a cluster in another container, the file would otherwise
# not be there at all):

# %%
client.upload_file("season_tasks.py")
print("season_tasks.py is on every worker")

# %% [markdown]
# ## 4. Credentials on the workers
#
# Each worker is a new Python process: the `earthaccess.login()` of this notebook does not reach
# it. Three ways to get credentials to workers, from worst to best:
#
# - **In the tasks' arguments** (a password, a token, S3 keys): never. Task arguments are stored
#   by the scheduler, shown in the dashboard, written to logs when a task fails, and kept when
#   you save a task graph.
# - **S3 keys fetched here and sent to the workers**: they expire after one hour (earthaccess
#   [issue #765](https://github.com/nsidc/earthaccess/issues/765)), and a season takes longer.
# - **Each worker logs in itself**, from *its own* environment: `season_tasks.login_worker` calls
#   `earthaccess.login` with the worker's environment variables (`EARTHDATA_USERNAME` and
#   `EARTHDATA_PASSWORD`, or `EARTHDATA_TOKEN`) or its `~/.netrc`. A `LocalCluster`'s workers
#   inherit this notebook's environment and home folder; on a cluster the hub provides them (step
#   10). Nothing secret is sent.
#
# `client.run` runs a function once on every worker, now; the task functions of step 5 also call
# `login_worker` themselves, so a worker that starts later, or is restarted after a
# crash, logs in on its first task. Each worker also does earthaccess's region check, so it
# decides by itself between S3 (in `us-west-2`) and HTTPS.

# %% tags=["output-depends-on-region"]
logins = client.run(season_tasks.login_worker)  # {worker address: LoginStatus}
for line, count in pd.Series([str(s) for s in logins.values()]).value_counts().items():
    print(f"{count} worker(s): {line}")

# %% [markdown]
# **S3 credentials last one hour.** A worker reads many granules, for hours if the season is
# long. Two rules keep it working:
#
# 1. **Open files in the task that reads them, and close them there.** A file object keeps the
#    credentials it was opened with; one opened in the notebook and sent to a worker stops
#    working when those expire.
# 2. **Check the credentials before each open.** `season_tasks.open_fresh`, which the task
#    functions use, opens a granule from S3 with credentials that have at least ten minutes left
#    (`fresh_s3_credentials` gets them with `earthaccess.get_s3_credentials`, reads the
#    `expiration` that the DAAC gives and fetches new ones when needed, once per worker and DAAC,
#    not for every file). earthaccess itself keeps credentials for 55 minutes whatever their
#    `expiration` says. Outside `us-west-2`, `open_fresh` is `earthaccess.open`, over HTTPS with
#    the Earthdata Login token, which lasts weeks.
#
# One more precaution in `season_tasks.py`: while h5py reads a file from the network, Python's
# automatic garbage collection is switched off in that worker (`without_cyclic_gc`), because a
# collection at the wrong moment can freeze a worker for good (h5py
# [issue #2019](https://github.com/h5py/h5py/issues/2019)); it runs once the reads are done.
#
# ## 5. Round 1: a MODIS swath for every ICESat-2 pass, as tasks
#
# Tutorial 3 chose the swath by a rule: among the Day swaths that see at least a quarter of the
# segments in the box (any value within 1 km), the one closest in time to the ICESat-2 overpass.
# `season_tasks.choose_swath` applies it, with `helpers.choose_modis` as in tutorial 3: it reads the
# track of the first strong beam, finds the overpass over the box, then reads only `lat`, `lon`
# and `quality_level` of the candidates, closest first, and stops at the first that passes.
#
# A task that raises an exception stops nothing else in Dask, but its exception only shows up
# when you ask for the result, and a `gather` of all results raises the first one it meets and
# loses the rest. So the task function catches the error and **returns** it as a row: a corrupt
# or missing granule becomes one line of the table, and the season completes.


# %%
def choose_or_report(atl07_granule, modis_candidates):
    """Tutorial 3's rule for one ATL07 granule; any error becomes a row of the results."""
    try:
        return season_tasks.choose_swath(atl07_granule, modis_candidates, BBOX)
    except Exception as err:  # a corrupt or missing file must not stop the season
        return {
            "atl07": helpers.granule_name(atl07_granule),
            "status": f"failed: {type(err).__name__}",
            "error": f"{type(err).__name__}: {err}",
        }


# %% [markdown]
# `client.map` sends one task per ATL07 granule. Its arguments are the granule *records* (small
# dictionaries from CMR), never open files; `pure=False` tells Dask to run every task even if two
# looked alike. `as_completed` hands back each future as soon as its task finishes, in whatever
# order; a `try` around `result()` also catches what the task itself cannot, such as a worker
# that died.

# %%
start = time.perf_counter()
names = list(atl07_by_name)
futures = client.map(
    choose_or_report,
    [atl07_by_name[n] for n in names],
    [candidates[n] for n in names],
    pure=False,
)
name_of = {future.key: name for future, name in zip(futures, names, strict=True)}
rows = []
for future in as_completed(futures):
    try:
        rows.append(future.result())
    except Exception as err:  # the worker itself failed (killed, out of memory, ...)
        failure = f"failed: {type(err).__name__}"
        rows.append({"atl07": name_of[future.key], "status": failure, "error": str(err)})
choices = pd.DataFrame(rows).sort_values("atl07", ignore_index=True)
print(f"{len(futures)} tasks on {len(workers)} workers in {time.perf_counter() - start:.1f} s")
print(choices["status"].value_counts().to_string())

# %% [markdown]
# The choice for every pass, with what each screened candidate showed (the `screened` column):

# %%
view = choices.assign(
    overpass=pd.to_datetime(choices["overpass"]).dt.strftime("%Y-%m-%d %H:%M"),
    modis=choices["modis"].str[:14],  # the start time in the name: yyyymmddhhmmss
    offset_min=choices["offset_min"].astype("Int64"),
)
with pd.option_context("display.max_colwidth", 60):
    display(view[["atl07", "overpass", "modis", "offset_min", "seen_pct", "status", "screened"]])

# %% [markdown]
# One granule **failed**. What went wrong, and what does its CMR record say about it?

# %%
for _, row in choices[choices["status"].str.startswith("failed")].iterrows():
    print(f"{row['atl07']}\n  {row['error']}")
    for attribute in atl07_by_name[row["atl07"]]["umm"].get("AdditionalAttributes", []):
        print(f"  CMR AdditionalAttribute {attribute['Name']}: {attribute['Values'][0]}")

# %% [markdown]
# The file is cut short: HDF5 records the size the file should have (`stored_eof`), and only the
# first megabyte is there. **The sandbox planted this fault on purpose**, and its CMR record says
# so. Live, such a failure is rare but real: an interrupted transfer, a file replaced while you
# read it, a granule removed from the archive (a `404` over HTTPS, `FileNotFoundError` from S3).
# What matters is that the other passes went on, and that the table says which one failed and
# why, so you can retry it later (Dask can retry for you: `client.map(..., retries=2)`, useful
# for network hiccups, useless for a broken file) or report it to the data centre.
#
# ## 6. Round 2: pair every pair
#
# Now the pairs that have a swath. `season_tasks.pair_granules` is tutorial 3's step 8 as a
# function:
# it opens both granules, reads the beam and the swath, pairs every segment with the nearest
# trustworthy SST pixel, and also with the nearest pixel that has any value (over ice, that is the
# ice surface temperature, not an SST). It returns a summary of the segments in the box and the
# table of all the segments of the beam. Failures are reported as in round 1.


# %%
def pair_or_report(atl07_granule, modis_granule):
    """Tutorial 3's pairing for one pair: (summary, segments); an error becomes the summary."""
    try:
        return season_tasks.pair_granules(atl07_granule, modis_granule, BBOX)
    except Exception as err:  # a corrupt or missing file must not stop the season
        summary = {
            "atl07": helpers.granule_name(atl07_granule),
            "status": f"failed: {type(err).__name__}",
            "error": f"{type(err).__name__}: {err}",
        }
        return summary, None


chosen = choices[choices["status"] == "chosen"]
start = time.perf_counter()
futures = client.map(
    pair_or_report,
    [atl07_by_name[n] for n in chosen["atl07"]],
    [modis_by_name[m] for m in chosen["modis"]],
    pure=False,
)
summaries, tracks = [], []
for future in as_completed(futures):
    summary, segments = future.result()
    summaries.append(summary)
    if segments is not None:
        tracks.append(segments)
print(f"{len(futures)} pairs on {len(workers)} workers in {time.perf_counter() - start:.1f} s")
pairs = pd.DataFrame(summaries).sort_values("atl07", ignore_index=True)
segments = pd.concat(tracks).sort_values(["atl07", "time"], ignore_index=True)
print(f"{len(segments):,} segments from {segments['atl07'].nunique()} passes")

# %% [markdown]
# ## 7. One table for the season
#
# The two rounds give one row per ATL07 granule: its choice (round 1) and, when there was a
# pair, its pairing (round 2). A merge on the granule name makes the season's table. The
# `status` column says what happened to every pass: paired, no swath, or failed.

# %%
season = choices[["atl07", "overpass", "modis", "offset_min", "seen_pct", "status"]].merge(
    pairs.drop(columns=["modis"]).rename(columns={"status": "pair_status"}),
    on="atl07",
    how="left",
)
season["status"] = season["pair_status"].fillna(season["status"])
begins = season["atl07"].map(lambda n: start_of(atl07_by_name[n]))
season = season.drop(
    columns=["pair_status"]
).assign(
    day=begins.dt.strftime("%m-%d"),  # from CMR: known even for a granule that failed
    overpass=pd.to_datetime(season["overpass"]).dt.strftime("%H:%M"),
    modis=season["modis"].str[8:12].str.replace(r"(\d\d)(\d\d)", r"\1:\2", regex=True),
)
counts = ["offset_min", "box_segments", "sst_segments"]
season[counts] = season[counts].astype("Int64")  # whole numbers, with gaps
season.to_csv(OUTPUTS / "04-season-pairs.csv", index=False)
columns = {
    "day": "day",
    "overpass": "ICESat-2 (UTC)",
    "modis": "MODIS (UTC)",
    "offset_min": "offset (min)",
    "box_segments": "segments in box",
    "sst_segments": "with SST",
    "sst_median": "SST median (K)",
    "height_median_sst": "height with SST (m)",
    "height_median_ice": "height without SST (m)",
    "status": "status",
}
display(season[list(columns)].rename(columns=columns).round(2))

# %% [markdown]
# How to read it:
#
# - **with SST**: segments in the box that have a trustworthy SST pixel within 1 km. Some passes
#   have none: MODIS saw only ice (or clouds) along their stretch of the box.
# - **height with SST** (the median height of those segments) is within a few decimetres of 0 m,
#   the mean sea surface: where MODIS sees open water, ICESat-2 sees the sea surface too.
#   **height without SST**, mostly on the ice, is higher on the same pass: the freeboard of the
#   floes. The sea surface itself lies up to some decimetres above or below its mean (tides,
#   currents, air pressure), so compare heights within one pass, not across passes.
# - The failed pass and the passes without a swath stay in the table with their reason: a season
#   table that silently loses rows overstates what was observed.
#
# ## 8. SST against sea-ice height
#
# Every segment in the box with a paired temperature, for the whole season: in colour where the
# pixel is a trustworthy SST (open water), in grey where it is flagged as sea ice (the ice
# surface temperature, from the nearest pixel with any value).

# %%
box = segments[segments["in_box"] & segments["height"].notna()]
with_sst = box[box["sst"].notna()]
ice_pixels = box[box["sst"].isna() & (box["l2p_flags"].fillna(0).astype(int) & rule.l2p_ice > 0)]
days = sorted(pd.to_datetime(with_sst["time"]).dt.strftime("%m-%d").unique())
print(f"{len(box):,} segments in the box with a height")
print(f"{len(with_sst):,} with a trustworthy SST, {len(ice_pixels):,} next to an ice pixel")

# %% mystnb={"image": {"alt": "Scatter plot of MODIS-Aqua temperature in kelvin, from about 259 to 273, against ICESat-2 ATL07 height above the mean sea surface in metres, from -0.6 to 1.2, for the segments in the Fram Strait box, 23 to 26 June 2019. Grey points, the ice surface temperature next to segments over sea ice, spread over heights of about -0.2 to 0.8 metres and temperatures of about 259 to 272 kelvin, most of them between 268 and 271.5 kelvin. Coloured points, the trustworthy sea surface temperatures of 23 June in dark purple and of 24 June in light green, cluster at heights of about -0.35 to 0.1 metres and temperatures of about 271.2 to 272.7 kelvin, just above a dashed line at 271.35 kelvin, the freezing point of sea water."}}
fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
ax.scatter(ice_pixels["height"], ice_pixels["temperature"], s=2, color="0.7", rasterized=True)
colors = dict(zip(days, plt.get_cmap("viridis")(np.linspace(0, 0.85, len(days))), strict=True))
for day, group in with_sst.groupby(pd.to_datetime(with_sst["time"]).dt.strftime("%m-%d")):
    ax.scatter(group["height"], group["sst"], s=6, color=colors[day], rasterized=True)
ax.axhline(271.35, color="k", linestyle="--", linewidth=0.8)
ax.set(
    xlabel="ICESat-2 ATL07 height above the mean sea surface (m)",
    ylabel="MODIS-Aqua temperature (K)",
    title="Fram Strait, 23-26 June 2019: every paired segment in the box",
    xlim=(-0.6, 1.2),
)
handles = [
    Line2D([], [], ls="", marker="o", color="0.7", label="ice surface (pixel flagged as ice)")
]
handles += [
    Line2D([], [], ls="", marker="o", color=colors[d], label=f"SST, quality 4-5, 2019-{d}")
    for d in days
]
handles.append(Line2D([], [], color="k", ls="--", lw=0.8, label="sea water freezes (271.35 K)"))
ax.legend(handles=handles, loc="lower right", fontsize="small")
fig.savefig(FIGURES / "04-sst-height.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# Two groups, as the table suggested: trustworthy SST only where ICESat-2 sees the sea surface
# (leads and the open water beyond the ice edge), just above freezing; over the floes no SST,
# only the colder ice surface. Only 23 and 24 June have coloured points: on 25 and 26 June MODIS
# saw only ice along the paired stretches of track. A season of pairs turns one anecdote (tutorial 3: "no trustworthy
# SST along this track") into a pattern you can count. With real data, expect more scatter: a
# 1 km pixel may mix water and ice, clouds leak through the masks, and the two satellites pass up
# to two hours apart while the ice drifts.
#
# ## 9. A map of the season
#
# All the paired passes on one map, with the box: heights along the tracks (every 10th segment),
# and in red the segments that have a trustworthy SST.

# %% mystnb={"image": {"alt": "Map of the Arctic Ocean in a north polar stereographic projection with the Greenwich meridian pointing down: Greenland at the lower left, Svalbard at the lower right next to the study box, the Canadian islands on the left and Siberia on the right. Five ICESat-2 tracks, coloured by sea-ice height from about -0.3 to 0.8 metres, start in Fram Strait between Greenland and Svalbard, cross the study box outlined in black, pass close to the North Pole and run on towards the seas north of eastern Siberia at the top. Inside the box, near the southern ends of the tracks, short red stretches mark the segments paired with a trustworthy MODIS sea surface temperature, at the edge of the sea ice."}}
projection = ccrs.NorthPolarStereo(central_longitude=0)
every = segments.iloc[::10]
fig = plt.figure(figsize=(8.5, 8))
ax = fig.add_subplot(projection=projection)
ax.set_extent([-2.2e6, 2.2e6, -2.4e6, 2.2e6], crs=projection)
ax.add_feature(cfeature.LAND.with_scale("110m"), facecolor="#d9d0bd", zorder=0)
ax.coastlines("110m", linewidth=0.6, color="0.3")
dots = ax.scatter(
    every["longitude"],
    every["latitude"],
    c=every["height"],
    s=2,
    cmap="viridis",
    vmin=-0.3,
    vmax=0.8,
    transform=ccrs.PlateCarree(),
    rasterized=True,
)
ax.scatter(
    with_sst["longitude"],
    with_sst["latitude"],
    s=4,
    color="tab:red",
    transform=ccrs.PlateCarree(),
    zorder=3,
)
west, south, east, north = BBOX
outline_lon = np.r_[np.linspace(west, east, 30), np.linspace(east, west, 30), west]
outline_lat = np.r_[np.full(30, south), np.full(30, north), south]
ax.plot(outline_lon, outline_lat, color="k", linewidth=1.5, transform=ccrs.PlateCarree())
ax.gridlines(linewidth=0.4, color="0.6", linestyle=":")
ax.legend(
    handles=[
        Line2D([], [], color="k", lw=1.5, label="study box"),
        Line2D([], [], ls="", marker="o", color="tab:red", label="segment with trustworthy SST"),
    ],
    loc="lower left",
)
fig.colorbar(dots, ax=ax, shrink=0.7, pad=0.03, label="ICESat-2 ATL07 height (m)")
ax.set_title(
    f"{segments['atl07'].nunique()} ICESat-2 passes paired with MODIS-Aqua, 23-26 June 2019"
)
fig.savefig(FIGURES / "04-season-map.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 10. From this machine to a cluster
#
# Nothing in the task functions knows where it runs: they need a granule record, a box, and a
# worker that can log in. To run a whole summer, or several years, swap the `LocalCluster` for a
# bigger cluster; the rest of the notebook stays the same.
#
# **On a hub with [Dask Gateway](https://gateway.dask.org/)** (many Pangeo-style hubs, such as
# CryoCloud, offer one), workers run in other containers of the same cloud region, without your
# environment variables or your home folder. Give them an Earthdata Login **token** (never your
# password) as an environment variable of the cluster, if your hub's cluster options allow it:
# it reaches the workers once, over the Gateway's encrypted connection, when they start, and is
# never part of a task. A token can be revoked at [urs.earthdata.nasa.gov](https://urs.earthdata.nasa.gov)
# and expires by itself after a few weeks. This code is not run here:
#
# ```python
# from dask_gateway import Gateway
#
# token = earthaccess.get_edl_token()  # a dict {"access_token": ...} up to 0.19 at least
# token = token["access_token"] if isinstance(token, dict) else token
#
# gateway = Gateway()  # the hub configures the address and who you are
# options = gateway.cluster_options()  # what your hub lets you choose: worker size, image, ...
# options.environment = {"EARTHDATA_TOKEN": token}  # if your hub offers this option
# cluster = gateway.new_cluster(options)
# cluster.adapt(minimum=2, maximum=20)  # workers come and go with the work
# client = cluster.get_client()
# client.upload_file("season_tasks.py")  # to every worker, also those that start later
# client.run(season_tasks.login_worker)  # workers that start later log in on their first task
# ```
#
# If your hub's options have no `environment`, ask its administrators how to pass secrets to
# workers (some mount the home folder on the workers, then `~/.netrc` works as it does here).
# The workers run the hub's image, so `helpers` must be installed there, as it is in the
# tutorial environment; `season_tasks.py` is yours, and `client.upload_file` brings it along.
#
# A few things change with size:
#
# - **Stay in `us-west-2`.** Workers in the same region as the data read S3 directly and fast,
#   and free of egress charges. Workers elsewhere read over HTTPS: it works, slowly.
# - **Size tasks to minutes, not hours.** One pair per task reads two files, tens of MB: a few
#   seconds. Thousands of such tasks keep many workers busy, and a task never outlives its
#   credentials.
# - **Send records, get summaries back.** Arguments and results travel through the scheduler;
#   return tables of a few thousand rows per task, not whole swaths.
# - **Keep the failures.** At scale some granules will fail; a status row per pair tells you
#   which ones to retry.
# - **Be kind to the DAACs.** Each worker asks for S3 credentials about once an hour per DAAC;
#   hundreds of workers starting at once all log in at once. Scale up gradually (`adapt`).
#
# ## 11. Close the cluster
#
# A cluster holds processes and memory until it is closed (on a hub, it also costs money):
# close the client and the cluster when the work is done.

# %%
client.close()
cluster.close()
print("Cluster closed")

# %% [markdown]
# ## Summary
#
# - The season's granules were found with two searches; the MODIS candidates of every pass were
#   narrowed with CMR times alone, before any data was read.
# - Tutorial 3's steps became two task functions in `season_tasks.py`, next to this notebook:
#   `choose_swath` (tutorial 3's rule, `helpers.PAIRING_RULE` with `helpers.choose_modis`) and
#   `pair_granules` (the pairing), which need only granule records; `client.upload_file` sent
#   the file to the workers.
# - A `LocalCluster` of two single-threaded worker processes ran them; `client.map` sent the
#   tasks and `as_completed` collected the results as they came.
# - Workers logged in from their own environment (`season_tasks.login_worker`, with
#   `earthaccess.login`): no secret was part of a task. They open their files in the task and check their S3 credentials' expiration
#   before each open (`season_tasks.open_fresh`), so a season can run longer than an hour.
# - The broken granule, planted by the sandbox, failed alone and is a row of the table, with its
#   error; the other passes completed.
# - The season's table, plot and map show the pattern a single pair could not: trustworthy SST
#   only where ICESat-2 sees the sea surface, at the ice edge.
# - The same code runs on a hub's Dask Gateway cluster, with a token in the workers'
#   environment.
#
# ## Exercise
#
# Which day had the most open water along the tracks in the box? For each day, count the
# segments in the box, the segments with a trustworthy SST, and give the median height of each
# group. Then answer: what does a day without any paired pass tell you about open water?
#
# *Hints:* the `segments` table has `time`, `in_box`, `height` and `sst` columns; group by
# `segments["time"].dt.date`.
#
# ### Solution
#
# Click to reveal the solution below.

# %% tags=["hide-cell"]
in_box = segments[segments["in_box"]]
per_day = in_box.groupby(in_box["time"].dt.date).agg(
    segments=("height", "size"),
    with_sst=("sst", "count"),
    height_with_sst=("height", lambda h: h[in_box.loc[h.index, "sst"].notna()].median()),
    height_without_sst=("height", lambda h: h[in_box.loc[h.index, "sst"].isna()].median()),
)
per_day["with_sst_pct"] = (100 * per_day["with_sst"] / per_day["segments"]).round(1)
per_day.round(2)

# %% [markdown]
# The day with the largest share of segments with a trustworthy SST saw the most open water *in
# the pixels MODIS could see*. A day without a paired pass tells you nothing: no swath within two
# hours, clouds, or a failed granule. "No SST" is not "no open water", which is why the season
# table keeps the passes without a pair and says why.
#
# ## What's next
#
# - **A longer season.** Widen `TEMPORAL` to a month: the code does not change, the number of
#   tasks does. Watch the tasks on the dashboard, and try `cluster.adapt`.
# - **Keep the segments.** Write `segments` to Parquet or Zarr for the next analysis, instead of
#   pairing again.
# - **Other pairs.** The same pattern pairs ICESat-2 with other swaths: VIIRS SST, or sea-ice
#   surface temperature (MODIS MOD29/MYD29 at NSIDC).
# - [Cloud access concepts](../book/concepts.md) explains why reading next to the data, in
#   `us-west-2`, matters most when you read thousands of granules.
#
# ## Resources and references
#
# - [Dask futures](https://docs.dask.org/en/stable/futures.html) and
#   [`LocalCluster`](https://distributed.dask.org/en/stable/api.html#distributed.LocalCluster)
# - [Dask Gateway](https://gateway.dask.org/)
# - [earthaccess documentation](https://earthaccess.readthedocs.io), and its issue
#   [#765](https://github.com/nsidc/earthaccess/issues/765) on expiring S3 credentials
# - [ATL07 at NSIDC](https://nsidc.org/data/atl07);
#   [MODIS_A-JPL-L2P-v2019.0 at PO.DAAC](https://podaac.jpl.nasa.gov/dataset/MODIS_A-JPL-L2P-v2019.0)
# - [GHRSST](https://www.ghrsst.org), whose Data Specification (GDS 2.0) defines `quality_level`
#   and `l2p_flags`
