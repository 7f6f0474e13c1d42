"""The audit report's steps: gather and compute it (records, then Jira, read-only), write its HTML form, publish
its markdown form as the artifact ``escalator-audit-report``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from escalator.audit.report.as_html import report_html
from escalator.audit.report.collect import period_records, report_for, source_label, write_whole
from escalator.audit.report.model import AuditReport
from escalator.audit.report.parameters import ReportParameters
from escalator.audit.sink import resolve_sink_url
from tasks.jira import jira_settings

ARTIFACT_KEY = "escalator-audit-report"


@task(name="build-audit-report", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def build_audit_report(params: ReportParameters, since: datetime, until: datetime | None) -> AuditReport:
    sink_url = resolve_sink_url(params.audit_sink) if params.source == "sink" else None
    return report_for(
        period_records(since, until, params.policies, params.source, sink_url),
        jira_settings(params.jira_block),
        since=since,
        until=until,
        policies=params.policies,
        source=source_label(params.source, sink_url),
        escalator_accounts=params.escalator_accounts,
    )


@task(name="write-audit-report-html", cache_policy=NO_CACHE)
def write_report_html(report: AuditReport, path: Path) -> Path:
    """The HTML form, written whole (a temporary file renamed over ``path``); its absolute path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, report_html(report))
    return path.resolve()


@task(name="publish-audit-report", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_audit_report(markdown: str, description: str) -> None:
    create_markdown_artifact(markdown=markdown, key=ARTIFACT_KEY, description=description)
