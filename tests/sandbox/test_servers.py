"""Port fallback and TLS serving: a taken port moves with a warning; silent clients stall nobody."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from sandbox_http import session

from sandbox.servers import bind_loopback
from sandbox.service import Sandbox


def test_a_taken_port_falls_back_to_a_free_one_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="sandbox"):
            moved = bind_loopback(port, name="test server")
        try:
            assert moved.getsockname()[1] not in (port, 0)
            assert f"port {port} for the test server is taken" in caplog.text
        finally:
            moved.close()


def test_a_silent_client_does_not_stall_the_tls_server(sandbox_us: Sandbox) -> None:
    assert sandbox_us.ports is not None
    silent = socket.create_connection(("127.0.0.1", sandbox_us.ports.https), timeout=5)
    try:
        started = time.monotonic()
        response = session(sandbox_us).get(
            "https://data.nsidc.earthdatacloud.nasa.gov/no/such/file", timeout=10
        )
        assert response.status_code == 404
        assert time.monotonic() - started < 3
    finally:
        silent.close()
