"""Open pages of the built book in headless Chromium, kept off the network, and report problems.

Chromium (Debian's ``chromium`` package, ``/usr/bin/chromium``; ``$CHROMIUM`` overrides) is driven
through the Chrome DevTools Protocol over a pipe (``--remote-debugging-pipe``: fds 3 and 4,
NUL-separated JSON), so no library and no extra listening port are needed.

Network isolation, three layers:

- every non-loopback request goes to a *black-hole proxy* on 127.0.0.1 (`BlackHoleProxy`) that
  records the host and answers ``403`` without forwarding anything (Chromium never proxies
  loopback, so the book's own server is reached directly);
- ``--host-resolver-rules`` maps every host name except loopback to "not found", in case a request
  escaped the proxy;
- background services (sync, component updates, safe browsing, QUIC, ...) are switched off.

Each page visit (`Browser.visit`) records, through the protocol: console errors and uncaught
exceptions, every request with its outcome, images that did not load (``naturalWidth == 0``),
error outputs of notebook cells, the practice-data note, the figures of cell outputs, and a
screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "apt-get install -y --no-install-recommends chromium"

#: Host names and addresses a page may load from: the machine itself.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: Hosts that Chromium itself contacts in the background whatever the page (account list,
#: component and extension updates, network time, model downloads). Some cannot be switched off
#: by any flag (the account list is requested for every profile). They reach only the black-hole
#: proxy and are reported, not counted as the site's requests.
BROWSER_BACKGROUND_HOSTS = frozenset(
    {
        "accounts.google.com",
        "update.googleapis.com",
        "clients2.google.com",
        "clients2.googleusercontent.com",
        "optimizationguide-pa.googleapis.com",
        "content-autofill.googleapis.com",
        "safebrowsingohttpgateway.googleapis.com",
        "edgedl.me.gvt1.com",
        "redirector.gvt1.com",
        "www.google.com",
        "android.clients.google.com",
    }
)
#: URL schemes that never touch the network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "chrome", "devtools", "file"})

#: Flags that keep Chromium off the network (the proxy and resolver rules are added per launch).
OFFLINE_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-features=OptimizationHints,OptimizationGuideModelDownloading,"
    "OptimizationHintsFetching,Translate,MediaRouter,NetworkTimeServiceQuerying,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--disable-field-trial-config",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-pings",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--hide-scrollbars",
    "--mute-audio",
)

# The facts of a page, read in the page once it has loaded. Images are made eager and awaited
# first, so that lazy images below the fold count too.
_PAGE_FACTS_JS = r"""
(async () => {
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.race([
    Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
      img.addEventListener("load", done); img.addEventListener("error", done);
    }))),
    new Promise((done) => setTimeout(done, 10000)),
  ]);
  const text = (el) => (el.innerText || el.textContent || "").trim().slice(0, 300);
  const errorOutputs = Array.from(document.querySelectorAll(
    ".output.error, .output.traceback, .traceback, .cell_output .error"
  )).map(text);
  const stderrTracebacks = Array.from(document.querySelectorAll(".output.stderr"))
    .map(text).filter((t) => t.includes("Traceback"));
  return {
    title: document.title,
    brokenImages: images.filter((img) => !(img.complete && img.naturalWidth > 0))
      .map((img) => img.currentSrc || img.getAttribute("src") || "(no src)"),
    figures: Array.from(document.querySelectorAll(".cell_output img")).map((img) => ({
      src: img.getAttribute("src") || "",
      alt: (img.getAttribute("alt") || "").trim(),
      loaded: img.complete && img.naturalWidth > 0,
    })),
    errorOutputs: errorOutputs,
    stderrTracebacks: stderrTracebacks,
    sandboxNotes: document.querySelectorAll(".sandbox-note").length,
    liveNotes: document.querySelectorAll(".live-note").length,
    height: Math.ceil(Math.max(document.documentElement.scrollHeight,
                               document.body ? document.body.scrollHeight : 0)),
  };
})()
"""


class BrowserError(RuntimeError):
    """Chromium could not be started or stopped answering."""


def is_loopback_url(url: str) -> bool:
    """True when loading ``url`` stays on this machine (loopback host or a local scheme).

    >>> is_loopback_url("http://127.0.0.1:8000/book/intro.html")
    True
    >>> is_loopback_url("data:image/png;base64,AAAA")
    True
    >>> is_loopback_url("https://unpkg.com/thebe@0.8.2/lib/index.js")
    False
    """
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def proxy_request_host(request_line: str) -> str:
    """The host a proxy request line asks for.

    >>> proxy_request_host("CONNECT example.com:443 HTTP/1.1")
    'example.com'
    >>> proxy_request_host("GET http://example.invalid/logo.png HTTP/1.1")
    'example.invalid'
    """
    parts = request_line.split()
    target = parts[1] if len(parts) > 1 else ""
    if parts and parts[0] == "CONNECT":
        return urlsplit(f"//{target}").hostname or target
    return urlsplit(target).hostname or target


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM``, else /usr/bin/chromium, else on PATH), or None."""
    candidate = os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM
    if Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Request:
    """One request a page made, and what became of it."""

    url: str
    resource_type: str = ""
    status: int | None = None
    failure: str | None = None

    @property
    def loopback(self) -> bool:
        return is_loopback_url(self.url)

    @property
    def succeeded(self) -> bool:
        return self.failure is None and self.status is not None and self.status < 400


