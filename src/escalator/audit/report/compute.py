"""The auditor's report computed from decision records and what Jira says about the escalated issues. Pure: no
Jira, Prefect, file or clock; the caller passes the records, the issue histories and the instant Jira was read.

Records are folded one at a time into a ``RecordTally`` (a quarter of 15-minute sweeps repeats every skip and
breach record thousands of times: too many to hold), which then names the issues to ask Jira about and, given
their histories, builds the ``AuditReport``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from escalator.audit.record import AuditRecord
from escalator.audit.report.model import (
    AuditReport,
    DataProblem,
    DeadlineCounts,
    DurationStat,
    EscalatedIssue,
    FailedWrite,
    Gap,
    OutcomeCount,
    Period,
    PolicyVersion,
    SkippedOwner,
    WeeklyEscalations,
    issue_order,
)
from escalator.core.history import Answer, IssueHistory

__all__ = ["RecordTally", "build_report", "percentile", "week_of"]

ESCALATED = frozenset({"applied", "dry_run"})
"""Outcomes of an escalation that happened (live) or would have (dry run); failed, over budget, blocked and
not applied ones did not, and are counted as outcomes only."""
DEADLINE_SCHEMA = 4
"""Records from this schema on carry the deadline on an issue's first escalation too."""
_SKIPPED = re.compile(r"(?P<owner>.+?) at (?P<level>.+?) \((?P<reason>.*)\)")


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week ``moment`` falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def percentile(values: list[timedelta], fraction: float) -> timedelta:
    """Linear interpolation between the closest ranks (numpy's default, a spreadsheet's PERCENTILE): with
    values sorted, position ``(n - 1) * fraction``. ``values`` must not be empty."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class _Escalated:
    """One issue escalated live under one policy, as the period's records tell it."""

    first_escalated_at: datetime | None = None
    level: str | None = None
    level_at: datetime | None = None
    owner: str | None = None
    deadline_at: datetime | None = None
    deadline_seen_at: datetime | None = None
    newest_schema: int = 0


@dataclass
class _Version:
    record: AuditRecord
    first_used: datetime
    last_used: datetime
    live: int = 0
    dry_run: int = 0


@dataclass
class _Skip:
    levels: set[str] = field(default_factory=set)
    decisions: int = 0
    issues: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class _Problem:
    problem: str
    first_seen: datetime
    last_seen: datetime
    records: int = 0


