"""The DAACs: ``/s3credentials`` and the granule files, behind Earthdata Login as NASA's are.

The cloud hosts (``data.nsidc.earthdatacloud.nasa.gov``, ``archive.podaac.earthdata.nasa.gov``)
behave as the Thin Egress App (TEA, ``src/thin_egress_app/app.py`` at
519d87dd978a669f259d074f56dc53df88108a80, with rain-api-core at
aa9ec665faf5f63c7f7d98a5dadf6fe98a49ba2c; a PO.DAAC response recorded 2025-11-08 in
earthaccess-dev/earthaccess issue #1107):

- a protected file or ``/s3credentials`` without a valid ``asf-urs`` cookie or Bearer token:
  ``302`` to ``https://urs.earthdata.nasa.gov/oauth/authorize?client_id=<app>&response_type=code
  &redirect_uri=https://<host>/login&state=<quote_plus(path)>``, plus ``&app_type=401`` when the
  User-Agent does not start with ``Mozilla``; Basic credentials sent to the DAAC count as none;
- ``/login?code=...&state=...``: the code is exchanged with Earthdata Login (``POST
  /oauth/token``, called in-process), then ``301`` to ``state`` with the ``asf-urs`` cookie;
  no params, ``error=...`` or no ``code``: 400 (401 for ``error=access_denied``); a code EDL
  refuses: 400 "There was a problem talking to URS Login";
- ``Authorization: Bearer <EDL token>``: the token's ``uid`` is read without checking the
  signature, EDL's ``/api/users/<uid>`` is asked with the token (in-process); a token that is not
  a JWT goes to EDL like no token, one EDL refuses gets EDL's status and body; success sets the
  cookie as well; a header that does not split in two is ``400 Malformed Authorization header``;
- a file request that passes (any public file, or a protected one with a session): ``303 See
  Other`` to a presigned ``https://<bucket>.s3.us-west-2.amazonaws.com/<key>?...`` URL (served by
  the sandbox's S3 gate on the HTTPS app), with ``Cache-Control: private, max-age=<expiry-60>``
  and the request's ``Range`` echoed; ``HEAD`` is answered ``303`` to a presigned HEAD URL
  without any authentication (TEA's ``dynamic_url_head``); TEA never sends the bytes itself.

The on-premises ECS host (``n5eil01u.ecs.nsidc.org``, Apache with NASA's URS module) sends
clients to Earthdata Login the same way but with ``app_type=401`` first, ``redirect_uri``
``https://n5eil01u.ecs.nsidc.org/OPS/redirect`` (URL-encoded) and ``state`` the base64 of the
whole URL (a response recorded in 2021 in datalad/datalad issue #5846); after the code
exchange it sets its own session cookie and redirects (302) to that URL, and serves the bytes
itself (HEAD and ``Range`` too); it also accepts a Bearer token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from sandbox.catalog.build import Catalog
from sandbox.catalog.locations import DAACS, Daac, ServedFile
from sandbox.catalog.records import mime_type
from sandbox.config import EDL_HOST, NSIDC_ECS_HOST
from sandbox.credentials import CredentialStore
from sandbox.edl import OAuthApp, OAuthServer, TokenStore, user_record
from sandbox.httputil import basic_credentials, html_page, json_response
from sandbox.tea import DownloadRole, SessionCookies, presigned_url, unverified_claims

ECS_COOKIE_NAME = "urs-ecs-session"
"""The sandbox's name for the ECS session cookie (the real one is not established)."""


def host_name(request: Request) -> str:
    """The request's host name without port (``[::1]`` becomes ``::1``)."""
    host = request.host.lower()
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class Site:
    """One DAAC host: its Earthdata Login application, its cloud DAAC (None: on premises)."""

    host: str
    app: OAuthApp
    daac: Daac | None
    cookies: SessionCookies

    @property
    def login_path(self) -> str:
        """Where Earthdata Login sends the code back."""
        return "/login" if self.daac is not None else "/OPS/redirect"


