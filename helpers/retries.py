"""Retry the Earthdata services' temporary errors inside earthaccess (`retry_transient_errors`).

earthaccess sends its requests through two kinds of HTTP sessions, and neither retries on its own:

* ``requests`` sessions from ``Auth.get_session()``: the login (Earthdata Login's token request
  and the ``/profile`` look-up of ``Store``), CMR searches after login, and ``/s3credentials``.
  They get urllib3's ``Retry`` (`TRANSIENT_RETRIES`), mounted with requests' documented
  ``Session.mount``.
* fsspec's ``HTTPFileSystem`` (aiohttp) from ``Store.get_fsspec_session()``, which
  ``earthaccess.open`` reads granules with outside AWS us-west-2. It gets fsspec's documented
  ``get_client`` argument: an aiohttp session whose client middleware `retry_transient` retries
  (aiohttp >= 3.12, "Client Middleware Cookbook").

Both retry after 500, 502, 503 or 504 and after a broken connection, up to 5 times with
exponential backoff, as the services ask (CMR's 503: "please try your request again later"; AWS:
"retry ... 5xx errors ... with exponential backoff",
https://docs.aws.amazon.com/general/latest/gr/api-retries.html). When the retries run out the
last answer goes back to earthaccess or fsspec, which report it as usual.

`retry_transient_errors` patches the two methods on earthaccess's classes (``Auth`` and
``Store``), so it is called once, before ``earthaccess.login()``, and covers every session and
every ``Store`` that login makes later. It is idempotent.

Why not ``fsspec.config.conf["https"]``? earthaccess 0.19's ``earthaccess.open`` passes
``fsspec.config.conf`` as ``open()`` keyword arguments when it gets no ``open_kwargs``, so a plain
``earthaccess.open(results)`` would then fail with ``TypeError``.

Examples
--------
>>> retry_delay(0, draw=lambda: 1.0), retry_delay(7, draw=lambda: 1.0)
(1.0, 20.0)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "RETRIES",
    "RETRY_STATUSES",
    "TRANSIENT_RETRIES",
    "retry_transient_errors",
    "url_credentials_left_out",
]

#: Retries after the first try (6 tries in all).
RETRIES: int = 5
#: The statuses that mean "try again later".
RETRY_STATUSES: frozenset[int] = frozenset({500, 502, 503, 504})
#: urllib3 ``Retry`` settings of earthaccess's requests sessions: waits of 0, 2, 4, 8 and 16 s,
#: then the last answer is returned (not raised). POST is included: the only POST earthaccess
#: sends on these sessions is Earthdata Login's ``find_or_create_token``, which finds the existing
#: token or makes one, so sending it again is safe.
TRANSIENT_RETRIES: dict[str, Any] = {
    "total": RETRIES,
    "backoff_factor": 1.0,
    "status_forcelist": tuple(sorted(RETRY_STATUSES)),
    "allowed_methods": ("GET", "HEAD", "POST"),
    "raise_on_status": False,
}
#: Waits of the HTTPS file reads: a random time up to ``min(BACKOFF_CAP, BACKOFF_BASE * 2**n)`` s.
BACKOFF_BASE: float = 1.0
BACKOFF_CAP: float = 20.0
_MARK = "retries_transient_errors"
_URL_QUERY = re.compile(r"(https?://[^\s'\"?]+)\?[^\s'\"]*")
_log = logging.getLogger(__name__)


def retry_delay(retry: int, draw: Callable[[], float] = random.random) -> float:
    """Seconds before retry number ``retry`` (0-based): exponential, full jitter, capped.

    >>> retry_delay(2, draw=lambda: 0.5)
    2.0
    """
    return draw() * min(BACKOFF_CAP, BACKOFF_BASE * 2**retry)


def _without_url_queries(text: str) -> str:
    return _URL_QUERY.sub(r"\1?<query left out: it holds credentials>", text)


@contextlib.contextmanager
def url_credentials_left_out(what: str) -> Iterator[None]:
    """Re-raise an error whose message names a URL with a query as ``OSError`` without the
    query, its traceback not showing the original (``from None``); other errors pass unchanged.
    The query of a presigned S3 URL (a DAAC's redirect target, or a URL s3fs signs) holds
    temporary credentials (``X-Amz-Credential``, ``X-Amz-Security-Token``, the user name).

    Examples
    --------
    >>> with url_credentials_left_out("reading k"):
    ...     raise ValueError("503 https://s3/k?X-Amz-Signature=abc")
    Traceback (most recent call last):
    OSError: ValueError reading k: 503 https://s3/k?<query left out: it holds credentials>
    """
    failure = None
    try:
        yield
    except Exception as err:
        if (safe := _without_url_queries(str(err))) == str(err):
            raise
        failure = OSError(f"{type(err).__name__} {_without_url_queries(what)}: {safe}")
    if failure is not None:
        raise failure from None  # the original error, with the credentials, is not shown


def _retryable(err: BaseException) -> bool:
    if isinstance(err, aiohttp.ClientSSLError):  # a certificate problem does not go away
        return False
    return isinstance(
        err, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError | TimeoutError
    )


async def retry_transient(
    req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """aiohttp client middleware: retry GET/HEAD after 500/502/503/504 or a broken connection.

    A ranged GET's body (fsspec's block reads) is read here, so a reset mid-body is retried too.
    """
    if req.method not in ("GET", "HEAD"):
        return await handler(req)
    ranged = req.method == "GET" and "Range" in req.headers
    for retry in range(RETRIES + 1):
        last = retry == RETRIES
        try:
            resp = await handler(req)
            if resp.status in RETRY_STATUSES and not last:
                reason = f"{resp.status} {resp.reason}"
                resp.release()
            else:
                if ranged and resp.status < 300:
                    try:
                        await resp.read()  # a reset mid-body raises here, where it is retried
                    except BaseException:
                        resp.close()
                        raise
                if resp.status >= 400 and resp.status not in (404, 416) and req.url.query_string:
                    resp.release()  # fsspec would raise aiohttp's error, naming the whole URL
                    raise _error_without_query(req, resp)
                return resp
        except Exception as err:
            if last or not _retryable(err):
                raise
            reason = _without_url_queries(f"{type(err).__name__}: {err}")
        delay = retry_delay(retry)
        _log.info("retry %d of %s %s in %.1f s after %s", retry + 1, req.method, req.url.host,
                  delay, reason)  # fmt: skip
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _error_without_query(
    req: aiohttp.ClientRequest, resp: aiohttp.ClientResponse
) -> aiohttp.ClientResponseError:
    """The ``ClientResponseError`` fsspec would raise for `resp`, without the URL's query (a
    presigned S3 URL's credentials) and without the request's headers (a token)."""
    url = req.url.with_query(None)
    info = aiohttp.RequestInfo(url, req.method, CIMultiDictProxy(CIMultiDict()), url)
    reason = f"{resp.reason} (the URL's query is left out: it holds credentials)"
    return aiohttp.ClientResponseError(info, (), status=resp.status, message=reason)


async def get_retrying_client(**kwargs: Any) -> aiohttp.ClientSession:
    """For ``HTTPFileSystem(get_client=...)``: fsspec's default session plus `retry_transient`."""
    middlewares = (*kwargs.pop("middlewares", ()), retry_transient)
    return aiohttp.ClientSession(**kwargs, middlewares=middlewares)


