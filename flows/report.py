"""The auditor's report, weekly: the decision records of the period and Jira's word on the escalated issues
(read-only), published as the markdown artifact ``escalator-audit-report`` and written as one self-contained HTML
page with charts under ``params.html_dir`` (in the run's working directory: the worker's checkout).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger

from escalator.audit.report.as_markdown import report_markdown
from escalator.audit.report.parameters import ReportParameters
from tasks.report import ARTIFACT_KEY, build_audit_report, publish_audit_report, write_report_html


@flow(name="audit-report", log_prints=False, validate_parameters=True)
def audit_report(params: ReportParameters = ReportParameters()) -> dict[str, Any]:  # noqa: B008 - a frozen default
    """Counts of what the report found; the report itself is in the artifact and the HTML file."""
    logger = get_run_logger()
    now = datetime.now(UTC)
    since, until = params.period(now)
    report = build_audit_report(params, since, until)
    target = params.html_path(since, until, now)
    html = write_report_html(report, target) if target is not None else None
    markdown = report_markdown(report)
    if html is not None:
        markdown += f"\nThe HTML form, with charts: `{html}` (on the machine that ran this report).\n"
    publish_audit_report(markdown, f"Escalation audit report, {report.period.label()}")
    logger.info("audit report over %d records: artifact %s, HTML %s", report.records, ARTIFACT_KEY, html or "none")
    return {
        "records": report.records,
        "escalated": len(report.escalated),
        "open_breaches": len(report.open_breaches),
        "failed_writes": len(report.failed_writes),
        "html": str(html) if html is not None else None,
    }
