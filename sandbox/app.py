"""The HTTPS application: one WSGI app that routes each request by its ``Host`` to a service."""

from __future__ import annotations

from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request

from sandbox.catalog.build import Catalog
from sandbox.cmr.app import CmrApp
from sandbox.config import (
    CMR_HOST,
    EDL_HOST,
    NSIDC_CLOUD_HOST,
    NSIDC_ECS_HOST,
    NSIDC_WEB_HOST,
    PODAAC_HOST,
    PODAAC_WEB_HOST,
    S3_BUCKET_HOSTS,
    STATUS_HOST,
)
from sandbox.credentials import CredentialStore
from sandbox.daac import DaacApp, host_name
from sandbox.edl import EarthdataLogin, OAuthServer, TokenStore
from sandbox.faults import FaultInjector
from sandbox.httputil import json_response
from sandbox.pages import LandingPages, status_app
from sandbox.s3 import S3Gate, VirtualHostedS3
from sandbox.servers import WSGIApp


class HostDispatcher:
    """Routes by host name (the real NASA names only: ``localhost`` serves nothing)."""

    def __init__(self, routes: dict[str, WSGIApp]) -> None:
        self.routes = routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = host_name(Request(environ))
        app = self.routes.get(host)
        if app is None:
            response = json_response(
                {
                    "error": f"The Earthdata sandbox does not serve the host {host!r}: it "
                    "answers the real NASA host names only (https://<nasa host>/...)."
                },
                status=421,
            )
            return response(environ, start_response)
        return app(environ, start_response)


def build_https_app(
    catalog: Catalog,
    tokens: TokenStore,
    credentials: CredentialStore,
    s3: S3Gate,
    faults: FaultInjector | None = None,
) -> HostDispatcher:
    """The app behind the TLS server (and the proxy's tunnels); ``s3`` answers the buckets'
    virtual-hosted names, where the DAACs' presigned URLs point. With ``faults``, each service's
    app injects that profile's faults (``sandbox.faults``)."""
    oauth = OAuthServer(tokens)
    daac = DaacApp(catalog, tokens, credentials, oauth)
    pages = LandingPages(catalog)
    buckets = VirtualHostedS3(s3)
    dispatcher = HostDispatcher(
        {
            **dict.fromkeys(S3_BUCKET_HOSTS, buckets),
            EDL_HOST: EarthdataLogin(tokens, oauth),
            CMR_HOST: CmrApp(catalog, tokens),
            STATUS_HOST: status_app,
            NSIDC_CLOUD_HOST: daac,
            NSIDC_ECS_HOST: daac,
            PODAAC_HOST: daac,
            NSIDC_WEB_HOST: pages,
            PODAAC_WEB_HOST: pages,
        }
    )
    if faults is not None:
        dispatcher.routes = faults.wrap_routes(dispatcher.routes)
    return dispatcher
