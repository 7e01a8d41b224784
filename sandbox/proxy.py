"""The loopback forward proxy (``HTTP_PROXY``/``HTTPS_PROXY``) that keeps clients on the sandbox.

- ``CONNECT <emulated host>:443``: answered ``200``, then the client's socket is handed to the
  TLS server in this process, whose certificate names that host (no second TCP hop).
- Absolute-URI plain-HTTP requests: ``169.254.169.254`` gets the EC2 metadata answers; an emulated
  host gets a redirect to https, as the real ones do (also when ``http://<emulated host>/`` is
  reached directly, without the proxy: ``resolver.py`` maps those names' port 80 here).
- Any other host gets an immediate ``403`` naming it. Nothing is ever forwarded anywhere.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sandbox.config import EMULATED_HOSTS, IMDS_HOST
from sandbox.imds import InstanceMetadata
from sandbox.servers import LoopbackWSGIServer

log = logging.getLogger("sandbox")


class ProxyServer(ThreadingHTTPServer):
    """The proxy's listening server; holds the TLS server and metadata service it answers with."""

    daemon_threads = True

    def __init__(
        self, sock: Any, tls_server: LoopbackWSGIServer, metadata: InstanceMetadata
    ) -> None:
        super().__init__(sock.getsockname()[:2], ProxyHandler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        self.tls_server = tls_server
        self.metadata = metadata
        self._warned: set[str] = set()
        self._warned_lock = threading.Lock()

    def warn_refused(self, host: str) -> None:
        """Log a refused host once (hosts are not secrets; paths and queries are never logged)."""
        with self._warned_lock:
            if host in self._warned:
                return
            self._warned.add(host)
        log.warning(
            "refused a connection to %s: not a service the Earthdata sandbox emulates", host
        )


class ProxyHandler(BaseHTTPRequestHandler):
    """One client connection to the proxy."""

    server: ProxyServer
    protocol_version = "HTTP/1.1"
    rbufsize = 0  # read unbuffered: nothing of a tunnelled TLS stream may be swallowed here
    server_version = "earthdata-sandbox-proxy"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's access log (request lines carry query strings)."""

    def do_CONNECT(self) -> None:
        """Open a tunnel to an emulated host, or refuse."""
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]").lower()
        if host in EMULATED_HOSTS and port == "443":
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            self.server.tls_server.serve_connection(self.connection, self.client_address)
            return
        self._refuse(host or self.path)

    def _plain(self) -> None:
        url = urlsplit(self.path)
        host = (url.hostname or "").lower()
        self._discard_body()
        origin_host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if not url.scheme and self.path.startswith("/") and origin_host in EMULATED_HOSTS:
            # http://<nasa host>/ reached directly (resolved to this port in the sandbox's
            # processes): redirected to https, as the real hosts do.
            target = f"https://{origin_host}{self.path}"
            self._reply(301, "Moved Permanently", b"", extra={"Location": target})
            return
        if url.scheme != "http" or not host:
            self._reply(400, "Bad Request", b"The sandbox proxy takes absolute http:// URIs.\n")
            return
        if host == IMDS_HOST:
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = self.server.metadata.answer(self.command, url.path, headers)
            self._reply(answer.status, answer.reason, answer.body, answer.content_type)
            return
        if host in EMULATED_HOSTS:
            target = f"https://{host}{url.path}" + (f"?{url.query}" if url.query else "")
            self._reply(301, "Moved Permanently", b"", extra={"Location": target})
            return
        self._refuse(host)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _plain

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            self.rfile.read(int(length))
        elif self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _refuse(self, host: str) -> None:
        self.server.warn_refused(host)
        message = (
            f"The Earthdata sandbox refuses {host}: only the emulated NASA services are reachable "
            "here, and nothing is forwarded to the internet."
        )
        self._reply(
            403, f"Forbidden by the Earthdata sandbox: {host} is not emulated", message.encode()
        )
        self.close_connection = True

    def _reply(
        self,
        status: int,
        reason: str,
        body: bytes,
        content_type: str = "text/plain",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()
