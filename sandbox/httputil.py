"""Small helpers shared by the sandbox's WSGI apps: JSON responses, S3 errors, auth headers, request
ids."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None, pretty: bool = False
) -> Response:
    """A JSON response (``application/json; charset=utf-8`` unless ``headers`` say otherwise)."""
    body = json.dumps(payload, indent=2 if pretty else None)
    response = Response(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def request_id() -> str:
    """A fresh request id (a UUID, as CMR and Earthdata Login use)."""
    return str(uuid.uuid4())


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(username, password) of an ``Authorization: Basic ...`` header, if well formed."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def html_page(title: str, body: str, status: int = 200) -> Response:
    """A minimal HTML page (the stand-ins for NASA's web pages)."""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>\n"
    )
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def s3_error(status: int, code: str, message: str, resource: str) -> Response:
    """An error in S3's XML form (``Code``, ``Message``, ``Resource``, ``RequestId``, ``HostId``),
    with its ``x-amz-request-id`` header."""
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
