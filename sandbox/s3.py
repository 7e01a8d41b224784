"""The S3 endpoint (``AWS_ENDPOINT_URL_S3``): moto's server application behind a credentials gate,
with the granule files' GetObject and HeadObject answered from disk.

moto runs in server mode (its own WSGI application and request handler, as
``moto.server.ThreadedMotoServer`` uses them) inside this process, wrapped by :class:`S3Gate`:

- the request's access key id and session token must belong to unexpired credentials issued by a
  DAAC's ``/s3credentials`` (else S3's ``InvalidAccessKeyId`` 403, ``InvalidToken`` or
  ``ExpiredToken`` 400, in S3's XML error form); SigV4 signatures are NOT verified, only the key
  id and token are;
- those credentials allow reading (GET/HEAD: GetObject, HeadObject, ListObjects) of their DAAC's
  buckets only, like NASA's;
- in region ``elsewhere`` every read is refused with ``AccessDenied``, as NASA's buckets refuse
  direct access from outside us-west-2, except with the credentials the DAACs sign their
  presigned URLs with (TEA's download role), which work from anywhere;
- a presigned URL past its ``X-Amz-Date`` + ``X-Amz-Expires`` gets ``AccessDenied`` "Request has
  expired", and a presigned URL sent with an ``Authorization`` header too gets S3's
  ``InvalidArgument`` "Only one auth mechanism allowed" (so a client that leaks a Bearer token
  across the DAAC's redirect fails here as it does at AWS).

The same gated application answers the virtual-hosted bucket names
(``<bucket>.s3.us-west-2.amazonaws.com``) on the HTTPS app (:class:`VirtualHostedS3`), where the
DAACs' presigned URLs point.

Behind the gate, :class:`sandbox.s3objects.FileObjects` answers GET and HEAD of the objects that
are files from the files themselves (moto would copy the whole object for each ranged read); moto
answers everything else (listings, bucket location, the small generated objects, unknown keys).

The sandbox registers the objects in moto's in-process S3 backend directly at start (no key can
bypass the gate), the files by reference, without copying them. moto keeps its buckets per
process: several sandbox instances in one process (tests) share them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from sandbox.catalog.locations import ServedFile
from sandbox.config import S3_REGION_HOST, Region
from sandbox.credentials import CredentialStore, Verdict
from sandbox.httputil import s3_error
from sandbox.s3objects import FileObjects, last_modified
from sandbox.servers import LoopbackWSGIServer, QuietRequestHandler

log = logging.getLogger("sandbox")

_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")
_READ_METHODS = ("GET", "HEAD")
_QUERY_AUTH = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "Signature")
_ONE_AUTH_MECHANISM = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
    "string parameter or the Authorization header should be specified"
)


def request_credentials(request: Request) -> tuple[str | None, str | None]:
    """(access key id, session token) of a signed or presigned S3 request."""
    auth = request.headers.get("Authorization", "")
    key_id = None
    if match := _SIGV4_CREDENTIAL.search(auth) or _SIGV2.match(auth):
        key_id = match.group(1)
    elif credential := request.args.get("X-Amz-Credential"):
        key_id = unquote(credential).split("/", 1)[0]
    elif presigned_v2 := request.args.get("AWSAccessKeyId"):
        key_id = presigned_v2
    token = (
        request.headers.get("X-Amz-Security-Token")
        or request.args.get("X-Amz-Security-Token")
        or request.args.get("x-amz-security-token")
    )
    return key_id, token


def presigned_expiry(request: Request) -> float | None:
    """When a SigV4 presigned URL stops working (``X-Amz-Date`` + ``X-Amz-Expires``), if it is
    one."""
    date, expires = request.args.get("X-Amz-Date", ""), request.args.get("X-Amz-Expires", "")
    try:
        signed = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return signed.timestamp() + int(expires) if expires.isdigit() else None


class S3Gate:
    """WSGI middleware in front of the S3 application that enforces NASA-like access to the
    buckets."""

    def __init__(self, app: Any, credentials: CredentialStore, region: Region) -> None:
        self.app = app
        self.credentials = credentials
        self.region = region

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal(environ, start_response)
        return self.app(environ, start_response)

    def _refusal(self, request: Request) -> Response | None:
        key_id, token = request_credentials(request)
        resource = request.path
        if request.headers.get("Authorization") and any(a in request.args for a in _QUERY_AUTH):
            return s3_error(400, "InvalidArgument", _ONE_AUTH_MECHANISM, resource)
        if key_id is None:
            return s3_error(403, "AccessDenied", "Access Denied", resource)
        expiry = presigned_expiry(request)
        if expiry is not None and expiry < time.time():
            return s3_error(403, "AccessDenied", "Request has expired", resource)
        verdict, issued = self.credentials.check(key_id, token)
        if verdict is Verdict.UNKNOWN_KEY:
            return s3_error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                resource,
            )
        if verdict is Verdict.BAD_TOKEN:
            return s3_error(
                400,
                "InvalidToken",
                "The provided token is malformed or otherwise invalid.",
                resource,
            )
        if verdict is Verdict.EXPIRED:
            return s3_error(400, "ExpiredToken", "The provided token has expired.", resource)
        assert issued is not None
        if self.region != "us-west-2" and not issued.anywhere:
            return s3_error(
                403,
                "AccessDenied",
                "Access Denied: NASA Earthdata Cloud buckets allow direct S3 access only from AWS "
                "us-west-2 (this Earthdata sandbox runs as region 'elsewhere'); use the HTTPS "
                "links instead.",
                resource,
            )
        bucket = request.path.lstrip("/").split("/", 1)[0]
        if request.method not in _READ_METHODS or bucket not in issued.buckets:
            return s3_error(403, "AccessDenied", "Access Denied", resource)
        return None


class VirtualHostedS3:
    """``https://<bucket>.s3.us-west-2.amazonaws.com/<key>`` (on the HTTPS app): the gated S3
    application, given the request in path style (``/<bucket>/<key>`` on the regional host)."""

    def __init__(self, app: S3Gate) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "").lower().split(":", 1)[0]
        bucket = host.removesuffix(f".{S3_REGION_HOST}")
        environ = dict(environ)
        for name in ("PATH_INFO", "RAW_URI", "REQUEST_URI"):
            if name in environ:
                environ[name] = f"/{bucket}{environ[name]}"
        environ["HTTP_HOST"] = S3_REGION_HOST
        return self.app(environ, start_response)


def build_s3_app(
    credentials: CredentialStore, region: Region, objects: Mapping[tuple[str, str], ServedFile]
) -> S3Gate:
    """The gated S3 application: ``objects`` ((bucket, key) -> file) that are files on disk are
    read from disk, everything else by moto."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_app = DomainDispatcherApplication(create_backend_app)
    return S3Gate(FileObjects(moto_app, objects), credentials, region)


