"""Earthdata Login (``urs.earthdata.nasa.gov``): the user tokens API, the profile, and the token
check the other services use (FORMATS.md E).

One user exists (``config.EDL_USERNAME``/``EDL_PASSWORD``). Tokens look like EDL's (JWTs signed
with a key made at start), last 60 days, at most two per user, and are valid only while this
sandbox instance runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.config import EDL_HOST, EDL_PASSWORD, EDL_UID, EDL_USERNAME
from sandbox.httputil import basic_credentials, bearer_token, html_page, json_response, request_id

TOKEN_LIFETIME_S = 60 * 24 * 3600
MAX_TOKENS = 2
_BASIC_CHALLENGE = 'Basic realm="Please enter your Earthdata Login credentials"'
_HEADERS = {
    "Cache-Control": "no-store",
    "Expires": "Fri, 01 Jan 1990 00:00:00 GMT",
    "Pragma": "no-cache",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Strict-Transport-Security": "max-age=31536000",
    "Vary": "Accept",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "X-XSS-Protection": "1; mode=block",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Token:
    """An issued user token."""

    access_token: str
    uid: str
    expires: float

    def as_json(self) -> dict[str, str]:
        """The API's form: ``access_token``, ``token_type``, ``expiration_date`` (MM/DD/YYYY)."""
        expiration = datetime.fromtimestamp(self.expires, UTC).strftime("%m/%d/%Y")
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expiration_date": expiration,
        }


class TokenStore:
    """Issued tokens, shared by Earthdata Login, CMR and the DAACs (thread safe)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def _new(self, uid: str) -> Token:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "HS256", "origin": "Earthdata Login (sandbox)"}
        payload = {
            "type": "User",
            "uid": uid,
            "exp": now + TOKEN_LIFETIME_S,
            "iat": now,
            "iss": f"https://{EDL_HOST}",
            "jti": secrets.token_hex(8),
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return Token(f"{signing_input}.{_b64(signature)}", uid, float(payload["exp"]))

    def _live(self, uid: str) -> list[Token]:
        now = time.time()
        return [t for t in self._tokens.values() if t.uid == uid and t.expires > now]

    def list(self, uid: str) -> list[Token]:
        """The user's unexpired tokens."""
        with self._lock:
            return self._live(uid)

    def create(self, uid: str) -> Token | None:
        """A new token, or None when the user already holds the maximum."""
        with self._lock:
            if len(self._live(uid)) >= MAX_TOKENS:
                return None
            token = self._new(uid)
            self._tokens[token.access_token] = token
            return token

    def find_or_create(self, uid: str) -> Token:
        """The user's newest unexpired token, or a new one."""
        with self._lock:
            live = self._live(uid)
            if live:
                return max(live, key=lambda t: t.expires)
            token = self._new(uid)
            self._tokens[token.access_token] = token
            return token

    def revoke(self, uid: str, access_token: str) -> bool:
        """Forget one of the user's tokens."""
        with self._lock:
            token = self._tokens.get(access_token)
            if token is None or token.uid != uid:
                return False
            del self._tokens[access_token]
            return True

    def issue_with_lifetime(self, uid: str, lifetime_s: float) -> Token:
        """A token with a chosen lifetime (negative: already expired), beyond the two-token limit
        (for administration and expiry tests)."""
        with self._lock:
            token = self._new(uid)
            token = Token(token.access_token, uid, time.time() + lifetime_s)
            self._tokens[token.access_token] = token
            return token

    def user_of(self, access_token: str | None) -> str | None:
        """The uid of a valid (issued, unexpired, unrevoked) token, else None."""
        if not access_token:
            return None
        with self._lock:
            token = self._tokens.get(access_token)
        if token is None or token.expires <= time.time():
            return None
        return token.uid


