"""Binder practice mode: binder/ holds what repo2docker needs to open the tutorials on the sandbox.

- binder/requirements.txt is the lock's pins plus the project (scripts/binder_requirements.py);
- binder/runtime.txt asks for Python 3.13, the lock's Python;
- binder/postBuild generates the sandbox's granules at image build time;
- binder/start, run as repo2docker runs it (``binder/start <server command...>``), starts the
  sandbox, runs the command inside it with its arguments unchanged, returns its exit status,
  forwards SIGTERM to a Jupyter server, and leaves no process behind.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
START = BINDER / "start"
VENV_BIN = Path(sys.executable).parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


binder_requirements = _load("binder_requirements")


# --- the environment ------------------------------------------------------------------------


def test_binder_requirements_are_the_lock():
    lock = (ROOT / "requirements" / "lock.txt").read_text()
    have = (BINDER / "requirements.txt").read_text()
    assert have == binder_requirements.render(lock), (
        "binder/requirements.txt differs from requirements/lock.txt: "
        "run python scripts/binder_requirements.py (after scripts/lock.sh)"
    )
    pins = {line for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    assert pins and pins <= set(have.splitlines())
    # repo2docker installs the repository itself from this line
    assert {"-e .", "."} & {line.strip() for line in have.splitlines()}


def test_a_relock_without_binder_is_caught(tmp_path, monkeypatch, capsys):
    """--check (and the test above) fail once the lock moves and binder/ is not regenerated."""
    lock = (ROOT / "requirements" / "lock.txt").read_text()
    relocked = tmp_path / "lock.txt"
    relocked.write_text(lock.replace("\nzipp==", "\nnewpackage==1.0\nzipp=="))
    target = tmp_path / "requirements.txt"
    target.write_text((BINDER / "requirements.txt").read_text())
    monkeypatch.setattr(binder_requirements, "LOCK", relocked)
    monkeypatch.setattr(binder_requirements, "TARGET", target)
    monkeypatch.setattr(binder_requirements, "ROOT", tmp_path)
    assert binder_requirements.main(["--check"]) == 1
    assert "run python scripts/binder_requirements.py" in capsys.readouterr().err
    assert binder_requirements.main([]) == 0
    assert "newpackage==1.0\n" in target.read_text()
    assert binder_requirements.main(["--check"]) == 0


def test_runtime_is_the_locks_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == "python-3.13"
    assert "on Python 3.13" in (ROOT / "requirements" / "lock.txt").read_text()


def test_post_build_generates_the_granules():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK) and os.access(START, os.X_OK)
    text = post_build.read_text()
    assert "python -m sandbox.granules" in text
    assert importlib.util.find_spec("sandbox.granules.__main__") is not None
    subprocess.run(["bash", "-n", str(post_build)], check=True)
    subprocess.run(["bash", "-n", str(START)], check=True)


def test_book_launches_binder_and_skips_the_folder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert "binder" in config["exclude_patterns"]


# --- the start script -----------------------------------------------------------------------


def _env(marker: str) -> dict[str, str]:
    """The start script's environment: `python` is this interpreter, free sandbox ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["EARTHDATA_SANDBOX_PORT_BASE"] = "0"
    env["BINDER_TEST_MARKER"] = marker
    return env


def _processes_with(marker: str, *also: str) -> list[str]:
    """The live processes whose environment holds the marker (the sandbox, the server...) and
    the variables ``also`` (``NAME=value``)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            status = (proc / "status").read_text()
        except OSError:
            continue
        variables = environ.split(b"\0")
        wanted = [f"BINDER_TEST_MARKER={marker}", *also]
        if all(v.encode() in variables for v in wanted) and "State:\tZ" not in status:
            found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes()[:120]!r}")
    return found


def _wait_gone(marker: str, seconds: float = 15) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.sandbox
def test_start_runs_the_command_inside_the_sandbox_and_returns_its_status():
    marker = uuid.uuid4().hex
    code = (
        "import os, sys; print(os.environ['EARTHDATA_SANDBOX']); print(sys.argv[1:]); "
        "print(os.environ['HTTPS_PROXY'].startswith('http://127.0.0.1:')); sys.exit(3)"
    )
    result = subprocess.run(
        [str(START), "python", "-c", code, "a b", "--flag=1", "", "$HOME"],
        env=_env(marker),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 3, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1", result.stdout  # the sandbox's environment
    assert lines[1] == str(["a b", "--flag=1", "", "$HOME"])  # arguments unchanged
    assert lines[2] == "True"  # routed through the sandbox's loopback proxy
    assert "Earthdata sandbox ready" in result.stderr
    assert not _wait_gone(marker), "processes left behind"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.sandbox
def test_start_runs_a_jupyter_server_and_forwards_sigterm(tmp_path):
    marker = uuid.uuid4().hex
    port = _free_port()
    env = _env(marker)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "data")
    command = [
        str(START),
        "jupyter",
        "server",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={ROOT / 'notebooks'}",
    ]
    if os.geteuid() == 0:  # this machine's tests run as root; Binder's sessions do not
        command.append("--allow-root")
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with opener.open(f"http://127.0.0.1:{port}/api", timeout=2) as response:
                    answer = response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert answer is not None and '"version"' in answer, log.read_text()[-3000:]
        servers = [p for p in _processes_with(marker, "EARTHDATA_SANDBOX=1") if "jupyter" in p]
        assert servers, "the Jupyter server runs inside the sandbox (EARTHDATA_SANDBOX=1)"

        server.send_signal(signal.SIGTERM)  # what the hub does when the session ends
        status = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    text = log.read_text()
    assert "Earthdata sandbox ready" in text
    assert status in (0, 128 + signal.SIGTERM, -signal.SIGTERM), (status, text[-3000:])
    assert "Shutting down" in text or "shutting down" in text.lower(), text[-3000:]
    assert not _wait_gone(marker), "processes left behind"
