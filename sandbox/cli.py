"""``python -m sandbox run|serve|env|clean``: the command line of the Earthdata sandbox."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.config import ENV_LATENCY, ENV_LOG, REGIONS, default_cache_dir, default_latency_ms

if TYPE_CHECKING:
    from sandbox.service import Sandbox

log = logging.getLogger("sandbox")

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_GRACE_S = 3.0

DESCRIPTION = """\
The Earthdata sandbox: NASA's CMR, Earthdata Login, DAAC S3 credentials, HTTPS and S3 emulated on
loopback with synthetic granules, so that unmodified earthaccess/requests/s3fs code runs offline.

  run   start the services, run COMMAND with the routing environment, stop (COMMAND's exit code)
  serve run the services until interrupted (Ctrl-C)
  env   print the routing environment of a running `serve` as shell export lines
  clean remove the granule folders of other sandbox versions from the cache folder
"""

ENV_HELP = """\
Prints `export NAME='value'` lines for a shell or a Jupyter kernel: eval "$(python -m sandbox env)".
The output includes the sandbox's dummy Earthdata Login username and password (never real ones),
because this command is asked for them; nothing else the sandbox does prints credentials.
"""


def _add_service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region",
        choices=REGIONS,
        default="us-west-2",
        help="behave as an AWS us-west-2 machine (direct S3 works) or as one elsewhere "
        "(no EC2 metadata, S3 refused: HTTPS only). Default: us-west-2",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=None,
        help="first of three fixed ports: proxy, HTTPS, S3 (default $EARTHDATA_SANDBOX_PORT_BASE "
        "or 47400; 0 for free ports). A taken port falls back to a free one with a warning.",
    )
    parser.add_argument(
        "--credentials-ttl",
        type=float,
        default=None,
        help="lifetime in seconds of the temporary S3 credentials "
        "(default $EARTHDATA_SANDBOX_S3_CREDENTIALS_TTL or 3600)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        help="added latency of every request to CMR, Earthdata Login, the DAACs and S3, in "
        "milliseconds (default $EARTHDATA_SANDBOX_LATENCY_MS or 0)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        metavar="PROFILE",
        help="inject the services' real transient errors, resets, stalls and short bodies: "
        "moderate, harsh, or a YAML/JSON profile file (default $EARTHDATA_SANDBOX_FAULTS; none)",
    )
    parser.add_argument(
        "--faults-seed",
        type=int,
        default=None,
        help="seed of the fault decisions (default $EARTHDATA_SANDBOX_FAULTS_SEED or the "
        "profile's)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="granules, instance files and the serve state file "
        "(default $EARTHDATA_SANDBOX_CACHE or ~/.cache/earthdata-sandbox)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start, run COMMAND, stop")
    _add_service_options(run)
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    serve = commands.add_parser("serve", help="run the services until interrupted")
    _add_service_options(serve)
    env = commands.add_parser(
        "env",
        help="print a running serve's environment as export lines",
        description=ENV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    env.add_argument(
        "--region", choices=REGIONS, default=None, help="fail unless the running serve has it"
    )
    clean = commands.add_parser(
        "clean", help="remove the granule folders of other sandbox versions from the cache"
    )
    clean.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    return parser


def _configure_logging() -> None:
    level = os.environ.get(ENV_LOG, "INFO").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sandbox: %(message)s"))
    log.addHandler(handler)
    log.setLevel(getattr(logging, level, logging.INFO))
    log.propagate = False


def _make_sandbox(args: argparse.Namespace, cache_dir: Path) -> Sandbox:
    from sandbox.faults import profile_from_environment
    from sandbox.service import Sandbox  # heavy imports only for commands that start services

    return Sandbox(
        args.region,
        port_base=args.port_base,
        cache_dir=cache_dir,
        credentials_ttl=args.credentials_ttl,
        faults=profile_from_environment(args.faults, args.faults_seed),
    )


@contextlib.contextmanager
def _foreground(pgid: int) -> Iterator[None]:
    """Give the terminal to process group ``pgid`` (so Ctrl-C and reads reach it), then take it
    back. Does nothing without a controlling terminal on stdin."""
    try:
        tty = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
    except (OSError, ValueError):
        tty = None
    if tty is None:
        yield
        return
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    own = os.getpgrp()
    try:
        os.tcsetpgrp(tty, pgid)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(tty, own)
        signal.signal(signal.SIGTTOU, previous)


def _reap_group(pgid: int) -> None:
    """Terminate what is left of a process group, then kill it after a grace period."""
    for sig, wait in ((signal.SIGTERM, _GRACE_S), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def run_command(argv: Sequence[str], env: dict[str, str]) -> int:
    """Run ``argv`` in its own process group with ``env``; forward signals; leave no orphans.

    Returns the command's exit status (128 + N when a signal N ended it, as shells report).
    """
    try:
        child = subprocess.Popen(list(argv), env=env, process_group=0)
    except OSError as error:
        log.error("cannot run %s: %s", shlex.join(argv), error)
        return 127
    pgid = child.pid

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        with _foreground(pgid):
            code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _reap_group(pgid)
    return 128 - code if code < 0 else code


def _wait_for_stop() -> int:
    stop = threading.Event()
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    previous = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return 0


def _env(args: argparse.Namespace, cache_dir: Path) -> int:
    from sandbox.state import read_state

    state = read_state(cache_dir)
    if state is None or not state.alive():
        print(
            f"sandbox env: no running `python -m sandbox serve` found (state file in {cache_dir}); "
            "start one first, or use `python -m sandbox run -- COMMAND`.",
            file=sys.stderr,
        )
        return 1
    if args.region is not None and args.region != state.region:
        print(
            f"sandbox env: the running serve (pid {state.pid}) has region {state.region}, "
            f"not {args.region}; restart it with --region {args.region}.",
            file=sys.stderr,
        )
        return 1
    print(f"# Earthdata sandbox (pid {state.pid}, region {state.region}); dummy credentials only.")
    for name, value in state.env.items():
        print(f"export {name}={shlex.quote(value)}")
    print("unset EARTHDATA_TOKEN")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sandbox``."""
    args = _parser().parse_args(argv)
    try:
        cache_dir = (args.cache_dir or default_cache_dir()).expanduser().resolve()
    except ValueError as error:  # the cache variable's retired name is set
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    if args.command == "env":
        return _env(args, cache_dir)
    if args.command == "clean":
        from sandbox.cleanup import clean

        code, lines = clean(cache_dir, dry_run=args.dry_run)
        print("\n".join(lines), file=sys.stdout if code == 0 else sys.stderr)
        return code
    _configure_logging()
    if args.command == "run":
        command = list(args.argv)
        if command and command[0] == "--":
            command = command[1:]
        if not command:
            print("sandbox run: give a command after --, e.g. `-- jupyter lab`", file=sys.stderr)
            return 2
    if args.command == "serve":
        from sandbox.state import read_state

        running = read_state(cache_dir)
        if running is not None and running.alive():
            log.error(
                "a sandbox serve is already running (pid %d, region %s) with this cache folder; "
                "stop it first, or use --cache-dir for a second one",
                running.pid,
                running.region,
            )
            return 1
    try:
        sandbox = _make_sandbox(args, cache_dir)
    except ValueError as error:  # a fault profile that cannot be used
        log.error("%s", error)
        return 2
    try:
        latency_ms = default_latency_ms() if args.latency_ms is None else args.latency_ms
        sandbox.start()
        from sandbox.cleanup import stale_note

        if note := stale_note(cache_dir):
            log.info("%s", note)
        if latency_ms:
            from sandbox.latency import add_latency

            add_latency(sandbox, latency_ms / 1000)
            log.info(
                "every request to CMR, Earthdata Login, the DAACs and S3 waits %g ms", latency_ms
            )
    except (RuntimeError, OSError, ValueError) as error:
        log.error("could not start: %s", error)
        return 1
    try:
        if args.command == "run":
            environment = sandbox.child_environment()
            if latency_ms:  # for labelling: benchmarks report the latency they ran under
                environment[ENV_LATENCY] = f"{latency_ms:g}"
            return run_command(command, environment)
        from sandbox.state import ServeState, remove_state, write_state

        assert sandbox.ports is not None
        write_state(
            cache_dir,
            ServeState(os.getpid(), sandbox.region, sandbox.ports.proxy, sandbox.env()),
        )
        log.info("serving until interrupted; `python -m sandbox env` prints the environment")
        try:
            return _wait_for_stop()
        finally:
            remove_state(cache_dir, os.getpid())
    finally:
        sandbox.stop()
