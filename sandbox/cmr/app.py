"""The WSGI app of ``cmr.earthdata.nasa.gov``: collection and granule search, and concept lookup."""

from __future__ import annotations

import hashlib
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from sandbox.catalog.build import Catalog
from sandbox.catalog.collections import UMM_C_VERSION
from sandbox.catalog.records import UMM_G_VERSION, CollectionRecord, GranuleRecord
from sandbox.cmr import render
from sandbox.cmr.errors import CmrError
from sandbox.cmr.params import ConceptType, parse_query
from sandbox.cmr.search import search
from sandbox.edl import TokenStore
from sandbox.httputil import bearer_token, json_response, request_id

UMM_JSON_TYPE = "application/vnd.nasa.cmr.umm_results+json"
_EXPOSED = (
    "CMR-Hits, CMR-Request-Id, X-Request-Id, CMR-Scroll-Id, CMR-Search-After, CMR-Timed-Out, "
    "CMR-Shapefile-Original-Point-Count, CMR-Shapefile-Simplified-Point-Count"
)
_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": _EXPOSED,
    "Server": "ServerTokens ProductOnly",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "Vary": "Accept-Encoding, User-Agent",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "X-XSS-Protection": "1; mode=block",
}
_SERVED_FORMATS = ("xml", "json", "umm_json")
# common-lib/src/cmr/common/mime_types.clj (base-format->mime-type): URL extension -> MIME type
_MIME_BY_EXTENSION = {
    "json": "application/json",
    "umm_json": "application/vnd.nasa.cmr.umm+json",
    "umm_json_results": "application/vnd.nasa.cmr.umm_results+json",
    "legacy_umm_json": "application/vnd.nasa.cmr.legacy_umm_results+json",
    "timeline": "application/vnd.nasa.cmr.granule_timeline+json",
    "xml": "application/xml",
    "echo10": "application/echo10+xml",
    "iso_smap": "application/iso:smap+xml",
    "iso19115": "application/iso19115+xml",
    "iso": "application/iso19115+xml",
    "dif": "application/dif+xml",
    "dif10": "application/dif10+xml",
    "csv": "text/csv",
    "html": "text/html",
    "atom": "application/atom+xml",
    "kml": "application/vnd.google-earth.kml+xml",
    "opendata": "application/opendata+json",
    "stac": "application/json; profile=stac-catalogue",
    "native": "application/metadata+xml",
    "edn": "application/edn",
}
_FORMAT_BY_MIME = {mime: name for name, mime in _MIME_BY_EXTENSION.items() if name != "iso"}
# search-app/src/cmr/search/api/core.clj (search-result-supported-mime-types)
_SEARCH_MIME_TYPES = frozenset(
    {"*/*"}
    | {
        _MIME_BY_EXTENSION[name]
        for name in (
            "xml", "json", "umm_json", "umm_json_results", "legacy_umm_json", "echo10", "dif",
            "dif10", "atom", "iso19115", "opendata", "csv", "kml", "stac", "native",
        )
    }
)  # fmt: skip
_ALL_MIME_TYPES = frozenset(_MIME_BY_EXTENSION.values())
PUBLIC_ROOT = "https://cmr.earthdata.nasa.gov:443/search/"
"""CMR's ``application-public-root-url`` (as in the recorded feed ids, cmr-samples/atl03.json)."""


