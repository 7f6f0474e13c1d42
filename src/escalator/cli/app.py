"""The `escalator` command: wires the sub-commands together; each lives in its own module."""

import typer

from escalator.cli import audit_report, diff, serve, sweep
from escalator.cli.audit import app as audit_app
from escalator.cli.policy import app as policy_app
from jira_sandbox.cli import app as sandbox_app

app = typer.Typer(
    help="Jira escalation policies as code, run by Prefect, recorded for audit.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(sweep.run)
app.command()(sweep.demo)
app.command()(serve.serve)
policy_app.command("diff")(diff.diff)
audit_app.command("report")(audit_report.report)
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(diff.snapshot_app, name="snapshot")
app.add_typer(sandbox_app, name="sandbox")


def main() -> None:
    app()
