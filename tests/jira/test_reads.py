"""Reading issues over HTTP in both modes: paging, field mapping, the state property, the changelog."""

from __future__ import annotations

from datetime import timedelta

from escalator.core.issue import STATE_PROPERTY_KEY, EscalationState
from escalator.core.policy import Policy
from escalator.jira import JiraAdapter
from jira_sandbox.demo import ALICE, BOB, DAVE
from jira_sandbox.testing import Sandbox

from .conftest import NOW, person, unique


def test_pages_one_request_each_and_every_issue_once(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("paging")
    keys = sandbox.add_issues(*({"project": "OPS", "labels": [label]} for _ in range(230)))
    sandbox.reset_requests()
    pages = list(jira.search_pages(f"labels = {label}", page_size=100))
    assert [len(page.issues) for page in pages] == [100, 100, 30]
    seen = [issue.key for page in pages for issue in page.issues]
    assert sorted(seen) == sorted(keys)
    counts = sandbox.request_counts()
    assert (counts.search, counts.total) == (3, 3)


def test_empty_result_is_one_empty_page(sandbox: Sandbox, jira: JiraAdapter) -> None:
    pages = list(jira.search_pages(f"labels = {unique('nothing')}"))
    assert [page.issues for page in pages] == [[]]
    assert sandbox.request_counts().total == 1


def test_snapshot_fields_state_and_changelog(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("mapping")
    state = EscalationState(
        policy="ops",
        policy_version="3",
        category="incidents",
        level="L2",
        level_index=2,
        at=NOW - timedelta(hours=5),
        first_at=NOW - timedelta(days=1),
        assignee_set=person(sandbox, BOB),
        priority_set="High",
        escalations=2,
        run_id="run-1",
    )
    created = NOW - timedelta(days=2)
    key = sandbox.add_issue(
        project="OPS",
        issuetype="Incident",
        status="In Progress",
        priority="High",
        assignee=ALICE.username,
        reporter=DAVE.username,
        labels=[label, "outage"],
        components=["network", "database"],
        custom_fields={"customfield_10010": "S1", "customfield_10011": 12},
        created=created,
        properties={STATE_PROPERTY_KEY: state.model_dump(mode="json")},
        changelog=[
            {
                "created": NOW - timedelta(hours=10),
                "items": [{"field": "priority", "from": "Medium", "to": "High"}],
            },
            {
                "created": NOW - timedelta(hours=3),
                "items": [{"field": "assignee", "from": BOB.username, "to": ALICE.username}],
            },
        ],
    )
    sandbox.reset_requests()
    (page,) = jira.search_pages(f"labels = {label}", custom_fields=["customfield_10010", "customfield_10011"])
    assert page.problems == []
    (issue,) = page.issues
    assert issue.key == key
    assert (issue.project, issue.issue_type, issue.status, issue.status_category) == (
        "OPS",
        "Incident",
        "In Progress",
        "indeterminate",
    )
    assert issue.priority == "High"
    assert issue.assignee == person(sandbox, ALICE)
    assert issue.reporter == person(sandbox, DAVE)
    assert issue.labels == tuple(sorted([label, "outage"]))
    assert issue.components == ("database", "network")
    assert issue.fields == {"customfield_10010": "S1", "customfield_10011": 12}
    assert issue.created == created
    assert issue.updated is not None and issue.updated >= NOW - timedelta(hours=3)
    assert issue.priority_changed_at == NOW - timedelta(hours=10)
    assert issue.assignee_changed_at == NOW - timedelta(hours=3)
    assert issue.state == state
    assert sandbox.request_counts().total == 1


def test_a_policy_search_leaves_out_the_reporter_a_backlog_search_keeps(sandbox: Sandbox, jira: JiraAdapter) -> None:
    """The core never reads the reporter: a sweep's search (``policy_pages``) does not ask Jira for it, while a
    plain search (a backlog snapshot's, for rehearsals) still does."""
    label = unique("reporter")
    key = sandbox.add_issue(project="OPS", labels=[label], assignee=ALICE.username, reporter=DAVE.username)
    policy = Policy.model_validate(
        {
            "name": "reporter",
            "version": "1",
            "scope": f"labels = {label}",
            "categories": [{"name": "all", "levels": [{"name": "L1", "window": "1h", "owners": ["x"]}]}],
        }
    )
    ((swept,),) = [page.issues for page in jira.policy_pages(policy)]
    ((searched,),) = [page.issues for page in jira.search_pages(policy.scope)]
    assert swept.key == searched.key == key
    assert (swept.reporter, searched.reporter) == (None, person(sandbox, DAVE))
    assert swept == searched.model_copy(update={"reporter": None}), "everything else read the same"
    assert {name for page in jira.policy_pages(policy) for name in page.people.values()} == {ALICE.user.display_name}


def test_searches_with_the_endpoint_of_the_deployment(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.add_issue(project="OPS", labels=[label := unique("fields")], summary="not needed")
    sandbox.reset_requests()
    list(jira.search_pages(f"labels = {label}"))
    (record,) = sandbox.requests()
    assert record.method == "POST"
    assert record.path.endswith("/search/jql" if sandbox.mode == "cloud" else "/search")


def test_malformed_state_property_is_reported_not_fatal(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("badstate")
    bad = sandbox.add_issue(project="SUP", labels=[label], properties={STATE_PROPERTY_KEY: {"level": 2}})
    good = sandbox.add_issue(project="SUP", labels=[label])
    (page,) = jira.search_pages(f"labels = {label}")
    assert sorted(issue.key for issue in page.issues) == sorted([bad, good])
    assert all(issue.state is None for issue in page.issues)
    assert page.problems == []  # the issue is read, and the core decides without the state it cannot trust
    problems = {issue.key: issue.state_problem for issue in page.issues}
    assert problems[good] is None
    assert problems[bad] and "escalation state is unreadable" in problems[bad] and "policy" in problems[bad]
