"""What a sweep did, per policy, in numbers and lines: returned by the flow, printed by the CLI, and whether
the run succeeded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from escalator.core.decision import Outcome, Plan
from escalator.core.issue import SnapshotProblem
from escalator.core.policy import Policy
from escalator.sweep.records import ArtifactKeys


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
    routed: list[str] = Field(
        default_factory=list, description="the first escalations whose owner a rotation or group chose, and how"
    )

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
            evaluated=plan.evaluated if plan else 0,
            escalations=len(plan.escalations) if plan else 0,
            applied=count["applied"],
            dry_run=count["dry_run"],
            failed=count["failed"],
            over_budget=count["over_budget"],
            blocked=plan.blocked if plan else None,
            data_problems=len(problems) + (sum(1 for d in plan.decisions if d.data_problem) if plan else 0),
            records_key=keys.records,
            summary_key=keys.summary,
            outcomes=list(outcomes),
            changes=cls.change_lines(plan, outcomes) if plan else [],
            routed=cls.routed_lines(plan) if plan else [],
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

    @staticmethod
    def routed_lines(plan: Plan, limit: int = 20) -> list[str]:
        """``SUP-7 → L1 acc-dave: least loaded in group support: ...`` for escalations a rotation or group routed."""
        routed = [d for d in plan.escalations if d.owner_reason is not None and d.actions is not None]
        lines = []
        for d in routed[:limit]:
            passed = "; ".join(f"{s.owner} ({s.reason})" for s in d.owners_skipped)
            line = f"{d.issue_key} → {d.to_level} {d.actions.assignee_to if d.actions else ''}: {d.owner_reason}"
            lines.append(line + (f"; passed over: {passed}" if passed else ""))
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
