"""scripts/scan_secrets.py: each kind of secret is caught, placeholders are not, nothing leaks.

Planted values are made at run time (random), so that no key-like string is committed.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "scan_secrets.py"

_spec = importlib.util.spec_from_file_location("scan_secrets", SCRIPT)
scan_secrets = importlib.util.module_from_spec(_spec)
sys.modules["scan_secrets"] = scan_secrets  # dataclasses look their module up
_spec.loader.exec_module(scan_secrets)


def _upper(n: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _secret_key() -> str:
    while True:  # 40 characters of base64 that mix cases and digits, like an AWS secret key
        value = secrets.token_urlsafe(30)[:40]
        if scan_secrets._mixed(value) and not value.startswith(("-", "_")):
            return value


def _jwt() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part({'uid': 'someone'})}.{_secret_key()}"


def _findings(text: str, suffix: str = ".txt") -> list:
    patterns = [*scan_secrets.PATTERNS, *scan_secrets.sandbox_secrets()]
    return scan_secrets.scan_text(text, Path(f"planted{suffix}"), patterns)


def _kinds(text: str, suffix: str = ".txt") -> set[str]:
    return {f.kind for f in _findings(text, suffix)}


PLANTED = {
    "AWS access key id": lambda: f"key = ASIA{_upper(16)}",
    "AWS session token": lambda: f"token: FwoGZXIvYXdzE{secrets.token_urlsafe(60)}",
    "secret key (40 characters near 'secret')": lambda: f"aws_secret = {_secret_key()}",
    "credential value in JSON or a dict": lambda: json.dumps(
        {"sessionToken": secrets.token_urlsafe(24), "expiration": "2026-01-01 00:00:00+00:00"}
    ),
    "JWT (e.g. an Earthdata Login token)": lambda: f"token {_jwt()}",
    "Bearer token": lambda: f"Authorization: Bearer {secrets.token_hex(20)}",
    "EARTHDATA_PASSWORD value": lambda: f"export EARTHDATA_PASSWORD={secrets.token_hex(6)}",
    ".netrc password": lambda: (
        f"machine urs.earthdata.nasa.gov login someone password {secrets.token_hex(6)}"
    ),
    "private key": lambda: "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_kind_of_secret_is_caught(kind):
    assert kind in _kinds(PLANTED[kind]())


def test_patterns_and_planted_examples_agree():
    assert set(PLANTED) == {p.name for p in scan_secrets.PATTERNS}


@pytest.mark.parametrize(
    "text",
    [
        'export EARTHDATA_PASSWORD="your_password"',
        "EARTHDATA_PASSWORD=$EDL_PASSWORD",
        'os.environ["EARTHDATA_PASSWORD"] = getpass.getpass()',
        "machine urs.earthdata.nasa.gov login your_username password your_password",
        "machine urs.earthdata.nasa.gov login <user> password <password>",
        "machine urs.earthdata.nasa.gov login YOUR_USERNAME password YOUR_PASSWORD, readable",
        '{"accessKeyId": "...", "secretAccessKey": "<secret>", "sessionToken": "..."}',
        "the secret is a commit 0123456789abcdef0123456789abcdef01234567",  # hex digest
        "Bearer token authentication (RFC 6750)",
        "a password is never shown; type your password when asked",
        "ASIA credentials last an hour",
    ],
)
def test_placeholders_and_prose_pass(text):
    assert not _findings(text), text


def test_html_is_scanned_as_its_text_too():
    value = secrets.token_urlsafe(24)
    highlighted = (
        '<span class="s2">&quot;secretAccessKey&quot;</span><span class="p">:</span> '
        f'<span class="s2">&quot;{value}&quot;</span>'
    )
    assert not _findings(highlighted, ".txt")  # as plain text the markup hides it
    assert "credential value in JSON or a dict" in _kinds(highlighted, ".html")


def test_the_sandbox_secrets_are_caught_as_issued():
    """The real generators of the sandbox: its EDL tokens, S3 keys, and its dummy password."""
    from sandbox.config import EDL_PASSWORD
    from sandbox.credentials import CredentialStore
    from sandbox.edl import TokenStore

    token = TokenStore().create("someone").access_token
    s3 = CredentialStore(ttl=3600).issue(("nsidc-cumulus-prod-protected",)).as_json()
    assert "a token issued by the sandbox's Earthdata Login" in _kinds(f"x {token} y")
    assert "the sandbox's Earthdata password" in _kinds(f"password is {EDL_PASSWORD}!")
    for value in (s3["accessKeyId"], s3["sessionToken"], token):
        assert _findings(f"value: {value}\n"), "an issued value is not caught on its own"
    assert "credential value in JSON or a dict" in _kinds(json.dumps(s3))
    # About 1 secret key in 1000 has no digit; the JSON pattern above still catches it.
    while not scan_secrets._mixed(s3["secretAccessKey"]):
        s3 = CredentialStore(ttl=3600).issue(("podaac-ops-cumulus-protected",)).as_json()
    assert "secret key (40 characters near 'secret')" in _kinds(
        f"secretAccessKey = {s3['secretAccessKey']}"
    )


def test_findings_never_show_the_secret():
    value = secrets.token_hex(12)
    (finding,) = _findings(f"EARTHDATA_PASSWORD={value}")
    assert value not in str(finding)
    assert finding.line == 1 and "24 characters" in str(finding)


def test_command_line(tmp_path):
    (tmp_path / "notebooks").mkdir()
    clean = tmp_path / "notebooks" / "01-clean.py"
    clean.write_text("# %%\nprint('hello')\n")
    (tmp_path / "notebooks" / "data.bin").write_bytes(b"\0" + b"ASIA" + b"A" * 16)
    run = [sys.executable, str(SCRIPT), str(tmp_path / "notebooks")]
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no secrets in 1 files" in result.stdout  # the binary file is skipped

    leaked = tmp_path / "notebooks" / "02-leak.ipynb"
    key = f"ASIA{_upper(16)}"
    leaked.write_text(json.dumps({"cells": [{"outputs": [{"text": f"key {key}"}]}]}))
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "02-leak.ipynb:1: AWS access key id" in result.stdout
    assert key not in result.stdout + result.stderr

    missing = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "nowhere")], capture_output=True, check=False
    )
    assert missing.returncode == 2


def test_the_notebooks_hold_no_secret():
    findings, scanned = scan_secrets.scan_paths([ROOT / "notebooks"])
    assert scanned >= 2 * len(list((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")))
    assert not findings, "\n".join(map(str, findings))
