"""`escalator run` and `escalator demo`: one sweep now, against a configured Jira or the bundled sandbox.

The sweep is the Prefect flow in ``flows/escalate.py``, loaded by path the way Prefect deployments load it,
so run these from the project root.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from escalator.sweep.parameters import SweepParameters
from escalator.sweep.report import SweepReport

if TYPE_CHECKING:
    from escalator.cli.demo_channel import ChatMessage

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ENTRYPOINT = "flows/escalate.py:escalate"

PolicyOption = Annotated[
    list[Path] | None, typer.Option("--policy", help="a policy file or folder; repeat for more (default: policies)")
]


def _quiet_prefect() -> None:
    """Flow-run progress on the console, no task-run chatter, and no tracebacks: a run that fails for a
    known reason is explained by the CLI in one message. (The Prefect API still gets every traceback.)"""
    for name, value in {
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }.items():
        os.environ.setdefault(name, value)
    from prefect.logging.configuration import setup_logging
    from prefect.logging.handlers import PrefectConsoleHandler

    setup_logging()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler) and not isinstance(handler.formatter, _WithoutTraceback):
            handler.setFormatter(_WithoutTraceback(handler.formatter or logging.Formatter()))
    logging.getLogger("prefect.task_runs").setLevel(logging.WARNING)


class _WithoutTraceback(logging.Formatter):
    """The console's formatter, leaving tracebacks out. The record itself is left as it is (a filter that cleared
    its ``exc_info`` would take the traceback from every other handler too, the API's and a log file's)."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def load_sweep_flow() -> Callable[..., Any]:
    """The sweep flow, loaded from the project root like a deployment would load it."""
    if not Path(ENTRYPOINT.split(":")[0]).is_file():
        err.print(f"{ENTRYPOINT.split(':')[0]} not found: run escalator from the project root")
        raise typer.Exit(2)
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(ENTRYPOINT)


def run_sweep(params: SweepParameters) -> tuple[bool, list[SweepReport]]:
    """Run one sweep; (completed, reports). User mistakes become clear messages, never tracebacks."""
    from escalator.authoring.files import PolicyLoadError
    from escalator.jira.errors import JiraError
    from escalator.sweep.policies import PolicyProvenanceError

    _quiet_prefect()
    sweep = load_sweep_flow()
    state = sweep(params, return_state=True)
    if state.is_completed() or state.is_failed():
        try:
            data = state.result(raise_on_failure=False)
        except Exception as error:  # the state carries the run's own exception
            data = error
        if isinstance(data, list):
            return state.is_completed(), [SweepReport.model_validate(item) for item in data]
        if isinstance(data, PolicyLoadError):
            for problem in data.problems:
                err.print(f"[red]error[/red] {escape(str(problem))}")
            raise typer.Exit(1)
        if isinstance(data, JiraError | PolicyProvenanceError):
            err.print(f"[red]error[/red] {escape(_where())}{escape(str(data))}")
            raise typer.Exit(1)
        if isinstance(data, BaseException):
            err.print(f"[red]error[/red] the sweep stopped: {type(data).__name__}: {escape(str(data))}")
            raise typer.Exit(1)
    err.print(f"[red]error[/red] the sweep ended {state.type.value}: {escape(state.message or '')}")
    raise typer.Exit(1)


def _where() -> str:
    from escalator.audit.sink import redact_url  # a JIRA_URL with credentials is refused, but not when a block is used

    url = os.environ.get("JIRA_URL")
    return f"Jira at {redact_url(url)}: " if url else ""


