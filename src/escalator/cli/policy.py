"""`escalator policy ...`: what policy owners run before they open a pull request."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalator.authoring.cases import find_case_files, run_cases
from escalator.authoring.files import LoadedPolicy, PolicyLoadError, load_policies, load_policy_file
from escalator.core.decision import Decision, format_instant, format_timedelta
from escalator.core.evaluate import evaluate
from escalator.core.issue import IssueSnapshot
from escalator.core.matching import category_mismatch
from escalator.core.policy import Policy
from escalator.core.rotation import on_call
from escalator.core.routing import Roster

app = typer.Typer(help="Validate, test, explain and describe escalation policies.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PathsArg = Annotated[list[Path] | None, typer.Argument(help="policy files or folders (default: policies)")]


def _report(error: PolicyLoadError) -> None:
    for problem in error.problems:
        err.print(f"[red]error[/red] {escape(str(problem))}")
    count = len(error.problems)
    err.print(f"{count} problem{'s' if count != 1 else ''} found.")


@app.command()
def validate(paths: PathsArg = None) -> None:
    """Check every policy file; print every problem with file, line and field. Exit 1 on any problem."""
    try:
        loaded = load_policies(paths or [Path("policies")])
    except PolicyLoadError as error:
        _report(error)
        raise typer.Exit(1) from None
    for item in loaded:
        policy = item.policy
        levels = sum(len(c.levels) for c in policy.categories)
        digest = (item.identity.sha256 or "?")[:12]
        out.print(
            f"[green]ok[/green] {item.path}: {policy.name} version {policy.version} "
            f"({len(policy.categories)} categories, {levels} levels, sha256 {digest})"
        )


@app.command("test")
def test_cases(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="case files or folders searched for *.cases.yaml (default: policies)"),
    ] = None,
) -> None:
    """Run the golden cases kept beside the policies (*.cases.yaml). Exit 1 if any fails."""
    files = find_case_files(paths or [Path("policies")])
    if not files:
        err.print("no *.cases.yaml files found")
        raise typer.Exit(1)
    failed = passed = 0
    broken = False
    for file in files:
        try:
            results = run_cases(file)
        except PolicyLoadError as error:
            _report(error)
            broken = True
            continue
        for result in results:
            if result.passed:
                passed += 1
                out.print(f"[green]PASS[/green] {escape(f'{file}: {result.case.name}')}")
            else:
                failed += 1
                out.print(f"[red]FAIL[/red] {escape(f'{file}: {result.case.name}')}")
                for mismatch in result.mismatches:
                    out.print(f"     {escape(mismatch)}")
                out.print(f"     reason: {escape(result.decision.reason)}")
    out.print(f"{passed} passed, {failed} failed")
    if failed or broken:
        raise typer.Exit(1)


@app.command()
def explain(
    policy: Annotated[Path, typer.Option("--policy", help="the policy file")],
    issue_json: Annotated[Path, typer.Option("--issue-json", help="an issue snapshot as JSON")],
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 instant with offset (default: now)")] = None,
    inactive: Annotated[list[str] | None, typer.Option("--inactive", help="a user inactive in Jira")] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="a group's members in Jira's order: NAME=ID,ID,...")
    ] = None,
    load: Annotated[
        list[str] | None, typer.Option("--workload", help="a person's open issues in the scope: ID=COUNT")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the decision as JSON")] = False,
) -> None:
    """The full decision trace for one issue under one policy at one instant."""
    try:
        loaded = load_policy_file(policy)
    except PolicyLoadError as error:
        _report(error)
        raise typer.Exit(1) from None
    issue = _read_issue(issue_json)
    now = _parse_instant(at) if at else datetime.now(UTC)
    roster = _roster(group or [], load or [])
    try:
        plan = evaluate(
            [issue],
            loaded.policy,
            now,
            inactive_users=frozenset(inactive or ()),
            identity=loaded.identity,
            roster=roster,
        )
    except ValueError as error:  # e.g. an instant outside the years a calendar can compute
        err.print(f"[red]error[/red] cannot evaluate at {now.isoformat()}: {escape(str(error))}")
        raise typer.Exit(1) from None
    decision = plan.decisions[0]
    if as_json:
        out.print_json(decision.model_dump_json())
        return
    _print_trace(loaded, issue, decision, now)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a policy file, for editors (kept in policies/policy.schema.json)."""
    sys.stdout.write(policy_json_schema())


def policy_json_schema() -> str:
    document = Policy.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "escalator policy"
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _read_issue(path: Path) -> IssueSnapshot:
    try:
        text = path.read_text()
    except OSError as error:
        err.print(f"{path}: cannot read the file: {error.strerror}")
        raise typer.Exit(1) from None
    try:
        return IssueSnapshot.model_validate_json(text)
    except ValidationError as error:
        for item in error.errors():
            loc = ".".join(str(part) for part in item["loc"])
            err.print(f"[red]error[/red] {escape(str(path))}: {escape(loc + ': ' if loc else '')}{escape(item['msg'])}")
        raise typer.Exit(1) from None


