"""The WSGI app of ``cmr.earthdata.nasa.gov``: collection and granule search, and concept lookup."""

from __future__ import annotations

import hashlib
import json
import time
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
_SERVED_FORMATS = ("json", "umm_json")


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
            response = json_response({"errors": error.messages}, status=error.status)
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
        result_format = extension or self._format_from_accept(request)
        if result_format.startswith("umm_json_v"):
            result_format = "umm_json"  # a pinned UMM version: the sandbox has one, the newest
        if result_format not in _SERVED_FORMATS:
            raise CmrError(
                f"The sandbox's CMR serves the json and umm_json result formats; "
                f"[{result_format}] is not available here."
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
        else:
            entries = [self._entry(r, query.flags) for r in page.items]
            response = json_response(render.feed(entries, request.url, concept_type), pretty=pretty)
            response.headers["Content-Type"] = "application/json;charset=utf-8"
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

    @staticmethod
    def _format_from_accept(request: Request) -> str:
        accept = request.headers.get("Accept", "")
        if UMM_JSON_TYPE in accept:
            return "umm_json"
        if "application/json" in accept:
            return "json"
        return "xml"

    def _check_token(self, request: Request) -> None:
        token = bearer_token(request)
        header = request.headers.get("Authorization")
        if header and token is None and not header.lower().startswith("bearer"):
            token = header.strip()  # CMR also takes a bare token in Authorization
        if token is not None and self.tokens.user_of(token) is None:
            raise CmrError("Token does not exist", status=401)
