"""helpers.login under Earthdata Login's temporary errors: its GETs retry, and what is left says
which answer the service gave (not only "HTTPError")."""

from __future__ import annotations

import earthaccess
import pytest
import requests

from helpers.auth import login
from helpers.errors import LoginUnreachableError


def test_the_login_s_own_sessions_retry_and_a_lasting_503_is_named(monkeypatch) -> None:
    seen = {}

    def failing_login(**kwargs: object) -> None:
        session = earthaccess.__auth__.get_session()  # as Store's profile look-up gets one
        seen["retries"] = session.get_adapter("https://urs.earthdata.nasa.gov/").max_retries.total
        response = requests.Response()
        response.status_code, response.reason = 503, "Service Unavailable"
        raise requests.HTTPError("503 Server Error", response=response)

    monkeypatch.setattr(earthaccess, "login", failing_login)
    monkeypatch.setattr(earthaccess.__auth__, "get_session", earthaccess.__auth__.get_session)
    with pytest.raises(LoginUnreachableError, match="answered 503 Service Unavailable"):
        login(environ={"EARTHDATA_TOKEN": "t0ken"}, person_is_present=False, report=False)
    assert seen["retries"] == 5
