"""The run's markdown summary: counts by outcome and category, why nothing happened elsewhere, and the policy
identity, so the Prefect UI answers "what did this run do, and under which rules?" at a glance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from escalator.audit.record import RunInfo
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Outcome, Plan
from escalator.core.issue import SnapshotProblem
from escalator.core.policy import PolicyIdentity

__all__ = ["failure_markdown", "summary_markdown"]


def summary_markdown(
    plan: Plan,
    outcomes: Sequence[Outcome],
    git: GitProvenance,
    run: RunInfo,
    records_key: str | None = None,
    problems: Sequence[SnapshotProblem] = (),
    error: str | None = None,
    states_signed: bool | None = None,
) -> str:
    identity = plan.policy
    by_outcome = Counter(outcome.status for outcome in outcomes)
    by_category = Counter(d.category or "none" for d in plan.decisions if d.outcome == "escalate")
    reasons = plan.reasons_left_alone()
    mode = "dry run (nothing written)" if run.dry_run else "live"
    commit = git.commit[:12] if git.commit else "unknown (not in git)"
    dirty = " (uncommitted changes)" if git.dirty else ""
    lines = [
        f"# Escalation sweep: {identity.name} version {identity.version}",
        "",
        f"- **Mode:** {mode}",
        f"- **Evaluated at:** {plan.now.isoformat()}",
        f"- **Policy file:** `{identity.path}` sha256 `{identity.sha256}`",
        f"- **Git commit:** `{commit}`{dirty}" + (f", by {git.author}" if git.author else ""),
        f"- **Issues evaluated:** {plan.evaluated}",
        f"- **Escalations planned:** {len(plan.escalations)}",
    ]
    if run.flow_run_url or run.flow_run_name:
        lines.append(f"- **Flow run:** {run.flow_run_url or run.flow_run_name}")
    if records_key:
        lines.append(f"- **Decision records:** table artifact `{records_key}`")
    if states_signed is not None:
        signed = "signed (HMAC-SHA256)" if states_signed else "**unsigned**: no state key is set, see the README"
        lines.append(f"- **Escalation states:** {signed}")
    if plan.blocked:
        lines += ["", f"> **Blocked:** {plan.blocked}"]
    if error:
        lines += ["", f"> **The sweep stopped part-way:** {error}. The outcomes below are what was done before."]
    lines += ["", "## Outcomes", "", "| outcome | issues |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(by_outcome.items())] or ["| none | 0 |"]
    lines += ["", "## Escalations by category", "", "| category | escalations |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(by_category.items())] or ["| none | 0 |"]
    lines += ["", "## Why the other issues were left alone", "", "| reason | issues |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in sorted(reasons.items())] or ["| none | 0 |"]
    breaches = plan.deadline_breaches
    if breaches:
        lines += ["", f"## Escalation deadline breached ({len(breaches)})", ""]
        lines += [f"- {d.issue_key}: open past {d.deadline_at.isoformat() if d.deadline_at else '?'}" for d in breaches]
    if problems:
        lines += ["", f"## Issues not evaluated: unreadable data ({len(problems)})", ""]
        lines += [f"- {p.issue_key}: {p.problem}" for p in problems]
    wrong = [d for d in plan.decisions if d.data_problem]
    if wrong:
        lines += ["", f"## Issues with wrong data, evaluated as described ({len(wrong)})", ""]
        lines += [f"- {d.issue_key}: {d.data_problem}" for d in wrong]
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        lines += ["", f"## Failed writes ({len(failed)})", ""]
        lines += [f"- {o.issue_key}: {o.error}" for o in failed]
    return "\n".join(lines) + "\n"


def failure_markdown(identity: PolicyIdentity, now: datetime, git: GitProvenance, run: RunInfo, error: str) -> str:
    """The summary of a policy's sweep that stopped before it had a plan (e.g. Jira failed while fetching)."""
    commit = git.commit[:12] if git.commit else "unknown (not in git)"
    return "\n".join(
        [
            f"# Escalation sweep FAILED: {identity.name} version {identity.version}",
            "",
            f"- **Mode:** {'dry run' if run.dry_run else 'live'}",
            f"- **Started at:** {now.isoformat()}",
            f"- **Policy file:** `{identity.path}` sha256 `{identity.sha256}`",
            f"- **Git commit:** `{commit}`",
            "",
            f"> **The sweep stopped before any escalation was written:** {error}",
            "",
        ]
    )