class RecordTally:
    """Everything the report needs from the records, folded in one record at a time (``add``)."""

    def __init__(self) -> None:
        self.records = 0
        self._weekly: dict[tuple[date, str, str], tuple[set[str], set[str]]] = {}
        self._outcomes: Counter[tuple[str, str, bool]] = Counter()
        self._owned_population: set[str] = set()
        self._live_escalations: list[tuple[str, str, datetime]] = []
        self._escalated: dict[tuple[str, str], _Escalated] = {}
        self._skips: dict[tuple[str, str], _Skip] = {}
        self._unowned: set[tuple[str, str]] = set()
        self._problems: dict[tuple[str, str], _Problem] = {}
        self._failed: list[FailedWrite] = []
        self._warnings: list[FailedWrite] = []
        self._versions: dict[tuple[str, str, str | None], _Version] = {}

    def add(self, record: AuditRecord) -> None:
        self.records += 1
        at = record.evaluated_at
        self._outcomes[(record.policy, record.outcome, record.dry_run)] += 1
        self._version(record)
        self._skipped_owners(record)
        if record.outcome in ESCALATED and record.to_level:
            live, dry = self._weekly.setdefault((week_of(at), record.policy, record.to_level), (set(), set()))
            (dry if record.dry_run else live).add(record.issue_key)
            self._owned_population.add(record.issue_key)
        if record.outcome == "skipped":
            self._unowned.add((record.policy, record.issue_key))
        elif record.outcome == "data_problem":
            self._problem(record)
        if record.dry_run:
            return  # what follows happened in Jira: only live runs tell
        if record.outcome == "applied":
            self._live_escalations.append((record.policy, record.issue_key, at))
            self._track(record, level=record.to_level, owner=record.assignee_after)
        elif record.outcome == "deadline_breached":
            self._track(record, level=record.from_level, owner=record.assignee_before)
        if record.outcome == "failed":
            self._failed.append(_write(record, record.error or "unknown error"))
        elif record.warning:
            self._warnings.append(_write(record, record.warning))

    def add_all(self, records: Iterable[AuditRecord]) -> RecordTally:
        for record in records:
            self.add(record)
        return self

    def issue_keys(self) -> set[str]:
        """The issues to ask Jira about: every issue escalated (live or dry run) or breached in the period."""
        return self._owned_population | {key for _, key in self._escalated}

    # -- folding ----------------------------------------------------------------------------------------------

    def _track(self, record: AuditRecord, *, level: str | None, owner: str | None) -> None:
        issue = self._escalated.setdefault((record.policy, record.issue_key), _Escalated())
        at = record.evaluated_at
        issue.newest_schema = max(issue.newest_schema, record.schema_version)
        if record.outcome == "applied" and (issue.first_escalated_at is None or at < issue.first_escalated_at):
            issue.first_escalated_at = at
        if issue.level_at is None or at >= issue.level_at:
            issue.level, issue.level_at, issue.owner = level or issue.level, at, owner or issue.owner
        if record.deadline_at is not None and (issue.deadline_seen_at is None or at >= issue.deadline_seen_at):
            issue.deadline_at, issue.deadline_seen_at = record.deadline_at, at

    def _version(self, record: AuditRecord) -> None:
        key = (record.policy, record.policy_version, record.policy_sha256)
        at = record.evaluated_at
        version = self._versions.get(key)
        if version is None:
            version = self._versions[key] = _Version(record, at, at)
        if at < version.first_used:
            version.first_used = at
        if at >= version.last_used:
            version.record, version.last_used = record, at
        if record.dry_run:
            version.dry_run += 1
        else:
            version.live += 1

    def _skipped_owners(self, record: AuditRecord) -> None:
        for part in filter(None, (text.strip() for text in record.owners_skipped.split(";"))):
            match = _SKIPPED.fullmatch(part)
            owner, level, reason = match.group("owner", "level", "reason") if match else (part, "?", "not recorded")
            skip = self._skips.setdefault((owner, reason), _Skip())
            skip.levels.add(level)
            skip.decisions += 1
            skip.issues.add((record.policy, record.issue_key))

    def _problem(self, record: AuditRecord) -> None:
        at = record.evaluated_at
        problem = self._problems.setdefault((record.policy, record.issue_key), _Problem(record.reason, at, at))
        problem.records += 1
        problem.first_seen = min(problem.first_seen, at)
        if at >= problem.last_seen:
            problem.last_seen, problem.problem = at, record.reason

    # -- the report -------------------------------------------------------------------------------------------

    def report(
        self,
        histories: Mapping[str, IssueHistory],
        period: Period,
        *,
        bots: Collection[str] = (),
        policies: Iterable[str] = (),
        source: str = "prefect",
        jira_notes: Iterable[str] = (),
    ) -> AuditReport:
        """The report, given what Jira says about ``issue_keys()`` (a key missing from ``histories`` is one Jira
        did not return) and ``bots``, the accounts escalator writes with (their changes are not a person's)."""
        escalated = tuple(
            _judge(policy, key, issue, histories.get(key), period.as_of)
            for (policy, key), issue in sorted(
                self._escalated.items(), key=lambda item: (item[0][0], issue_order(item[0][1]))
            )
        )
        return AuditReport(
            period=period,
            policies=tuple(policies),
            source=source,
            records=self.records,
            weekly=tuple(
                WeeklyEscalations(week=week, policy=policy, level=level, live=len(live), dry_run=len(dry))
                for (week, policy, level), (live, dry) in sorted(self._weekly.items())
            ),
            outcomes=self._outcome_counts(),
            first_owner=_first_owner(sorted(self._owned_population), histories),
            next_action=_next_action(self._live_escalations, histories, frozenset(bots)),
            deadlines=_deadline_counts(escalated),
            escalated=escalated,
            skipped_owners=tuple(
                SkippedOwner(
                    owner=owner,
                    reason=reason,
                    levels=tuple(sorted(s.levels)),
                    decisions=s.decisions,
                    issues=len(s.issues),
                )
                for (owner, reason), s in sorted(self._skips.items())
            ),
            unowned_issues=tuple(sorted({key for _, key in self._unowned})),
            data_problems=tuple(
                DataProblem(policy=policy, issue_key=key, **vars(problem))
                for (policy, key), problem in sorted(self._problems.items())
            ),
            failed_writes=tuple(sorted(self._failed, key=lambda f: (f.at, f.issue_key))),
            warnings=tuple(sorted(self._warnings, key=lambda f: (f.at, f.issue_key))),
            versions=tuple(_policy_version(v) for _, v in sorted(self._versions.items(), key=_version_key)),
            jira_notes=tuple(jira_notes),
        )

    def _outcome_counts(self) -> tuple[OutcomeCount, ...]:
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for (policy, outcome, dry_run), count in self._outcomes.items():
            rows.setdefault((policy, outcome), {"live": 0, "dry_run": 0})["dry_run" if dry_run else "live"] += count
        return tuple(OutcomeCount(policy=p, outcome=o, **counts) for (p, o), counts in sorted(rows.items()))


def build_report(
    records: Iterable[AuditRecord],
    histories: Mapping[str, IssueHistory],
    period: Period,
    **options: Any,
) -> AuditReport:
    """``RecordTally().add_all(records).report(histories, period, **options)``, for records already at hand."""
    return RecordTally().add_all(records).report(histories, period, **options)


def _write(record: AuditRecord, error: str) -> FailedWrite:
    step = f"{record.from_level or 'new'} -> {record.to_level}" if record.to_level else record.reason_code
    return FailedWrite(
        at=record.evaluated_at,
        policy=record.policy,
        issue_key=record.issue_key,
        step=step,
        error=error,
        flow_run=record.flow_run_name or record.flow_run_id,
    )


