"""The auditor's report as data: every number the markdown and HTML forms show, typed, so both forms (and any
test) read the same values. Built by ``compute.build_report``; rendered by ``as_markdown`` and ``as_html``.

A number that cannot be computed from what the records and Jira give is not invented: it is left out of the
statistic and the issues it concerns are listed under a ``Gap`` with the reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = [
    "DEADLINE_STATUSES",
    "AuditReport",
    "DataProblem",
    "DeadlineCounts",
    "DeadlineStatus",
    "DurationStat",
    "EscalatedIssue",
    "FailedWrite",
    "Gap",
    "OutcomeCount",
    "Period",
    "PolicyVersion",
    "SkippedOwner",
    "WeeklyEscalations",
    "issue_order",
]


def issue_order(key: str) -> tuple[str, int, str]:
    """Issue keys in Jira's order: ABC-9 before ABC-10."""
    project, _, number = key.rpartition("-")
    return (project, int(number), key) if number.isdigit() else (key, 0, key)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Period(_Frozen):
    """Records evaluated in [since, until) (either end open when None); Jira read at ``as_of``, so "still
    open" means open at that instant."""

    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    as_of: AwareDatetime

    def label(self) -> str:
        since = self.since.strftime("%Y-%m-%d %H:%M UTC") if self.since else None
        until = self.until.strftime("%Y-%m-%d %H:%M UTC") if self.until else None
        if since and until:
            return f"{since} to {until} (end excluded)"
        if since:
            return f"from {since} on"
        return f"before {until}" if until else "every record"


class WeeklyEscalations(_Frozen):
    """Issues escalated to ``level`` in the ISO week starting ``week`` (Monday, UTC), each issue counted once a
    week: ``live`` escalations written to Jira, ``dry_run`` escalations dry runs decided (and did not write)."""

    week: date
    policy: str
    level: str
    live: int = 0
    dry_run: int = 0


class OutcomeCount(_Frozen):
    """Decision records by outcome; dry runs repeat their decisions every run, so these count records."""

    policy: str
    outcome: str
    live: int = 0
    dry_run: int = 0


class Gap(_Frozen):
    """Issues for which a number could not be computed, and why."""

    reason: str
    issue_keys: tuple[str, ...]


class DurationStat(_Frozen):
    """A time measured once per issue (or per escalation): how many were measured, their median and 90th
    percentile (linear interpolation between ranks), how many have not happened yet, and the gaps."""

    measured: int
    median: timedelta | None = None
    p90: timedelta | None = None
    samples: tuple[timedelta, ...] = ()
    not_yet: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()

    @property
    def population(self) -> int:
        return self.measured + len(self.not_yet) + sum(len(gap.issue_keys) for gap in self.gaps)


DeadlineStatus = Literal["closed_in_time", "closed_late", "open_within", "open_breached", "not_judged"]
DEADLINE_STATUSES: tuple[DeadlineStatus, ...] = (
    "closed_in_time",
    "closed_late",
    "open_within",
    "open_breached",
    "not_judged",
)


class EscalatedIssue(_Frozen):
    """An issue escalated live under ``policy`` in the period (or whose deadline breach was recorded in it), and
    where it stands against its escalation deadline."""

    policy: str
    issue_key: str
    level: str | None
    owner: str | None
    first_escalated_at: AwareDatetime | None
    deadline_at: AwareDatetime | None
    created: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    status: DeadlineStatus
    why_not_judged: str | None = None
    age: timedelta | None = None
    """since the issue was created, at the report's ``as_of``"""
    overdue: timedelta | None = None
    """past its deadline: at ``as_of`` when open, at resolution when closed late"""


class DeadlineCounts(_Frozen):
    policy: str
    closed_in_time: int = 0
    closed_late: int = 0
    open_within: int = 0
    open_breached: int = 0
    not_judged: int = 0

    @property
    def still_open(self) -> int:
        return self.open_within + self.open_breached


class SkippedOwner(_Frozen):
    """An owner passed over, and why (inactive in Jira, or unavailable with the policy's reason)."""

    owner: str
    reason: str
    levels: tuple[str, ...]
    decisions: int
    issues: int


class DataProblem(_Frozen):
    policy: str
    issue_key: str
    problem: str
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    records: int


class FailedWrite(_Frozen):
    at: AwareDatetime
    policy: str
    issue_key: str
    step: str
    error: str
    flow_run: str | None = None


class PolicyVersion(_Frozen):
    """One policy version (name, version and file hash) as the records name it, and when it was first and last
    used: the first and last decision record under it (runs that recorded nothing leave no trace here)."""

    policy: str
    version: str
    sha256: str | None
    file_commit: str | None
    file_author: str | None
    file_authored_at: str | None
    head_commit: str | None
    dirty: bool | None
    first_used: AwareDatetime
    last_used: AwareDatetime
    live_records: int = 0
    dry_run_records: int = 0


class AuditReport(_Frozen):
    period: Period
    policies: tuple[str, ...]
    """the policies the report was asked for; empty for all"""
    source: str
    records: int
    weekly: tuple[WeeklyEscalations, ...]
    outcomes: tuple[OutcomeCount, ...]
    first_owner: DurationStat
    next_action: DurationStat
    deadlines: tuple[DeadlineCounts, ...]
    escalated: tuple[EscalatedIssue, ...]
    skipped_owners: tuple[SkippedOwner, ...]
    unowned_issues: tuple[str, ...]
    """issues skipped because no owner at any level could take them"""
    data_problems: tuple[DataProblem, ...]
    failed_writes: tuple[FailedWrite, ...]
    warnings: tuple[FailedWrite, ...]
    """escalations applied with a partial failure, e.g. the notification was not sent"""
    versions: tuple[PolicyVersion, ...]
    jira_notes: tuple[str, ...] = ()
    """what could not be read from Jira: keys it does not have, unreadable issues"""

    @property
    def open_breaches(self) -> tuple[EscalatedIssue, ...]:
        return tuple(issue for issue in self.escalated if issue.status == "open_breached")

    @property
    def policy_names(self) -> tuple[str, ...]:
        """Every policy the report has numbers for, in name order."""
        names = {row.policy for row in self.weekly} | {row.policy for row in self.outcomes}
        names |= {row.policy for row in self.versions} | {row.policy for row in self.deadlines}
        return tuple(sorted(names))
