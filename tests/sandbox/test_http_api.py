"""The REST surface over plain HTTP (no client library): auth, error shapes, both search styles' paging
rules, property status codes and limits, notify and its outbox, the changelog endpoint, v3 ADF bodies,
returnIssue and notifyUsers."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jira_sandbox import demo
from jira_sandbox.testing import Sandbox


def call(sandbox: Sandbox, method: str, path: str, *, auth: Any = None, **kwargs: Any) -> requests.Response:
    version = "" if path.startswith("/") else "/rest/api/2/"
    return requests.request(method, f"{sandbox.url}{version}{path}", auth=auth or sandbox.auth, timeout=10, **kwargs)


def new_issue(sandbox: Sandbox, **fields: Any) -> str:
    body = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}, "summary": "http test", **fields}}
    response = call(sandbox, "POST", "issue", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def assert_jira_error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errorMessages", "errors"}
    return dict(body)


def test_auth_basic_by_email_or_username_and_bearer(sandbox: Sandbox) -> None:
    assert call(sandbox, "GET", "myself").status_code == 200
    assert call(sandbox, "GET", "myself", auth=("admin", sandbox.token)).status_code == 200
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    assert requests.get(f"{sandbox.url}/rest/api/2/myself", headers=headers, timeout=10).status_code == 200
    alice = call(sandbox, "GET", "myself", auth=(demo.ALICE.user.email, demo.ALICE.token)).json()
    assert alice["displayName"] == "Alice Adams"


def test_401_without_or_with_wrong_credentials(sandbox: Sandbox) -> None:
    assert_jira_error(requests.get(f"{sandbox.url}/rest/api/2/myself", timeout=10), 401)
    assert_jira_error(call(sandbox, "GET", "myself", auth=("admin@example.com", "nope")), 401)
    inactive = (demo.FRANK.user.email, demo.FRANK.token)
    assert_jira_error(call(sandbox, "GET", "myself", auth=inactive), 401)
    assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=10).status_code == 200  # anonymous


def test_versions_latest_and_3(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    for version in ("2", "latest", "3"):
        response = call(sandbox, "GET", f"/rest/api/{version}/issue/{key}")
        assert response.status_code == 200
    assert_jira_error(call(sandbox, "GET", f"/rest/api/9/issue/{key}"), 404)


def test_unknown_route_and_bad_json_keep_jira_shape(sandbox: Sandbox) -> None:
    assert_jira_error(call(sandbox, "GET", "no/such/thing"), 404)
    key = new_issue(sandbox)
    bad = call(sandbox, "PUT", f"issue/{key}", data="{not json", headers={"Content-Type": "application/json"})
    assert_jira_error(bad, 400)
    assert_jira_error(call(sandbox, "GET", "issue/OPS-999999"), 404)


def test_cloud_search_jql_paging(cloud: Sandbox) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params: dict[str, Any] = {"jql": "project = ENG ORDER BY key", "maxResults": 25}
        if token:
            params["nextPageToken"] = token
        body = call(cloud, "GET", "search/jql", params=params).json()
        pages += 1
        seen += [issue["id"] for issue in body["issues"]]
        assert set(body["issues"][0]) == {"expand", "id", "self", "key", "fields"}
        assert body["issues"][0]["fields"] == {}  # fields default to `id`
        token = body.get("nextPageToken")
        assert body["isLast"] is (token is None)
        if token is None:
            break
    assert len(seen) == len(set(seen))
    assert pages == -(-len(seen) // 25)


def test_cloud_search_jql_rules(cloud: Sandbox) -> None:
    for value in (0, 5001):
        body = assert_jira_error(
            call(cloud, "GET", "search/jql", params={"jql": "project = OPS", "maxResults": value}), 400
        )
        assert body["errorMessages"] == ["The max results parameter has to be between 1 and 5,000."]
    body = assert_jira_error(call(cloud, "GET", "search/jql", params={"jql": "order by created"}), 400)
    assert "Unbounded JQL queries are not allowed here" in body["errorMessages"][0]
    token_error = call(cloud, "GET", "search/jql", params={"jql": "project = OPS", "nextPageToken": "garbage"})
    assert assert_jira_error(token_error, 400)["errorMessages"] == [
        "The provided next page token is invalid or expired."
    ]
    many = call(cloud, "POST", "search/jql", json={"jql": "project = OPS", "maxResults": 500, "fields": ["summary"]})
    assert len(many.json()["issues"]) == 100  # trimmed when fields are requested
    ids_only = call(cloud, "POST", "search/jql", json={"jql": "project = OPS", "maxResults": 500, "fields": None})
    assert len(ids_only.json()["issues"]) > 100
    nulls = {"jql": "project = OPS", "fields": ["summary"], "expand": None, "properties": None, "reconcileIssues": []}
    assert call(cloud, "POST", "search/jql", json=nulls).status_code == 200


def test_cloud_legacy_search_is_gone(cloud: Sandbox) -> None:
    for method in ("GET", "POST"):
        body = assert_jira_error(call(cloud, method, "search", params={"jql": "project = OPS"}, json={}), 410)
        assert "CHANGE-2046" in body["errorMessages"][0]


def test_server_search(server: Sandbox) -> None:
    body = call(server, "GET", "search", params={"jql": "project = ENG", "startAt": 5, "maxResults": 7}).json()
    assert (body["startAt"], body["maxResults"], len(body["issues"])) == (5, 7, 7)
    assert body["total"] > 12
    assert "summary" in body["issues"][0]["fields"]  # fields default to *navigable
    assert "comment" not in body["issues"][0]["fields"]
    assert call(server, "GET", "search/jql", params={"jql": "project = ENG"}).status_code == 404
    post = call(
        server,
        "POST",
        "search",
        json={
            "jql": "project = ENG",
            "startAt": 0,
            "validateQuery": True,
            "fields": ["summary"],
            "expand": None,
            "maxResults": 3,
        },
    )
    assert len(post.json()["issues"]) == 3


def test_search_returns_requested_properties_and_changelog(sandbox: Sandbox) -> None:
    key = new_issue(sandbox, priority={"name": "Low"})
    assert call(sandbox, "PUT", f"issue/{key}/properties/escalator.state", json={"level": 1}).status_code == 201
    call(sandbox, "PUT", f"issue/{key}", json={"fields": {"priority": {"name": "High"}}})
    path, body = ("search/jql", "nextPageToken") if sandbox.mode == "cloud" else ("search", "startAt")
    params = {
        "jql": f"key = {key}",
        "fields": "priority",
        "properties": "escalator.state,absent",
        "expand": "changelog",
    }
    (issue,) = call(sandbox, "GET", path, params=params).json()["issues"]
    assert issue["properties"] == {"escalator.state": {"level": 1}}
    (history,) = issue["changelog"]["histories"]
    assert history["items"][0]["field"] == "priority"
    assert {"author", "created", "items", "id"} <= set(history)
    assert body  # both styles checked above


def test_property_status_codes_and_limits(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    assert call(sandbox, "PUT", f"issue/{key}/properties/p", json={"a": 1}).status_code == 201
    assert call(sandbox, "PUT", f"issue/{key}/properties/p", json={"a": 2}).status_code == 200
    assert call(sandbox, "PUT", f"issue/{key}/properties/s", json="plain string").status_code == 201
    assert call(sandbox, "GET", f"issue/{key}/properties/s").json() == {"key": "s", "value": "plain string"}
    keys = call(sandbox, "GET", f"issue/{key}/properties").json()["keys"]
    assert [k["key"] for k in keys] == ["p", "s"]
    assert_jira_error(call(sandbox, "PUT", f"issue/{key}/properties/big", json="x" * 40_000), 400)
    assert_jira_error(call(sandbox, "PUT", f"issue/{key}/properties/{'k' * 300}", json=1), 400)
    assert_jira_error(call(sandbox, "PUT", f"issue/{key}/properties/empty", data=b""), 400)
    assert call(sandbox, "DELETE", f"issue/{key}/properties/p").status_code == 204
    assert_jira_error(call(sandbox, "DELETE", f"issue/{key}/properties/p"), 404)
    assert_jira_error(call(sandbox, "GET", f"issue/{key}/properties/p"), 404)


def test_edit_with_return_issue_and_notify_users(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    returned = call(sandbox, "PUT", f"issue/{key}", params={"returnIssue": "true"}, json={"fields": {"labels": ["a"]}})
    assert returned.status_code == 200
    assert returned.json()["fields"]["labels"] == ["a"]
    assert (
        call(
            sandbox, "PUT", f"issue/{key}", params={"notifyUsers": "false"}, json={"fields": {"labels": []}}
        ).status_code
        == 204
    )
    alice = (demo.ALICE.user.email, demo.ALICE.token)
    quiet = call(
        sandbox, "PUT", f"issue/{key}", params={"notifyUsers": "false"}, json={"fields": {"labels": ["b"]}}, auth=alice
    )
    assert "admin" in assert_jira_error(quiet, 403)["errorMessages"][0]
    unknown = assert_jira_error(
        call(sandbox, "PUT", f"issue/{key}", json={"fields": {"status": {"name": "Done"}}}), 400
    )
    assert "status" in unknown["errors"]


def test_assignee_endpoint_rules(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    by = "accountId" if sandbox.mode == "cloud" else "name"
    alice = "acc-alice" if sandbox.mode == "cloud" else "alice"
    assert call(sandbox, "PUT", f"/rest/api/latest/issue/{key}/assignee", json={by: alice}).status_code == 204
    frank = "acc-frank" if sandbox.mode == "cloud" else "frank"
    errors = assert_jira_error(call(sandbox, "PUT", f"issue/{key}/assignee", json={by: frank}), 400)["errors"]
    assert errors == {"assignee": "User 'Frank Fischer' cannot be assigned issues."}
    assert_jira_error(call(sandbox, "PUT", f"issue/{key}/assignee", json={by: "ghost"}), 400)
    assert call(sandbox, "PUT", f"issue/{key}/assignee", json={by: "-1"}).status_code == 204  # project lead
    lead = call(sandbox, "GET", f"issue/{key}", params={"fields": "assignee"}).json()["fields"]["assignee"]
    assert lead["displayName"] == "Carol Chen"
    assert call(sandbox, "PUT", f"issue/{key}/assignee", json={by: None}).status_code == 204
    if sandbox.mode == "cloud":
        assert_jira_error(call(sandbox, "PUT", f"issue/{key}/assignee", json={"name": "alice"}), 400)


def test_notify_goes_to_the_outbox(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    user = {"accountId": "acc-bob"} if sandbox.mode == "cloud" else {"name": "bob"}
    body = {"subject": "Escalated", "textBody": "Please look", "to": {"users": [user], "reporter": True}}
    before = len(sandbox.outbox())
    assert call(sandbox, "POST", f"issue/{key}/notify", json=body).status_code == 204
    (note,) = sandbox.outbox()[before:]
    assert (note["issueKey"], note["subject"]) == (key, "Escalated")
    assert note["recipients"] == ["acc-admin", "acc-bob"]
    admin = call(sandbox, "GET", "/_sandbox/outbox").json()["notifications"]
    assert admin[-1]["subject"] == "Escalated"
    bad = {"subject": "x", "to": {"users": [{"accountId": "ghost"} if sandbox.mode == "cloud" else {"name": "ghost"}]}}
    assert_jira_error(call(sandbox, "POST", f"issue/{key}/notify", json=bad), 400)


def test_changelog_endpoint(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    for priority in ("High", "Highest", "Low"):
        call(sandbox, "PUT", f"issue/{key}", json={"fields": {"priority": {"name": priority}}})
    page = call(sandbox, "GET", f"issue/{key}/changelog", params={"startAt": 1, "maxResults": 1}).json()
    assert (page["total"], page["startAt"], page["isLast"]) == (3, 1, False)
    (item,) = page["values"][0]["items"]
    assert (item["fromString"], item["toString"]) == ("High", "Highest")
    assert ("fieldId" in item) is (sandbox.mode == "cloud")


def test_v3_comments_use_adf(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hello"}]}],
    }
    created = call(sandbox, "POST", f"/rest/api/3/issue/{key}/comment", json={"body": adf})
    assert created.status_code == 201
    assert created.json()["body"] == adf
    assert call(sandbox, "GET", f"issue/{key}/comment").json()["comments"][0]["body"] == "hello"
    assert_jira_error(call(sandbox, "POST", f"/rest/api/3/issue/{key}/comment", json={"body": "plain"}), 400)


def test_user_endpoints_by_mode(sandbox: Sandbox) -> None:
    if sandbox.mode == "cloud":
        assert call(sandbox, "GET", "user", params={"accountId": "acc-frank"}).json()["active"] is False
        assert_jira_error(call(sandbox, "GET", "user", params={"username": "frank"}), 400)
        assert_jira_error(call(sandbox, "GET", "user", params={"accountId": "acc-ghost"}), 404)
        found = call(sandbox, "GET", "user/search", params={"query": "acc-alice"}).json()
        assert found == []  # Cloud's query never matches an accountId
        by_id = call(sandbox, "GET", "user/search", params={"accountId": "acc-alice"}).json()
        assert [u["accountId"] for u in by_id] == ["acc-alice"]
    else:
        body = call(sandbox, "GET", "user", params={"username": "frank"}).json()
        assert (body["name"], body["key"], body["active"]) == ("frank", "frank", False)
        assert "accountId" not in body
        assert_jira_error(call(sandbox, "GET", "user", params={"username": "ghost"}), 404)
    params = {"query": "f", "username": "f", "project": "SUP"}
    assignable = call(sandbox, "GET", "user/assignable/search", params=params).json()
    assert assignable == []  # frank is inactive
    assert_jira_error(call(sandbox, "GET", "user/assignable/search", params={"query": "f"}), 400)  # in which project?


@pytest.mark.parametrize(
    "path", ["field", "priority", "priority/search", "status", "resolution", "issuetype", "project", "project/OPS"]
)
def test_reference_endpoints(sandbox: Sandbox, path: str) -> None:
    assert call(sandbox, "GET", path).status_code == 200