def _version_key(item: tuple[tuple[str, str, str | None], _Version]) -> tuple[str, datetime]:
    (policy, _, _), version = item
    return policy, version.first_used


def _policy_version(version: _Version) -> PolicyVersion:
    record = version.record
    old = record.schema_version < 3  # before schema 3, git_author described the policy file's last commit
    return PolicyVersion(
        policy=record.policy,
        version=record.policy_version,
        sha256=record.policy_sha256,
        file_commit=record.policy_commit,
        file_author=record.git_author if old else record.policy_author,
        file_authored_at=record.git_committed_at if old else record.policy_authored_at,
        head_commit=record.git_commit,
        dirty=record.git_dirty,
        first_used=version.first_used,
        last_used=version.last_used,
        live_records=version.live,
        dry_run_records=version.dry_run,
    )


def _stat(samples: list[timedelta], not_yet: list[str], gaps: dict[str, list[str]]) -> DurationStat:
    return DurationStat(
        measured=len(samples),
        median=percentile(samples, 0.5) if samples else None,
        p90=percentile(samples, 0.9) if samples else None,
        samples=tuple(sorted(samples)),
        not_yet=tuple(not_yet),
        gaps=tuple(Gap(reason=reason, issue_keys=tuple(keys)) for reason, keys in sorted(gaps.items())),
    )


NOT_IN_JIRA = "Jira did not return the issue (deleted, moved, not visible to this account, or unreadable)"


def _first_owner(keys: list[str], histories: Mapping[str, IssueHistory]) -> DurationStat:
    samples: list[timedelta] = []
    not_yet: list[str] = []
    gaps: dict[str, list[str]] = {}
    for key in keys:
        history = histories.get(key)
        answer = history.first_owned_at() if history is not None else Answer(None, NOT_IN_JIRA)
        _count(key, answer, history.created if history else None, samples, not_yet, gaps)
    return _stat(samples, not_yet, gaps)


def _next_action(
    escalations: list[tuple[str, str, datetime]], histories: Mapping[str, IssueHistory], bots: frozenset[str]
) -> DurationStat:
    samples: list[timedelta] = []
    not_yet: list[str] = []
    gaps: dict[str, list[str]] = {}
    for _, key, at in sorted(escalations, key=lambda e: (e[2], e[1])):
        history = histories.get(key)
        if history is None:
            answer = Answer(None, NOT_IN_JIRA)
        elif not bots:
            answer = Answer(None, "escalator's own Jira account is not known, so its changes cannot be told apart")
        else:
            answer = history.next_human_action(at, bots)
        _count(key, answer, at, samples, not_yet, gaps)
    return _stat(samples, not_yet, gaps)


def _count(
    key: str,
    answer: Answer,
    start: datetime | None,
    samples: list[timedelta],
    not_yet: list[str],
    gaps: dict[str, list[str]],
) -> None:
    if answer.reason is not None:
        gaps.setdefault(answer.reason, []).append(key)
    elif answer.at is None or start is None:
        not_yet.append(key)
    else:
        samples.append(max(answer.at - start, timedelta(0)))


def _judge(policy: str, key: str, issue: _Escalated, history: IssueHistory | None, as_of: datetime) -> EscalatedIssue:
    common: dict[str, Any] = {
        "policy": policy,
        "issue_key": key,
        "level": issue.level,
        "owner": (history.assignee if history is not None else None) or issue.owner,
        "first_escalated_at": issue.first_escalated_at,
        "deadline_at": issue.deadline_at,
    }
    if history is None:
        return EscalatedIssue(**common, status="not_judged", why_not_judged=NOT_IN_JIRA)
    common |= {"created": history.created, "resolved_at": history.resolved_at, "age": as_of - history.created}
    deadline = issue.deadline_at
    if deadline is None:
        why = (
            "its policy sets no escalation deadline"
            if issue.newest_schema >= DEADLINE_SCHEMA
            else "no record of it names its deadline (records before schema 4 name it only from the second step)"
        )
        return EscalatedIssue(**common, status="not_judged", why_not_judged=why)
    if history.resolved:
        if history.resolved_at is None:
            return EscalatedIssue(**common, status="not_judged", why_not_judged="resolved without a resolution date")
        late = history.resolved_at > deadline
        return EscalatedIssue(
            **common,
            status="closed_late" if late else "closed_in_time",
            overdue=history.resolved_at - deadline if late else None,
        )
    if as_of > deadline:
        return EscalatedIssue(**common, status="open_breached", overdue=as_of - deadline)
    return EscalatedIssue(**common, status="open_within")


def _deadline_counts(escalated: tuple[EscalatedIssue, ...]) -> tuple[DeadlineCounts, ...]:
    counts: dict[str, Counter[str]] = {}
    for issue in escalated:
        counts.setdefault(issue.policy, Counter())[issue.status] += 1
    return tuple(DeadlineCounts(policy=policy, **dict(counter)) for policy, counter in sorted(counts.items()))
