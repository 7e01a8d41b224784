"""helpers.setup_check: each check's verdict and fix, and `check_setup` with real failing
conditions (no credentials and nobody to type them; a DAAC that refuses; a readable .netrc).

The full check against the sandbox runs in notebook 00 under nbval.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import tomllib
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import earthaccess
import pytest
from earthaccess.auth import Auth

import helpers
from helpers.auth import LoginStatus
from helpers.setup_check import (
    EARTHACCESS_FUNCTIONS,
    MIN_VERSIONS,
    Check,
    SetupReport,
    check_earthaccess_api,
    check_login,
    check_map_layer,
    check_package,
    check_python,
    check_region,
    check_s3_credentials,
    check_services,
    check_setup,
)

ROOT = Path(__file__).resolve().parents[1]
SECRET_VALUES = ("ASIAFAKEFAKEFAKEFAKE", "fake/secret+key", "FwoGZXIvYXdzEfake-session-token")
PASSWORD = "pa55-w0rd-never-shown"


def _credentials(minutes: float = 60) -> dict[str, str]:
    expiry = (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S+00:00")
    key, secret, token = SECRET_VALUES
    return {"accessKeyId": key, "secretAccessKey": secret, "sessionToken": token,
            "expiration": expiry}  # fmt: skip


# --- versions -------------------------------------------------------------------------------


def test_min_versions_are_those_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(
        (d.split(">=")[0].split("[")[0].strip().lower(), d.split(">=")[1].split(",")[0].strip())
        for d in project["dependencies"]
        if ">=" in d
    )
    assert {name: declared[name] for name in MIN_VERSIONS} == MIN_VERSIONS


def test_python_version():
    assert check_python((3, 13, 2)) == Check("Python", "ok", "Python 3.13.2 (needs 3.12 or newer)")
    old = check_python((3, 11, 7))  # earthaccess 0.18+ needs 3.12: pip cannot fix this kernel
    assert old.status == "fail" and "conda env create -f environment.yml" in old.fix
    assert "ipykernel install" in old.fix  # and how to choose the new environment's kernel


def test_old_earthaccess_gets_pip_on_python_312_and_a_new_environment_on_311():
    on_312 = check_package("earthaccess", "0.17.0", "0.18", python=(3, 12, 1))
    assert on_312.status == "fail" and "%pip install -U 'earthaccess>=0.18'" in on_312.fix
    assert "restart the kernel" in on_312.fix
    on_311 = check_package("earthaccess", "0.17.0", "0.18", python=(3, 11, 7))
    assert "%pip install" not in on_311.fix and "conda env create" in on_311.fix


@pytest.mark.parametrize(
    ("installed", "status", "words"),
    [
        ("0.17.0", "ok", "earthaccess 0.17.0 (needs 0.17 or newer)"),
        ("1.2", "ok", "earthaccess 1.2"),
        ("0.16.9", "fail", "earthaccess 0.16.9 is too old (needs 0.17 or newer)"),
        (None, "fail", "earthaccess is not installed"),
        ("not-a-version", "ok", "earthaccess not-a-version"),
    ],
)
def test_package_versions(installed, status, words):
    check = check_package("earthaccess", installed, "0.17", python=(3, 13))
    assert check.status == status and words in check.message
    assert ("earthaccess>=0.17" in check.fix) is (status == "fail")


class _OldCollection(dict):
    """earthaccess 0.17's DataCollection: metadata through methods."""

    def concept_id(self):
        return self["meta"]["concept-id"]

    def version(self):
        return self["umm"]["Version"]


def test_earthaccess_api_with_methods_instead_of_properties_fails():
    old = types.SimpleNamespace(
        **{name: getattr(earthaccess, name) for name in EARTHACCESS_FUNCTIONS.split()},
        DataCollection=_OldCollection,
        DataGranule=earthaccess.DataGranule,
        __version__="0.17.0",
    )
    check = check_earthaccess_api(old, python=(3, 12))
    assert check.status == "fail"
    assert "DataCollection.version (a property)" in check.message
    assert "DataGranule.size" not in check.message  # that one is right
    assert "%pip install -U 'earthaccess>=0.18'" in check.fix
    assert check_earthaccess_api(earthaccess).status == "ok"  # the installed release


