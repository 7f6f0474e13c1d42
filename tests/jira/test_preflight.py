"""preflight(policy) over HTTP in both modes: what it reports, every problem at once, and no writes."""

from __future__ import annotations

from typing import Any

import pytest

from escalator.core.policy import Policy
from escalator.jira import JiraAdapter, PreflightFailed
from jira_sandbox.demo import ADMIN, ALICE, BOB, FRANK
from jira_sandbox.testing import Sandbox

from .conftest import person


def policy(sandbox: Sandbox, **changes: Any) -> Policy:
    document: dict[str, Any] = {
        "name": "ops",
        "version": "1",
        "scope": "project = OPS AND statusCategory != Done",
        "priorities": ["Low", "Medium", "High", "Highest"],
        "categories": [
            {
                "name": "incidents",
                "match": {"fields": {"customfield_10010": ["S1"]}},
                "levels": [
                    {"name": "L1", "window": "2h", "owners": [person(sandbox, ALICE)]},
                    {
                        "name": "L2",
                        "window": "4h",
                        "owners": [person(sandbox, FRANK), person(sandbox, BOB)],
                        "priority": {"set": "Highest"},
                    },
                ],
            }
        ],
    }
    document.update(changes)
    return Policy.model_validate(document)


def test_a_fitting_policy_passes_and_reports_inactive_owners(sandbox: Sandbox, jira: JiraAdapter) -> None:
    report = jira.preflight(policy(sandbox))
    assert report.deployment == sandbox.mode
    assert report.user == person(sandbox, ADMIN)
    assert report.inactive_users == {person(sandbox, FRANK)}
    assert "Highest" in report.priorities
    assert report.scope_count is not None and report.scope_count > 0
    assert sandbox.request_counts().write == 0


def test_every_problem_is_listed_and_nothing_is_written(sandbox: Sandbox, jira: JiraAdapter) -> None:
    bad = policy(
        sandbox,
        scope="project = OPS AND (",
        priorities=["Low", "Medium", "High", "Urgent"],
        categories=[
            {
                "name": "incidents",
                "match": {"fields": {"customfield_99999": ["x"]}},
                "levels": [{"name": "L1", "window": "2h", "owners": ["nobody-here"]}],
            }
        ],
    )
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(bad)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    text = str(caught.value)
    assert "'Urgent' does not exist" in text
    assert "'nobody-here' does not exist" in text
    assert "customfield_99999" in text
    assert "scope JQL" in text
    assert sandbox.request_counts().write == 0