class DaacApp:
    """Answers every DAAC host."""

    def __init__(
        self,
        catalog: Catalog,
        tokens: TokenStore,
        credentials: CredentialStore,
        oauth: OAuthServer,
    ) -> None:
        self.catalog = catalog
        self.tokens = tokens
        self.credentials = credentials
        self.oauth = oauth
        tea_cookies = SessionCookies()
        self.sites: dict[str, Site] = {}
        for daac in DAACS:
            app = oauth.register(f"{daac.name} TEA", f"https://{daac.host}/login")
            self.sites[daac.host] = Site(daac.host, app, daac, tea_cookies)
        ecs_app = oauth.register("NSIDC ECS", f"https://{NSIDC_ECS_HOST}/OPS/redirect")
        self.sites[NSIDC_ECS_HOST] = Site(
            NSIDC_ECS_HOST, ecs_app, None, SessionCookies(name=ECS_COOKIE_NAME)
        )
        self.roles = {daac.host: DownloadRole(credentials, daac.buckets) for daac in DAACS}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The response to one request."""
        host = host_name(request)
        if request.method not in ("GET", "HEAD"):
            return json_response({"error": f"{request.method} is not allowed here"}, status=405)
        served = self.catalog.files.get(request.path)
        site = self.sites.get(host)
        if site is None:
            return _not_found()
        if request.path == site.login_path:
            return self._login(request, site)
        if site.daac is not None:
            if request.path == "/s3credentials":
                return self._s3credentials(request, site, site.daac)
            if request.path == "/s3credentialsREADME":
                return self._readme(site.daac)
            if request.path == "/logout":
                response = html_page("Logged Out", "<p>You are logged out.</p>")
                response.headers["Set-Cookie"] = site.cookies.logout_cookie()
                return response
            if request.path == "/profile":
                return Response("Profile not available.", content_type="text/plain")
        if served is None or served.host != site.host:
            return _not_found()
        if site.daac is None:
            return self._on_premises_file(request, site, served)
        return self._tea_file(request, site, served)

    # ---------------------------------------------------------------- authentication

    def _to_edl(self, request: Request, site: Site) -> Response:
        """TEA's ``do_auth_and_return`` (or the URS module's redirect, on premises)."""
        app = site.app
        if site.daac is None:
            state = base64.b64encode(request.url.encode()).decode()
            location = (
                f"https://{EDL_HOST}/oauth/authorize?app_type=401&client_id={app.client_id}"
                f"&response_type=code&redirect_uri={quote(app.redirect_uri, safe='')}"
                f"&state={quote(state, safe='')}"
            )
            response = Response("", status=302, content_type="text/html; charset=iso-8859-1")
        else:
            location = (
                f"https://{EDL_HOST}/oauth/authorize?client_id={app.client_id}"
                f"&response_type=code&redirect_uri={app.redirect_uri}"
                f"&state={quote_plus(request.path)}"
            )
            user_agent = request.headers.get("User-Agent")
            if user_agent is not None and not user_agent.startswith("Mozilla"):
                location += "&app_type=401"
            response = Response("", status=302, content_type="application/json")
        response.headers["Location"] = location
        return response

    def _authorize(self, request: Request, site: Site) -> tuple[str | None, Response | None, str]:
        """TEA's ``RequestAuthorizer.get_profile``: (uid, failure response, Set-Cookie value)."""
        session = site.cookies.profile(request.headers.get("Cookie"))
        if session is not None:
            return str(session["urs-user-id"]), None, ""
        authorization = request.headers.get("Authorization")
        if not authorization:
            return None, self._to_edl(request, site), ""
        parts = authorization.split()
        if len(parts) < 2:
            body = {"status_code": 400, "error_description": "Malformed Authorization header"}
            return None, json_response(body, status=400), ""
        if parts[0].lower() != "bearer":
            return None, self._to_edl(request, site), ""  # "Basic" goes to EDL, as at TEA
        token = parts[1]
        claims = unverified_claims(token)
        if claims is None or "uid" not in claims:
            return None, self._to_edl(request, site), ""
        status, profile = user_record(self.tokens, str(claims["uid"]), token)
        if status != 200:
            return None, json_response(profile, status=status), ""
        return str(profile["uid"]), None, site.cookies.set_cookie(profile, token)

    def _login(self, request: Request, site: Site) -> Response:
        """TEA's ``/login`` (rain-api-core ``do_login``), or the URS module's ``/OPS/redirect``."""
        args = request.args
        if not args:
            return _could_not_login("No params", 400)
        if "error" in args:
            if args["error"] == "access_denied":
                return _could_not_login("Be sure to agree to the EULA.", 401)
            return _could_not_login(
                f'An error occurred while trying to log into URS. URS says: "{args["error"]}". ',
                400,
            )
        if "code" not in args:
            return _could_not_login("Did not get the required CODE from URS", 400)
        app = site.app
        status, token = self.oauth.exchange(
            (app.client_id, app.password),
            {
                "grant_type": "authorization_code",
                "code": args["code"],
                "redirect_uri": app.redirect_uri,
            },
        )
        if status != 200:
            return _could_not_login("There was a problem talking to URS Login", 400)
        uid = str(token["endpoint"]).rsplit("/", 1)[-1]
        access_token = str(token["access_token"])
        status, profile = user_record(self.tokens, uid, access_token)
        if status != 200:
            return _could_not_login("Could not get user profile from URS", 400)
        if site.daac is None:
            try:
                target = base64.b64decode(args.get("state", ""), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                target = f"https://{site.host}/"
            response = Response("", status=302, content_type="text/html; charset=iso-8859-1")
        else:
            target = args.get("state") or f"https://{site.host}/"
            response = Response("", status=301, content_type="application/json")
        response.headers["Location"] = target
        response.headers["Set-Cookie"] = site.cookies.set_cookie(profile, access_token)
        return response

    # ---------------------------------------------------------------- answers

    def _s3credentials(self, request: Request, site: Site, daac: Daac) -> Response:
        uid, failure, cookie = self._authorize(request, site)
        if failure is not None:
            return failure
        issued = self.credentials.issue(daac.buckets)
        response = json_response(issued.as_json(), headers={"Cache-Control": "no-store"})
        if cookie:
            response.headers["Set-Cookie"] = cookie
        return response

    def _readme(self, daac: Daac) -> Response:
        return html_page(
            self.catalog.pages[daac.credentials_documentation],
            "<p>GET <code>/s3credentials</code> with an Earthdata Login Bearer token (or the "
            "session cookie of a login) returns temporary keys (accessKeyId, secretAccessKey, "
            "sessionToken, expiration) for direct S3 reads from us-west-2. They expire after an "
            "hour.</p>",
        )

    def _tea_file(self, request: Request, site: Site, served: ServedFile) -> Response:
        assert served.s3_bucket and served.s3_key
        uid: str | None = None
        cookie = ""
        if request.method == "GET":
            if served.protected:
                uid, failure, cookie = self._authorize(request, site)
                if failure is not None:
                    return failure
            else:
                session = site.cookies.profile(request.headers.get("Cookie"))
                uid = str(session["urs-user-id"]) if session else None
        credentials, offset = self.roles[site.host].credentials()
        expires_in = 3600 - offset
        url = presigned_url(
            credentials, served.s3_bucket, served.s3_key, expires_in, uid, request.method
        )
        response = Response("", status=303, content_type="application/json")
        response.headers["Location"] = url
        if request.method == "GET":
            response.headers["Cache-Control"] = f"private, max-age={expires_in - 60}"
            if "Range" in request.headers:
                response.headers["Range"] = request.headers["Range"]
            if cookie:
                response.headers["Set-Cookie"] = cookie
        return response

    def _on_premises_file(self, request: Request, site: Site, served: ServedFile) -> Response:
        if served.protected:
            session = site.cookies.profile(request.headers.get("Cookie"))
            if session is None:
                authorization = request.headers.get("Authorization", "")
                token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
                if not token or basic_credentials(request) is not None:
                    return self._to_edl(request, site)
                if self.tokens.user_of(token) is None:
                    return json_response(
                        {"error": "invalid_token", "error_description": "The token is not valid"},
                        status=401,
                    )
        return _file_response(request, served)


def _file_response(request: Request, served: ServedFile) -> Response:
    response: Response
    if isinstance(served.source, Path):
        response = send_file(
            served.source,
            request.environ,
            mimetype=mime_type(served.name),
            conditional=True,
            etag=served.md5 or True,
            max_age=None,
        )
    else:
        response = Response(served.source, mimetype=mime_type(served.name))
        response.set_etag(served.md5 or "companion")
        response = response.make_conditional(
            request, accept_ranges=True, complete_length=len(served.source)
        )
    response.headers["Accept-Ranges"] = "bytes"
    return response


def _could_not_login(message: str, status: int) -> Response:
    return html_page("Could Not Login", f"<p>{message}</p>", status=status)


def _not_found() -> Response:
    return html_page("File not found", "<p>File not found</p>", status=404)
