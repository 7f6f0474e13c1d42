"""`escalator serve`: run the schedules of prefect.yaml on this machine, without a work pool or worker.

The deployments are built from prefect.yaml (``escalator.orchestration.deployments``), so ``prefect deploy``
and this command schedule the same sweeps. Prefect's ephemeral API cannot run schedules, so without
``PREFECT_API_URL`` this starts a local ``prefect server start`` (loopback, data in the project's PREFECT_HOME,
``.prefect/``) for as long as it serves, and stops it on Ctrl-C or SIGTERM. Run it from the project root.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from escalator.orchestration.deployments import (
    PREFECT_FILE,
    DeploymentConfigError,
    DeploymentSpec,
    read_deployments,
    select,
    served,
)
from escalator.orchestration.server import PrefectServerError, running_prefect_server

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def serve(
    deployment: Annotated[
        list[str] | None,
        typer.Option(
            "--deployment",
            help="a scheduled deployment of prefect.yaml to serve; repeat for more (default: the sweeps and reports)",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="port of the local Prefect server started when PREFECT_API_URL is unset"),
    ] = None,
) -> None:
    """Run the sweeps and audit reports of prefect.yaml on their schedules in this process, until Ctrl-C."""
    try:
        specs = select(served(read_deployments(PREFECT_FILE)), deployment or [])
    except DeploymentConfigError as error:
        err.print(f"[red]error[/red] {error}")
        raise typer.Exit(2) from None
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from escalator.orchestration.deployments import to_runner_deployments

    settings = get_current_settings()
    try:
        with _sigterm_as_interrupt():
            deployments = to_runner_deployments(specs)  # fails on a broken flow before a server starts
            starting = None if settings.api.url else running_prefect_server(Path(settings.home), port=port)
            if starting is not None:
                out.print("Starting a local Prefect server (15-25 s on two cores) …")
            with starting or nullcontext() as server:
                api_url = server.api_url if server else str(settings.api.url)
                if server:
                    out.print(f"Prefect UI: {server.url}   (server log: {server.log})")
                else:
                    out.print(f"Using the Prefect API at {api_url}")
                with _api_url(api_url), temporary_settings({PREFECT_API_URL: api_url}):
                    _refuse_worker_deployments(specs)
                    prefect_serve(*deployments)
    except KeyboardInterrupt:
        pass
    except PrefectServerError as error:
        err.print(f"[red]error[/red] {error}")
        raise typer.Exit(1) from None
    out.print("Stopped.")


def _refuse_worker_deployments(specs: list[DeploymentSpec]) -> None:
    """Serving a deployment that `prefect deploy` created for a work pool would keep its work pool (Prefect
    updates it in place), so workers and this process would both poll its runs. Refuse, and say what to do."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    pooled = []
    with get_client(sync_client=True) as client:
        for spec in specs:
            name = f"{spec.flow_name}/{spec.name}"
            try:
                existing = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            if existing.work_pool_name:
                pooled.append(f"{name} (work pool {existing.work_pool_name})")
    if pooled:
        err.print(
            f"[red]error[/red] this server runs {', '.join(pooled)} on workers already; serving them here too would "
            "run each sweep from two places. Serve against another server (unset PREFECT_API_URL), or remove them "
            "first: prefect deployment delete <flow>/<name>"
        )
        raise typer.Exit(2)


@contextmanager
def _api_url(url: str) -> Iterator[None]:
    """PREFECT_API_URL in the environment too, for the flow-run processes the runner starts."""
    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the local server is stopped too. (While serving, Prefect's runner
    installs its own SIGTERM handler, which shuts the runner down gracefully and returns.)"""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
