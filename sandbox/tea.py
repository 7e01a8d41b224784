"""What the DAACs' Thin Egress App (TEA) adds to Earthdata Login: its session cookie, and the
presigned S3 URLs it redirects downloads to.

Sources (TEA ``src/thin_egress_app/app.py`` at 519d87dd978a669f259d074f56dc53df88108a80,
rain-api-core ``rain_api_core/auth.py`` and ``egress_util.py`` at
aa9ec665faf5f63c7f7d98a5dadf6fe98a49ba2c):

- the cookie is ``asf-urs`` (``JWT_COOKIENAME``'s default), an RS256 JWT of the user's profile
  (``urs-user-id``, ``first_name``, ``last_name``, ``email``, ``urs-access-token``,
  ``urs-groups``, ``iat``, ``exp``) lasting ``SESSION_TTL_HRS`` (24 h by default), set as
  ``asf-urs=<jwt>; Expires=<RFC 7231 date>; Path=/`` with no other attribute; a cookie that
  does not verify or has expired counts as no cookie;
- presigned URLs are ``https://<bucket>.s3.<region>.amazonaws.com/<key>?A-userid=<uid>&X-Amz-...``
  (SigV4 query signing, ``X-Amz-SignedHeaders=host``), valid for ``3600 - offset`` seconds, where
  offset is the age of the download role's cached credentials.

The sandbox signs its cookies with a key made at start (one for every DAAC of the instance) and
its URLs with credentials of its own :class:`~sandbox.credentials.CredentialStore`, which the S3
gate accepts from any region.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote, quote_plus
from wsgiref.handlers import format_date_time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.config import S3_REGION_HOST
from sandbox.credentials import CredentialStore, S3Credentials

COOKIE_NAME = "asf-urs"
SESSION_TTL_S = 24 * 3600
ROLE_CREDENTIALS_TTL_S = 3600
ROLE_CREDENTIALS_REUSE_S = 50 * 60
"""How long the download role's credentials are reused (so URLs last 600-3600 s)."""
REGION = "us-west-2"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unverified_claims(token: str) -> dict[str, Any] | None:
    """A JWT's payload without checking its signature (TEA's first look at a Bearer token:
    ``jwt.decode(token, options={"verify_signature": False})``), or None if it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_unb64(parts[1]))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


class SessionCookies:
    """TEA's ``asf-urs`` cookies: an RS256 JWT of the profile, checked on every request."""

    def __init__(self, name: str = COOKIE_NAME, ttl_s: int = SESSION_TTL_S) -> None:
        self.name = name
        self.ttl_s = ttl_s
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def _sign(self, payload: dict[str, Any]) -> str:
        header = _b64(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        signature = self._key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    def set_cookie(self, profile: dict[str, Any], access_token: str) -> str:
        """The ``Set-Cookie`` value for a user's profile (as EDL's ``/api/users/<uid>`` gives
        it) and their access token."""
        now = int(time.time())
        payload = {
            "urs-user-id": profile["uid"],
            "first_name": profile.get("first_name"),
            "last_name": profile.get("last_name"),
            "email": profile.get("email_address"),
            "urs-access-token": access_token,
            "urs-groups": profile.get("user_groups", []),
            "iat": now,
            "exp": now + self.ttl_s,
        }
        expires = format_date_time(payload["exp"])
        return f"{self.name}={self._sign(payload)}; Expires={expires}; Path=/"

    def logout_cookie(self) -> str:
        """The ``Set-Cookie`` value that ends the session (TEA's ``/logout``)."""
        return f"{self.name}=expired; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/"

    def profile(self, cookie_header: str | None) -> dict[str, Any] | None:
        """The payload of a valid, unexpired session cookie in a ``Cookie`` header, else None."""
        if not cookie_header:
            return None
        jar = SimpleCookie()
        try:
            jar.load(cookie_header)
        except CookieError:
            return None
        morsel = jar.get(self.name)
        if morsel is None:
            return None
        parts = morsel.value.split(".")
        if len(parts) != 3:
            return None
        try:
            self._key.public_key().verify(
                _unb64(parts[2]),
                f"{parts[0]}.{parts[1]}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            payload = json.loads(_unb64(parts[1]))
        except (InvalidSignature, binascii.Error, ValueError):
            return None
        if not isinstance(payload, dict) or int(payload.get("exp", 0)) <= time.time():
            return None
        return payload


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def presigned_url(
    credentials: S3Credentials,
    bucket: str,
    key: str,
    expires_in: int,
    user_id: str | None,
    method: str = "GET",
    now: datetime | None = None,
) -> str:
    """A SigV4 query-signed URL of ``s3://bucket/key``, formed as rain-api-core's
    ``get_presigned_url`` forms it."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{stamp[:8]}/{REGION}/s3/aws4_request"
    host = f"{bucket}.{S3_REGION_HOST}"
    path = quote(key)
    query = "&".join(
        [
            f"A-userid={user_id}",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=" + quote_plus(f"{credentials.access_key_id}/{scope}"),
            f"X-Amz-Date={stamp}",
            f"X-Amz-Expires={expires_in}",
            "X-Amz-Security-Token=" + quote_plus(credentials.session_token),
            "X-Amz-SignedHeaders=host",
        ]
    )
    canonical = f"{method}\n/{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = f"AWS4{credentials.secret_access_key}".encode()
    for part in (stamp[:8], REGION, "s3", "aws4_request"):
        signing_key = _hmac(signing_key, part)
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"https://{host}/{path}?{query}&X-Amz-Signature={signature}"


@dataclass
class DownloadRole:
    """A DAAC's download role: credentials for its buckets, reused for 50 minutes, as TEA's
    ``get_role_creds`` caches them; returns them with their age (the ``offset``)."""

    store: CredentialStore
    buckets: tuple[str, ...]

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._current: tuple[S3Credentials, float] | None = None

    def credentials(self) -> tuple[S3Credentials, int]:
        """(credentials, their age in whole seconds)."""
        now = time.time()
        with self._lock:
            if self._current is None or now - self._current[1] > ROLE_CREDENTIALS_REUSE_S:
                issued = self.store.issue(self.buckets, ROLE_CREDENTIALS_TTL_S, anywhere=True)
                self._current = (issued, now)
            credentials, since = self._current
        return credentials, int(now - since)
