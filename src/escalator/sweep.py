"""The pieces of a sweep that are neither pure rules nor Prefect: which policies run (and whether their
provenance allows it), how a decision is written to Jira, what the run records and under which artifact keys.

The Prefect flow (``flows/escalate.py``) strings these together; everything here runs without Prefect.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from escalator.applier import Outcome
from escalator.audit.record import AuditRecord, RunInfo, data_problem_record, records_for
from escalator.audit.summary import failure_markdown, summary_markdown
from escalator.core.decision import Decision, Plan
from escalator.core.evaluate import youngest_actionable_age
from escalator.core.issue import IssueSnapshot, SnapshotProblem
from escalator.core.policy import Policy, PolicyIdentity
from escalator.jira.adapter import JiraAdapter, SearchPage
from escalator.jira.errors import JiraUnavailable
from escalator.jira.scope import sweep_jql
from escalator.policy_files import LoadedPolicy, load_policies
from escalator.provenance import GitProvenance, git_provenance

__all__ = [
    "ArtifactKeys",
    "JiraWriter",
    "PolicyProvenanceError",
    "PolicyRun",
    "Shard",
    "SweepCounts",
    "SweepParameters",
    "SweepReport",
    "allowance_name",
    "prepare_policies",
    "readable_issues",
    "run_records",
    "run_verdict",
]


class Shard(BaseModel):
    """One part of a sharded sweep (``escalator.shards``): ``jql`` is ANDed to every policy's scope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="lower case, digits and dashes")
    jql: str = Field(min_length=1)
    of: int = Field(default=1, ge=1, description="how many shards the sweep has (they share the rate limits)")
    sweep_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]{1,64}$",
        description="the sharded sweep this shard belongs to: its shards share each policy's blast radius",
    )

    def limit_name(self, policy: str) -> str:
        """The Prefect global concurrency limit (of 1) that keeps two runs of this shard of ``policy`` apart."""
        return f"escalator-{policy}-shard-{self.name}"

    def chain_name(self, policy: str) -> str:
        """The audit-sink chain this shard of ``policy`` writes: one writer per chain, whatever the machine."""
        return f"{policy}@{self.name}"

    def allowance_name(self, policy: str) -> str | None:
        """The limit holding what is left of ``policy``'s blast radius in this sweep (``shard_slots``)."""
        return allowance_name(policy, self.sweep_id) if self.sweep_id else None


