"""The network guard blocks every non-loopback access, in this process and in sandbox children."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import guard
from sandbox.service import SITE_DIR, Sandbox


def test_guard_is_on_for_the_whole_test_session() -> None:
    assert guard.installed()


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        (None, True),
        ("", True),
        (b"127.0.0.1", True),
        ("169.254.169.254", False),
        ("8.8.8.8", False),
        ("cmr.earthdata.nasa.gov", False),
        ("localhost.example.com", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_loopback_classification(host: object, local: bool) -> None:
    assert guard.is_loopback_host(host) is local


def test_connection_to_a_public_address_fails_at_once_naming_it() -> None:
    with pytest.raises(guard.NetworkBlockedError, match=r"192\.0\.2\.7:443"):
        socket.create_connection(("192.0.2.7", 443), timeout=5)


def test_dns_lookup_of_a_public_name_is_blocked() -> None:
    with pytest.raises(guard.NetworkBlockedError, match="name lookup of example.org"):
        socket.getaddrinfo("example.org", 80)
    with pytest.raises(guard.NetworkBlockedError, match="urs.earthdata.nasa.gov"):
        socket.gethostbyname("urs.earthdata.nasa.gov")


def test_udp_datagram_to_a_public_address_is_blocked() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(guard.NetworkBlockedError, match=r"192\.0\.2\.9:53"),
    ):
        sock.sendto(b"x", ("192.0.2.9", 53))


def test_loopback_stays_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("localhost", port), timeout=5):
            accepted, _ = server.accept()
            accepted.close()


def test_a_blocked_request_surfaces_in_requests_with_the_host() -> None:
    import requests

    with pytest.raises(requests.ConnectionError, match="example.net"):
        requests.get("http://example.net/", timeout=5, proxies={"http": "", "https": ""})


CHILD = """
import socket, sys
try:
    socket.create_connection(("192.0.2.7", 80), timeout=5)
except PermissionError as error:
    print(type(error).__name__, error)
    sys.exit(0)
print("connected")
sys.exit(1)
"""


def test_guard_is_loaded_in_children_started_with_the_sandbox_environment(
    sandbox_us: Sandbox,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=sandbox_us.child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "NetworkBlockedError" in done.stdout
    assert "192.0.2.7:80" in done.stdout


def test_children_without_the_sandbox_environment_have_no_guard() -> None:
    # The control experiment: the same child without PYTHONPATH -> the guard is what blocks.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; print('_earthdata_sandbox_guard' in sys.modules)"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False"


def test_sitecustomize_keeps_a_shadowed_sitecustomize_working(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import builtins\nbuiltins.SHADOWED_RAN = True\n")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import builtins, sys; print(getattr(builtins, 'SHADOWED_RAN', False), "
            "'_earthdata_sandbox_guard' in sys.modules)",
        ],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{SITE_DIR}:{other}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.split() == ["True", "True"], done.stderr
