"""The decision record auditors read: one versioned schema for the artifact writer, readers and exporters.

A record says what was done to which issue, why, under which policy version, file hash and git commit, in
which run, and whether it was a dry run. Records only grow: new fields get defaults, ``schema_version``
says which fields a record was written with, so old records stay readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Outcome, Plan, format_timedelta
from escalator.core.policy import PolicyIdentity

__all__ = [
    "SCHEMA_VERSION",
    "AuditRecord",
    "People",
    "RunInfo",
    "breach_ended_record",
    "data_problem_record",
    "held_record",
    "intent_record",
    "outcome_record",
    "records_for",
    "table_columns",
]

# 2: git_committed_at. 3: policy_commit, policy_author, policy_authored_at; git_author and git_committed_at now
# describe git_commit (HEAD: its author and author date), where in 1 and 2 git_author and git_committed_at were
# the author and committer date of the policy file's last commit. 4: deadline_at is set on an issue's first
# escalation too (its first escalation starts the deadline), so every live escalation names its deadline; breach
# (a deadline breach recorded when it starts, once a day while it lasts and when it ends: outcome breach_ended)
# and reconciled_by. 5: left_alone records (an issue its escalation state keeps quiet: state_policy, state_at), and
# display names beside the ids (assignee_before_name, assignee_after_name, owners_skipped_names).
SCHEMA_VERSION = 5


class RunInfo(BaseModel):
    """The run a record belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flow_run_id: str | None = None
    flow_run_name: str | None = None
    flow_run_url: str | None = None
    dry_run: bool = False


class AuditRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION
    evaluated_at: AwareDatetime
    issue_key: str
    outcome: str = Field(
        description=(
            "applied, dry_run, failed, over_budget, blocked, not_applied, skipped, deadline_breached, breach_ended, "
            "left_alone or data_problem"
        )
    )
    decision: str = Field(description="escalate, no_action or skipped")
    reason_code: str
    reason: str
    category: str | None = None
    calendar: str | None = None
    from_level: str | None = None
    to_level: str | None = None
    levels_passed: str = ""
    assignee_before: str | None = None
    assignee_before_name: str | None = Field(default=None, description="assignee_before's display name in Jira")
    assignee_after: str | None = None
    assignee_after_name: str | None = Field(default=None, description="assignee_after's display name in Jira")
    priority_before: str | None = None
    priority_after: str | None = None
    labels_added: str = ""
    owners_skipped: str = Field(default="", description="owner at level (why); ...")
    owners_skipped_names: str = Field(default="", description="owners_skipped with display names for the ids")
    elapsed: str | None = Field(default=None, description="working time since the level's clock started")
    window: str | None = None
    clock_started_at: AwareDatetime | None = None
    deadline_at: AwareDatetime | None = None
    deadline_breached: bool = False
    error: str | None = None
    warning: str | None = Field(default=None, description="a partial success, e.g. the notification failed")
    breach: str | None = Field(
        default=None, description="of a deadline-breach record: started, ongoing (once a day) or ended"
    )
    state_policy: str | None = Field(
        default=None, description="of a left_alone record: the policy named by the escalation state that keeps it quiet"
    )
    state_at: AwareDatetime | None = Field(
        default=None, description="of a left_alone record: when that state was written (the last escalation)"
    )
    reconciled_by: str | None = Field(
        default=None,
        description="the flow run that found this escalation's intent without an outcome (its run was killed) and "
        "read from Jira whether it was applied",
    )
    policy: str
    policy_version: str
    policy_sha256: str | None = None
    policy_path: str | None = None
    git_commit: str | None = Field(default=None, description="the repository's HEAD when the run loaded the policy")
    git_dirty: bool | None = None
    git_author: str | None = Field(
        default=None, description="author of git_commit, 'name <email>' (before schema 3: of the file's last commit)"
    )
    git_committed_at: str | None = Field(
        default=None,
        description="author date of git_commit, ISO 8601 (before schema 3: committer date of the file's last commit)",
    )
    policy_commit: str | None = Field(default=None, description="the last commit that changed the policy file")
    policy_author: str | None = Field(default=None, description="author of policy_commit, 'name <email>'")
    policy_authored_at: str | None = Field(default=None, description="author date of policy_commit, ISO 8601")
    flow_run_id: str | None = None
    flow_run_name: str | None = None
    dry_run: bool = False


