"""GetObject and HeadObject of the granule files, answered from the files themselves.

moto's server application copies a whole object for every GET and handles one request at a time,
so the thousand small ranged reads of an HDF5 granule would take seconds each. :class:`FileObjects`
sits between the gate (:class:`sandbox.s3.S3Gate`, which has already checked the credentials) and
moto, and answers plain GET and HEAD of the objects whose source is a file as S3 does:

- 200 with the whole object, or for one ``Range`` (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``) 206
  with ``Content-Range``; a range starting past the end gets 416 ``InvalidRange``; a malformed
  range or several ranges get the whole object, as from S3;
- ``If-Match`` / ``If-Unmodified-Since`` (412 ``PreconditionFailed``) and ``If-None-Match`` /
  ``If-Modified-Since`` (304), with S3's precedence;
- the headers S3 sends (``ETag`` the file's MD5, ``Last-Modified`` the file's modification time,
  ``Content-Type: binary/octet-stream``, ``Accept-Ranges``, ``x-amz-request-id``); the body is read
  with ``os.pread`` in 1 MiB pieces as it is sent.

Every other request (listings, sub-resources such as ``?tagging``, objects held as bytes, unknown
keys) goes on to moto unchanged.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

from sandbox.catalog.locations import ServedFile
from sandbox.httputil import s3_error
from sandbox.servers import WSGIApp

CONTENT_TYPE = "binary/octet-stream"
"""What S3 (and moto) report for objects stored without a content type."""
PIECE = 1 << 20
"""Bytes read from disk and sent at a time."""
_SIGNING_PARAMETERS = frozenset(
    {"x-id", "awsaccesskeyid", "signature", "expires", "a-userid", "a-api-request-uuid"}
)
"""Query parameters (besides ``X-Amz-*``) that do not change what a GET returns (``A-userid``
and ``A-api-request-uuid`` are what TEA adds to its presigned URLs; S3 ignores them)."""


def last_modified(path: Path) -> datetime:
    """An object's ``Last-Modified``: its file's modification time, in whole seconds (UTC)."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)


def _plain_object_request(request: Request) -> bool:
    """GET or HEAD of the object itself: no sub-resource, version or response override asked."""
    return request.method in ("GET", "HEAD") and all(
        name.lower().startswith("x-amz-") or name.lower() in _SIGNING_PARAMETERS
        for name in request.args
    )


def _pieces(path: Path, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``start:stop`` of the file, ``PIECE`` at a time."""
    fd = os.open(path, os.O_RDONLY)
    try:
        while start < stop:
            piece = os.pread(fd, min(PIECE, stop - start), start)
            if not piece:
                raise OSError(f"{path} is shorter than its catalog size")
            start += len(piece)
            yield piece
    finally:
        os.close(fd)


class FileObjects:
    """WSGI middleware: GET and HEAD of the S3 objects that are files, from disk; the rest to
    ``app``.

    ``objects`` maps (bucket, key) to the catalog's files; those whose source is bytes are left to
    ``app``. It must run behind the credentials gate: it checks no credentials itself.
    """

    def __init__(self, app: WSGIApp, objects: Mapping[tuple[str, str], ServedFile]) -> None:
        self.app = app
        self.files = {
            location: (served, last_modified(served.source))
            for location, served in objects.items()
            if isinstance(served.source, Path)
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        bucket, _, key = request.path.lstrip("/").partition("/")
        found = self.files.get((bucket, key))
        if found is None or not _plain_object_request(request):
            return self.app(environ, start_response)
        return self.respond(request, *found)(environ, start_response)

    def respond(self, request: Request, served: ServedFile, modified: datetime) -> Response:
        """S3's answer to a GET or HEAD of ``served`` (whose source is a file)."""
        assert isinstance(served.source, Path)
        etag = served.md5 or ""
        headers = {
            "ETag": f'"{etag}"',
            "Last-Modified": http_date(modified),
            "x-amz-request-id": secrets.token_hex(8).upper(),
        }
        status = _precondition_status(request, etag, modified)
        if status == 412:
            return s3_error(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                request.path,
            )
        if status == 304:
            return Response(status=304, headers=headers)
        size = served.size
        start, stop, status = 0, size, 200
        asked = request.range
        if asked is not None and asked.units == "bytes" and len(asked.ranges) == 1:
            satisfiable = asked.range_for_length(size)
            if satisfiable is None:
                error = s3_error(
                    416, "InvalidRange", "The requested range is not satisfiable", request.path
                )
                error.headers["Content-Range"] = f"bytes */{size}"
                return error
            (start, stop), status = satisfiable, 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        headers["Content-Length"] = str(stop - start)
        headers["Accept-Ranges"] = "bytes"
        return Response(
            _pieces(served.source, start, stop),
            status=status,
            headers=headers,
            content_type=CONTENT_TYPE,
            direct_passthrough=True,
        )


def _precondition_status(request: Request, etag: str, modified: datetime) -> int | None:
    """412 or 304 when a conditional header says so (S3's order: ``If-Match`` before
    ``If-Unmodified-Since``, ``If-None-Match`` before ``If-Modified-Since``), else None."""
    if request.if_match:
        if not request.if_match.contains(etag):
            return 412
    elif request.if_unmodified_since is not None and modified > request.if_unmodified_since:
        return 412
    if request.if_none_match:
        if request.if_none_match.contains_weak(etag):
            return 304
    elif request.if_modified_since is not None and modified <= request.if_modified_since:
        return 304
    return None
