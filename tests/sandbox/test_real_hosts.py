"""Real DAAC host names: the records link to them, as NASA's do, and every client reaches them.

NASA's "GET DATA" links name the DAACs' own hosts: ``https://data.nsidc.earthdatacloud.nasa.gov/
nsidc-cumulus-prod-protected/ATLAS/...`` and ``https://archive.podaac.earthdata.nasa.gov/
podaac-ops-cumulus-protected/...`` (the recorded POCLOUD granule in
``tests/data/reference/cmr-samples/cassette_data_links.yaml``, 2024-04-29; NSIDC_CPRD's
``s3credentials`` endpoints in its collection records). Clients that use the proxy reach them
through it; clients that ignore proxies (earthaccess's HTTPS reader: aiohttp with
``trust_env=False``, earthaccess 0.19 store.py ``get_fsspec_session``) reach them through the
name resolution the sandbox gives its processes (``sandbox/resolver.py``), and the guard still
refuses everything else.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from sandbox_http import edl_token, record_links, run_python

from sandbox.config import EMULATED_HOSTS, NSIDC_CLOUD_HOST, PODAAC_HOST
from sandbox.service import Sandbox


def test_records_link_to_the_daacs_real_hosts_and_never_to_loopback(sandbox_us: Sandbox) -> None:
    links = [u for u in record_links(sandbox_us) if u.startswith("https://")]
    hosts = {u.split("/", 3)[2] for u in links}
    assert not any(h.startswith(("localhost", "127.", "[::1]")) for h in hosts)
    assert {NSIDC_CLOUD_HOST, PODAAC_HOST, "n5eil01u.ecs.nsidc.org"} <= hosts
    assert hosts <= set(EMULATED_HOSTS)
    assert sandbox_us.catalog is not None
    for record in sandbox_us.catalog.granules:
        text = json.dumps(record.umm)
        assert "localhost" not in text and "127.0.0.1" not in text


def test_aiohttp_without_the_proxy_reads_a_podaac_file(sandbox_elsewhere: Sandbox) -> None:
    """aiohttp with trust_env=False and a Bearer token, as earthaccess.open() elsewhere: the
    DAAC's real name resolves to the sandbox's HTTPS port, its 303 to the bucket's real S3 name
    too (and aiohttp drops the Authorization header on that cross-origin redirect, as S3
    needs)."""
    assert sandbox_elsewhere.catalog is not None
    record = next(g for g in sandbox_elsewhere.catalog.granules if g.provider == "POCLOUD")
    url = next(u["URL"] for u in record.umm["RelatedUrls"] if u["Type"] == "GET DATA")
    assert url.startswith(f"https://{PODAAC_HOST}/")
    token = edl_token(sandbox_elsewhere)
    result = run_python(
        sandbox_elsewhere,
        f"""
        import asyncio, json, aiohttp

        async def main():
            async with aiohttp.ClientSession(trust_env=False) as s:
                async with s.get({url!r}, headers={{"Authorization": "Bearer {token}",
                                                   "Range": "bytes=10-19"}}) as r:
                    return {{"status": r.status, "body": (await r.read()).hex(),
                             "hosts": [str(h.url.host) for h in r.history] + [r.url.host]}}

        print(json.dumps(asyncio.run(main())))
        """,
    )
    assert result["status"] == 206
    assert bytes.fromhex(result["body"]) == record.granule.path.read_bytes()[10:20]
    assert result["hosts"] == [
        PODAAC_HOST,
        "podaac-ops-cumulus-protected.s3.us-west-2.amazonaws.com",
    ]


def test_the_resolver_maps_only_emulated_names_and_the_guard_still_refuses_the_rest(
    sandbox_us: Sandbox,
) -> None:
    assert sandbox_us.ports is not None
    result = run_python(
        sandbox_us,
        f"""
        import json, socket
        out = {{}}
        out["https"] = socket.getaddrinfo("{NSIDC_CLOUD_HOST}", 443, type=socket.SOCK_STREAM)[0][4]
        out["http"] = socket.getaddrinfo("cmr.earthdata.nasa.gov", "http")[0][4]
        out["byname"] = socket.gethostbyname("urs.earthdata.nasa.gov")
        try:
            socket.getaddrinfo("{NSIDC_CLOUD_HOST}", 8443)
        except socket.gaierror as e:
            out["other_port"] = str(e)
        for host in ("example.com", "s3.amazonaws.com", "earthdata.nasa.gov"):
            try:
                socket.getaddrinfo(host, 443)
            except OSError as e:
                out[host] = type(e).__name__ + ": " + str(e)
        # plain http to a NASA name, without the proxy: redirected to https as the real hosts are
        import http.client
        c = http.client.HTTPConnection("{PODAAC_HOST}", 80, timeout=10)
        c.request("GET", "/s3credentialsREADME")
        r = c.getresponse()
        out["plain"] = [r.status, r.getheader("Location")]
        print(json.dumps(out))
        """,
    )
    assert result["https"] == ["127.0.0.1", sandbox_us.ports.https]
    assert result["http"] == ["127.0.0.1", sandbox_us.ports.proxy]
    assert result["byname"] == "127.0.0.1"
    assert "Earthdata sandbox" in result["other_port"]
    for host in ("example.com", "s3.amazonaws.com", "earthdata.nasa.gov"):
        assert result[host].startswith("NetworkBlockedError") and host in result[host]
    assert result["plain"] == [301, f"https://{PODAAC_HOST}/s3credentialsREADME"]


def test_processes_without_the_sandbox_environment_resolve_nothing(sandbox_us: Sandbox) -> None:
    env = sandbox_us.child_environment()
    for name in ("EARTHDATA_SANDBOX_HOSTS", "EARTHDATA_SANDBOX_HTTPS", "EARTHDATA_SANDBOX_HTTP"):
        env.pop(name)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import socket
                try:
                    socket.getaddrinfo("{NSIDC_CLOUD_HOST}", 443)
                except OSError as e:
                    print(type(e).__name__)
                """
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "NetworkBlockedError"  # the guard alone: a real lookup refused


def test_localhost_serves_no_data(sandbox_us: Sandbox) -> None:
    """The sandbox answers the real names only; a loopback name gets an error naming it."""
    assert sandbox_us.ports is not None and sandbox_us.catalog is not None
    import requests

    path = sandbox_us.catalog.granules[0].files[0].path
    response = requests.get(
        f"https://127.0.0.1:{sandbox_us.ports.https}{path}",
        verify=sandbox_us.env()["REQUESTS_CA_BUNDLE"],
        proxies={"https": "", "http": ""},
        timeout=10,
    )
    assert response.status_code == 421 and "Earthdata sandbox" in response.json()["error"]
