"""The setup check that learners run first: is this environment ready for the tutorials?

`check_setup` looks at, in order, and reports each as ``ok``, ``warn`` or ``fail`` with what to
do about it:

1. Python and the key packages (earthaccess, xarray, h5py, s3fs, cartopy, pyresample), against
   the minimum versions this project declares (``pyproject.toml``), and the earthaccess API the
   tutorials call (`check_earthaccess_api`: properties such as ``collection.version``, not only
   a version number);
2. Earthdata Login, through `helpers.login` (the user and where the credentials came from; never
   a password or a token);
3. whether this computer runs in AWS ``us-west-2``, where direct S3 reads work;
4. temporary S3 credentials from NSIDC and PO.DAAC (only whether they came, and for how long
   they last; never the keys);
5. the offline Natural Earth map layer that the tutorials' maps use;
6. which services answer: NASA's, or the offline Earthdata sandbox with synthetic practice data.

Each check is a small function of plain values (`check_python`, `check_package`,
`check_earthaccess_api`, `check_login`,
`check_region`, `check_s3_credentials`, `check_map_layer`, `check_services`), tested without any
network; `check_setup` gathers the values and calls them.

Examples
--------
>>> check_package("h5py", "3.12.1", "3.10").status
'ok'
>>> print(check_package("xarray", None, "2024.1").message)
xarray is not installed (needs 2024.1 or newer)
"""

from __future__ import annotations

import html
import importlib.metadata
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "KEY_PACKAGES",
    "MIN_VERSIONS",
    "S3_DAACS",
    "Check",
    "SetupReport",
    "check_earthaccess_api",
    "check_login",
    "check_map_layer",
    "check_package",
    "check_python",
    "check_region",
    "check_s3_credentials",
    "check_services",
    "check_setup",
    "min_versions",
    "parse_min_versions",
]

Status = Literal["ok", "warn", "fail"]

#: The packages the tutorials cannot do without, in the order they are reported.
KEY_PACKAGES: tuple[str, ...] = ("earthaccess", "xarray", "h5py", "s3fs", "cartopy", "pyresample")
#: Their minimum versions: the same as ``pyproject.toml`` (a test keeps them equal). Used when
#: the project's own metadata cannot be read.
MIN_VERSIONS: dict[str, str] = {
    "earthaccess": "0.18",
    "xarray": "2024.1",
    "h5py": "3.10",
    "s3fs": "2024.1",
    "cartopy": "0.23",
    "pyresample": "1.28",
}
MIN_PYTHON: tuple[int, int] = (3, 12)
#: What a learner runs to get the tutorial environment when the kernel's Python is too old (pip
#: cannot help there: earthaccess 0.18+ needs Python 3.12).
NEW_ENVIRONMENT = (
    "conda env create -f environment.yml && conda activate earthdata-cloud && "
    "python -m ipykernel install --user --name earthdata-cloud, then choose the kernel "
    "'earthdata-cloud' (Kernel > Change Kernel)"
)
#: What the tutorials read from earthaccess: properties of collections and granules (methods up to
#: earthaccess 0.17), and the functions they call.
EARTHACCESS_PROPERTIES: dict[str, tuple[str, ...]] = {
    "DataCollection": ("concept_id", "version", "abstract", "s3_bucket", "summary"),
    "DataGranule": ("size",),
}
EARTHACCESS_FUNCTIONS: tuple[str, ...] = (
    "login",
    "search_datasets",
    "search_data",
    "granule_query",
    "open",
    "download",
    "get_s3_filesystem",
    "get_s3_credentials",
)
PROJECT = "earthdata-cloud-tutorials"
#: DAACs asked for temporary S3 credentials: earthaccess name and the name people know.
S3_DAACS: tuple[tuple[str, str], ...] = (("NSIDC", "NSIDC"), ("PODAAC", "PO.DAAC"))
S3_CREDENTIAL_KEYS: tuple[str, ...] = ("accessKeyId", "secretAccessKey", "sessionToken")

