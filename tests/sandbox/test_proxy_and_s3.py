"""The proxy refuses the world and answers the EC2 metadata per region; the S3 gate lets through
only live DAAC credentials, read-only, own buckets, and nothing outside us-west-2."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import requests
import urllib3
from sandbox_http import nsidc_credentials, s3_client, session

from sandbox.service import Sandbox

METADATA = "http://169.254.169.254/latest"


def test_other_hosts_are_refused_at_once_with_their_name(sandbox_us: Sandbox) -> None:
    http = session(sandbox_us)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ProxyError, match="www.google.com is not emulated"):
        http.get("https://www.google.com/", timeout=30)
    plain = http.get("http://example.com/index.html", timeout=30)
    assert plain.status_code == 403 and "example.com" in plain.text
    with pytest.raises(requests.exceptions.ProxyError, match="cmr.earthdata.nasa.gov"):
        http.get("https://cmr.earthdata.nasa.gov:8443/search/collections.json", timeout=30)
    assert time.monotonic() - started < 5


def test_plain_http_to_a_nasa_host_redirects_to_https(sandbox_us: Sandbox) -> None:
    response = session(sandbox_us).get(
        "http://cmr.earthdata.nasa.gov/search/collections.json?short_name=ATL03",
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 301
    assert (
        response.headers["Location"]
        == "https://cmr.earthdata.nasa.gov/search/collections.json?short_name=ATL03"
    )


def test_metadata_service_says_us_west_2_with_an_imdsv2_token(sandbox_us: Sandbox) -> None:
    http = session(sandbox_us)
    token = http.put(
        f"{METADATA}/api/token",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        timeout=5,
    )
    assert token.status_code == 200 and token.text
    region = http.get(
        f"{METADATA}/meta-data/placement/region",
        headers={"X-aws-ec2-metadata-token": token.text},
        timeout=5,
    )
    assert region.status_code == 200 and region.content == b"us-west-2"
    forged = http.get(
        f"{METADATA}/meta-data/placement/region",
        headers={"X-aws-ec2-metadata-token": "forged"},
        timeout=5,
    )
    assert forged.status_code == 401
    assert http.put(f"{METADATA}/api/token", timeout=5).status_code == 400


def test_no_metadata_service_elsewhere_and_the_answer_is_immediate(
    sandbox_elsewhere: Sandbox,
) -> None:
    http = session(sandbox_elsewhere)
    started = time.monotonic()
    token = http.put(
        f"{METADATA}/api/token",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
        timeout=5,
    )
    region = http.get(f"{METADATA}/meta-data/placement/region", timeout=5)
    assert token.status_code == region.status_code == 502
    assert b"us-west-2" not in region.content
    assert time.monotonic() - started < 1


def _s3(sandbox: Sandbox, creds: dict[str, str] | None = None, **overrides: str) -> Any:
    """An S3 client with ``creds`` (default: a key id never issued), token overridable."""
    creds = {
        "accessKeyId": "ASIANOTHINGISSUED00",
        "secretAccessKey": "x" * 40,
        "sessionToken": "no-token",
        **(creds or {}),
    }
    if "token" in overrides:
        creds["sessionToken"] = overrides["token"]
    return s3_client(sandbox, creds)


def _an_object(sandbox: Sandbox, bucket_prefix: str) -> tuple[str, str, bytes]:
    """A granule file in a bucket of that prefix: one the S3 endpoint reads from disk, not through
    moto, so the refusals below are those of the objects that matter."""
    assert sandbox.catalog is not None
    served = next(
        o
        for o in sandbox.catalog.s3_objects()
        if o.s3_bucket.startswith(bucket_prefix) and isinstance(o.source, Path)
    )
    return served.s3_bucket, served.s3_key, served.source.read_bytes()  # type: ignore[union-attr]


def _presigned_get(s3: Any, bucket: str, key: str) -> tuple[int, str]:
    """Status and S3 error code of a ranged GET of a presigned URL, as a chunk reader sends it."""
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
    response = urllib3.request("GET", url, headers={"Range": "bytes=0-99"}, retries=False)
    code = re.search(rb"<Code>(\w+)</Code>", response.data)
    return response.status, code.group(1).decode() if code else ""


def _error_code(call: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]


def test_live_credentials_read_their_daac_s_objects(sandbox_us: Sandbox) -> None:
    bucket, key, data = _an_object(sandbox_us, "nsidc")
    s3 = _s3(sandbox_us, nsidc_credentials(sandbox_us))
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-99")["Body"].read() == data[:100]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="ATLAS/ATL03/006/")
    assert key in [o["Key"] for o in listed["Contents"]] or not key.startswith("ATLAS/ATL03/006/")


def test_unknown_keys_bad_tokens_and_anonymous_requests_are_refused(sandbox_us: Sandbox) -> None:
    bucket, key, _ = _an_object(sandbox_us, "nsidc")
    creds = nsidc_credentials(sandbox_us)
    assert _error_code(lambda: _s3(sandbox_us).get_object(Bucket=bucket, Key=key)) == (
        403,
        "InvalidAccessKeyId",
    )
    assert _presigned_get(_s3(sandbox_us), bucket, key) == (403, "InvalidAccessKeyId")
    wrong_token = _s3(sandbox_us, creds, token="not-the-session-token")
    assert _error_code(lambda: wrong_token.get_object(Bucket=bucket, Key=key)) == (
        400,
        "InvalidToken",
    )
    assert _presigned_get(wrong_token, bucket, key) == (400, "InvalidToken")
    anonymous = requests.get(
        f"{sandbox_us.env()['AWS_ENDPOINT_URL_S3']}/{bucket}/{key}",
        timeout=30,
        proxies={"http": ""},
    )
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content


def test_expired_credentials_are_refused_with_expired_token(sandbox_us: Sandbox) -> None:
    bucket, key, _ = _an_object(sandbox_us, "nsidc")
    issued = sandbox_us.credentials.issue(
        ("nsidc-cumulus-prod-protected", "nsidc-cumulus-prod-public"), ttl=0.5
    )
    s3 = _s3(sandbox_us, issued.as_json())
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    assert _presigned_get(s3, bucket, key)[0] == 206
    time.sleep(0.6)
    assert _error_code(lambda: s3.get_object(Bucket=bucket, Key=key)) == (400, "ExpiredToken")
    assert _error_code(lambda: s3.head_object(Bucket=bucket, Key=key))[0] == 400  # no body
    assert _presigned_get(s3, bucket, key) == (400, "ExpiredToken")


def test_credentials_are_read_only_and_for_their_own_daac(sandbox_us: Sandbox) -> None:
    bucket, key, _ = _an_object(sandbox_us, "nsidc")
    podaac_bucket, podaac_key, _ = _an_object(sandbox_us, "podaac")
    s3 = _s3(sandbox_us, nsidc_credentials(sandbox_us))
    assert _error_code(lambda: s3.put_object(Bucket=bucket, Key="mine.txt", Body=b"x")) == (
        403,
        "AccessDenied",
    )
    assert _error_code(lambda: s3.delete_object(Bucket=bucket, Key=key)) == (403, "AccessDenied")
    assert _error_code(lambda: s3.get_object(Bucket=podaac_bucket, Key=podaac_key)) == (
        403,
        "AccessDenied",
    )
    assert _error_code(lambda: s3.list_buckets()) == (403, "AccessDenied")


def test_direct_s3_reads_are_refused_outside_us_west_2(sandbox_elsewhere: Sandbox) -> None:
    bucket, key, _ = _an_object(sandbox_elsewhere, "nsidc")
    s3 = _s3(sandbox_elsewhere, nsidc_credentials(sandbox_elsewhere))
    with pytest.raises(botocore.exceptions.ClientError, match="only from AWS us-west-2") as caught:
        s3.get_object(Bucket=bucket, Key=key)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert _error_code(lambda: s3.head_object(Bucket=bucket, Key=key))[0] == 403
    assert _presigned_get(s3, bucket, key) == (403, "AccessDenied")