class EarthdataLogin:
    """The WSGI app of ``urs.earthdata.nasa.gov``."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self.url_map = Map(
            [
                Rule(
                    "/api/users/find_or_create_token", endpoint="find_or_create", methods=["POST"]
                ),
                Rule("/api/users/token", endpoint="create", methods=["POST"]),
                Rule("/api/users/tokens", endpoint="list", methods=["GET"]),
                Rule("/api/users/revoke_token", endpoint="revoke", methods=["POST"]),
                Rule("/api/users/<uid>", endpoint="user", methods=["GET"]),
                Rule("/profile", endpoint="profile", methods=["GET"]),
                Rule("/home", endpoint="home", methods=["GET"]),
                Rule("/", endpoint="home", methods=["GET"]),
            ]
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except Exception:  # NotFound / MethodNotAllowed
            response = json_response({"error": "not_found"}, status=404)
        else:
            response = getattr(self, f"_{endpoint}")(request, **args)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = request_id()
        response.headers["X-Runtime"] = "0.001"
        response.headers.setdefault("ETag", f'W/"{hashlib.md5(response.get_data()).hexdigest()}"')
        return response(environ, start_response)

    def _authenticate(self, request: Request) -> str | Response:
        credentials = basic_credentials(request)
        if credentials is None:
            return json_response(
                {"error": "unauthorized", "error_description": "Authentication required"},
                status=401,
                headers={"WWW-Authenticate": _BASIC_CHALLENGE},
            )
        username, password = credentials
        if not (
            hmac.compare_digest(username, EDL_USERNAME)
            and hmac.compare_digest(password, EDL_PASSWORD)
        ):
            return json_response(
                {"error": "invalid_credentials", "error_description": "Invalid user credentials"},
                status=401,
            )
        return EDL_UID

    def _find_or_create(self, request: Request) -> Response:
        uid = self._authenticate(request)
        if isinstance(uid, Response):
            return uid
        return json_response(self.tokens.find_or_create(uid).as_json())

    def _create(self, request: Request) -> Response:
        uid = self._authenticate(request)
        if isinstance(uid, Response):
            return uid
        token = self.tokens.create(uid)
        if token is None:
            return json_response(
                {
                    "error": "max_token_limit",
                    "error_description": f"Max tokens ({MAX_TOKENS}) reached for user",
                },
                status=403,
            )
        return json_response(token.as_json())

    def _list(self, request: Request) -> Response:
        uid = self._authenticate(request)
        if isinstance(uid, Response):
            return uid
        return json_response([t.as_json() for t in self.tokens.list(uid)])

    def _revoke(self, request: Request) -> Response:
        uid = self._authenticate(request)
        if isinstance(uid, Response):
            return uid
        token = request.args.get("token") or request.form.get("token", "")
        if not self.tokens.revoke(uid, token):
            return json_response(
                {"error": "token_not_found", "error_description": "Token was not found"}, status=404
            )
        return json_response({})

    def _user(self, request: Request, uid: str) -> Response:
        owner = self.tokens.user_of(bearer_token(request))
        if owner is None:
            return json_response(
                {"error": "invalid_token", "error_description": "The token is not valid"},
                status=401,
            )
        if owner != uid:
            return json_response(
                {"error": "forbidden", "error_description": f"No access to user {uid}"}, status=403
            )
        return json_response(
            {
                "uid": uid,
                "first_name": "Sandbox",
                "last_name": "Learner",
                "email_address": "learner@sandbox.invalid",
                "registered_date": " 1 Jan 2024 00:00:00AM",
                "country": "United States",
                "study_area": "Other",
                "allow_auth_app_emails": False,
                "user_type": "Application",
                "affiliation": "Education",
                "agreed_to_meris_eula": False,
                "agreed_to_sentinel_eula": False,
                "email_verified": True,
                "user_groups": [],
                "user_authorized_apps": 0,
                "nams_auid": uid,
            }
        )

    def _profile(self, request: Request) -> Response:
        response = Response("", status=302, content_type="text/html; charset=utf-8")
        response.headers["Location"] = f"https://{EDL_HOST}/home"
        return response

    def _home(self, request: Request) -> Response:
        return html_page(
            "Earthdata Login (sandbox)",
            "<p>The offline Earthdata sandbox stands in for Earthdata Login here.</p>",
        )