def retry_transient_errors() -> None:
    """Make earthaccess retry temporary server errors (500/502/503/504) and broken connections.

    Call it once, before ``earthaccess.login()``. Every requests session earthaccess makes
    (login, CMR searches, ``/s3credentials``) and the HTTPS file system of every ``Store`` it
    makes (``earthaccess.open`` outside us-west-2) then retry, 5 times with exponential backoff.
    Calling it again changes nothing.

    Examples
    --------
    >>> import earthaccess
    >>> retry_transient_errors()
    >>> session = earthaccess.__auth__.get_session()
    >>> session.get_adapter("https://cmr.earthdata.nasa.gov/search").max_retries.total
    5
    """
    import fsspec
    from earthaccess.auth import Auth
    from earthaccess.store import Store
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    if not getattr(Auth.get_session, _MARK, False):
        make_session = Auth.get_session

        @functools.wraps(make_session)
        def get_session(self: Auth) -> Any:
            session = make_session(self)
            session.mount("https://", HTTPAdapter(max_retries=Retry(**TRANSIENT_RETRIES)))
            return session

        setattr(get_session, _MARK, True)
        Auth.get_session = get_session  # type: ignore[method-assign]

    if not getattr(Store.get_fsspec_session, _MARK, False):
        make_fs = Store.get_fsspec_session

        @functools.wraps(make_fs)
        def get_fsspec_session(self: Store) -> Any:
            # The options earthaccess chose (its token in client_kwargs), plus the retrying client;
            # fsspec caches file systems by their options, so each Store keeps one.
            options = {**make_fs(self).storage_options, "get_client": get_retrying_client}
            return fsspec.filesystem("https", **options)

        setattr(get_fsspec_session, _MARK, True)
        Store.get_fsspec_session = get_fsspec_session  # type: ignore[method-assign]
