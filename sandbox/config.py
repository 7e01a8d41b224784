"""Names, ports, paths and fixed values the sandbox services share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Region = Literal["us-west-2", "elsewhere"]
REGIONS: tuple[Region, ...] = ("us-west-2", "elsewhere")

EDL_HOST = "urs.earthdata.nasa.gov"
CMR_HOST = "cmr.earthdata.nasa.gov"
STATUS_HOST = "status.earthdata.nasa.gov"
NSIDC_CLOUD_HOST = "data.nsidc.earthdatacloud.nasa.gov"
NSIDC_ECS_HOST = "n5eil01u.ecs.nsidc.org"
PODAAC_HOST = "archive.podaac.earthdata.nasa.gov"
NSIDC_WEB_HOST = "nsidc.org"
PODAAC_WEB_HOST = "podaac.jpl.nasa.gov"
IMDS_HOST = "169.254.169.254"
S3_REGION_HOST = "s3.us-west-2.amazonaws.com"

NSIDC_BUCKETS = ("nsidc-cumulus-prod-protected", "nsidc-cumulus-prod-public")
PODAAC_BUCKETS = ("podaac-ops-cumulus-protected", "podaac-ops-cumulus-public")
#: Virtual-hosted S3 names of the DAACs' buckets, where the DAACs' presigned URLs point (TEA:
#: ``https://<bucket>.s3.us-west-2.amazonaws.com/<key>?X-Amz-...``).
S3_BUCKET_HOSTS: tuple[str, ...] = tuple(
    f"{bucket}.{S3_REGION_HOST}" for bucket in (*NSIDC_BUCKETS, *PODAAC_BUCKETS)
)

#: Host names the HTTPS app answers (through the proxy, or resolved to it in the processes the
#: sandbox starts); all are in the server certificate.
EMULATED_HOSTS: tuple[str, ...] = (
    EDL_HOST,
    CMR_HOST,
    STATUS_HOST,
    NSIDC_CLOUD_HOST,
    NSIDC_ECS_HOST,
    PODAAC_HOST,
    NSIDC_WEB_HOST,
    PODAAC_WEB_HOST,
    *S3_BUCKET_HOSTS,
)
LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")

#: The sandbox's one Earthdata Login user. Dummy values, not secrets, but still never logged.
EDL_USERNAME = "sandbox_learner"
EDL_PASSWORD = "sandbox-password-not-a-secret"
EDL_UID = "sandbox_learner"

DEFAULT_PORT_BASE = 47400
PORT_OFFSETS = {"proxy": 0, "https": 1, "s3": 2}
DEFAULT_CREDENTIALS_TTL = 3600.0

ENV_PORT_BASE = "EARTHDATA_SANDBOX_PORT_BASE"
ENV_CACHE = "EARTHDATA_SANDBOX_CACHE"
#: The cache variable's old name: no longer read; set, it stops the sandbox with a rename hint.
RETIRED_ENV_CACHE = "SANDBOX_CACHE"
ENV_CREDENTIALS_TTL = "EARTHDATA_SANDBOX_S3_CREDENTIALS_TTL"
ENV_LOG = "EARTHDATA_SANDBOX_LOG"
ENV_LATENCY = "EARTHDATA_SANDBOX_LATENCY_MS"
#: Given to child processes: the emulated host names (comma-separated) and the HTTPS app's and
#: proxy's loopback ``address:port``, which ``site/sitecustomize.py`` resolves those names to.
ENV_HOSTS = "EARTHDATA_SANDBOX_HOSTS"
ENV_HTTPS_ADDRESS = "EARTHDATA_SANDBOX_HTTPS"
ENV_HTTP_ADDRESS = "EARTHDATA_SANDBOX_HTTP"


def default_cache_dir() -> Path:
    """``$EARTHDATA_SANDBOX_CACHE`` or ``~/.cache/earthdata-sandbox``: the one cache folder of the
    sandbox (granules, state file, instance files) and of the benchmark (its ``benchmark/``).

    The old name ``$SANDBOX_CACHE`` is not read: set (to anything but the same folder), it is a
    ``ValueError`` that says what to rename, rather than a cache silently moving elsewhere.
    """
    value = os.environ.get(ENV_CACHE, "")
    retired = os.environ.get(RETIRED_ENV_CACHE, "")
    if retired and (not value or Path(retired).expanduser() != Path(value).expanduser()):
        raise ValueError(
            f"{RETIRED_ENV_CACHE} is no longer read: rename it to {ENV_CACHE} "
            f"(export {ENV_CACHE}={retired}; unset {RETIRED_ENV_CACHE}), the one cache folder "
            "of the sandbox and the benchmark"
        )
    if value:
        return Path(value).expanduser()
    return Path.home() / ".cache" / "earthdata-sandbox"


def default_port_base() -> int:
    """``$EARTHDATA_SANDBOX_PORT_BASE`` or 47400 (0 asks for free ports)."""
    value = os.environ.get(ENV_PORT_BASE, "")
    if not value:
        return DEFAULT_PORT_BASE
    try:
        base = int(value)
    except ValueError:
        raise ValueError(f"{ENV_PORT_BASE} must be an integer port number, not {value!r}") from None
    if base != 0 and not 1024 <= base <= 65535 - len(PORT_OFFSETS):
        raise ValueError(f"{ENV_PORT_BASE}={base} is outside 1024..{65535 - len(PORT_OFFSETS)}")
    return base


def default_credentials_ttl() -> float:
    """Lifetime of issued S3 credentials in seconds (``$EARTHDATA_SANDBOX_S3_CREDENTIALS_TTL``)."""
    value = os.environ.get(ENV_CREDENTIALS_TTL, "")
    return float(value) if value else DEFAULT_CREDENTIALS_TTL


def default_latency_ms() -> float:
    """Added latency per request in milliseconds (``$EARTHDATA_SANDBOX_LATENCY_MS``, default 0)."""
    value = os.environ.get(ENV_LATENCY, "").strip()
    try:
        latency = float(value) if value else 0.0
    except ValueError:
        raise ValueError(f"{ENV_LATENCY} must be a number of milliseconds, not {value!r}") from None
    if not 0 <= latency < 60_000:
        raise ValueError(f"{ENV_LATENCY}={latency:g} is outside 0..60000 ms")
    return latency


@dataclass(frozen=True)
class Ports:
    """The ports the sandbox actually bound."""

    proxy: int
    https: int
    s3: int
