"""What a sweep records: the issues it could read, the decision records and summary of one policy, and the
stable artifact keys they are published under."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from escalator.audit.record import AuditRecord, People, RunInfo, data_problem_record, records_for
from escalator.audit.summary import failure_markdown, summary_markdown
from escalator.core.decision import Outcome, Plan
from escalator.core.issue import IssueSnapshot, SnapshotProblem
from escalator.core.policy import Policy
from escalator.jira.adapter import SearchPage
from escalator.sweep.policies import PolicyRun


class ArtifactKeys(BaseModel):
    """Stable artifact keys per policy, so the Artifacts page shows one history per policy."""

    model_config = ConfigDict(frozen=True)

    records: str
    summary: str

    @classmethod
    def for_policy(cls, policy: Policy) -> ArtifactKeys:
        return cls(records=f"escalator-{policy.name}-decisions", summary=f"escalator-{policy.name}-summary")


def readable_issues(pages: Sequence[SearchPage]) -> tuple[list[IssueSnapshot], list[SnapshotProblem]]:
    """The issues of ``pages`` that can be evaluated, and the problems of those that cannot.

    An issue whose stored escalation state cannot be read is left out: escalating it again could repeat an
    escalation. It is recorded as a data problem for someone to look at.
    """
    problems = [problem for page in pages for problem in page.problems]
    unreadable = {problem.issue_key for problem in problems}
    return [issue for page in pages for issue in page.issues if issue.key not in unreadable], problems


def run_records(
    plan: Plan | None,
    outcomes: Sequence[Outcome],
    policy_run: PolicyRun,
    run: RunInfo,
    keys: ArtifactKeys,
    problems: Sequence[SnapshotProblem] = (),
    *,
    now: datetime,
    error: str | None = None,
    states_signed: bool | None = None,
    people: People | None = None,
) -> tuple[list[AuditRecord], str]:
    """The decision records and the markdown summary of one policy's part of a run, also when it stopped;
    ``people``: display names to put beside the ids."""
    identity, git = policy_run.identity, policy_run.git
    deadline = policy_run.policy.escalation_deadline
    limit = deadline.wall_clock() if deadline is not None else None
    records = records_for(plan, outcomes, git, run, limit, people) if plan is not None else []
    records += [data_problem_record(identity, now, p.issue_key, p.problem, git, run) for p in problems]
    if plan is None:
        return records, failure_markdown(identity, now, git, run, error or "unknown error")
    summary = summary_markdown(
        plan, outcomes, git, run, records_key=keys.records, problems=problems, error=error, states_signed=states_signed
    )
    return records, summary
