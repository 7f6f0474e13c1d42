"""`escalator sandbox start` as a user runs it: prints URL, credentials and a curl example, answers a
Basic-auth request, keeps its state in the SQLite file across restarts, and stops cleanly (exit 0, no
traceback) on SIGINT and on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ESCALATOR = [sys.executable, "-m", "escalator"]  # the installed command's entry point, in this environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(db: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    command = [*ESCALATOR, "sandbox", "start", "--port", str(port), "--db", str(db), *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sandbox exited early: {process.communicate()}")
        try:
            if requests.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("sandbox did not start within 30 s")


def stop(process: subprocess.Popen[str], how: signal.Signals) -> tuple[str, str]:
    process.send_signal(how)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return out, err


def test_start_serve_restart_and_stop(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    process, url = start(db, "--mode", "server", "--seed", "25", "--user", "me@example.com", "--token", "s3cret")
    myself = requests.get(f"{url}/rest/api/2/myself", auth=("me@example.com", "s3cret"), timeout=5)
    assert myself.json()["name"] == "admin"
    found = requests.get(
        f"{url}/rest/api/2/search",
        params={"jql": "project in (OPS, SUP, ENG)"},
        auth=("me@example.com", "s3cret"),
        timeout=5,
    )
    assert found.json()["total"] == 25
    out, _ = stop(process, signal.SIGINT)
    assert f"starting on {url}" in out
    assert "me@example.com / s3cret" in out
    assert "curl -u me@example.com:s3cret" in out
    assert "stopped" in out

    process, url = start(db, "--mode", "server", "--user", "me@example.com", "--token", "s3cret")
    again = requests.get(
        f"{url}/rest/api/2/search",
        params={"jql": "project = OPS OR project = SUP OR project = ENG"},
        auth=("me@example.com", "s3cret"),
        timeout=5,
    )
    assert again.json()["total"] == 25  # the file kept the issues
    stop(process, signal.SIGTERM)
