"""Benchmark of the audit report's computation and rendering on a quarter of 15-minute sweeps: 13 weeks x 672
runs, each recording the same skipped and breached issues again, plus the period's escalations. Prints the
records, seconds per phase and the output sizes; it is not a test. Jira is not involved: the issue histories are
built here, as the adapter would return them.

Run: `uv run --frozen python bench/audit_report.py [ISSUES_REPEATED_PER_RUN]` (default 20: about 175,000 records).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from escalator.audit.record import AuditRecord
from escalator.audit.report.as_html import report_html
from escalator.audit.report.as_markdown import report_markdown
from escalator.audit.report.compute import RecordTally
from escalator.audit.report.model import Period
from escalator.core.history import FieldChange, IssueHistory

START = datetime(2026, 1, 5, tzinfo=UTC)
RUNS = 13 * 7 * 96
BASE = {
    "decision": "escalate",
    "reason_code": "due",
    "reason": "due",
    "policy": "outage-matrix",
    "policy_version": "3",
    "policy_sha256": "f" * 64,
    "git_commit": "a" * 40,
}


def records(repeated: int) -> Iterator[AuditRecord]:
    for run in range(RUNS):
        at = START + run * timedelta(minutes=15)
        for n in range(repeated):  # the same open breaches and skips, every run
            outcome = "deadline_breached" if n % 2 else "skipped"
            yield AuditRecord.model_validate(
                BASE
                | {
                    "evaluated_at": at,
                    "issue_key": f"OPS-{n + 1}",
                    "outcome": outcome,
                    "from_level": "L2",
                    "deadline_at": START - timedelta(days=1),
                    "owners_skipped": "acc-frank at L2 (inactive in Jira)",
                }
            )
        if run % 4 == 0:  # an escalation an hour
            yield AuditRecord.model_validate(
                BASE
                | {
                    "evaluated_at": at,
                    "issue_key": f"OPS-{1000 + run}",
                    "outcome": "applied",
                    "to_level": f"L{1 + run % 3}",
                    "deadline_at": at + timedelta(days=7),
                }
            )


def main() -> None:
    repeated = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    started = time.perf_counter()
    tally = RecordTally().add_all(records(repeated))
    folded = time.perf_counter()
    keys = tally.issue_keys()
    histories = {
        key: IssueHistory(
            key=key,
            created=START - timedelta(hours=3),
            changes=(FieldChange(at=START - timedelta(hours=2), author="acc-carol", field="assignee", to_value="x"),),
        )
        for key in keys
    }
    period = Period(since=START, until=START + timedelta(weeks=13), as_of=START + timedelta(weeks=14))
    report = tally.report(histories, period, bots={"acc-escalator"})
    computed = time.perf_counter()
    markdown = report_markdown(report)
    rendered_md = time.perf_counter()
    page = report_html(report)
    rendered_html = time.perf_counter()
    print(f"records: {tally.records:,}; issues looked up: {len(keys):,}; escalated live: {len(report.escalated):,}")
    print(f"records built and folded: {folded - started:.2f} s ({tally.records / (folded - started):,.0f}/s)")
    print(f"report computed from the tally: {computed - folded:.3f} s")
    print(f"markdown: {rendered_md - computed:.3f} s, {len(markdown) / 1024:.0f} KiB")
    print(f"html with charts: {rendered_html - rendered_md:.2f} s, {len(page) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
