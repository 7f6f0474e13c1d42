"""Carry out a plan against Jira (or, in a dry run, against nothing): bounded concurrency, no caching."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from escalator.core import Plan
from escalator.core.decision import Outcome
from escalator.sweep.apply import Writer, apply_decisions


@task(name="apply", cache_policy=NO_CACHE)
def apply_plan(plan: Plan, writer: Writer, budget: int | None, concurrency: int) -> list[Outcome]:
    """Never retried as a whole: each write is retried inside the adapter, and a failed write is its
    decision's outcome, so retrying the task could only repeat writes that succeeded."""
    logger = get_run_logger()
    total = len(plan.escalations) if budget is None else min(budget, len(plan.escalations))
    step = max(1, total // 10)

    def progress(done: int) -> None:
        if done % step == 0 or done == total:
            logger.info(
                "%s: %d of %d escalations %s", plan.policy.name, done, total, "checked" if writer.dry_run else "written"
            )

    return apply_decisions(
        plan.decisions, writer, budget=budget, blocked=plan.blocked, concurrency=concurrency, on_progress=progress
    )
