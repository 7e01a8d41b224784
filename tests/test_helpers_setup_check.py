"""helpers.setup_check: the decisions of each check and of `check_setup`, without any network.

`check_setup` takes replacements for `helpers.login` and ``earthaccess.get_s3_credentials``;
the fakes here record their calls and hand out made-up secrets that must never be shown.
"""

from __future__ import annotations

import tomllib
import types
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import helpers
from helpers.auth import LoginStatus
from helpers.errors import CredentialsNotFoundError, LoginRejectedError, LoginUnreachableError
from helpers.setup_check import (
    EARTHACCESS_FUNCTIONS,
    KEY_PACKAGES,
    MIN_VERSIONS,
    TOPICS,
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
    min_versions,
    parse_min_versions,
)

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET_VALUES = ("ASIAFAKEFAKEFAKEFAKE", "fake/secret+key", "FwoGZXIvYXdzEfake-session-token")


def _credentials(minutes: float = 60) -> dict[str, str]:
    expiry = (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S+00:00")
    key, secret, token = SECRET_VALUES
    return {
        "accessKeyId": key,
        "secretAccessKey": secret,
        "sessionToken": token,
        "expiration": expiry,
    }


# --- versions -------------------------------------------------------------------------------


def test_min_versions_are_those_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = parse_min_versions(project["dependencies"])
    assert {name: declared[name] for name in KEY_PACKAGES} == MIN_VERSIONS
    assert min_versions() == MIN_VERSIONS  # the installed metadata says the same


def test_python_version():
    assert check_python((3, 12, 0)).status == "ok"
    assert check_python((3, 13, 2)).message == "Python 3.13.2 (needs 3.12 or newer)"
    old = check_python((3, 11, 7))  # earthaccess 0.18+ needs 3.12: pip cannot fix this kernel
    assert (old.status, old.topic) == ("fail", "install")
    assert "conda env create -f environment.yml" in old.fix
    assert "ipykernel install" in old.fix  # and how to choose the new environment's kernel


def test_old_earthaccess_on_python_311_gets_a_new_environment_not_pip():
    check = check_package("earthaccess", "0.17.0", "0.18", python=(3, 11, 7))
    assert check.status == "fail"
    assert "%pip install" not in check.fix  # pip would stop at 0.17 on Python 3.11
    assert "conda env create -f environment.yml" in check.fix


def test_old_earthaccess_on_python_312_gets_the_pip_command():
    check = check_package("earthaccess", "0.17.0", "0.18", python=(3, 12, 1))
    assert check.status == "fail"
    assert "%pip install -U 'earthaccess>=0.18'" in check.fix
    assert "restart the kernel" in check.fix


class _OldCollection(dict):
    """earthaccess 0.17's DataCollection: metadata through methods."""

    def concept_id(self):
        return self["meta"]["concept-id"]

    def version(self):
        return self["umm"]["Version"]


def test_earthaccess_api_of_the_installed_release():
    # The release installed here (the lock's, or the newest) has what the tutorials call.
    assert check_earthaccess_api().status == "ok"


def test_earthaccess_api_with_methods_instead_of_properties_fails():
    import earthaccess

    old = types.SimpleNamespace(
        **{name: getattr(earthaccess, name) for name in EARTHACCESS_FUNCTIONS},
        DataCollection=_OldCollection,
        DataGranule=earthaccess.DataGranule,
        __version__="0.17.0",
    )
    check = check_earthaccess_api(old, python=(3, 12))
    assert check.status == "fail"
    assert "DataCollection.version (a property)" in check.message
    assert "DataCollection.concept_id (a property)" in check.message
    assert "DataGranule.size" not in check.message  # that one is right
    assert "%pip install -U 'earthaccess>=0.18'" in check.fix


def test_earthaccess_api_with_a_renamed_function_fails():
    import earthaccess

    functions = {name: getattr(earthaccess, name) for name in EARTHACCESS_FUNCTIONS}
    del functions["get_s3_filesystem"]
    renamed = types.SimpleNamespace(
        **functions,
        DataCollection=earthaccess.DataCollection,
        DataGranule=earthaccess.DataGranule,
        __version__="9.9.9",
    )
    check = check_earthaccess_api(renamed)
    assert check.status == "fail"
    assert check.message.endswith("lacks what the tutorials call: earthaccess.get_s3_filesystem()")


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
    check = check_package("earthaccess", installed, "0.17")
    assert check.status == status
    assert words in check.message
    if status == "fail":
        assert check.topic == "install" and "earthaccess>=0.17" in check.fix


# --- login, region ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "topic", "words"),
    [
        (CredentialsNotFoundError("none"), "credentials", "no Earthdata Login credentials"),
        (LoginRejectedError("no"), "login", "rejected"),
        (LoginUnreachableError("down"), "sandbox", "could not be reached"),
        (RuntimeError("surprise"), "login", "RuntimeError"),
    ],
)
def test_login_failures_say_what_to_do(error, topic, words):
    check = check_login(None, error)
    assert (check.status, check.topic) == ("fail", topic)
    assert words in check.message and check.fix


