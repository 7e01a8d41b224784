"""Log in to NASA Earthdata Login with earthaccess, the same way everywhere, and say what happened.

`login` picks ONE way to find credentials, in this order, then calls ``earthaccess.login`` with it:

1. the environment: ``EARTHDATA_TOKEN``, or ``EARTHDATA_USERNAME`` and ``EARTHDATA_PASSWORD``;
2. a ``.netrc`` file (``$NETRC`` or ``~/.netrc``) with a ``machine urs.earthdata.nasa.gov`` line
   (a warning if other users can read it: it should be ``chmod 600``);
3. a prompt, only when a person can answer it: a terminal, or a notebook whose front end accepts
   input. Under ``nbconvert``/``nbval``/CI nobody can, and the prompt would hang or fail.

With none of these, it raises `CredentialsNotFoundError` naming the three ways. The choice is the
pure function `choose_login_strategy`, tested without any network.

After logging in, `login` returns a `LoginStatus`: the Earthdata user (never a password or token),
where the credentials came from, and whether earthaccess found that this machine runs in AWS
us-west-2 (where S3 direct access works). `login_status` reports the same for a session started
with ``earthaccess.login()`` directly.

`login` also makes the requests sessions earthaccess opens for CMR searches, ``/s3credentials`` and
Earthdata Login retry the services' temporary errors (500, 502, 503, 504) with exponential backoff
(urllib3's ``Retry``, mounted with requests' documented ``Session.mount``), as the services ask:
CMR's 503/504 say "please try your request again later", and AWS's guidance is to retry 5xx with
exponential backoff (https://docs.aws.amazon.com/general/latest/gr/api-retries.html). When the
retries run out, earthaccess reports the service's last answer. The HTTPS file system that
``earthaccess.open`` reads granules with outside AWS (fsspec on aiohttp) gets the same retries, and
retries a connection reset in the middle of a byte range too (`helpers.https_retry`).
"""

from __future__ import annotations

import dataclasses
import netrc
import os
import platform
import stat
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from helpers.errors import CredentialsNotFoundError, LoginRejectedError, LoginUnreachableError
from helpers.https_retry import retry_https_reads

__all__ = [
    "EDL_HOST",
    "LoginPlan",
    "LoginStatus",
    "choose_login_strategy",
    "default_netrc_path",
    "login",
    "login_status",
    "person_present",
]

#: The Earthdata Login host named in ``.netrc``.
EDL_HOST = "urs.earthdata.nasa.gov"

Strategy = Literal["environment", "netrc", "interactive"]


@dataclass(frozen=True)
class LoginPlan:
    """Which earthaccess login strategy to use, and why (no secret is ever stored here).

    Attributes
    ----------
    strategy
        ``"environment"``, ``"netrc"`` or ``"interactive"`` (an ``earthaccess.login`` strategy).
    source
        Where the credentials come from, for people: e.g. ``"EARTHDATA_TOKEN"`` or a path.
    username
        The Earthdata user when known before logging in (from the environment or ``.netrc``).
    warnings
        Problems worth telling the user about (e.g. a ``.netrc`` readable by others).

    Examples
    --------
    >>> LoginPlan("netrc", "/home/me/.netrc", "me")
    LoginPlan(strategy='netrc', source='/home/me/.netrc', username='me', warnings=())
    """

    strategy: Strategy
    source: str
    username: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoginStatus:
    """The state of the Earthdata Login session, safe to print (no password, no token).

    Attributes
    ----------
    authenticated
        earthaccess holds credentials (a token is only checked by the first request using it).
    username
        The Earthdata user, or None when only a token was given.
    source
        Where the credentials came from (e.g. ``"EARTHDATA_USERNAME/EARTHDATA_PASSWORD"``).
    in_region
        True when earthaccess found this machine in AWS us-west-2 (S3 direct access works);
        None when unknown (not logged in).
    earthaccess_version
        The installed earthaccess version.
    practice
        True when the services are the offline Earthdata sandbox (``EARTHDATA_SANDBOX`` set by
        ``python -m sandbox run``): the data are synthetic practice data, and the line says so.

    Examples
    --------
    >>> print(LoginStatus(True, "alice", "~/.netrc", True, "0.19.0"))
    Logged in to Earthdata as alice (credentials from ~/.netrc); running in AWS us-west-2: \
S3 direct access available. (earthaccess 0.19.0)
    >>> print(LoginStatus(True, "alice", "~/.netrc", False, "0.19.0", practice=True))
    Logged in to Earthdata as alice (credentials from ~/.netrc); not in AWS us-west-2: data will \
be read over HTTPS. (earthaccess 0.19.0) PRACTICE DATA: these are the offline Earthdata sandbox's \
synthetic granules, not NASA's.
    """

    authenticated: bool
    username: str | None
    source: str
    in_region: bool | None
    earthaccess_version: str
    practice: bool = False

    def __str__(self) -> str:
        if not self.authenticated:
            return f"Not logged in to Earthdata. (earthaccess {self.earthaccess_version})"
        who = self.username or "an Earthdata user (token login: name not known)"
        if self.in_region:
            where = "running in AWS us-west-2: S3 direct access available"
        elif self.in_region is None:
            where = "region unknown"
        else:
            where = "not in AWS us-west-2: data will be read over HTTPS"
        practice = ""
        if self.practice:
            practice = " PRACTICE DATA: these are the offline Earthdata sandbox's synthetic "
            practice += "granules, not NASA's."
        return (
            f"Logged in to Earthdata as {who} (credentials from {self.source}); {where}. "
            f"(earthaccess {self.earthaccess_version}){practice}"
        )


