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
# # Finding ICESat-2 data in the cloud with CMR and earthaccess
#
# ## Overview
#
# NASA keeps the catalogue of all its Earth science data in the
# [Common Metadata Repository (CMR)](https://cmr.earthdata.nasa.gov/search/site/docs/search/api.html).
# More and more of those data now live in **Earthdata Cloud**, in Amazon Web Services (AWS) region
# `us-west-2`; before that they lived in the archives of the data centres ("on premises"), and
# for ICESat-2 the on-premises copies have now been retired.
# In this notebook you search CMR for the ICESat-2 photon product ATL03, check both places, find
# its granules over the Juneau Icefield in Alaska, and get the links you need to read the files,
# with [earthaccess](https://earthaccess.readthedocs.io).
#
# 1. Why the cloud: two ways to work with NASA data
# 2. Log in to Earthdata Login
# 3. Search for collections: on premises, in the cloud, and which version
# 4. Search for granules over the Juneau Icefield (and what on premises meant)
# 5. S3 links and HTTPS links
# 6. Aside: the CMR request behind the search
#
# ## Prerequisites
#
# | Concepts | Importance | Notes |
# | --- | --- | --- |
# | [Python and Jupyter basics](https://foundations.projectpythia.org/) | Necessary | Running cells, lists, dictionaries, f-strings |
# | [Set up](../book/setup.md) | Necessary | An environment with the tutorial packages, and an [Earthdata Login account](https://urs.earthdata.nasa.gov/users/new) (free) |
# | [Cloud access concepts](../book/concepts.md) | Helpful | On premises and in the cloud, S3 and HTTPS, CMR |
# | [ICESat-2 ATL03](https://nsidc.org/data/atl03) | Helpful | What the photon product contains |
# | [pandas DataFrames](https://pandas.pydata.org/docs/user_guide/10min.html) | Helpful | The granule tables are pandas DataFrames |
#
# - **Time to learn**: 30 minutes
# - **System requirements**: the tutorial environment (Python 3.12 or newer, `earthaccess` 0.18 or newer). The searches
#   work from anywhere; reading from S3 (notebook 02) needs a JupyterHub in AWS `us-west-2`.
#
# ## Learning objectives
#
# By the end of this notebook you can:
#
# - explain when processing next to the data in the cloud pays off, and when downloading does;
# - log in to Earthdata Login without ever writing your password into a notebook;
# - find a dataset's collections, versions and concept ids in CMR, and tell an on-premises
#   collection from a cloud one, and a retired version from a current one;
# - search for the granules (files) of a collection by area, and count them before fetching them;
# - tell S3 links from HTTPS links, and know which one to use where;
# - write the same search as a plain CMR request, usable from any programming language.
#
# ```{note}
# The outputs shown in the book come from the project's **Earthdata sandbox**, an offline stand-in
# for NASA's services that serves *synthetic* granules. Run live on a `us-west-2` JupyterHub, the
# same code returns real results: the counts, versions, concept ids, sizes and URLs will differ
# from the ones shown here.
# ```

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import textwrap
import warnings

# earthaccess draws progress bars with ipywidgets where installed, and plain text bars (after a
# warning) elsewhere; the text bars are fine, so the warning is hidden.
warnings.filterwarnings("ignore", message="IProgress not found")

import earthaccess
import matplotlib.pyplot as plt
import pandas as pd
import requests
from IPython.display import display
from matplotlib.patches import FancyBboxPatch
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import helpers

# %% [markdown]
# ## 1. Why the cloud: two ways to work with NASA data
#
# There are two ways to work with NASA data:
#
# - **Search, download, process.** You find the files, copy them to your computer, and analyse
#   them there. This pays off when you need a few files, when you reuse the same files for a long
#   time, or when you must work offline.
# - **Search, then process in the cloud, next to the data.** You find the files, and a computer in
#   the same AWS region as the data (`us-west-2`), for example a JupyterHub, reads just the bytes
#   it needs straight from cloud storage (Amazon S3). Only your results travel back to you. This
#   pays off when the data are large or many: a single ATL03 granule is often more than a
#   gigabyte, and a study of a region over several years touches hundreds of them.
#
# Both start with the same step: **search**. That is what this notebook is about.