def print_reports(reports: list[SweepReport], *, title: str) -> None:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    table.add_column("policy", no_wrap=True)  # never cut: a policy of up to 20 characters fits 80 columns
    for column in ("issues", "escalations", "applied", "dry run", "failed", "over budget"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in reports:
        table.add_row(
            f"{r.policy} v{r.version}",
            str(r.evaluated),
            str(r.escalations),
            str(r.applied),
            str(r.dry_run),
            str(r.failed),
            str(r.over_budget),
        )
    out.print(table)
    for r in reports:
        out.print(f"{r.policy}: decision records in artifact {r.records_key},\n  summary in {r.summary_key}")
        if r.data_problems:
            out.print(f"[yellow]{r.policy}: {r.data_problems} issue(s) not evaluated: unreadable data[/yellow]")
        if r.blocked:
            out.print(f"[yellow]{r.policy}: blocked[/yellow] {escape(r.blocked)}")
        if r.error:
            out.print(f"[red]{r.policy}: stopped part-way[/red]: {escape(r.error)}")
        for outcome in r.outcomes:
            if outcome.status == "failed":
                out.print(f"[red]{r.policy}: {outcome.issue_key} failed[/red]: {escape(outcome.error or '')}")
            elif outcome.warning:
                out.print(f"[yellow]{r.policy}: {outcome.issue_key}[/yellow]: {escape(outcome.warning)}")


def _check_before_starting(params: SweepParameters) -> None:
    """The mistakes a user can make here, reported in a second, before Prefect starts (the flow checks
    them again, for runs that do not come through this command)."""
    from escalator.authoring.files import PolicyLoadError, load_policies
    from escalator.jira.errors import JiraConfigError
    from escalator.jira.settings import JiraSettings

    problems: list[str] = []
    try:
        load_policies([Path(p) for p in params.policies])
    except PolicyLoadError as error:
        problems.extend(str(problem) for problem in error.problems)
    if params.jira_block is None:
        try:
            warning = JiraSettings.from_env().plain_http_warning
        except JiraConfigError as error:
            problems.append(f"Jira settings: {error} (see README: Pointing it at a real Jira)")
        else:
            if warning:
                err.print(f"[yellow]warning[/yellow] {escape(warning)}")
    if problems:
        for problem in problems:
            err.print(f"[red]error[/red] {escape(str(problem))}")
        raise typer.Exit(1)


def run(
    policy: PolicyOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and record, write nothing to Jira")] = False,
    write_budget: Annotated[int | None, typer.Option("--write-budget", help="at most N issues written")] = None,
    jira_block: Annotated[
        str | None, typer.Option("--jira-block", help="a Prefect Secret block with the Jira settings (JSON)")
    ] = None,
    require_clean_policy: Annotated[
        bool, typer.Option("--require-clean-policy", help="refuse policies not committed unchanged in git")
    ] = False,
) -> None:
    """One sweep now against the configured Jira (JIRA_URL + JIRA_EMAIL/JIRA_API_TOKEN, or JIRA_PAT)."""
    params = SweepParameters(
        policies=[str(p) for p in (policy or [Path("policies")])],
        dry_run=dry_run,
        write_budget=write_budget,
        jira_block=jira_block,
        require_clean_policy=require_clean_policy,
    )
    _check_before_starting(params)
    completed, reports = run_sweep(params)
    print_reports(reports, title="Dry run: nothing was written" if dry_run else "Sweep")
    if not completed:
        raise typer.Exit(1)


@contextmanager
def _jira_environment(url: str, user: str, token: str) -> Iterator[None]:
    names = ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({"JIRA_URL": url, "JIRA_EMAIL": user, "JIRA_API_TOKEN": token})
    os.environ.pop("JIRA_PAT", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo(
    policy: PolicyOption = None,
    mode: Annotated[str, typer.Option("--mode", help="the sandbox plays Jira 'cloud' or 'server'")] = "cloud",
) -> None:
    """Start the sandbox with the demo organisation and a chat room for the outage policy's notification channel,
    sweep it live, then sweep again: nothing twice."""
    from escalator.cli.demo_channel import CHANNEL, running_chat_room
    from jira_sandbox.testing import running_sandbox

    if mode not in ("cloud", "server"):
        err.print("--mode must be cloud or server")
        raise typer.Exit(2)
    policies = [str(p) for p in (policy or [Path("policies")])]
    out.print("Starting the Jira sandbox with the demo organisation …")
    with running_sandbox(mode=mode, seed="demo") as sandbox, running_chat_room() as room:  # type: ignore[arg-type]
        out.print(f"  Jira sandbox ({mode}) at {sandbox.url}, user {sandbox.user}")
        out.print(f"  chat room for channel {CHANNEL} at {room.url}")
        out.print("Running a live sweep on the local Prefect API (the first start takes 15-25 s) …")
        with _jira_environment(sandbox.url, sandbox.user, sandbox.token), _demo_channel(room.url):
            completed, reports = run_sweep(SweepParameters(policies=policies))
            print_reports(reports, title="First sweep")
            for report in reports:
                if report.changes:
                    out.print(f"[bold]{report.policy}[/bold]: the first of {report.escalations} escalations")
                    for line in report.changes[:12]:
                        out.print(f"  {line}")
                if report.routed:
                    out.print(f"[bold]{report.policy}[/bold]: owners chosen by a rotation or a group")
                    for line in report.routed[:6]:  # long: wrapped at the terminal's width, indented
                        wrapped = textwrap.fill(line, out.width, initial_indent="  ", subsequent_indent="    ")
                        out.print(escape(wrapped))
            _print_channel(room.messages)
            delivered = len(room.messages)
            out.print("Running the same sweep again: nothing may be escalated twice …")
            again_completed, again = run_sweep(SweepParameters(policies=policies))
            print_reports(again, title="Second sweep")
            out.print(f"Messages to {CHANNEL} in the second sweep: {len(room.messages) - delivered}")
        counts = sandbox.request_counts()
        out.print(
            f"Jira requests in all: {counts.total} ({counts.search} searches, {counts.write} writes, "
            f"{counts.other} other)"
        )
    total_again = sum(r.applied for r in again)
    for line in (  # wrapped at the terminal's width
        f"Second sweep escalated {total_again} issue(s) that the first had escalated: "
        f"{'none, as it must be' if total_again == 0 else 'new ones whose windows ran out in between'}.",
        "The decision records are Prefect artifacts: `uv run prefect artifact ls` lists their keys.",
    ):
        out.print(escape(textwrap.fill(line, out.width, subsequent_indent="  ")))
    if not (completed and again_completed):
        raise typer.Exit(1)


@contextmanager
def _demo_channel(url: str) -> Iterator[None]:
    """The custom-webhook block the outage policy names, posting to the demo's chat room at ``url``, for the
    demo's sweeps (deleted after: it would point at a port nobody listens on)."""
    from escalator.cli.demo_channel import delete_channel, save_channel

    _quiet_prefect()  # before the first Prefect API call, which starts the local server
    save_channel(url)
    try:
        yield
    finally:
        delete_channel()


def _print_channel(messages: Sequence[ChatMessage]) -> None:
    """How many messages the chat room received in the first sweep, and the first of them as a chat shows it."""
    from escalator.cli.demo_channel import CHANNEL

    if not messages:
        out.print(f"No message to {CHANNEL}: no outage reached L2 or L3")
        return
    first = messages[0]
    out.print(f"[bold]{CHANNEL}[/bold]: {len(messages)} messages delivered to the chat room; the first:")
    out.print(escape(textwrap.fill(first.subject, out.width, initial_indent="  ", subsequent_indent="  ")))
    for line in first.text.splitlines():
        out.print(escape(textwrap.fill(line, out.width, initial_indent="  │ ", subsequent_indent="  │   ")))
