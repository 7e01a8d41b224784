"""Name resolution of the emulated NASA hosts, for clients that ignore the proxy.

Installed with the guard in every Python process the sandbox starts (``site/sitecustomize.py``,
which loads this file by path), when the environment names the hosts and the loopback addresses:
``EARTHDATA_SANDBOX_HOSTS`` (comma-separated names), ``EARTHDATA_SANDBOX_HTTPS`` and
``EARTHDATA_SANDBOX_HTTP`` (``127.0.0.1:<port>`` of the HTTPS app and of the proxy).

``socket.getaddrinfo`` (and ``gethostbyname``/``gethostbyname_ex``) answer exactly those names
with loopback without any lookup, and map the port in the answer: 443 (or ``"https"``) to the
HTTPS app's port, 80 (or ``"http"``) to the proxy's (which redirects to https, as NASA's hosts
do). Every client that connects to the address ``getaddrinfo`` gives (``socket.create_connection``,
asyncio and so aiohttp's default resolver, urllib3, http.client) thus reaches the sandbox at
``https://<nasa host>/`` with the real host name for TLS (SNI, certificate) and ``Host``, even
with ``trust_env=False``. Any other name goes to the real ``getaddrinfo``, where the guard refuses
anything that is not loopback.

Not covered: resolvers that do not go through Python's ``socket`` module (aiodns/c-ares, a
process that is not Python such as curl or a browser: these use the proxy), and code that takes
only the address and connects to port 443 itself.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["install", "installed_hosts"]

_hosts: frozenset[str] = frozenset()
_ports: dict[int, int] = {}
_address = "127.0.0.1"
_original: Callable[..., Any] | None = None
_SERVICES = {"https": 443, "http": 80}


def _name(host: object) -> str | None:
    if isinstance(host, bytes | bytearray):
        host = bytes(host).decode("ascii", "replace")
    return host.strip().rstrip(".").lower() if isinstance(host, str) else None


def _port(host: str, port: object) -> int:
    if port is None:
        return 0
    if isinstance(port, bytes | bytearray):
        port = bytes(port).decode("ascii", "replace")
    number = _SERVICES.get(port) if isinstance(port, str) else None
    if number is None:
        try:
            number = int(port)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise socket.gaierror(socket.EAI_SERVICE, f"unknown service {port!r}") from None
    if number == 0:
        return 0
    if number not in _ports:
        raise socket.gaierror(
            socket.EAI_SERVICE,
            f"Earthdata sandbox: {host} is emulated on ports 443 and 80 only, not {number}",
        )
    return _ports[number]


def _getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> list[tuple[Any, ...]]:
    name = _name(host)
    if name is None or name not in _hosts:
        assert _original is not None
        return _original(host, port, family, type, proto, flags)
    if family not in (0, socket.AF_INET, socket.AF_UNSPEC):
        raise socket.gaierror(
            socket.EAI_FAMILY, f"Earthdata sandbox: {name} is emulated on IPv4 loopback only"
        )
    mapped = _port(name, port)
    kinds = [type] if type else [socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW]
    protocols = {socket.SOCK_STREAM: socket.IPPROTO_TCP, socket.SOCK_DGRAM: socket.IPPROTO_UDP}
    return [
        (socket.AF_INET, kind, proto or protocols.get(kind, 0), "", (_address, mapped))
        for kind in kinds
    ]


def _gethostbyname(host: Any, _original_call: Callable[..., Any] = socket.gethostbyname) -> str:
    if _name(host) in _hosts:
        return _address
    return _original_call(host)


def _gethostbyname_ex(
    host: Any, _original_call: Callable[..., Any] = socket.gethostbyname_ex
) -> tuple[str, list[str], list[str]]:
    name = _name(host)
    if name in _hosts:
        return name, [], [_address]
    return _original_call(host)


def install(hosts: Iterable[str], https: tuple[str, int], http: tuple[str, int]) -> None:
    """Resolve ``hosts`` to loopback: port 443 to ``https``, 80 to ``http`` (both on the same
    loopback address). Calling it again replaces the mapping."""
    global _hosts, _ports, _address, _original
    if https[0] != http[0]:
        raise ValueError("the HTTPS app and the proxy must listen on the same loopback address")
    _hosts = frozenset(h.strip().lower() for h in hosts if h.strip())
    _ports = {443: https[1], 80: http[1]}
    _address = https[0]
    if _original is None:
        _original = socket.getaddrinfo
        socket.getaddrinfo = _getaddrinfo  # type: ignore[assignment]
        socket.gethostbyname = _gethostbyname  # type: ignore[assignment]
        socket.gethostbyname_ex = _gethostbyname_ex  # type: ignore[assignment]


def install_from_environment(environ: dict[str, str] | Any) -> bool:
    """:func:`install` from ``EARTHDATA_SANDBOX_HOSTS``/``_HTTPS``/``_HTTP``; False if unset."""
    hosts = environ.get("EARTHDATA_SANDBOX_HOSTS", "")
    https = environ.get("EARTHDATA_SANDBOX_HTTPS", "")
    http = environ.get("EARTHDATA_SANDBOX_HTTP", "")
    if not (hosts and https and http):
        return False
    https_host, _, https_port = https.rpartition(":")
    http_host, _, http_port = http.rpartition(":")
    install(hosts.split(","), (https_host, int(https_port)), (http_host, int(http_port)))
    return True


def installed_hosts() -> frozenset[str]:
    """The names resolved to loopback in this process."""
    return _hosts
