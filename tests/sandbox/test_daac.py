"""The DAACs: every link of every record resolves; HEAD and Range work through the redirect to
S3; ``/s3credentials`` issues keys that expire. (Earthdata Login's redirects, cookies and token
errors at the DAACs: ``test_edl_redirects.py``.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from sandbox_http import check_links_resolve, edl_token, run_python, session

from sandbox.service import Sandbox


@pytest.fixture(scope="module")
def http(sandbox_us: Sandbox) -> requests.Session:
    s = session(sandbox_us)
    s.headers["Authorization"] = f"Bearer {edl_token(sandbox_us)}"
    return s


def test_every_link_in_every_record_resolves(sandbox_us: Sandbox, http: requests.Session) -> None:
    checked = check_links_resolve(sandbox_us, http)
    assert checked["https"] > 50 and checked["s3"] > 30


def test_head_range_and_206_through_the_redirect_to_s3(
    sandbox_us: Sandbox, http: requests.Session
) -> None:
    assert sandbox_us.catalog is not None
    record = next(g for g in sandbox_us.catalog.granules if g.provider == "NSIDC_CPRD")
    data = record.granule.path.read_bytes()
    linked = next(u["URL"] for u in record.umm["RelatedUrls"] if u["Type"] == "GET DATA")
    real = "https://data.nsidc.earthdatacloud.nasa.gov" + record.files[0].path
    assert linked == real
    url = real
    head = http.head(url, timeout=30, allow_redirects=True)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == len(data)
    assert head.headers["Accept-Ranges"] == "bytes"
    part = http.get(url, headers={"Range": "bytes=8-1031"}, timeout=30)
    assert part.status_code == 206
    assert part.content == data[8:1032]
    assert part.headers["Content-Range"] == f"bytes 8-1031/{len(data)}"
    tail = http.get(url, headers={"Range": f"bytes={len(data) - 10}-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert http.get(url, timeout=30).content == data
    # a path of one DAAC is not served by another's host
    wrong = http.get("https://archive.podaac.earthdata.nasa.gov" + record.files[0].path, timeout=30)
    assert wrong.status_code == 404


def test_aiohttp_reaches_the_real_host_like_earthaccess_does(
    sandbox_us: Sandbox, http: requests.Session
) -> None:
    """fsspec's HTTPS filesystem with trust_env=False (earthaccess's way: no proxy) on the
    record's real DAAC URL, through the DAAC's 303 to S3.

    Runs in a fresh process under the sandbox environment: aiohttp builds its default TLS context
    once per process, so setting ``SSL_CERT_FILE`` inside this test process would depend on
    whether an earlier test had already made aiohttp build it.
    """
    assert sandbox_us.catalog is not None
    record = sandbox_us.catalog.granules[0]
    url = next(u["URL"] for u in record.umm["RelatedUrls"] if u["Type"] == "GET DATA")
    result = run_python(
        sandbox_us,
        f"""
        import json, fsspec
        fs = fsspec.filesystem(
            "https",
            client_kwargs={{"headers": {{"Authorization": {http.headers["Authorization"]!r}}},
                           "trust_env": False}},
            skip_instance_cache=True,
        )
        with fs.open({url!r}, block_size=4096) as f:
            f.seek(100)
            part = f.read(50)
        print(json.dumps({{"size": fs.info({url!r})["size"], "part": part.hex()}}))
        """,
    )
    assert result["size"] == record.granule.size
    assert bytes.fromhex(result["part"]) == record.granule.path.read_bytes()[100:150]


def test_s3credentials_issue_keys_for_an_hour_and_need_a_token(
    sandbox_us: Sandbox, http: requests.Session
) -> None:
    for host in ("data.nsidc.earthdatacloud.nasa.gov", "archive.podaac.earthdata.nasa.gov"):
        response = http.get(f"https://{host}/s3credentials", timeout=30)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}
        assert body["accessKeyId"].startswith("ASIA") and len(body["accessKeyId"]) == 20
        expires = datetime.strptime(body["expiration"], "%Y-%m-%d %H:%M:%S%z")
        left = (expires - datetime.now(UTC)).total_seconds()
        assert 3500 < left <= 3600
        anonymous = session(sandbox_us).get(
            f"https://{host}/s3credentials", timeout=30, allow_redirects=False
        )
        assert anonymous.status_code == 302  # to Earthdata Login (test_edl_redirects.py)
    assert http.get("https://n5eil01u.ecs.nsidc.org/s3credentials", timeout=30).status_code == 404


def test_status_page_reports_ok(sandbox_us: Sandbox) -> None:
    statuses = (
        session(sandbox_us)
        .get("https://status.earthdata.nasa.gov/api/v1/statuses", timeout=30)
        .json()
    )
    assert {s["name"]: s["status"] for s in statuses["statuses"]}[
        "Common Metadata Repository"
    ] == "OK"


def test_credentials_expire(sandbox_us: Sandbox) -> None:
    issued = sandbox_us.credentials.issue(("nsidc-cumulus-prod-protected",), ttl=0.3)
    verdict, _ = sandbox_us.credentials.check(issued.access_key_id, issued.session_token)
    assert verdict.value == "valid"
    time.sleep(0.4)
    verdict, _ = sandbox_us.credentials.check(issued.access_key_id, issued.session_token)
    assert verdict.value == "expired"
