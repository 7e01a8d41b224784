"""Earthdata Login's redirect dance at the DAACs, as NASA's Thin Egress App (TEA) runs it.

Sources, cited per test:
- TEA: ``src/thin_egress_app/app.py`` of asfadmin/thin-egress-app at
  519d87dd978a669f259d074f56dc53df88108a80 ("TEA app.py");
- rain-api-core: ``rain_api_core/urs_util.py``, ``auth.py``, ``egress_util.py`` of
  asfadmin/rain-api-core at aa9ec665faf5f63c7f7d98a5dadf6fe98a49ba2c;
- recorded responses: a PO.DAAC download traced 2025-11-08 in earthaccess-dev/earthaccess issue
  #1107 (TEA's 302 with Content-Type application/json; EDL's 401 and its Basic realm) and an
  NSIDC ECS download in datalad/datalad issue #5846 (2021);
- EDL's SSO client documentation, https://urs.earthdata.nasa.gov/sso_client_impl;
- the clients' own documentation and code: requests 2.34 ``Session.rebuild_auth`` (re-reads the
  netrc for each redirect host), curl 7.88 and wget 1.21 manuals (``-n``, ``--auth-no-challenge``).
"research 3.x" names the section of the project's research note on NASA's live services
(2026-12-04) that gathered these sources.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import requests
from sandbox_http import edl_token, session

from sandbox.catalog.records import GranuleRecord
from sandbox.config import (
    EDL_HOST,
    EDL_PASSWORD,
    EDL_UID,
    EDL_USERNAME,
    NSIDC_CLOUD_HOST,
    NSIDC_ECS_HOST,
    PODAAC_HOST,
)
from sandbox.daac import DaacApp
from sandbox.edl import AUTHORIZE_CHALLENGE, EarthdataLogin
from sandbox.service import Sandbox
from sandbox.tea import presigned_url

SCRIPT = {"User-Agent": "python-requests/2.34.2"}
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}


def record(sandbox: Sandbox, provider: str) -> GranuleRecord:
    assert sandbox.catalog is not None
    return next(g for g in sandbox.catalog.granules if g.provider == provider)


def data_url(sandbox: Sandbox, provider: str) -> str:
    """The real-host HTTPS URL of a protected data file of ``provider``."""
    served = record(sandbox, provider).files[0]
    return f"https://{served.host}{served.path}"


def daac_app(sandbox: Sandbox) -> DaacApp:
    assert sandbox.https_app is not None
    app = sandbox.https_app.routes[NSIDC_CLOUD_HOST]
    assert isinstance(app, DaacApp)
    return app


def edl_app(sandbox: Sandbox) -> EarthdataLogin:
    assert sandbox.https_app is not None
    app = sandbox.https_app.routes[EDL_HOST]
    assert isinstance(app, EarthdataLogin)
    return app


def netrc_home(tmp_path: Path) -> Path:
    """A HOME holding only a ``~/.netrc`` entry for Earthdata Login (mode 0600)."""
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(
        f"machine {EDL_HOST} login {EDL_USERNAME} password {EDL_PASSWORD}\n", encoding="utf-8"
    )
    netrc.chmod(0o600)
    return home


def child_env(sandbox: Sandbox, home: Path) -> dict[str, str]:
    env = sandbox.child_environment()
    env["HOME"] = str(home)
    env.pop("NETRC", None)
    return env


def run_child(env: dict[str, str], code: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------- whole flows, unmodified clients


def test_requests_with_only_a_netrc_downloads_nsidc_and_podaac_files(
    sandbox_elsewhere: Sandbox, tmp_path: Path
) -> None:
    """A bare ``requests.get(url)`` with a netrc entry for urs.earthdata.nasa.gov: 302 to EDL,
    where requests re-reads the netrc for the new host and sends Basic auth (research 3.8), EDL
    302s back to ``/login`` with a code (research 3.3), TEA answers 301 to the file with the
    ``asf-urs`` cookie (rain-api-core urs_util.do_login), then 303 to presigned S3 (TEA app.py
    try_download_from_bucket)."""
    urls = [data_url(sandbox_elsewhere, p) for p in ("NSIDC_CPRD", "POCLOUD")]
    env = child_env(sandbox_elsewhere, netrc_home(tmp_path))
    results = run_child(
        env,
        f"""
        import hashlib, json, requests
        out = []
        for url in {urls!r}:
            r = requests.get(url, timeout=60)
            out.append({{"status": r.status_code, "md5": hashlib.md5(r.content).hexdigest(),
                         "history": [(h.status_code, h.url) for h in r.history], "url": r.url}})
        print(json.dumps(out))
        """,
    )
    for provider, result in zip(("NSIDC_CPRD", "POCLOUD"), results, strict=True):
        granule = record(sandbox_elsewhere, provider).granule
        assert result["status"] == 200
        assert result["md5"] == granule.md5
        steps = [(status, urlsplit(url).hostname) for status, url in result["history"]]
        daac = urlsplit(data_url(sandbox_elsewhere, provider)).hostname
        assert steps == [(302, daac), (302, EDL_HOST), (301, daac), (303, daac)]
        assert urlsplit(result["url"]).hostname.endswith(".s3.us-west-2.amazonaws.com")


def test_curl_with_netrc_and_a_cookie_jar_downloads_them_too(
    sandbox_elsewhere: Sandbox, tmp_path: Path
) -> None:
    """``curl -n -L -c jar -b jar URL``, as NASA's download scripts run it (research 3.8): curl
    sends the netrc credentials to EDL, keeps TEA's ``asf-urs`` cookie (``Path=/``, no Secure
    or HttpOnly: rain-api-core auth.py get_header_to_set_auth_cookie), and a second download
    with the jar alone needs no login."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    env = child_env(sandbox_elsewhere, netrc_home(tmp_path))
    jar = tmp_path / "cookies.txt"
    for provider in ("NSIDC_CPRD", "POCLOUD"):
        out = tmp_path / f"{provider}.bin"
        args = [curl, "-sS", "-n", "-L", "-c", str(jar), "-b", str(jar), "-o", str(out)]
        done = subprocess.run(
            [*args, "-w", "%{http_code} %{num_redirects}", data_url(sandbox_elsewhere, provider)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "200 4"
        assert (
            hashlib.md5(out.read_bytes()).hexdigest()
            == record(sandbox_elsewhere, provider).granule.md5
        )
    cookies = [line.split("\t") for line in jar.read_text().splitlines() if "\tasf-urs\t" in line]
    assert {c[0] for c in cookies} == {NSIDC_CLOUD_HOST, PODAAC_HOST}
    assert all(c[2] == "/" and c[3] == "FALSE" for c in cookies)  # Path=/, not Secure
    again = subprocess.run(
        [curl, "-sS", "-L", "-b", str(jar), "-o", os.devnull, "-w", "%{http_code} %{num_redirects}"]
        + [data_url(sandbox_elsewhere, "NSIDC_CPRD")],
        env=child_env(sandbox_elsewhere, tmp_path),  # no netrc here
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.stdout == "200 1"  # the cookie: straight to the 303


def test_wget_with_auth_no_challenge_downloads_a_file(
    sandbox_elsewhere: Sandbox, tmp_path: Path
) -> None:
    """``wget --auth-no-challenge`` with the netrc sends Basic auth to EDL without waiting for
    a challenge (wget 1.21 manual, research 3.8) and keeps the session cookie."""
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not installed")
    env = child_env(sandbox_elsewhere, netrc_home(tmp_path))
    out = tmp_path / "file.h5"
    done = subprocess.run(
        [
            wget,
            "-q",
            "--auth-no-challenge",
            f"--ca-certificate={env['SSL_CERT_FILE']}",
            "--keep-session-cookies",
            f"--save-cookies={tmp_path / 'jar'}",
            "-O",
            str(out),
            data_url(sandbox_elsewhere, "NSIDC_CPRD"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (
        hashlib.md5(out.read_bytes()).hexdigest()
        == record(sandbox_elsewhere, "NSIDC_CPRD").granule.md5
    )


def test_s3credentials_without_a_token_go_through_the_same_dance(
    sandbox_us: Sandbox, tmp_path: Path
) -> None:
    """TEA's ``/s3credentials`` uses the same RequestAuthorizer: unauthenticated requests are
    redirected to EDL with ``state=%2Fs3credentials`` (TEA app.py s3credentials; research 3.7)."""
    env = child_env(sandbox_us, netrc_home(tmp_path))
    result = run_child(
        env,
        f"""
        import json, requests
        r = requests.get("https://{NSIDC_CLOUD_HOST}/s3credentials", timeout=60)
        print(json.dumps({{"status": r.status_code, "body": r.json(),
                           "history": [h.status_code for h in r.history]}}))
        """,
    )
    assert result["status"] == 200 and result["history"] == [302, 302, 301]
    assert set(result["body"]) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}


# ---------------------------------------------------------------- each step


def test_an_unauthenticated_request_is_sent_to_edl_with_tea_s_parameters(
    sandbox_us: Sandbox,
) -> None:
    """rain-api-core urs_util.get_urs_url: ``client_id``, ``response_type=code``, a
    ``redirect_uri`` that is not URL-encoded, ``state`` = quote_plus(path), and ``app_type=401``
    for User-Agents that do not start with Mozilla; TEA app.py do_auth_and_return answers 302
    with an empty body (Content-Type application/json in the recorded response, research 3.1)."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_CPRD")
    path = urlsplit(url).path
    script = http.get(url, headers=SCRIPT, allow_redirects=False, timeout=30)
    assert script.status_code == 302 and script.content == b""
    assert script.headers["Content-Type"] == "application/json"
    location = script.headers["Location"]
    client_id = query(location)["client_id"]
    assert location == (
        f"https://{EDL_HOST}/oauth/authorize?client_id={client_id}&response_type=code"
        f"&redirect_uri=https://{NSIDC_CLOUD_HOST}/login&state={quote_plus(path)}&app_type=401"
    )
    browser = http.get(url, headers=BROWSER, allow_redirects=False, timeout=30)
    assert "app_type" not in browser.headers["Location"]
    credentials = http.get(
        f"https://{PODAAC_HOST}/s3credentials", headers=SCRIPT, allow_redirects=False, timeout=30
    )
    assert credentials.status_code == 302
    assert query(credentials.headers["Location"])["state"] == "/s3credentials"
    assert query(credentials.headers["Location"])["client_id"] != client_id  # one app per DAAC
    # Basic credentials sent to the DAAC itself count for nothing (TEA app.py RequestAuthorizer:
    # '"Basic" auth will be handled by do_auth_and_return()'; research 3.2)
    basic = http.get(
        url, auth=(EDL_USERNAME, EDL_PASSWORD), headers=SCRIPT, allow_redirects=False, timeout=30
    )
    assert basic.status_code == 302 and basic.headers["Location"].startswith(
        f"https://{EDL_HOST}/oauth/authorize?"
    )


def test_edl_challenges_scripts_and_redirects_back_with_a_code(sandbox_us: Sandbox) -> None:
    """With ``app_type=401`` and no or wrong credentials EDL answers 401 with its Basic
    challenge (recorded 2025-11-08, research 3.3); with valid Basic credentials it redirects to
    ``redirect_uri`` with a ``code`` and the ``state`` unchanged (EDL sso_client_impl)."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "POCLOUD")
    authorize = http.get(url, headers=SCRIPT, allow_redirects=False, timeout=30).headers["Location"]
    for auth in (None, (EDL_USERNAME, "wrong-password")):
        refused = http.get(authorize, auth=auth, allow_redirects=False, timeout=30)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == AUTHORIZE_CHALLENGE
    without_app_type = authorize.replace("&app_type=401", "")
    page = http.get(without_app_type, allow_redirects=False, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    granted = http.get(
        authorize, auth=(EDL_USERNAME, EDL_PASSWORD), allow_redirects=False, timeout=30
    )
    assert granted.status_code == 302
    back = granted.headers["Location"]
    assert back.startswith(f"https://{PODAAC_HOST}/login?code=")
    assert query(back)["state"] == urlsplit(url).path
    unknown = http.get(
        authorize.replace(query(authorize)["client_id"], "no-such-client"),
        auth=(EDL_USERNAME, EDL_PASSWORD),
        allow_redirects=False,
        timeout=30,
    )
    assert unknown.status_code == 400 and "Earthdata sandbox" in unknown.text


def _code_for(http: requests.Session, url: str) -> str:
    authorize = http.get(url, headers=SCRIPT, allow_redirects=False, timeout=30).headers["Location"]
    back = http.get(
        authorize, auth=(EDL_USERNAME, EDL_PASSWORD), allow_redirects=False, timeout=30
    ).headers["Location"]
    return back


def test_login_exchanges_the_code_once_sets_asf_urs_and_redirects_to_state(
    sandbox_us: Sandbox,
) -> None:
    """rain-api-core urs_util.do_login: 301 to ``state`` with ``SET-COOKIE: asf-urs=<JWT>;
    Expires=<RFC 7231 date>; Path=/`` (auth.py get_header_to_set_auth_cookie; the JWT payload
    of _jwt_payload_from_user_profile; TEA app.py: cookie ``asf-urs``, RS256, 24 h). A code that
    EDL refuses (used twice, or made up): 400 "There was a problem talking to URS Login"; no
    params, no code or another ``error``: 400; ``error=access_denied``: 401 (the EULA)."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_CPRD")
    back = _code_for(http, url)
    login = http.get(back, allow_redirects=False, timeout=30)
    assert login.status_code == 301
    assert login.headers["Location"] == urlsplit(url).path
    cookie = login.headers["Set-Cookie"]
    name_value, expires, path = cookie.split("; ")
    assert name_value.startswith("asf-urs=") and path == "Path=/"
    when = datetime.strptime(expires, "Expires=%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(hours=23, minutes=59) < when - datetime.now(UTC) <= timedelta(hours=24)
    header, payload, _ = name_value.removeprefix("asf-urs=").split(".")
    pad = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    assert json.loads(pad(header))["alg"] == "RS256"
    assert set(json.loads(pad(payload))) == {
        "urs-user-id", "first_name", "last_name", "email", "urs-access-token", "urs-groups",
        "iat", "exp",
    }  # fmt: skip
    assert json.loads(pad(payload))["urs-user-id"] == EDL_UID
    again = http.get(back, allow_redirects=False, timeout=30)
    assert again.status_code == 400 and "problem talking to URS Login" in again.text
    login_url = f"https://{NSIDC_CLOUD_HOST}/login"
    for params, status in (
        ({}, 400),
        ({"error": "access_denied"}, 401),
        ({"error": "server_error"}, 400),
        ({"state": "/x"}, 400),
        ({"code": "made-up", "state": "/x"}, 400),
    ):
        answer = http.get(login_url, params=params, allow_redirects=False, timeout=30)
        assert answer.status_code == status, params
        assert "Set-Cookie" not in answer.headers


def test_a_session_gets_303_to_a_short_lived_presigned_s3_url(sandbox_us: Sandbox) -> None:
    """TEA app.py try_download_from_bucket: ``303`` to rain-api-core egress_util's presigned
    ``https://<bucket>.s3.<region>.amazonaws.com/<key>?A-userid=...&X-Amz-...`` URL valid for
    ``3600 - offset`` s, with ``Cache-Control: private, max-age=<expires_in - 60>`` and the
    ``Range`` header echoed (research 3.5); the S3 URL then serves the bytes."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_CPRD")
    http.get(_code_for(http, url), allow_redirects=False, timeout=30)  # the cookie, in the jar
    assert http.cookies.get("asf-urs", domain=NSIDC_CLOUD_HOST)
    answer = http.get(url, headers={"Range": "bytes=0-99"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.content == b""
    assert answer.headers["Range"] == "bytes=0-99"
    target = answer.headers["Location"]
    served = record(sandbox_us, "NSIDC_CPRD").files[0]
    assert target.startswith(
        f"https://{served.s3_bucket}.s3.us-west-2.amazonaws.com/{served.s3_key}?A-userid={EDL_UID}&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
    )
    params = query(target)
    expires_in = int(params["X-Amz-Expires"])
    assert 600 <= expires_in <= 3600 and params["X-Amz-SignedHeaders"] == "host"
    assert answer.headers["Cache-Control"] == f"private, max-age={expires_in - 60}"
    part = http.get(target, headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206
    assert part.content == record(sandbox_us, "NSIDC_CPRD").granule.path.read_bytes()[:100]


def test_forged_and_expired_cookies_count_as_no_cookie(sandbox_us: Sandbox) -> None:
    """rain-api-core auth.py JwtManager.get_profile_from_headers: a cookie whose signature does
    not verify or that has expired gives no profile, so TEA sends the client to EDL again."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_CPRD")
    cookies = daac_app(sandbox_us).sites[NSIDC_CLOUD_HOST].cookies
    profile = {"uid": EDL_UID, "email_address": "x@y", "user_groups": []}
    good = cookies.set_cookie(profile, "token").split(";")[0]
    header, payload, signature = good.removeprefix("asf-urs=").split(".")
    forged = f"asf-urs={header}.{payload}.{signature[:-4]}AAAA"
    expired = "asf-urs=" + cookies._sign({"urs-user-id": EDL_UID, "iat": 1, "exp": 2})
    for cookie, status in ((good, 303), (forged, 302), (expired, 302), ("asf-urs=junk", 302)):
        answer = http.get(
            url, headers={"Cookie": cookie, **SCRIPT}, allow_redirects=False, timeout=30
        )
        assert answer.status_code == status, cookie[:20]


def test_a_bearer_token_skips_the_dance_but_still_ends_in_a_303_and_sets_the_cookie(
    sandbox_us: Sandbox,
) -> None:
    """TEA app.py _get_profile_and_response_from_bearer: the token's ``uid`` is read without
    verifying it, EDL's ``/api/users/<uid>`` is asked; success continues to the 303 and sets the
    ``asf-urs`` cookie; a token that is not a JWT falls back to the 302 to EDL; EDL's refusal is
    returned with EDL's status and body; a header that does not split in two is 400
    ``Malformed Authorization header`` (research 3.6)."""
    http = session(sandbox_us)
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # each request on its own
    url = data_url(sandbox_us, "POCLOUD")
    token = edl_token(sandbox_us)
    ok = http.get(
        url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False, timeout=30
    )
    assert ok.status_code == 303 and ok.headers["Set-Cookie"].startswith("asf-urs=")
    creds = http.get(
        f"https://{PODAAC_HOST}/s3credentials",
        headers={"Authorization": f"Bearer {token}"},
        allow_redirects=False,
        timeout=30,
    )
    assert creds.status_code == 200 and creds.headers["Set-Cookie"].startswith("asf-urs=")
    not_a_jwt = http.get(
        url, headers={"Authorization": "Bearer nope", **SCRIPT}, allow_redirects=False, timeout=30
    )
    assert not_a_jwt.status_code == 302
    assert not_a_jwt.headers["Location"].startswith(f"https://{EDL_HOST}/oauth/authorize?")
    expired = sandbox_us.tokens.issue_with_lifetime(EDL_UID, -1).access_token
    refused = http.get(
        url, headers={"Authorization": f"Bearer {expired}"}, allow_redirects=False, timeout=30
    )
    assert refused.status_code == 401
    assert (
        refused.json()
        == http.get(
            f"https://{EDL_HOST}/api/users/{EDL_UID}",
            headers={"Authorization": f"Bearer {expired}"},
            timeout=30,
        ).json()
    )
    malformed = http.get(
        url, headers={"Authorization": "Bearer"}, allow_redirects=False, timeout=30
    )
    assert malformed.status_code == 400
    assert malformed.json() == {
        "status_code": 400,
        "error_description": "Malformed Authorization header",
    }


def test_head_and_public_files_are_redirected_without_a_login(sandbox_us: Sandbox) -> None:
    """TEA app.py dynamic_url_head answers HEAD with a 303 to a presigned HEAD URL and no
    authentication; public buckets need no login either (dynamic_url: required_groups None)."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_CPRD")
    head = http.head(url, allow_redirects=False, timeout=30)
    assert head.status_code == 303
    followed = http.head(url, allow_redirects=True, timeout=30)
    assert followed.status_code == 200
    assert int(followed.headers["Content-Length"]) == record(sandbox_us, "NSIDC_CPRD").granule.size
    md5_file = record(sandbox_us, "POCLOUD").files[1]
    assert not md5_file.protected
    public = http.get(f"https://{PODAAC_HOST}{md5_file.path}", timeout=30)
    assert [h.status_code for h in public.history] == [303]
    assert public.content == md5_file.source


def test_presigned_urls_expire_and_refuse_a_second_auth_mechanism(sandbox_us: Sandbox) -> None:
    """S3 refuses a presigned URL past X-Amz-Date + X-Amz-Expires with 403 AccessDenied "Request
    has expired", and one sent with an Authorization header as well with 400 InvalidArgument
    "Only one auth mechanism allowed" (AWS S3 error responses, as clients record them: e.g.
    the XML quoted in many S3 client tests)."""
    http = session(sandbox_us)
    served = record(sandbox_us, "NSIDC_CPRD").files[0]
    assert served.s3_bucket and served.s3_key
    credentials, _ = daac_app(sandbox_us).roles[NSIDC_CLOUD_HOST].credentials()
    old = presigned_url(
        credentials, served.s3_bucket, served.s3_key, 3600, EDL_UID,
        now=datetime.now(UTC) - timedelta(hours=2),
    )  # fmt: skip
    expired = http.get(old, timeout=30)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text
    fresh = presigned_url(credentials, served.s3_bucket, served.s3_key, 3600, EDL_UID)
    both = http.get(fresh, headers={"Authorization": "Bearer something"}, timeout=30)
    assert both.status_code == 400 and "<Code>InvalidArgument</Code>" in both.text
    assert http.get(fresh, timeout=30).status_code == 200


def test_edl_token_endpoint_exchanges_a_code_for_the_application_only(
    sandbox_us: Sandbox,
) -> None:
    """``POST /oauth/token`` with the application's Basic credentials and ``grant_type=
    authorization_code`` (rain-api-core urs_util.do_auth) returns ``access_token`` and
    ``endpoint`` ``/api/users/<uid>`` (what do_login reads); the token reads the user's record
    (urs_util.get_profile)."""
    http = session(sandbox_us)
    app = daac_app(sandbox_us).sites[PODAAC_HOST].app
    code = query(_code_for(http, data_url(sandbox_us, "POCLOUD")))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    token_url = f"https://{EDL_HOST}/oauth/token"
    wrong_app = http.post(token_url, data=form, auth=(app.client_id, "wrong"), timeout=30)
    assert wrong_app.status_code == 401 and wrong_app.json()["error"] == "invalid_client"
    token = http.post(
        token_url, data=form, headers={"Authorization": f"Basic {app.basic_auth}"}, timeout=30
    )
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer" and body["endpoint"] == f"/api/users/{EDL_UID}"
    user = http.get(
        f"https://{EDL_HOST}{body['endpoint']}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=30,
    )
    assert user.status_code == 200 and user.json()["uid"] == EDL_UID
    reused = http.post(token_url, data=form, auth=(app.client_id, app.password), timeout=30)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # OAuth access tokens are not user tokens: the two-token list is unchanged
    listed = http.get(
        f"https://{EDL_HOST}/api/users/tokens", auth=(EDL_USERNAME, EDL_PASSWORD), timeout=30
    ).json()
    assert body["access_token"] not in [t["access_token"] for t in listed]


def test_on_premises_ecs_sends_scripts_to_edl_as_the_urs_module_does(
    sandbox_us: Sandbox, tmp_path: Path
) -> None:
    """The ECS host (Apache and NASA's URS module): 302 to EDL with ``app_type=401`` first,
    ``redirect_uri`` ``https://n5eil01u.ecs.nsidc.org/OPS/redirect`` URL-encoded and ``state``
    the base64 of the whole URL (the recorded 2021 response in research 3.1); after the login the
    file itself is served."""
    http = session(sandbox_us)
    url = data_url(sandbox_us, "NSIDC_ECS")
    assert urlsplit(url).hostname == NSIDC_ECS_HOST
    first = http.get(url, headers=SCRIPT, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location.startswith(f"https://{EDL_HOST}/oauth/authorize?app_type=401&client_id=")
    assert "&redirect_uri=https%3A%2F%2Fn5eil01u.ecs.nsidc.org%2FOPS%2Fredirect&" in location
    assert base64.b64decode(query(location)["state"]).decode() == url
    env = child_env(sandbox_us, netrc_home(tmp_path))
    result = run_child(
        env,
        f"""
        import hashlib, json, requests
        r = requests.get({url!r}, timeout=60)
        print(json.dumps({{"status": r.status_code, "md5": hashlib.md5(r.content).hexdigest(),
                           "history": [h.status_code for h in r.history]}}))
        """,
    )
    assert result == {
        "status": 200,
        "md5": record(sandbox_us, "NSIDC_ECS").granule.md5,
        "history": [302, 302, 302],
    }
