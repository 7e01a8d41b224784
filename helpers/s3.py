"""S3 file systems and opened granules with read settings that suit HDF5.

HDF5 libraries read a file's metadata a few KB at a time, in hundreds of small dependent
requests, then the data chunks. Over S3 each request costs tens of milliseconds, so what matters is
how many requests reach the network. A *block cache* with 8 MiB blocks turns many small reads into
a few large, reused ones (about 6 minutes to about 30 s for one ATL03 group in icepyx; 2062 s to
114 s for a 7 GB granule in published benchmarks). s3fs' default is a 50 MiB read-ahead cache,
which re-reads whenever HDF5 jumps backwards, and earthaccess's default is a "background" block
cache of 4-16 MiB. `HDF5_OPEN_KWARGS` holds the settings used here; print it in a notebook to see
them.

`s3_filesystem` wraps ``earthaccess.get_s3_filesystem`` (temporary S3 credentials from a DAAC,
valid one hour, usable only inside AWS us-west-2). `open_granule` wraps ``earthaccess.open``, which
reads from S3 in us-west-2 and over HTTPS elsewhere.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import s3fs

from helpers.errors import (
    EmptySearchResultError,
    GranuleOpenError,
    NotLoggedInError,
    S3CredentialsError,
    UnknownDAACError,
)

__all__ = [
    "HDF5_BLOCK_SIZE",
    "HDF5_CACHE_TYPE",
    "HDF5_OPEN_KWARGS",
    "known_daacs",
    "open_granule",
    "s3_filesystem",
]

#: Block size of the read cache: 8 MiB, the size of S3 requests AWS recommends (8-16 MB) and of
#: the pages of NSIDC's cloud-optimized ATL03.
HDF5_BLOCK_SIZE: int = 8 * 1024 * 1024

#: fsspec cache type: keep every 8 MiB block read (up to 32 of them), so HDF5's metadata reads
#: that jump back and forth are served from memory.
HDF5_CACHE_TYPE: str = "blockcache"

#: Keyword arguments for ``fs.open(...)`` and ``earthaccess.open(..., open_kwargs=...)``.
HDF5_OPEN_KWARGS: Mapping[str, Any] = MappingProxyType(
    {"cache_type": HDF5_CACHE_TYPE, "block_size": HDF5_BLOCK_SIZE}
)


def known_daacs() -> dict[str, list[str]]:
    """Return the DAACs earthaccess knows, each with its cloud provider names.

    Read from earthaccess's own table (``earthaccess.daac.DAACS``).

    Returns
    -------
    dict[str, list[str]]
        DAAC short name to cloud providers, e.g. ``{"NSIDC": ["NSIDC_CPRD"], ...}``.

    Examples
    --------
    >>> known_daacs()["PODAAC"]
    ['POCLOUD']
    """
    try:
        # earthaccess's DAAC table: a plain module-level list, not in earthaccess.__all__.
        # Guarded: if a release moves it, the DAAC/provider check is skipped, not broken.
        from earthaccess.daac import DAACS
    except ImportError:
        return {}
    return {str(d["short-name"]): [str(p) for p in d.get("cloud-providers", [])] for d in DAACS}


def _check_location(daac: str | None, provider: str | None) -> None:
    if daac is None and provider is None:
        raise ValueError(
            "Name a DAAC (e.g. daac='NSIDC' or 'PODAAC') or a cloud provider (e.g. "
            "provider='NSIDC_CPRD' or 'POCLOUD')."
        )
    daacs = known_daacs()
    if not daacs:  # no table to check against (see known_daacs): let earthaccess decide
        return
    providers = sorted({p for ps in daacs.values() for p in ps})
    if daac is not None and daac.upper() not in daacs:
        raise UnknownDAACError(
            f"Unknown DAAC {daac!r}. earthaccess knows: {', '.join(sorted(daacs))}. Use one of "
            "those short names, or pass provider= (the CMR provider of your granules, "
            "e.g. results[0]['meta']['provider-id'])."
        )
    if daac is not None and not daacs[daac.upper()]:
        raise UnknownDAACError(
            f"DAAC {daac!r} has no cloud (S3) provider in earthaccess's table; its data are not "
            "in Earthdata Cloud. Download them over HTTPS instead (earthaccess.download)."
        )
    if provider is not None and provider.upper() not in providers:
        raise UnknownDAACError(
            f"Unknown cloud provider {provider!r}. earthaccess knows: {', '.join(providers)}. "
            "Use the provider of your granules (results[0]['meta']['provider-id']); on-premises "
            "providers such as NSIDC_ECS have no S3 access."
        )


def _require_login() -> Any:
    import earthaccess

    auth = getattr(earthaccess, "__auth__", None)
    store = getattr(earthaccess, "__store__", None)
    if store is None or not getattr(auth, "authenticated", False):
        raise NotLoggedInError(
            "Not logged in to Earthdata: call helpers.login() (or earthaccess.login()) first."
        )
    return store


def s3_filesystem(daac: str | None = None, provider: str | None = None) -> s3fs.S3FileSystem:
    """Return an ``s3fs.S3FileSystem`` for a DAAC's buckets, with HDF5-friendly read settings.

    Calls ``earthaccess.get_s3_filesystem(daac=..., provider=...)`` (temporary credentials, valid
    one hour, that work only from AWS us-west-2) and returns a file system with the same
    credentials whose ``open`` uses `HDF5_OPEN_KWARGS` unless told otherwise.

    Parameters
    ----------
    daac
        DAAC short name, e.g. ``"NSIDC"``, ``"PODAAC"`` (see `known_daacs`).
    provider
        Or a cloud provider, e.g. ``"NSIDC_CPRD"``, ``"POCLOUD"``.

    Returns
    -------
    s3fs.S3FileSystem
        Use ``fs.open("s3://bucket/key")``, ``fs.ls(...)``, ``fs.glob(...)``.

    Raises
    ------
    UnknownDAACError
        A DAAC or provider earthaccess does not know; the message lists the known ones.
    NotLoggedInError
        No Earthdata Login session yet.
    S3CredentialsError
        The DAAC did not hand out credentials.

    Examples
    --------
    >>> s3_filesystem(daac="NSIDK")
    Traceback (most recent call last):
    ...
    helpers.errors.UnknownDAACError: Unknown DAAC 'NSIDK'. earthaccess knows: ...
    """
    _check_location(daac, provider)
    store = _require_login()
    import earthaccess

    if getattr(store, "in_region", None) is False:  # earthaccess's us-west-2 check at login
        warnings.warn(
            "This machine is not in AWS us-west-2 (as earthaccess found at login): S3 reads will "
            "be refused. Outside us-west-2 use helpers.open_granule (HTTPS) instead.",
            UserWarning,
            stacklevel=2,
        )
    try:
        fs = earthaccess.get_s3_filesystem(daac=daac, provider=provider)
    except KeyError:  # earthaccess got no credentials and indexes an empty dict
        raise S3CredentialsError(
            f"No S3 credentials from {daac or provider}: earthaccess's request to its "
            "s3credentials endpoint failed. Log in again (helpers.login()), accept the data's "
            "EULA at https://urs.earthdata.nasa.gov if needed, and check that the data are in "
            "Earthdata Cloud."
        ) from None
    # A new instance with the same credentials (fsspec caches instances, so changing the
    # defaults of `fs` would also change them for earthaccess and everyone else).
    return s3fs.S3FileSystem(
        **fs.storage_options,
        default_block_size=HDF5_BLOCK_SIZE,
        default_cache_type=HDF5_CACHE_TYPE,
    )


def _one_granule(granule_or_results: Any) -> Any:
    if isinstance(granule_or_results, str | Mapping):
        return granule_or_results
    if isinstance(granule_or_results, Sequence):
        if len(granule_or_results) == 0:
            raise EmptySearchResultError(
                "Nothing to open: the search results are empty. Check the search parameters "
                "(bounding_box order west, south, east, north; temporal; provider; version)."
            )
        if len(granule_or_results) > 1:
            raise ValueError(
                f"open_granule opens one granule; got {len(granule_or_results)}. Pass one, "
                "e.g. results[0], or open them all with "
                "earthaccess.open(results, open_kwargs=dict(helpers.HDF5_OPEN_KWARGS))."
            )
        return granule_or_results[0]
    raise TypeError(
        f"open_granule needs a DataGranule from earthaccess.search_data (or a URL); got "
        f"{type(granule_or_results).__name__}."
    )


def open_granule(
    granule_or_results: Any,
    *,
    provider: str | None = None,
    open_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Open one granule as a read-only file object: from S3 in us-west-2, over HTTPS elsewhere.

    It is ``earthaccess.open([granule], open_kwargs=HDF5_OPEN_KWARGS)[0]``; earthaccess decides
    between S3 and HTTPS from the region check it made at login.

    Parameters
    ----------
    granule_or_results
        One ``DataGranule`` from ``earthaccess.search_data``, a list holding exactly one, or a URL
        (``s3://`` needs `provider`; for an ``https://`` URL earthaccess, up to 0.19 at least,
        ignores `open_kwargs`).
    provider
        Cloud provider, only for URLs (e.g. ``"NSIDC_CPRD"``).
    open_kwargs
        Overrides of `HDF5_OPEN_KWARGS` (passed to fsspec's ``open``).

    Returns
    -------
    file-like
        Pass it to ``h5py.File(f)``, ``xr.open_dataset(f, engine="h5netcdf")`` or the readers.

    Raises
    ------
    EmptySearchResultError
        Empty results.
    NotLoggedInError
        No Earthdata Login session yet.
    GranuleOpenError
        earthaccess could not open it (e.g. S3 outside us-west-2, expired credentials).

    Examples
    --------
    >>> open_granule([])
    Traceback (most recent call last):
    ...
    helpers.errors.EmptySearchResultError: Nothing to open: the search results are empty. ...
    """
    granule = _one_granule(granule_or_results)
    _require_login()
    import earthaccess

    from helpers.tables import granule_name

    name = granule_name(granule) if isinstance(granule, Mapping) else str(granule)
    kwargs = {**HDF5_OPEN_KWARGS, **(open_kwargs or {})}
    try:
        files = earthaccess.open(
            [granule], provider=provider, show_progress=False, open_kwargs=kwargs
        )
    except RuntimeError as err:  # earthaccess wraps S3 errors, traceback text included
        cause = err.__cause__ or err
        raise GranuleOpenError(
            f"Could not open {name} from S3 ({type(cause).__name__}: {str(cause)[:200]}). "
            "S3 direct access works only inside AWS us-west-2 and for one hour after the "
            "credentials were issued: check helpers.login_status(), log in again, or use HTTPS."
        ) from None
    if not files:
        raise GranuleOpenError(
            f"earthaccess opened nothing for {name}: it found no data link it could use or no "
            "credentials for it. Check granule.data_links() and helpers.login_status()."
        )
    return files[0]
