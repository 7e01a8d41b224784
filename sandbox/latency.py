"""Added latency: every request to the sandbox's services waits a fixed time before its answer.

``python -m sandbox run --latency-ms 30 -- COMMAND`` (or ``EARTHDATA_SANDBOX_LATENCY_MS=30`` when
the option is absent) wraps the HTTPS app (CMR, Earthdata Login, the DAACs, the buckets'
virtual-hosted names) and the S3 endpoint in :class:`LatencyMiddleware`: each request sleeps that
long in its own server thread before it is answered, so requests in flight together wait
together, as a first-byte latency does. Used by ``benchmarks.pipeline`` and
``benchmarks.season_dask`` to time the notebooks' pipelines at S3-like latencies. Bandwidth is not
limited, and the requests Earthdata Login's OAuth exchange makes in-process do not wait.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment


class LatencyMiddleware:
    """WSGI middleware: sleep ``seconds`` before handing each request to ``app``."""

    def __init__(self, app: Any, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"latency must be >= 0 seconds, not {seconds!r}")
        self.app = app
        self.seconds = seconds

    def __getattr__(self, name: str) -> Any:  # the wrapped app's state stays reachable
        return getattr(self.app, name)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.seconds:
            time.sleep(self.seconds)
        return self.app(environ, start_response)


def add_latency(sandbox: Any, seconds: float) -> None:
    """Make every request to a started ``sandbox.service.Sandbox``'s WSGI servers (HTTPS, its
    IPv6 twin, S3) wait ``seconds``; the proxy's tunnels reach the HTTPS app, so they wait too.
    The forward proxy and the EC2 metadata answer are left alone."""
    for thread in sandbox._threads:  # noqa: SLF001 (the sandbox's own servers)
        server = thread.server
        if hasattr(server, "app") and not isinstance(server.app, LatencyMiddleware):
            server.app = LatencyMiddleware(server.app, seconds)
