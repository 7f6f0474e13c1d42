"""The pieces of a sweep that are neither pure rules nor Prefect: which policies run (and whether their
provenance allows it), how a decision is written to Jira, what the run records and under which artifact keys.

The Prefect flow (``flows/escalate.py``) strings these together; everything here runs without Prefect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from escalator.applier import Outcome
from escalator.audit.record import AuditRecord, RunInfo, data_problem_record, records_for
from escalator.audit.summary import summary_markdown
from escalator.core.decision import Decision, Plan
from escalator.core.policy import Policy, PolicyIdentity
from escalator.jira.adapter import JiraAdapter
from escalator.jira.errors import JiraUnavailable
from escalator.jira.snapshot import SnapshotProblem
from escalator.policy_files import LoadedPolicy, load_policies
from escalator.provenance import GitProvenance, git_provenance

__all__ = [
    "ArtifactKeys",
    "JiraWriter",
    "PolicyProvenanceError",
    "PolicyRun",
    "SweepParameters",
    "SweepReport",
    "prepare_policies",
    "run_records",
]


class SweepParameters(BaseModel):
    """What a sweep runs on; the Prefect flow's parameters (validated, shown in the UI's run form)."""

    model_config = ConfigDict(extra="forbid")

    policies: list[str] = Field(default=["policies"], description="policy files or folders")
    dry_run: bool = Field(default=False, description="decide and record everything, write nothing to Jira")
    write_budget: int | None = Field(default=None, ge=0, description="at most this many issues written per run")
    jira_block: str | None = Field(
        default=None,
        description="name of a Prefect Secret block holding the Jira settings as JSON "
        '({"url": ..., "email": ..., "api_token": ...} or {"url": ..., "pat": ...}); default: JIRA_* variables',
    )
    require_clean_policy: bool = Field(
        default=False, description="refuse policies that are not committed, unchanged, in git (for production)"
    )
    page_size: int = Field(default=100, ge=1, le=1000)
    pages_per_batch: int = Field(default=20, ge=1, description="pages fetched per Prefect task run")
    apply_concurrency: int = Field(default=4, ge=1, le=32, description="writes in flight at once")


@dataclass(frozen=True)
class PolicyRun:
    """A validated policy with the facts a run records about it."""

    loaded: LoadedPolicy
    git: GitProvenance

    @property
    def policy(self) -> Policy:
        return self.loaded.policy

    @property
    def identity(self) -> PolicyIdentity:
        return self.loaded.identity.model_copy(update={"git_commit": self.git.commit, "git_dirty": self.git.dirty})


class PolicyProvenanceError(Exception):
    """A production run refused a policy that is not committed, unchanged, in git."""


def prepare_policies(paths: Sequence[Path], *, require_clean_policy: bool) -> list[PolicyRun]:
    """Every policy validated (``PolicyLoadError`` lists all problems) with its git provenance."""
    runs = [PolicyRun(loaded, git_provenance(loaded.path)) for loaded in load_policies(paths)]
    if require_clean_policy:
        unclean = [run for run in runs if not run.git.clean]
        if unclean:
            names = ", ".join(f"{run.loaded.path} ({_why_unclean(run.git)})" for run in unclean)
            raise PolicyProvenanceError(f"require_clean_policy is set and these policies are not clean: {names}")
    return runs


def _why_unclean(git: GitProvenance) -> str:
    if git.commit is None:
        return "not in a git repository"
    if not git.tracked:
        return "not committed"
    return "changed since the last commit"


class ArtifactKeys(BaseModel):
    """Stable artifact keys per policy, so the Artifacts page shows one history per policy."""

    model_config = ConfigDict(frozen=True)

    records: str
    summary: str

    @classmethod
    def for_policy(cls, policy: Policy) -> ArtifactKeys:
        return cls(records=f"escalator-{policy.name}-decisions", summary=f"escalator-{policy.name}-summary")


class JiraWriter:
    """Writes a decision through the adapter, stamping the run into the stored state and the comment.

    A write whose answer was lost (timeout, 502/504 after the request was sent) may have been applied;
    it is reported as failed with that said, and the next sweep reads the issue's state and will not repeat it.
    """

    dry_run = False

    def __init__(self, jira: JiraAdapter, run: RunInfo) -> None:
        self._jira = jira
        self._run = run

    def write(self, decision: Decision) -> None:
        state = decision.new_state
        if state is not None and self._run.flow_run_id:
            decision = decision.model_copy(
                update={"new_state": state.model_copy(update={"run_id": self._run.flow_run_id})}
            )
        link = self._run.flow_run_url or (
            f"escalator flow run {self._run.flow_run_name} ({self._run.flow_run_id})" if self._run.flow_run_id else None
        )
        try:
            self._jira.apply(decision, run_link=link)
        except JiraUnavailable as error:
            if error.maybe_applied:
                raise JiraUnavailable(
                    f"{error} (the write may have been applied; the next sweep reads the issue's state and will "
                    "not repeat it)",
                    maybe_applied=True,
                ) from error
            raise


class SweepReport(BaseModel):
    """What a sweep did, per policy: returned by the flow and printed by the CLI."""

    policy: str
    version: str
    evaluated: int
    escalations: int
    applied: int
    dry_run: int
    failed: int
    over_budget: int
    blocked: str | None
    data_problems: int
    records_key: str
    summary_key: str
    outcomes: list[Outcome]
    changes: list[str] = Field(default_factory=list, description="the first escalations, one line each")

    @staticmethod
    def change_lines(plan: Plan, outcomes: Sequence[Outcome], limit: int = 50) -> list[str]:
        """``OPS-12 L1 → L2: acc-alice → acc-bob, High → Highest (applied)`` for the first ``limit`` escalations."""
        status = {outcome.issue_key: outcome.status for outcome in outcomes}
        lines = []
        for decision in plan.escalations[:limit]:
            actions = decision.actions
            assert actions is not None
            priority = (
                f", {actions.priority_from or 'none'} → {actions.priority_to}"
                if actions.priority_to != actions.priority_from
                else ""
            )
            lines.append(
                f"{decision.issue_key} {decision.from_level or 'new'} → {decision.to_level}: "
                f"{actions.assignee_from or 'unassigned'} → {actions.assignee_to}{priority} "
                f"({status.get(decision.issue_key, 'not applied')})"
            )
        return lines


def run_records(
    plan: Plan,
    outcomes: Sequence[Outcome],
    policy_run: PolicyRun,
    run: RunInfo,
    keys: ArtifactKeys,
    problems: Sequence[SnapshotProblem] = (),
) -> tuple[list[AuditRecord], str]:
    """The decision records and the markdown summary of one policy's part of a run."""
    records = records_for(plan, outcomes, policy_run.git, run)
    records += [data_problem_record(plan, p.issue_key, p.problem, policy_run.git, run) for p in problems]
    summary = summary_markdown(plan, outcomes, policy_run.git, run, records_key=keys.records, problems=problems)
    return records, summary
