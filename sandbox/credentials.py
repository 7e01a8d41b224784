"""Temporary S3 credentials: issued by the DAACs' ``/s3credentials``, checked by the S3 gate.

Like the real ones they expire (one hour by default), and each DAAC's credentials open only that
DAAC's buckets. Expired credentials are kept for a day so the gate can say ``ExpiredToken`` rather
than ``InvalidAccessKeyId``.
"""

from __future__ import annotations

import enum
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_KEEP_EXPIRED_S = 24 * 3600


@dataclass(frozen=True)
class S3Credentials:
    """One set of temporary credentials."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires: float
    buckets: tuple[str, ...]
    anywhere: bool = False
    """Whether the buckets accept them from outside us-west-2: true only of the credentials a
    DAAC's egress app signs its presigned URLs with (TEA's download role), never of
    ``/s3credentials``' (which are for in-region direct access)."""

    def as_json(self) -> dict[str, str]:
        """The ``/s3credentials`` response body."""
        expiration = datetime.fromtimestamp(self.expires, UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
        return {
            "accessKeyId": self.access_key_id,
            "secretAccessKey": self.secret_access_key,
            "sessionToken": self.session_token,
            "expiration": expiration,
        }


class Verdict(enum.Enum):
    """What the gate concludes about a request's key id and session token."""

    VALID = "valid"
    UNKNOWN_KEY = "unknown key"
    BAD_TOKEN = "bad token"
    EXPIRED = "expired"


class CredentialStore:
    """Issued credentials (thread safe). ``ttl`` is their lifetime in seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        if ttl <= 0:
            raise ValueError(f"S3 credentials need a positive lifetime, not {ttl} s")
        self.ttl = ttl
        self._clock = clock
        self._issued: dict[str, S3Credentials] = {}
        self._lock = threading.Lock()

    def issue(
        self, buckets: tuple[str, ...], ttl: float | None = None, *, anywhere: bool = False
    ) -> S3Credentials:
        """New credentials for ``buckets``, valid for ``ttl`` (default: the store's) seconds;
        ``anywhere``: usable from outside us-west-2 too (a DAAC's own presigning credentials)."""
        now = self._clock()
        credentials = S3Credentials(
            access_key_id="ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16)),
            secret_access_key=secrets.token_urlsafe(30)[:40],
            session_token="FwoGZXIvYXdzE" + secrets.token_urlsafe(240),
            expires=now + (self.ttl if ttl is None else ttl),
            buckets=buckets,
            anywhere=anywhere,
        )
        with self._lock:
            for key in [k for k, c in self._issued.items() if c.expires < now - _KEEP_EXPIRED_S]:
                del self._issued[key]
            self._issued[credentials.access_key_id] = credentials
        return credentials

    def check(
        self, access_key_id: str | None, session_token: str | None
    ) -> tuple[Verdict, S3Credentials | None]:
        """Whether the pair belongs to issued, unexpired credentials."""
        with self._lock:
            credentials = self._issued.get(access_key_id or "")
        if credentials is None:
            return Verdict.UNKNOWN_KEY, None
        if not session_token or not secrets.compare_digest(
            session_token, credentials.session_token
        ):
            return Verdict.BAD_TOKEN, credentials
        if credentials.expires <= self._clock():
            return Verdict.EXPIRED, credentials
        return Verdict.VALID, credentials
