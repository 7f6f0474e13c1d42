"""A local ``prefect server start`` in a child process, for ``escalator serve`` and the deploy tests.

Prefect's ephemeral API (no ``PREFECT_API_URL``) cannot run schedules; a real server runs the scheduler. The
server listens on loopback only, keeps its SQLite database under the ``home`` it is given (or uses the PostgreSQL
database it is given), and gets
``PREFECT_UI_API_URL`` so its UI calls this server's API and not the default port 4200. It runs in its own
session, so a Ctrl-C in the terminal reaches only the caller, which stops the server after its own shutdown
(a served runner pauses its deployments through the API on the way out).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PrefectServer", "PrefectServerError", "free_port", "running_prefect_server"]

LOOPBACK = "127.0.0.1"


class PrefectServerError(Exception):
    """The local Prefect server did not start (the message carries the end of its log)."""


@dataclass(frozen=True)
class PrefectServer:
    url: str  # the UI
    home: Path
    log: Path
    pid: int

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def server_environment(
    home: Path, api_url: str, base: Mapping[str, str] | None = None, *, database_url: str | None = None
) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    if database_url is not None:  # PostgreSQL (see escalator.orchestration.postgres); else SQLite under home
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url,
            "PREFECT_UI_API_URL": api_url,  # else the UI calls http://127.0.0.1:4200/api
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_LOGGING_LEVEL": env.get("PREFECT_SERVER_LOGGING_LEVEL", "WARNING"),
        }
    )
    return env


@contextmanager
def running_prefect_server(
    home: Path,
    *,
    port: int | None = None,
    database_url: str | None = None,
    startup_timeout: float = 120.0,
    stop_timeout: float = 20.0,
) -> Iterator[PrefectServer]:
    """Start the server, wait until ``/api/health`` answers, yield it, then stop it (SIGTERM, then SIGKILL).
    ``database_url``: the server's database (``postgresql+asyncpg://…``) instead of SQLite under ``home``."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://{LOOPBACK}:{port}"
    log = home / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", LOOPBACK, "--port", str(port)]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            env=server_environment(home, f"{url}/api", database_url=database_url),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(process, f"{url}/api/health", log, startup_timeout)
        yield PrefectServer(url=url, home=home, log=log, pid=process.pid)
    finally:
        _stop(process, stop_timeout)


def _wait_healthy(process: subprocess.Popen[bytes], health_url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectServerError(f"prefect server exited with code {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise PrefectServerError(f"prefect server did not answer {health_url} within {timeout:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully on the first one
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