# %% mystnb={"image": {"alt": "Diagram of the two ways to work with NASA data. Top row, download model: search CMR, download every file over the internet, process on your own computer. Bottom row, cloud model: search CMR, process on a computer in AWS us-west-2 that reads from S3 next to the data, and only the small results travel to you."}} tags=["hide-input"]
def draw_box(ax, x, y, text, color):
    """Draw a rounded box with centred text; (x, y) is its lower left corner."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y), 2.4, 1.0, boxstyle="round,pad=0.08", facecolor=color, edgecolor="0.3"
        )
    )
    ax.text(x + 1.2, y + 0.5, text, ha="center", va="center", fontsize=10)


def draw_arrow(ax, x0, x1, y, label):
    ax.annotate("", xy=(x1, y), xytext=(x0, y), arrowprops={"arrowstyle": "-|>", "lw": 1.5})
    ax.text((x0 + x1) / 2, y + 0.25, label, ha="center", va="bottom", fontsize=8.5)


fig, ax = plt.subplots(figsize=(10, 4))
ax.set_xlim(-0.3, 12.2)
ax.set_ylim(-0.7, 4.3)
ax.axis("off")
grey, blue, green = "#e8e8e8", "#cfe2f3", "#d9ead3"

# Top row: the download model.
ax.text(-0.2, 3.95, "Search, download, process", fontsize=11, weight="bold")
draw_box(ax, 0.0, 2.4, "Search CMR\n(this notebook)", grey)
draw_box(ax, 4.6, 2.4, "Download every file\nto your computer", grey)
draw_box(ax, 9.2, 2.4, "Process on\nyour computer", grey)
draw_arrow(ax, 2.5, 4.5, 2.9, "file list")
draw_arrow(ax, 7.1, 9.1, 2.9, "whole files over\nthe internet")

# Bottom row: the cloud model.
ax.text(
    -0.2, 1.55, "Search, then process in the cloud next to the data", fontsize=11, weight="bold"
)
ax.add_patch(
    FancyBboxPatch(
        (4.35, -0.45),
        4.9,
        1.85,
        boxstyle="round,pad=0.05",
        facecolor="none",
        edgecolor="#3d85c6",
        linestyle="--",
    )
)
ax.text(6.8, -0.3, "AWS us-west-2", ha="center", fontsize=9, color="#3d85c6")
draw_box(ax, 0.0, 0.0, "Search CMR\n(this notebook)", grey)
draw_box(ax, 4.6, 0.0, "Process on a hub;\nread only the bytes\nyou need from S3", blue)
draw_box(ax, 9.6, 0.0, "Results\n(small)", green)
draw_arrow(ax, 2.5, 4.5, 0.5, "file list")
draw_arrow(ax, 7.1, 9.5, 0.5, "results only")
plt.show()

# %% [markdown]
# ## 2. Log in to Earthdata Login
#
# Searching public collections works without logging in, but reading the files does not, and a
# logged-in search can also see the few collections that need it. `earthaccess.login()` logs you
# in. It looks for your [Earthdata Login](https://urs.earthdata.nasa.gov) credentials in three
# places, in order, and uses the first that it finds:
#
# 1. **Environment variables** `EARTHDATA_USERNAME` and `EARTHDATA_PASSWORD` (or an Earthdata
#    Login token in `EARTHDATA_TOKEN`), for example set by your JupyterHub, or in a terminal
#    before starting Jupyter.
# 2. **A `~/.netrc` file** with the line
#    `machine urs.earthdata.nasa.gov login YOUR_USERNAME password YOUR_PASSWORD`, readable only by
#    you: run `chmod 600 ~/.netrc` once.
# 3. **An interactive prompt** that asks for your username and password; the password is not
#    shown as you type it.
#
# The cell around it uses two small functions of this book's `helpers` package.
# `helpers.retry_transient_errors()`, called once before logging in, makes earthaccess try again
# when a NASA service answers with a temporary error (500, 502, 503 or 504) or drops the
# connection, as the services ask clients to do. `helpers.login_status(auth)` then says in one
# line who you are logged in as, where the credentials came from, and whether this notebook runs
# in AWS `us-west-2`, where S3 direct access works. If the login did not succeed, it stops with a
# `NotLoggedInError` that says what to set, and where to test your password.
#
# ```{warning}
# Never type your password into a notebook cell: notebooks are saved, shared and committed to
# git, and so would your password be. Neither earthaccess, `helpers` nor this book ever prints it.
# ```

# %% tags=["output-depends-on-region"]
helpers.retry_transient_errors()
auth = earthaccess.login()
status = helpers.login_status(auth)
print(status)

# %% [markdown]
# ## 3. Search for collections: on premises, in the cloud, and which version
#
# CMR describes data at two levels:
#
# - a **collection** is a dataset: one product in one version, for example ATL03 version 007;
# - a **granule** is one file of a collection; for ATL03, the photons of one pass over one part
#   of the orbit.
#
# Every record has a **concept id**, a unique name that starts with `C` for collections and `G`
# for granules and ends with the **provider** that holds the data. The National Snow and Ice Data
# Center (NSIDC) has had two providers:
#
# | Provider | Where the files are |
# | --- | --- |
# | `NSIDC_ECS` | NSIDC's on-premises archive in Boulder, downloaded over HTTPS (retired for ICESat-2: see below) |
# | `NSIDC_CPRD` | Earthdata Cloud, Amazon S3 in `us-west-2` |
#
# ```{important}
# **ICESat-2's on-premises copies are retired.** From 2021 to 2025 every ICESat-2 product had two
# collections, one per provider. NSIDC has been retiring its on-premises archive product by
# product, and the Earthdata Cloud is now its primary archive: it removed the on-premises
# ICESat-2 links from its own tutorials on 16 July 2025
# ([NSIDC-Data-Tutorials pull request #97](https://github.com/nsidc/NSIDC-Data-Tutorials/pull/97),
# "Is2 ecs decom"). The sources this book used (checked on 4 December 2026) do not give the exact
# day on-premises ICESat-2 access ended. Release 006 is retired too: NSIDC's metadata lists ATL03,
# ATL06 and ATL07 version 006 as retired (records of February to May 2026). Version 007 is
# current, and ATL03 version 007 has been cloud-optimized since 31 July 2025 (see notebook 02).
# ```
#
# `earthaccess.search_datasets` searches collections. Search both providers and see for yourself.
# Concept ids change between versions and providers, so look them up at run time rather than
# copying them into your code. `CollectionProgress` says whether a collection is `ACTIVE` or, once
# retired, `DEPRECATED`.

# %%
PROVIDERS = {"NSIDC_ECS": "on premises", "NSIDC_CPRD": "in the cloud"}

collections = {}
for provider in PROVIDERS:
    found = earthaccess.search_datasets(short_name="ATL03", provider=provider)
    collections[provider] = sorted(found, key=lambda collection: collection.version)

for provider, where in PROVIDERS.items():
    print(f"{provider} ({where}): {len(collections[provider])} ATL03 collection(s)\n")
    for collection in collections[provider][:3]:
        print(f"  Concept id: {collection.concept_id}")
        print(f"  Title:      {collection.get_umm('EntryTitle')}")
        print(f"  Progress:   {collection.get_umm('CollectionProgress')}")
        print(
            textwrap.fill(
                collection.abstract, width=80, initial_indent="  ", subsequent_indent="  "
            )
        )
        print()

# %% [markdown]
# Which versions does each provider hold? Use the newest version in the cloud. (Where a product
# still has an on-premises copy, you would compare the same version in both places; for ICESat-2
# the `NSIDC_ECS` search should find nothing, so the code carries on with the cloud alone.)

# %%
versions = {
    provider: [collection.version for collection in collections[provider]] for provider in PROVIDERS
}
for provider, where in PROVIDERS.items():
    print(f"{provider:<11} {where:<13} versions: {', '.join(versions[provider]) or 'none'}")

version = versions["NSIDC_CPRD"][-1]
print(f"\nVersion used below: {version}")

chosen = {
    provider: collection
    for provider in PROVIDERS
    for collection in collections[provider]
    if collection.version == version
}
for provider, collection in chosen.items():
    print(f"{provider:<11} {collection.concept_id}")

# %% [markdown]
# A cloud collection also says where its files are kept in S3 and where to get the temporary
# credentials that read them. earthaccess uses this for you in notebook 02.

# %%
print(chosen["NSIDC_CPRD"].s3_bucket)

# %% [markdown]
# ```{note}
# The versions change over time: ICESat-2 products are reprocessed every year or two, and NSIDC
# keeps only recent versions. A search without `version` may list only the current one; a retired
# version, while CMR still lists it, says `DEPRECATED`. The code looks the version up at run time,
# so it copes with either.
# ```
#
# ## 4. Search for granules over the Juneau Icefield
#
# Now search for the granules of that version whose footprint crosses a bounding box around the
# Juneau Icefield, given as west, south, east, north in degrees. First ask CMR only **how many**
# granules match (`hits()`, which fetches no records): a good habit before fetching thousands.

# %%
JUNEAU_BBOX = (-135.1977, 58.3325, -133.3410, 58.9839)  # west, south, east, north

for provider, collection in chosen.items():
    query = earthaccess.granule_query().concept_id(collection.concept_id).bounding_box(*JUNEAU_BBOX)
    print(f"{provider:<11} {PROVIDERS[provider]:<13} {query.hits():>4} granules")

# %% [markdown]
# The counts are small, so fetch all the records with `earthaccess.search_data`. Here are the
# first three cloud granules, as earthaccess displays them in a notebook:

# %%
granules = {
    provider: earthaccess.search_data(concept_id=collection.concept_id, bounding_box=JUNEAU_BBOX)
    for provider, collection in chosen.items()
}
for granule in granules["NSIDC_CPRD"][:3]:
    display(granule)

# %% [markdown]
# ### What "on premises" meant
#
# The distinction still matters: other data centres still retire their on-premises copies one by
# one, and old scripts and papers use on-premises collections and URLs. Until 2025 the same
# ATL03 version had two collections, with two concept ids. NSIDC's own tutorial printed these for
# version 006 (May 2025):
#
# | | On premises (`NSIDC_ECS`) | In the cloud (`NSIDC_CPRD`) |
# | --- | --- | --- |
# | Concept id | `C2559919423-NSIDC_ECS` | `C2596864127-NSIDC_CPRD` |
# | Files | `https://n5eil01u.ecs.nsidc.org/ATLAS/ATL03.006/` | `s3://nsidc-cumulus-prod-protected/ATLAS/ATL03/006/` |
# | Reached from | anywhere, over HTTPS only | S3 in `us-west-2`, or HTTPS from anywhere |
# | Granules | the whole archive | grew while the files were copied |
#
# While the copy went on, the two searches over the Juneau Icefield found different numbers of
# granules: some files existed only on premises. The code below compares the file names found
# under each provider, as this tutorial did then; today the on-premises side is empty.

# %%
names = {provider: set() for provider in PROVIDERS}
for provider, results in granules.items():
    names[provider] = set(helpers.granule_table(results)["granule"])

print(f"In both places:          {len(names['NSIDC_ECS'] & names['NSIDC_CPRD'])}")
print(f"Only on premises:        {len(names['NSIDC_ECS'] - names['NSIDC_CPRD'])}")
print(f"Only in the cloud:       {len(names['NSIDC_CPRD'] - names['NSIDC_ECS'])}")

# %% [markdown]
# Live, the cloud counts grow as ICESat-2 keeps flying. If you meet an on-premises URL in an old
# script (`n5eil01u.ecs.nsidc.org`), search the cloud collection of a current version instead.
#
# ## 5. S3 links and HTTPS links
#
# Every cloud granule can be reached in two ways:
#
# | Link | Looks like | Use it |
# | --- | --- | --- |
# | **S3** (direct access) | `s3://nsidc-cumulus-prod-protected/ATLAS/ATL03/...` | Only from AWS `us-west-2`, for example on a cloud JupyterHub. Fast, and free of egress charges. Needs short-lived S3 credentials, which earthaccess gets for you. |
# | **HTTPS** (external access) | `https://data.nsidc.earthdatacloud.nasa.gov/...` | From anywhere: your laptop, a university cluster. Slower, and every byte leaves AWS (egress, paid by NASA). Needs your Earthdata Login. |
#
# `data_links(access="direct")` gives a granule's S3 links, and `data_links(access="external")`
# its HTTPS links:

# %%
first = granules["NSIDC_CPRD"][0]
print("S3:   ", first.data_links(access="direct"))
print("HTTPS:", first.data_links(access="external"))

# %% [markdown]
# `helpers.granule_table` puts the name, size, time and both links of every granule in one table:

# %%
table = helpers.granule_table(granules["NSIDC_CPRD"])
with pd.option_context("display.max_colwidth", None):
    display(table.head())

# %% [markdown]
# ```{note}
# The links are NASA's: `https://data.nsidc.earthdatacloud.nasa.gov/...` over HTTPS, the real
# bucket names and keys over S3. In the sandbox the same host names are answered on your own
# computer, with synthetic files at those paths.
# ```
#
# You rarely need to choose by hand: `earthaccess.open()`, used in notebook 02, picks S3 when it
# runs in `us-west-2` and HTTPS elsewhere.
#
# ## 6. Aside: the CMR request behind the search
#
# earthaccess is a convenient Python client, but CMR itself is a plain web API: any language, or
# `curl`, can send the same search. Here is the granule search of section 4 for the cloud provider
# as one HTTPS request. This time it names the collection by short name, version and provider
# instead of its concept id. `page_size=3` asks for three records; the header `CMR-Hits` carries
# the total count.
#
# On a real network a request sometimes meets a temporary error: CMR answers `503` with "please
# try your request again later", or a connection drops. A `requests.Session` with urllib3's
# `Retry` mounted tries again by itself: up to 5 more times after a 500, 502, 503 or 504, or
# when the connection fails before the answer arrives, waiting 0, 2, 4, 8 and 16 s in between,
# the rule `helpers.retry_transient_errors()` gave earthaccess's sessions in section 2. If the errors
# outlast the retries, `session.get` raises `requests.exceptions.RetryError`. An error that is
# not temporary (a `400` for a bad parameter, say) comes back at once, and `raise_for_status()`
# turns it into an `HTTPError` naming the status and the URL (`response.json()["errors"]` holds
# CMR's own explanation).

# %%
retries = Retry(total=5, backoff_factor=1, status_forcelist=[500, 502, 503, 504])
session = requests.Session()
session.mount("https://", HTTPAdapter(max_retries=retries))
response = session.get(
    "https://cmr.earthdata.nasa.gov/search/granules.umm_json",
    params={
        "short_name": "ATL03",
        "version": version,
        "provider": "NSIDC_CPRD",
        "bounding_box": ",".join(str(value) for value in JUNEAU_BBOX),
        "page_size": 3,
    },
    timeout=60,
)
response.raise_for_status()
print(response.url)
print("CMR-Hits:", response.headers["CMR-Hits"])
print("earthaccess found:", len(granules["NSIDC_CPRD"]))
for item in response.json()["items"]:
    print(" ", item["meta"]["concept-id"], item["umm"]["GranuleUR"])

# %% [markdown]
# The [CMR search API documentation](https://cmr.earthdata.nasa.gov/search/site/docs/search/api.html)
# lists every parameter. Two other NASA services build on CMR:
#
# - [**CMR-STAC**](https://cmr.earthdata.nasa.gov/stac/) serves the same catalogue as a
#   [SpatioTemporal Asset Catalog](https://stacspec.org) (STAC), which STAC tools such as
#   [pystac-client](https://pystac-client.readthedocs.io) can search; cloud providers are listed
#   under [`/stac/NSIDC_CPRD`](https://cmr.earthdata.nasa.gov/stac/NSIDC_CPRD), for example.
# - [**Harmony**](https://harmony.earthdata.nasa.gov) subsets, reprojects and reformats data in
#   the cloud before you fetch them; [harmony-py](https://github.com/nasa/harmony-py) is its
#   Python client.
#
# ## Summary
#
# - Processing in the cloud, next to the data, pays off for large or many files; downloading
#   pays off for a few files you keep using, or for working offline.
# - `earthaccess.login()` logs in with environment variables, `~/.netrc` or a prompt;
#   `helpers.login_status` says who is logged in and whether S3 direct access works, and never
#   shows your password.
# - `earthaccess.search_datasets` finds collections; the provider tells on-premises (`NSIDC_ECS`)
#   from cloud (`NSIDC_CPRD`) copies, and the concept id names one collection exactly. ICESat-2's
#   on-premises copies and its version 006 are retired: look versions up at run time.
# - `earthaccess.granule_query().hits()` counts granules cheaply; `earthaccess.search_data` fetches
#   them. While a product is being copied to the cloud, counts differ between providers.
# - S3 links work only in `us-west-2` and are fast; HTTPS links work anywhere and are slower.
# - Every earthaccess search is a plain CMR request, which any language (or `curl`) can send.
#
# ## Exercise
#
# ATL03 comes in several versions. For **every** ATL03 version that either provider lists, count
# the granules over the Juneau Icefield in each provider, and show the counts in one table with
# the versions as rows and the providers as columns. Which versions exist only in the cloud? Then
# ask CMR for the retired version 006 by name (`short_name` and `version`): does it still list it,
# and as what?
#
# *Hint:* you already have the collections of each provider in `collections`; a collection's
# `get_umm("CollectionProgress")` says whether it is current.
#
# ### Solution
#
# Try it yourself first. In the book the solution is hidden: click "Show code cell content" below
# to reveal it. In Jupyter, the next cell is the solution.

# %% tags=["hide-cell"]
rows = []
for provider in PROVIDERS:
    for collection in collections[provider]:
        query = (
            earthaccess.granule_query().concept_id(collection.concept_id).bounding_box(*JUNEAU_BBOX)
        )
        rows.append({"version": collection.version, "provider": provider, "granules": query.hits()})

counts = (
    pd.DataFrame(rows)
    .pivot(index="version", columns="provider", values="granules")
    .reindex(columns=list(PROVIDERS))
    .astype("Int64")  # <NA>: the provider does not hold that version
)
print("Versions only in the cloud:", counts.index[counts["NSIDC_ECS"].isna()].tolist())
display(counts)

retired = earthaccess.search_datasets(short_name="ATL03", version="006")
print(f"ATL03 version 006: {len(retired)} collection(s) listed")
for collection in retired:
    print(f"  {collection.concept_id}: {collection.get_umm('CollectionProgress')}")

# %% [markdown]
# ## What's next
#
# In notebook 02 you **read ATL03 photons straight from S3**: earthaccess gets temporary S3
# credentials for you, and h5py reads only the parts of a granule you need, without downloading
# it.
#
# ## Resources and references
#
# - [Cloud access concepts](../book/concepts.md) and the [Glossary](../book/glossary.md) of this book
# - [earthaccess documentation](https://earthaccess.readthedocs.io)
# - [CMR search API](https://cmr.earthdata.nasa.gov/search/site/docs/search/api.html)
# - [NASA Earthdata Cloud Cookbook](https://nasa-openscapes.github.io/earthdata-cloud-cookbook/),
#   whose tutorial "Accessing NSIDC Cloud Collections Using CMR" this notebook follows
# - [ATL03 at NSIDC](https://nsidc.org/data/atl03)
# - [Earthdata Login](https://urs.earthdata.nasa.gov)
