"""Earthdata Login (``urs.earthdata.nasa.gov``): the user tokens API, the profile, the token
check the other services use (FORMATS.md E), and the OAuth 2 authorization-code grant the DAACs
send unauthenticated clients through (``/oauth/authorize``, ``/oauth/token``).

One user exists (``config.EDL_USERNAME``/``EDL_PASSWORD``). Tokens look like EDL's (JWTs signed
with a key made at start), last 60 days, at most two per user, and are valid only while this
sandbox instance runs. OAuth access tokens (from a code) last an hour and do not count against
the two user tokens.

``/oauth/authorize`` (EDL's SSO client documentation, https://urs.earthdata.nasa.gov/sso_client_impl;
with scripts: the response recorded 2025-11-08 in earthaccess-dev/earthaccess issue #1107, and
clients such as ASF's hyp3-sdk that send Basic credentials there): with valid
Basic credentials it redirects (302) to the application's ``redirect_uri`` with ``code`` and the
``state`` unchanged; without them it answers ``app_type=401`` clients 401 with a Basic challenge,
and everyone else a login page. The sandbox's user has authorized every DAAC application already.
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
from urllib.parse import quote, urlencode
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.config import EDL_HOST, EDL_PASSWORD, EDL_UID, EDL_USERNAME
from sandbox.httputil import basic_credentials, bearer_token, html_page, json_response, request_id

TOKEN_LIFETIME_S = 60 * 24 * 3600
MAX_TOKENS = 2
OAUTH_TOKEN_LIFETIME_S = 3600
OAUTH_CODE_LIFETIME_S = 600
"""RFC 6749 section 4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED"."""
_BASIC_CHALLENGE = 'Basic realm="Please enter your Earthdata Login credentials"'
AUTHORIZE_CHALLENGE = (
    'Basic realm="Please enter your Earthdata Login credentials. If you do not have a Earthdata '
    'Login, create one at https://urs.earthdata.nasa.gov//users/new"'
)
"""EDL's challenge on ``/oauth/authorize?...&app_type=401`` (the response recorded 2025-11-08 in
earthaccess-dev/earthaccess issue #1107)."""
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


def _is_the_user(username: str, password: str) -> bool:
    return hmac.compare_digest(username, EDL_USERNAME) and hmac.compare_digest(
        password, EDL_PASSWORD
    )


