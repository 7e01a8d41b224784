"""Fault injection (``sandbox.faults``): profiles, seeded decisions, the middleware on small WSGI
apps, and end to end through the sandbox with the clients the tutorials use.

The error bodies are the services' own (sources in ``sandbox/faults.py``): S3's ``SlowDown`` and
``InternalError`` (Amazon S3 API reference, error codes), CMR's ``{"errors": [...]}`` messages
(nasa/Common-Metadata-Repository), the AWS load balancer's and API Gateway's gateway answers.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from sandbox_factories import small_catalog
from sandbox_http import edl_token, nsidc_credentials, s3_client, session
from werkzeug.test import Client
from werkzeug.wrappers import Response

from sandbox.faults import (
    BUILTIN_PROFILES,
    FaultInjector,
    ProfileError,
    load_profile,
    parse_profile,
    profile_from_environment,
)
from sandbox.granules.model import Granule
from sandbox.servers import LoopbackWSGIServer, ServerThread, bind_loopback
from sandbox.service import Sandbox

BODY = bytes(range(256)) * 400  # 102400 bytes


def hello(environ: dict, start_response: object) -> object:
    """A small app: 100 kB of bytes for any request."""
    return Response(BODY, content_type="application/octet-stream")(environ, start_response)


def profile(*rules: dict, seed: int = 1) -> object:
    return parse_profile({"seed": seed, "rules": list(rules)}, "test")


# --- profiles ---------------------------------------------------------------------------------


def test_built_in_profiles_parse_and_say_what_they_inject() -> None:
    moderate = load_profile("moderate")
    kinds = {(r.service, r.describe(), r.share, r.count) for r in moderate.rules}
    assert ("s3", "error 503", 0.05, None) in kinds
    assert ("s3", "reset", 0.01, None) in kinds
    assert ("cmr", "error 503", 1.0, 1) in kinds
    assert ("edl", "error 500", 1.0, 1) in kinds
    assert load_profile("harsh").rules[0].share == 0.30
    assert load_profile("moderate", seed=99).seed == 99
    assert set(BUILTIN_PROFILES) == {"moderate", "harsh"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"service": "ftp", "kind": "error", "status": 503, "share": 0.1}, "unknown service 'ftp'"),
        ({"service": "s3", "kind": "explode", "share": 0.1}, "unknown kind 'explode'"),
        ({"service": "s3", "kind": "error", "status": 503, "share": 1.5}, "between 0 and 1"),
        ({"service": "s3", "kind": "error", "status": 503, "share": -0.1}, "between 0 and 1"),
        ({"service": "s3", "kind": "error", "status": 404, "share": 0.1}, "500, 503"),
        ({"service": "cmr", "kind": "error", "share": 0.1}, "needs a status"),
        ({"service": "s3", "kind": "reset", "status": 503, "share": 0.1}, "only kind 'error'"),
        ({"service": "s3", "kind": "reset"}, "give a share (0-1) or a count"),
        ({"service": "s3", "kind": "reset", "count": 0}, "at least 1"),
        ({"service": "s3", "kind": "reset", "share": "lots"}, "must be a number"),
        ({"service": "s3", "kind": "stall", "share": 1, "seconds": 0}, "positive"),
        ({"service": "s3", "kind": "reset", "share": 1, "often": 2}, "unknown field(s) often"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(rule: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=r"rule 1") as error:
        profile(rule)
    assert message in str(error.value)


def test_profiles_load_from_yaml_and_json_files_and_the_environment(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text(
        "seed: 5\nstall_seconds: 2\nrules:\n  - {service: cmr, kind: stall, share: 0.5}\n"
    )
    loaded = load_profile(str(yaml_file))
    assert (loaded.seed, loaded.rules[0].seconds) == (5, 2.0)
    json_file = tmp_path / "p.json"
    json_file.write_text(json.dumps({"rules": [{"service": "edl", "kind": "error", "status": 503,
                                                "count": 2, "after": 1}]}))  # fmt: skip
    rule = load_profile(str(json_file)).rules[0]
    assert (rule.count, rule.after, rule.share) == (2, 1, 1.0)
    assert profile_from_environment(None, environ={}) is None
    from_env = profile_from_environment(
        None,
        environ={"EARTHDATA_SANDBOX_FAULTS": "harsh", "EARTHDATA_SANDBOX_FAULTS_SEED": "3"},
    )
    assert from_env is not None and (from_env.name, from_env.seed) == ("harsh", 3)
    # The option beats the variable, and --faults-seed the profile's seed.
    chosen = profile_from_environment("moderate", 8, {"EARTHDATA_SANDBOX_FAULTS": "harsh"})
    assert chosen is not None and (chosen.name, chosen.seed) == ("moderate", 8)
    with pytest.raises(ProfileError, match="neither a built-in profile"):
        load_profile("no-such-profile")
    (tmp_path / "bad.yaml").write_text("rules: [unclosed\n")
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(str(tmp_path / "bad.yaml"))


# --- decisions --------------------------------------------------------------------------------


def _decisions(injector: FaultInjector, n: int = 400) -> list[str | None]:
    out = []
    for i in range(n):
        rule = injector.decide("s3", "GET", "h", f"/b/k{i % 40}", "").rule
        out.append(rule.describe() if rule else None)
    return out


def test_decisions_are_seeded_repeatable_and_near_their_share() -> None:
    p = profile({"service": "s3", "kind": "error", "status": 503, "share": 0.25}, seed=42)
    first, again = _decisions(FaultInjector(p)), _decisions(FaultInjector(p))
    assert first == again
    assert 60 <= first.count("error 503") <= 140  # 25% of 400, binomial sd ~ 8.7
    other = _decisions(FaultInjector(p.with_seed(43)))
    assert other != first


def test_decisions_do_not_depend_on_which_thread_asks_first() -> None:
    p = profile({"service": "s3", "kind": "error", "status": 503, "share": 0.5}, seed=3)
    a, b = FaultInjector(p), FaultInjector(p)
    paths = [f"/b/k{i}" for i in range(50)]
    got_a = {x: a.decide("s3", "GET", "h", x).rule is not None for x in paths}
    got_b = {x: b.decide("s3", "GET", "h", x).rule is not None for x in reversed(paths)}
    assert got_a == got_b


def test_count_and_after_fire_exactly_where_asked() -> None:
    p = profile(
        {"service": "cmr", "kind": "error", "status": 503, "count": 1},
        {"service": "edl", "kind": "error", "status": 500, "count": 2, "after": 1},
    )
    injector = FaultInjector(p)
    cmr = [injector.decide("cmr", "GET", "h", "/search").rule for _ in range(5)]
    edl = [injector.decide("edl", "POST", "h", "/token").rule for _ in range(5)]
    assert [r is not None for r in cmr] == [True, False, False, False, False]
    assert [r is not None for r in edl] == [False, True, True, False, False]


# --- the middleware on small WSGI apps --------------------------------------------------------


def test_s3_errors_are_s3_s_own_xml() -> None:
    injector = FaultInjector(profile({"service": "s3", "kind": "error", "status": 503, "share": 1},
                                     {"service": "s3", "kind": "error", "status": 500, "share": 1,
                                      "after": 1}))  # fmt: skip
    client = Client(injector.wrap(hello, "s3"))
    slow = client.get("/bucket/key.h5")
    assert slow.status_code == 503
    assert slow.headers["Content-Type"] == "application/xml"
    assert b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>" in (
        slow.data
    )
    assert b"<Resource>/bucket/key.h5</Resource>" in slow.data
    assert slow.headers["x-amz-request-id"]
    head = client.head("/bucket/key.h5")  # HEAD: status only, as S3 answers it
    assert (head.status_code, head.data) == (503, b"")
    injector2 = FaultInjector(profile({"service": "s3", "kind": "error", "status": 500,
                                       "share": 1}))  # fmt: skip
    internal = Client(injector2.wrap(hello, "s3")).get("/b/k")
    assert internal.status_code == 500
    assert (
        b"<Code>InternalError</Code><Message>We encountered an internal error. Please try again."
        b"</Message>" in internal.data
    )


def test_cmr_edl_and_daac_errors_are_theirs() -> None:
    rules = [
        {"service": "cmr", "kind": "error", "status": 503, "count": 1},
        {"service": "cmr", "kind": "error", "status": 504, "count": 1},
        {"service": "edl", "kind": "error", "status": 500, "count": 1},
        {"service": "edl", "kind": "error", "status": 503, "count": 1},
        {"service": "s3credentials", "kind": "error", "status": 503, "count": 1},
        {"service": "daac-https", "kind": "error", "status": 504, "count": 1},
    ]
    injector = FaultInjector(profile(*rules))
    from sandbox.faults import daac_service

    cmr = Client(injector.wrap(hello, "cmr"))
    first, second, third = (cmr.get("/search/granules.umm_json?x=1") for _ in range(3))
    assert first.status_code == 503
    assert first.json == {
        "errors": ["Service temporarily unavailable, please try your request again later."]
    }
    assert second.status_code == 504
    assert second.json == {
        "errors": ["A gateway timeout occurred, please try your request again later."]
    }
    assert third.status_code == 200 and third.data == BODY
    edl = Client(injector.wrap(hello, "edl"))
    e500, e503 = edl.post("/api/users/find_or_create_token"), edl.get("/profile")
    assert e500.status_code == 500 and b"We're sorry, but something went wrong." in e500.data
    assert e503.status_code == 503 and e503.headers["Server"] == "awselb/2.0"
    assert b"<title>503 Service Temporarily Unavailable</title>" in e503.data
    daac = Client(injector.wrap(hello, daac_service))
    creds = daac.get("/s3credentials")
    assert (creds.status_code, creds.json) == (503, {"message": "Service Unavailable"})
    data = daac.get("/ATLAS/ATL03/file.h5")
    assert (data.status_code, data.json) == (504, {"message": "Endpoint request timed out"})
    assert injector.counts == {
        ("cmr", "error 503"): 1,
        ("cmr", "error 504"): 1,
        ("edl", "error 500"): 1,
        ("edl", "error 503"): 1,
        ("s3credentials", "error 503"): 1,
        ("daac-https", "error 504"): 1,
    }
    summary = injector.summary()
    assert summary.startswith("faults injected (profile test, seed 1): 6 (")
    assert "cmr error 503: 1" in summary and "daac-https error 504: 1" in summary


@pytest.fixture
def served() -> Iterator[tuple[FaultInjector, str]]:
    """``hello`` on a real loopback server behind a 100%-reset rule for GET /reset and a
    100%-short rule for GET /short (by ``after``-free rules on two services)."""
    injector = FaultInjector(
        profile(
            {"service": "s3", "kind": "reset", "share": 1},
            {"service": "daac-https", "kind": "short", "share": 1},
            {"service": "cmr", "kind": "stall", "share": 1, "seconds": 1.5, "count": 1},
        )
    )

    def route(environ: dict, start_response: object) -> object:
        service = environ["PATH_INFO"].strip("/").split("/")[0]
        return injector.wrap(hello, service)(environ, start_response)

    thread = ServerThread(LoopbackWSGIServer(bind_loopback(0), route), "faults-test")
    thread.start()
    yield injector, f"http://127.0.0.1:{thread.port}"
    thread.stop()


def test_a_reset_mid_body_reaches_requests_as_a_broken_response(
    served: tuple[FaultInjector, str],
) -> None:
    injector, base = served
    with pytest.raises(requests.exceptions.ChunkedEncodingError) as error:
        requests.get(f"{base}/s3/bucket/key", timeout=10)
    assert "IncompleteRead" in repr(error.value) or "reset" in repr(error.value).lower()
    (((service, kind), n),) = injector.counts.items()
    assert (service, kind, n) == ("s3", "reset", 1)
    # HEAD has no body: it is answered normally and nothing is counted.
    assert requests.head(f"{base}/s3/bucket/key", timeout=10).status_code == 200
    assert sum(injector.counts.values()) == 1


def test_a_short_body_keeps_its_content_length_and_stops_half_way(
    served: tuple[FaultInjector, str],
) -> None:
    _, base = served
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/daac-https/file.h5")
    response = conn.getresponse()
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(BODY)
    with pytest.raises(http.client.IncompleteRead) as error:
        response.read()
    assert error.value.partial == BODY[: len(BODY) // 2]


def test_a_stall_holds_the_answer_past_a_client_timeout(served: tuple[FaultInjector, str]) -> None:
    injector, base = served
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{base}/cmr/search", timeout=0.5)
    started = time.monotonic()
    assert requests.get(f"{base}/cmr/search", timeout=10).content == BODY  # count: 1
    assert time.monotonic() - started < 1.0
    assert injector.counts[("cmr", "stall 1.5 s")] == 1


# --- end to end through the sandbox -----------------------------------------------------------


@pytest.fixture(scope="module")
def test_granules(tmp_path_factory: pytest.TempPathFactory) -> list[Granule]:
    return small_catalog(tmp_path_factory.mktemp("fault-granules"))


@pytest.fixture
def start(test_granules: list[Granule], tmp_path: Path) -> Iterator[object]:
    started: list[Sandbox] = []

    def starter(*rules: dict) -> Sandbox:
        box = Sandbox(
            "us-west-2", port_base=0, cache_dir=tmp_path, granules=test_granules,
            faults=profile(*rules),
        ).start()  # fmt: skip
        started.append(box)
        return box

    yield starter
    for box in started:
        box.stop()


def _an_nsidc_object(box: Sandbox) -> tuple[str, str]:
    assert box.catalog is not None
    bucket, key = next(
        (b, k)
        for (b, k) in box.catalog.s3_locations()
        if b.startswith("nsidc") and k.endswith(".h5")
    )
    return bucket, key


def test_boto3_gets_slowdown_with_its_xml_after_botocore_s_retries(
    start: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = start({"service": "s3", "kind": "error", "status": 503, "share": 1})  # type: ignore[operator]
    credentials = nsidc_credentials(box)
    bucket, key = _an_nsidc_object(box)
    # The variables botocore reads: standard retry mode, 4 attempts in all (the first included).
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    client = s3_client(box, credentials)
    with pytest.raises(ClientError) as error:
        client.get_object(Bucket=bucket, Key=key, Range="bytes=0-99")
    response = error.value.response
    assert response["Error"]["Code"] == "SlowDown"
    assert response["Error"]["Message"] == "Please reduce your request rate."
    assert response["Error"]["Resource"] == f"/{bucket}/{key}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert response["ResponseMetadata"]["RetryAttempts"] == 3  # botocore retried SlowDown
    assert box.faults is not None
    assert box.faults.counts[("s3", "error 503")] == 4
    # The log file in the instance folder has one line per fault: method, host, path; no query.
    lines = box.faults.log_path.read_text().splitlines()  # type: ignore[union-attr]
    assert len(lines) == 4 and all("s3 error 503 <- GET 127.0.0.1:" in x for x in lines)
    assert all(line.endswith(f"/{bucket}/{key}") and "?" not in line for line in lines)


def test_s3fs_gives_up_on_slowdown_with_a_clear_error_and_never_a_wrong_read(start: object) -> None:
    import s3fs

    box = start({"service": "s3", "kind": "error", "status": 503, "share": 1})  # type: ignore[operator]
    credentials = nsidc_credentials(box)
    bucket, key = _an_nsidc_object(box)
    fs = s3fs.S3FileSystem(
        key=credentials["accessKeyId"],
        secret=credentials["secretAccessKey"],
        token=credentials["sessionToken"],
        endpoint_url=box.env()["AWS_ENDPOINT_URL_S3"],
        config_kwargs={"retries": {"mode": "standard", "max_attempts": 1}},
    )
    fs.retries = 2  # s3fs's own loop around botocore's (it retries SlowDown by its message)
    with pytest.raises(OSError, match="reduce your request rate"):
        fs.cat_file(f"{bucket}/{key}", start=0, end=100)
    assert box.faults is not None
    assert box.faults.counts[("s3", "error 503")] == 4  # 2 s3fs tries x 2 botocore attempts


def test_a_cmr_503_then_answers_and_an_edl_500_once(start: object) -> None:
    box = start(  # type: ignore[operator]
        {"service": "cmr", "kind": "error", "status": 503, "count": 1},
        {"service": "edl", "kind": "error", "status": 500, "count": 1},
        {"service": "s3credentials", "kind": "error", "status": 503, "count": 1},
    )
    http = session(box)
    url = "https://cmr.earthdata.nasa.gov/search/collections.umm_json?short_name=ATL03"
    first = http.get(url, timeout=30)
    assert first.status_code == 503 and "Service temporarily unavailable" in first.text
    assert http.get(url, timeout=30).status_code == 200
    with pytest.raises(requests.HTTPError, match="500 Server Error"):
        edl_token(box)
    token = edl_token(box)
    http.headers["Authorization"] = f"Bearer {token}"
    creds_url = "https://data.nsidc.earthdatacloud.nasa.gov/s3credentials"
    assert http.get(creds_url, timeout=30).json() == {"message": "Service Unavailable"}
    assert "sessionToken" in http.get(creds_url, timeout=30).json()
    assert box.faults is not None
    assert dict(box.faults.counts) == {
        ("cmr", "error 503"): 1,
        ("edl", "error 500"): 1,
        ("s3credentials", "error 503"): 1,
    }


def test_a_reset_through_the_proxy_and_tls_breaks_the_response_for_requests(
    start: object,
) -> None:
    box = start({"service": "cmr", "kind": "reset", "share": 1})  # type: ignore[operator]
    http = session(box)
    with pytest.raises(requests.exceptions.RequestException) as error:
        http.get("https://cmr.earthdata.nasa.gov/search/collections.umm_json", timeout=30)
    assert isinstance(
        error.value, requests.exceptions.ChunkedEncodingError | requests.exceptions.SSLError
    ), repr(error.value)


def test_the_command_line_refuses_bad_profiles_and_reports_the_faults(tmp_path: Path) -> None:
    wrapper = Path(__file__).with_name("cli_with_test_granules.py")
    base = [sys.executable, str(wrapper), str(tmp_path / "g"), "--cache-dir", str(tmp_path / "c")]
    bad = subprocess.run(
        [*base, "run", "--port-base", "0", "--faults", "nope", "--", "true"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "fault profile 'nope' is neither a built-in profile (moderate, harsh)" in bad.stderr
    child = (
        "import requests; r = requests.get('https://cmr.earthdata.nasa.gov/search/"
        "collections.umm_json', timeout=30); print(r.status_code)"
    )
    done = subprocess.run(
        [*base, "run", "--port-base", "0", "--faults", "moderate", "--faults-seed", "4", "--",
         sys.executable, "-c", child],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "503"
    assert "injecting faults: profile moderate, seed 4" in done.stderr
    assert "fault #1: cmr error 503 <- GET cmr.earthdata.nasa.gov/search/collections.umm_json" in (
        done.stderr
    )
    assert "faults injected (profile moderate, seed 4): 1 (cmr error 503: 1)" in done.stderr


def test_no_profile_means_no_middleware(test_granules: list[Granule], tmp_path: Path) -> None:
    box = Sandbox("us-west-2", port_base=0, cache_dir=tmp_path, granules=test_granules).start()
    try:
        assert box.faults is None
        assert box.https_app is not None
        assert not any(
            type(app).__name__ == "FaultMiddleware" for app in box.https_app.routes.values()
        )
    finally:
        box.stop()
