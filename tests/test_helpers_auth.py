"""helpers.auth: the login decision (pure, no network) and the login wrapper (earthaccess faked)."""

from __future__ import annotations

import os
import sys
import types

import earthaccess
import pytest
import requests
from earthaccess.exceptions import LoginAttemptFailure

from helpers.auth import (
    LoginPlan,
    LoginStatus,
    choose_login_strategy,
    default_netrc_path,
    login,
    login_status,
    person_present,
)
from helpers.errors import CredentialsNotFoundError, LoginRejectedError, LoginUnreachableError

SECRET = "s3cret-Pa55"


def _netrc(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "netrc"
    path.write_text(text)
    path.chmod(mode)
    return path


EDL_LINE = f"machine urs.earthdata.nasa.gov login alice password {SECRET}\n"


# ---------------------------------------------------------------------------------------------
# choose_login_strategy: every branch, no network


def test_token_in_environment() -> None:
    plan = choose_login_strategy({"EARTHDATA_TOKEN": SECRET}, None, False)
    assert plan == LoginPlan("environment", "EARTHDATA_TOKEN", None)


def test_token_wins_over_username_and_password() -> None:
    env = {"EARTHDATA_TOKEN": "t", "EARTHDATA_USERNAME": "bob", "EARTHDATA_PASSWORD": "p"}
    plan = choose_login_strategy(env, None, False)
    assert (plan.strategy, plan.source, plan.username) == ("environment", "EARTHDATA_TOKEN", "bob")


def test_username_and_password_in_environment(tmp_path) -> None:
    env = {"EARTHDATA_USERNAME": "bob", "EARTHDATA_PASSWORD": SECRET}
    plan = choose_login_strategy(env, _netrc(tmp_path, EDL_LINE), True)
    assert plan.strategy == "environment"
    assert plan.source == "EARTHDATA_USERNAME/EARTHDATA_PASSWORD"
    assert plan.username == "bob"


def test_empty_environment_values_do_not_count(tmp_path) -> None:
    env = {"EARTHDATA_TOKEN": "", "EARTHDATA_USERNAME": "", "EARTHDATA_PASSWORD": ""}
    plan = choose_login_strategy(env, _netrc(tmp_path, EDL_LINE), False)
    assert plan.strategy == "netrc"


def test_netrc(tmp_path) -> None:
    path = _netrc(tmp_path, "machine example.com login x password y\n" + EDL_LINE)
    plan = choose_login_strategy({}, path, False)
    assert plan == LoginPlan("netrc", str(path), "alice", ())


def test_netrc_on_separate_lines(tmp_path) -> None:
    path = _netrc(tmp_path, f"machine urs.earthdata.nasa.gov\n  login alice\n  password {SECRET}\n")
    assert choose_login_strategy({}, path, False).username == "alice"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_netrc_readable_by_others_warns(tmp_path) -> None:
    path = _netrc(tmp_path, EDL_LINE, mode=0o644)
    plan = choose_login_strategy({}, path, False)
    assert plan.strategy == "netrc"
    assert len(plan.warnings) == 1
    assert "chmod 600" in plan.warnings[0] and "0644" in plan.warnings[0]


def test_netrc_without_earthdata_entry_falls_back_to_a_prompt(tmp_path) -> None:
    path = _netrc(tmp_path, "machine example.com login x password y\n")
    assert choose_login_strategy({}, path, True) == LoginPlan("interactive", "prompt", None)


def test_prompt_only_when_a_person_is_present(tmp_path) -> None:
    assert choose_login_strategy({}, tmp_path / "missing", True).strategy == "interactive"
    with pytest.raises(CredentialsNotFoundError):
        choose_login_strategy({}, tmp_path / "missing", False)


def test_no_credentials_and_nobody_names_the_three_ways(tmp_path) -> None:
    missing = tmp_path / "missing-netrc"
    with pytest.raises(CredentialsNotFoundError) as info:
        choose_login_strategy({}, missing, False)
    message = str(info.value)
    for expected in (
        "EARTHDATA_USERNAME and EARTHDATA_PASSWORD",
        "EARTHDATA_TOKEN",
        ".netrc",
        str(missing),
        "machine urs.earthdata.nasa.gov login YOUR_USER password YOUR_PASSWORD",
        "interactively",
        f"no .netrc file at {missing}",
        "nobody can answer a prompt",
    ):
        assert expected in message
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize(
    ("netrc_text", "reason"),
    [
        ("machine example.com login x password y\n", "has no 'machine urs.earthdata.nasa.gov'"),
        ("machine urs.earthdata.nasa.gov login alice\n", "without login or password"),
        (f"machine urs.earthdata.nasa.gov login alice passwd {SECRET}\n", "could not be parsed"),
    ],
)
def test_unusable_netrc_is_explained_without_secrets(tmp_path, netrc_text, reason) -> None:
    path = _netrc(tmp_path, netrc_text + f"# {SECRET}\n")
    env = {"EARTHDATA_USERNAME": "bob"}
    with pytest.raises(CredentialsNotFoundError) as info:
        choose_login_strategy(env, path, False)
    assert reason in str(info.value)
    assert "EARTHDATA_USERNAME is set but EARTHDATA_PASSWORD is not" in str(info.value)
    assert SECRET not in str(info.value)


def test_password_without_username_is_explained() -> None:
    with pytest.raises(CredentialsNotFoundError, match="PASSWORD is set but EARTHDATA_USERNAME"):
        choose_login_strategy({"EARTHDATA_PASSWORD": SECRET}, None, False)


def test_plans_never_hold_secrets(tmp_path) -> None:
    env = {"EARTHDATA_USERNAME": "bob", "EARTHDATA_PASSWORD": SECRET, "EARTHDATA_TOKEN": SECRET}
    for plan in (
        choose_login_strategy(env, None, False),
        choose_login_strategy({}, _netrc(tmp_path, EDL_LINE), False),
    ):
        assert SECRET not in repr(plan) and SECRET not in str(plan)


def test_default_netrc_path(monkeypatch, tmp_path) -> None:
    assert default_netrc_path({"NETRC": str(tmp_path / "n")}) == tmp_path / "n"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_netrc_path({}).parent == tmp_path
    assert default_netrc_path({"NETRC": ""}).name in (".netrc", "_netrc")


# ---------------------------------------------------------------------------------------------
# person_present


class _Stdin:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _no_ipython(monkeypatch) -> None:
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)


