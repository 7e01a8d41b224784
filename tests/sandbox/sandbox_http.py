"""A requests session that reaches the sandbox exactly as a routed client does (proxy + CA)."""

from __future__ import annotations

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
