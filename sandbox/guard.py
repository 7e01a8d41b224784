"""The network guard: an audit hook that lets a Python process reach loopback only.

Installed in every Python process the sandbox starts (through ``site/sitecustomize.py`` on
``PYTHONPATH``) and for the whole test session (``tests/conftest.py``). Any connection to,
datagram for, or name lookup of a host that is not loopback raises :class:`NetworkBlockedError` at
once, with the host in the message. A name lookup counts: resolving a non-local name is itself a
network access.

Audit hooks cannot be removed once added, so :func:`install` is idempotent and there is no
``uninstall``.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

__all__ = ["NetworkBlockedError", "install", "installed", "is_loopback_host"]

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_ADDRESS_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_NAME_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
)
_EVENTS = _ADDRESS_EVENTS | _NAME_EVENTS
_installed = False


class NetworkBlockedError(PermissionError):
    """A connection or lookup for a non-loopback host, refused by the sandbox guard."""


def is_loopback_host(host: object) -> bool:
    """Whether ``host`` (a name, an IP literal, or ``None``/empty for "this machine") is local."""
    if host is None:
        return True
    if isinstance(host, bytes | bytearray):
        host = bytes(host).decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().rstrip(".").lower()
    if name == "":
        return True
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _is_ip_literal(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    return True


def _blocked(what: str, host: object, port: object = None) -> NetworkBlockedError:
    target = f"{host}:{port}" if port not in (None, "", 0) else f"{host}"
    return NetworkBlockedError(
        f"Earthdata sandbox guard: {what} {target} refused; only loopback (127.0.0.1, ::1, "
        "localhost) is reachable here."
    )


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _EVENTS:
        return
    if event in _ADDRESS_EVENTS:
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return  # AF_UNIX, netlink and the like never leave the machine
        if isinstance(address, tuple) and address:
            host, port = address[0], address[1] if len(address) > 1 else None
        else:
            host, port = address, None
        if not is_loopback_host(host):
            raise _blocked("connection to", host, port)
        return
    host, port = args[0], None
    if event == "socket.getaddrinfo":
        port = args[1]
    elif event == "socket.getnameinfo" and isinstance(host, tuple):
        host, port = host[0], host[1]
    if not is_loopback_host(host):
        raise _blocked("connection to" if _is_ip_literal(host) else "name lookup of", host, port)


def install() -> None:
    """Add the audit hook to this interpreter (once)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def installed() -> bool:
    """Whether :func:`install` has run in this interpreter."""
    return _installed