def test_person_present_follows_the_terminal(monkeypatch) -> None:
    _no_ipython(monkeypatch)
    monkeypatch.setattr(sys, "stdin", _Stdin(True))
    assert person_present() is True
    monkeypatch.setattr(sys, "stdin", _Stdin(False))
    assert person_present() is False
    monkeypatch.setattr(sys, "stdin", None)
    assert person_present() is False


def _kernel(monkeypatch, kernel: object) -> None:
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: types.SimpleNamespace(kernel=kernel)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setattr(sys, "stdin", _Stdin(True))  # ignored inside a kernel


@pytest.mark.parametrize("allow", [True, False])
def test_person_present_in_a_notebook_follows_allow_stdin(monkeypatch, allow) -> None:
    parent = {"content": {"allow_stdin": allow}}
    _kernel(monkeypatch, types.SimpleNamespace(get_parent=lambda channel=None: parent))
    assert person_present() is allow


def test_person_present_in_an_older_kernel(monkeypatch) -> None:
    _kernel(monkeypatch, types.SimpleNamespace(_allow_stdin=False))
    assert person_present() is False


# ---------------------------------------------------------------------------------------------
# login (earthaccess.login faked: the real call runs under the sandbox)


class _FakeAuth:
    def __init__(self, username: str | None, authenticated: bool = True) -> None:
        self.username = username
        self.password = SECRET
        self.token = {"access_token": SECRET}
        self.authenticated = authenticated


@pytest.fixture
def fake_earthaccess(monkeypatch):
    calls = []

    def fake_login(strategy: str = "all", persist: bool = False, system=None):
        calls.append({"strategy": strategy, "persist": persist})
        monkeypatch.setattr(earthaccess, "__auth__", fake.auth, raising=False)
        monkeypatch.setattr(
            earthaccess, "__store__", types.SimpleNamespace(in_region=fake.in_region), raising=False
        )
        if fake.reject:
            raise LoginAttemptFailure(f"Authentication failed: {SECRET}")
        if fake.unreachable:
            raise requests.exceptions.ConnectionError(f"Max retries exceeded {SECRET}")
        return fake.auth

    fake = types.SimpleNamespace(
        auth=_FakeAuth("alice"), in_region=True, reject=False, unreachable=False, calls=calls
    )
    monkeypatch.setattr(earthaccess, "login", fake_login)
    return fake


def test_login_with_environment(fake_earthaccess, capsys) -> None:
    env = {"EARTHDATA_USERNAME": "alice", "EARTHDATA_PASSWORD": SECRET}
    status = login(environ=env, person_is_present=False)
    assert fake_earthaccess.calls == [{"strategy": "environment", "persist": False}]
    assert status.authenticated and status.username == "alice" and status.in_region is True
    assert status.source == "EARTHDATA_USERNAME/EARTHDATA_PASSWORD"
    printed = capsys.readouterr().out
    assert "alice" in printed and "us-west-2" in printed
    for text in (printed, repr(status), str(status)):
        assert SECRET not in text


def test_login_out_of_region_with_token(fake_earthaccess, capsys) -> None:
    fake_earthaccess.auth = _FakeAuth(None)
    fake_earthaccess.in_region = False
    status = login(environ={"EARTHDATA_TOKEN": SECRET}, person_is_present=False, report=False)
    assert status.username is None and status.in_region is False
    assert "not in AWS us-west-2" in str(status) and "token" in str(status)
    assert capsys.readouterr().out == ""