def test_login_success_names_user_and_source_only():
    status = LoginStatus(True, "alice", "~/.netrc", True, "0.17.0")
    check = check_login(status, None)
    assert check == Check("Earthdata Login", "ok", "logged in as alice (credentials from ~/.netrc)")
    warned = check_login(status, None, ["~/.netrc can be read by other users; chmod 600 ~/.netrc"])
    assert (warned.status, warned.topic) == ("warn", "netrc")
    assert "chmod 600" in warned.fix
    assert check_login(LoginStatus(False, None, "nowhere", None, "0.17.0"), None).status == "fail"


def test_region():
    assert check_region(True).status == "ok"
    elsewhere = check_region(False)
    assert (elsewhere.status, elsewhere.topic) == ("warn", "region")
    assert "HTTPS" in elsewhere.message
    assert check_region(None).status == "warn"


# --- S3 credentials -------------------------------------------------------------------------


def test_s3_credentials_show_only_their_lifetime():
    check = check_s3_credentials("NSIDC", _credentials(45), now=datetime.now(UTC))
    assert check.status == "ok"
    assert check.message in (
        "temporary credentials issued, valid for another 44 min",
        "temporary credentials issued, valid for another 45 min",
    )
    assert not any(v in check.message + check.fix for v in SECRET_VALUES)


def test_s3_credentials_outside_the_region_say_where_they_work():
    check = check_s3_credentials("PO.DAAC", _credentials(), in_region=False)
    assert check.status == "ok" and "only from us-west-2" in check.message


@pytest.mark.parametrize(
    ("credentials", "error", "logged_in", "status", "words"),
    [
        ({}, None, True, "fail", "gave no temporary S3 credentials"),
        ({"accessKeyId": "A", "expiration": ""}, None, True, "fail", "gave no temporary"),
        (None, ConnectionError("x"), True, "fail", "failed (ConnectionError)"),
        (None, None, False, "warn", "not tried: log in first"),
    ],
)
def test_s3_credentials_problems(credentials, error, logged_in, status, words):
    check = check_s3_credentials("NSIDC", credentials, error, logged_in=logged_in)
    assert check.status == status and words in check.message


def test_refused_s3_credentials_point_at_the_eula():
    check = check_s3_credentials("NSIDC", {})
    assert check.topic == "eula" and "EULA" in check.fix


def test_expired_s3_credentials_fail():
    check = check_s3_credentials("NSIDC", _credentials(-5), now=datetime.now(UTC))
    assert check.status == "fail" and "expired" in check.message


def test_credentials_without_a_readable_expiry_still_count():
    credentials = {**_credentials(), "expiration": "soon"}
    assert check_s3_credentials("NSIDC", credentials).message == "temporary credentials issued"


# --- map layer, services --------------------------------------------------------------------


def test_map_layer_is_read_from_the_shipped_copy():
    check = check_map_layer()
    assert check.status == "ok"
    assert "coastlines" in check.message and "land" in check.message


def test_missing_map_layer_fails(tmp_path):
    check = check_map_layer(tmp_path)
    assert (check.status, check.topic) == ("fail", "helpers")
    assert "ne_110m_coastline.shp is missing" in check.message


def test_damaged_map_layer_fails(tmp_path):
    physical = tmp_path / "shapefiles" / "natural_earth" / "physical"
    physical.mkdir(parents=True)
    for layer in ("coastline", "land"):
        (physical / f"ne_110m_{layer}.shp").write_bytes(b"not a shapefile")
    assert check_map_layer(tmp_path).status == "fail"


def test_services():
    sandbox = check_services({"EARTHDATA_SANDBOX": "1", "EARTHDATA_SANDBOX_REGION": "elsewhere"})
    assert "sandbox (region elsewhere)" in sandbox.message and "synthetic" in sandbox.message
    assert "NASA's live services" in check_services({"EARTHDATA_SANDBOX": "0"}).message


# --- check_setup ----------------------------------------------------------------------------


