"""The JQL a sweep searches: the scope narrowed by a shard's clause and by age, and over HTTP, that the age
filter leaves out exactly the issues too young to be due (none the full scope would escalate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escalator.core import evaluate, youngest_actionable_age
from escalator.core.policy import Policy
from escalator.jira import JiraAdapter
from escalator.jira.scope import split_order_by, sweep_jql
from jira_sandbox.testing import Sandbox

from .conftest import settings_for, unique


@pytest.mark.parametrize(
    ("scope", "older_than", "clause", "expected"),
    [
        ("project = OPS", None, None, "project = OPS"),
        ("project = OPS", timedelta(hours=2), None, '(project = OPS) AND created <= "-115m"'),
        ("project = OPS", timedelta(minutes=4), None, "project = OPS"),  # inside the clock-skew margin
        ("project = OPS OR labels = x", None, "project = ENG", "(project = OPS OR labels = x) AND (project = ENG)"),
        (
            "project = OPS order by priority DESC",
            timedelta(days=1),
            "key > OPS-1",
            '(project = OPS) AND (key > OPS-1) AND created <= "-1435m" order by priority DESC',
        ),
    ],
)
def test_sweep_jql(scope: str, older_than: timedelta | None, clause: str | None, expected: str) -> None:
    assert sweep_jql(scope, older_than=older_than, clause=clause) == expected


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = OPS", ("project = OPS", "")),
        ("project = OPS ORDER BY key", ("project = OPS", "ORDER BY key")),
        ('summary ~ "order by" AND project = OPS', ('summary ~ "order by" AND project = OPS', "")),
        ("summary ~ 'sort, order by x' order by created", ("summary ~ 'sort, order by x'", "order by created")),
        ('summary ~ "a \\" order by" ORDER BY key', ('summary ~ "a \\" order by"', "ORDER BY key")),
    ],
)
def test_order_by_is_found_outside_quoted_strings(jql: str, expected: tuple[str, str]) -> None:
    assert split_order_by(jql) == expected


def test_the_age_filter_keeps_every_issue_the_full_scope_would_escalate(sandbox: Sandbox) -> None:
    label = unique("young")
    now = datetime.now(UTC)
    ages = [timedelta(minutes=m) for m in (5, 50, 119, 126, 180, 600, 3000)]
    keys = sandbox.add_issues(*({"project": "OPS", "labels": [label], "created": now - age} for age in ages))
    policy = Policy.model_validate(
        {
            "name": "young",
            "version": "1",
            "scope": f"labels = {label}",
            "categories": [
                {
                    "name": "all",
                    "levels": [
                        {"name": "L1", "window": "2h", "owners": ["x"]},
                        {"name": "L2", "window": "8h", "owners": ["y"]},
                    ],
                }
            ],
            "calendars": [
                {
                    "name": "always",
                    "timezone": "UTC",
                    "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "working_hours": [{"start": "00:00", "end": "24:00"}],
                }
            ],
            "default_calendar": "always",
        }
    )
    narrowed = sweep_jql(policy.scope, older_than=youngest_actionable_age(policy))
    with JiraAdapter.connect(settings_for(sandbox)) as jira:
        everything = [i for page in jira.policy_pages(policy) for i in page.issues]
        searched = [i for page in jira.policy_pages(policy, jql=narrowed) for i in page.issues]
    assert sorted(i.key for i in everything) == sorted(keys)
    assert sorted(i.key for i in searched) == sorted(keys[2:]), "only issues at least 2h minus the skew margin old"
    full_plan, narrow_plan = evaluate(everything, policy, now), evaluate(searched, policy, now)
    assert [d.issue_key for d in full_plan.escalations] == [d.issue_key for d in narrow_plan.escalations]
    assert len(full_plan.escalations) == 4  # 126 min and older
