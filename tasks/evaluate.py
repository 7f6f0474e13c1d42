"""Evaluate a batch of issues with the pure core."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from escalator.core import IssueSnapshot, Plan, Policy, PolicyIdentity, evaluate
from escalator.core.routing import Roster


@task(name="evaluate", task_run_name="evaluate[{policy.name}]", cache_policy=NO_CACHE)
def evaluate_batch(
    issues: list[IssueSnapshot],
    policy: Policy,
    now: datetime,
    inactive_users: Collection[str],
    identity: PolicyIdentity,
    roster: Roster | None = None,
    keep: Collection[str] = frozenset(),
) -> Plan:
    """A sweep's plan of one batch: the decisions it acts on or records, and those about the issues in ``keep``;
    the rest counted (``Plan.quiet``)."""
    return evaluate(issues, policy, now, inactive_users=inactive_users, identity=identity, roster=roster, keep=keep)
