"""helpers.login's retries of temporary server errors on earthaccess's requests sessions."""

from __future__ import annotations

import requests

from helpers.auth import TRANSIENT_RETRIES, retry_transient_errors


class FakeAuth:
    """Stands for earthaccess's Auth: hands out a new session each time, as it does."""

    def __init__(self) -> None:
        self.made = 0

    def get_session(self) -> requests.Session:
        self.made += 1
        return requests.Session()


def test_every_session_earthaccess_hands_out_retries_5xx_with_backoff() -> None:
    auth = FakeAuth()
    retry_transient_errors(auth)
    retry_transient_errors(auth)  # idempotent: one layer only
    first, second = auth.get_session(), auth.get_session()
    assert auth.made == 2 and first is not second
    retries = first.get_adapter("https://cmr.earthdata.nasa.gov/search").max_retries
    assert retries.total == TRANSIENT_RETRIES["total"] == 5
    assert set(retries.status_forcelist) == {500, 502, 503, 504}
    assert retries.backoff_factor == 1.0 and retries.raise_on_status is False
    assert "POST" not in retries.allowed_methods  # never repeat a request that changes state
    assert second.get_adapter("https://urs.earthdata.nasa.gov/").max_retries.total == 5


def test_an_object_without_get_session_is_left_alone() -> None:
    retry_transient_errors(object())
