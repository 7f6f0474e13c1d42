"""The `escalator` command: wires the sub-commands together; each lives in its own module."""

import typer

from jira_sandbox.cli import app as sandbox_app

app = typer.Typer(
    help="Jira escalation policies as code, run by Prefect, recorded for audit.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(sandbox_app, name="sandbox")


def main() -> None:
    app()