def _redirect(location: str, status: int = 302) -> Response:
    response = Response("", status=status, content_type="text/html; charset=utf-8")
    response.headers["Location"] = location
    return response


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
        self._oauth: dict[str, Token] = {}
        self._lock = threading.Lock()

    def _new(self, uid: str, kind: str = "User") -> Token:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "HS256", "origin": "Earthdata Login (sandbox)"}
        payload = {
            "type": kind,
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

    def issue_oauth(self, uid: str, lifetime_s: float = OAUTH_TOKEN_LIFETIME_S) -> Token:
        """An OAuth access token (what a code is exchanged for): not one of the user's tokens."""
        with self._lock:
            token = self._new(uid, kind="OAuth")
            token = Token(token.access_token, uid, time.time() + lifetime_s)
            self._oauth[token.access_token] = token
            return token

    def user_of(self, access_token: str | None) -> str | None:
        """The uid of a valid (issued, unexpired, unrevoked) user or OAuth token, else None."""
        if not access_token:
            return None
        with self._lock:
            token = self._tokens.get(access_token) or self._oauth.get(access_token)
        if token is None or token.expires <= time.time():
            return None
        return token.uid


@dataclass(frozen=True)
class OAuthApp:
    """An application registered with Earthdata Login (a DAAC's egress app): TEA's ``UrsId``
    (client id) and ``UrsAuth`` (``base64(client_id:password)``), and its redirect URI."""

    name: str
    client_id: str
    password: str
    redirect_uri: str

    @property
    def basic_auth(self) -> str:
        """TEA's ``UrsAuth``: the app's Basic credentials for ``POST /oauth/token``."""
        return base64.b64encode(f"{self.client_id}:{self.password}".encode()).decode()


@dataclass(frozen=True)
class _Code:
    app: OAuthApp
    uid: str
    redirect_uri: str
    expires: float


class OAuthServer:
    """The authorization-code grant: registered applications, issued codes (single use, ten
    minutes), and the code exchange that ``POST /oauth/token`` answers (the DAACs call
    :meth:`exchange` directly instead of over HTTP)."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens
        self._apps: dict[str, OAuthApp] = {}
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    def register(self, name: str, redirect_uri: str) -> OAuthApp:
        """A new application (client ids look like EDL's: 22 URL-safe characters)."""
        app = OAuthApp(name, _b64(secrets.token_bytes(16)), secrets.token_urlsafe(18), redirect_uri)
        with self._lock:
            self._apps[app.client_id] = app
        return app

    def app(self, client_id: str) -> OAuthApp | None:
        """The registered application with this client id."""
        with self._lock:
            return self._apps.get(client_id)

    def new_code(self, app: OAuthApp, uid: str, redirect_uri: str) -> str:
        """An authorization code for ``uid`` at ``app``."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            for stale in [c for c, v in self._codes.items() if v.expires < now]:
                del self._codes[stale]
            self._codes[code] = _Code(app, uid, redirect_uri, now + OAUTH_CODE_LIFETIME_S)
        return code

    def exchange(
        self, app_auth: tuple[str, str] | None, form: dict[str, str]
    ) -> tuple[int, dict[str, object]]:
        """``POST /oauth/token``: (status, JSON body). ``app_auth`` is the app's Basic
        (client_id, password); ``form`` has ``grant_type``, ``code`` and ``redirect_uri``."""
        app = self.app(app_auth[0]) if app_auth else None
        if app is None or not hmac.compare_digest(app.password, app_auth[1] if app_auth else ""):
            return 401, {"error": "invalid_client", "error_description": "Invalid client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "The Earthdata sandbox emulates only authorization_code",
            }
        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)
        if (
            issued is None
            or issued.expires < time.time()
            or issued.app != app
            or issued.redirect_uri != form.get("redirect_uri")
        ):
            return 400, {
                "error": "invalid_grant",
                "error_description": "Authorization code is invalid, used or expired",
            }
        token = self.tokens.issue_oauth(issued.uid)
        return 200, {
            "access_token": token.access_token,
            "token_type": "Bearer",
            "expires_in": OAUTH_TOKEN_LIFETIME_S,
            "refresh_token": secrets.token_urlsafe(24),
            "endpoint": f"/api/users/{issued.uid}",
        }


def user_record(tokens: TokenStore, uid: str, access_token: str | None) -> tuple[int, dict]:
    """``GET /api/users/<uid>`` with a Bearer token: (status, JSON body); what TEA asks EDL for
    a Bearer token's user (the DAACs call it directly)."""
    owner = tokens.user_of(access_token)
    if owner is None:
        return 401, {"error": "invalid_token", "error_description": "The token is not valid"}
    if owner != uid:
        return 403, {"error": "forbidden", "error_description": f"No access to user {uid}"}
    return 200, {
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


class EarthdataLogin:
    """The WSGI app of ``urs.earthdata.nasa.gov``."""

    def __init__(self, tokens: TokenStore, oauth: OAuthServer | None = None) -> None:
        self.tokens = tokens
        self.oauth = oauth or OAuthServer(tokens)
        self.url_map = Map(
            [
                Rule("/oauth/authorize", endpoint="authorize", methods=["GET"]),
                Rule("/oauth/token", endpoint="token", methods=["POST"]),
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
        if not _is_the_user(*credentials):
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
        status, body = user_record(self.tokens, uid, bearer_token(request))
        return json_response(body, status=status)

    def _authorize(self, request: Request) -> Response:
        args = request.args
        app = self.oauth.app(args.get("client_id", ""))
        if app is None or args.get("redirect_uri") != app.redirect_uri:
            return html_page(
                "Earthdata Login (sandbox)",
                "<p>The Earthdata sandbox knows no application with this client_id and "
                "redirect_uri: only the emulated DAACs' are registered here.</p>",
                status=400,
            )
        state = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") != "code":
            query = urlencode({"error": "unsupported_response_type", **state}, quote_via=quote)
            return _redirect(f"{app.redirect_uri}?{query}")
        credentials = basic_credentials(request)
        if credentials is None or not _is_the_user(*credentials):
            if args.get("app_type") == "401":
                return Response(
                    "HTTP Basic: Access denied.\n",
                    status=401,
                    content_type="text/html; charset=utf-8",
                    headers={"WWW-Authenticate": AUTHORIZE_CHALLENGE},
                )
            return html_page(
                "Earthdata Login (sandbox)",
                "<p>Sign in to Earthdata Login: the Earthdata sandbox takes the sandbox user's "
                "credentials as HTTP Basic authentication here (no login form).</p>",
            )
        code = self.oauth.new_code(app, EDL_UID, app.redirect_uri)
        query = urlencode({"code": code, **state}, quote_via=quote)
        return _redirect(f"{app.redirect_uri}?{query}")

    def _token(self, request: Request) -> Response:
        credentials = basic_credentials(request)
        if credentials is None and "client_id" in request.form:
            credentials = (request.form["client_id"], request.form.get("client_secret", ""))
        status, body = self.oauth.exchange(credentials, request.form.to_dict())
        return json_response(body, status=status)

    def _profile(self, request: Request) -> Response:
        return _redirect(f"https://{EDL_HOST}/home")

    def _home(self, request: Request) -> Response:
        return html_page(
            "Earthdata Login (sandbox)",
            "<p>The offline Earthdata sandbox stands in for Earthdata Login here.</p>",
        )
