"""`escalator sandbox ...`: start the Jira-compatible sandbox server.

Heavy imports (FastAPI, uvicorn) happen inside the command so `escalator --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jira_sandbox.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_TOKEN

app = typer.Typer(help="A Jira-compatible sandbox server for demos, rehearsals and tests.", no_args_is_help=True)


@app.command()
def start(
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one).")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    db: Annotated[str, typer.Option(help="SQLite file (':memory:' for a throwaway sandbox).")] = "jira-sandbox.db",
    mode: Annotated[str, typer.Option(help="cloud or server (Jira Data Center).")] = "cloud",
    seed: Annotated[str | None, typer.Option(help="'demo', or a number of issues in the demo organisation.")] = None,
    user: Annotated[str, typer.Option(help="Email of the admin user (Basic auth login).")] = DEFAULT_ADMIN_EMAIL,
    token: Annotated[
        str, typer.Option(help="API token of the admin user (also a bearer token).")
    ] = DEFAULT_ADMIN_TOKEN,
    load: Annotated[
        Path | None, typer.Option(help="a Jira search export or an escalator snapshot (JSON) to load at start.")
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every REST request.")] = 0,
    faults: Annotated[Path | None, typer.Option(help="JSON file of fault settings (see README).")] = None,
    strict: Annotated[
        bool, typer.Option(help="Check every request against Atlassian's OpenAPI spec; 400 for what it refuses.")
    ] = False,
) -> None:
    """Start a sandbox and serve until interrupted (Ctrl-C or SIGTERM)."""
    import json

    from jira_sandbox.app import build_runtime, create_app
    from jira_sandbox.faults import FaultConfig
    from jira_sandbox.jira_export import import_export
    from jira_sandbox.jiratime import now_ms
    from jira_sandbox.server import SandboxServer, exposure_warning
    from jira_sandbox.settings import SandboxSettings
    from jira_sandbox.store import Store
    from jira_sandbox.testing import sandbox_seed

    if mode not in ("cloud", "server"):
        raise typer.BadParameter("--mode must be cloud or server")
    if seed is not None and seed != "demo" and not seed.isdigit():
        raise typer.BadParameter("--seed must be 'demo' or a number of issues")
    if not token.strip():
        raise typer.BadParameter("--token may not be empty: anyone could call the sandbox as its admin")
    warning = exposure_warning(host)
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    fault_config = FaultConfig.model_validate(json.loads(faults.read_text()) if faults else {})
    if latency_ms:
        fault_config = fault_config.model_copy(update={"latency_ms": latency_ms})
    settings = SandboxSettings(
        mode="cloud" if mode == "cloud" else "server", admin_email=user, admin_token=token, strict=strict
    )
    store = Store(db)
    runtime = build_runtime(settings, store, fault_config)
    report = sandbox_seed(runtime, seed)
    if load is not None:
        with store.transaction() as tx:
            keys = import_export(tx, json.loads(load.read_text()), now_ms())
        typer.echo(f"Loaded {len(keys)} issues from {load}.")
    server = SandboxServer(create_app(runtime), host=host, port=port)
    if report is not None:
        typer.echo(f"Seeded {report.issues} issues ({report.changes} changelog entries, {report.comments} comments).")
    strictness = ", strict" if strict else ""
    typer.echo(
        f"Jira sandbox ({settings.deployment_type} mode{strictness}) starting on http://{host}:{port}  (state: {db})"
    )
    typer.echo(f"  credentials: {user} / {token}   (or: Authorization: Bearer {token})")
    typer.echo(f"  try: curl -u {user}:{token} http://{host}:{port}/rest/api/2/myself")
    typer.echo(f"  admin: curl -u {user}:{token} http://{host}:{port}/_sandbox/requests")
    typer.echo("  Ctrl-C to stop.")
    server.serve_until_signalled()
    store.close()
    typer.echo("Jira sandbox stopped.")
