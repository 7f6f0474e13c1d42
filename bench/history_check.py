"""The benchmark's check that reading the changelog only where it can change a decision gives the plan the whole
changelog gives (``escalator.sweep.histories``), on the benchmark's own workload: the sweep's read (pages without
the changelog, then the whole changelog of the issues ``HistoryNeed`` picks) against every issue with its whole
changelog (``changelog/bulkfetch`` for all of them), evaluated at one instant and compared with ``plan_differences``.
Not timed: run on the seeded sandbox before the measured sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def whole_history_issues(jira: Any, pages: list[Any]) -> tuple[list[Any], int, int]:
    """Every readable issue of ``pages`` with its whole changelog (one bulk read for all), how many issues the
    pages held readable, and the requests the bulk read took: the reference a selective read is compared with."""
    from escalator.jira.snapshot import history_fields
    from escalator.sweep.records import readable_issues

    issues, _ = readable_issues(pages)
    everything = jira.complete_changelogs({key: value for page in pages for key, value in page.ids.items()})
    whole = [
        issue.model_copy(update=history_fields(everything.found[issue.key], jira.deployment, jira.acting_user))
        for issue in issues
        if issue.key in everything.found
    ]
    return whole, len(issues), everything.requests


def compare_plans(url: str, email: str, token: str, policy_path: Path, page_size: int) -> dict[str, Any]:
    """The selective read against the whole changelog for the policy's whole scope; counts and differences."""
    from escalator.authoring.files import load_policies
    from escalator.core import evaluate
    from escalator.jira.adapter import JiraAdapter
    from escalator.jira.settings import JiraSettings
    from escalator.sweep.histories import plan_differences, read_with_histories

    (loaded,) = load_policies([policy_path])
    policy = loaded.policy
    settings = JiraSettings.model_validate({"url": url, "email": email, "api_token": token})
    with JiraAdapter.connect(settings) as jira:
        inactive = jira.preflight(policy, writes=False).inactive_users  # also learns escalator's own account
        now = datetime.now(UTC)
        pages = list(jira.policy_pages(policy, page_size=page_size, changelog=False))
        selective = read_with_histories(jira, pages, policy, now)
        whole, read, whole_requests = whole_history_issues(jira, pages)
    whole_plan = evaluate(whole, policy, now, inactive_users=inactive)
    selective_plan = evaluate(selective.issues, policy, now, inactive_users=inactive)
    differences = plan_differences(whole_plan, selective_plan, selective.fetched)
    return {
        "issues": read,
        "histories_needed": len(selective.fetched),
        "history_requests": selective.requests,
        "whole_history_requests": whole_requests,
        "escalations": len(whole_plan.escalations),
        "same_plan": not differences,
        "differences": differences[:5],
    }
