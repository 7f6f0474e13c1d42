"""`escalator audit`: query and export decision records, show one issue's history, verify the audit sink.

Records are read from the Prefect API (the runs' table artifacts) by default, or with ``--from sink`` from the
append-only store named by ``ESCALATOR_AUDIT_SINK`` / ``--sink``, which outlives Prefect's database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer
from rich.console import Console
from rich.markup import escape

from escalator.audit.export import FORMATS, Format, write_records
from escalator.audit.keys import AUDIT_KEY_ENV, AuditKeyError, load_keyring
from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord
from escalator.audit.sink import SINK_ENV, AuditSink, AuditSinkError, resolve_sink_url

if TYPE_CHECKING:
    from escalator.audit.verify import HeadAnchor

__all__ = ["app"]

app = typer.Typer(
    help="Decision records: query and export, one issue's history, the auditor's report, verify the audit sink."
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SourceOption = Annotated[
    str, typer.Option("--from", help="where to read: prefect (the runs' artifacts) or sink (the audit store)")
]
SinkOption = Annotated[
    str | None, typer.Option("--sink", help=f"the audit sink path or fsspec URL (default: ${SINK_ENV})")
]


@app.callback(invoke_without_command=True)
def query(
    ctx: typer.Context,
    issue: Annotated[list[str] | None, typer.Option("--issue", help="an issue key; repeat for more")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="a policy name, e.g. outage-matrix")] = None,
    policy_version: Annotated[str | None, typer.Option("--policy-version", help="a policy version")] = None,
    commit: Annotated[
        str | None, typer.Option("--commit", help="a git commit (prefix), or 'none' for policies outside git")
    ] = None,
    outcome: Annotated[list[str] | None, typer.Option("--outcome", help="applied, dry_run, failed, ...")] = None,
    since: Annotated[str | None, typer.Option("--since", help="evaluated at or after (ISO date or time)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="evaluated before (ISO date or time)")] = None,
    flow_run: Annotated[str | None, typer.Option("--flow-run", help="a flow run id or name")] = None,
    dry_run: Annotated[bool | None, typer.Option("--dry-run/--live", help="only dry or only live runs")] = None,
    dirty: Annotated[
        bool | None, typer.Option("--dirty/--clean", help="only policies not committed unchanged in git, or only clean")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="at most this many records")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, jsonl or csv")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file (default: stdout)")] = None,
    source: SourceOption = "prefect",
    sink: SinkOption = None,
) -> None:
    """Query decision records (newest run first) and export them as a table, JSON Lines or CSV."""
    if ctx.invoked_subcommand is not None:
        return
    export_format = _format(fmt)
    wanted = RecordQuery(
        issue_keys=frozenset(key.upper() for key in issue or []),
        policy=policy,
        policy_version=policy_version,
        commit=commit,
        outcomes=frozenset(outcome or []),
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),
        flow_run=flow_run,
        dry_run=dry_run,
        dirty=dirty,
        limit=limit,
    )
    records = _records(wanted, source, sink)
    try:
        with _target(output) as target:
            count = write_records(records, target, export_format)
    except AuditSinkError as error:
        _fail(str(error), code=1)
    except OSError as error:
        _fail(f"cannot write {output or 'the output'}: {error.strerror or error}", code=1)
    if output is not None:
        err.print(f"{count} records written to {escape(str(output))}")


@app.command()
def show(
    issue_key: Annotated[str, typer.Argument(help="the issue, e.g. PAY-1234")],
    policy: Annotated[str | None, typer.Option("--policy", help="only this policy's steps")] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help=f"prefect (the runs' artifacts) or sink (the audit store); default: sink when ${SINK_ENV} or --sink "
            "is set, else prefect",
        ),
    ] = None,
    sink: SinkOption = None,
) -> None:
    """The escalation history of one issue across runs: each step, its reason, policy version and run."""
    wanted = RecordQuery(issue_keys=frozenset([issue_key.upper()]), policy=policy)
    if source is None:
        source = "sink" if resolve_sink_url(sink) is not None else "prefect"
    if source == "prefect":
        _say_when_prefect_starts()
    try:
        steps = sorted(_records(wanted, source, sink), key=lambda r: r.evaluated_at)
    except AuditSinkError as error:
        _fail(str(error), code=1)
    if not steps:
        out.print(f"No decision records for {escape(issue_key)}.")
        raise typer.Exit(1)
    out.print(f"[bold]{escape(issue_key.upper())}[/]: {len(steps)} recorded step(s)")
    for record in steps:
        _print_step(record)


@app.command()
def verify(
    sink: SinkOption = None,
    policy: Annotated[str | None, typer.Option("--policy", help="only this policy's chains")] = None,
    sink_only: Annotated[
        bool, typer.Option("--sink-only", help="check the sink alone, not against the heads recorded in Prefect")
    ] = False,
    expect_head: Annotated[
        list[str] | None,
        typer.Option(
            "--expect-head", help="CHAIN:SEQ:HASH, a head you wrote down; the sink must reach it (repeatable)"
        ),
    ] = None,
    key_block: Annotated[
        str | None,
        typer.Option("--key-block", help=f"a Prefect Secret block holding the keys (default: ${AUDIT_KEY_ENV})"),
    ] = None,
) -> None:
    """Check the audit sink's chains, and that they still reach every head recorded in Prefect and every
    --expect-head. Exits 1 naming file:line (or the chain) of every problem; exits 2 when there is nothing to
    verify, or keyed lines could not be checked for want of their key."""
    from escalator.audit.verify import NothingToVerify, parse_expected_head, verify_sink

    store = _sink(sink)
    try:
        anchors = [parse_expected_head(text) for text in expect_head or []]
        keyring = load_keyring(key_block)
    except (ValueError, AuditKeyError) as error:
        _fail(str(error))
    if not sink_only:
        anchors += _prefect_anchors(policy)
    try:
        report = verify_sink(store, policy, keyring=keyring, anchors=anchors)
    except NothingToVerify as error:
        _fail(str(error))
    except (OSError, AuditSinkError) as error:
        _fail(f"cannot read the audit sink {store.url}: {store.scrub(error)}")
    for name, count in report.records.items():
        out.print(f"{escape(name)}: {count} lines, head {name}:{report.seqs[name]}:{report.heads[name]}")
    recorded = "--expect-head" if sink_only else "Prefect and --expect-head"
    out.print(f"{report.anchors_checked} recorded head(s) checked ({recorded})")
    for other, count in sorted(report.anchors_elsewhere.items()):
        out.print(f"{count} head(s) recorded for another sink, {escape(other)}, not checked here")
    unchecked = ", ".join(
        f"{escape(name)} ({count}, the first at {escape(report.unchecked_at[name])})"
        for name, count in report.unchecked.items()
    )
    if unchecked:
        err.print(
            f"NOT VERIFIED: lines signed with a key not given here could not be checked: {unchecked}; "
            f"set ${AUDIT_KEY_ENV} (or --key-block) with their keys"
        )
    if not report.ok:
        for problem in report.problems:
            err.print(f"[red]{escape(problem.kind.upper())}[/] {escape(store.scrub(problem))}")
        err.print(f"[red]FAILED[/]: {len(report.problems)} problem(s) in the audit sink {escape(store.url)}")
        raise typer.Exit(1)
    if unchecked:
        raise typer.Exit(2)
    done = "." if sink_only else ", and reaches every recorded head."
    out.print(f"[green]OK[/]: every chain is complete and unaltered{done}")


def _prefect_anchors(policy: str | None) -> list[HeadAnchor]:
    """Every head recorded in Prefect; exit 2 when Prefect cannot be read (``--sink-only`` skips it)."""
    from escalator.audit.anchors import prefect_anchors

    try:
        return prefect_anchors(policy)
    except Exception as error:  # any failure to reach or read Prefect means the same to the auditor
        _fail(
            f"cannot read the heads recorded in Prefect: {type(error).__name__}: {error}; "
            "use --sink-only to check the sink alone"
        )


def _say_when_prefect_starts() -> None:
    """Without ``PREFECT_API_URL`` the records are read through a temporary local Prefect API, which takes a few
    seconds to start: say so, so the wait is not mistaken for a hang."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        err.print(
            "Starting a temporary Prefect API to read the decision records (about 10 s; set PREFECT_API_URL to read "
            f"a running server, or ${SINK_ENV} to read the audit sink) …"
        )


