"""Carry out a plan: one writer call per escalation, within a write budget, a few at a time.

Decide, then act: the plan is final before the first write. Dry run swaps the writer for one that writes
nothing; nothing else branches on it, so a dry run spends the budget and produces the same records as a live
run would. A failed write is that decision's failed outcome; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from escalator.core.decision import Decision, Outcome, OutcomeStatus

__all__ = ["DryRunWriter", "Writer", "apply_decisions", "failure_outcome"]


class Writer(Protocol):
    """Makes one decision true in Jira (or pretends to). Raises on failure; ``apply_decisions`` records it. Returns a
    warning for a partial success (the change is in Jira, its notification is not)."""

    dry_run: bool

    def write(self, decision: Decision) -> str | None: ...


class DryRunWriter:
    """Writes nothing: the dry run's only difference from a live run."""

    dry_run = True

    def write(self, decision: Decision) -> str | None:
        return None


def failure_outcome(issue_key: str, error: Exception) -> Outcome:
    """The outcome of a write that raised ``error``."""
    return Outcome(
        issue_key=issue_key,
        status="failed",
        error=str(error) or type(error).__name__,
        error_kind=type(error).__name__,
        retryable=bool(getattr(error, "retryable", False)),
    )


def apply_decisions(
    decisions: Sequence[Decision],
    writer: Writer,
    *,
    budget: int | None = None,
    blocked: str | None = None,
    concurrency: int = 4,
    on_progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Apply the escalations among ``decisions`` (in issue-key order) and return one outcome for each.

    ``budget`` caps the writes of this run (the rest are ``over_budget`` and wait for the next run);
    ``blocked`` (the plan's blast-radius verdict) stops every write.
    """
    escalations = sorted((d for d in decisions if d.outcome == "escalate"), key=lambda d: d.issue_key)
    if blocked is not None:
        return [Outcome(issue_key=d.issue_key, status="blocked", error=blocked) for d in escalations]
    allowed = escalations if budget is None else escalations[:budget]
    deferred = escalations[len(allowed) :]
    done_status: OutcomeStatus = "dry_run" if writer.dry_run else "applied"

    def one(decision: Decision) -> Outcome:
        try:
            warning = writer.write(decision)
        except Exception as error:  # every failure becomes that decision's outcome
            return failure_outcome(decision.issue_key, error)
        return Outcome(issue_key=decision.issue_key, status=done_status, warning=warning)

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="escalator-apply") as pool:
        for done, outcome in enumerate(pool.map(one, allowed), start=1):
            outcomes.append(outcome)
            if on_progress is not None:
                on_progress(done)
    outcomes.extend(
        Outcome(issue_key=d.issue_key, status="over_budget", error=f"write budget of {budget} reached")
        for d in deferred
    )
    return outcomes
