"""How much of a sweep's wall time Prefect orchestration costs: the sweep flow (dry run) against the same
pipeline called directly, without Prefect, on the sandbox seeded with N issues. Prints numbers; not a test.

Run from the project root: `uv run python bench/sweep_overhead.py [N]` (default 10,000).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from escalator.authoring.files import load_policies
from escalator.cli.demo_channel import delete_channel, running_chat_room, save_channel
from escalator.core import evaluate, merge_plans
from escalator.jira.adapter import JiraAdapter
from escalator.jira.settings import JiraSettings
from escalator.sweep.apply import DryRunWriter, apply_decisions
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import running_sandbox

POLICIES = [Path("policies/outage.yaml"), Path("policies/support.yaml")]


def direct(settings: JiraSettings) -> tuple[float, int, int]:
    """The same reads, evaluation and (dry) apply, without Prefect."""
    started = time.perf_counter()
    issues = escalations = 0
    with JiraAdapter.connect(settings) as jira:
        for loaded in load_policies(POLICIES):
            inactive = jira.preflight(loaded.policy).inactive_users
            now = datetime.now(UTC)
            parts = []
            for page in jira.policy_pages(loaded.policy):
                issues += len(page.issues)
                parts.append(evaluate(page.issues, loaded.policy, now, inactive_users=inactive, keep=frozenset()))
            plan = merge_plans(parts, loaded.policy)
            escalations += len(plan.escalations)
            apply_decisions(plan.decisions, DryRunWriter())
    return time.perf_counter() - started, issues, escalations


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    from prefect.flows import load_flow_from_entrypoint

    sweep = load_flow_from_entrypoint("flows/escalate.py:escalate")
    with running_sandbox(mode="cloud", seed=count) as sandbox, running_chat_room() as room:
        os.environ.update({"JIRA_URL": sandbox.url, "JIRA_EMAIL": sandbox.user, "JIRA_API_TOKEN": sandbox.token})
        settings = JiraSettings.from_env()
        params = SweepParameters(policies=[str(p) for p in POLICIES], dry_run=True)
        save_channel(room.url)  # the block the outage policy names must exist, dry run too (it sends nothing)
        sweep(params, return_state=True)  # warm-up: starts the local Prefect API, fills the sandbox's caches
        plain, issues, escalations = min(direct(settings) for _ in range(2))[0], *direct(settings)[1:]
        flow_times = []
        for _ in range(2):
            started = time.perf_counter()
            state = sweep(params, return_state=True)
            flow_times.append(time.perf_counter() - started)
            assert state.is_completed(), state.message
        flowed = min(flow_times)
        delete_channel()
    overhead = flowed - plain
    print(f"sweep of {issues:,} issues ({escalations:,} escalations planned, dry run), sandbox without latency")
    print(f"  without Prefect: {plain:.2f} s")
    print(f"  as a Prefect flow: {flowed:.2f} s (best of 2, after a warm-up run)")
    print(f"  orchestration overhead: {overhead:.2f} s = {overhead / flowed:.0%} of the flow's wall time")


if __name__ == "__main__":
    main()
