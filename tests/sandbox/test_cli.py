"""``python -m sandbox run|serve|env``: exit codes, signals, no orphans, the routing environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.state import read_state

WRAPPER = Path(__file__).with_name("cli_with_test_granules.py")


def sandbox_cli(tmp_path: Path, *args: str, **popen: object) -> subprocess.Popen:
    """Start the command line (with the test catalog) in a child process."""
    return subprocess.Popen(
        [
            sys.executable,
            str(WRAPPER),
            str(tmp_path / "granules"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[arg-type]
    )


CHILD = """
import json, os, sys, warnings
warnings.filterwarnings("error", category=DeprecationWarning, module="__main__|helpers|sandbox")
warnings.filterwarnings("error", category=FutureWarning, module="__main__|helpers|sandbox")
import earthaccess
earthaccess.login(strategy="environment")
found = earthaccess.search_data(short_name="ATL07", count=10)
prefixes = ("EARTHDATA", "AWS_", "HTTPS_PROXY", "SSL_CERT")
names = sorted(k for k in os.environ if k.startswith(prefixes))
print(json.dumps({"granules": len(found), "in_region": earthaccess.__store__.in_region,
                  "env": names, "guard": "_earthdata_sandbox_guard" in sys.modules}))
sys.exit(7)
"""


def test_run_gives_the_command_the_routing_and_returns_its_exit_code(tmp_path: Path) -> None:
    started = time.monotonic()
    process = sandbox_cli(
        tmp_path,
        "run",
        "--port-base",
        "0",
        "--region",
        "elsewhere",
        "--",
        sys.executable,
        "-c",
        CHILD,
    )
    out, err = process.communicate(timeout=180)
    assert process.returncode == 7, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["granules"] == 4 and result["in_region"] is False and result["guard"] is True
    assert {
        "EARTHDATA_SANDBOX",
        "EARTHDATA_SANDBOX_REGION",
        "EARTHDATA_USERNAME",
        "AWS_ENDPOINT_URL_S3",
        "AWS_EC2_METADATA_DISABLED",
        "HTTPS_PROXY",
        "SSL_CERT_FILE",
    } <= set(result["env"])
    assert "EARTHDATA_TOKEN" not in result["env"]
    assert "Earthdata sandbox ready in" in err
    assert "sandbox-password" not in err and "ASIA" not in err  # no secrets in startup messages
    assert time.monotonic() - started < 60


def test_run_without_a_command_is_a_usage_error(tmp_path: Path) -> None:
    process = sandbox_cli(tmp_path, "run", "--port-base", "0")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "give a command after --" in err


ORPHAN_MAKER = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print(grandchild.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_signals_are_forwarded_and_no_process_is_left_behind(tmp_path: Path) -> None:
    process = sandbox_cli(
        tmp_path, "run", "--port-base", "0", "--", sys.executable, "-c", ORPHAN_MAKER
    )
    assert process.stdout is not None
    grandchild = int(process.stdout.readline())
    assert _alive(grandchild)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_serve_publishes_its_environment_for_env_and_cleans_up(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env_without_serve = subprocess.run(
        [sys.executable, "-m", "sandbox", "--cache-dir", str(cache), "env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert env_without_serve.returncode == 1 and "no running" in env_without_serve.stderr
    server = sandbox_cli(tmp_path, "serve", "--port-base", "0")
    try:
        deadline = time.monotonic() + 120
        while read_state(cache) is None and time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()[1]
            time.sleep(0.2)
        state = read_state(cache)
        assert state is not None and state.pid == server.pid
        assert oct((cache / "serve.json").stat().st_mode & 0o777) == "0o600"
        printed = subprocess.run(
            [sys.executable, "-m", "sandbox", "--cache-dir", str(cache), "env"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert printed.returncode == 0, printed.stderr
        lines = printed.stdout.splitlines()
        assert lines[0].startswith("# Earthdata sandbox")
        assert f"export HTTPS_PROXY=http://127.0.0.1:{state.proxy_port}" in lines
        assert "export EARTHDATA_SANDBOX_REGION=us-west-2" in lines
        assert "unset EARTHDATA_TOKEN" in lines
        # the printed environment works in a shell
        shell = subprocess.run(
            [
                "bash",
                "-c",
                f'eval "$({sys.executable} -m sandbox --cache-dir {cache} env)"; '
                'curl -s -o /dev/null -w "%{http_code}" https://cmr.earthdata.nasa.gov/search/collections.json',
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if shell.returncode == 127:
            pytest.skip("curl is not installed")
        assert shell.stdout == "200", shell.stderr
        wrong_region = subprocess.run(
            [
                sys.executable,
                "-m",
                "sandbox",
                "--cache-dir",
                str(cache),
                "env",
                "--region",
                "elsewhere",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert wrong_region.returncode == 1 and "has region us-west-2" in wrong_region.stderr
        second = sandbox_cli(tmp_path, "serve", "--port-base", "0")
        _, second_err = second.communicate(timeout=120)
        assert second.returncode == 1 and "already running" in second_err
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert server.returncode == 0
    assert read_state(cache) is None
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", state.proxy_port), timeout=2),
    ):
        pass


def test_instance_folders_are_unique_and_stale_ones_are_removed(tmp_path: Path) -> None:
    from sandbox.service import new_instance_dir

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{dead.pid}-abc"
    stale.mkdir()
    (stale / "ca.pem").write_text("old")
    mine = tmp_path / f"{os.getpid()}-keep"
    mine.mkdir()
    first, second = new_instance_dir(tmp_path), new_instance_dir(tmp_path)
    assert first != second and first.name.startswith(f"{os.getpid()}-")
    assert not stale.exists() and mine.exists()


FOREGROUND_PROBE = (
    "import os\n"
    "owner = os.tcgetpgrp(0) == os.getpgrp()\n"
    "print('foreground' if owner else 'background', flush=True)"
)


# Makes a pseudo-terminal the controlling terminal of a new session, then becomes the command.
ON_TERMINAL = (
    "import os, sys\n"
    "os.login_tty(int(sys.argv[1]))\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)


def test_on_a_terminal_the_command_gets_the_foreground(tmp_path: Path) -> None:
    """With a controlling terminal, COMMAND's process group owns it (Ctrl-C and reads reach it)."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ON_TERMINAL,
            str(follower),
            str(WRAPPER),
            str(tmp_path / "granules"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "run",
            "--port-base",
            "0",
            "--",
            sys.executable,
            "-c",
            FOREGROUND_PROBE,
        ],
        pass_fds=(follower,),
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        output += chunk
    process.wait(timeout=30)
    os.close(leader)
    assert process.returncode == 0, output.decode(errors="replace")
    assert b"foreground" in output and b"background" not in output