def allowance_name(policy: str, sweep_id: str) -> str:
    return f"escalator-{policy}-allowance-{sweep_id}"


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
    audit_sink: str | None = Field(
        default=None,
        description="append the decision records to this append-only store too (a path or fsspec URL); "
        "default: $ESCALATOR_AUDIT_SINK, none when unset",
    )
    page_size: int = Field(default=100, ge=1, le=1000)
    pages_per_batch: int = Field(default=20, ge=1, description="pages fetched per Prefect task run")
    apply_concurrency: int = Field(default=4, ge=1, le=32, description="writes in flight at once")
    read_partitions: int = Field(
        default=8,
        ge=1,
        le=16,
        description="at most this many slices of a large scope are paged at once (one slice per 10 pages)",
    )
    reads_per_second: float | None = Field(
        default=95, gt=0, description="searches paced to stay under Jira's read limit (Cloud: about 100/s)"
    )
    writes_per_second: float | None = Field(
        default=48, gt=0, description="writes paced to stay under Jira's write limit (Cloud: about 50/s)"
    )

    shard: Shard | None = Field(
        default=None, description="sweep only this shard of every policy's scope (set by the sharded parent flow)"
    )
    narrow_scope: bool = Field(
        default=True,
        description="search only issues older than the policy's shortest window or deadline: younger ones "
        "cannot be due (off: read the whole scope, e.g. to list data problems of new issues)",
    )

    def search_jql(self, policy: Policy, *, whole: bool = False) -> str:
        """The JQL this sweep searches for ``policy``: its scope, narrowed as the parameters allow (``whole``:
        without the shard's clause, i.e. what all shards together search)."""
        return sweep_jql(
            policy.scope,
            older_than=youngest_actionable_age(policy) if self.narrow_scope else None,
            shard=self.shard.jql if self.shard and not whole else None,
        )

    def partitions_for(self, scope_count: int | None) -> int:
        """How many slices to page at once: none for a scope of under ten pages, where slicing only adds
        requests; one per ten pages above that, up to ``read_partitions``."""
        if scope_count is None:
            return 1
        return max(1, min(self.read_partitions, scope_count // (self.page_size * 10)))


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

    def write(self, decision: Decision) -> str | None:
        state = decision.new_state
        if state is not None and self._run.flow_run_id:
            decision = decision.model_copy(
                update={"new_state": state.model_copy(update={"run_id": self._run.flow_run_id})}
            )
        link = self._run.flow_run_url or (
            f"escalator flow run {self._run.flow_run_name} ({self._run.flow_run_id})" if self._run.flow_run_id else None
        )
        try:
            applied = self._jira.apply(decision, run_link=link)
        except JiraUnavailable as error:
            if error.maybe_applied:
                raise JiraUnavailable(
                    f"{error} (the write may have been applied; the next sweep reads the issue's state and will "
                    "not repeat it)",
                    maybe_applied=True,
                ) from error
            raise
        return f"escalated, but the notification failed: {applied.notify_error}" if applied.notify_error else None


class SweepCounts(BaseModel):
    """What a sweep did with one policy, in numbers."""

    policy: str
    version: str
    evaluated: int
    escalations: int
    applied: int
    dry_run: int
    failed: int
    over_budget: int
    blocked: str | None = None
    data_problems: int
    error: str | None = Field(default=None, description="why the sweep of this policy stopped part-way")


class SweepReport(SweepCounts):
    """What a sweep did, per policy: returned by the flow and printed by the CLI."""

    records_key: str
    summary_key: str
    outcomes: list[Outcome]
    changes: list[str] = Field(default_factory=list, description="the first escalations, one line each")

    @classmethod
    def of(
        cls,
        policy: Policy,
        plan: Plan | None,
        outcomes: Sequence[Outcome],
        problems: Sequence[SnapshotProblem],
        keys: ArtifactKeys,
        error: str | None = None,
    ) -> SweepReport:
        count = Counter(outcome.status for outcome in outcomes)
        return cls(
            policy=policy.name,
            version=policy.version,
            evaluated=len(plan.decisions) if plan else 0,
            escalations=len(plan.escalations) if plan else 0,
            applied=count["applied"],
            dry_run=count["dry_run"],
            failed=count["failed"],
            over_budget=count["over_budget"],
            blocked=plan.blocked if plan else None,
            data_problems=len(problems),
            records_key=keys.records,
            summary_key=keys.summary,
            outcomes=list(outcomes),
            changes=cls.change_lines(plan, outcomes) if plan else [],
            error=error,
        )

    @property
    def writes_attempted(self) -> int:
        """What this policy spent of the run's write budget (a dry run spends it as a live run would)."""
        return self.applied + self.dry_run + self.failed

    def one_line(self) -> str:
        line = (
            f"{self.policy} v{self.version}: {self.evaluated} evaluated, {self.escalations} escalations "
            f"({self.applied} applied, {self.dry_run} dry run, {self.failed} failed, {self.over_budget} over budget)"
        )
        if self.blocked:
            line += f"; BLOCKED: {self.blocked}"
        if self.error:
            line += f"; STOPPED: {self.error}"
        return line

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


def run_verdict(reports: Sequence[SweepReport]) -> tuple[bool, str]:
    """Whether the run succeeded, and why not: failed writes, a blocked plan or a stopped policy make the
    flow run end Failed (after its audit is published), so it stands out in the UI."""
    failed = sum(r.failed for r in reports)
    problems = [f"{failed} escalation write(s) failed"] if failed else []
    problems += [f"{r.policy} blocked by its blast-radius limit" for r in reports if r.blocked]
    problems += [f"{r.policy} stopped: {r.error}" for r in reports if r.error]
    if problems:
        return False, "; ".join(problems) + "; see the decision records"
    return True, "sweep done"


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
) -> tuple[list[AuditRecord], str]:
    """The decision records and the markdown summary of one policy's part of a run, also when it stopped."""
    identity, git = policy_run.identity, policy_run.git
    records = records_for(plan, outcomes, git, run) if plan is not None else []
    records += [data_problem_record(identity, now, p.issue_key, p.problem, git, run) for p in problems]
    if plan is None:
        return records, failure_markdown(identity, now, git, run, error or "unknown error")
    summary = summary_markdown(plan, outcomes, git, run, records_key=keys.records, problems=problems, error=error)
    return records, summary