def _records(wanted: RecordQuery, source: str, sink: str | None) -> Iterator[AuditRecord]:
    if source == "sink":
        return _sink(sink).matching(wanted)
    if source != "prefect":
        _fail("--from must be prefect or sink")
    from escalator.audit.reader import prefect_records

    return prefect_records(wanted)


def _sink(url: str | None) -> AuditSink:
    resolved = resolve_sink_url(url)
    if resolved is None:
        _fail(f"no audit sink: set {SINK_ENV} or pass --sink")
    try:
        return AuditSink(resolved)
    except AuditSinkError as error:
        _fail(str(error))


def _print_step(record: AuditRecord) -> None:
    from prefect.settings import PREFECT_UI_URL

    step = f"{record.from_level or 'new'} → {record.to_level}" if record.to_level else record.decision
    mode = " (dry run)" if record.dry_run else ""
    commit = _provenance_text(record)
    ui = PREFECT_UI_URL.value()
    run = f"{ui}/runs/flow-run/{record.flow_run_id}" if ui and record.flow_run_id else record.flow_run_id
    out.print(f"\n[bold]{record.evaluated_at.isoformat()}[/] {escape(step)}: {escape(record.outcome)}{mode}")
    out.print(f"  why: {escape(record.reason)}")
    if record.assignee_after:
        before = _person(record.assignee_before, record.assignee_before_name)
        after = _person(record.assignee_after, record.assignee_after_name)
        out.print(f"  assignee: {escape(before)} → {escape(after)}")
    if record.error:
        out.print(f"  error: {escape(record.error)}")
    out.print(
        f"  policy: {escape(record.policy)} v{escape(record.policy_version)}, "
        f"sha256 {(record.policy_sha256 or '?')[:16]}, {escape(commit)}"
    )
    out.print(f"  run: {escape(record.flow_run_name or '?')} {escape(str(run or ''))}")


