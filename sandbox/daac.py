"""The DAACs: ``/s3credentials`` on the cloud hosts, and the granule files over HTTPS.

Files are served at their real paths on their real host (reached through the proxy) and on
``localhost:<port>`` (where the CMR records' "GET DATA" links point), with HEAD, ``Range`` and
206. Protected files need a valid Earthdata Login Bearer token, as at the real DAACs (which also
accept a Basic-auth / OAuth redirect dance the sandbox leaves out).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from sandbox.catalog.build import Catalog
from sandbox.catalog.locations import DAACS, Daac
from sandbox.catalog.records import mime_type
from sandbox.config import LOCAL_HOSTS
from sandbox.credentials import CredentialStore
from sandbox.edl import TokenStore
from sandbox.httputil import bearer_token, html_page, json_response

_UNAUTHORIZED = (
    "Unauthorized: this Earthdata sandbox DAAC needs an Earthdata Login token "
    "('Authorization: Bearer <token>', as earthaccess sends after earthaccess.login())."
)


def host_name(request: Request) -> str:
    """The request's host name without port (``[::1]`` becomes ``::1``)."""
    host = request.host.lower()
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class DaacApp:
    """Answers every DAAC host and ``localhost``."""

    def __init__(self, catalog: Catalog, tokens: TokenStore, credentials: CredentialStore) -> None:
        self.catalog = catalog
        self.tokens = tokens
        self.credentials = credentials
        self._daacs: dict[str, Daac] = {daac.host: daac for daac in DAACS}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The response to one request."""
        host = host_name(request)
        daac = self._daacs.get(host)
        if request.method not in ("GET", "HEAD"):
            return json_response({"error": f"{request.method} is not allowed here"}, status=405)
        if daac is not None and request.path == "/s3credentials":
            return self._s3credentials(request, daac)
        if daac is not None and request.path == "/s3credentialsREADME":
            url = daac.credentials_documentation
            return html_page(
                self.catalog.pages[url],
                "<p>GET <code>/s3credentials</code> with an Earthdata Login Bearer token returns "
                "temporary keys (accessKeyId, secretAccessKey, sessionToken, expiration) for "
                "direct S3 reads from us-west-2. They expire after an hour.</p>",
            )
        served = self.catalog.files.get(request.path)
        if served is None or (host != served.host and host not in LOCAL_HOSTS):
            return json_response({"error": f"Not Found: {request.path}"}, status=404)
        if served.protected and self.tokens.user_of(bearer_token(request)) is None:
            return json_response({"error": _UNAUTHORIZED}, status=401)
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

    def _s3credentials(self, request: Request, daac: Daac) -> Response:
        if self.tokens.user_of(bearer_token(request)) is None:
            return json_response({"error": _UNAUTHORIZED}, status=401)
        issued = self.credentials.issue(daac.buckets)
        return json_response(issued.as_json(), headers={"Cache-Control": "no-store"})
