"""The EC2 instance metadata answers (``http://169.254.169.254``) that tell earthaccess its region.

In ``us-west-2`` mode it behaves like IMDSv2 on an instance there (``PUT /latest/api/token``, then
``GET /latest/meta-data/placement/region`` with the token gives ``us-west-2``); in ``elsewhere``
mode there is no metadata service, so the proxy answers 502 at once, as a proxy on a laptop would.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass

from sandbox.config import Region

_REGION = "us-west-2"
_ZONE = "us-west-2a"
_MAX_TTL = 21600


@dataclass(frozen=True)
class Answer:
    """A plain-HTTP response: status, reason, body, content type."""

    status: int
    reason: str
    body: bytes
    content_type: str = "text/plain"


class InstanceMetadata:
    """The metadata service of the sandbox's pretend EC2 instance."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def answer(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        """The answer to one request (header names lower case)."""
        if self.region != "us-west-2":
            return Answer(
                502,
                "Bad Gateway",
                b"No EC2 instance metadata service: this machine is outside AWS "
                b"(Earthdata sandbox region 'elsewhere').\n",
            )
        if path == "/latest/api/token":
            if method != "PUT":
                return Answer(405, "Method Not Allowed", b"")
            ttl = headers.get("x-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= _MAX_TTL:
                return Answer(400, "Bad Request", b"")
            token = secrets.token_urlsafe(42)
            with self._lock:
                self._tokens.add(token)
            return Answer(200, "OK", token.encode())
        if method not in ("GET", "HEAD"):
            return Answer(405, "Method Not Allowed", b"")
        token = headers.get("x-aws-ec2-metadata-token")
        with self._lock:
            known = token in self._tokens
        if token is not None and not known:
            return Answer(401, "Unauthorized", b"")
        documents = {
            "/latest/meta-data/placement/region": _REGION,
            "/latest/meta-data/placement/availability-zone": _ZONE,
            "/latest/meta-data/placement/": "availability-zone\nregion",
            "/latest/meta-data/": "placement/",
            "/latest/dynamic/instance-identity/document": json.dumps(
                {"region": _REGION, "availabilityZone": _ZONE, "instanceType": "r5.large"}
            ),
        }
        if path not in documents:
            return Answer(404, "Not Found", b"")
        content_type = "application/json" if path.endswith("document") else "text/plain"
        return Answer(200, "OK", documents[path].encode(), content_type)
