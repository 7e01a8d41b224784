"""helpers.retry_transient_errors through the sandbox's injected faults (sandbox/faults.py), with
unmodified earthaccess in a child Python, as a notebook runs it; and helpers.login_status there.

Each case starts a sandbox with a few counted faults and runs the same script with and without
``helpers.retry_transient_errors()``: the faults that break plain earthaccess are survived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_factories import small_catalog
from sandbox_http import run_python

from sandbox.config import EDL_PASSWORD, EDL_USERNAME
from sandbox.faults import parse_profile
from sandbox.granules.model import Granule
from sandbox.service import Sandbox

SCRIPT = """
import json, earthaccess, helpers, helpers.retries
helpers.retries.BACKOFF_BASE = 0.05  # the HTTPS reads' waits, short for the test
if {retry}:
    helpers.retry_transient_errors()
result = {{}}
try:
    auth = earthaccess.login()
    status = helpers.login_status(auth)
    result["status"] = str(status)
    result["source"], result["in_region"] = status.source, status.in_region
    result["token"] = auth.token["access_token"]
    {more}
except Exception as error:
    result["raised"] = type(error).__name__
    result["message"] = str(error)[:300]
print(json.dumps(result))
"""
SEARCH_AND_CREDENTIALS = """
    found = earthaccess.search_data(short_name="ATL03", version="006", count=5)
    result["found"] = len(found)
    result["keys"] = sorted(earthaccess.get_s3_credentials(daac="NSIDC"))
"""
HTTPS_READ = """
    found = earthaccess.search_data(short_name="ATL03", version="006", provider="NSIDC_CPRD")
    f = earthaccess.open(found[:1])[0]
    f.seek(0)
    result["signature"] = f.read(8).hex()
    result["read"] = len(f.read(3_000_000))
"""


@pytest.fixture(scope="module")
def test_granules(tmp_path_factory: pytest.TempPathFactory) -> list[Granule]:
    return small_catalog(tmp_path_factory.mktemp("retry-granules"))


@pytest.fixture
def run(test_granules: list[Granule], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """run(rules, retry, more="", region="us-west-2") -> (the child's JSON, the faults counted)."""
    started: list[Sandbox] = []

    def runner(rules: list[dict], retry: bool, more: str = "", region: str = "us-west-2") -> Any:
        profile = parse_profile({"seed": 1, "rules": rules}, "test")
        box = Sandbox(region, port_base=0, cache_dir=tmp_path / f"{len(started)}",  # type: ignore[arg-type]
                      granules=test_granules, faults=profile).start()  # fmt: skip
        started.append(box)
        result = run_python(box, SCRIPT.format(retry=retry, more=more), timeout=240)
        assert box.faults is not None
        return result, sum(box.faults.counts.values())

    yield runner
    for box in started:
        box.stop()


def test_the_moderate_profile_s_edl_500_once_is_survived_and_the_status_line_is_safe(run) -> None:
    # The first Earthdata Login request is the token POST (find_or_create_token); earthaccess's
    # own response hook sends it once more, and the retries cover it too.
    result, faults = run([{"service": "edl", "kind": "error", "status": 500, "count": 1}], True)
    assert faults == 1 and "raised" not in result, result
    assert result["source"] == "EARTHDATA_USERNAME/EARTHDATA_PASSWORD"
    assert result["in_region"] is True
    assert result["status"].startswith(f"Logged in to Earthdata as {EDL_USERNAME} ")
    assert "PRACTICE DATA" in result["status"]
    assert EDL_PASSWORD not in result["status"] and result["token"] not in result["status"]


@pytest.mark.parametrize(
    ("rule", "plain_error"),
    [
        # Store's GET /profile at login (the 3rd and 4th EDL requests: after the POST and its
        # re-send), twice: earthaccess's re-send alone does not survive it.
        ({"service": "edl", "kind": "error", "status": 503, "count": 2, "after": 2}, "HTTPError"),
        # The token POST (and earthaccess's re-send of it): earthaccess reports a rejected login.
        ({"service": "edl", "kind": "error", "status": 503, "count": 2}, "LoginAttemptFailure"),
    ],
)
def test_login_survives_earthdata_login_s_temporary_errors_only_with_the_retries(
    run, rule: dict, plain_error: str
) -> None:
    plain, faults = run([rule], False)
    assert plain["raised"] == plain_error and faults == rule["count"], plain
    retried, faults = run([rule], True)
    assert "raised" not in retried and faults == rule["count"], retried


def test_cmr_and_s3credentials_errors_after_login_are_retried(run) -> None:
    rules = [
        {"service": "cmr", "kind": "error", "status": 503, "count": 2},
        {"service": "s3credentials", "kind": "error", "status": 504, "count": 2},
    ]
    plain, _ = run(rules, False, SEARCH_AND_CREDENTIALS)
    assert plain.get("raised") or plain.get("keys") == [], plain  # earthaccess gives up
    retried, faults = run(rules, True, SEARCH_AND_CREDENTIALS)
    assert "raised" not in retried and faults == 4, retried
    assert retried["found"] > 0
    assert retried["keys"] == ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"]


def test_https_reads_outside_aws_survive_daac_errors(run) -> None:
    # The DAAC's first answers (HEAD for the size, the redirect to S3), then a reset mid-body.
    rules = [
        {"service": "daac-https", "kind": "error", "status": 503, "count": 2},
        {"service": "s3", "kind": "reset", "count": 1},
    ]
    plain, _ = run(rules, False, HTTPS_READ, "elsewhere")
    # Without the retries fsspec takes the 503 to its size request for a missing file.
    assert plain.get("raised") == "FileNotFoundError", plain
    retried, faults = run(rules, True, HTTPS_READ, "elsewhere")
    assert "raised" not in retried, retried
    assert retried["in_region"] is False and faults == 3
    assert retried["signature"] == "894844460d0a1a0a"  # the HDF5 signature
    assert retried["read"] > 0