def _roster(groups: list[str], loads: list[str]) -> Roster:
    """``--group support=acc-dave,acc-erin`` and ``--workload acc-dave=3`` as the roster the sweep would read."""
    members: dict[str, tuple[str, ...]] = {}
    workload: dict[str, int] = {}
    for text in groups:
        name, _, people = text.partition("=")
        if not name or not people:
            err.print(f"--group {text!r} is not NAME=ID,ID,... (e.g. support=acc-dave,acc-erin)")
            raise typer.Exit(1)
        members[name] = tuple(p.strip() for p in people.split(",") if p.strip())
    for text in loads:
        person, _, count = text.partition("=")
        if not person or not count.isdigit():
            err.print(f"--workload {text!r} is not ID=COUNT (e.g. acc-dave=3)")
            raise typer.Exit(1)
        workload[person] = int(count)
    return Roster(members, workload)


def _parse_instant(text: str) -> datetime:
    try:
        value = TypeAdapter(datetime).validate_python(text)
    except ValidationError:
        err.print(f"--at {text!r} is not an ISO 8601 instant such as 2026-11-20T10:00:00+01:00")
        raise typer.Exit(1) from None
    if value.tzinfo is None:
        err.print(f"--at {text!r} has no UTC offset; add one, e.g. {text}+00:00 or {text}Z")
        raise typer.Exit(1)
    return value


def _print_trace(loaded: LoadedPolicy, issue: IssueSnapshot, decision: Decision, now: datetime) -> None:
    policy, identity = loaded.policy, loaded.identity
    out.print(f"[bold]{issue.key}[/bold] under policy {policy.name} version {policy.version} at {now.isoformat()}")
    out.print(f"  file {identity.path}, sha256 {identity.sha256}")
    out.print("[bold]Categories[/bold] (first match wins)")
    looking = True
    for category in policy.categories:
        if category.name == decision.category:
            out.print(f"  {category.name}: [green]used[/green]")
            looking = False
        elif not looking:
            out.print(f"  {category.name}: not reached")
        else:
            why_not = category_mismatch(category, issue) or "matches, but the escalation state names another category"
            out.print(f"  {category.name}: no: {escape(why_not)}")
    table = Table(show_header=False, box=None, padding=(0, 2))
    rows: list[tuple[str, str]] = [
        ("outcome", f"{decision.outcome} ({decision.reason_code})"),
        ("reason", decision.reason),
        ("calendar", decision.calendar or "—"),
        ("level", f"{decision.from_level or 'none yet'} → {decision.to_level or '—'}"),
    ]
    if decision.clock_started_at is not None:
        rows.append(("clock started", f"{format_instant(decision.clock_started_at)} ({decision.clock_start})"))
    if decision.elapsed is not None and decision.window is not None:
        rows.append(
            (
                "working time",
                f"{format_timedelta(decision.elapsed)} of a {format_timedelta(decision.window)} window",
            )
        )
    if decision.paused is not None:
        used = policy.category(decision.category or "")
        names = policy.pause_statuses if used is None or used.pause_statuses is None else used.pause_statuses
        statuses = ", ".join(names) or "none"
        paused_now = " (paused now)" if decision.reason_code == "paused" else ""
        rows.append(("clock paused", f"{format_timedelta(decision.paused)} in {statuses}{paused_now}"))
    if decision.due_at is not None:
        rows.append(("next level due", format_instant(decision.due_at)))
    if decision.data_problem is not None:
        rows.append(("data problem", decision.data_problem))
    if decision.levels_passed:
        rows.append(("levels passed", ", ".join(decision.levels_passed)))
    for rotation in policy.rotations:
        found = on_call(rotation, now)
        rows.append(("on call", f"{found.person or 'nobody'} in {rotation.name}: {found.why}"))
    if decision.owner_reason is not None and decision.actions is not None:
        rows.append(("owner", f"{decision.actions.assignee_to}: {decision.owner_reason}"))
    for skipped in decision.owners_skipped:
        rows.append(("owner skipped", f"{skipped.owner} at {skipped.level}: {skipped.reason}"))
    if decision.deadline_at is not None:
        state = "BREACHED" if decision.deadline_breached else "ok"
        rows.append(("escalation deadline", f"{format_instant(decision.deadline_at)} ({state})"))
    actions = decision.actions
    if actions is not None:
        rows.append(("assignee", f"{actions.assignee_from or 'unassigned'} → {actions.assignee_to}"))
        rows.append(("priority", f"{actions.priority_from or 'none'} → {actions.priority_to or 'none'}"))
        if actions.labels_add:
            rows.append(("labels added", ", ".join(actions.labels_add)))
        if actions.notifies:
            who = [
                n
                for n, on in (
                    ("reporter", actions.notify_reporter),
                    ("assignee", actions.notify_assignee),
                    ("watchers", actions.notify_watchers),
                )
                if on
            ]
            rows.append(("notify", ", ".join([*who, *actions.notify_users])))
    for name, value in rows:
        table.add_row(f"[bold]{name}[/bold]", escape(value))
    out.print(table)
    if actions is not None:
        out.print("[bold]Status comment[/bold]")
        for line in actions.comment.splitlines():
            out.print(f"  {escape(line)}")