#: Where each topic is explained: a page of the book and a section label.
TOPICS: dict[str, tuple[str, str]] = {
    "install": ("setup", "setup-local"),
    "credentials": ("setup", "setup-credentials"),
    "netrc": ("troubleshooting", "ts-netrc"),
    "login": ("troubleshooting", "ts-401"),
    "region": ("troubleshooting", "ts-403-region"),
    "eula": ("troubleshooting", "ts-eula"),
    "helpers": ("troubleshooting", "ts-helpers"),
    "sandbox": ("troubleshooting", "ts-sandbox"),
}
_ICONS = {"ok": "\u2705", "warn": "\u26a0\ufe0f", "fail": "\u274c"}
_LABELS = {"ok": "ok", "warn": "warn", "fail": "FAIL"}


@dataclass(frozen=True)
class Check:
    """The result of one check.

    Attributes
    ----------
    name
        What was checked, e.g. ``"Earthdata Login"``.
    status
        ``"ok"``, ``"warn"`` (works, but read the message) or ``"fail"`` (fix it first).
    message
        What was found. Never a password, token or key.
    fix
        What to do when it is not ``ok`` (empty when nothing is to be done).
    topic
        A key of `TOPICS`: the book's section that explains it.

    Examples
    --------
    >>> Check("Python", "ok", "Python 3.13.0").passed
    True
    """

    name: str
    status: Status
    message: str
    fix: str = ""
    topic: str = ""

    @property
    def passed(self) -> bool:
        """True unless the status is ``fail``."""
        return self.status != "fail"

    def help_text(self) -> str:
        """Where the book explains this check, e.g. ``book/troubleshooting.md, section ts-401``."""
        if self.topic not in TOPICS:
            return ""
        page, label = TOPICS[self.topic]
        return f"book/{page}.md, section {label}"

    def help_href(self, book_root: str = "../book/") -> str:
        """The link to that section from a page of the built book (``notebooks/*.html``)."""
        if self.topic not in TOPICS:
            return ""
        page, label = TOPICS[self.topic]
        return f"{book_root}{page}.html#{label}"