class FakeEarthdata:
    """Stands in for helpers.login and earthaccess.get_s3_credentials; records the calls."""

    def __init__(self, login_error=None, in_region=True, refuse=(), warn=None):
        self.login_error, self.in_region, self.refuse, self.warn = (
            login_error,
            in_region,
            refuse,
            warn,
        )
        self.calls: list[str] = []

    def login(self, report=True):
        self.calls.append(f"login(report={report})")
        if self.warn:
            warnings.warn(self.warn, UserWarning, stacklevel=2)
        if self.login_error:
            raise self.login_error
        return LoginStatus(
            True, "alice", "EARTHDATA_USERNAME/EARTHDATA_PASSWORD", self.in_region, "0"
        )

    def get_s3_credentials(self, daac):
        self.calls.append(f"s3({daac})")
        return {} if daac in self.refuse else _credentials()


def _run(fake: FakeEarthdata, **kwargs) -> SetupReport:
    return check_setup(
        display=False,
        environ={"EARTHDATA_SANDBOX": "1"},
        login=fake.login,
        get_s3_credentials=fake.get_s3_credentials,
        **kwargs,
    )


def test_setup_all_good():
    fake = FakeEarthdata()
    report = _run(fake)
    assert report.ok and not report.warnings
    assert [c.name for c in report.checks] == [
        "Python",
        *KEY_PACKAGES,
        "earthaccess API",
        "Earthdata Login",
        "AWS region",
        "S3 credentials (NSIDC)",
        "S3 credentials (PO.DAAC)",
        "Offline map layer",
        "Services",
    ]
    assert fake.calls == ["login(report=False)", "s3(NSIDC)", "s3(PODAAC)"]
    assert report.summary() == "Ready: every check passed."


def test_setup_never_shows_a_secret():
    report = _run(FakeEarthdata(in_region=False, refuse=("PODAAC",)))
    shown = str(report) + report._repr_html_()
    assert not any(value in shown for value in SECRET_VALUES)


def test_setup_without_login_does_not_ask_for_s3_credentials():
    fake = FakeEarthdata(login_error=LoginRejectedError("rejected"))
    report = _run(fake)
    assert not report.ok
    assert [c.name for c in report.failures] == ["Earthdata Login"]
    assert report["S3 credentials (NSIDC)"].message == "not tried: log in first"
    assert report["AWS region"].status == "warn"
    assert fake.calls == ["login(report=False)"]
    assert report.summary().startswith("Not ready: 1 check failed.")


def test_setup_reports_a_refused_daac_and_a_login_warning():
    fake = FakeEarthdata(in_region=False, refuse=("PODAAC",), warn="~/.netrc is readable (0644)")
    report = _run(fake)
    assert report["Earthdata Login"].status == "warn"
    assert report["AWS region"].status == "warn"
    assert report["S3 credentials (NSIDC)"].status == "ok"
    refused = report["S3 credentials (PO.DAAC)"]
    assert refused.status == "fail" and refused.topic == "eula"
    text = str(report)
    assert "[FAIL] S3 credentials (PO.DAAC)" in text
    assert "(see book/troubleshooting.md, section ts-eula)" in text
    assert text.endswith(
        "Not ready: 1 check failed. Fix it (see 'What to do'), then run the check again."
    )


def test_setup_can_skip_the_login():
    report = check_setup(log_in=False, display=False, environ={})
    assert "Earthdata Login" not in [c.name for c in report.checks]
    with pytest.raises(KeyError, match="no check named"):
        report["Earthdata Login"]


def test_html_table_links_each_problem_to_the_book():
    report = SetupReport(
        (
            Check("Python", "ok", "Python 3.11.7"),
            Check("S3 credentials (NSIDC)", "fail", "refused <nsidc>", "Accept the EULA.", "eula"),
        )
    )
    table = report._repr_html_()
    assert table.count("<tr class=") == 2
    assert '<tr class="setup-check-fail">' in table
    assert "refused &lt;nsidc&gt;" in table  # escaped
    assert 'href="../book/troubleshooting.html#ts-eula"' in table


def test_every_topic_is_a_section_of_the_book():
    for page, label in TOPICS.values():
        source = (ROOT / "book" / f"{page}.md").read_text()
        assert f"({label})=" in source, (page, label)


def test_display_prints_the_table_outside_jupyter(capsys):
    report = check_setup(log_in=False, display=True, environ={})
    out = capsys.readouterr().out
    assert out.strip() == str(report)
    assert out.startswith("[ ok ] Python")


def test_exported_from_helpers():
    assert helpers.check_setup is check_setup
    assert "check_setup" in helpers.__all__ and "SetupReport" in helpers.__all__
