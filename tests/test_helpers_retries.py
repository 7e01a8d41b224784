"""helpers.retry_transient_errors on earthaccess's requests sessions (configuration, no network).

The retries themselves, through the sandbox's injected faults, are tested in
``tests/sandbox/test_helpers_login_retries.py``; the HTTPS file reads in
``tests/test_helpers_https_retry.py``.
"""

from __future__ import annotations

import earthaccess
from earthaccess.auth import Auth

from helpers import retry_transient_errors
from helpers.retries import TRANSIENT_RETRIES


def test_every_session_earthaccess_hands_out_retries_5xx_with_backoff() -> None:
    retry_transient_errors()
    retry_transient_errors()  # idempotent: one layer only
    assert not getattr(Auth.get_session.__wrapped__, "retries_transient_errors", False)
    auth = Auth()  # a new Auth (a Dask worker's, say) is covered as well as earthaccess.__auth__
    first, second = auth.get_session(), earthaccess.__auth__.get_session()
    assert first is not second
    retries = first.get_adapter("https://cmr.earthdata.nasa.gov/search").max_retries
    assert retries.total == TRANSIENT_RETRIES["total"] == 5
    assert set(retries.status_forcelist) == {500, 502, 503, 504}
    assert retries.backoff_factor == 1.0 and retries.raise_on_status is False
    # The only POST earthaccess sends is Earthdata Login's find_or_create_token (safe to repeat).
    assert set(retries.allowed_methods) == {"GET", "HEAD", "POST"}
    assert second.get_adapter("https://urs.earthdata.nasa.gov/").max_retries.total == 5


def test_plain_http_is_left_alone() -> None:
    """EC2's instance metadata (the us-west-2 check, http://169.254.169.254) keeps its 1 s
    timeout without retries, so a laptop learns quickly that it is not in AWS."""
    retry_transient_errors()
    session = Auth().get_session()
    assert session.get_adapter("http://169.254.169.254/latest").max_retries.total == 0
