"""Where the DAACs keep each granule file: HTTPS paths, S3 buckets and keys, credential endpoints.

The paths and host names are the real ones; the sandbox serves them on the real host names, through
its proxy or, for clients that ignore proxies (earthaccess's HTTPS reader: aiohttp with
``trust_env=False``), through the name resolution its processes get (``sandbox/resolver.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sandbox.config import (
    NSIDC_BUCKETS,
    NSIDC_CLOUD_HOST,
    NSIDC_ECS_HOST,
    PODAAC_BUCKETS,
    PODAAC_HOST,
)
from sandbox.granules.model import Granule


@dataclass(frozen=True)
class Daac:
    """A DAAC's cloud distribution: its host, its buckets, its ``/s3credentials`` endpoint."""

    name: str
    host: str
    buckets: tuple[str, ...]

    @property
    def credentials_endpoint(self) -> str:
        """The ``/s3credentials`` URL earthaccess and the granule records name."""
        return f"https://{self.host}/s3credentials"

    @property
    def credentials_documentation(self) -> str:
        """The ``/s3credentialsREADME`` URL of the collection records."""
        return f"https://{self.host}/s3credentialsREADME"


NSIDC = Daac("NSIDC", NSIDC_CLOUD_HOST, NSIDC_BUCKETS)
PODAAC = Daac("PODAAC", PODAAC_HOST, PODAAC_BUCKETS)
DAACS: tuple[Daac, ...] = (NSIDC, PODAAC)
CLOUD_PROVIDERS: dict[str, Daac] = {"NSIDC_CPRD": NSIDC, "POCLOUD": PODAAC}
ON_PREMISES_PROVIDERS: frozenset[str] = frozenset({"NSIDC_ECS"})


@dataclass(frozen=True)
class ServedFile:
    """One file of one granule record as a DAAC serves it."""

    name: str
    host: str
    """The real HTTPS host of the DAAC that serves ``path``."""
    path: str
    """URL path (starting with ``/``) on ``host``."""
    s3_bucket: str | None
    s3_key: str | None
    protected: bool
    """Whether reading needs Earthdata Login (public-bucket files do not)."""
    source: Path | bytes
    """The file on disk, or the bytes of a small generated companion (``.md5``)."""
    size: int
    md5: str | None

    @property
    def s3_url(self) -> str | None:
        """``s3://bucket/key``, or None for on-premises files."""
        return f"s3://{self.s3_bucket}/{self.s3_key}" if self.s3_bucket else None


def _md5_companion(granule: Granule) -> bytes:
    return f"{granule.md5}  {granule.name}\n".encode()


def served_files(granule: Granule, provider: str) -> list[ServedFile]:
    """The files a provider's record of ``granule`` links to: the data file first."""
    day = granule.begin
    if provider == "NSIDC_CPRD":
        key = (
            f"ATLAS/{granule.short_name}/{granule.version}/"
            f"{day:%Y}/{day:%m}/{day:%d}/{granule.name}"
        )
        bucket = NSIDC.buckets[0]
        return [
            ServedFile(
                granule.name,
                NSIDC.host,
                f"/{bucket}/{key}",
                bucket,
                key,
                True,
                granule.path,
                granule.size,
                granule.md5,
            )
        ]
    if provider == "NSIDC_ECS":
        path = f"/DP9/ATLAS/{granule.short_name}.{granule.version}/{day:%Y.%m.%d}/{granule.name}"
        return [
            ServedFile(
                granule.name,
                NSIDC_ECS_HOST,
                path,
                None,
                None,
                True,
                granule.path,
                granule.size,
                granule.md5,
            )
        ]
    if provider == "POCLOUD":
        key = f"{granule.short_name}/{granule.name}"
        protected, public = PODAAC.buckets
        companion = _md5_companion(granule)
        return [
            ServedFile(
                granule.name,
                PODAAC.host,
                f"/{protected}/{key}",
                protected,
                key,
                True,
                granule.path,
                granule.size,
                granule.md5,
            ),
            ServedFile(
                f"{granule.name}.md5",
                PODAAC.host,
                f"/{public}/{key}.md5",
                public,
                f"{key}.md5",
                False,
                companion,
                len(companion),
                hashlib.md5(companion).hexdigest(),
            ),
        ]
    raise ValueError(
        f"granule {granule.name} names provider {provider!r}; the sandbox knows NSIDC_ECS, "
        "NSIDC_CPRD and POCLOUD"
    )