def build_s3_server(sock: socket.socket, app: S3Gate) -> LoopbackWSGIServer:
    """The S3 server (``AWS_ENDPOINT_URL_S3``) on ``sock``, answering with ``app``."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietMotoHandler(QuietRequestHandler, MotoRequestHandler):
        """moto's request handling with the sandbox's quiet logging."""

    return LoopbackWSGIServer(sock, app, handler=QuietMotoHandler)


def load_objects(buckets: Iterable[str], objects: Iterable[ServedFile]) -> int:
    """Create the buckets (us-west-2) and register every object in moto's S3 backend of this
    process, with its known MD5 as ETag; returns the objects' total size.

    This uses moto's Python API directly (the same store its server application serves), which
    needs no key that could bypass the gate. Objects held as bytes are stored; a file is not
    copied: moto's key reads its body from the file itself (opened read-only) and reports the
    file's size and modification time, so listings are those of the full objects and the rare
    object request left to moto (e.g. with ``partNumber``) still gets the file's bytes.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.exceptions import BucketAlreadyExists
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for bucket in buckets:
        # Another sandbox instance of this process may have made it: moto's store is per process.
        with contextlib.suppress(BucketAlreadyExists):
            backend.create_bucket(bucket, "us-west-2")
    total = 0
    for served in objects:
        if isinstance(served.source, Path):
            key = backend.put_object(served.s3_bucket, served.s3_key, b"", etag=served.md5)
            # A moto key keeps its body in ``_value_buffer`` (a spooled temporary file) and its
            # length in ``contentsize``: let them be the file's. moto's own times are naive UTC.
            key._value_buffer.close()
            key._value_buffer = served.source.open("rb")
            key.contentsize = served.size
            key.last_modified = last_modified(served.source).replace(tzinfo=None)
        else:
            backend.put_object(served.s3_bucket, served.s3_key, served.source, etag=served.md5)
        total += served.size
    return total
