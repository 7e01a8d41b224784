"""Reaching the sandbox as routed clients do: a requests session (proxy + CA), a child Python."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import requests

from sandbox.service import Sandbox


def session(sandbox: Sandbox) -> requests.Session:
    """Requests through the sandbox's proxy, trusting its CA, ignoring this process's env."""
    env = sandbox.env()
    s = requests.Session()
    s.trust_env = False
    s.proxies = {"http": env["HTTP_PROXY"], "https": env["HTTPS_PROXY"]}
    s.verify = env["REQUESTS_CA_BUNDLE"]
    return s


def edl_token(sandbox: Sandbox) -> str:
    """A valid Earthdata Login token of the sandbox user."""
    from sandbox.config import EDL_PASSWORD, EDL_USERNAME

    response = session(sandbox).post(
        "https://urs.earthdata.nasa.gov/api/users/find_or_create_token",
        auth=(EDL_USERNAME, EDL_PASSWORD),
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def run_python(sandbox: Sandbox, code: str, timeout: float = 120, **extra_env: str) -> Any:
    """Run ``code`` in a fresh Python under the sandbox's environment; return its last stdout line
    parsed as JSON. Fails with the child's stderr when it exits non-zero."""
    env = sandbox.child_environment()
    env.update(extra_env)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
