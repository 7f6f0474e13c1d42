"""Searches reuse issues rendered before (`render_cache.py`) and the matches of a query run before
(`search_results.py`), and no write is ever hidden by that: after each kind of write the sandbox takes, the very next
search and GET of the issue show it; a change to shared data (a user) shows in every issue; an issue deleted after a
search's snapshot is not printed from the cache; a write changes the matches of the very next search of the same
query; every table's writes move the store's data version; and an answer from kept issues is byte for byte the
answer rendered afresh."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests

from jira_sandbox import demo, render_cache, revisions
from jira_sandbox.testing import Sandbox
from jira_sandbox.users import User, save_user

FIELDS = (
    "summary,description,issuetype,priority,status,assignee,labels,components,duedate,comment,"
    f"customfield_{demo.SEVERITY_FIELD_ID},customfield_{demo.AFFECTED_CUSTOMERS_FIELD_ID},updated"
)
PROPERTY = "escalator.state"


def call(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/rest/api/2/{path}", auth=sandbox.auth, timeout=10, **kwargs)


def new_issue(sandbox: Sandbox) -> str:
    body = {"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}, "summary": "cache test"}}
    response = call(sandbox, "POST", "issue", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def search_answer(sandbox: Sandbox, jql: str, **extra: Any) -> requests.Response:
    path = "search/jql" if sandbox.mode == "cloud" else "search"
    body = {"jql": jql, "fields": FIELDS.split(","), "properties": [PROPERTY], **extra}
    response = call(sandbox, "POST", path, json=body)
    assert response.status_code == 200, response.text
    return response


def searched(sandbox: Sandbox, key: str) -> dict[str, Any]:
    (issue,) = search_answer(sandbox, f"key = {key}").json()["issues"]
    return dict(issue)


def fetched(sandbox: Sandbox, key: str) -> dict[str, Any]:
    response = call(sandbox, "GET", f"issue/{key}", params={"fields": FIELDS, "properties": PROPERTY})
    assert response.status_code == 200, response.text
    return dict(response.json())


def put(sandbox: Sandbox, path: str, body: Any, status: int = 204) -> None:
    response = call(sandbox, "PUT", path, json=body)
    assert response.status_code == status, response.text


def post(sandbox: Sandbox, path: str, body: Any) -> None:
    response = call(sandbox, "POST", path, json=body)
    assert response.status_code == 201, response.text


def assignee_body(sandbox: Sandbox, user: demo.DemoUser) -> dict[str, str]:
    return {"accountId": user.user.account_id} if sandbox.mode == "cloud" else {"name": user.user.name}


def comment_texts(issue: dict[str, Any]) -> list[str]:
    return [str(comment["body"]) for comment in issue["fields"]["comment"]["comments"]]


Write = Callable[[Sandbox, str], None]
Seen = Callable[[dict[str, Any]], bool]

WRITES: dict[str, tuple[Write, Seen]] = {
    "summary": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"summary": "renamed"}}),
        lambda i: i["fields"]["summary"] == "renamed",
    ),
    "description": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"description": "now described"}}),
        lambda i: i["fields"]["description"] == "now described",
    ),
    "priority": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"priority": {"name": "Highest"}}}),
        lambda i: (i["fields"]["priority"] or {}).get("name") == "Highest",
    ),
    "issue type": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"issuetype": {"name": "Incident"}}}),
        lambda i: i["fields"]["issuetype"]["name"] == "Incident",
    ),
    "labels set": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"labels": ["outage"]}}),
        lambda i: i["fields"]["labels"] == ["outage"],
    ),
    "labels update": (
        lambda s, k: put(s, f"issue/{k}", {"update": {"labels": [{"add": "degraded"}]}}),
        lambda i: i["fields"]["labels"] == ["degraded"],
    ),
    "components": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"components": [{"name": demo.OPS.components[0]}]}}),
        lambda i: [c["name"] for c in i["fields"]["components"]] == [demo.OPS.components[0]],
    ),
    "due date": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"duedate": "2031-02-03"}}),
        lambda i: i["fields"]["duedate"] == "2031-02-03",
    ),
    "custom text": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {f"customfield_{demo.SEVERITY_FIELD_ID}": "S1"}}),
        lambda i: i["fields"][f"customfield_{demo.SEVERITY_FIELD_ID}"] == "S1",
    ),
    "custom number": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {f"customfield_{demo.AFFECTED_CUSTOMERS_FIELD_ID}": 42}}),
        lambda i: i["fields"][f"customfield_{demo.AFFECTED_CUSTOMERS_FIELD_ID}"] == 42,
    ),
    "assignee field": (
        lambda s, k: put(s, f"issue/{k}", {"fields": {"assignee": assignee_body(s, demo.BOB)}}),
        lambda i: (i["fields"]["assignee"] or {}).get("displayName") == demo.BOB.user.display_name,
    ),
    "assignee endpoint": (
        lambda s, k: put(s, f"issue/{k}/assignee", assignee_body(s, demo.CAROL)),
        lambda i: (i["fields"]["assignee"] or {}).get("displayName") == demo.CAROL.user.display_name,
    ),
    "comment in an edit": (
        lambda s, k: put(s, f"issue/{k}", {"update": {"comment": [{"add": {"body": "edited in"}}]}}),
        lambda i: comment_texts(i) == ["edited in"],
    ),
    "comment added": (
        lambda s, k: post(s, f"issue/{k}/comment", {"body": "posted"}),
        lambda i: comment_texts(i) == ["posted"],
    ),
    "property set": (
        lambda s, k: put(s, f"issue/{k}/properties/{PROPERTY}", {"level": 2}, 201),
        lambda i: i["properties"] == {PROPERTY: {"level": 2}},
    ),
    "property in an edit": (
        lambda s, k: put(s, f"issue/{k}", {"properties": [{"key": PROPERTY, "value": {"level": 3}}]}),
        lambda i: i["properties"] == {PROPERTY: {"level": 3}},
    ),
    "SQL from outside the routes": (
        lambda s, k: _sql(s, "UPDATE issues SET summary = 'written by SQL' WHERE key = ?", k),
        lambda i: i["fields"]["summary"] == "written by SQL",
    ),
}


def _sql(sandbox: Sandbox, statement: str, *params: Any) -> None:
    with sandbox.store.transaction() as db:
        db.execute(statement, params)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_shows_in_the_next_search_and_get(sandbox: Sandbox, write: str) -> None:
    act, seen = WRITES[write]
    key = new_issue(sandbox)
    before = searched(sandbox, key)
    assert searched(sandbox, key) == before  # now kept
    assert not seen(before) and not seen(fetched(sandbox, key))
    act(sandbox, key)
    after = searched(sandbox, key)
    assert seen(after), after
    assert seen(fetched(sandbox, key))
    assert after["fields"]["updated"] >= before["fields"]["updated"]


def test_an_updated_and_a_deleted_property_show_in_the_next_search(sandbox: Sandbox) -> None:
    key = new_issue(sandbox)
    put(sandbox, f"issue/{key}/properties/{PROPERTY}", {"level": 1}, 201)
    assert searched(sandbox, key)["properties"] == {PROPERTY: {"level": 1}}
    put(sandbox, f"issue/{key}/properties/{PROPERTY}", {"level": 5}, 200)
    assert searched(sandbox, key)["properties"] == {PROPERTY: {"level": 5}}
    assert fetched(sandbox, key)["properties"] == {PROPERTY: {"level": 5}}
    assert call(sandbox, "DELETE", f"issue/{key}/properties/{PROPERTY}").status_code == 204
    assert searched(sandbox, key)["properties"] == {}
    assert fetched(sandbox, key)["properties"] == {}


def test_a_changed_user_shows_in_every_kept_issue(sandbox: Sandbox) -> None:
    suffix = sandbox.mode
    user = User(f"acc-cache-{suffix}", f"cache-{suffix}", "Before Rename", f"cache-{suffix}@example.com")
    sandbox.add_user(user)
    keys = [new_issue(sandbox) for _ in range(2)]
    by = {"accountId": user.account_id} if sandbox.mode == "cloud" else {"name": user.name}
    for key in keys:
        put(sandbox, f"issue/{key}/assignee", by)
        assert searched(sandbox, key)["fields"]["assignee"]["displayName"] == "Before Rename"
    with sandbox.store.transaction() as db:
        save_user(db, User(user.account_id, user.name, "After Rename", user.email, active=False))
    for key in keys:
        assignee = searched(sandbox, key)["fields"]["assignee"]
        assert (assignee["displayName"], assignee["active"]) == ("After Rename", False)


def test_an_issue_deleted_after_the_snapshot_is_not_printed_from_the_cache(cloud: Sandbox) -> None:
    keys = [new_issue(cloud) for _ in range(2)]
    jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
    first = search_answer(cloud, jql, maxResults=1).json()
    token = first["nextPageToken"]
    (second,) = search_answer(cloud, jql, maxResults=1, nextPageToken=token).json()["issues"]
    assert second["key"] == keys[1]  # kept now
    _sql(cloud, "DELETE FROM issues WHERE key = ?", keys[1])
    assert search_answer(cloud, jql, maxResults=1, nextPageToken=token).json()["issues"] == []


def _without_token(answer: bytes) -> bytes:
    return re.sub(rb'"nextPageToken":"[^"]*"', b"", answer)


@pytest.mark.parametrize("fields", [FIELDS.split(","), ["*all"], ["*navigable", "-summary"]])
def test_kept_issues_answer_the_same_bytes_as_fresh_ones(sandbox: Sandbox, fields: list[str]) -> None:
    jql = "project = OPS ORDER BY key ASC"
    sandbox.runtime.render_cache.clear()
    expand: Any = "names" if sandbox.mode == "cloud" else ["names"]
    fresh = search_answer(sandbox, jql, fields=fields, maxResults=50, expand=expand).content
    kept = search_answer(sandbox, jql, fields=fields, maxResults=50, expand=expand).content
    assert _without_token(kept) == _without_token(fresh)
    assert len(search_answer(sandbox, jql, fields=fields, maxResults=50).json()["issues"]) == 50


def test_a_write_changes_the_matches_of_the_same_query(sandbox: Sandbox) -> None:
    label = f"reuse-{sandbox.mode}"
    jql = f"labels = {label}"
    assert search_answer(sandbox, jql).json()["issues"] == []
    assert search_answer(sandbox, jql).json()["issues"] == []  # the matches kept
    key = new_issue(sandbox)
    put(sandbox, f"issue/{key}", {"fields": {"labels": [label]}})
    assert [issue["key"] for issue in search_answer(sandbox, jql).json()["issues"]] == [key]
    _sql(sandbox, "DELETE FROM issue_labels WHERE label = ?", label)
    assert search_answer(sandbox, jql).json()["issues"] == []
    other = new_issue(sandbox)
    _sql(sandbox, "UPDATE issues SET summary = ? WHERE key = ?", f"now {label}", other)
    assert [issue["key"] for issue in search_answer(sandbox, f'summary ~ "{label}"').json()["issues"]] == [other]


def test_every_table_moves_the_data_version(sandbox: Sandbox) -> None:
    with sandbox.store.transaction() as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        triggers = {
            (row[0], row[1]) for row in db.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
    watched = tables - {"revision_counter", "issue_revisions"}
    assert watched >= {"issues", "users", "changes", "notifications"}
    for table in sorted(watched):
        for event in ("INSERT", "UPDATE", "DELETE"):
            assert any(t == table and f"AFTER {event} ON {table} " in sql for t, sql in triggers), (table, event)
    key = new_issue(sandbox)
    with pytest.raises(RolledBack), sandbox.store.transaction() as db:  # the outbox keeps no test row
        before = revisions.data_version(db)
        db.execute("INSERT INTO notifications (issue_key, sender, payload, created) VALUES (?, 'x', '{}', 0)", (key,))
        assert revisions.data_version(db) > before
        raise RolledBack


class RolledBack(Exception):
    pass


def test_the_kept_issues_stay_within_their_byte_budget(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = sandbox.runtime.render_cache
    cache.clear()
    jql = "project = OPS ORDER BY key ASC"
    first = search_answer(sandbox, jql, maxResults=20).content
    one_shape = cache.size
    assert one_shape > 0
    budget = one_shape * 3 // 2
    monkeypatch.setattr(render_cache, "MAX_BYTES", budget)
    search_answer(sandbox, jql, properties=[], maxResults=20)  # a second shape: the first one goes
    assert 0 < cache.size <= budget
    search_answer(sandbox, jql, properties=[], maxResults=40)  # more than the budget in one shape: emptied
    assert cache.size <= budget
    assert _without_token(search_answer(sandbox, jql, maxResults=20).content) == _without_token(first)
    assert 0 < cache.size <= budget


def test_a_page_with_an_integer_beyond_64_bits_is_answered_whole(sandbox: Sandbox) -> None:
    keys = [new_issue(sandbox) for _ in range(2)]
    put(sandbox, f"issue/{keys[0]}/properties/{PROPERTY}", {"n": 2**70}, 201)
    jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
    for _ in range(2):  # rendered afresh, then again (such an issue is not kept)
        issues = search_answer(sandbox, jql).json()["issues"]
        assert [issue["key"] for issue in issues] == keys
        assert [issue["properties"] for issue in issues] == [{PROPERTY: {"n": 2**70}}, {}]