def default_netrc_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the ``.netrc`` path earthaccess reads: ``$NETRC``, else ``~/.netrc`` (``~/_netrc``).

    Parameters
    ----------
    environ
        Environment to consult; default ``os.environ``.

    Returns
    -------
    pathlib.Path
        The path (it may not exist).

    Examples
    --------
    >>> default_netrc_path({"NETRC": "/tmp/my-netrc"})
    PosixPath('/tmp/my-netrc')
    """
    env = os.environ if environ is None else environ
    if env.get("NETRC"):
        return Path(env["NETRC"])
    return Path.home() / ("_netrc" if platform.system() == "Windows" else ".netrc")


def _read_netrc(path: Path) -> tuple[str | None, str | None, list[str]]:
    """(username, reason it is unusable, warnings) for the EDL entry of a .netrc file."""
    if not path.is_file():
        return None, f"no .netrc file at {path}", []
    found_warnings = []
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found_warnings.append(
                f"{path} can be read by other users (mode {mode:04o}); protect your Earthdata "
                f"password with: chmod 600 {path}"
            )
    try:
        entry = netrc.netrc(os.fspath(path)).authenticators(EDL_HOST)
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as err:
        return None, f"{path} could not be parsed ({type(err).__name__})", found_warnings
    if entry is None:
        return None, f"{path} has no 'machine {EDL_HOST}' entry", found_warnings
    login_name, _account, password = entry
    if not login_name or not password:
        return None, f"{path} has a {EDL_HOST} entry without login or password", found_warnings
    return login_name, None, found_warnings


def choose_login_strategy(
    environ: Mapping[str, str], netrc_path: Path | str | None, person_is_present: bool
) -> LoginPlan:
    """Decide how to log in, without any network: environment, then .netrc, then a prompt.

    Parameters
    ----------
    environ
        Environment variables (``os.environ`` in real use).
    netrc_path
        The ``.netrc`` file to look at (see `default_netrc_path`), or None to skip it.
    person_is_present
        Whether someone can answer a prompt (see `person_present`).

    Returns
    -------
    LoginPlan
        The strategy for ``earthaccess.login(strategy=...)`` and where credentials come from.

    Raises
    ------
    CredentialsNotFoundError
        No credentials and nobody to type them; the message names the three ways to give them.

    Examples
    --------
    >>> choose_login_strategy({"EARTHDATA_TOKEN": "..."}, None, False).strategy
    'environment'
    >>> choose_login_strategy({}, None, True).strategy
    'interactive'
    >>> choose_login_strategy({}, None, False)
    Traceback (most recent call last):
    ...
    helpers.errors.CredentialsNotFoundError: No Earthdata Login credentials found, and nobody ...
    """
    username = environ.get("EARTHDATA_USERNAME") or None
    if environ.get("EARTHDATA_TOKEN"):
        return LoginPlan("environment", "EARTHDATA_TOKEN", username)
    if username and environ.get("EARTHDATA_PASSWORD"):
        return LoginPlan("environment", "EARTHDATA_USERNAME/EARTHDATA_PASSWORD", username)

    reasons = []
    if username:
        reasons.append("EARTHDATA_USERNAME is set but EARTHDATA_PASSWORD is not")
    elif environ.get("EARTHDATA_PASSWORD"):
        reasons.append("EARTHDATA_PASSWORD is set but EARTHDATA_USERNAME is not")
    else:
        reasons.append("EARTHDATA_TOKEN and EARTHDATA_USERNAME/EARTHDATA_PASSWORD are not set")

    found_warnings: list[str] = []
    if netrc_path is not None:
        path = Path(netrc_path)
        netrc_user, reason, found_warnings = _read_netrc(path)
        if reason is None:
            return LoginPlan("netrc", os.fspath(path), netrc_user, tuple(found_warnings))
        reasons.append(reason)

    if person_is_present:
        return LoginPlan("interactive", "prompt", None, tuple(found_warnings))

    reasons.append("nobody can answer a prompt here (no terminal, or a notebook run unattended)")
    netrc_name = os.fspath(netrc_path) if netrc_path is not None else "~/.netrc"
    raise CredentialsNotFoundError(
        "No Earthdata Login credentials found, and nobody is here to type them "
        f"({'; '.join(reasons)}). Give them in one of three ways: "
        "(1) environment: EARTHDATA_USERNAME and EARTHDATA_PASSWORD, or EARTHDATA_TOKEN; "
        f"(2) a .netrc file ({netrc_name}, or the file $NETRC names) with the line "
        f"'machine {EDL_HOST} login YOUR_USER password YOUR_PASSWORD', mode 600; "
        "(3) run interactively (a terminal or a notebook) and type them when asked. "
        "No account yet? Register at https://urs.earthdata.nasa.gov."
    )


def _plain_text(error: BaseException) -> str:
    """An exception's message as plain text, also when its arguments are nested tuples.

    earthaccess 0.19 raises ``LoginStrategyUnavailable((message,))``, whose ``str`` is the
    tuple's repr.

    >>> _plain_text(ValueError(("No .netrc found at /home/me/.netrc",)))
    'No .netrc found at /home/me/.netrc'
    >>> _plain_text(ValueError("plain", 2))
    'plain; 2'
    """

    def flatten(value: object) -> list[str]:
        if isinstance(value, tuple | list):
            return [text for item in value for text in flatten(item)]
        return [str(value)]

    return "; ".join(flatten(error.args)) or type(error).__name__


def person_present() -> bool:
    """Return True when a person can answer an input prompt right now.

    In a Jupyter kernel: whether the front end accepts input for the running cell (False under
    nbconvert/nbval/papermill). Elsewhere: whether standard input is a terminal.

    Returns
    -------
    bool
        True if prompting is possible.

    Examples
    --------
    >>> isinstance(person_present(), bool)
    True
    """
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        try:
            # Public: the current cell's execute_request says whether the front end takes input.
            return bool(kernel.get_parent("shell")["content"]["allow_stdin"])
        except Exception:
            # Internal ipykernel attribute, guarded: older/newer kernels may not have it.
            return bool(getattr(kernel, "_allow_stdin", False))
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdin
        return False


def _earthaccess_version() -> str:
    import earthaccess

    return str(getattr(earthaccess, "__version__", "unknown"))


def _in_region() -> bool | None:
    import earthaccess

    # `earthaccess.__store__` is what earthaccess.login() sets up (module attribute, used in
    # earthaccess's own docs and examples); its `in_region` holds the result of the us-west-2
    # check (EC2 instance metadata) made at login. Guarded in case a later release moves it.
    store = getattr(earthaccess, "__store__", None)
    value = getattr(store, "in_region", None)
    return None if value is None else bool(value)


def login_status(source: str = "earthaccess session") -> LoginStatus:
    """Describe the current earthaccess session: who is logged in and whether in us-west-2.

    Works after ``earthaccess.login()`` as well as after `login`. Makes no network request.

    Parameters
    ----------
    source
        Where the credentials came from, for the report.

    Returns
    -------
    LoginStatus
        Safe to print.

    Examples
    --------
    >>> status = login_status()
    >>> isinstance(status.authenticated, bool)
    True
    """
    import earthaccess

    auth = getattr(earthaccess, "__auth__", None)
    authenticated = bool(getattr(auth, "authenticated", False))
    username = getattr(auth, "username", None) if authenticated else None
    return LoginStatus(
        authenticated=authenticated,
        username=username,
        source=source if authenticated else "nowhere",
        in_region=_in_region() if authenticated else None,
        earthaccess_version=_earthaccess_version(),
        practice=in_sandbox(os.environ),
    )


def in_sandbox(environ: Mapping[str, str]) -> bool:
    """True when ``python -m sandbox run`` set up this process (``EARTHDATA_SANDBOX``).

    >>> in_sandbox({"EARTHDATA_SANDBOX": "1"}), in_sandbox({})
    (True, False)
    """
    return environ.get("EARTHDATA_SANDBOX", "").strip().lower() not in ("", "0", "false", "no")


#: Up to 5 retries of GET/HEAD after 500/502/503/504 or a broken connection, waiting 0, 2, 4, 8
#: and 16 s (urllib3's exponential backoff), then the last answer is returned (not raised).
TRANSIENT_RETRIES = {
    "total": 5,
    "backoff_factor": 1.0,
    "status_forcelist": (500, 502, 503, 504),
    "allowed_methods": ("GET", "HEAD"),
    "raise_on_status": False,
}


def retry_transient_errors(auth: object) -> None:
    """Make each requests session that earthaccess's ``auth`` hands out (``auth.get_session()``,
    used for CMR searches and ``/s3credentials``) retry temporary server errors
    (`TRANSIENT_RETRIES`). Idempotent."""
    get_session = getattr(auth, "get_session", None)
    if get_session is None or getattr(get_session, "retries_transient_errors", False):
        return
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    def session_with_retries(*args: object, **kwargs: object) -> object:
        session = get_session(*args, **kwargs)
        adapter = HTTPAdapter(max_retries=Retry(**TRANSIENT_RETRIES))  # type: ignore[arg-type]
        session.mount("https://", adapter)
        return session

    session_with_retries.retries_transient_errors = True  # type: ignore[attr-defined]
    auth.get_session = session_with_retries  # type: ignore[attr-defined]


def login(
    *,
    persist: bool = False,
    environ: Mapping[str, str] | None = None,
    person_is_present: bool | None = None,
    report: bool = True,
) -> LoginStatus:
    """Log in to NASA Earthdata Login with earthaccess and report who and where.

    Looks for credentials in the environment, then ``.netrc``, then prompts if someone can
    answer (see the module docstring), and calls ``earthaccess.login(strategy=...)``.

    Parameters
    ----------
    persist
        After a prompt, save the credentials to ``.netrc`` (``earthaccess.login(persist=True)``).
    environ
        Environment used to choose the strategy; default ``os.environ``. earthaccess itself
        reads ``os.environ``, so pass another mapping only to test the choice.
    person_is_present
        Override the `person_present` check (e.g. False in scripts).
    report
        Print the `LoginStatus` line (user, credential source, us-west-2 or not).

    Returns
    -------
    LoginStatus
        Safe to print: user name, credential source, in-region flag; never a secret.

    Raises
    ------
    CredentialsNotFoundError
        Nothing to log in with (before any network request).
    LoginRejectedError
        Earthdata Login refused the credentials.
    LoginUnreachableError
        Earthdata Login could not be reached.

    Examples
    --------
    Without credentials and without a person, nothing is sent anywhere:

    >>> login(environ={"NETRC": "/nonexistent/netrc"}, person_is_present=False)
    Traceback (most recent call last):
    ...
    helpers.errors.CredentialsNotFoundError: No Earthdata Login credentials found, ...
    """
    env = os.environ if environ is None else environ
    present = person_present() if person_is_present is None else person_is_present
    plan = choose_login_strategy(env, default_netrc_path(env), present)
    for message in plan.warnings:
        warnings.warn(message, UserWarning, stacklevel=2)

    import earthaccess
    import requests
    from earthaccess.exceptions import LoginAttemptFailure, LoginStrategyUnavailable

    # The login's own GET requests (the profile look-up) retry too; the token POST does not.
    retry_transient_errors(getattr(earthaccess, "__auth__", None))
    try:
        auth = earthaccess.login(strategy=plan.strategy, persist=persist)
    except requests.exceptions.RequestException as err:
        response = getattr(err, "response", None)
        what = type(err).__name__
        if response is not None:  # a temporary server error, still there after the retries
            what = f"it answered {response.status_code} {response.reason}"
        raise LoginUnreachableError(
            f"Could not reach Earthdata Login ({EDL_HOST}): {what}. Check the network "
            "connection and any proxy settings, and the service status at "
            "https://status.earthdata.nasa.gov; then try again in a few minutes."
        ) from None
    except LoginStrategyUnavailable as err:
        # Only when `environ` differs from os.environ, which earthaccess reads itself.
        raise CredentialsNotFoundError(
            f"earthaccess found no credentials for the {plan.strategy!r} strategy "
            f"({_plain_text(err)}). Set them in os.environ or in the .netrc file earthaccess "
            "reads."
        ) from None
    except LoginAttemptFailure:
        raise LoginRejectedError(
            f"Earthdata Login rejected the credentials from {plan.source}"
            f"{f' for user {plan.username!r}' if plan.username else ''}. Check the user name and "
            "password (sign in at https://urs.earthdata.nasa.gov to test them, or reset the "
            "password there), then try again."
        ) from None
    if not getattr(auth, "authenticated", False):
        raise LoginRejectedError(
            f"earthaccess could not log in with the credentials from {plan.source}. Check them "
            "at https://urs.earthdata.nasa.gov and try again."
        )
    retry_transient_errors(auth)
    retry_https_reads(getattr(earthaccess, "__store__", None))
    status = login_status(plan.source)
    if status.username is None and plan.username:
        status = dataclasses.replace(status, username=plan.username)
    if report:
        print(status)
    return status
