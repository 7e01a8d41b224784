"""The state file by which ``sandbox env`` finds a running ``sandbox serve``.

``<cache>/serve.json`` (mode 0600) records the serving process, its region and ports, and the
environment it routes with. It is written once the services are up and removed when they stop;
a file whose process is gone or whose proxy does not answer is stale and ignored.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = "serve.json"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (possibly owned by another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class ServeState:
    """What a running ``serve`` publishes."""

    pid: int
    region: str
    proxy_port: int
    env: dict[str, str]

    def alive(self) -> bool:
        """Whether the process exists and its proxy accepts connections."""
        if not pid_alive(self.pid):
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.proxy_port), timeout=2):
                return True
        except OSError:
            return False


def state_path(cache_dir: Path) -> Path:
    """Where the state file of ``cache_dir`` lives."""
    return cache_dir / STATE_FILE


def write_state(cache_dir: Path, state: ServeState) -> Path:
    """Write the state file atomically, readable by its owner only."""
    path = state_path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "pid": state.pid,
                "region": state.region,
                "proxy_port": state.proxy_port,
                "env": state.env,
            },
            handle,
            indent=1,
        )
    tmp.replace(path)
    return path


def read_state(cache_dir: Path) -> ServeState | None:
    """The recorded state, or None when there is no (readable) state file."""
    try:
        data = json.loads(state_path(cache_dir).read_text())
        return ServeState(
            pid=int(data["pid"]),
            region=str(data["region"]),
            proxy_port=int(data["proxy_port"]),
            env={str(k): str(v) for k, v in data["env"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_state(cache_dir: Path, pid: int) -> None:
    """Remove the state file if it is the one process ``pid`` wrote."""
    current = read_state(cache_dir)
    if current is not None and current.pid == pid:
        state_path(cache_dir).unlink(missing_ok=True)
