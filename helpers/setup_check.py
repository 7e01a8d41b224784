"""The setup check that learners run first (`check_setup`): is this environment ready?

It checks, each as ``ok``, ``warn`` or ``fail`` with what to do: Python and the key packages
(minimum versions as in ``pyproject.toml``) and the earthaccess API the tutorials call; Earthdata
Login (``earthaccess.login()`` and `helpers.login_status`: the user and where the credentials came
from, never a secret); AWS us-west-2 or not; temporary S3 credentials from NSIDC and PO.DAAC
(how long they last, never the keys); the offline map layer; NASA's services or the sandbox.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from helpers.auth import in_sandbox, login_status, netrc_file, not_logged_in_message
from helpers.errors import NotLoggedInError
from helpers.retries import retry_transient_errors

__all__ = ["Check", "SetupReport", "check_setup"]

Status = Literal["ok", "warn", "fail"]

#: The packages the tutorials cannot do without, and their minimum versions (the same as
#: ``pyproject.toml``: a test keeps them equal).
MIN_VERSIONS: dict[str, str] = dict(
    earthaccess="0.18", xarray="2024.1", h5py="3.10", s3fs="2024.1", cartopy="0.23",
    pyresample="1.28",
)  # fmt: skip
MIN_PYTHON: tuple[int, int] = (3, 12)
#: The fix when the kernel's Python is too old: pip cannot help there.
NEW_ENVIRONMENT = (
    "conda env create -f environment.yml && conda activate earthdata-cloud && "
    "python -m ipykernel install --user --name earthdata-cloud, then choose the kernel "
    "'earthdata-cloud' (Kernel > Change Kernel); outside conda: make setup"
)
#: What the tutorials use of earthaccess: properties (methods up to 0.17) and functions.
EARTHACCESS_PROPERTIES = {"DataCollection": ("concept_id", "version", "abstract", "s3_bucket"),
                          "DataGranule": ("size",)}  # fmt: skip
EARTHACCESS_FUNCTIONS = "login search_datasets search_data granule_query open get_s3_filesystem"
#: DAACs asked for temporary S3 credentials: earthaccess name and the name people know.
S3_DAACS: tuple[tuple[str, str], ...] = (("NSIDC", "NSIDC"), ("PODAAC", "PO.DAAC"))
#: What to do, shared by several checks.
FIXES = {
    "login first": "Fix the login first.",
    "region": "Nothing to fix to follow the tutorials. For direct S3 reads, use a JupyterHub in "
    "us-west-2 (CryoCloud, Openscapes).",
    "network": "Check the network connection and https://status.earthdata.nasa.gov, then run "
    "the check again.",
    "clock": "Check the computer's clock, then run the check again.",
    "map": "Reinstall this repository's helpers (pip install --no-deps -e . in the repository), "
    "which ship the map layer in helpers/data/natural_earth.",
}


@dataclass(frozen=True)
class Check:
    """The result of one check: ``status`` ``ok``, ``warn`` (works; read it) or ``fail``.

    ``message`` says what was found (never a password, token or key), ``fix`` what to do.

    Examples
    --------
    >>> Check("Python", "ok", "Python 3.13.0").passed
    True
    """

    name: str
    status: Status
    message: str
    fix: str = ""

    @property
    def passed(self) -> bool:
        """True unless the status is ``fail``."""
        return self.status != "fail"


@dataclass(frozen=True)
class SetupReport:
    """All checks, in order; prints as a table with what to do under each problem.

    ``failures`` and ``warnings`` list the checks that failed and those that warn.

    Examples
    --------
    >>> report = SetupReport((Check("Python", "ok", "Python 3.13.0"),
    ...                       Check("Region", "warn", "not in us-west-2", "Use a hub.")))
    >>> report.ok, [c.name for c in report.warnings]
    (True, ['Region'])
    >>> print(report)
    [ ok ] Python  Python 3.13.0
    [warn] Region  not in us-west-2
                   -> Use a hub.
    Ready, with 1 warning: read it above.
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(check.passed for check in self.checks)

    failures = property(lambda self: [c for c in self.checks if c.status == "fail"])
    warnings = property(lambda self: [c for c in self.checks if c.status == "warn"])

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; there are {[c.name for c in self.checks]}")

    def summary(self) -> str:
        """One line: ready or not, and how many warnings and failures."""
        failures, warns = len(self.failures), len(self.warnings)
        if failures:
            return f"Not ready: {failures} failed. Do what it says under each, then check again."
        if warns:
            them = "it" if warns == 1 else "them"
            return f"Ready, with {warns} warning{'s' * (warns > 1)}: read {them} above."
        return "Ready: every check passed."

    def __str__(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        lines = []
        for check in self.checks:
            label = check.status.replace("fail", "FAIL")
            lines.append(f"[{label:^4}] {check.name:<{width}}  {check.message}")
            if check.status != "ok" and check.fix:
                lines.append(f"{' ' * (width + 9)}-> {check.fix}")
        return "\n".join([*lines, self.summary()])


def _problem(name: str, message: str, fix: str, status: Status = "fail") -> Check:
    return Check(name, status, message, FIXES.get(fix, fix))


def check_python(version: Sequence[int]) -> Check:
    """Python itself.

    >>> check_python((3, 11, 7)).message
    'Python 3.11.7 is too old (needs 3.12 or newer)'
    """
    shown, needs = ".".join(map(str, version[:3])), "{}.{}".format(*MIN_PYTHON)
    if tuple(version[:2]) < MIN_PYTHON:
        fix = f"Make the tutorial environment: {NEW_ENVIRONMENT}."
        return _problem("Python", f"Python {shown} is too old (needs {needs} or newer)", fix)
    return Check("Python", "ok", f"Python {shown} (needs {needs} or newer)")


def check_package(
    name: str, installed: str | None, minimum: str, python: Sequence[int] = sys.version_info
) -> Check:
    """One package: installed and new enough; the fix names the command to run.

    >>> check = check_package("earthaccess", "0.17.0", "0.18", python=(3, 12))
    >>> check.status, check.fix.split(",")[0]
    ('fail', "Run %pip install -U 'earthaccess>=0.18' in a notebook cell")
    >>> "conda env create" in check_package("earthaccess", "0.17.0", "0.18", python=(3, 11)).fix
    True
    """
    from packaging.version import InvalidVersion, Version

    needs = f" (needs {minimum} or newer)"
    if tuple(python[:2]) < MIN_PYTHON:
        fix = f"pip cannot help on this Python; make the tutorial environment: {NEW_ENVIRONMENT}."
    else:
        fix = (
            f"Run %pip install -U '{name}>={minimum}' in a notebook cell, then restart the "
            "kernel (Kernel > Restart Kernel); or use the tutorial environment "
            "(conda env create -f environment.yml, or make setup)."
        )
    if installed is None:
        return Check(name, "fail", f"{name} is not installed{needs}", fix)
    try:
        if Version(installed) < Version(minimum):
            return Check(name, "fail", f"{name} {installed} is too old{needs}", fix)
    except InvalidVersion:  # a development build: trust it
        pass
    return Check(name, "ok", f"{name} {installed}{needs}")


def check_earthaccess_api(module: Any, python: Sequence[int] = sys.version_info) -> Check:
    """The earthaccess API the tutorials call, checked on the module itself (a version number
    does not say whether ``collection.version`` is a property, as from 0.18, or a method).

    >>> import earthaccess, types
    >>> check_earthaccess_api(earthaccess).status
    'ok'
    >>> class DataCollection(dict):
    ...     def version(self): return "006"
    >>> old = types.SimpleNamespace(DataCollection=DataCollection, __version__="0.17.0")
    >>> check_earthaccess_api(old).message.split(":")[0]
    'earthaccess 0.17.0 lacks what the tutorials call'
    """
    missing = [
        f"{cls}.{attribute} (a property)"
        for cls, attributes in EARTHACCESS_PROPERTIES.items()
        for attribute in attributes
        if not isinstance(
            inspect.getattr_static(getattr(module, cls, None), attribute, None), property
        )
    ]
    functions = EARTHACCESS_FUNCTIONS.split()
    missing += [f"earthaccess.{f}()" for f in functions if not callable(getattr(module, f, None))]
    if missing:
        version = getattr(module, "__version__", "?")
        fix = check_package("earthaccess", version, MIN_VERSIONS["earthaccess"], python).fix
        message = f"earthaccess {version} lacks what the tutorials call: {', '.join(missing)}"
        return _problem("earthaccess API", message, fix)
    return Check("earthaccess API", "ok", "the properties and functions the tutorials call")


def check_login(
    status: Any | None, error: BaseException | None, environ: Mapping[str, str]
) -> Check:
    """Earthdata Login: the `helpers.LoginStatus`, or what ``earthaccess.login()`` or
    `helpers.login_status` raised (shown by its type only: its text may quote a server's page).

    >>> check_login(None, EOFError(), {}).fix.startswith("Not logged in to Earthdata")
    True
    """
    name = "Earthdata Login"
    if error is not None or status is None:
        what = f"logging in failed ({type(error).__name__})"
        if error is None or isinstance(error, NotLoggedInError):
            what = "earthaccess.login() did not log in"
        return Check(name, "fail", what, not_logged_in_message(netrc_file(environ)))
    message = f"logged in as {status.username or 'a token user'} (credentials from {status.source})"
    path = netrc_file(environ)
    if status.source.endswith(".netrc") and os.name == "posix" and path.is_file():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            message += f"; {path} can be read by other users (mode {mode:04o})"
            fix = f"Protect your Earthdata password: chmod 600 {path}"
            return _problem(name, message, fix, "warn")
    return Check(name, "ok", message)


def check_region(in_region: bool | None) -> Check:
    """Whether this runs in AWS us-west-2, as earthaccess found at login.

    >>> check_region(False).status
    'warn'
    """
    if in_region:
        return Check("AWS region", "ok", "running in AWS us-west-2: direct S3 reads work")
    if in_region is None:
        return _problem("AWS region", "unknown (login failed)", "login first", "warn")
    message = "not in AWS us-west-2: the tutorials read the same files over HTTPS (slower)"
    return _problem("AWS region", message, "region", "warn")


# fmt: off
def check_s3_credentials(
    daac: str, credentials: Mapping[str, Any] | None, error: BaseException | None = None, *,
    logged_in: bool = True, in_region: bool | None = True, now: datetime | None = None,
) -> Check:
    # fmt: on
    """Temporary S3 credentials of one DAAC (what ``earthaccess.get_s3_credentials`` returned,
    ``{}`` when refused): whether they came and how long they last; never a key.

    >>> creds = {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T",
    ...          "expiration": "2026-01-01 01:00:00+00:00"}
    >>> print(check_s3_credentials("NSIDC", creds, now=datetime(2026, 1, 1, tzinfo=UTC)).message)
    temporary credentials issued, valid for another 60 min
    """
    name = f"S3 credentials ({daac})"
    if not logged_in:
        return _problem(name, "not tried: log in first", "login first", "warn")
    if error is not None:
        return _problem(name, f"asking {daac} failed ({type(error).__name__})", "network")
    credentials = credentials or {}
    if not all(credentials.get(k) for k in ("accessKeyId", "secretAccessKey", "sessionToken")):
        fix = (
            f"Sign in at https://urs.earthdata.nasa.gov, open your profile, accept the {daac} "
            "EULA or authorise its application, then run the check again."
        )
        return _problem(name, f"{daac} gave no temporary S3 credentials", fix)
    message = "temporary credentials issued"
    try:
        expiry = datetime.fromisoformat(str(credentials.get("expiration", "")).strip())
    except ValueError:
        expiry = None
    if expiry is not None:
        expiry = expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)
        minutes = int((expiry - (now or datetime.now(UTC))).total_seconds() // 60)
        if minutes <= 0:
            return _problem(name, f"{daac} gave credentials that have already expired", "clock")
        message += f", valid for another {minutes} min"
    if in_region is False:
        message += " (they open the buckets only from us-west-2)"
    return Check(name, "ok", message)


def check_map_layer(directory: Path | None = None) -> Check:
    """The offline Natural Earth 110m coastlines and land of the maps, read from disk.

    >>> check_map_layer().status
    'ok'
    """
    from helpers.maps import use_offline_natural_earth

    name = "Offline map layer"
    try:
        from cartopy.io import shapereader

        root = use_offline_natural_earth() if directory is None else directory
        counts = {}
        for layer in ("coastline", "land"):
            path = root / "shapefiles" / "natural_earth" / "physical" / f"ne_110m_{layer}.shp"
            if not path.is_file():
                return _problem(name, f"{path.name} is missing", "map")
            counts[layer] = len(list(shapereader.Reader(os.fspath(path)).records()))
    except Exception as err:  # missing module or damaged file: its kind, not a traceback
        return _problem(name, f"cannot be read ({type(err).__name__})", "map")
    lines, polygons = counts["coastline"], counts["land"]
    message = f"Natural Earth 110m coastlines ({lines} lines) and land ({polygons} polygons)"
    return Check(name, "ok", message + ", read offline")


def check_services(environ: Mapping[str, str]) -> Check:
    """Which services answer: NASA's, or the offline Earthdata sandbox (practice data).

    >>> check_services({}).message
    "NASA's live services: real data"
    """
    if in_sandbox(environ):
        region = environ.get("EARTHDATA_SANDBOX_REGION", "us-west-2")
        message = f"the offline Earthdata sandbox (region {region}): synthetic practice data"
        return Check("Services", "ok", message + ", not NASA's")
    return Check("Services", "ok", "NASA's live services: real data")


def _version(name: str) -> str | None:
    return next((d.version for d in importlib.metadata.distributions(name=name)), None)


# fmt: off
def check_setup(
    *, log_in: bool = True, display: bool = True, environ: Mapping[str, str] | None = None,
    login: Callable[[], Any] | None = None,
    get_s3_credentials: Callable[..., Mapping[str, Any]] | None = None,
) -> SetupReport:
    # fmt: on
    """Check this environment for the tutorials and print what works and what to fix.

    ``log_in=False`` skips the login and the region and S3 checks; ``display`` prints the report;
    ``environ`` (default ``os.environ``), ``login`` and ``get_s3_credentials`` (default
    ``earthaccess.login`` and ``earthaccess.get_s3_credentials``) can be replaced. Returns every
    check in order; ``report.ok`` is False when one failed.

    Examples
    --------
    Without logging in, nothing goes over the network:

    >>> report = check_setup(log_in=False, display=False, environ={})
    >>> [c.name for c in report.checks][:2], report["Services"].status
    (['Python', 'earthaccess'], 'ok')
    """
    env = os.environ if environ is None else environ
    checks = [check_python(sys.version_info)]
    checks += [check_package(n, _version(n), minimum) for n, minimum in MIN_VERSIONS.items()]
    if checks[1].passed:  # earthaccess is installed and new enough
        checks.append(check_earthaccess_api(importlib.import_module("earthaccess")))
    if log_in:
        import earthaccess

        retry_transient_errors()
        status, error = None, None
        try:
            status = login_status((login or earthaccess.login)())
        except Exception as err:  # every way of failing becomes a readable check
            error = err
        checks.append(check_login(status, error, env))
        in_region = status.in_region if status else None
        checks.append(check_region(in_region))
        for daac, label in S3_DAACS:
            credentials, error = None, None
            if status is not None:
                try:
                    credentials = (get_s3_credentials or earthaccess.get_s3_credentials)(daac=daac)
                except Exception as err:
                    error = err
            logged_in = status is not None
            checks.append(check_s3_credentials(label, credentials, error, logged_in=logged_in,
                                               in_region=in_region))  # fmt: skip
    checks += [check_map_layer(), check_services(env)]
    report = SetupReport(tuple(checks))
    if display:
        print(report)
    return report
