"""Retry HTTPS reads outside AWS: fsspec's ``HTTPFileSystem`` (aiohttp) does not retry on its own.

Outside us-west-2 ``earthaccess.open`` reads granules over HTTPS through the filesystem that
``earthaccess.__store__.get_fsspec_session()`` returns: fsspec's ``HTTPFileSystem`` on an aiohttp
``ClientSession``. A 500/502/503/504 there, or a connection reset in the middle of a body, ends the
read with ``aiohttp.ClientResponseError`` or ``ClientPayloadError``. `retry_https_reads` (called by
`helpers.login`) makes that method pass fsspec's documented ``get_client`` argument (the coroutine
that makes the aiohttp session), so the session carries `retry_transient` as an aiohttp client
middleware (aiohttp >= 3.12, "Client Middleware Cookbook": a bounded retry loop around
``handler(req)``, https://docs.aiohttp.org/en/stable/client_middleware_cookbook.html).

`retry_transient` retries only GET and HEAD (never a request with a body: it might have been
acted on), up to `RETRIES` times, after a 500/502/503/504 or a broken connection, waiting with
exponential backoff and full jitter (AWS: "retry ... 5xx errors ... with exponential backoff",
https://docs.aws.amazon.com/general/latest/gr/api-retries.html and "Exponential Backoff And
Jitter", https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/; S3 asks the
same for 500 InternalError and 503 SlowDown, "Amazon S3 error best practices"; CMR's 503/504 say
"please try your request again later"). For a GET of a byte range (a ``Range`` header: fsspec's
block reads, a few MB) it also reads the body inside the middleware, so a reset mid-body is
retried too. When the retries run out, the last answer goes back to fsspec, which raises its
usual ``ClientResponseError: 503, message='Service Unavailable'``, or the last exception is
raised. Redirect hops (the DAAC's redirect to S3) are retried one by one.

Why not ``fsspec.config.conf["https"]["get_client"]``, fsspec's documented way to give defaults
to every ``HTTPFileSystem``? earthaccess 0.19's ``_open_files`` uses ``fsspec.config.conf`` *as
``open`` keyword arguments* when ``earthaccess.open`` gets no ``open_kwargs``
(``open_kw = (open_kwargs or fsspec.config.conf or {}).copy()``), so a learner's plain
``earthaccess.open(results)`` would then fail with ``TypeError`` on an ``https=`` argument.

Examples
--------
>>> retry_delay(0, base=1.0, cap=20.0, draw=lambda: 1.0), retry_delay(7, draw=lambda: 1.0)
(1.0, 20.0)
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = [
    "RETRIES",
    "RETRY_STATUSES",
    "get_retrying_client",
    "retry_https_reads",
    "retry_transient",
]

#: Retries after the first try (6 tries in all), as `helpers.auth.TRANSIENT_RETRIES`.
RETRIES: int = 5
#: The statuses that mean "try again later".
RETRY_STATUSES: frozenset[int] = frozenset({500, 502, 503, 504})
#: Backoff: a random wait of up to ``min(BACKOFF_CAP, BACKOFF_BASE * 2**retry)`` seconds.
BACKOFF_BASE: float = 1.0
BACKOFF_CAP: float = 20.0
_METHODS = frozenset({"GET", "HEAD"})
_log = logging.getLogger(__name__)


def retry_delay(
    retry: int,
    *,
    base: float | None = None,
    cap: float | None = None,
    draw: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): full jitter, exponential cap."""
    base = BACKOFF_BASE if base is None else base
    cap = BACKOFF_CAP if cap is None else cap
    return draw() * min(cap, base * 2**retry)


def _retryable(err: BaseException) -> bool:
    if isinstance(err, aiohttp.ClientSSLError):  # a certificate problem does not go away
        return False
    return isinstance(
        err, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError | TimeoutError
    )


async def retry_transient(
    req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """aiohttp client middleware: retry GET/HEAD after 500/502/503/504 or a broken connection."""
    if req.method not in _METHODS:
        return await handler(req)
    ranged = "Range" in req.headers
    for retry in range(RETRIES + 1):
        last = retry == RETRIES
        try:
            resp = await handler(req)
            if resp.status in RETRY_STATUSES and not last:
                reason = f"{resp.status} {resp.reason}"
                resp.release()
            else:
                if ranged and req.method == "GET" and resp.status < 300:
                    try:
                        await resp.read()  # a reset mid-body raises here, where it can be retried
                    except BaseException:
                        resp.close()
                        raise
                return resp
        except Exception as err:
            if last or not _retryable(err):
                raise
            reason = f"{type(err).__name__}: {err}"
        delay = retry_delay(retry)
        _log.info(
            "retry %d of %s %s in %.1f s after %s",
            retry + 1,
            req.method,
            req.url.host,
            delay,
            reason,
        )
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def get_retrying_client(**kwargs: Any) -> aiohttp.ClientSession:
    """For ``HTTPFileSystem(get_client=...)``: fsspec's default session plus `retry_transient`."""
    middlewares = (*kwargs.pop("middlewares", ()), retry_transient)
    return aiohttp.ClientSession(**kwargs, middlewares=middlewares)


def retry_https_reads(store: object) -> None:
    """Make ``store.get_fsspec_session()`` (earthaccess's ``Store``, used by ``earthaccess.open``
    for HTTPS) return an ``HTTPFileSystem`` whose sessions use `get_retrying_client`, with the
    options (``client_kwargs``: the Earthdata Login token) that earthaccess chose. Idempotent."""
    get_session = getattr(store, "get_fsspec_session", None)
    if get_session is None or getattr(get_session, "retries_transient_errors", False):
        return
    import fsspec

    def session_with_retries() -> Any:
        options = {**get_session().storage_options, "get_client": get_retrying_client}
        return fsspec.filesystem("https", **options)

    session_with_retries.retries_transient_errors = True  # type: ignore[attr-defined]
    store.get_fsspec_session = session_with_retries  # type: ignore[attr-defined]
