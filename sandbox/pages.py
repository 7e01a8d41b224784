"""Stand-in web pages: the DAACs' landing pages that records link to, and the status service."""

from __future__ import annotations

from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from sandbox.catalog.build import Catalog
from sandbox.daac import host_name
from sandbox.httputil import html_page, json_response


class LandingPages:
    """Serves exactly the pages the catalog's records link to (``catalog.pages``)."""

    def __init__(self, catalog: Catalog) -> None:
        self.pages = {url.rstrip("/"): title for url, title in catalog.pages.items()}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        url = f"https://{host_name(request)}{request.path}".rstrip("/")
        title = self.pages.get(url)
        if title is None:
            response: Response = html_page("Not Found", "<p>No such sandbox page.</p>", 404)
        else:
            response = html_page(
                title,
                "<p>A stand-in page of the offline Earthdata sandbox. The real page describes the "
                "data set; the sandbox's granules of it are synthetic practice data.</p>",
            )
        return response(environ, start_response)


def status_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """``status.earthdata.nasa.gov``: every service OK (``/api/v1/statuses``)."""
    request = Request(environ)
    if request.path.rstrip("/") == "/api/v1/statuses":
        response = json_response(
            {
                "success": True,
                "statuses": [
                    {"name": "Earthdata Login", "status": "OK"},
                    {"name": "Common Metadata Repository", "status": "OK"},
                    {"name": "Earthdata Search", "status": "OK"},
                ],
            }
        )
    else:
        response = html_page("Earthdata Status (sandbox)", "<p>All services are OK.</p>")
    return response(environ, start_response)
