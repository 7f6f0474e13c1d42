"""Micro-benchmark of the pure core: evaluate 100,000 issues against a 10-category policy.

Prints numbers; it is not a test. Run: `make bench-core` (or `uv run python bench/core_evaluate.py [N]`).
Target (issue 2): about one second of CPU for 100,000 issues on the project's 2-core machine. The third
measurement (issue 14) adds status histories and a pause status, for the cost of paused clocks.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from escalator.core import IssueSnapshot, evaluate
from escalator.core.issue import EscalationState, StatusChange
from escalator.core.policy import Policy
from escalator.core.routing import Roster, workload

PROJECTS = ["OPS", "SUP", "ENG", "PAY", "WEB", "MOB", "DATA", "SEC", "INFRA", "HR"]
PRIORITIES = ["Lowest", "Low", "Medium", "High", "Highest"]


def ten_category_policy() -> Policy:
    categories = [
        {
            "name": f"{project.lower()}-matrix",
            "match": {"projects": [project], "issue_types": ["Bug", "Incident", "Task"]},
            "calendar": "berlin" if index % 2 else "new-york",
            "unassigned_window": "1h",
            "levels": [
                {
                    "name": "L1",
                    "window": "4h",
                    "owners": [f"{project.lower()}-l1", "backup"],
                    "priority": {"raise": 1},
                },
                {"name": "L2", "window": "1d", "owners": [f"{project.lower()}-l2"], "labels": ["escalated"]},
                {
                    "name": "L3",
                    "window": "3d",
                    "owners": [f"{project.lower()}-l3"],
                    "priority": {"set": "Highest"},
                },
            ],
        }
        for index, project in enumerate(PROJECTS)
    ]
    return Policy.model_validate(
        {
            "name": "bench",
            "version": "1",
            "scope": "statusCategory != Done",
            "priorities": PRIORITIES,
            "calendars": [
                {
                    "name": "berlin",
                    "timezone": "Europe/Berlin",
                    "holidays": {"country": "DE", "subdivision": "BY"},
                },
                {
                    "name": "new-york",
                    "timezone": "America/New_York",
                    "holidays": {"country": "US", "subdivision": "NY"},
                },
            ],
            "cooldown": "30m",
            "exempt": {"labels": ["escalator-ignore"]},
            "unavailable": [{"owner": "ops-l1", "from": "2026-11-01", "until": "2026-12-31"}],
            "categories": categories,
        }
    )


def routed_policy(policy: Policy) -> Policy:
    """The same policy with every L1 owned by an on-call rotation, then a least_loaded group."""
    data = policy.model_dump(by_alias=True)
    for category in data["categories"]:
        category["levels"][0]["owners"] = ["rotation:on-call", "group:agents"]
    data["rotations"] = [
        {
            "name": "on-call",
            "timezone": "Europe/Berlin",
            "members": ["backup"],  # inactive in every measurement: each L1 escalation goes on to the group
            "length": "1w",
            "handoff": {"weekday": "mon", "time": "09:00"},
            "start": "2026-01-05",
        }
    ]
    data["groups"] = [{"name": "agents", "pick": "least_loaded"}]
    return Policy.model_validate(data)


def issues(count: int, now: datetime, seed: int = 7) -> list[IssueSnapshot]:
    rng = random.Random(seed)
    result = []
    for number in range(count):
        project = rng.choice(PROJECTS)
        created = now - timedelta(minutes=rng.randint(5, 60 * 24 * 42))
        state = None
        if rng.random() < 0.3:
            at = created + (now - created) * rng.random()
            state = EscalationState(
                policy="bench",
                policy_version="1",
                category=f"{project.lower()}-matrix",
                level="L1",
                level_index=1,
                at=at,
                first_at=at,
                assignee_set=f"{project.lower()}-l1",
                priority_set="High",
            )
        result.append(
            IssueSnapshot(
                key=f"{project}-{number}",
                project=project,
                issue_type=rng.choice(["Bug", "Incident", "Task", "Story"]),
                priority=rng.choice(PRIORITIES),
                assignee=rng.choice([None, "someone", f"{project.lower()}-l1"]),
                labels=("escalator-ignore",) if rng.random() < 0.02 else (),
                created=created,
                state=state,
            )
        )
    return result


def steady_state(batch: list[IssueSnapshot], policy: Policy, now: datetime) -> list[IssueSnapshot]:
    """The backlog as a sweep every 15 minutes leaves it: every escalation due 15 minutes ago applied."""
    earlier = evaluate(batch, policy, now - timedelta(minutes=15), inactive_users={"backup"})
    applied = []
    for issue, decision in zip(batch, earlier.decisions, strict=True):
        if decision.actions is not None:
            issue = issue.model_copy(
                update={
                    "assignee": decision.actions.assignee_to,
                    "priority": decision.actions.priority_to,
                    "state": decision.new_state,
                }
            )
        applied.append(issue)
    return applied


def with_status_histories(batch: list[IssueSnapshot], now: datetime, seed: int = 11) -> list[IssueSnapshot]:
    """The backlog with 0-6 status changes per issue, in and out of 'Waiting for customer', for paused clocks."""
    rng = random.Random(seed)
    result = []
    for issue in batch:
        times = sorted(issue.created + (now - issue.created) * rng.random() for _ in range(rng.randint(0, 6)))
        statuses = ["In Progress", "Waiting for customer"]
        changes = [
            StatusChange(at=at, from_status=statuses[(i + 1) % 2], to_status=statuses[i % 2])
            for i, at in enumerate(times, start=1)
        ]
        current = changes[-1].to_status if changes else "To Do"
        result.append(issue.model_copy(update={"status_changes": tuple(changes), "status": current}))
    return result


def measure(name: str, batch: list[IssueSnapshot], policy: Policy, now: datetime, roster: Roster | None = None) -> None:
    runs = []
    for _ in range(3):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        plan = evaluate(batch, policy, now, inactive_users={"backup"}, roster=roster)
        runs.append((time.process_time() - start_cpu, time.perf_counter() - start_wall))
    cpu, wall = min(runs)
    count = len(batch)
    print(f"{name}: {count:,} issues, {len(policy.categories)} categories, {len(plan.escalations):,} escalations")
    print(f"  best of 3: {cpu:.3f} s CPU, {wall:.3f} s wall, {cpu / count * 1e6:.1f} us CPU per issue")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    now = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    policy = ten_category_policy()
    batch = sorted(issues(count, now), key=lambda issue: issue.key)
    evaluate(batch[:100], policy, now)  # warm the calendars' tables, as a sweep's first page would
    measure("steady state (a sweep every 15 minutes)", steady_state(batch, policy, now), policy, now)
    measure("first sweep over an unescalated backlog", batch, policy, now)
    pausing = policy.model_copy(update={"pause_statuses": ("Waiting for customer",)})
    measure(
        "first sweep, clocks paused while waiting (0-6 status changes each)",
        with_status_histories(batch, now),
        pausing,
        now,
    )
    # The on-call person is inactive, so every L1 escalation also ranks the group's 20 members by open issues.
    agents = tuple(f"agent-{n}" for n in range(20))
    roster = Roster({"agents": agents}, workload(batch))
    measure("first sweep, L1 a rotation then a least_loaded group", batch, routed_policy(policy), now, roster)


if __name__ == "__main__":
    main()
