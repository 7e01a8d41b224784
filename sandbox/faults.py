"""Fault injection: the services' real transient errors, resets, stalls and short bodies, seeded.

``python -m sandbox run --faults PROFILE`` (or ``EARTHDATA_SANDBOX_FAULTS=PROFILE`` when the option
is absent) wraps each service's WSGI app with :class:`FaultMiddleware`. ``PROFILE`` is a built-in
name (:data:`BUILTIN_PROFILES`: ``moderate``, ``harsh``) or the path of a YAML or JSON file::

    seed: 7                      # optional; --faults-seed overrides it
    stall_seconds: 75            # optional default for "stall" rules
    rules:
      - {service: s3, kind: error, status: 503, share: 0.05}   # 5% of S3 requests: SlowDown
      - {service: s3, kind: reset, share: 0.01}                # 1%: connection reset mid-body
      - {service: cmr, kind: error, status: 503, count: 1}     # the first CMR request: 503
      - {service: edl, kind: error, status: 500, count: 1, after: 1}  # EDL's 2nd request: 500

Services: ``cmr``, ``edl``, ``s3credentials`` (a DAAC's ``/s3credentials``), ``daac-https`` (every
other DAAC path: the files and their redirects) and ``s3`` (the S3 endpoint and the buckets'
virtual-hosted names). Kinds:

- ``error``: the service's own answer for ``status`` (bodies below, with their sources);
- ``reset``: the response starts, then the connection is aborted (``SO_LINGER`` 0) after a seeded
  part of the body (GET responses with a body only);
- ``short``: the full ``Content-Length`` is announced, half the body is sent, then the connection
  is closed in order (GET responses with a body only);
- ``stall``: nothing is answered for ``seconds`` (default ``stall_seconds``, 75), longer than the
  clients' usual 60 s read timeouts, then the normal answer is sent.

``share`` is the probability (0-1) for each eligible request; ``count`` caps how many times a rule
fires in a run (with ``count`` and no ``share``, the share is 1: the first ``count`` eligible
requests); ``after`` skips the service's first ``after`` requests. The first rule that fires wins.

Decisions are seeded and independent of thread scheduling: each is a hash of the seed, the rule,
the request (method, host, path, ``Range``) and how many times that same request came before, so a
retried request draws again and a run with the same seed and the same requests injects the same
faults. Each injected fault is logged (method, host and path; never a query string or header) at
INFO on stderr and to ``faults.log`` in the instance folder (or ``EARTHDATA_SANDBOX_FAULTS_LOG``);
:meth:`FaultInjector.summary` counts them per service and kind.

Error bodies, as the real services send them:

- S3 ``503 SlowDown`` "Please reduce your request rate." and ``500 InternalError`` "We encountered
  an internal error. Please try again.", in S3's XML error form (Amazon S3 API reference, "Error
  responses", list of error codes; AWS asks clients to retry both: "Amazon S3 error best
  practices", https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html).
- CMR ``{"errors": [...]}`` with CMR's own messages: 503 "Service temporarily unavailable, please
  try your request again later." and 504 "A gateway timeout occurred, please try your request
  again later." (nasa/Common-Metadata-Repository, transmit-lib ``echo/tokens.clj`` and
  system-int-test ``transmit/error_handling_test.clj``); 500 "Oops! Something has gone wrong. We
  have been alerted and are working to resolve the problem. Please try your request again
  later." (nasa/cmr-stac ``ERRORS.internalServerError``, seen from CMR-STAC in
  uw-cryo/coincident#28).
- Earthdata Login and the DAACs (TEA) sit behind AWS load balancers / API Gateway: a 502/503/504
  there is the gateway's page (AWS Application Load Balancer: ``<html><head><title>503 Service
  Temporarily Unavailable</title>...``, ``Server: awselb/2.0``; API Gateway's default gateway
  responses: ``{"message": "Internal server error"}`` (500/502), ``{"message": "Service
  Unavailable"}`` (503), ``{"message": "Endpoint request timed out"}`` (504)). Earthdata Login's
  own 500 body is not established; a Rails-style "We're sorry, but something went wrong." page
  stands for it (Earthdata Login is a Rails application).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.wrappers import Response

from sandbox.httputil import s3_error

log = logging.getLogger("sandbox")

ENV_FAULTS = "EARTHDATA_SANDBOX_FAULTS"
ENV_FAULTS_SEED = "EARTHDATA_SANDBOX_FAULTS_SEED"
ENV_FAULTS_LOG = "EARTHDATA_SANDBOX_FAULTS_LOG"

SERVICES = ("cmr", "edl", "s3credentials", "daac-https", "s3")
KINDS = ("error", "reset", "short", "stall")
BODY_KINDS = ("reset", "short")
DEFAULT_STALL_SECONDS = 75.0
_RULE_KEYS = {"service", "kind", "status", "share", "count", "after", "seconds"}
_PROFILE_KEYS = {"seed", "stall_seconds", "rules", "description"}

_ALB_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_API_GATEWAY = {
    500: "Internal server error",
    502: "Internal server error",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
}
_CMR = {
    500: "Oops! Something has gone wrong. We have been alerted and are working to resolve the "
    "problem. Please try your request again later.",
    503: "Service temporarily unavailable, please try your request again later.",
    504: "A gateway timeout occurred, please try your request again later.",
}
_S3 = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}
#: The statuses each service can be made to answer with (its real transient errors).
STATUSES: dict[str, tuple[int, ...]] = {
    "s3": (500, 503),
    "cmr": (500, 503, 504),
    "edl": (500, 502, 503, 504),
    "s3credentials": (500, 502, 503, 504),
    "daac-https": (500, 502, 503, 504),
}


class ProfileError(ValueError):
    """A fault profile that cannot be used (unknown service or kind, share outside 0-1...)."""


@dataclass(frozen=True)
class Rule:
    """One kind of fault for one service (see the module docstring)."""

    service: str
    kind: str
    share: float = 1.0
    status: int | None = None
    count: int | None = None
    after: int = 0
    seconds: float | None = None

    def describe(self) -> str:
        """``error 503``, ``reset``, ``stall 75 s``..."""
        if self.kind == "error":
            return f"error {self.status}"
        if self.kind == "stall":
            return f"stall {self.seconds:g} s"
        return self.kind


@dataclass(frozen=True)
class Profile:
    """A named, seeded list of rules."""

    name: str
    rules: tuple[Rule, ...]
    seed: int = 0
    description: str = ""

    def with_seed(self, seed: int | None) -> Profile:
        """This profile with another seed (``None``: unchanged)."""
        return self if seed is None else replace(self, seed=seed)


#: The built-in profiles, in the file format.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "moderate": {
        "description": "a bad but ordinary day: 5% S3 SlowDown, 1% S3 resets mid-body, one CMR "
        "503 and one Earthdata Login 500 per run",
        "seed": 17,
        "rules": [
            {"service": "s3", "kind": "error", "status": 503, "share": 0.05},
            {"service": "s3", "kind": "reset", "share": 0.01},
            {"service": "cmr", "kind": "error", "status": 503, "count": 1},
            {"service": "edl", "kind": "error", "status": 500, "count": 1},
        ],
    },
    "harsh": {
        "description": "an outage in progress: 30% S3 SlowDown, 2% S3 InternalError, 3% S3 "
        "resets and 2% short bodies, 10% CMR 503/504, 10% Earthdata Login 503, 10% s3credentials "
        "and DAAC HTTPS 503",
        "seed": 17,
        "rules": [
            {"service": "s3", "kind": "error", "status": 503, "share": 0.30},
            {"service": "s3", "kind": "error", "status": 500, "share": 0.02},
            {"service": "s3", "kind": "reset", "share": 0.03},
            {"service": "s3", "kind": "short", "share": 0.02},
            {"service": "cmr", "kind": "error", "status": 503, "share": 0.05},
            {"service": "cmr", "kind": "error", "status": 504, "share": 0.05},
            {"service": "edl", "kind": "error", "status": 503, "share": 0.10},
            {"service": "s3credentials", "kind": "error", "status": 503, "share": 0.10},
            {"service": "daac-https", "kind": "error", "status": 503, "share": 0.10},
        ],
    },
}


def _number(value: Any, what: str, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProfileError(f"{what} must be a number, not {value!r}")
    if integer and not float(value).is_integer():
        raise ProfileError(f"{what} must be a whole number, not {value!r}")
    if not math.isfinite(value):
        raise ProfileError(f"{what} must be finite, not {value!r}")
    return float(value)


def _check_fields(raw: Mapping[str, Any], allowed: set[str], where: str, what: str) -> None:
    if unknown := set(raw) - allowed:
        fields = ", ".join(sorted(map(str, unknown)))
        raise ProfileError(
            f"{where}: unknown field(s) {fields}; {what} has {', '.join(sorted(allowed))}"
        )


def _rule(raw: Any, where: str, stall_seconds: float) -> Rule:
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{where}: a rule is a mapping (service, kind, ...), not {raw!r}")
    _check_fields(raw, _RULE_KEYS, where, "a rule")
    service, kind = raw.get("service"), raw.get("kind")
    if service not in SERVICES:
        raise ProfileError(f"{where}: unknown service {service!r}; one of {', '.join(SERVICES)}")
    if kind not in KINDS:
        raise ProfileError(f"{where}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    status = raw.get("status")
    if kind == "error":
        if status not in STATUSES[service]:
            raise ProfileError(
                f"{where}: an error of {service} needs a status among "
                f"{', '.join(map(str, STATUSES[service]))}, not {status!r}"
            )
    elif status is not None:
        raise ProfileError(f"{where}: only kind 'error' takes a status")
    count = raw.get("count")
    if count is not None:
        count = int(_number(count, f"{where}: count", integer=True))
        if count < 1:
            raise ProfileError(f"{where}: count must be at least 1, not {count}")
    if "share" not in raw and count is None:
        raise ProfileError(f"{where}: give a share (0-1) or a count")
    share = _number(raw.get("share", 1.0), f"{where}: share")
    if not 0.0 <= share <= 1.0:
        raise ProfileError(f"{where}: share must be between 0 and 1, not {share:g}")
    after = int(_number(raw.get("after", 0), f"{where}: after", integer=True))
    if after < 0:
        raise ProfileError(f"{where}: after must not be negative, not {after}")
    seconds = raw.get("seconds")
    if kind == "stall":
        seconds = _number(stall_seconds if seconds is None else seconds, f"{where}: seconds")
        if seconds <= 0:
            raise ProfileError(f"{where}: seconds must be positive, not {seconds:g}")
    elif seconds is not None:
        raise ProfileError(f"{where}: only kind 'stall' takes seconds")
    return Rule(service, kind, share, status, count, after, seconds)


def parse_profile(raw: Any, name: str) -> Profile:
    """A :class:`Profile` from its file form (a mapping with ``rules``); :class:`ProfileError`
    names the first problem."""
    if not isinstance(raw, Mapping):
        raise ProfileError(f"fault profile {name}: expected a mapping with 'rules', not {raw!r}")
    _check_fields(raw, _PROFILE_KEYS, f"fault profile {name}", "a profile")
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ProfileError(f"fault profile {name}: 'rules' must be a non-empty list")
    stall = _number(raw.get("stall_seconds", DEFAULT_STALL_SECONDS), f"{name}: stall_seconds")
    seed = int(_number(raw.get("seed", 0), f"fault profile {name}: seed", integer=True))
    parsed = tuple(
        _rule(rule, f"fault profile {name}, rule {i + 1}", stall) for i, rule in enumerate(rules)
    )
    return Profile(name, parsed, seed, str(raw.get("description", "")))


def load_profile(spec: str, seed: int | None = None) -> Profile:
    """A built-in profile by name, or a YAML (``.yaml``/``.yml``) or JSON file by path."""
    if spec in BUILTIN_PROFILES:
        return parse_profile(BUILTIN_PROFILES[spec], spec).with_seed(seed)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ProfileError(
            f"fault profile {spec!r} is neither a built-in profile "
            f"({', '.join(BUILTIN_PROFILES)}) nor a file"
        )
    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        is_yaml = path.suffix.lower() in (".yaml", ".yml")
        raw = yaml.safe_load(text) if is_yaml else json.loads(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ProfileError(f"fault profile {path}: cannot be read: {error}") from None
    return parse_profile(raw, str(path)).with_seed(seed)


def profile_from_environment(
    option: str | None, seed: int | None = None, environ: Mapping[str, str] | None = None
) -> Profile | None:
    """The profile of ``--faults`` (``option``), else of ``EARTHDATA_SANDBOX_FAULTS``; the seed of
    ``--faults-seed``, else ``EARTHDATA_SANDBOX_FAULTS_SEED``, else the profile's."""
    env = os.environ if environ is None else environ
    spec = option or env.get(ENV_FAULTS, "").strip()
    if not spec:
        return None
    if seed is None and env.get(ENV_FAULTS_SEED, "").strip():
        try:
            seed = int(env[ENV_FAULTS_SEED])
        except ValueError:
            raise ProfileError(
                f"{ENV_FAULTS_SEED} must be an integer, not {env[ENV_FAULTS_SEED]!r}"
            ) from None
    return load_profile(spec, seed)