@dataclass(frozen=True)
class SetupReport:
    """All checks, in order. Shows as a table (text, or HTML in a notebook).

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

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == "warn"]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; there are {[c.name for c in self.checks]}")

    def summary(self) -> str:
        """One line: ready or not, and how many warnings and failures."""
        failures, warns = len(self.failures), len(self.warnings)
        if failures:
            return (
                f"Not ready: {failures} check{'s' * (failures > 1)} failed. Fix "
                f"{'them' if failures > 1 else 'it'} (see 'What to do'), then run the check again."
            )
        if warns:
            them = "them" if warns > 1 else "it"
            return f"Ready, with {warns} warning{'s' * (warns > 1)}: read {them} above."
        return "Ready: every check passed."

    def __str__(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        lines = []
        for check in self.checks:
            lines.append(f"[{_LABELS[check.status]:^4}] {check.name:<{width}}  {check.message}")
            indent = " " * (width + 9)
            if check.status != "ok" and check.fix:
                lines.append(f"{indent}-> {check.fix}")
            if check.status != "ok" and check.help_text():
                lines.append(f"{indent}   (see {check.help_text()})")
        lines.append(self.summary())
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The text table for IPython's plain-text display (instead of the dataclass repr)."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        rows = []
        for check in self.checks:
            todo = html.escape(check.fix if check.status != "ok" else "")
            href = check.help_href()
            more = f' <a href="{href}">More</a>' if href else ""
            rows.append(
                f'<tr class="setup-check-{check.status}">'
                f'<td title="{check.status}">{_ICONS[check.status]}</td>'
                f"<td><strong>{html.escape(check.name)}</strong></td>"
                f"<td>{html.escape(check.message)}</td><td>{todo}{more}</td></tr>"
            )
        return (
            '<table class="setup-check"><thead><tr><th></th><th>Check</th><th>Result</th>'
            "<th>What to do</th></tr></thead><tbody>"
            + "".join(rows)
            + f"</tbody></table><p><strong>{html.escape(self.summary())}</strong></p>"
        )


# --- versions -------------------------------------------------------------------------------

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def parse_min_versions(requirements: Iterable[str]) -> dict[str, str]:
    """The ``>=`` minimum of each requirement string (others are left out).

    Examples
    --------
    >>> parse_min_versions(["earthaccess>=0.18", "dask[distributed]>=2024.1", "jupyter-book<2",
    ...                     "moto[server]>=5.0; extra == 'sandbox'"])
    {'earthaccess': '0.18', 'dask': '2024.1', 'moto': '5.0'}
    """
    found = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def min_versions() -> dict[str, str]:
    """Minimum versions of the key packages, from this project's installed metadata (which comes
    from ``pyproject.toml``), else from `MIN_VERSIONS`."""
    try:
        declared = [r for r in importlib.metadata.requires(PROJECT) or [] if "extra ==" not in r]
    except importlib.metadata.PackageNotFoundError:
        declared = []
    parsed = parse_min_versions(declared)
    return {name: parsed.get(name, MIN_VERSIONS[name]) for name in KEY_PACKAGES}


def _older(installed: str, minimum: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(installed) < Version(minimum)
    except InvalidVersion:
        return False


def check_python(version: Sequence[int], minimum: tuple[int, int] = MIN_PYTHON) -> Check:
    """Python itself.

    Examples
    --------
    >>> check = check_python((3, 11, 7))
    >>> check.status, check.message
    ('fail', 'Python 3.11.7 is too old (needs 3.12 or newer)')
    """
    shown = ".".join(str(v) for v in version[:3])
    needs = f"{minimum[0]}.{minimum[1]}"
    if tuple(version[:2]) < minimum:
        return Check(
            "Python",
            "fail",
            f"Python {shown} is too old (needs {needs} or newer)",
            f"This kernel cannot be updated in place. Make the tutorial environment: "
            f"{NEW_ENVIRONMENT}. Outside conda: make setup (a .venv with Python {needs}+).",
            "install",
        )
    return Check("Python", "ok", f"Python {shown} (needs {needs} or newer)")


def check_package(
    name: str,
    installed: str | None,
    minimum: str | None,
    python: Sequence[int] | None = None,
) -> Check:
    """One package: installed, and new enough; the fix names the command to run.

    ``python`` is the kernel's Python version (default: this one). When it is older than
    `MIN_PYTHON`, updating with pip cannot reach the versions the tutorials need (earthaccess
    0.18+ needs Python 3.12), so the fix is a new environment instead.

    Examples
    --------
    >>> check = check_package("earthaccess", "0.17.0", "0.18", python=(3, 12))
    >>> check.status, check.fix.split(",")[0]
    ('fail', "Run %pip install -U 'earthaccess>=0.18' in a notebook cell")
    >>> "conda env create" in check_package("earthaccess", "0.17.0", "0.18", python=(3, 11)).fix
    True
    """
    needs = f" (needs {minimum} or newer)" if minimum else ""
    python = tuple(sys.version_info[:2] if python is None else python[:2])
    if python < MIN_PYTHON:
        fix = (
            f"pip cannot help on Python {python[0]}.{python[1]}: the tutorials need Python "
            f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}+. Make the tutorial environment: {NEW_ENVIRONMENT}."
        )
    else:
        fix = (
            f"Run %pip install -U '{name}>={minimum or '0'}' in a notebook cell, then restart the "
            "kernel (Kernel > Restart Kernel); or use the tutorial environment "
            "(conda env create -f environment.yml, or make setup)."
        )
    if installed is None:
        return Check(name, "fail", f"{name} is not installed{needs}", fix, "install")
    if minimum and _older(installed, minimum):
        return Check(name, "fail", f"{name} {installed} is too old{needs}", fix, "install")
    return Check(name, "ok", f"{name} {installed}{needs}")


def check_earthaccess_api(module: Any = None, python: Sequence[int] | None = None) -> Check:
    """The earthaccess API the tutorials call, checked on the installed module itself.

    A version number alone does not say whether ``collection.version`` is a property (earthaccess
    0.18+) or a method (0.17 and older, where the tutorials' ``collection.version`` would print a
    bound method), nor whether a function the tutorials call was renamed. ``module`` is the
    earthaccess module (default: imported here).

    Examples
    --------
    >>> check_earthaccess_api().status
    'ok'
    >>> import types
    >>> class DataCollection(dict):
    ...     def version(self): return "006"
    >>> old = types.SimpleNamespace(DataCollection=DataCollection, __version__="0.17.0")
    >>> check = check_earthaccess_api(old, python=(3, 12))
    >>> check.status, check.message.split(":")[0]
    ('fail', 'earthaccess 0.17.0 lacks what the tutorials call')
    """
    import inspect

    name = "earthaccess API"
    python = tuple(sys.version_info[:2] if python is None else python[:2])
    if module is None:
        try:
            import earthaccess as module
        except Exception as err:  # not installed, or broken: the package check says which
            return Check(
                name,
                "fail",
                f"earthaccess cannot be imported ({type(err).__name__})",
                check_package("earthaccess", None, "0", python).fix,
                "install",
            )
    version = getattr(module, "__version__", None) or _installed_version("earthaccess") or "?"
    missing = []
    for class_name, attributes in EARTHACCESS_PROPERTIES.items():
        cls = getattr(module, class_name, None)
        for attribute in attributes:
            if cls is None or not isinstance(
                inspect.getattr_static(cls, attribute, None), property
            ):
                missing.append(f"{class_name}.{attribute} (a property)")
    missing += [
        f"earthaccess.{f}()"
        for f in EARTHACCESS_FUNCTIONS
        if not callable(getattr(module, f, None))
    ]
    if missing:
        minimum = min_versions().get("earthaccess", MIN_VERSIONS["earthaccess"])
        fix = check_package("earthaccess", version, minimum, python).fix
        return Check(
            name,
            "fail",
            f"earthaccess {version} lacks what the tutorials call: {', '.join(missing)}",
            fix,
            "install",
        )
    return Check(
        name, "ok", "collection and granule properties and the functions the tutorials call"
    )


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- login, region, S3 credentials ----------------------------------------------------------


def check_login(
    status: Any | None, error: BaseException | None, notes: Sequence[str] = ()
) -> Check:
    """Earthdata Login: the `helpers.LoginStatus` after `helpers.login`, or the error it raised.

    ``notes`` are the warnings raised while logging in (e.g. a ``.netrc`` others can read).

    Examples
    --------
    >>> from helpers.errors import LoginRejectedError
    >>> check_login(None, LoginRejectedError("rejected")).topic
    'login'
    """
    from helpers.errors import CredentialsNotFoundError, LoginRejectedError, LoginUnreachableError

    name = "Earthdata Login"
    if error is not None:
        if isinstance(error, CredentialsNotFoundError):
            return Check(
                name,
                "fail",
                "no Earthdata Login credentials found",
                "Give them in one of three ways: EARTHDATA_USERNAME and EARTHDATA_PASSWORD, a "
                "~/.netrc line for urs.earthdata.nasa.gov (mode 600), or run the notebook yourself "
                "and type them when asked. No account yet? Register at "
                "https://urs.earthdata.nasa.gov.",
                "credentials",
            )
        if isinstance(error, LoginRejectedError):
            return Check(
                name,
                "fail",
                "Earthdata Login rejected the user name or password",
                "Sign in at https://urs.earthdata.nasa.gov to test them (reset the password there "
                "if needed); check which of the three ways gave them.",
                "login",
            )
        if isinstance(error, LoginUnreachableError):
            return Check(
                name,
                "fail",
                "Earthdata Login (urs.earthdata.nasa.gov) could not be reached",
                "Check the network connection and any proxy settings, and "
                "https://status.earthdata.nasa.gov; then run the check again.",
                "sandbox",
            )
        return Check(
            name,
            "fail",
            f"logging in failed ({type(error).__name__})",
            "Run helpers.login() on its own to see the whole message.",
            "login",
        )
    if status is None or not getattr(status, "authenticated", False):
        return Check(name, "fail", "not logged in", "Run helpers.login().", "credentials")
    user = getattr(status, "username", None) or "a token user"
    message = f"logged in as {user} (credentials from {status.source})"
    if notes:
        return Check(name, "warn", message + "; " + "; ".join(notes), notes[0], "netrc")
    return Check(name, "ok", message)


def check_region(in_region: bool | None) -> Check:
    """Whether this runs in AWS us-west-2 (as earthaccess found at login).

    Examples
    --------
    >>> check_region(False).status
    'warn'
    """
    name = "AWS region"
    if in_region:
        return Check(name, "ok", "running in AWS us-west-2: direct S3 reads work")
    if in_region is None:
        return Check(
            name,
            "warn",
            "unknown (found at login, which did not succeed)",
            "Fix the login first.",
            "region",
        )
    return Check(
        name,
        "warn",
        "not in AWS us-west-2: the tutorials read the same files over HTTPS (slower)",
        "Nothing to fix to follow the tutorials. For direct S3 reads, use a JupyterHub in "
        "us-west-2 (CryoCloud, Openscapes).",
        "region",
    )


def check_s3_credentials(
    daac: str,
    credentials: Mapping[str, Any] | None,
    error: BaseException | None = None,
    *,
    now: datetime | None = None,
    in_region: bool | None = True,
    logged_in: bool = True,
) -> Check:
    """Temporary S3 credentials of one DAAC: whether they came and how long they last.

    Only the expiry is shown, never a key. ``credentials`` is what
    ``earthaccess.get_s3_credentials(daac=...)`` returned (``{}`` when refused).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> creds = {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T",
    ...          "expiration": "2026-01-01 01:00:00+00:00"}
    >>> print(check_s3_credentials("NSIDC", creds, now=datetime(2026, 1, 1, tzinfo=UTC)).message)
    temporary credentials issued, valid for another 60 min
    """
    name = f"S3 credentials ({daac})"
    if not logged_in:
        return Check(name, "warn", "not tried: log in first", "Fix the login first.", "credentials")
    if error is not None:
        return Check(
            name,
            "fail",
            f"asking {daac} for credentials failed ({type(error).__name__})",
            "Check the network connection and https://status.earthdata.nasa.gov, then run the "
            "check again.",
            "eula",
        )
    missing = [k for k in S3_CREDENTIAL_KEYS if not (credentials or {}).get(k)]
    if missing:
        return Check(
            name,
            "fail",
            f"{daac} gave no temporary S3 credentials",
            "Sign in at https://urs.earthdata.nasa.gov, open your profile, and accept the "
            f"{daac} EULA or authorise its application, then run the check again.",
            "eula",
        )
    message = "temporary credentials issued"
    expiry = _parse_expiration(str((credentials or {}).get("expiration", "")))
    if expiry is not None:
        minutes = int((expiry - (now or datetime.now(UTC))).total_seconds() // 60)
        if minutes <= 0:
            return Check(
                name,
                "fail",
                f"{daac} gave credentials that have already expired",
                "Check the computer's clock, then run the check again.",
                "eula",
            )
        message += f", valid for another {minutes} min"
    if in_region is False:
        return Check(
            name,
            "ok",
            message + " (they open the buckets only from us-west-2)",
        )
    return Check(name, "ok", message)


def _parse_expiration(value: str) -> datetime | None:
    """The expiry of DAAC credentials (``2026-01-01 01:00:00+00:00``), or None."""
    try:
        expiry = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)


# --- map layer, services --------------------------------------------------------------------


def check_map_layer(directory: Path | None = None) -> Check:
    """The offline Natural Earth 110m coastlines and land that the maps use, read from disk.

    Examples
    --------
    >>> check_map_layer().status
    'ok'
    """
    name = "Offline map layer"
    fix = (
        "Reinstall this repository's helpers (pip install --no-deps -e . in the repository), "
        "which ship the map layer in helpers/data/natural_earth."
    )
    try:
        from cartopy.io import shapereader

        from helpers.maps import NATURAL_EARTH_DIR, use_offline_natural_earth

        root = use_offline_natural_earth() if directory is None else directory
        physical = Path(root or NATURAL_EARTH_DIR) / "shapefiles" / "natural_earth" / "physical"
        counts = {}
        for layer in ("coastline", "land"):
            path = physical / f"ne_110m_{layer}.shp"
            if not path.is_file():
                return Check(name, "fail", f"{path.name} is missing", fix, "helpers")
            counts[layer] = sum(1 for _ in shapereader.Reader(os.fspath(path)).records())
    except ImportError as err:
        return Check(name, "fail", f"cannot be read ({err.name} is missing)", fix, "install")
    except Exception as err:  # a damaged file: say which kind of error, not a traceback
        return Check(name, "fail", f"cannot be read ({type(err).__name__})", fix, "helpers")
    return Check(
        name,
        "ok",
        f"Natural Earth 110m coastlines ({counts['coastline']} lines) and land "
        f"({counts['land']} polygons), read offline",
    )


def check_services(environ: Mapping[str, str]) -> Check:
    """Which services answer: NASA's, or the offline Earthdata sandbox (practice data).

    Examples
    --------
    >>> check_services({}).message
    "NASA's live services: real data"
    """
    from helpers.auth import in_sandbox  # the same test as the login line's practice label

    name = "Services"
    if in_sandbox(environ):
        region = environ.get("EARTHDATA_SANDBOX_REGION", "us-west-2")
        return Check(
            name,
            "ok",
            f"the offline Earthdata sandbox (region {region}): synthetic practice data, not NASA's",
        )
    return Check(name, "ok", "NASA's live services: real data")


# --- all together ---------------------------------------------------------------------------


def check_setup(
    *,
    daacs: Sequence[tuple[str, str]] = S3_DAACS,
    log_in: bool = True,
    display: bool = True,
    environ: Mapping[str, str] | None = None,
    login: Callable[..., Any] | None = None,
    get_s3_credentials: Callable[..., Mapping[str, Any]] | None = None,
) -> SetupReport:
    """Check this environment for the tutorials and show what works and what to fix.

    Parameters
    ----------
    daacs
        ``(earthaccess name, display name)`` of the DAACs to ask for S3 credentials.
    log_in
        Log in to Earthdata (needed for the region and S3 checks). False skips them.
    display
        Show the table: as HTML in a notebook, as text elsewhere.
    environ
        Environment to read; default ``os.environ``.
    login, get_s3_credentials
        Replacements for `helpers.login` and ``earthaccess.get_s3_credentials`` (tests).

    Returns
    -------
    SetupReport
        Every check, in order; ``report.ok`` is False when one failed.

    Examples
    --------
    Without logging in, nothing goes over the network:

    >>> report = check_setup(log_in=False, display=False, environ={})
    >>> [c.name for c in report.checks][:2], report["Services"].status
    (['Python', 'earthaccess'], 'ok')
    """
    env = os.environ if environ is None else environ
    checks = [check_python(sys.version_info)]
    minimums = min_versions()
    checks += [check_package(n, _installed_version(n), minimums.get(n)) for n in KEY_PACKAGES]
    if _installed_version("earthaccess") is not None:
        checks.append(check_earthaccess_api())

    status = None
    if log_in:
        if login is None:
            from helpers.auth import login
        error = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            try:
                status = login(report=False)
            except Exception as err:  # each kind becomes a readable check
                error = err
        notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        checks.append(check_login(status, error, notes))
        logged_in = error is None and bool(getattr(status, "authenticated", False))
        in_region = getattr(status, "in_region", None) if logged_in else None
        checks.append(check_region(in_region))
        for daac, label in daacs:
            credentials, error = None, None
            if logged_in:
                if get_s3_credentials is None:
                    import earthaccess

                    get_s3_credentials = earthaccess.get_s3_credentials
                try:
                    credentials = get_s3_credentials(daac=daac)
                except Exception as err:
                    error = err
            checks.append(
                check_s3_credentials(
                    label, credentials, error, in_region=in_region, logged_in=logged_in
                )
            )

    checks.append(check_map_layer())
    checks.append(check_services(env))
    report = SetupReport(tuple(checks))
    if display:
        _show(report)
    return report


def _show(report: SetupReport) -> None:
    """HTML in a Jupyter kernel (with the text version for other front ends), else text."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display(report)
    else:
        print(report)