def test_earthaccess_api_with_a_renamed_function_fails():
    functions = {name: getattr(earthaccess, name) for name in EARTHACCESS_FUNCTIONS.split()}
    del functions["get_s3_filesystem"]
    classes = {"DataCollection": earthaccess.DataCollection, "DataGranule": earthaccess.DataGranule}
    renamed = types.SimpleNamespace(**functions, **classes, __version__="9.9.9")
    message = check_earthaccess_api(renamed).message
    assert message.endswith("lacks what the tutorials call: earthaccess.get_s3_filesystem()")


# --- login, region, S3 credentials ----------------------------------------------------------


def test_login_failure_says_what_to_set_and_where_to_test_the_password():
    check = check_login(None, EOFError(), {"NETRC": "/home/me/.netrc"})
    assert check.status == "fail" and check.message == "logging in failed (EOFError)"
    assert "EARTHDATA_USERNAME" in check.fix and "/home/me/.netrc" in check.fix
    assert "https://urs.earthdata.nasa.gov" in check.fix
    assert check_login(None, helpers.NotLoggedInError("x"), {}).message.endswith("did not log in")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_login_from_a_netrc_others_can_read_warns(tmp_path):
    path = tmp_path / ".netrc"
    path.write_text(f"machine urs.earthdata.nasa.gov login alice password {PASSWORD}\n")
    status = LoginStatus(True, "alice", str(path), True, "0.19.0")
    path.chmod(0o600)
    ok = check_login(status, None, {"NETRC": str(path)})
    assert ok == Check("Earthdata Login", "ok", f"logged in as alice (credentials from {path})")
    path.chmod(0o644)
    warned = check_login(status, None, {"NETRC": str(path)})
    assert warned.status == "warn" and "(mode 0644)" in warned.message
    assert warned.fix == f"Protect your Earthdata password: chmod 600 {path}"


def test_region():
    assert check_region(True).status == "ok"
    assert check_region(False).status == "warn" and "HTTPS" in check_region(False).message
    assert check_region(None).fix == "Fix the login first."


def test_s3_credentials_show_only_their_lifetime():
    check = check_s3_credentials("NSIDC", _credentials(45))
    assert check.status == "ok"
    assert check.message.removesuffix("44 min").removesuffix("45 min") == (
        "temporary credentials issued, valid for another "
    )
    assert not any(v in check.message + check.fix for v in SECRET_VALUES)
    elsewhere = check_s3_credentials("PO.DAAC", _credentials(), in_region=False)
    assert elsewhere.status == "ok" and "only from us-west-2" in elsewhere.message


@pytest.mark.parametrize(
    ("credentials", "error", "logged_in", "status", "words"),
    [
        ({}, None, True, "fail", "gave no temporary S3 credentials"),  # refused: EULA
        ({"accessKeyId": "A", "expiration": ""}, None, True, "fail", "gave no temporary"),
        (None, ConnectionError("x"), True, "fail", "failed (ConnectionError)"),
        (None, None, False, "warn", "not tried: log in first"),
        (_credentials(-5), None, True, "fail", "already expired"),
        ({**_credentials(), "expiration": "soon"}, None, True, "ok", "credentials issued"),
    ],
)
def test_s3_credentials_problems(credentials, error, logged_in, status, words):
    check = check_s3_credentials("NSIDC", credentials, error, logged_in=logged_in)
    assert check.status == status and words in check.message
    if words.startswith("gave no"):
        assert "EULA" in check.fix


# --- map layer, services --------------------------------------------------------------------


