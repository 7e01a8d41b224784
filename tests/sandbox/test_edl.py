"""Earthdata Login: the token API with Basic auth, 401 for wrong credentials, profile redirects."""

from __future__ import annotations

import pytest
import requests
from sandbox_http import session
from sandbox_shared import load_cassette

from sandbox.config import EDL_PASSWORD, EDL_UID, EDL_USERNAME
from sandbox.edl import MAX_TOKENS, TokenStore
from sandbox.service import Sandbox

EDL = "https://urs.earthdata.nasa.gov"


@pytest.fixture
def http(sandbox_us: Sandbox) -> requests.Session:
    return session(sandbox_us)


def test_find_or_create_token_needs_basic_auth_then_returns_one_token(
    http: requests.Session,
) -> None:
    url = f"{EDL}/api/users/find_or_create_token"
    anonymous = http.post(url, headers={"Accept": "application/json"}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    first = http.post(url, auth=(EDL_USERNAME, EDL_PASSWORD), timeout=30)
    second = http.post(url, auth=(EDL_USERNAME, EDL_PASSWORD), timeout=30)
    assert first.status_code == 200
    token = first.json()
    assert set(token) == {"access_token", "token_type", "expiration_date"}
    assert token["token_type"] == "Bearer"
    month, day, year = token["expiration_date"].split("/")
    assert len(month) == len(day) == 2 and len(year) == 4
    assert second.json() == token  # "find": the same token again
    assert token["access_token"].count(".") == 2  # JWT-shaped like EDL's


@pytest.mark.parametrize(
    "auth", [(EDL_USERNAME, "wrong-password"), ("someone_else", EDL_PASSWORD), ("", "")]
)
def test_wrong_credentials_get_401(http: requests.Session, auth: tuple[str, str]) -> None:
    response = http.post(f"{EDL}/api/users/find_or_create_token", auth=auth, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert EDL_PASSWORD not in response.text


def test_token_list_create_limit_and_revoke() -> None:
    store = TokenStore()
    first = store.create(EDL_UID)
    second = store.create(EDL_UID)
    assert first and second and first != second
    assert store.create(EDL_UID) is None
    assert len(store.list(EDL_UID)) == MAX_TOKENS
    assert store.revoke(EDL_UID, first.access_token)
    assert store.user_of(first.access_token) is None
    assert store.user_of(second.access_token) == EDL_UID
    assert store.user_of(store.issue_with_lifetime(EDL_UID, -1).access_token) is None


def test_token_endpoints_over_http(http: requests.Session) -> None:
    auth = (EDL_USERNAME, EDL_PASSWORD)
    listed = http.get(f"{EDL}/api/users/tokens", auth=auth, timeout=30)
    assert listed.status_code == 200 and isinstance(listed.json(), list)
    while len(http.get(f"{EDL}/api/users/tokens", auth=auth, timeout=30).json()) < MAX_TOKENS:
        assert http.post(f"{EDL}/api/users/token", auth=auth, timeout=30).status_code == 200
    over = http.post(f"{EDL}/api/users/token", auth=auth, timeout=30)
    assert over.status_code == 403 and over.json()["error"] == "max_token_limit"
    token = http.get(f"{EDL}/api/users/tokens", auth=auth, timeout=30).json()[-1]["access_token"]
    revoked = http.post(
        f"{EDL}/api/users/revoke_token", params={"token": token}, auth=auth, timeout=30
    )
    assert revoked.status_code == 200
    assert token not in [
        t["access_token"] for t in http.get(f"{EDL}/api/users/tokens", auth=auth, timeout=30).json()
    ]


def test_profile_redirects_home_and_user_record_needs_the_token(http: requests.Session) -> None:
    profile = http.get(f"{EDL}/profile", allow_redirects=False, timeout=30)
    assert profile.status_code == 302
    assert profile.headers["Location"] == f"{EDL}/home"
    assert http.get(f"{EDL}/profile", timeout=30).status_code == 200
    token = http.post(
        f"{EDL}/api/users/find_or_create_token", auth=(EDL_USERNAME, EDL_PASSWORD), timeout=30
    ).json()["access_token"]
    user = http.get(
        f"{EDL}/api/users/{EDL_UID}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert user.status_code == 200 and user.json()["uid"] == EDL_UID
    assert http.get(f"{EDL}/api/users/{EDL_UID}", timeout=30).status_code == 401


def test_response_headers_and_bodies_match_the_recorded_ones(http: requests.Session) -> None:
    real = next(i for i in load_cassette() if i["request"]["uri"].endswith("/api/users/tokens"))
    ours = http.get(f"{EDL}/api/users/tokens", auth=(EDL_USERNAME, EDL_PASSWORD), timeout=30)
    skip = {"connection", "transfer-encoding", "server"}
    real_names = {n.lower() for n in real["response"]["headers"]} - skip
    assert real_names <= {n.lower() for n in ours.headers}
    import json

    real_token = json.loads(real["response"]["body"]["string"])[0]
    assert set(real_token) == set(ours.json()[0])
