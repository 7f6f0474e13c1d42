"""Reading escalated issues' histories for the audit report, over HTTP in both modes: one search per 100 keys,
keys Jira does not have left out (and named), keys that are not keys never searched, the changelog's authors,
comments and resolution read as Jira keeps them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalator.jira import JiraAdapter, JiraBadRequest
from escalator.jira.history import keys_jql, missing_keys
from jira_sandbox.demo import ALICE, CAROL
from jira_sandbox.testing import Sandbox

from .conftest import NOW, person, unique


def test_one_search_per_hundred_keys(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("history-batch")
    keys = sandbox.add_issues(*({"project": "ENG", "labels": [label]} for _ in range(150)))
    sandbox.reset_requests()
    answer = jira.issue_histories(keys)
    assert sorted(answer.found) == sorted(keys) and answer.missing == () and answer.problems == ()
    assert sandbox.request_counts().search == 2  # 100 + 50


def test_created_resolution_changelog_and_comments(sandbox: Sandbox, jira: JiraAdapter) -> None:
    created = NOW - timedelta(days=3)
    key = sandbox.add_issue(
        project="SUP",
        status="Done",
        resolutiondate=NOW - timedelta(days=1),
        assignee="alice",
        created=created,
        changelog=[
            {
                "author": "carol",
                "created": NOW - timedelta(days=2),
                "items": [{"field": "assignee", "from": None, "to": "alice"}],
            }
        ],
        comments=[{"author": "alice", "body": "on it", "created": NOW - timedelta(hours=30)}],
    )
    history = jira.issue_histories([key]).found[key]
    assert history.created == created and history.resolved_at == NOW - timedelta(days=1) and history.resolved
    assert history.assignee == person(sandbox, ALICE)
    (change,) = history.changes
    assert (change.field, change.author, change.from_value) == ("assignee", person(sandbox, CAROL), None)
    assert history.first_owned_at().at == NOW - timedelta(days=2)
    assert [(c.at, c.author) for c in history.comments] == [(NOW - timedelta(hours=30), person(sandbox, ALICE))]
    assert history.changes_complete and history.comments_complete


def test_keys_jira_does_not_have_are_named_and_the_rest_still_read(sandbox: Sandbox, jira: JiraAdapter) -> None:
    # a Bug, a type OPS has already: the preflight tests of this session expect the demo's issue types in OPS
    key = sandbox.add_issue(project="OPS", issuetype="Bug", labels=[unique("history-missing")])
    answer = jira.issue_histories([key, "OPS-999999", "NOPE-1", "ops-1; DROP", 'A-1" OR key is not empty'])
    assert list(answer.found) == [key]
    assert answer.missing == ("NOPE-1", "OPS-999999")
    assert answer.invalid == ('A-1" OR key is not empty', "ops-1; DROP")  # never put into JQL
    assert sandbox.request_counts().search == 3  # one refused per missing key named, then the rest


def test_who_the_credentials_act_as(sandbox: Sandbox, jira: JiraAdapter) -> None:
    assert jira.current_user() == ("acc-admin" if sandbox.mode == "cloud" else "admin")


def test_other_bad_requests_are_raised_not_taken_for_missing_keys() -> None:
    assert missing_keys(["An issue with key 'X-1' does not exist for field 'key'."]) == ["X-1"]
    assert missing_keys(["An issue with key 'X-1' does not exist", "Field 'foo' does not exist"]) is None
    assert missing_keys([]) is None
    with pytest.raises(ValueError, match="not Jira issue keys"):
        keys_jql(["X-1", "x-2"])
    assert keys_jql(["X-1", "AB_2-30"]) == 'key in ("X-1", "AB_2-30")'


def test_a_search_jira_refuses_for_another_reason_is_raised(sandbox: Sandbox, jira: JiraAdapter) -> None:
    key = sandbox.add_issue(project="OPS", issuetype="Bug", labels=[unique("history-refused")])
    sandbox.add_fault(status=400, path="/search", message="Something else is wrong with this query.")
    with pytest.raises(JiraBadRequest, match="Something else is wrong"):
        jira.issue_histories([key])