def test_login_with_netrc_warns_about_permissions(fake_earthaccess, tmp_path) -> None:
    path = _netrc(tmp_path, EDL_LINE, mode=0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        status = login(environ={"NETRC": str(path)}, person_is_present=False, report=False)
    assert fake_earthaccess.calls[0]["strategy"] == "netrc"
    assert status.source == str(path)


def test_login_interactive_only_with_a_person(fake_earthaccess, tmp_path) -> None:
    env = {"NETRC": str(tmp_path / "none")}
    login(environ=env, person_is_present=True, persist=True, report=False)
    assert fake_earthaccess.calls == [{"strategy": "interactive", "persist": True}]


def test_login_without_credentials_never_calls_earthaccess(fake_earthaccess, tmp_path) -> None:
    with pytest.raises(CredentialsNotFoundError):
        login(environ={"NETRC": str(tmp_path / "none")}, person_is_present=False)
    assert fake_earthaccess.calls == []


def test_rejected_credentials(fake_earthaccess) -> None:
    fake_earthaccess.reject = True
    env = {"EARTHDATA_USERNAME": "alice", "EARTHDATA_PASSWORD": SECRET}
    with pytest.raises(LoginRejectedError) as info:
        login(environ=env, person_is_present=False)
    message = str(info.value)
    assert "'alice'" in message and "urs.earthdata.nasa.gov" in message
    assert SECRET not in message and info.value.__suppress_context__


def test_unreachable_login_service(fake_earthaccess) -> None:
    fake_earthaccess.unreachable = True
    with pytest.raises(LoginUnreachableError, match="Could not reach Earthdata Login") as info:
        login(environ={"EARTHDATA_TOKEN": SECRET}, person_is_present=False)
    assert "status.earthdata.nasa.gov" in str(info.value) and SECRET not in str(info.value)
    assert isinstance(info.value, ConnectionError)


def test_login_not_authenticated(fake_earthaccess) -> None:
    fake_earthaccess.auth = _FakeAuth("alice", authenticated=False)
    with pytest.raises(LoginRejectedError, match="could not log in"):
        login(environ={"EARTHDATA_TOKEN": "t"}, person_is_present=False)


def test_login_status_before_login(monkeypatch) -> None:
    monkeypatch.setattr(earthaccess, "__auth__", _FakeAuth(None, False), raising=False)
    status = login_status()
    assert status == LoginStatus(False, None, "nowhere", None, earthaccess.__version__)
    assert str(status).startswith("Not logged in")


def test_login_status_when_earthaccess_has_no_store_attribute(monkeypatch) -> None:
    monkeypatch.setattr(earthaccess, "__auth__", _FakeAuth("alice"), raising=False)
    monkeypatch.setattr(earthaccess, "__store__", object(), raising=False)
    status = login_status()
    assert status.in_region is None and "region unknown" in str(status)


def test_earthaccess_strategy_error_reads_as_plain_text(tmp_path, monkeypatch) -> None:
    # helpers sees a .netrc (the `environ` given), earthaccess reads os.environ and finds none:
    # the real earthaccess raises LoginStrategyUnavailable((message,)) before any request, and
    # earthaccess 0.19's str() of it is a tuple's repr.
    netrc_file = _netrc(tmp_path, EDL_LINE)
    monkeypatch.setenv("NETRC", os.fspath(tmp_path / "missing" / ".netrc"))
    monkeypatch.setenv("HOME", os.fspath(tmp_path / "missing"))
    with pytest.raises(CredentialsNotFoundError) as caught:
        login(environ={"NETRC": os.fspath(netrc_file)}, person_is_present=False, report=False)
    message = str(caught.value)
    assert "No .netrc found at" in message
    assert "('" not in message and "',)" not in message  # no tuple repr
    assert SECRET not in message


@pytest.mark.parametrize(("sandbox", "practice"), [("1", True), ("0", False), (None, False)])
def test_login_line_says_practice_data_in_the_sandbox(
    fake_earthaccess, capsys, monkeypatch, sandbox, practice
) -> None:
    # The first output of every tutorial is this line: in the sandbox it must say the data are
    # synthetic practice data (python -m sandbox run sets EARTHDATA_SANDBOX=1).
    if sandbox is None:
        monkeypatch.delenv("EARTHDATA_SANDBOX", raising=False)
    else:
        monkeypatch.setenv("EARTHDATA_SANDBOX", sandbox)
    env = {"EARTHDATA_USERNAME": "alice", "EARTHDATA_PASSWORD": SECRET}
    status = login(environ=env, person_is_present=False)
    printed = capsys.readouterr().out
    assert status.practice is practice
    assert ("PRACTICE DATA" in printed and "synthetic" in printed) is practice