class CmrApp:
    """Answers ``/search/collections*``, ``/search/granules*`` and ``/search/concepts/<id>``."""

    def __init__(self, catalog: Catalog, tokens: TokenStore) -> None:
        self.catalog = catalog
        self.tokens = tokens
        self._collections = {c.concept_id: c for c in catalog.collections}
        self._concepts: dict[str, CollectionRecord | GranuleRecord] = {
            **self._collections,
            **{g.concept_id: g for g in catalog.granules},
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        started = environ["sandbox.started"] = time.monotonic()
        rid = request_id()
        try:
            response = self._dispatch(request)
        except CmrError as error:
            response = _error_response(request, error)
        took = max(1, int((time.monotonic() - started) * 1000))
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["CMR-Request-Id"] = rid
        response.headers["X-Request-Id"] = rid
        if response.status_code == 200 and "CMR-Hits" in response.headers:
            response.headers["CMR-Took"] = str(took)
        body = response.get_data()
        response.headers["Content-MD5"] = hashlib.md5(body).hexdigest()
        response.headers["Content-SHA1"] = hashlib.sha1(body).hexdigest()
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if not path.startswith("/search/"):
            raise CmrError(f"The resource [{request.path}] was not found.", status=404)
        resource = path[len("/search/") :]
        name, _, extension = resource.partition(".")
        if name.startswith("concepts/"):
            return self._concept(name[len("concepts/") :], extension)
        if name not in ("collections", "granules") or request.method not in ("GET", "POST"):
            raise CmrError(f"The resource [{request.path}] was not found.", status=404)
        result_format = _result_format(extension, request)
        if result_format not in _SERVED_FORMATS:
            raise CmrError(
                f"The sandbox's CMR serves the xml (references), json and umm_json result "
                f"formats; [{result_format}] is not available here."
            )
        self._check_token(request)
        items = list(request.args.items(multi=True))
        if request.method == "POST":
            items += list(request.form.items(multi=True))
        concept_type: ConceptType = name  # type: ignore[assignment]
        query = parse_query(concept_type, items)
        if query.token is not None and self.tokens.user_of(query.token) is None:
            raise CmrError("Token does not exist", status=401)
        page = search(self.catalog, query, request.headers.get("CMR-Search-After"))
        pretty = query.flags.get("pretty", False)
        if result_format == "umm_json":
            took = max(1, int((time.monotonic() - request.environ["sandbox.started"]) * 1000))
            payload: dict[str, Any] = {
                "hits": page.hits,
                "took": took,
                "items": [render.umm_item(r) for r in page.items],
            }
            version = UMM_C_VERSION if concept_type == "collections" else UMM_G_VERSION
            response = json_response(payload, pretty=pretty)
            response.headers["Content-Type"] = f"{UMM_JSON_TYPE};version={version}; charset=utf-8"
        elif result_format == "json":
            entries = [self._entry(r, query.flags) for r in page.items]
            feed_id = f"{PUBLIC_ROOT}{concept_type}.json"
            if request.query_string:
                feed_id += "?" + request.query_string.decode("latin-1")
            response = json_response(render.feed(entries, feed_id, concept_type), pretty=pretty)
        else:
            took = max(1, int((time.monotonic() - request.environ["sandbox.started"]) * 1000))
            body = render.references_xml(page.hits, took, page.items, PUBLIC_ROOT, pretty=pretty)
            response = Response(body, content_type="application/xml; charset=utf-8")
        response.headers["CMR-Hits"] = str(page.hits)
        if page.search_after is not None:
            response.headers["CMR-Search-After"] = json.dumps(page.search_after)
        return response

    def _entry(self, record: CollectionRecord | GranuleRecord, flags: dict[str, bool]) -> dict:
        if isinstance(record, GranuleRecord):
            return render.granule_entry(record, self._collections[record.collection.concept_id])
        return render.collection_entry(
            record,
            granule_counts=flags.get("include_granule_counts", False),
            has_granules=flags.get("include_has_granules", False),
        )

    def _concept(self, concept_id: str, extension: str) -> Response:
        record = self._concepts.get(concept_id)
        if record is None:
            raise CmrError(f"Concept with concept-id [{concept_id}] could not be found.", 404)
        if extension == "json":
            return json_response(self._entry(record, {}))
        if extension not in ("", "umm_json"):
            raise CmrError(
                f"The sandbox's CMR serves concepts as umm_json or json; [{extension}] is not "
                "available here."
            )
        response = json_response(record.umm)
        response.headers["Content-Type"] = "application/vnd.nasa.cmr.umm+json; charset=utf-8"
        return response

    def _check_token(self, request: Request) -> None:
        token = bearer_token(request)
        header = request.headers.get("Authorization")
        if header and token is None and not header.lower().startswith("bearer"):
            token = header.strip()  # CMR also takes a bare token in Authorization
        if token is not None and self.tokens.user_of(token) is None:
            raise CmrError("Token does not exist", status=401)


def escape(text: str) -> str:
    """hiccup's ``escape-html`` (``cmr.common.util/html-escape``): ``& < > "``."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _base_types(header: str) -> list[str]:
    """``extract-mime-types``: the base MIME types of a header, in order."""
    types = []
    for part in header.split(","):
        base, _, params = part.strip().partition(";")
        base = base.strip()
        if base == "application/json" and "profile=stac-catalogue" in params.replace(" ", ""):
            base = _MIME_BY_EXTENSION["stac"]
        types.append(base)
    return types


def _result_format(extension: str, request: Request) -> str:
    """The result format as ``get-search-results-format`` (search-app api/core.clj) finds it:
    the URL extension, else the first supported type of ``Accept`` (400 if it names none), else of
    ``Content-Type``, else CMR's default for searches, ``xml`` (references). ``*/*`` also means
    the default. A pinned UMM version (``umm_json_v1_6_6``) is served as the sandbox's one."""
    if extension:
        if (
            extension.startswith("umm_json_v")
            and extension[len("umm_json_v") :].replace("_", "").isdigit()
        ):
            return "umm_json"
        mime = _MIME_BY_EXTENSION.get(extension.replace("-", "_"))
        if mime not in _SEARCH_MIME_TYPES:
            raise CmrError(f"The URL extension [{escape(extension)}] is not supported.")
        found = _FORMAT_BY_MIME[mime]
        return "umm_json" if found == "umm_json_results" else found
    accept = request.headers.get("Accept")
    mime = None
    if accept is not None:
        mime = next((t for t in _base_types(accept) if t in _SEARCH_MIME_TYPES), None)
        if mime is None:
            raise CmrError(
                f"The mime types specified in the accept header [{escape(accept)}] are not "
                "supported."
            )
    if mime is None and (content_type := request.headers.get("Content-Type")):
        mime = next((t for t in _base_types(content_type) if t in _SEARCH_MIME_TYPES), None)
    if mime is None or mime == "*/*":
        return "xml"
    found = _FORMAT_BY_MIME[mime]
    return "umm_json" if found == "umm_json_results" else found  # api/core.clj: an alias


def _error_format(request: Request) -> str:
    """``handle-service-error``'s results format (common-lib api/errors.clj): the extension's
    MIME type, else the first known type of ``Accept`` (``*/*`` is none), else of
    ``Content-Type``, else XML (search-app routes.clj ``default-error-format``)."""
    last = request.path.rstrip("/").rsplit("/", 1)[-1]
    extension = last.partition(".")[2]
    if extension:
        if extension.startswith("umm_json_v"):
            return _MIME_BY_EXTENSION["umm_json"]
        if mime := _MIME_BY_EXTENSION.get(extension.replace("-", "_")):
            return mime
    for header in ("Accept", "Content-Type"):
        if value := request.headers.get(header):
            known = [t for t in _base_types(value) if t in _ALL_MIME_TYPES]
            if known:
                return known[0]
    return "application/xml"


def _error_response(request: Request, error: CmrError) -> Response:
    """CMR's error body: ``<errors><error>...`` for an XML format, else ``{"errors": [...]}``;
    Content-Type ``application/xml`` or ``application/json`` without a charset (errors.clj)."""
    if "xml" in _error_format(request):
        root = ET.Element("errors")
        for message in error.messages:
            ET.SubElement(root, "error").text = message
        body = '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")
        return Response(body, status=error.status, content_type="application/xml")
    response = json_response({"errors": error.messages}, status=error.status)
    response.headers["Content-Type"] = "application/json"
    return response
