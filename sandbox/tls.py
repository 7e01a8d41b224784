"""The private certificate authority and the one server certificate of a sandbox instance."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

from sandbox.config import EMULATED_HOSTS, LOCAL_HOSTS


@dataclass(frozen=True)
class Certificates:
    """A fresh CA (written as a PEM bundle for clients) and a server context that uses it."""

    ca_bundle: Path
    server_context: ssl.SSLContext


def make_certificates(directory: Path) -> Certificates:
    """Make a CA and a certificate for every emulated NASA host and loopback name.

    The CA's certificate is written to ``directory/ca.pem`` (what ``REQUESTS_CA_BUNDLE`` and
    ``SSL_CERT_FILE`` name); the keys stay in memory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Earthdata sandbox (loopback, synthetic)")
    leaf = ca.issue_cert(*EMULATED_HOSTS, *LOCAL_HOSTS, common_name=EMULATED_HOSTS[0])
    ca_bundle = directory / "ca.pem"
    tmp = ca_bundle.with_suffix(".tmp")
    ca.cert_pem.write_to_path(str(tmp))
    tmp.replace(ca_bundle)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return Certificates(ca_bundle=ca_bundle, server_context=context)