# --- the answers ----------------------------------------------------------------------------------


def _html(status: int, body: str, server: str | None = None) -> Response:
    response = Response(body, status=status, content_type="text/html")
    if server:
        response.headers["Server"] = server
    return response


def error_response(service: str, status: int, resource: str) -> Response:
    """The real service's answer with ``status`` (see the module docstring for the sources)."""
    if service == "s3":
        code, message = _S3[status]
        return s3_error(status, code, message, resource)
    if service == "cmr":
        response = Response(
            json.dumps({"errors": [_CMR[status]]}),
            status=status,
            content_type="application/json;charset=utf-8",
        )
        response.headers["CMR-Request-Id"] = hashlib.sha1(resource.encode()).hexdigest()[:32]
        return response
    if service == "edl":
        if status == 500:
            return _html(
                500,
                "<!DOCTYPE html>\n<html>\n<head>\n  <title>We're sorry, but something went wrong "
                '(500)</title>\n</head>\n<body>\n  <div class="dialog">\n    <h1>We\'re sorry, '
                "but something went wrong.</h1>\n  </div>\n</body>\n</html>\n",
            )
        title = _ALB_TITLES[status]
        return _html(
            status,
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}"
            "</h1></center>\r\n</body>\r\n</html>\r\n",
            server="awselb/2.0",
        )
    # The DAACs' TEA runs behind API Gateway: its default gateway responses.
    response = Response(
        json.dumps({"message": _API_GATEWAY[status]}),
        status=status,
        content_type="application/json",
    )
    response.headers["x-amzn-ErrorType"] = (
        "InternalServerErrorException" if status < 503 else "ServiceUnavailableException"
    )
    return response


