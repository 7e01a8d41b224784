"""Threaded loopback WSGI servers: plain, or TLS negotiated per connection in the worker thread.

Sockets are bound here rather than by werkzeug, so that a taken port can fall back to a free one
(werkzeug would exit the process). Request logs never include query strings or headers, which can
carry tokens.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

log = logging.getLogger("sandbox")

WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
_HANDSHAKE_TIMEOUT = 10.0


class QuietRequestHandler(WSGIRequestHandler):
    """Logs method, host and path (never the query or headers) at DEBUG, errors at WARNING."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if log.isEnabledFor(logging.DEBUG):
            path = self.path.split("?", 1)[0]
            host = self.headers.get("Host", "-") if self.headers else "-"
            log.debug("%s %s%s -> %s", self.command, host, path, code)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server passes the raw request line for some errors; keep only the method and path.
        log.warning("request error: %s", (format % args).split("?", 1)[0])

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s", (format % args).split("?", 1)[0])


class LoopbackWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server on an already bound loopback socket, optionally speaking TLS.

    With ``tls``, the handshake runs in the connection's own thread (werkzeug would run it in the
    accept loop, where one silent client stalls every other), and :meth:`serve_connection` lets the
    proxy hand over a tunnelled client socket.
    """

    daemon_threads = True

    def __init__(
        self,
        sock: socket.socket,
        app: WSGIApp,
        tls: ssl.SSLContext | None = None,
        handler: type[WSGIRequestHandler] = QuietRequestHandler,
    ) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(host, port, app, handler=handler, fd=sock.fileno())
        sock.close()  # werkzeug keeps its own duplicate of the descriptor
        self.ssl_context = tls  # makes werkzeug report wsgi.url_scheme = "https"
        self._tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:  # type: ignore[override]
        # Responses go out in several small writes; without NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to many requests.
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            conn = self._tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            log.debug("TLS handshake from %s failed: %s", client_address, exc)
            return
        try:
            conn.settimeout(None)
            super().finish_request(conn, client_address)
        finally:
            conn.close()

    def serve_connection(self, conn: socket.socket, client_address: Any) -> None:
        """Serve one already accepted connection in the calling thread (used by the proxy)."""
        try:
            self.finish_request(conn, client_address)
        except Exception:  # the proxy thread must survive a broken client
            log.debug("tunnelled connection failed", exc_info=True)
        finally:
            self.shutdown_request(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | ssl.SSLError):
            return
        log.warning("unhandled error while serving %s", client_address, exc_info=True)


def bind_loopback(port: int, host: str = "127.0.0.1", *, name: str = "server") -> socket.socket:
    """A listening TCP socket on ``host:port``; if the port is taken, on a free port (warned)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            sock.close()
            raise
        sock.bind((host, 0))
        log.warning(
            "port %d for the %s is taken; using %d instead (URLs will differ from the defaults)",
            port,
            name,
            sock.getsockname()[1],
        )
    sock.listen(128)
    return sock


def ipv6_loopback_available() -> bool:
    """Whether ``::1`` can be bound on this machine."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class ServerThread:
    """Runs a socketserver-style server's ``serve_forever`` in a daemon thread."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server.server_address[1])

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()
