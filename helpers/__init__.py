"""helpers: the thin support package of the Earthdata cloud tutorials.

It hides only boilerplate that every notebook would repeat; the notebooks still call earthaccess,
s3fs, h5py, xarray, pyresample and cartopy themselves.

* `login`, `login_status`: Earthdata Login from the environment, ``.netrc`` or a prompt, and a
  report of the user and of whether this runs in AWS us-west-2 (`helpers.auth`).
* `s3_filesystem`, `open_granule`, `HDF5_OPEN_KWARGS`: S3 and granule access with read settings
  that suit HDF5 (`helpers.s3`).
* `decode_attrs`, `decode_attrs_dataset`: HDF5/netCDF attributes as plain Python values
  (`helpers.attrs`).
* `read_atl03_beam`, `read_atl07_beam`, `strong_beams`, `delta_time_to_datetime`: ICESat-2 beams
  into xarray; `read_variables`: any HDF5 variables into numpy (`helpers.readers`). Over
  S3/HTTPS they fetch chunks concurrently (`helpers.fastread`); `count_requests` counts what
  they fetched.
* `pair_nearest`, `Pairing`: nearest valid swath pixel of each point, neighbour info kept for
  more variables (`helpers.pairing`).
* `choose_modis`, `pair_granules`, `candidates_for`, `login_worker`, `open_fresh`, ...: the pairing
  of tutorial 03 as task functions for many granules, with credentials that workers get and
  refresh themselves (`helpers.season`).
* `granule_table`: search results as a pandas table (`helpers.tables`).
* `use_offline_natural_earth`: cartopy coastlines without a download (`helpers.maps`).
* `check_setup`: the setup check learners run first; versions, login, region, S3 credentials,
  map layer, each with what to fix (`helpers.setup_check`).
* Errors: `helpers.errors`, all subclasses of `HelpersError`.

Examples
--------
>>> import helpers
>>> dict(helpers.HDF5_OPEN_KWARGS)
{'cache_type': 'blockcache', 'block_size': 8388608}
"""

from helpers.attrs import decode_attr_value, decode_attrs, decode_attrs_dataset
from helpers.auth import (
    LoginPlan,
    LoginStatus,
    choose_login_strategy,
    login,
    login_status,
    person_present,
)
from helpers.errors import (
    BeamNotFoundError,
    CredentialsNotFoundError,
    EmptySearchResultError,
    GranuleOpenError,
    GroupNotFoundError,
    HelpersError,
    LoginRejectedError,
    LoginUnreachableError,
    NotHDF5Error,
    NotLoggedInError,
    S3CredentialsError,
    SpacecraftOrientationError,
    UnknownDAACError,
    VariableNotFoundError,
)
from helpers.fastread import RequestCount, count_requests
from helpers.maps import use_offline_natural_earth
from helpers.pairing import Pairing, pair_nearest
from helpers.readers import (
    ATL03_VARIABLES,
    ATL07_VARIABLES,
    BEAMS,
    atlas_epoch,
    delta_time_to_datetime,
    open_hdf5,
    photon_segment_index,
    read_atl03_beam,
    read_atl07_beam,
    read_variables,
    strong_beams,
)
from helpers.s3 import HDF5_OPEN_KWARGS, known_daacs, open_granule, s3_filesystem
from helpers.season import (
    Swath,
    candidates_for,
    choose_modis,
    fresh_s3_credentials,
    granule_times,
    login_worker,
    open_fresh,
    pair_granules,
    pair_track,
    read_swath,
    read_track,
    seen_fraction,
)
from helpers.setup_check import SetupReport, check_setup
from helpers.tables import granule_table

__all__ = [
    # auth
    "LoginPlan",
    "LoginStatus",
    "choose_login_strategy",
    "login",
    "login_status",
    "person_present",
    # s3
    "HDF5_OPEN_KWARGS",
    "known_daacs",
    "open_granule",
    "s3_filesystem",
    # attrs
    "decode_attr_value",
    "decode_attrs",
    "decode_attrs_dataset",
    # readers
    "ATL03_VARIABLES",
    "ATL07_VARIABLES",
    "BEAMS",
    "atlas_epoch",
    "delta_time_to_datetime",
    "open_hdf5",
    "photon_segment_index",
    "read_atl03_beam",
    "read_atl07_beam",
    "read_variables",
    "strong_beams",
    "count_requests",
    "RequestCount",
    # pairing
    "Pairing",
    "pair_nearest",
    # season (many granules, on workers)
    "Swath",
    "candidates_for",
    "choose_modis",
    "fresh_s3_credentials",
    "granule_times",
    "login_worker",
    "open_fresh",
    "pair_granules",
    "pair_track",
    "read_swath",
    "read_track",
    "seen_fraction",
    # tables
    "granule_table",
    # maps
    "use_offline_natural_earth",
    # setup check
    "SetupReport",
    "check_setup",
    # errors
    "BeamNotFoundError",
    "CredentialsNotFoundError",
    "EmptySearchResultError",
    "GranuleOpenError",
    "GroupNotFoundError",
    "HelpersError",
    "LoginRejectedError",
    "LoginUnreachableError",
    "NotHDF5Error",
    "NotLoggedInError",
    "S3CredentialsError",
    "SpacecraftOrientationError",
    "UnknownDAACError",
    "VariableNotFoundError",
]
