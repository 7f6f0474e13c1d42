"""Partitioned reads: disjoint slices of the scope, paged concurrently, together exactly the scope; and the
pacer that keeps concurrent requests under Jira's rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalator.core.policy import Policy
from escalator.jira import JiraAdapter
from escalator.jira.pacing import Pacer
from jira_sandbox.testing import Sandbox

from .conftest import NOW, settings_for, unique


def policy_for(scope: str) -> Policy:
    return Policy.model_validate(
        {
            "name": "partitions",
            "version": "1",
            "scope": scope,
            "categories": [{"name": "all", "levels": [{"name": "L1", "window": "1h", "owners": ["x"]}]}],
        }
    )


def test_slices_together_are_exactly_the_scope(sandbox: Sandbox) -> None:
    label = unique("slices")
    keys = sandbox.add_issues(
        *(
            {"project": "ENG", "labels": [label], "created": NOW - timedelta(days=40) + timedelta(hours=7 * n)}
            for n in range(230)
        )
    )
    policy = policy_for(f"labels = {label}")
    with JiraAdapter.connect(settings_for(sandbox)) as jira:
        slices = jira.created_slices(policy.scope, 4)
        assert slices is not None and len(slices) == 4
        sandbox.reset_requests()
        seen = [issue.key for page in jira.policy_pages(policy, page_size=50, partitions=4) for issue in page.issues]
    assert sorted(seen) == sorted(keys), "every issue exactly once"
    searches = sandbox.request_counts().search
    assert 2 + 4 <= searches <= 2 + 4 + 230 // 50 + 4, searches  # two edge lookups, then about one per page


def test_a_scope_with_its_own_order_or_no_issues_is_not_sliced(sandbox: Sandbox) -> None:
    with JiraAdapter.connect(settings_for(sandbox)) as jira:
        assert jira.created_slices("project = ENG ORDER BY key", 4) is None
        assert jira.created_slices(f"labels = {unique('none')}", 4) is None


def test_an_error_in_one_slice_is_raised_to_the_reader(sandbox: Sandbox) -> None:
    label = unique("broken")
    sandbox.add_issues(*({"project": "ENG", "labels": [label], "created": NOW - timedelta(days=n)} for n in range(60)))
    policy = policy_for(f"labels = {label}")
    with JiraAdapter.connect(settings_for(sandbox), sleep=lambda _: None) as jira:
        sandbox.add_fault(status=400, method="POST", path="/search", skip=3, message="boom")
        with pytest.raises(Exception, match="boom"):
            list(jira.policy_pages(policy, page_size=10, partitions=3))


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))


def test_the_pacer_spaces_starts_at_its_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(50, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pacer.wait()
    assert clock.slept == [0.02, 0.04, 0.06]
    clock.now = 10.0  # after a quiet spell no debt is carried over
    pacer.wait()
    assert clock.slept == [0.02, 0.04, 0.06]


def test_no_rate_means_no_waiting_and_a_bad_rate_is_refused() -> None:
    clock = FakeClock()
    Pacer(None, clock=clock, sleep=clock.sleep).wait()
    assert clock.slept == []
    with pytest.raises(ValueError):
        Pacer(0)