TABLE_FIRST = (
    "issue_key",
    "outcome",
    "decision",
    "from_level",
    "to_level",
    "assignee_before",
    "assignee_after",
    "priority_before",
    "priority_after",
    "reason",
    "assignee_before_name",
    "assignee_after_name",
)
TABLE_LAST = (
    "schema_version",
    "policy_sha256",
    "policy_path",
    "git_commit",
    "git_dirty",
    "git_author",
    "git_committed_at",
    "policy_commit",
    "policy_author",
    "policy_authored_at",
)


def table_columns() -> tuple[str, ...]:
    """The record's fields in the order an auditor reads a decisions table: issue, decision, levels, assignee,
    priority and reason first, then the assignees' display names; the schema version, hashes and git provenance
    last. (Exports keep schema order.)"""
    middle = [name for name in AuditRecord.model_fields if name not in TABLE_FIRST + TABLE_LAST]
    return (*TABLE_FIRST, *middle, *TABLE_LAST)


People = Mapping[str, str]
"""Display names by person id (accountId on Cloud, username on Data Center), from what Jira returned this run."""


def records_for(
    plan: Plan,
    outcomes: Iterable[Outcome],
    git: GitProvenance,
    run: RunInfo,
    escalation_deadline: timedelta | None = None,
    people: People | None = None,
) -> list[AuditRecord]:
    """One record per escalation (with its outcome), per skipped issue and per deadline breach, and one per issue
    whose data was wrong (its escalation state, say), whatever was decided for it. ``escalation_deadline``: the
    policy's, so that an issue's first escalation records the deadline it starts. ``people``: display names to
    put beside the ids."""
    by_key: Mapping[str, Outcome] = {outcome.issue_key: outcome for outcome in outcomes}
    records: list[AuditRecord] = []
    for decision in plan.decisions:
        if decision.data_problem is not None:
            records.append(_problem_record(plan, decision, decision.data_problem, git, run))
        outcome = by_key.get(decision.issue_key)
        status: str
        if decision.outcome == "escalate":
            status = outcome.status if outcome is not None else "not_applied"
        elif decision.outcome == "skipped":
            status = "skipped"
        elif decision.deadline_breached:
            status = "deadline_breached"
        else:
            continue
        deadline = _deadline(decision, escalation_deadline)
        records.append(_record(plan, decision, status, outcome, git, run, deadline, people or {}))
    return records


def _deadline(decision: Decision, escalation_deadline: timedelta | None) -> datetime | None:
    """The deadline the decision names, or, for a first escalation, the one it starts."""
    if decision.deadline_at is None and decision.new_state is not None and escalation_deadline is not None:
        return decision.new_state.first_at + escalation_deadline
    return decision.deadline_at


def _record(
    plan: Plan,
    decision: Decision,
    status: str,
    outcome: Outcome | None,
    git: GitProvenance,
    run: RunInfo,
    deadline_at: datetime | None,
    people: People,
) -> AuditRecord:
    actions = decision.actions
    identity = plan.policy
    before = actions.assignee_from if actions else None
    after = actions.assignee_to if actions else None
    return AuditRecord(
        evaluated_at=plan.now,
        issue_key=decision.issue_key,
        outcome=status,
        decision=decision.outcome,
        reason_code=decision.reason_code,
        reason=decision.reason,
        category=decision.category,
        calendar=decision.calendar,
        from_level=decision.from_level,
        to_level=decision.to_level,
        levels_passed=", ".join(decision.levels_passed),
        assignee_before=before,
        assignee_before_name=people.get(before) if before else None,
        assignee_after=after,
        assignee_after_name=people.get(after) if after else None,
        priority_before=actions.priority_from if actions else None,
        priority_after=actions.priority_to if actions else None,
        labels_added=", ".join(actions.labels_add) if actions else "",
        owners_skipped="; ".join(f"{s.owner} at {s.level} ({s.reason})" for s in decision.owners_skipped),
        owners_skipped_names="; ".join(
            f"{people.get(s.owner, s.owner)} at {s.level} ({s.reason})" for s in decision.owners_skipped
        ),
        elapsed=format_timedelta(decision.elapsed) if decision.elapsed is not None else None,
        window=format_timedelta(decision.window) if decision.window is not None else None,
        clock_started_at=decision.clock_started_at,
        deadline_at=deadline_at,
        deadline_breached=decision.deadline_breached,
        error=outcome.error if outcome is not None else None,
        warning=outcome.warning if outcome is not None else None,
        **_provenance(identity, git, run),
    )


