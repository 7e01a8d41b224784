"""Starting and stopping the whole sandbox in this process; the environment that routes to it."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from sandbox.app import HostDispatcher, build_https_app
from sandbox.catalog.build import Catalog, build_catalog
from sandbox.config import (
    EDL_PASSWORD,
    EDL_USERNAME,
    EMULATED_HOSTS,
    ENV_HOSTS,
    ENV_HTTP_ADDRESS,
    ENV_HTTPS_ADDRESS,
    PORT_OFFSETS,
    REGIONS,
    Ports,
    Region,
    default_cache_dir,
    default_credentials_ttl,
    default_port_base,
)
from sandbox.credentials import CredentialStore
from sandbox.edl import TokenStore
from sandbox.faults import ENV_FAULTS_LOG, FaultInjector, Profile
from sandbox.granules.model import Granule
from sandbox.imds import InstanceMetadata
from sandbox.proxy import ProxyServer
from sandbox.s3 import build_s3_app, build_s3_server, load_objects
from sandbox.servers import (
    LoopbackWSGIServer,
    ServerThread,
    bind_loopback,
    ipv6_loopback_available,
)
from sandbox.state import pid_alive
from sandbox.tls import make_certificates

log = logging.getLogger("sandbox")

SITE_DIR = Path(__file__).resolve().parent / "site"
"""Holds the ``sitecustomize.py`` that installs the guard in every Python process started."""
NO_PROXY = "127.0.0.1,localhost,::1"
#: Variables that would send a real identity or bypass the sandbox, removed from child processes.
UNSET_IN_CHILDREN = ("EARTHDATA_TOKEN",)


def load_granules(cache_dir: Path) -> list[Granule]:
    """The cached synthetic granules (generated on first use by ``sandbox.granules``)."""
    try:
        from sandbox.granules import ensure_granules
    except ImportError as error:
        raise RuntimeError(
            "the synthetic granule generator (sandbox.granules.ensure_granules) is not available: "
            f"{error}"
        ) from error
    return list(ensure_granules(cache_dir=cache_dir))


def new_instance_dir(parent: Path) -> Path:
    """A fresh ``<pid>-<random>`` folder for one instance's files; removes the folders of
    instances whose process is gone (a crash or SIGKILL leaves them behind)."""
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.iterdir():
        pid = stale.name.split("-", 1)[0]
        if stale.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))


class Sandbox:
    """The services of one sandbox instance, running in daemon threads of this process.

    ``port_base`` 0 asks for free ports; ``granules`` replaces the generator's list (tests).
    """

    def __init__(
        self,
        region: Region = "us-west-2",
        *,
        port_base: int | None = None,
        cache_dir: Path | None = None,
        credentials_ttl: float | None = None,
        granules: Sequence[Granule] | None = None,
        faults: Profile | None = None,
    ) -> None:
        if region not in REGIONS:
            raise ValueError(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
        self.region: Region = region
        self.port_base = default_port_base() if port_base is None else port_base
        self.cache_dir = (cache_dir or default_cache_dir()).resolve()
        self.tokens = TokenStore()
        self.credentials = CredentialStore(credentials_ttl or default_credentials_ttl())
        self._granules = list(granules) if granules is not None else None
        self._threads: list[ServerThread] = []
        self._run_dir: Path | None = None
        self.catalog: Catalog | None = None
        self.https_app: HostDispatcher | None = None
        """The HTTPS application (routes by host name; tests reach the services' state here)."""
        self.ports: Ports | None = None
        self.ca_bundle: Path | None = None
        self.s3_bytes = 0
        """Total size of the S3 objects (the files are served from disk, not copied)."""
        self.faults_profile = faults
        self.faults: FaultInjector | None = None
        """The injected faults' decisions and counts (``--faults``), if any."""

    def _port(self, name: str) -> int:
        return 0 if self.port_base == 0 else self.port_base + PORT_OFFSETS[name]

    def start(self) -> Sandbox:
        """Generate or load the granules, start every server, register the S3 objects."""
        started = time.monotonic()
        granules = self._granules if self._granules is not None else load_granules(self.cache_dir)
        self._run_dir = new_instance_dir(self.cache_dir / "instances")
        try:
            self._start(granules)
        except BaseException:
            self.stop()
            raise
        assert self.ports is not None and self.catalog is not None
        log.info(
            "Earthdata sandbox ready in %.1f s (region %s): %d granule records, %d S3 objects "
            "(%.0f MB); proxy 127.0.0.1:%d, HTTPS 127.0.0.1:%d, S3 127.0.0.1:%d",
            time.monotonic() - started,
            self.region,
            len(self.catalog.granules),
            len(self.catalog.s3_objects()),
            self.s3_bytes / 1e6,
            self.ports.proxy,
            self.ports.https,
            self.ports.s3,
        )
        return self

    def _start(self, granules: Sequence[Granule]) -> None:
        assert self._run_dir is not None
        certificates = make_certificates(self._run_dir)
        self.ca_bundle = certificates.ca_bundle
        https_sock = bind_loopback(self._port("https"), name="HTTPS server")
        https_port = https_sock.getsockname()[1]
        self.catalog = build_catalog(granules)
        s3_objects = self.catalog.s3_locations()
        s3_app = build_s3_app(self.credentials, self.region, s3_objects)
        if self.faults_profile is not None:
            fault_log = os.environ.get(ENV_FAULTS_LOG) or self._run_dir / "faults.log"
            self.faults = FaultInjector(self.faults_profile, Path(fault_log))
            log.info(
                "injecting faults: profile %s, seed %d; log %s",
                self.faults_profile.name,
                self.faults_profile.seed,
                fault_log,
            )
        https_app = build_https_app(
            self.catalog, self.tokens, self.credentials, s3_app, self.faults
        )
        self.https_app = https_app
        tls_server = LoopbackWSGIServer(https_sock, https_app, tls=certificates.server_context)
        self._threads.append(ServerThread(tls_server, "sandbox-https"))
        if ipv6_loopback_available():
            try:
                v6_sock = bind_loopback(https_port, "::1", name="HTTPS server (::1)")
            except OSError as error:
                log.warning("HTTPS on [::1]:%d unavailable (%s); IPv4 only", https_port, error)
            else:
                if v6_sock.getsockname()[1] != https_port:
                    log.warning("HTTPS port %d is taken on ::1; serving IPv4 only", https_port)
                    v6_sock.close()
                else:
                    v6 = LoopbackWSGIServer(v6_sock, https_app, tls=certificates.server_context)
                    self._threads.append(ServerThread(v6, "sandbox-https-v6"))

        s3_sock = bind_loopback(self._port("s3"), name="S3 server")
        s3_server = build_s3_server(
            s3_sock, self.faults.wrap(s3_app, "s3") if self.faults else s3_app
        )
        self._threads.append(ServerThread(s3_server, "sandbox-s3"))

        proxy_sock = bind_loopback(self._port("proxy"), name="proxy")
        proxy = ProxyServer(proxy_sock, tls_server, InstanceMetadata(self.region))
        self._threads.append(ServerThread(proxy, "sandbox-proxy"))

        self.s3_bytes = load_objects(self.catalog.buckets, s3_objects.values())
        for thread in self._threads:
            thread.start()
        self.ports = Ports(proxy=proxy.server_address[1], https=https_port, s3=s3_server.port)

    def env(self) -> dict[str, str]:
        """The variables that route unmodified clients to this instance (dummy credentials too)."""
        if self.ports is None or self.ca_bundle is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        proxy = f"http://127.0.0.1:{self.ports.proxy}"
        python_path = os.pathsep.join(
            p for p in (str(SITE_DIR), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            "HTTP_PROXY": proxy,
            "HTTPS_PROXY": proxy,
            "http_proxy": proxy,
            "https_proxy": proxy,
            "NO_PROXY": NO_PROXY,
            "no_proxy": NO_PROXY,
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
            "SSL_CERT_FILE": str(self.ca_bundle),
            "CURL_CA_BUNDLE": str(self.ca_bundle),
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{self.ports.s3}",
            "AWS_EC2_METADATA_DISABLED": "true",
            "EARTHDATA_USERNAME": EDL_USERNAME,
            "EARTHDATA_PASSWORD": EDL_PASSWORD,
            "EARTHDATA_SANDBOX": "1",
            "EARTHDATA_SANDBOX_REGION": self.region,
            ENV_HOSTS: ",".join(EMULATED_HOSTS),
            ENV_HTTPS_ADDRESS: f"127.0.0.1:{self.ports.https}",
            ENV_HTTP_ADDRESS: f"127.0.0.1:{self.ports.proxy}",
            "PYTHONPATH": python_path,
        }

    def child_environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) with :meth:`env` applied."""
        environment = dict(os.environ if base is None else base)
        for name in UNSET_IN_CHILDREN:
            environment.pop(name, None)
        environment.update(self.env())
        return environment

    def stop(self) -> None:
        """Stop every server and remove this instance's files (its CA)."""
        for thread in reversed(self._threads):
            try:
                thread.stop()
            except Exception:  # keep stopping the others
                log.debug("stopping %s failed", thread, exc_info=True)
        self._threads.clear()
        if self.faults is not None:
            log.info("%s", self.faults.summary())
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
        self.ports = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
