"""Partitioned reads: disjoint slices of the scope, paged concurrently, together exactly the scope; and the
pacer that keeps concurrent requests under Jira's rate limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from escalator.core.policy import Policy
from escalator.jira import JiraAdapter, SearchPage
from escalator.jira.adapter import partitioned_pages
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


def test_more_slices_than_readers_still_read_every_issue_once(sandbox: Sandbox) -> None:
    label = unique("readers")
    keys = sandbox.add_issues(
        *({"project": "ENG", "labels": [label], "created": NOW - timedelta(hours=5 * n)} for n in range(120))
    )
    policy = policy_for(f"labels = {label}")
    with JiraAdapter.connect(settings_for(sandbox)) as jira:
        sandbox.reset_requests()
        pages = jira.policy_pages(policy, page_size=10, partitions=2, slices=6)
        seen = [issue.key for page in pages for issue in page.issues]
    assert sorted(seen) == sorted(keys), "every issue exactly once"
    assert 2 + 6 <= sandbox.request_counts().search <= 2 + 120 // 10 + 6  # each of six slices ends on a part page


def test_each_reader_pages_one_search_at_a_time_and_takes_the_next_when_it_ends() -> None:
    active, most = 0, 0
    lock = threading.Lock()
    started: list[int] = []

    def search(number: int, pages: int) -> Iterator[SearchPage]:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
            started.append(number)
        try:
            for page in range(pages):
                yield SearchPage([], [], ids={f"S{number}-{page}": "1"})
        finally:
            with lock:
                active -= 1

    sizes = [30, 2, 2, 2, 2, 2]  # one long search: the other reader takes the five short ones meanwhile
    read = [
        key
        for page in partitioned_pages([search(n, size) for n, size in enumerate(sizes)], readers=2)
        for key in page.ids
    ]
    assert sorted(read) == sorted(f"S{n}-{page}" for n, size in enumerate(sizes) for page in range(size))
    assert most <= 2, "never more searches at once than readers"
    assert sorted(started) == list(range(len(sizes))), "every search read, each by one reader"


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
