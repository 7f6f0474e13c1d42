"""apply(decision) over HTTP in both modes: one PUT (two requests with notify), read back through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalator.core.decision import Actions, Decision
from escalator.core.issue import EscalationState
from escalator.jira import JiraAdapter, JiraPermissionError, JiraUnavailable, RetryPolicy
from jira_sandbox.demo import ALICE, BOB, HEIDI
from jira_sandbox.testing import Sandbox

from .conftest import NOW, person, settings_for, unique


def escalation(sandbox: Sandbox, key: str, *, notify: bool = False, priority_to: str | None = "Highest") -> Decision:
    bob = person(sandbox, BOB)
    return Decision(
        issue_key=key,
        outcome="escalate",
        reason_code="due",
        reason="4h at L1 exceeds the 2h window",
        category="incidents",
        from_level="L1",
        to_level="L2",
        actions=Actions(
            assignee_from=person(sandbox, ALICE),
            assignee_to=bob,
            priority_from="Medium",
            priority_to=priority_to,
            labels_add=("escalated", "escalated-l2"),
            notify_reporter=notify,
            notify_users=(bob,) if notify else (),
            comment="Escalated to L2 (bob): 4h at L1 exceeds the 2h window.",
        ),
        new_state=EscalationState(
            policy="ops",
            policy_version="3",
            category="incidents",
            level="L2",
            level_index=2,
            at=NOW,
            first_at=NOW - timedelta(hours=4),
            assignee_set=bob,
            priority_set=priority_to,
            run_id="run-7",
        ),
    )


def new_issue(sandbox: Sandbox) -> tuple[str, str]:
    label = unique("write")
    key = sandbox.add_issue(
        project="OPS", priority="Medium", assignee=ALICE.username, reporter=ALICE.username, labels=[label]
    )
    return key, label


def test_apply_is_one_put_and_really_changes_the_issue(sandbox: Sandbox, jira: JiraAdapter) -> None:
    key, label = new_issue(sandbox)
    decision = escalation(sandbox, key)
    applied = jira.apply(decision, run_link="https://prefect.example/runs/7")
    counts = sandbox.request_counts()
    assert (counts.write, counts.total) == (1, 1)
    assert (applied.requests, applied.notified) == (1, False)
    assert sandbox.outbox() == []

    (page,) = jira.search_pages(f"labels = {label}")
    (issue,) = page.issues
    assert issue.assignee == person(sandbox, BOB)
    assert issue.priority == "Highest"
    assert set(issue.labels) == {label, "escalated", "escalated-l2"}
    assert issue.state == decision.new_state
    assert issue.assignee_changed_at is not None and issue.assignee_changed_at == issue.priority_changed_at

    comments = sandbox.jira().comments(key)
    assert comments[-1].body == (
        "Escalated to L2 (bob): 4h at L1 exceeds the 2h window.\n\nRun: https://prefect.example/runs/7"
    )


def test_apply_with_notify_is_two_requests(sandbox: Sandbox, jira: JiraAdapter) -> None:
    key, _ = new_issue(sandbox)
    applied = jira.apply(escalation(sandbox, key, notify=True))
    counts = sandbox.request_counts()
    assert (counts.write, counts.total) == (2, 2)
    assert (applied.requests, applied.notified) == (2, True)
    (message,) = [m for m in sandbox.outbox() if m["issueKey"] == key]
    assert message["subject"] == f"{key} escalated to L2"
    assert set(message["recipients"]) == {ALICE.account_id, BOB.account_id}  # the reporter and bob


def test_unchanged_priority_is_not_sent(sandbox: Sandbox, jira: JiraAdapter) -> None:
    key, label = new_issue(sandbox)
    jira.apply(escalation(sandbox, key, priority_to=None))
    (page,) = jira.search_pages(f"labels = {label}")
    assert page.issues[0].priority == "Medium"
    assert page.issues[0].assignee == person(sandbox, BOB)


def test_user_who_may_not_edit_gets_permission_error(sandbox: Sandbox) -> None:
    key, _ = new_issue(sandbox)
    settings = settings_for(sandbox, email=HEIDI.user.email, token=HEIDI.token)
    with JiraAdapter.connect(settings) as heidi:
        sandbox.reset_requests()
        with pytest.raises(JiraPermissionError) as caught:
            heidi.apply(escalation(sandbox, key))
    assert caught.value.status == 403
    assert caught.value.messages  # Jira's own words are kept
    assert sandbox.request_counts().total == 1  # not retried
    assert HEIDI.token not in str(caught.value)


def test_write_that_may_have_landed_is_not_repeated(sandbox: Sandbox, jira: JiraAdapter) -> None:
    key, _ = new_issue(sandbox)
    sandbox.add_fault(status=502, method="PUT", path=f"/issue/{key}$", times=1)
    with pytest.raises(JiraUnavailable) as caught:
        jira.apply(escalation(sandbox, key))
    assert caught.value.maybe_applied
    assert sandbox.request_counts().write == 1


def test_refused_write_is_retried(sandbox: Sandbox, sleeps: list[float]) -> None:
    key, _ = new_issue(sandbox)
    sandbox.add_fault(status=429, retry_after=2, method="PUT", path=f"/issue/{key}$", times=1)
    policy = RetryPolicy()
    with JiraAdapter.connect(settings_for(sandbox), retry=policy, sleep=sleeps.append) as jira:
        sandbox.reset_requests()
        assert jira.apply(escalation(sandbox, key)).requests == 1
    (wait,) = sleeps  # at least Jira's 2 s, and at least the first backoff (5 s, jitter 30 %)
    assert max(2.0, policy.base_delay * 0.7) <= wait <= max(2.0, policy.base_delay) * 1.3
    assert sandbox.request_counts().write == 2