@dataclass
class PageReport:
    """What one page did in the browser. `problems` lists what should fail a test."""

    url: str
    title: str = ""
    navigation_error: str | None = None
    console_errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    error_outputs: list[str] = field(default_factory=list)
    sandbox_notes: int = 0
    live_notes: int = 0
    screenshot: Path | None = None

    @property
    def external_requests(self) -> list[Request]:
        return [r for r in self.requests if not r.loopback]

    @property
    def failed_local_requests(self) -> list[Request]:
        # Chromium asks every server for /favicon.ico on its own; the pages name their icon.
        return [
            r
            for r in self.requests
            if r.loopback and not r.succeeded and urlsplit(r.url).path != "/favicon.ico"
        ]

    def problems(self) -> list[str]:
        """Every problem of the page, one line each (empty when the page is clean)."""
        found = []
        if self.navigation_error:
            found.append(f"navigation failed: {self.navigation_error}")
        found += [f"console error: {message}" for message in self.console_errors]
        for request in self.external_requests:
            if request.succeeded:
                outcome = "SUCCEEDED"
            else:
                outcome = f"blocked ({request.failure or f'HTTP {request.status}'})"
            found.append(f"request to a non-loopback host, {outcome}: {request.url}")
        for request in self.failed_local_requests:
            found.append(
                f"local request failed ({request.failure or f'HTTP {request.status}'}):"
                f" {request.url}"
            )
        found += [f"image did not load: {src}" for src in self.broken_images]
        found += [f"error output in a notebook cell: {text!r}" for text in self.error_outputs]
        return found


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a browser that closes a connection early (e.g. after a 404) is no error here


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port); yield its base URL."""
    handler = partial(_QuietHandler, directory=os.fspath(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class BlackHoleProxy(socketserver.ThreadingTCPServer):
    """An HTTP proxy on 127.0.0.1 that forwards nothing: it records each request's target
    (``CONNECT host:port`` or ``GET http://host/...``) and answers 403."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), self._Handler)

    class _Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(5)
            try:
                line = self.rfile.readline(8192).decode("latin-1").strip()
            except OSError:
                return
            if line:
                with self.server._lock:  # type: ignore[attr-defined]
                    self.server.seen.append(line)  # type: ignore[attr-defined]
            body = b"blocked by the book check: no network\n"
            self.wfile.write(
                b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )

    def hosts(self) -> list[str]:
        """The host of every request the proxy received, in order."""
        return [proxy_request_host(line) for line in list(self.seen)]

    def unexpected(self) -> list[str]:
        """Requests that are not Chromium's own background traffic: they came from a page."""
        return [
            line
            for line in list(self.seen)
            if proxy_request_host(line) not in BROWSER_BACKGROUND_HOSTS
        ]

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> BlackHoleProxy:
        threading.Thread(target=self.serve_forever, name="black-hole", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class Browser:
    """Headless Chromium under the DevTools Protocol (pipe transport), kept off the network.

    Use as a context manager; `visit` opens one page in a fresh tab and returns its report.
    """

    def __init__(
        self,
        executable: str,
        screenshot_dir: Path | None = None,
        width: int = 1280,
        height: int = 900,
        max_screenshot_height: int = 8000,
    ) -> None:
        self.executable = executable
        self.screenshot_dir = screenshot_dir
        self.width = width
        self.height = height
        self.max_screenshot_height = max_screenshot_height
        self.proxy = BlackHoleProxy()
        self._profile = tempfile.TemporaryDirectory(prefix="book-chromium-")
        self._process: subprocess.Popen[bytes] | None = None
        self._to_browser = self._from_browser = -1
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.stderr_path = Path(self._profile.name) / "chromium-stderr.log"

    # --- life cycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The Chromium command line (a fresh profile, the black-hole proxy, no network)."""
        return [
            self.executable,
            *OFFLINE_FLAGS,
            f"--user-data-dir={self._profile.name}/profile",
            f"--proxy-server=http://{self.proxy.address}",
            f"--window-size={self.width},{self.height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]

    def __enter__(self) -> Browser:
        self.proxy.__enter__()
        # Chromium reads commands from fd 3 and writes replies and events to fd 4. The pipe ends
        # for the child are moved to fds >= 10 first, then bash (dash knows only single-digit
        # fds) puts them on 3 and 4.
        command_read, command_write = os.pipe()
        reply_read, reply_write = os.pipe()
        child_in = fcntl.fcntl(command_read, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(reply_write, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(command_read)
        os.close(reply_write)
        redirect = f'exec "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
        stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed right after the start
        try:
            self._process = subprocess.Popen(
                ["/bin/bash", "-c", redirect, "bash", *self.command()],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                pass_fds=(child_in, child_out),
                start_new_session=True,
            )
        finally:
            stderr.close()
            os.close(child_in)
            os.close(child_out)
        self._to_browser, self._from_browser = command_write, reply_read
        try:
            version = self.send("Browser.getVersion", timeout=30)
        except BrowserError:
            self.__exit__(None, None, None)
            raise
        self.version = version.get("product", "Chromium")
        return self

    def __exit__(self, *exc: object) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            with suppress(BrowserError, OSError):
                self.send("Browser.close", timeout=5)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                os.close(fd)
        self._to_browser = self._from_browser = -1
        self.proxy.__exit__()
        self._profile.cleanup()

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines of Chromium's own log (without the D-Bus noise of a container)."""
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        kept = [line for line in text.splitlines() if "dbus" not in line]
        return "\n".join(kept[-lines:])

    # --- protocol ---------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited:\n{self.stderr_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data) :]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply is None:
                raise BrowserError(f"no answer to {method} within {timeout} s")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._events.append(reply)

    def _pump(self, seconds: float) -> None:
        """Collect events for up to ``seconds``."""
        deadline = time.monotonic() + seconds
        while (message := self._read_message(deadline)) is not None:
            self._events.append(message)

    def _wait_for_load(self, session: str, timeout: float, settle: float = 5.0) -> bool:
        """Wait for the page's load event, then until the network is idle for 0.5 s (at most
        ``settle`` seconds more: a page that navigates away, e.g. by a meta refresh, can leave
        requests that never report an end)."""
        deadline = time.monotonic() + timeout
        loaded = False
        while time.monotonic() < deadline:
            if any(
                e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session
                for e in self._events
            ):
                loaded = True
                break
            self._pump(0.2)
        deadline = min(deadline, time.monotonic() + settle)
        while time.monotonic() < deadline:
            before = len(self._events)
            self._pump(0.5)
            if len(self._events) == before and not self._in_flight(session):
                break
        return loaded

    def _in_flight(self, session: str) -> set[str]:
        pending: set[str] = set()
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                pending.add(params["requestId"])
            elif method in ("Network.loadingFinished", "Network.loadingFailed"):
                pending.discard(params["requestId"])
        return pending

    # --- pages ------------------------------------------------------------------------------

    def visit(self, url: str, name: str | None = None, timeout: float = 60) -> PageReport:
        """Open ``url`` in a new tab, wait until it has settled, and report what it did.

        ``name`` names the screenshot (``<screenshot_dir>/<name>.png``).
        """
        # A fresh browser context per page: no cookies, storage or cache from earlier pages, so
        # every page is checked as a first-time visitor sees it.
        context = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context}
        )["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self._events.clear()
        report = PageReport(url)
        try:
            for domain in ("Page", "Runtime", "Network", "Log"):
                self.send(f"{domain}.enable", session=session)
            metrics = {"width": self.width, "height": self.height, "deviceScaleFactor": 1}
            self.send(
                "Emulation.setDeviceMetricsOverride", {**metrics, "mobile": False}, session=session
            )
            navigation = self.send("Page.navigate", {"url": url}, session=session)
            report.navigation_error = navigation.get("errorText") or None
            if not self._wait_for_load(session, timeout) and not report.navigation_error:
                report.navigation_error = f"no load event within {timeout} s"
            facts = self.send(
                "Runtime.evaluate",
                {"expression": _PAGE_FACTS_JS, "awaitPromise": True, "returnByValue": True},
                session=session,
                timeout=30,
            )
            if "exceptionDetails" in facts:
                raise BrowserError(f"page facts script failed on {url}: {facts}")
            values = facts["result"]["value"]
            self._pump(0.3)
            report.title = values["title"]
            report.broken_images = values["brokenImages"]
            report.figures = values["figures"]
            report.error_outputs = values["errorOutputs"] + values["stderrTracebacks"]
            report.sandbox_notes = values["sandboxNotes"]
            report.live_notes = values["liveNotes"]
            if self.screenshot_dir is not None:
                report.screenshot = self._screenshot(session, name or "page", values["height"])
            self._collect_events(session, report)
        finally:
            self.send("Target.closeTarget", {"targetId": target})
            self.send("Target.disposeBrowserContext", {"browserContextId": context})
        return report

    def _screenshot(self, session: str, name: str, height: int) -> Path:
        assert self.screenshot_dir is not None
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        height = max(self.height, min(height, self.max_screenshot_height))
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1},
            },
            session=session,
            timeout=60,
        )
        path = self.screenshot_dir / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def _collect_events(self, session: str, report: PageReport) -> None:
        requests: dict[str, Request] = {}
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                request_id = params["requestId"]
                redirected = requests.get(request_id)
                if redirected is not None and "redirectResponse" in params:
                    redirected.status = params["redirectResponse"].get("status")
                    report.requests.append(redirected)
                requests[request_id] = Request(params["request"]["url"], params.get("type", ""))
            elif method == "Network.responseReceived" and params["requestId"] in requests:
                requests[params["requestId"]].status = params["response"].get("status")
            elif method == "Network.loadingFailed" and params["requestId"] in requests:
                requests[params["requestId"]].failure = params.get("errorText") or "failed"
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                report.console_errors.append(_console_text(params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exception = details.get("exception", {})
                report.console_errors.append(
                    f"uncaught {exception.get('description') or details.get('text')}"
                )
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                if _own_favicon_probe(entry):
                    continue  # see failed_local_requests: the log line of the same request
                report.console_errors.append(f"{entry.get('text')} ({entry.get('url', '')})")
        report.requests.extend(requests.values())


def _own_favicon_probe(entry: dict[str, Any]) -> bool:
    """Whether a console log entry is Chromium's own failed ``/favicon.ico`` probe of a loopback
    server. Chromium sends it on its own, sometimes, on a page without an icon link (the
    book's root ``index.html`` only redirects), and logs its 404 as an error.

    >>> failed = "Failed to load resource: the server responded with a status of 404"
    >>> _own_favicon_probe({"text": failed, "url": "http://127.0.0.1:8000/favicon.ico"})
    True
    >>> _own_favicon_probe({"text": failed, "url": "http://127.0.0.1:8000/logo.svg"})
    False
    >>> _own_favicon_probe({"text": failed, "url": "https://example.org/favicon.ico"})
    False
    """
    url = urlsplit(str(entry.get("url", "")))
    loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
    failed = str(entry.get("text", "")).startswith("Failed to load resource")
    return failed and loopback and url.path == "/favicon.ico"


def _console_text(args: list[dict[str, Any]]) -> str:
    parts = []
    for arg in args:
        value = arg.get("value", arg.get("description", arg.get("type")))
        parts.append(value if isinstance(value, str) else json.dumps(value))
    return " ".join(parts)