def test_map_layer_is_read_from_the_shipped_copy_and_a_missing_or_damaged_one_fails(tmp_path):
    assert check_map_layer().status == "ok"
    missing = check_map_layer(tmp_path)
    assert missing.status == "fail" and missing.message == "ne_110m_coastline.shp is missing"
    physical = tmp_path / "shapefiles" / "natural_earth" / "physical"
    physical.mkdir(parents=True)
    for layer in ("coastline", "land"):
        (physical / f"ne_110m_{layer}.shp").write_bytes(b"not a shapefile")
    damaged = check_map_layer(tmp_path)
    assert damaged.status == "fail" and "pip install --no-deps -e ." in damaged.fix


def test_services():
    sandbox = check_services({"EARTHDATA_SANDBOX": "1", "EARTHDATA_SANDBOX_REGION": "elsewhere"})
    assert "sandbox (region elsewhere)" in sandbox.message and "synthetic" in sandbox.message
    assert "NASA's live services" in check_services({"EARTHDATA_SANDBOX": "0"}).message


# --- check_setup ----------------------------------------------------------------------------


def _logged_in() -> Auth:
    """An earthaccess Auth as earthaccess.login() leaves it."""
    auth = Auth()
    auth.username, auth.password = "alice", PASSWORD
    auth.token, auth.authenticated = {"access_token": "t0ken-never-shown"}, True
    return auth


def test_setup_reports_a_refused_daac_and_never_a_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "missing"))
    asked = []

    def get_s3_credentials(daac: str) -> dict[str, str]:  # earthaccess gives {} when refused
        asked.append(daac)
        return {} if daac == "PODAAC" else _credentials()

    report = check_setup(display=False, environ={}, login=_logged_in,
                         get_s3_credentials=get_s3_credentials)  # fmt: skip
    assert [c.name for c in report.checks] == [
        "Python", *MIN_VERSIONS, "earthaccess API", "Earthdata Login", "AWS region",
        "S3 credentials (NSIDC)", "S3 credentials (PO.DAAC)", "Offline map layer", "Services",
    ]  # fmt: skip
    assert asked == ["NSIDC", "PODAAC"]
    assert report["Earthdata Login"].message.startswith("logged in as alice")
    assert [c.name for c in report.failures] == ["S3 credentials (PO.DAAC)"]
    text = str(report)
    assert "[FAIL] S3 credentials (PO.DAAC)" in text and "accept the PO.DAAC EULA" in text
    assert text.endswith("Not ready: 1 failed. Do what it says under each, then check again.")
    assert not any(v in text for v in (*SECRET_VALUES, PASSWORD, "t0ken-never-shown"))


def test_setup_without_credentials_and_nobody_to_type_them_says_what_to_do(tmp_path):
    """A real earthaccess.login() in a child Python: no variables, no .netrc, stdin closed."""
    code = "import helpers; report = helpers.check_setup(); raise SystemExit(0 if report.ok else 3)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    env["NETRC"] = str(tmp_path / "missing-netrc")
    command = [sys.executable, "-c", textwrap.dedent(code)]
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 3, done.stderr
    out = done.stdout
    assert "[FAIL] Earthdata Login" in out and "logging in failed (EOFError)" in out
    assert "EARTHDATA_USERNAME and EARTHDATA_PASSWORD" in out and env["NETRC"] in out
    assert re.search(r"\[warn\] S3 credentials \(NSIDC\) +not tried: log in first", out)
    assert "[warn] AWS region" in out


def test_setup_can_skip_the_login_and_prints_the_table(capsys):
    report = check_setup(log_in=False, environ={})
    assert "Earthdata Login" not in [c.name for c in report.checks]
    with pytest.raises(KeyError, match="no check named"):
        report["Earthdata Login"]
    assert capsys.readouterr().out.strip() == str(report)
    assert str(report).startswith("[ ok ] Python")
    assert SetupReport((Check("x", "warn", "y", "z"),)).summary().startswith("Ready, with 1")


def test_exported_from_helpers():
    assert helpers.check_setup is check_setup
    assert "check_setup" in helpers.__all__ and "SetupReport" in helpers.__all__
