"""Changelogs as Jira Cloud serves them: a search embeds only the newest 40 histories of an issue (JRACLOUD-96459),
``changelog/bulkfetch`` serves them all (up to 1,000 issues, a field filter, ``maxResults`` histories a page,
``nextPageToken``), and strict mode refuses a request body the spec does not allow. Data Center's search embeds
the whole changelog and has no bulkfetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from jira_sandbox.testing import Sandbox

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def busy_issue(sandbox: Sandbox, histories: int) -> str:
    """An issue with ``histories`` changes: the first an assignment by bob, then status flips by alice."""
    changes: list[dict[str, Any]] = [
        {"author": "bob", "created": START, "items": [{"field": "assignee", "from": None, "to": "carol"}]}
    ]
    for number in range(1, histories):
        status = ("In Progress", "To Do")[number % 2]
        changes.append(
            {
                "author": "alice",
                "created": START + timedelta(minutes=number),
                "items": [{"field": "status", "from": "To Do", "to": status}],
            }
        )
    return sandbox.add_issue(project="OPS", created=START - timedelta(days=1), assignee="carol", changelog=changes)


def post(sandbox: Sandbox, path: str, body: Any) -> requests.Response:
    return requests.post(f"{sandbox.url}/rest/api/3/{path}", json=body, auth=sandbox.auth, timeout=10)


def embedded(sandbox: Sandbox, key: str) -> dict[str, Any]:
    if sandbox.mode == "cloud":
        answer = post(sandbox, "search/jql", {"jql": f"key = {key}", "fields": ["created"], "expand": "changelog"})
    else:
        body = {"jql": f"key = {key}", "fields": ["created"], "expand": ["changelog"]}
        answer = requests.post(f"{sandbox.url}/rest/api/2/search", json=body, auth=sandbox.auth, timeout=10)
    assert answer.status_code == 200, answer.text
    (issue,) = answer.json()["issues"]
    changelog: dict[str, Any] = issue["changelog"]
    return changelog


def test_cloud_search_embeds_only_the_newest_40_histories(cloud: Sandbox) -> None:
    key = busy_issue(cloud, 45)
    changelog = embedded(cloud, key)
    assert changelog["total"] == 45
    assert changelog["maxResults"] == 40
    assert len(changelog["histories"]) == 40
    fields = {item["field"] for history in changelog["histories"] for item in history["items"]}
    assert fields == {"status"}  # bob's assignment, the oldest history, is not among them


def test_a_short_changelog_is_embedded_whole(cloud: Sandbox) -> None:
    key = busy_issue(cloud, 40)
    changelog = embedded(cloud, key)
    assert changelog["total"] == len(changelog["histories"]) == 40


def test_data_center_search_embeds_the_whole_changelog(server: Sandbox) -> None:
    key = busy_issue(server, 45)
    changelog = embedded(server, key)
    assert changelog["total"] == len(changelog["histories"]) == 45


def bulk_pages(sandbox: Sandbox, body: dict[str, Any]) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        answer = post(sandbox, "changelog/bulkfetch", body if token is None else {**body, "nextPageToken": token})
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        token = pages[-1].get("nextPageToken")
        if token is None:
            return pages


def test_bulkfetch_pages_every_history_oldest_first(cloud: Sandbox) -> None:
    busy, quiet = busy_issue(cloud, 45), busy_issue(cloud, 3)
    ids = {issue.key: issue.id for issue in cloud.jira().search_issues(f"key in ({busy}, {quiet})")}
    pages = bulk_pages(cloud, {"issueIdsOrKeys": [busy, ids[quiet], "OPS-999999"], "maxResults": 20})
    assert len(pages) == 3  # 48 histories, 20 a page
    by_issue: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        for log in page["issueChangeLogs"]:
            by_issue.setdefault(log["issueId"], []).extend(log["changeHistories"])
    assert {issue: len(histories) for issue, histories in by_issue.items()} == {ids[busy]: 45, ids[quiet]: 3}
    for histories in by_issue.values():
        times = [history["created"] for history in histories]
        assert times == sorted(times)
    first = by_issue[ids[busy]][0]
    assert first["author"]["accountId"] == "acc-bob" and first["items"][0]["fieldId"] == "assignee"


def test_bulkfetch_filters_by_field(cloud: Sandbox) -> None:
    key = busy_issue(cloud, 45)
    (page,) = bulk_pages(cloud, {"issueIdsOrKeys": [key], "fieldIds": ["assignee", "priority"]})
    (log,) = page["issueChangeLogs"]
    assert [item["fieldId"] for history in log["changeHistories"] for item in history["items"]] == ["assignee"]


def test_bulkfetch_refuses_what_the_spec_does_not_allow(cloud: Sandbox) -> None:
    too_many = post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": [f"OPS-{n}" for n in range(1, 1002)]})
    assert too_many.status_code == 400
    assert "issueIdsOrKeys" in too_many.json()["errorMessages"][0]
    unknown = post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": ["OPS-1"], "expand": "changelog"})
    assert unknown.status_code == 400 and "expand" in unknown.json()["errorMessages"][0]
    empty = post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": []})
    assert empty.status_code == 400
    fields = post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": ["OPS-1"], "fieldIds": [str(n) for n in range(11)]})
    assert fields.status_code == 400 and "fieldIds" in fields.json()["errorMessages"][0]
    token = post(cloud, "changelog/bulkfetch", {"issueIdsOrKeys": ["OPS-1"], "nextPageToken": "bm90LWEtdG9rZW4"})
    assert token.status_code == 400 and "token" in token.json()["errorMessages"][0]


def test_data_center_has_no_bulkfetch(server: Sandbox) -> None:
    answer = requests.post(
        f"{server.url}/rest/api/2/changelog/bulkfetch", json={"issueIdsOrKeys": ["OPS-1"]}, auth=server.auth, timeout=10
    )
    assert answer.status_code == 404