# --- decisions ------------------------------------------------------------------------------------


@dataclass
class Decision:
    """What to do with one request: ``rule`` is ``None`` for "answer normally"."""

    rule: Rule | None
    index: int = -1
    fraction: float = 0.5


@dataclass
class FaultInjector:
    """The decisions, counters and log of one sandbox instance (thread-safe)."""

    profile: Profile
    log_path: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _seen: Counter[tuple[str, ...]] = field(default_factory=Counter, repr=False)
    _requests: Counter[str] = field(default_factory=Counter, repr=False)
    _fired: Counter[int] = field(default_factory=Counter, repr=False)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Injected faults per (service, rule description)."""

    def _draw(self, *parts: object) -> float:
        digest = hashlib.sha256("|".join(map(str, (self.profile.seed, *parts))).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def decide(self, service: str, method: str, host: str, path: str, range_: str = "") -> Decision:
        """Whether (and how) to fault this request; reserves the rule's ``count``."""
        key = (service, method, host, path, range_)
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] += 1
            number = self._requests[service]
            self._requests[service] += 1
            for index, rule in enumerate(self.profile.rules):
                if rule.service != service or number < rule.after:
                    continue
                if rule.kind in BODY_KINDS and method != "GET":
                    continue
                if rule.count is not None and self._fired[index] >= rule.count:
                    continue
                if self._draw(index, *key, occurrence) >= rule.share:
                    continue
                self._fired[index] += 1
                fraction = 0.5
                if rule.kind == "reset":
                    fraction = 0.1 + 0.8 * self._draw("cut", index, *key, occurrence)
                return Decision(rule, index, fraction)
        return Decision(None)

    def release(self, decision: Decision) -> None:
        """Give back a reserved fault that could not be injected (a body fault, no body)."""
        with self._lock:
            self._fired[decision.index] -= 1

    def record(self, rule: Rule, method: str, host: str, path: str, detail: str = "") -> None:
        """Count and log one injected fault (never a query string or header)."""
        kind = rule.describe()
        with self._lock:
            self.counts[(rule.service, kind)] += 1
            number = sum(self.counts.values())
        line = f"fault #{number}: {rule.service} {kind}{detail} <- {method} {host}{path}"
        log.info("%s", line)
        if self.log_path is not None:
            with self._lock, self.log_path.open("a", encoding="utf-8") as out:
                out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")

    def summary(self) -> str:
        """The injected faults per service and kind, one line."""
        total = sum(self.counts.values())
        parts = [f"{s} {k}: {n}" for (s, k), n in sorted(self.counts.items())]
        return (
            f"faults injected (profile {self.profile.name}, seed {self.profile.seed}): {total}"
            + (f" ({'; '.join(parts)})" if parts else "")
        )

    def wrap(self, app: Any, service: str | Callable[[WSGIEnvironment], str]) -> FaultMiddleware:
        """``app`` with this injector's faults for ``service`` (a name, or a function of the
        request's environ that names it)."""
        return FaultMiddleware(app, self, service)

    def wrap_routes(self, routes: Mapping[str, Any]) -> dict[str, Any]:
        """The HTTPS app's host routes with each service's app wrapped (by the app's type: CMR,
        Earthdata Login, the DAACs, the buckets' virtual hosts); other hosts are left alone."""
        from sandbox.cmr.app import CmrApp
        from sandbox.daac import DaacApp
        from sandbox.edl import EarthdataLogin
        from sandbox.s3 import VirtualHostedS3

        services: tuple[tuple[type, str | Callable[[WSGIEnvironment], str]], ...] = (
            (CmrApp, "cmr"),
            (EarthdataLogin, "edl"),
            (DaacApp, daac_service),
            (VirtualHostedS3, "s3"),
        )
        wrapped: dict[int, Any] = {}
        result = {}
        for host, app in routes.items():
            service = next((s for kind, s in services if isinstance(app, kind)), None)
            if service is None:
                result[host] = app
                continue
            # One middleware per app object, so hosts that share an app share its wrapper.
            result[host] = wrapped.setdefault(id(app), self.wrap(app, service))
        return result