def _person(who: str | None, name: str | None) -> str:
    """``Erin Example (acc-erin)``: the display name a record carries (from schema 5), with the id escalator used."""
    if who is None:
        return "unassigned"
    return f"{name} ({who})" if name else who


def _provenance_text(record: AuditRecord) -> str:
    """HEAD's commit, and the policy file's own last commit, each with its author and date. Records before
    schema 3 kept only the file's last author and (committer) date, without its commit."""
    if not record.git_commit:
        return "commit: not in git"
    text = f"commit {record.git_commit[:12]}"
    if record.git_dirty:
        text += ", uncommitted changes"
    if record.schema_version < 3:
        if record.git_author or record.git_committed_at:
            text += "; policy file last committed"
            text += f" by {record.git_author}" if record.git_author else ""
            text += f" on {record.git_committed_at}" if record.git_committed_at else ""
        return text
    text += f" by {record.git_author}" if record.git_author else ""
    text += f" on {record.git_committed_at}" if record.git_committed_at else ""
    if record.policy_commit and record.policy_commit != record.git_commit:
        text += f"; policy file last changed in {record.policy_commit[:12]}"
        text += f" by {record.policy_author}" if record.policy_author else ""
        text += f" on {record.policy_authored_at}" if record.policy_authored_at else ""
    return text


def _instant(text: str | None, option: str) -> datetime | None:
    """An ISO date (its UTC midnight) or date-time (UTC when it has no offset)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r} is not an ISO 8601 date or time")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _format(fmt: str) -> Format:
    for known in FORMATS:
        if fmt == known:
            return known
    _fail(f"--format must be one of {', '.join(FORMATS)}")


@contextmanager
def _target(output: Path | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8", newline="") as file:
        yield file


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(escape(message))
    raise typer.Exit(code)
