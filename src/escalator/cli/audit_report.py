"""`escalator audit report`: the auditor's report over a period, as markdown or as one self-contained HTML page
with charts. Records come from the Prefect API (or the audit sink with ``--from sink``); Jira is read, never
written, for what the records cannot know (resolution, creation, changelog). Nothing is written to ``-o FILE``
unless the whole report was made.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from escalator.cli.audit import SinkOption, SourceOption, _fail, _instant, err

__all__ = ["report"]


def report(
    since: Annotated[
        str | None, typer.Option("--since", help="records evaluated at or after (ISO date or time)")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="records evaluated before (ISO date or time)")] = None,
    policy: Annotated[list[str] | None, typer.Option("--policy", help="a policy name; repeat for more")] = None,
    fmt: Annotated[str, typer.Option("--format", help="markdown or html (a page with charts)")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file (default: stdout)")] = None,
    source: SourceOption = "prefect",
    sink: SinkOption = None,
    escalator_account: Annotated[
        list[str] | None,
        typer.Option(
            "--escalator-account",
            help="the Jira account escalator writes with (default: the account JIRA_* log in as); repeatable",
        ),
    ] = None,
) -> None:
    """The auditor's report: escalations per week, how fast people took over, deadlines met, owners skipped,
    data problems, failed writes and the policy versions in force."""
    from escalator.audit.report.as_html import report_html
    from escalator.audit.report.as_markdown import report_markdown
    from escalator.audit.report.collect import period_records, report_for, source_label, write_whole
    from escalator.audit.sink import AuditSinkError, resolve_sink_url
    from escalator.jira.errors import JiraConfigError, JiraError
    from escalator.jira.settings import JiraSettings

    if fmt not in ("markdown", "html"):
        _fail("--format must be markdown or html")
    if source not in ("prefect", "sink"):
        _fail("--from must be prefect or sink")
    start, end = _instant(since, "--since"), _instant(until, "--until")
    if start is not None and end is not None and start >= end:
        _fail(f"--since {since} is not before --until {until}")
    sink_url = resolve_sink_url(sink) if source == "sink" else None
    if source == "sink" and sink_url is None:
        _fail("no audit sink: set ESCALATOR_AUDIT_SINK or pass --sink")
    try:
        settings = JiraSettings.from_env()
    except JiraConfigError as error:
        _fail(f"Jira settings: {error} (the report reads Jira for resolution dates; see README: For auditors)", 1)
    policies = list(policy or [])
    try:
        built = report_for(
            period_records(start, end, policies, source, sink_url),
            settings,
            since=start,
            until=end,
            policies=policies,
            source=source_label(source, sink_url),
            escalator_accounts=escalator_account or [],
        )
    except AuditSinkError as error:
        _fail(str(error), 1)
    except JiraError as error:
        _fail(f"Jira at {settings.url}: {error}", 1)
    text = report_html(built) if fmt == "html" else report_markdown(built)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_whole(output, text)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}", 1)
    err.print(f"report over {built.records} records written to {escape(str(output))}")