def held_record(plan: Plan, decision: Decision, git: GitProvenance, run: RunInfo) -> AuditRecord:
    """An issue its escalation state keeps quiet (another policy's, in cooldown, at the top level, changed by a
    person under ``on_human_change: stop``), recorded the first time for that state (``escalator.audit.held``)."""
    state = decision.holding_state
    if state is None:
        raise ValueError(f"{decision.issue_key}: no escalation state holds this decision")
    return AuditRecord(
        evaluated_at=plan.now,
        issue_key=decision.issue_key,
        outcome="left_alone",
        decision=decision.outcome,
        reason_code=decision.reason_code,
        reason=decision.reason,
        category=decision.category,
        calendar=decision.calendar,
        from_level=decision.from_level,
        clock_started_at=decision.clock_started_at,
        deadline_at=decision.deadline_at,
        deadline_breached=decision.deadline_breached,
        state_policy=state.policy,
        state_at=state.at,
        **_provenance(plan.policy, git, run),
    )


def _problem_record(plan: Plan, decision: Decision, problem: str, git: GitProvenance, run: RunInfo) -> AuditRecord:
    """An issue whose data was wrong but that was evaluated all the same (e.g. its state rebuilt)."""
    return AuditRecord(
        evaluated_at=plan.now,
        issue_key=decision.issue_key,
        outcome="data_problem",
        decision=decision.outcome,
        reason_code="data_problem",
        reason=f"{decision.issue_key}: {problem}",
        category=decision.category,
        from_level=decision.from_level,
        **_provenance(plan.policy, git, run),
    )


def data_problem_record(
    identity: PolicyIdentity, now: datetime, issue_key: str, problem: str, git: GitProvenance, run: RunInfo
) -> AuditRecord:
    """An issue left out of the evaluation because its data could not be read (e.g. its escalation state)."""
    return AuditRecord(
        evaluated_at=now,
        issue_key=issue_key,
        outcome="data_problem",
        decision="skipped",
        reason_code="unreadable_data",
        reason=f"{issue_key} was not evaluated: {problem}",
        **_provenance(identity, git, run),
    )


def outcome_record(
    plan: Plan,
    decision: Decision,
    outcome: Outcome,
    git: GitProvenance,
    run: RunInfo,
    escalation_deadline: timedelta | None = None,
    people: People | None = None,
) -> AuditRecord:
    """The record of one escalation's outcome, as ``records_for`` makes it, without walking the whole plan."""
    deadline = _deadline(decision, escalation_deadline)
    return _record(plan, decision, outcome.status, outcome, git, run, deadline, people or {})


def intent_record(
    plan: Plan,
    decision: Decision,
    git: GitProvenance,
    run: RunInfo,
    escalation_deadline: timedelta | None = None,
    people: People | None = None,
) -> AuditRecord:
    """The record an escalation will have, with outcome ``intent``: stored before its write to Jira."""
    return _record(plan, decision, "intent", None, git, run, _deadline(decision, escalation_deadline), people or {})


def breach_ended_record(
    plan: Plan, issue_key: str, deadline_at: datetime, reason_code: str, reason: str, git: GitProvenance, run: RunInfo
) -> AuditRecord:
    """The end of a deadline breach: the issue was resolved, escalated or left the policy's search."""
    return AuditRecord(
        evaluated_at=plan.now,
        issue_key=issue_key,
        outcome="breach_ended",
        decision="no_action",
        reason_code=reason_code,
        reason=reason,
        deadline_at=deadline_at,
        breach="ended",
        **_provenance(plan.policy, git, run),
    )


def _provenance(identity: PolicyIdentity, git: GitProvenance, run: RunInfo) -> dict[str, Any]:
    """The fields every record carries: which policy, which file and commit, which run."""
    return {
        "policy": identity.name,
        "policy_version": identity.version,
        "policy_sha256": identity.sha256,
        "policy_path": identity.path,
        "git_commit": git.commit,
        "git_dirty": git.dirty,
        "git_author": git.author,
        "git_committed_at": git.committed_at,
        "policy_commit": git.policy_commit,
        "policy_author": git.policy_author,
        "policy_authored_at": git.policy_authored_at,
        "flow_run_id": run.flow_run_id,
        "flow_run_name": run.flow_run_name,
        "dry_run": run.dry_run,
    }
