"""helpers.login_status: the one line after ``earthaccess.login()``, its clear error when the login
failed, and where the credentials came from, never a secret. No network: earthaccess's own
``Auth`` objects are given the state a login leaves (the login itself, through the sandbox, is in
``tests/sandbox/test_helpers_login_retries.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import earthaccess
import pytest
from earthaccess.auth import Auth
from earthaccess.store import Store

import helpers
from helpers.auth import credential_source, in_sandbox, netrc_file

PASSWORD, TOKEN = "pa55-w0rd-never-shown", "eyJ-token-never-shown"


def logged_in(username: str | None = "alice", password: str | None = PASSWORD) -> Auth:
    """An earthaccess Auth as earthaccess.login() leaves it (username, password, token)."""
    auth = Auth()
    auth.username, auth.password = username, password
    auth.token, auth.authenticated = {"access_token": TOKEN}, True
    return auth


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch, tmp_path) -> dict[str, str]:
    """A clean environment: no Earthdata variables, $NETRC pointing at a missing file."""
    for name in (
        "EARTHDATA_USERNAME",
        "EARTHDATA_PASSWORD",
        "EARTHDATA_TOKEN",
        "EARTHDATA_SANDBOX",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    return os.environ  # type: ignore[return-value]


@pytest.mark.parametrize("auth", [None, Auth()], ids=["None", "not-authenticated"])
def test_not_logged_in_says_what_to_set_and_where_to_test_the_password(environ, auth) -> None:
    with pytest.raises(helpers.NotLoggedInError) as error:
        helpers.login_status(auth)
    message = str(error.value)
    assert message.startswith("Not logged in to Earthdata: earthaccess.login() found no")
    for needed in ("EARTHDATA_USERNAME", "EARTHDATA_PASSWORD", "EARTHDATA_TOKEN",
                   "machine urs.earthdata.nasa.gov", environ["NETRC"], "chmod 600",
                   "https://urs.earthdata.nasa.gov"):  # fmt: skip
        assert needed in message
    assert isinstance(error.value, RuntimeError)  # generic handlers keep working


def test_environment_credentials_and_the_line_never_shows_a_secret(environ, monkeypatch) -> None:
    monkeypatch.setenv("EARTHDATA_USERNAME", "alice")
    monkeypatch.setenv("EARTHDATA_PASSWORD", PASSWORD)
    status = helpers.login_status(logged_in())
    assert (status.username, status.source) == ("alice", "EARTHDATA_USERNAME/EARTHDATA_PASSWORD")
    for text in (str(status), repr(status)):
        assert PASSWORD not in text and TOKEN not in text
    assert str(status).startswith("Logged in to Earthdata as alice (credentials from EARTHDATA_")


def test_token_login_has_no_user_name(environ, monkeypatch) -> None:
    monkeypatch.setenv("EARTHDATA_TOKEN", TOKEN)
    status = helpers.login_status(logged_in(None, None))
    assert status.source == "EARTHDATA_TOKEN" and status.username is None
    assert "token login: name not known" in str(status) and TOKEN not in str(status)


def test_netrc_credentials_are_named_by_path(environ, tmp_path) -> None:
    path = tmp_path / "netrc"
    path.write_text(f"machine urs.earthdata.nasa.gov\n  login alice\n  password {PASSWORD}\n")
    path.chmod(0o600)
    assert helpers.login_status(logged_in()).source == str(path)
    assert credential_source(logged_in(), {"NETRC": str(path)}) == str(path)
    # Another user's password in .netrc: these credentials were typed in, not read from it.
    assert credential_source(logged_in(password="other"), {"NETRC": str(path)}).startswith(
        "a prompt"
    )


def test_prompted_credentials(environ) -> None:
    assert helpers.login_status(logged_in()).source == "a prompt (typed in)"


def test_region_is_earthaccess_s_finding_for_this_login(environ, monkeypatch) -> None:
    auth = logged_in()
    store = Store.__new__(Store)  # what earthaccess.login() makes, without its requests
    store.auth, store.in_region = auth, False
    monkeypatch.setattr(earthaccess, "_store", store)  # earthaccess.__store__ reads this
    assert helpers.login_status(auth).in_region is False
    assert "not in AWS us-west-2: data will be read over HTTPS" in str(helpers.login_status(auth))
    store.in_region = True
    assert "S3 direct access available" in str(helpers.login_status(auth))
    assert helpers.login_status(logged_in()).in_region is None  # another login: not known


@pytest.mark.parametrize(("value", "practice"), [("1", True), ("0", False), (None, False)])
def test_practice_label_in_the_sandbox(environ, monkeypatch, value, practice) -> None:
    if value is not None:
        monkeypatch.setenv("EARTHDATA_SANDBOX", value)
    status = helpers.login_status(logged_in())
    assert status.practice is practice and ("PRACTICE DATA" in str(status)) is practice
    assert in_sandbox(os.environ) is practice


def test_netrc_file_is_the_one_earthaccess_reads(tmp_path, monkeypatch) -> None:
    from earthaccess.auth import netrc_path

    monkeypatch.setenv("NETRC", str(tmp_path / "n"))
    assert netrc_file(os.environ) == netrc_path() == tmp_path / "n"
    monkeypatch.delenv("NETRC")
    assert netrc_file(os.environ) == netrc_path()


def test_a_failed_login_in_a_script_ends_with_the_clear_error(tmp_path) -> None:
    """earthaccess.login() with no credentials and nobody to type them (stdin closed): it gives
    up; login_status then says what to do. Nothing is sent anywhere."""
    code = textwrap.dedent("""
        import earthaccess, helpers
        try:
            auth = earthaccess.login()
        except EOFError:  # earthaccess's prompt, with nobody to answer
            auth = None
        helpers.login_status(auth)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    env["NETRC"] = str(tmp_path / "missing-netrc")
    done = subprocess.run([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "helpers.errors.NotLoggedInError: Not logged in to Earthdata" in done.stderr
    assert str(tmp_path / "missing-netrc") in done.stderr
