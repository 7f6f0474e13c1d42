"""The real `jira` 3.10.5 client against the sandbox over HTTP, in Cloud and Server/DC mode: search with
auto-paging (both styles), get, assign, priority updates, comments, properties (including the inline
`properties` escalator writes and reads back through search), user lookup, the 429 retry path and the
error mapping."""

from __future__ import annotations

import json

import pytest
from jira import JIRA, JIRAError

from jira_sandbox import demo
from jira_sandbox.testing import Sandbox


def new_issue(jira: JIRA, project: str = "OPS", **fields: object) -> str:
    issue = jira.create_issue(project=project, summary="conformance test issue", issuetype={"name": "Bug"}, **fields)
    return str(issue.key)


def db_count(sandbox: Sandbox, sql: str) -> int:
    with sandbox.store.transaction() as db:
        return int(db.execute(sql).fetchone()[0])


def ops_count(sandbox: Sandbox) -> int:
    return db_count(sandbox, "SELECT COUNT(*) FROM issues WHERE key LIKE 'OPS-%'")


def test_mode_is_detected_from_server_info(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    assert jira.deploymentType == ("Cloud" if sandbox.mode == "cloud" else "Server")
    assert jira.server_info()["versionNumbers"]


def test_search_auto_pages_through_everything(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    sandbox.reset_requests()
    found = jira.search_issues("project = OPS ORDER BY key", maxResults=False, fields="summary,priority")
    expected = ops_count(sandbox)
    assert expected > 100  # more than one page of 100
    assert len(found) == expected
    assert len({issue.key for issue in found}) == expected
    assert [issue.key for issue in found][:2] == ["OPS-1", "OPS-2"]
    assert found[0].fields.priority.name in demo.PRIORITIES
    assert sandbox.request_counts().search == 2


def test_search_with_post(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    found = jira.search_issues("project = SUP", maxResults=False, fields="summary", use_post=True)
    assert len(found) == db_count(sandbox, "SELECT COUNT(*) FROM issues WHERE key LIKE 'SUP-%'")


def test_cloud_single_page_and_tokens(cloud: Sandbox) -> None:
    jira = cloud.jira()
    page = jira.enhanced_search_issues("project = OPS", maxResults=10, fields="summary")
    assert len(page) == 10
    assert page.nextPageToken
    second = jira.enhanced_search_issues("project = OPS", nextPageToken=page.nextPageToken, maxResults=10)
    assert not {i.key for i in page} & {i.key for i in second}
    assert jira.approximate_issue_count("project = OPS") == ops_count(cloud)
    with pytest.raises(JIRAError):
        jira.search_issues("project = OPS", startAt=5)  # refused by the client itself on Cloud


def test_server_search_reports_total(server: Sandbox) -> None:
    page = server.jira().search_issues("project = OPS", startAt=10, maxResults=20)
    assert len(page) == 20
    assert page.total == ops_count(server)
    assert page.startAt == 10


def test_get_issue_with_fields_and_changelog(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira, priority={"name": "Low"})
    jira.issue(key).update(fields={"priority": {"name": "High"}})
    issue = jira.issue(key, fields="summary,priority", expand="changelog")
    assert issue.fields.summary == "conformance test issue"
    assert issue.fields.priority.name == "High"
    assert not hasattr(issue.fields, "assignee")
    (history,) = issue.changelog.histories
    (item,) = history.items
    assert (item.field, item.fromString, item.toString, item.to) == ("priority", "Low", "High", "2")
    author = history.author.accountId if sandbox.mode == "cloud" else history.author.name
    assert author == ("acc-admin" if sandbox.mode == "cloud" else "admin")


def test_assign_issue_through_the_user_lookup(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira)
    # Cloud's user search matches display names and emails, never accountIds; Server's matches usernames.
    who = "alice@example.com" if sandbox.mode == "cloud" else "alice"
    assert jira.assign_issue(key, who)
    issue = jira.issue(key, expand="changelog")
    assert issue.fields.assignee.displayName == "Alice Adams"
    (item,) = issue.changelog.histories[-1].items
    assert item.field == "assignee"
    assert item.to == ("acc-alice" if sandbox.mode == "cloud" else "alice")
    assert item.toString == "Alice Adams"
    assert jira.assign_issue(key, None)
    assert jira.issue(key).fields.assignee is None


def test_assigning_an_inactive_user_fails(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira, project="SUP")
    if sandbox.mode == "cloud":
        with pytest.raises(JIRAError) as raised:
            jira.assign_issue(key, "frank@example.com")  # Cloud's search returns inactive users too
        assert raised.value.status_code == 400
        assert "cannot be assigned issues" in raised.value.text
    else:
        with pytest.raises(JIRAError, match="No matching user found"):
            jira.assign_issue(key, "frank")  # includeInactive=False hides frank
        with pytest.raises(JIRAError) as raised:
            jira.issue(key).update(fields={"assignee": {"name": "frank"}})
        assert raised.value.status_code == 400


def test_update_priority_labels_comment_and_properties_in_one_put(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira)
    user = {"accountId": "acc-bob"} if sandbox.mode == "cloud" else {"name": "bob"}
    # `Issue.update(properties=[...])` would file the list under `update`; escalator PUTs the body itself.
    body = {
        "fields": {"assignee": user, "priority": {"name": "Highest"}, "labels": ["escalated"]},
        "update": {"comment": [{"add": {"body": "Escalated to L2"}}]},
        "properties": [{"key": "escalator.state", "value": {"level": 2, "policy": "outage"}}],
    }
    response = jira._session.put(jira._get_url(f"issue/{key}"), data=json.dumps(body))
    assert response.status_code == 204
    issue = jira.issue(key)
    assert issue.fields.priority.name == "Highest"
    assert issue.fields.labels == ["escalated"]
    assert [c.body for c in jira.comments(key)] == ["Escalated to L2"]
    assert jira.issue_property(key, "escalator.state").raw["value"] == {"level": 2, "policy": "outage"}
    raw = jira.search_issues(f"key = {key}", fields="priority", properties="escalator.state", json_result=True)
    (found,) = raw["issues"]
    assert found["properties"] == {"escalator.state": {"level": 2, "policy": "outage"}}
    changed = jira.issue(key, expand="changelog").changelog.histories[-1]
    assert {item.field for item in changed.items} == {"assignee", "priority", "labels"}


def test_issue_properties_lifecycle(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira)
    jira.add_issue_property(key, "escalator.state", {"level": 1})
    jira.add_issue_property(key, "escalator.state", {"level": 2})
    jira.add_issue_property(key, "other", ["x"])
    assert sorted(p.key for p in jira.issue_properties(key)) == ["escalator.state", "other"]
    jira.issue_property(key, "other").delete()
    with pytest.raises(JIRAError) as raised:
        jira.issue_property(key, "other")
    assert raised.value.status_code == 404


def test_comments(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    key = new_issue(jira)
    comment = jira.add_comment(key, "first")
    assert comment.body == "first"
    assert comment.author.displayName == "Sandbox Admin"
    assert [c.body for c in jira.comments(key)] == ["first"]


def test_user_lookup(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    if sandbox.mode == "cloud":
        alice = jira.user("acc-alice")
        assert alice.accountId == "acc-alice"
        found = jira.search_users(query="Frank")
        assert [(u.accountId, u.active) for u in found] == [("acc-frank", False)]
        assert jira.current_user() == "acc-admin"
    else:
        alice = jira.user("alice")
        assert alice.name == "alice"
        assert jira.search_users(user="frank") == []
        found = jira.search_users(user="frank", includeInactive=True)
        assert [(u.name, u.active) for u in found] == [("frank", False)]
        assert jira.current_user() == "admin"
    assert alice.displayName == "Alice Adams"
    assert jira.myself()["emailAddress"] == "admin@example.com"


def test_priorities(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    assert [(p.id, p.name) for p in jira.priorities()] == [(str(i), n) for i, n in enumerate(demo.PRIORITIES, 1)]
    assert jira.priority("2").name == "High"


def test_bulk_create(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    created = jira.create_issues(
        [
            {"project": {"key": "ENG"}, "summary": "one", "issuetype": {"name": "Task"}},
            {"project": {"key": "ENG"}, "summary": "two", "issuetype": {"name": "Story"}, "labels": ["x"]},
        ]
    )
    assert [c["status"] for c in created] == ["Success", "Success"]
    assert jira.issue(created[1]["issue"].key).fields.labels == ["x"]


def test_429_is_retried(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    sandbox.add_fault(status=429, retry_after=1, path="/search", times=2)
    sandbox.reset_requests()
    found = jira.search_issues("project = ENG", maxResults=5)
    assert len(found) == 5
    counts = sandbox.request_counts()
    assert counts.search == 3
    assert counts.by_status[429] == 2


def test_503_with_retry_after_is_retried_but_without_is_not(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    sandbox.add_fault(status=503, retry_after=0, path="/myself", times=1)
    assert jira.myself()["active"] is True
    sandbox.clear_faults()
    sandbox.add_fault(status=503, path="/myself", times=1)
    with pytest.raises(JIRAError) as raised:
        jira.myself()
    assert raised.value.status_code == 503


def test_error_mapping(sandbox: Sandbox) -> None:
    jira = sandbox.jira()
    with pytest.raises(JIRAError) as missing:
        jira.issue("OPS-999999")
    assert missing.value.status_code == 404
    assert "Issue does not exist or you do not have permission to see it." in missing.value.text
    with pytest.raises(JIRAError) as bad_jql:
        jira.search_issues("project = OPS AND", maxResults=1)
    assert bad_jql.value.status_code == 400
    assert "Error in the JQL Query" in bad_jql.value.text
    with pytest.raises(JIRAError) as unknown_field:
        jira.search_issues("severity_level = 3", maxResults=1)
    assert "Field 'severity_level' does not exist" in unknown_field.value.text


def test_a_browse_only_user_gets_403(sandbox: Sandbox) -> None:
    admin = sandbox.jira()
    key = new_issue(admin)
    heidi = sandbox.jira(user=demo.HEIDI.user.email, token=demo.HEIDI.token)
    assert heidi.issue(key).key == key
    with pytest.raises(JIRAError) as raised:
        heidi.issue(key).update(fields={"priority": {"name": "High"}})
    assert raised.value.status_code == 403
    user = {"accountId": "acc-bob"} if sandbox.mode == "cloud" else {"name": "bob"}
    with pytest.raises(JIRAError) as assign:
        heidi._session.put(heidi._get_latest_url(f"issue/{key}/assignee"), data=json.dumps(user))
    assert assign.value.status_code == 403


def test_wrong_credentials_are_401(sandbox: Sandbox) -> None:
    with pytest.raises(JIRAError) as raised:
        sandbox.jira(token="wrong").myself()
    assert raised.value.status_code == 401
