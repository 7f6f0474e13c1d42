"""The report laid out as sections of headings, sentences, tables and lists: the words and numbers both forms
show. ``as_markdown`` writes these blocks as markdown, ``as_html`` as HTML with a chart beside each section's
tables, so the two forms cannot disagree on a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from escalator.audit.report.model import (
    AuditReport,
    DeadlineCounts,
    DurationStat,
    EscalatedIssue,
    FailedWrite,
    issue_order,
)
from escalator.core.decision import format_timedelta

__all__ = ["Bullets", "Paragraph", "Section", "Table", "duration", "header_lines", "sections", "when"]


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()
    """columns to right-align"""
    title: str | None = None


@dataclass(frozen=True)
class Bullets:
    items: list[str]
    title: str | None = None


Block = Paragraph | Table | Bullets


@dataclass
class Section:
    key: str
    """stable id: the HTML anchor, and which chart goes with it"""
    title: str
    blocks: list[Block] = field(default_factory=list)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def duration(value: timedelta | None) -> str:
    """To the nearest minute (Jira's times are milliseconds, the records' microseconds: 1h 29m 59.999s is 1h 30m)."""
    if value is None:
        return "-"
    return format_timedelta(timedelta(minutes=round(value.total_seconds() / 60)))


def sections(report: AuditReport) -> list[Section]:
    return [
        _summary(report),
        _weekly(report),
        _speed(report),
        _deadlines(report),
        _owners(report),
        _problems(report),
        _failed(report),
        _versions(report),
        _outcomes(report),
    ]


def header_lines(report: AuditReport) -> list[str]:
    """Who, what, when: the lines under the report's title."""
    period = report.period
    policies = ", ".join(report.policies) if report.policies else "all"
    source = "the Prefect API (decision artifacts)" if report.source == "prefect" else f"the audit sink {report.source}"
    return [
        f"Period: {period.label()}.",
        f"Policies: {policies}. Records read: {report.records}, from {source}.",
        f'Times are UTC. Jira read at {when(period.as_of)}: "still open" means open then.',
    ]


def _summary(report: AuditReport) -> Section:
    live = _sum_by_policy(report, "live")
    dry = _sum_by_policy(report, "dry_run")
    deadlines = {row.policy: row for row in report.deadlines}
    failed = _count_by_policy(report.failed_writes)
    rows = []
    for policy in report.policy_names:
        counts = deadlines.get(policy, DeadlineCounts(policy=policy))
        rows.append(
            (
                policy,
                str(live.get(policy, 0)),
                str(dry.get(policy, 0)),
                str(counts.closed_in_time),
                str(counts.closed_late),
                str(counts.still_open),
                str(counts.open_breached),
                str(failed.get(policy, 0)),
            )
        )
    headers = ("policy", "live", "dry run", "in time", "late", "open", "breached", "failed")
    return Section(
        "summary",
        "Summary",
        [
            Table(headers, rows, frozenset(range(1, 8))),
            Paragraph(
                "live / dry run: escalations per level, each issue once a week (sum of the weekly table). "
                "in time / late / open / breached: issues escalated live, against their escalation deadline "
                "(open counts breached ones too). failed: escalation writes Jira refused."
            ),
        ],
    )


