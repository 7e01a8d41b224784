"""Say who is logged in to Earthdata, where this runs, and where the credentials came from.

Notebooks log in with earthaccess itself, which tries the environment (``EARTHDATA_USERNAME`` and
``EARTHDATA_PASSWORD``, or ``EARTHDATA_TOKEN``), then a ``.netrc`` file, then a prompt::

    helpers.retry_transient_errors()     # once, before login (helpers.retries)
    auth = earthaccess.login()
    status = helpers.login_status(auth)  # raises NotLoggedInError when the login failed
    print(status)

`login_status` adds what earthaccess does not say in one place: the user, which of the three
ways gave the credentials (never a password or token), whether earthaccess found this machine in
AWS us-west-2 (where S3 direct access works), and whether the services are the offline sandbox.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.errors import NotLoggedInError

__all__ = ["LoginStatus", "login_status"]

#: The Earthdata Login host, as named in ``.netrc``.
EDL_HOST = "urs.earthdata.nasa.gov"


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
        Which way gave the credentials, e.g. ``"EARTHDATA_USERNAME/EARTHDATA_PASSWORD"``.
    in_region
        True when earthaccess found this machine in AWS us-west-2 (S3 direct access works);
        None when unknown.
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


def not_logged_in_message(netrc_file: Path | str = "~/.netrc") -> str:
    """What to do when ``earthaccess.login()`` did not log in: the text of `NotLoggedInError`.

    >>> "EARTHDATA_USERNAME" in not_logged_in_message()
    True
    """
    return (
        "Not logged in to Earthdata: earthaccess.login() found no credentials, or Earthdata Login "
        "did not accept them. Give them in one of three ways, then run earthaccess.login() again: "
        "(1) set the environment variables EARTHDATA_USERNAME and EARTHDATA_PASSWORD (or "
        f"EARTHDATA_TOKEN) before starting Jupyter; (2) put the line 'machine {EDL_HOST} login "
        f"YOUR_USER password YOUR_PASSWORD' in {netrc_file} (then chmod 600 it); (3) run the "
        "notebook yourself and type them when earthaccess asks. To test the user name and "
        "password, sign in at https://urs.earthdata.nasa.gov (register there if you have no "
        "account)."
    )


def netrc_file(environ: Mapping[str, str]) -> Path:
    """The ``.netrc`` earthaccess reads: ``$NETRC``, else ``~/.netrc`` (``~/_netrc`` on Windows).

    >>> netrc_file({"NETRC": "/tmp/my-netrc"})
    PosixPath('/tmp/my-netrc')
    """
    if environ.get("NETRC"):
        return Path(environ["NETRC"])
    return Path.home() / ("_netrc" if os.name == "nt" else ".netrc")


def netrc_login(path: Path) -> tuple[str, str] | None:
    """(login, password) of the Earthdata Login entry of a ``.netrc`` file, or None."""
    try:
        entry = netrc.netrc(os.fspath(path)).authenticators(EDL_HOST)
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError):
        return None
    if not entry or not entry[0] or not entry[2]:
        return None
    return entry[0], entry[2]


def credential_source(auth: Any, environ: Mapping[str, str]) -> str:
    """Which of earthaccess's three ways gave ``auth`` its credentials, named without a secret.

    earthaccess does not record the strategy that succeeded, so the credentials it holds are
    compared with the environment's and the ``.netrc`` entry's.

    >>> class Auth: username, password, token = "me", "pw", {"access_token": "t"}
    >>> credential_source(Auth(), {"EARTHDATA_USERNAME": "me", "EARTHDATA_PASSWORD": "pw"})
    'EARTHDATA_USERNAME/EARTHDATA_PASSWORD'
    >>> credential_source(Auth(), {"NETRC": "/nonexistent"})
    'a prompt (typed in)'
    """
    username = getattr(auth, "username", None)
    password = getattr(auth, "password", None)
    token = (getattr(auth, "token", None) or {}).get("access_token")
    if environ.get("EARTHDATA_TOKEN") and token == environ["EARTHDATA_TOKEN"]:
        return "EARTHDATA_TOKEN"
    if username and (username, password) == (
        environ.get("EARTHDATA_USERNAME"),
        environ.get("EARTHDATA_PASSWORD"),
    ):
        return "EARTHDATA_USERNAME/EARTHDATA_PASSWORD"
    path = netrc_file(environ)
    if username and netrc_login(path) == (username, password):
        home = Path.home()
        return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else os.fspath(path)
    return "a prompt (typed in)"


def in_sandbox(environ: Mapping[str, str]) -> bool:
    """True when ``python -m sandbox run`` set up this process (``EARTHDATA_SANDBOX``).

    >>> in_sandbox({"EARTHDATA_SANDBOX": "1"}), in_sandbox({})
    (True, False)
    """
    return environ.get("EARTHDATA_SANDBOX", "").strip().lower() not in ("", "0", "false", "no")


def login_status(auth: Any) -> LoginStatus:
    """Describe an ``earthaccess.login()`` session: who, from where, and in us-west-2 or not.

    Makes no network request and never includes a password or token.

    Parameters
    ----------
    auth
        What ``earthaccess.login()`` returned (an ``earthaccess.Auth``).

    Returns
    -------
    LoginStatus
        Safe to print: ``print(status)`` is one line for the notebook.

    Raises
    ------
    NotLoggedInError
        ``auth`` is None or not authenticated; the message says what to set and where to test
        the password.

    Examples
    --------
    >>> login_status(None)
    Traceback (most recent call last):
    ...
    helpers.errors.NotLoggedInError: Not logged in to Earthdata: earthaccess.login() found ...
    """
    import earthaccess

    if auth is None or getattr(auth, "authenticated", False) is not True:
        raise NotLoggedInError(not_logged_in_message(netrc_file(os.environ)))
    # earthaccess.login() makes the Store (earthaccess.__store__) that holds its us-west-2 check
    # (EC2 instance metadata, asked at login).
    store = getattr(earthaccess, "__store__", None)
    in_region = getattr(store, "in_region", None) if getattr(store, "auth", None) is auth else None
    return LoginStatus(
        authenticated=True,
        username=getattr(auth, "username", None),
        source=credential_source(auth, os.environ),
        in_region=None if in_region is None else bool(in_region),
        earthaccess_version=str(getattr(earthaccess, "__version__", "unknown")),
        practice=in_sandbox(os.environ),
    )
