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


def s3_client(sandbox: Sandbox, credentials: dict[str, str]) -> Any:
    """A boto3 S3 client on the sandbox's endpoint with ``/s3credentials``-style credentials."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=sandbox.env()["AWS_ENDPOINT_URL_S3"],
        region_name="us-west-2",
        aws_access_key_id=credentials["accessKeyId"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"],
    )


def nsidc_credentials(sandbox: Sandbox) -> dict[str, str]:
    """Temporary S3 credentials for NSIDC's buckets, from its ``/s3credentials``."""
    http = session(sandbox)
    http.headers["Authorization"] = f"Bearer {edl_token(sandbox)}"
    return http.get("https://data.nsidc.earthdatacloud.nasa.gov/s3credentials", timeout=30).json()


def record_links(sandbox: Sandbox) -> list[str]:
    """Every URL the sandbox's records link to (RelatedUrls and direct-distribution endpoints),
    but OPeNDAP's (PO.DAAC granules list it as live records do; the sandbox does not serve it)."""
    assert sandbox.catalog is not None
    urls: set[str] = set()
    for record in (*sandbox.catalog.collections, *sandbox.catalog.granules):
        urls.update(
            u["URL"]
            for u in record.umm.get("RelatedUrls", [])
            if u.get("Subtype") != "OPENDAP DATA"
        )
        if ddi := record.umm.get("DirectDistributionInformation"):
            urls.update((ddi["S3CredentialsAPIEndpoint"], ddi["S3CredentialsAPIDocumentationURL"]))
    return sorted(urls)


def check_links_resolve(sandbox: Sandbox, http: requests.Session) -> dict[str, int]:
    """HEAD every https link, following the DAACs' redirects to S3 (``http`` carries a token),
    and every s3 link (with its DAAC's credentials); returns how many of each resolved. Fails on
    the first that does not."""
    credentials = {
        prefix: http.get(f"https://{host}/s3credentials", timeout=30).json()
        for prefix, host in (
            ("nsidc", "data.nsidc.earthdatacloud.nasa.gov"),
            ("podaac", "archive.podaac.earthdata.nasa.gov"),
        )
    }
    clients = {prefix: s3_client(sandbox, creds) for prefix, creds in credentials.items()}
    checked = {"https": 0, "s3": 0}
    for url in record_links(sandbox):
        if url.startswith("s3://"):
            bucket, key = url[len("s3://") :].split("/", 1)
            s3 = clients["nsidc" if bucket.startswith("nsidc") else "podaac"]
            assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0, url
            checked["s3"] += 1
        else:
            assert url.startswith("https://"), url
            response = http.head(url, timeout=30, allow_redirects=True)
            assert response.status_code == 200, (url, response.status_code)
            checked["https"] += 1
    return checked


def ids(response: requests.Response) -> set[str]:
    """The concept ids of a CMR umm_json answer (which must be a 200)."""
    assert response.status_code == 200, response.text
    return {item["meta"]["concept-id"] for item in response.json()["items"]}
