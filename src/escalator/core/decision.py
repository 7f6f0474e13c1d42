"""The core's output: one Decision per issue, gathered in a Plan, and the Outcome of each escalation once
carried out. Values only; ``escalator.sweep.apply`` acts on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from escalator.core.issue import EscalationState
from escalator.core.policy import PolicyIdentity

__all__ = [
    "Actions",
    "ClockStart",
    "Decision",
    "Outcome",
    "OutcomeStatus",
    "Plan",
    "ReasonCode",
    "SkippedOwner",
    "StatusSummary",
    "Verdict",
    "notable",
]

Verdict = Literal["escalate", "no_action", "skipped"]
"""What a decision says to do with the issue (its ``outcome`` field); ``Outcome`` is what then became of it."""
ReasonCode = Literal[
    "due",
    "not_due",
    "cooldown",
    "at_top_level",
    "resolved",
    "exempt_label",
    "exempt_issue_type",
    "exempt_status",
    "no_category",
    "other_policy",
    "human_override",
    "no_available_owner",
    "data_problem",
    "paused",
]
ClockStart = Literal["created", "escalated", "human_change"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SkippedOwner(_Frozen):
    owner: str
    level: str
    reason: str


class StatusSummary(_Frozen):
    """What an escalation e-mail would say. ``at`` is in the calendar's time zone, so the reader sees local time."""

    from_level: str | None
    to_level: str
    owner: str
    at: AwareDatetime
    why: str
    assignee_before: str | None
    priority_before: str | None
    priority_after: str | None
    labels_added: tuple[str, ...] = ()
    skipped: tuple[SkippedOwner, ...] = ()
    note: str | None = None
    policy: str
    policy_version: str
    category: str
    paused: timedelta | None = Field(default=None, description="working time the clock stood still in a pause status")

    def text(self, person: Callable[[str], str] = str) -> str:
        """The summary as comment text; ``person`` writes a person's id (a mention in Jira's wiki markup, say)."""
        before = person(self.assignee_before) if self.assignee_before else "unassigned"
        changes = [f"assignee {before} → {person(self.owner)}"]
        if self.priority_after != self.priority_before:
            changes.append(f"priority {self.priority_before or 'none'} → {self.priority_after}")
        if self.labels_added:
            changes.append("labels +" + ", +".join(self.labels_added))
        origin = "" if self.from_level is None else f"from {self.from_level} "
        lines = [
            f"Escalated {origin}to {self.to_level} ({person(self.owner)}) on {format_instant(self.at)}.",
            f"Why: {self.why}",
            *([f"Clock paused: {format_timedelta(self.paused)} of working time."] if self.paused else []),
            f"What changed: {'; '.join(changes)}.",
        ]
        if self.skipped:
            skipped = "; ".join(f"{person(s.owner)} at {s.level} ({s.reason})" for s in self.skipped)
            lines.append(f"Skipped: {skipped}.")
        if self.note:
            lines.append(self.note.strip())
        lines.append(f"Policy: {self.policy} version {self.policy_version}, category {self.category}.")
        return "\n".join(lines)


class Actions(_Frozen):
    """What the escalation changes on the issue. Fields that stay the same keep their before-value."""

    assignee_from: str | None
    assignee_to: str
    priority_from: str | None
    priority_to: str | None
    labels_add: tuple[str, ...] = ()
    notify_reporter: bool = False
    notify_assignee: bool = False
    notify_watchers: bool = False
    notify_users: tuple[str, ...] = ()
    channels: tuple[str, ...] = Field(default=(), description="notification blocks sent the status summary")
    comment: str
    summary: StatusSummary | None = Field(
        default=None, description="what ``comment`` says, as values: the Jira adapter writes people as mentions"
    )

    @property
    def notifies(self) -> bool:
        return self.notify_reporter or self.notify_assignee or self.notify_watchers or bool(self.notify_users)


