"""Strict mode (on in every test sandbox): a request the spec does not allow gets Jira's 400, naming what is
wrong and where, and changes nothing; the `jira` client's own requests and escalator's pass in both modes
(the rest of the suite runs against strict sandboxes); a lenient sandbox lets the same request through."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jira_sandbox.testing import Sandbox, running_sandbox

BAD: list[tuple[str, str, str, dict[str, Any], str]] = [
    # (name, method, path, request, what the message names)
    (
        "edit: unknown update verb",
        "PUT",
        "issue/OPS-1",
        {"json": {"update": {"labels": [{"append": "x"}]}}},
        "at update.labels[0]: Additional properties are not allowed ('append' was unexpected)",
    ),
    (
        "edit: fields not an object",
        "PUT",
        "issue/OPS-1",
        {"json": {"fields": ["priority"]}},
        "at fields: ['priority'] is not of type 'object'",
    ),
    (
        "edit: property without value key",
        "PUT",
        "issue/OPS-1",
        {"json": {"properties": [{"key": "escalator.state", "val": 1}]}},
        "at properties[0]: Additional properties",
    ),
    (
        "edit: notifyUsers not a boolean",
        "PUT",
        "issue/OPS-1",
        {"json": {"fields": {"labels": ["x"]}}, "params": {"notifyUsers": "maybe"}},
        "query parameter 'notifyUsers': 'maybe' is not of type 'boolean'",
    ),
    ("edit: no body", "PUT", "issue/OPS-1", {}, "The request body is required."),
    (
        "property: empty value",
        "PUT",
        "issue/OPS-1/properties/escalator.state",
        {"data": b""},
        "The request body is required.",
    ),
    (
        "notify: subject not text",
        "POST",
        "issue/OPS-1/notify",
        {"json": {"subject": 5, "to": {"reporter": True}}},
        "at subject: 5 is not of type 'string'",
    ),
    (
        "notify: invented user key",
        "POST",
        "issue/OPS-1/notify",
        {"json": {"to": {"users": [{"accountId": "acc-bob", "nick": "bob"}]}}},
        "at to.users[0]: Additional properties are not allowed ('nick' was unexpected)",
    ),
    (
        "comment: visibility type",
        "POST",
        "issue/OPS-1/comment",
        {"json": {"body": "hello", "visibility": {"type": "team", "value": "ops"}}},
        "at visibility.type: 'team' is not one of ['group', 'role']",
    ),
]

CLOUD_SEARCH_BAD: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "search/jql: startAt is not Cloud's",
        "POST",
        "search/jql",
        {"json": {"jql": "project = OPS", "startAt": 0}},
        "Additional properties are not allowed ('startAt' was unexpected)",
    ),
    (
        "search/jql: fields not a list",
        "POST",
        "search/jql",
        {"json": {"jql": "project = OPS", "fields": "summary"}},
        "at fields: 'summary' is not of type 'array'",
    ),
    (
        "search/jql: maxResults not a number",
        "GET",
        "search/jql",
        {"params": {"jql": "project = OPS", "maxResults": "ten"}},
        "query parameter 'maxResults': 'ten' is not of type 'integer'",
    ),
    (
        "search/jql: reconcileIssues not ids",
        "GET",
        "search/jql",
        {"params": {"jql": "project = OPS", "reconcileIssues": "OPS-1"}},
        "query parameter 'reconcileIssues': 'OPS-1' is not of type 'integer'",
    ),
]


def call(sandbox: Sandbox, method: str, path: str, request: dict[str, Any], **extra: Any) -> requests.Response:
    url = f"{sandbox.url}/rest/api/2/{path}"
    return requests.request(method, url, auth=sandbox.auth, timeout=10, **{**request, **extra})


@pytest.mark.parametrize(("name", "method", "path", "request_", "named"), BAD, ids=[case[0] for case in BAD])
def test_a_request_the_spec_refuses_gets_jiras_400(
    sandbox: Sandbox, name: str, method: str, path: str, request_: dict[str, Any], named: str
) -> None:
    before = sandbox.jira().issue("OPS-1")
    sent = len(sandbox.outbox())
    answer = call(sandbox, method, path, request_)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"errorMessages", "errors"}
    assert any(named in message for message in body["errorMessages"]), body
    after = sandbox.jira().issue("OPS-1")
    assert after.raw["fields"] == before.raw["fields"], "a refused request changes nothing"
    assert len(sandbox.outbox()) == sent, "nobody was notified"


@pytest.mark.parametrize(
    ("name", "method", "path", "request_", "named"), CLOUD_SEARCH_BAD, ids=[case[0] for case in CLOUD_SEARCH_BAD]
)
def test_a_search_the_spec_refuses_gets_jiras_400(
    cloud: Sandbox, name: str, method: str, path: str, request_: dict[str, Any], named: str
) -> None:
    answer = call(cloud, method, path, request_)
    assert answer.status_code == 400, answer.text
    assert any(named in message for message in answer.json()["errorMessages"]), answer.text


def test_data_center_search_takes_expand_as_a_list(server: Sandbox) -> None:
    body = {"jql": "project = OPS", "maxResults": 1, "fields": ["summary"], "startAt": 0}
    listed = call(server, "POST", "search", {"json": {**body, "expand": ["changelog"], "validateQuery": True}})
    assert listed.status_code == 200, listed.text
    assert "changelog" in listed.json()["issues"][0]
    text = call(server, "POST", "search", {"json": {**body, "expand": "changelog"}})
    assert text.status_code == 400
    assert "at expand: 'changelog' is not of type 'array'" in text.json()["errorMessages"][0]


def test_nulls_count_as_absent_as_in_jira(cloud: Sandbox) -> None:
    """What the `jira` client sends for a POST search: nulls and empty lists."""
    body = {"jql": "project = OPS", "fields": ["summary"], "expand": None, "properties": None, "reconcileIssues": []}
    answer = call(cloud, "POST", "search/jql", {"json": {**body, "maxResults": 1}})
    assert answer.status_code == 200, answer.text


def test_authentication_comes_first(cloud: Sandbox) -> None:
    answer = requests.post(f"{cloud.url}/rest/api/2/search/jql", json={"jql": "x", "startAt": 0}, timeout=10)
    assert answer.status_code == 401


def test_a_lenient_sandbox_serves_what_the_spec_refuses() -> None:
    with running_sandbox(seed="demo", strict=False) as lenient:
        answer = call(lenient, "POST", "search/jql", {"json": {"jql": "project = OPS", "startAt": 0, "maxResults": 1}})
        assert answer.status_code == 200, answer.text
        assert lenient.runtime.settings.strict is False
