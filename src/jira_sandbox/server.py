"""Runs a sandbox app under uvicorn: in the foreground until SIGINT/SIGTERM (the CLI), or in a
background thread on a free loopback port (the test fixture). Uses `TrackedH11Protocol` so faults can
reset connections. A sandbox is for this machine: `exposure_warning` says so when it is bound elsewhere."""

from __future__ import annotations

import ipaddress
import signal
import threading
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from jira_sandbox.connections import TrackedH11Protocol

STARTUP_TIMEOUT_S = 10.0


def exposure_warning(host: str) -> str | None:
    """A warning when ``host`` is not a loopback address: the sandbox's admin credentials are printed at start
    and its admin endpoint can rewrite everything, so other machines should not reach it."""
    if host.lower() == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"the sandbox listens on {host}, which other machines may reach: anyone who can connect can use its "
        "printed credentials and its admin endpoint; use --host 127.0.0.1 unless that is what you want"
    )


class SandboxServer:
    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            http=TrackedH11Protocol,
            lifespan="off",
            access_log=False,
            log_level=log_level,
            timeout_graceful_shutdown=2,
        )
        self.host = host
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        servers = getattr(self._server, "servers", [])
        if not servers:
            raise RuntimeError("the sandbox server is not listening yet")
        return int(servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_until_signalled(self) -> None:
        """Serve in this (main) thread until SIGINT or SIGTERM, then return after a graceful shutdown."""

        def ignore_replayed_signal(signum: int, frame: FrameType | None) -> None:
            """uvicorn re-raises the signal it shut down for; by then there is nothing left to do."""

        previous = {sig: signal.signal(sig, ignore_replayed_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._server.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start_in_background(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="jira-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