class Decision(_Frozen):
    """What escalator decided for one issue, and why, in words (``reason``) and in data (the other fields)."""

    issue_key: str
    outcome: Verdict
    reason_code: ReasonCode
    reason: str
    category: str | None = None
    calendar: str | None = None
    from_level: str | None = Field(default=None, description="the level the issue is at; None before L1")
    to_level: str | None = None
    levels_passed: tuple[str, ...] = Field(
        default=(), description="levels whose windows also ran out, jumped over on the way to to_level"
    )
    clock_started_at: AwareDatetime | None = None
    clock_start: ClockStart | None = None
    elapsed: timedelta | None = Field(default=None, description="working time since the clock started")
    window: timedelta | None = Field(default=None, description="working time allowed at from_level")
    due_at: AwareDatetime | None = Field(default=None, description="when the next level is (or was) due")
    paused: timedelta | None = Field(
        default=None, description="working time since the clock started that did not count: a pause status"
    )
    owners_skipped: tuple[SkippedOwner, ...] = ()
    owner_reason: str | None = Field(
        default=None, description="how a rotation or group led to the new owner; None for an owner named directly"
    )
    actions: Actions | None = None
    new_state: EscalationState | None = None
    holding_state: EscalationState | None = Field(
        default=None,
        description="the escalation state that alone keeps the issue quiet (other_policy, cooldown, at_top_level, "
        "human_override); the audit records such a skip once per issue and state",
    )
    deadline_at: AwareDatetime | None = None
    deadline_breached: bool = False
    human_change_at: AwareDatetime | None = None
    data_problem: str | None = Field(
        default=None,
        description="what was wrong with the issue's data (e.g. its escalation state) and what was done instead",
    )


def notable(decision: Decision) -> bool:
    """Whether a sweep acts on the decision or records it: an escalation or skip, a deadline breach, wrong data,
    or an issue its escalation state alone holds (the audit records each; ``escalator.audit.record``)."""
    return (
        decision.outcome != "no_action"
        or decision.deadline_breached
        or decision.data_problem is not None
        or decision.holding_state is not None
    )


OutcomeStatus = Literal["applied", "dry_run", "failed", "over_budget", "blocked"]


class Outcome(_Frozen):
    """What became of one escalation decision when the plan was carried out (``escalator.sweep.apply``)."""

    issue_key: str
    status: OutcomeStatus
    error: str | None = None
    warning: str | None = Field(default=None, description="e.g. the escalation is in Jira but its e-mail failed")
    error_kind: str | None = None
    retryable: bool | None = None


class Plan(_Frozen):
    """The decisions of one evaluation, in issue-key order, and whether the plan may be carried out.

    A plan evaluated for a sweep (``evaluate(..., keep=...)``) holds only the decisions that are acted on or
    recorded (``notable``) and those about the issues it was asked to keep; the others, nearly every issue of a
    large backlog on most sweeps, are counted by reason in ``quiet``, so a sweep's memory does not grow with the
    backlog. Without ``keep`` the plan holds every decision and ``quiet`` is empty."""

    policy: PolicyIdentity
    now: AwareDatetime
    decisions: tuple[Decision, ...]
    blocked: str | None = Field(
        default=None, description="why no decision of this plan may be applied (the blast-radius limit)"
    )
    quiet: dict[ReasonCode, int] = Field(
        default_factory=dict, description="issues left alone that nothing records, counted by reason, not kept"
    )

    @property
    def evaluated(self) -> int:
        """How many issues were decided: the decisions kept and the quiet ones counted."""
        return len(self.decisions) + sum(self.quiet.values())

    @property
    def escalations(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.outcome == "escalate")

    @property
    def deadline_breaches(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.deadline_breached)

    def counts(self) -> dict[str, int]:
        """Decisions counted by outcome and by reason code, e.g. {"escalate": 3, "not_due": 40, ...}, the quiet
        ones included."""
        result: dict[str, int] = {}
        for decision in self.decisions:
            result[decision.outcome] = result.get(decision.outcome, 0) + 1
            if decision.reason_code != "due":
                result[decision.reason_code] = result.get(decision.reason_code, 0) + 1
        for code, count in self.quiet.items():
            result["no_action"] = result.get("no_action", 0) + count
            result[code] = result.get(code, 0) + count
        return result

    def reasons_left_alone(self) -> dict[str, int]:
        """The issues not escalated, counted by reason code, the quiet ones included."""
        result: dict[str, int] = {code: count for code, count in self.quiet.items()}
        for decision in self.decisions:
            if decision.outcome != "escalate":
                result[decision.reason_code] = result.get(decision.reason_code, 0) + 1
        return result

    def decision_for(self, key: str) -> Decision | None:
        return next((d for d in self.decisions if d.issue_key == key), None)


def format_timedelta(value: timedelta) -> str:
    """``4h 05m``, ``2d 3h`` (days of 24 h): how the reasons and summaries write durations."""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d {hours}h" if hours else f"{sign}{days}d"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m"


def format_instant(value: datetime) -> str:
    """``2026-11-27 14:40 UTC``: what ``strftime("%Y-%m-%d %H:%M %Z")`` writes (the year unpadded, as glibc
    writes it; no zone name for a naive time), without ``strftime``, which costs several times as much and is
    called for nearly every issue a sweep reads."""
    zone = value.tzname()
    day = f"{value.year}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
    return f"{day} {zone}".strip() if zone else day
