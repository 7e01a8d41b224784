"""The S3 endpoint (``AWS_ENDPOINT_URL_S3``): moto's server application behind a credentials gate.

moto runs in server mode (its own WSGI application and request handler, as
``moto.server.ThreadedMotoServer`` uses them) inside this process, wrapped by :class:`S3Gate`:

- the request's access key id and session token must belong to unexpired credentials issued by a
  DAAC's ``/s3credentials`` (else S3's ``InvalidAccessKeyId`` 403, ``InvalidToken`` or
  ``ExpiredToken`` 400, in S3's XML error form); SigV4 signatures are NOT verified, only the key
  id and token are;
- those credentials allow reading (GET/HEAD: GetObject, HeadObject, ListObjects) of their DAAC's
  buckets only, like NASA's;
- in region ``elsewhere`` every read is refused with ``AccessDenied``, as NASA's buckets refuse
  direct access from outside us-west-2.

The sandbox stores the granules in moto's in-process S3 backend directly at start (no key can bypass
the gate). moto keeps its buckets per process: several sandbox instances in one process (tests)
share them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Request, Response

from sandbox.catalog.locations import ServedFile
from sandbox.config import Region
from sandbox.credentials import CredentialStore, Verdict
from sandbox.servers import LoopbackWSGIServer, QuietRequestHandler

log = logging.getLogger("sandbox")

_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_SIGV2 = re.compile(r"^AWS ([^:\s]+):")
_READ_METHODS = ("GET", "HEAD")


def _xml_error(status: int, code: str, message: str, resource: str) -> Response:
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{resource}</Resource><RequestId>{request_id}</RequestId>"
        f"<HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
    )
    response = Response(body, status=status, content_type="application/xml")
    response.headers["x-amz-request-id"] = request_id
    return response


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


class S3Gate:
    """WSGI middleware in front of moto that enforces NASA-like access to the buckets."""

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
        if key_id is None:
            return _xml_error(403, "AccessDenied", "Access Denied", resource)
        verdict, issued = self.credentials.check(key_id, token)
        if verdict is Verdict.UNKNOWN_KEY:
            return _xml_error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                resource,
            )
        if verdict is Verdict.BAD_TOKEN:
            return _xml_error(
                400,
                "InvalidToken",
                "The provided token is malformed or otherwise invalid.",
                resource,
            )
        if verdict is Verdict.EXPIRED:
            return _xml_error(400, "ExpiredToken", "The provided token has expired.", resource)
        assert issued is not None
        if self.region != "us-west-2":
            return _xml_error(
                403,
                "AccessDenied",
                "Access Denied: NASA Earthdata Cloud buckets allow direct S3 access only from AWS "
                "us-west-2 (this Earthdata sandbox runs as region 'elsewhere'); use the HTTPS "
                "links instead.",
                resource,
            )
        bucket = request.path.lstrip("/").split("/", 1)[0]
        if request.method not in _READ_METHODS or bucket not in issued.buckets:
            return _xml_error(403, "AccessDenied", "Access Denied", resource)
        return None


def build_s3_server(
    sock: socket.socket, credentials: CredentialStore, region: Region
) -> LoopbackWSGIServer:
    """The gated moto server on ``sock``."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    class QuietMotoHandler(QuietRequestHandler, MotoRequestHandler):
        """moto's request handling with the sandbox's quiet logging."""

    gate = S3Gate(DomainDispatcherApplication(create_backend_app), credentials, region)
    return LoopbackWSGIServer(sock, gate, handler=QuietMotoHandler)


def load_objects(buckets: Iterable[str], objects: Iterable[ServedFile], threads: int = 2) -> int:
    """Create the buckets (us-west-2) and store every object in moto's S3 backend of this
    process, with its known MD5 as ETag; returns the bytes stored.

    This uses moto's Python API directly (the same store its server application serves), which
    is three to four times faster than uploading through HTTP and needs no key that could bypass
    the gate.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.exceptions import BucketAlreadyExists
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for bucket in buckets:
        # Another sandbox instance of this process may have made it: moto's store is per process.
        with contextlib.suppress(BucketAlreadyExists):
            backend.create_bucket(bucket, "us-west-2")

    def put(served: ServedFile) -> int:
        data = served.source.read_bytes() if isinstance(served.source, Path) else served.source
        backend.put_object(served.s3_bucket, served.s3_key, data, etag=served.md5)
        return len(data)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(put, objects))