def _sum_by_policy(report: AuditReport, mode: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in report.weekly:
        totals[row.policy] = totals.get(row.policy, 0) + getattr(row, mode)
    return totals


def _count_by_policy(writes: Iterable[FailedWrite]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for write in writes:
        totals[write.policy] = totals.get(write.policy, 0) + 1
    return totals


def _weekly(report: AuditReport) -> Section:
    rows = [(row.week.isoformat(), row.policy, row.level, str(row.live), str(row.dry_run)) for row in report.weekly]
    blocks: list[Block] = [
        Paragraph(
            "Issues escalated to each level, per ISO week (starting Monday, UTC). Each issue counts once per level "
            "and week. live: written to Jira. dry run: decided by a dry run, nothing written (every dry run "
            "decides the same escalation again, so repeats within a week are counted once)."
        )
    ]
    blocks.append(
        Table(("week of", "policy", "level", "live", "dry run"), rows, frozenset({3, 4}))
        if rows
        else Paragraph("No escalation was recorded in the period.")
    )
    return Section("weekly", "Escalations per week", blocks)


def _stat_row(name: str, stat: DurationStat) -> tuple[str, ...]:
    not_computed = sum(len(gap.issue_keys) for gap in stat.gaps)
    return (
        name,
        str(stat.measured),
        duration(stat.median),
        duration(stat.p90),
        str(len(stat.not_yet)),
        str(not_computed),
    )


def _speed(report: AuditReport) -> Section:
    owner, action = report.first_owner, report.next_action
    blocks: list[Block] = [
        Paragraph(
            "creation -> first owner: for each issue escalated (live or dry run) in the period, the time from its "
            "creation in Jira to its first assignee (any assignee, escalator's included; zero when it was created "
            "assigned). escalation -> next human action: for each live escalation, the time from the escalation to "
            "the next change or comment on the issue by anyone but escalator's account. Median and 90th "
            "percentile interpolate between ranks. not yet: it has not happened by the time Jira was read. "
            "not computed: the records and Jira do not say (listed below)."
        ),
        Table(
            ("measure", "measured", "median", "p90", "not yet", "not computed"),
            [_stat_row("creation -> first owner", owner), _stat_row("escalation -> next human action", action)],
            frozenset({1, 2, 3, 4, 5}),
        ),
    ]
    gaps = [
        f"{name}: {len(gap.issue_keys)} not computed: {gap.reason}: {_keys(gap.issue_keys)}"
        for name, stat in (("creation -> first owner", owner), ("escalation -> next human action", action))
        for gap in stat.gaps
    ]
    waiting = [
        f"{name}: not yet for {_keys(stat.not_yet)}"
        for name, stat in (("creation -> first owner", owner), ("escalation -> next human action", action))
        if stat.not_yet
    ]
    if gaps or waiting:
        blocks.append(Bullets(gaps + waiting, title="Not computed, and not yet happened"))
    return Section("speed", "How fast people took over", blocks)


def _keys(keys: Iterable[str], limit: int = 30) -> str:
    listed = sorted(set(keys), key=issue_order)
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


def _deadlines(report: AuditReport) -> Section:
    rows = [
        (
            c.policy,
            str(c.closed_in_time),
            str(c.closed_late),
            str(c.open_within),
            str(c.open_breached),
            str(c.not_judged),
        )
        for c in report.deadlines
    ]
    blocks: list[Block] = [
        Paragraph(
            "Each issue escalated live in the period (or whose deadline breach was recorded in it), once per policy. "
            "Its deadline is its first escalation plus the policy's escalation_deadline (wall-clock), as the records "
            "name it. in time: resolved in Jira by the deadline. late: resolved after it. open: not resolved when "
            "Jira was read, within the deadline or past it. not judged: the records or Jira do not say (below)."
        )
    ]
    if not rows:
        blocks.append(Paragraph("No live escalation was recorded in the period."))
        return Section("deadlines", "Escalation deadline", blocks)
    blocks.append(
        Table(
            ("policy", "in time", "late", "open, within", "open, past it", "not judged"), rows, frozenset(range(1, 6))
        )
    )
    breaches = sorted(report.open_breaches, key=lambda i: (-(i.overdue or timedelta(0)).total_seconds(), i.issue_key))
    if breaches:
        blocks.append(
            Table(
                ("issue", "policy", "level", "owner", "age", "overdue"),
                [_issue_row(i, i.age) for i in breaches],
                frozenset({4, 5}),
                title=f"Still open past the deadline ({len(breaches)})",
            )
        )
    late = [i for i in report.escalated if i.status == "closed_late"]
    if late:
        blocks.append(
            Table(
                ("issue", "policy", "level", "owner", "resolved", "late by"),
                [_issue_row(i, None, when(i.resolved_at)) for i in late],
                frozenset({5}),
                title=f"Closed late ({len(late)})",
            )
        )
    unjudged = [i for i in report.escalated if i.status == "not_judged"]
    if unjudged:
        reasons: dict[str, list[str]] = {}
        for issue in unjudged:
            reasons.setdefault(issue.why_not_judged or "unknown", []).append(issue.issue_key)
        items = [f"{len(keys)}: {reason}: {_keys(keys)}" for reason, keys in sorted(reasons.items())]
        blocks.append(Bullets(items, title=f"Not judged ({len(unjudged)})"))
    return Section("deadlines", "Escalation deadline", blocks)


def _issue_row(issue: EscalatedIssue, age: timedelta | None, resolved: str | None = None) -> tuple[str, ...]:
    middle = duration(age) if resolved is None else resolved
    return (
        issue.issue_key,
        issue.policy,
        issue.level or "-",
        issue.owner or "unassigned",
        middle,
        duration(issue.overdue),
    )


def _owners(report: AuditReport) -> Section:
    blocks: list[Block] = [
        Paragraph(
            "Owners passed over when an escalation picked its owner: inactive in Jira, or unavailable under the "
            "policy (with its reason). decisions: records naming the skip (dry runs repeat theirs every run); "
            "issues: distinct issues."
        )
    ]
    rows = [(s.owner, s.reason, ", ".join(s.levels), str(s.decisions), str(s.issues)) for s in report.skipped_owners]
    blocks.append(
        Table(("owner", "why", "levels", "decisions", "issues"), rows, frozenset({3, 4}))
        if rows
        else Paragraph("No owner was skipped.")
    )
    if report.unowned_issues:
        blocks.append(
            Paragraph(
                f"{len(report.unowned_issues)} issue(s) had no owner at any level who could take them (outcome "
                f"skipped): {_keys(report.unowned_issues)}."
            )
        )
    return Section("owners", "Owners skipped", blocks)


def _problems(report: AuditReport) -> Section:
    if not report.data_problems and not report.jira_notes:
        return Section("problems", "Data problems", [Paragraph("None: every issue's data could be read.")])
    blocks: list[Block] = []
    if report.data_problems:
        blocks.append(Paragraph("Issues a sweep could not evaluate because their data could not be read:"))
        blocks.append(
            Table(
                ("issue", "policy", "records", "first seen", "last seen"),
                [
                    (p.issue_key, p.policy, str(p.records), when(p.first_seen), when(p.last_seen))
                    for p in report.data_problems
                ],
                frozenset({2}),
            )
        )
        blocks.append(Bullets([f"{p.issue_key}: {p.problem}" for p in report.data_problems], title="Why"))
    if report.jira_notes:
        blocks.append(Bullets(list(report.jira_notes), title="Reading Jira for this report"))
    return Section("problems", "Data problems", blocks)


def _failed(report: AuditReport) -> Section:
    if not report.failed_writes and not report.warnings:
        return Section("failed", "Failed writes", [Paragraph("None: every escalation written was accepted by Jira.")])
    blocks: list[Block] = []
    if report.failed_writes:
        blocks.append(
            Bullets(
                [
                    f"{when(f.at)} {f.issue_key} ({f.policy}, {f.step}, run {f.flow_run or '?'}): {f.error}"
                    for f in report.failed_writes
                ],
                title=f"Escalations Jira refused ({len(report.failed_writes)})",
            )
        )
    if report.warnings:
        blocks.append(
            Bullets(
                [f"{when(f.at)} {f.issue_key} ({f.policy}, {f.step}): {f.error}" for f in report.warnings],
                title=f"Escalations applied with a warning ({len(report.warnings)})",
            )
        )
    return Section("failed", "Failed writes", blocks)


def _versions(report: AuditReport) -> Section:
    rows = [
        (v.policy, v.version, when(v.first_used), when(v.last_used), f"{v.live_records}/{v.dry_run_records}")
        for v in report.versions
    ]
    details = []
    for v in report.versions:
        text = f"{v.policy} v{v.version}: file sha256 {(v.sha256 or '?')[:12]}"
        if v.file_commit:
            text += f"; last changed in {v.file_commit[:12]}"
        if v.file_author or v.file_authored_at:
            text += f" by {v.file_author or '?'} on {v.file_authored_at or '?'}"
        text += f"; HEAD {v.head_commit[:12]}" if v.head_commit else "; not in git"
        if v.dirty:
            text += " (uncommitted changes)"
        details.append(text)
    blocks: list[Block] = [
        Paragraph(
            "Each policy version (name, version and file hash) that decided something in the period, from its first "
            "to its last decision record (sweeps that recorded nothing leave no trace). records: live/dry run."
        ),
        Table(("policy", "version", "first used", "last used", "records"), rows, frozenset({4}))
        if rows
        else Paragraph("No records."),
    ]
    if details:
        blocks.append(Bullets(details, title="Commits and authors"))
    return Section("versions", "Policy versions in force", blocks)


def _outcomes(report: AuditReport) -> Section:
    rows = [(o.policy, o.outcome, str(o.live), str(o.dry_run)) for o in report.outcomes]
    return Section(
        "outcomes",
        "All records by outcome",
        [
            Paragraph("Decision records in the period, by outcome (records, not issues: dry runs repeat theirs)."),
            Table(("policy", "outcome", "live", "dry run"), rows, frozenset({2, 3})) if rows else Paragraph("None."),
        ],
    )
