"""`escalator policy diff` and `escalator snapshot save`: what a policy change would do to the real backlog.

Both read Jira only (or a snapshot file); neither constructs the adapter's write path.
"""

from __future__ import annotations

import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from escalator.authoring.files import PolicyLoadError, load_policies
from escalator.authoring.git import GitRefError
from escalator.cli.policy import _parse_instant, _report
from escalator.jira.errors import JiraError
from escalator.jira.settings import JiraSettings
from escalator.preview.backlog import SnapshotError, people_named, pseudonymise, write_snapshot
from escalator.preview.compare import live_snapshot, preview
from escalator.preview.render import DiffFormat, render

__all__ = ["FAIL_OVER_EXIT", "diff", "snapshot_app"]

FAIL_OVER_EXIT = 3
"""The exit code of ``policy diff --fail-over N`` when the change escalates more than N more issues."""
PSEUDONYM_KEY_ENV = "ESCALATOR_PSEUDONYM_KEY"

err = Console(stderr=True, highlight=False, soft_wrap=True)
snapshot_app = typer.Typer(help="Save the open issues of policies' scopes to a file, read-only.", no_args_is_help=True)

PolicyOption = Annotated[
    list[Path] | None, typer.Option("--policy", help="a policy file or folder; repeatable (default: policies)")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error[/red] {escape(message)}")
    return typer.Exit(1)


def diff(
    policy: PolicyOption = None,
    base: Annotated[
        str | None, typer.Option("--base", help="git ref of the policies before (default: merge base with main)")
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="git ref of the policies after (default: working tree)")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="ISO 8601 instant (default: the snapshot's time, or now)")
    ] = None,
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="a snapshot file instead of reading Jira (JIRA_* variables)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
    fail_over: Annotated[
        int | None,
        typer.Option("--fail-over", help=f"exit {FAIL_OVER_EXIT} if more than N issues would be newly escalated"),
    ] = None,
) -> None:
    """Every issue whose decision the policy change alters: counts first, then each issue, before and after."""
    if fmt not in ("table", "markdown", "json"):
        raise _fail(f"--format {fmt!r}: use table, markdown or json")
    now = _parse_instant(at) if at else None
    try:
        diffs = preview(policy or [Path("policies")], base=base, head=head, cwd=Path.cwd(), snapshot=snapshot, at=now)
    except PolicyLoadError as error:
        _report(error)
        raise typer.Exit(1) from None
    except (GitRefError, SnapshotError, JiraError) as error:
        raise _fail(str(error)) from None
    except ValueError as error:  # an instant outside the years a calendar can compute
        raise _fail(f"cannot evaluate: {error}") from None
    output: DiffFormat = fmt  # type: ignore[assignment]  # checked above
    sys.stdout.write(render(diffs, output))
    added = sum(d.newly_escalated for d in diffs)
    unknown = [d.policy for d in diffs if d.unknown]
    if fail_over is not None and unknown:
        err.print(f"cannot check --fail-over {fail_over}: the issues of a scope of {', '.join(unknown)} are unknown")
        raise typer.Exit(FAIL_OVER_EXIT)
    if fail_over is not None and added > fail_over:
        err.print(f"{added} issues would be newly escalated, more than --fail-over {fail_over}")
        raise typer.Exit(FAIL_OVER_EXIT)


@snapshot_app.command("save")
def save(
    file: Annotated[Path, typer.Argument(help="the snapshot file to write (JSON)")],
    policy: PolicyOption = None,
    pseudonymise_people: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help=f"replace people the policies do not name by stable pseudonyms (keyed by ${PSEUDONYM_KEY_ENV}, "
            "else a random key per snapshot)",
        ),
    ] = False,
) -> None:
    """Save the open issues in the policies' scopes (the fields the core reads and their escalation state) and
    the users Jira reports inactive, read-only from the configured Jira (JIRA_* variables)."""
    try:
        loaded = load_policies(policy or [Path("policies")])
    except PolicyLoadError as error:
        _report(error)
        raise typer.Exit(1) from None
    policies = [item.policy for item in loaded]
    try:
        taken = live_snapshot(JiraSettings.from_env(), policies, datetime.now(UTC))
    except JiraError as error:
        raise _fail(str(error)) from None
    if pseudonymise_people:
        key = os.environ.get(PSEUDONYM_KEY_ENV, "").encode() or secrets.token_bytes(32)
        taken = pseudonymise(taken, people_named(policies), key)
    try:
        write_snapshot(file, taken)
    except OSError as error:
        raise _fail(f"{file}: cannot write: {error.strerror}") from None
    scopes = ", ".join(f"{len(s.issue_keys)} in {s.scope!r}" for s in taken.scopes)
    err.print(f"Saved {len(taken.issues)} issues to {file} ({scopes}).")
    for problem in taken.problems:
        err.print(f"[yellow]data problem[/yellow] {escape(problem)}")
