"""helpers: the thin support package of the Earthdata cloud tutorials.

It hides only boilerplate that every notebook would repeat; the notebooks still call earthaccess,
s3fs, h5py, xarray, pyresample and cartopy themselves.

* `retry_transient_errors`: earthaccess's sessions retry the services' temporary errors, and
  `url_credentials_left_out` keeps presigned URLs out of errors (`helpers.retries`);
  `login_status`, `LoginStatus`: after ``earthaccess.login()``, one line saying who is logged
  in, from where, and whether S3 direct access works (`helpers.auth`).
* `decode_attrs`, `decode_attrs_dataset`: HDF5/netCDF attributes as plain Python values
  (`helpers.attrs`).
* `read_chunked`, `read_chunked_many`: chunked HDF5 variables fetched concurrently with library
  calls (h5py's chunk index, fsspec's merged ranges, threads to inflate) (`helpers.chunks`).
* `BEAMS`, `strong_beams`, `read_atl03_beam`, `read_atl07_beam`: ICESat-2 beams into xarray,
  UTC times by CF decoding of ``delta_time`` (`helpers.readers`).
* `PAIRING_RULE`, `candidates_for`, `choose_modis`, `pair_nearest`, `Pairing`: the pairing rule
  of tutorials 03 and 04 (which MODIS swath, which pixel), stated once (`helpers.pairing`).
* `granule_table`, `granule_name`: search results as a pandas table (`helpers.tables`).
* `use_offline_natural_earth`: cartopy coastlines without a download (`helpers.maps`).
* `check_setup`: the setup check learners run first; versions, login, region, S3 credentials,
  map layer, each with what to fix (`helpers.setup_check`).
* Errors: `helpers.errors`, all subclasses of `HelpersError`.

Examples
--------
>>> import helpers
>>> helpers.login_status(None)
Traceback (most recent call last):
...
helpers.errors.NotLoggedInError: Not logged in to Earthdata: earthaccess.login() found ...
"""

from helpers.attrs import decode_attrs, decode_attrs_dataset
from helpers.auth import LoginStatus, login_status
from helpers.chunks import read_chunked, read_chunked_many
from helpers.errors import (
    BeamNotFoundError,
    EmptySearchResultError,
    HelpersError,
    NotHDF5Error,
    NotLoggedInError,
    S3CredentialsError,
    SpacecraftOrientationError,
    VariableNotFoundError,
)
from helpers.maps import use_offline_natural_earth
from helpers.pairing import PAIRING_RULE, Pairing, candidates_for, choose_modis, pair_nearest
from helpers.readers import BEAMS, read_atl03_beam, read_atl07_beam, strong_beams
from helpers.retries import retry_transient_errors, url_credentials_left_out
from helpers.setup_check import SetupReport, check_setup
from helpers.tables import granule_name, granule_table

__all__ = [
    # auth and retries
    "LoginStatus",
    "login_status",
    "retry_transient_errors",
    "url_credentials_left_out",
    # attrs
    "decode_attrs",
    "decode_attrs_dataset",
    # readers
    "BEAMS",
    "read_atl03_beam",
    "read_atl07_beam",
    "strong_beams",
    # chunks
    "read_chunked",
    "read_chunked_many",
    # pairing
    "PAIRING_RULE",
    "Pairing",
    "candidates_for",
    "choose_modis",
    "pair_nearest",
    # tables
    "granule_name",
    "granule_table",
    # maps
    "use_offline_natural_earth",
    # setup check
    "SetupReport",
    "check_setup",
    # errors
    "BeamNotFoundError",
    "EmptySearchResultError",
    "HelpersError",
    "NotHDF5Error",
    "NotLoggedInError",
    "S3CredentialsError",
    "SpacecraftOrientationError",
    "VariableNotFoundError",
]