def daac_service(environ: WSGIEnvironment) -> str:
    """``s3credentials`` for a DAAC's ``/s3credentials``, ``daac-https`` for its other paths."""
    path = environ.get("PATH_INFO", "")
    return "s3credentials" if path.rstrip("/").endswith("/s3credentials") else "daac-https"


# --- the middleware -------------------------------------------------------------------------------


def _break_connection(environ: WSGIEnvironment, abort: bool) -> None:
    """End the client's connection now: abortive (``SO_LINGER`` 0, a reset) or orderly."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise ConnectionAbortedError("fault injected: connection closed mid-body")
    try:
        if abort:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class FaultMiddleware:
    """WSGI middleware that injects one service's faults (see the module docstring)."""

    def __init__(
        self,
        app: Any,
        injector: FaultInjector,
        service: str | Callable[[WSGIEnvironment], str],
    ) -> None:
        self.app = app
        self.injector = injector
        self.service = service

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        service = self.service if isinstance(self.service, str) else self.service(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        host = environ.get("HTTP_HOST", "-").lower()
        path = environ.get("PATH_INFO", "")
        decision = self.injector.decide(service, method, host, path, environ.get("HTTP_RANGE", ""))
        rule = decision.rule
        if rule is None:
            return self.app(environ, start_response)
        if rule.kind == "error":
            assert rule.status is not None
            self.injector.record(rule, method, host, path)
            return error_response(service, rule.status, path)(environ, start_response)
        if rule.kind == "stall":
            self.injector.record(rule, method, host, path)
            assert rule.seconds is not None
            time.sleep(rule.seconds)
            return self.app(environ, start_response)
        return self._cut(environ, start_response, decision, (method, host, path))

    def _cut(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        decision: Decision,
        request: tuple[str, str, str],
    ) -> Iterable[bytes]:
        rule = decision.rule
        assert rule is not None
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        iterable = self.app(environ, capture)
        status = int(str(seen.get("status", "0")).split(" ", 1)[0] or 0)
        length = next(
            (int(v) for k, v in seen.get("headers", ()) if k.lower() == "content-length"), None
        )
        if status not in (200, 206) or length is None or length < 2:
            self.injector.release(decision)
            return iterable
        cut = max(1, min(length - 1, int(length * decision.fraction)))
        detail = f" after {cut} of {length} bytes"
        self.injector.record(rule, *request, detail)
        return self._truncated(iterable, cut, environ, abort=rule.kind == "reset")

    @staticmethod
    def _truncated(
        iterable: Iterable[bytes], cut: int, environ: WSGIEnvironment, abort: bool
    ) -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in iterable:
                if sent + len(chunk) >= cut:
                    yield chunk[: cut - sent]
                    _break_connection(environ, abort)
                    return
                sent += len(chunk)
                yield chunk
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
