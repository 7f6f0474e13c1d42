"""Every JSON answer of the endpoints the sandbox serves, validated against the response schema of the
same operation in Atlassian's OpenAPI spec, the copy vendored in `src/jira_sandbox/spec/` (read through
`jira_sandbox.contract`, which turns OpenAPI 3.0 into JSON Schema); error bodies against `ErrorCollection`.

One allowance on top of the spec: the changelog item's `from`/`fromString`/`to`/`toString` (typed `string` in
the spec, `null` on the wire when a field was empty) may be null. `additionalProperties: false` is kept, so an
invented key fails."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from jira_sandbox.contract import contract, json_schema, read_spec
from jira_sandbox.testing import Sandbox

NULL_ON_THE_WIRE = {"ChangeDetails": ("from", "fromString", "to", "toString")}


@cache
def _components() -> dict[str, Any]:
    schemas = dict(contract().components["schemas"])
    for name, fields in NULL_ON_THE_WIRE.items():
        properties = dict(schemas[name]["properties"])
        for field in fields:
            properties[field] = {"anyOf": [properties[field], {"type": "null"}]}
        schemas[name] = {**schemas[name], "properties": properties}
    return {"schemas": schemas}


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    operation = read_spec()["paths"][path][method.lower()]
    content = operation["responses"][str(status)].get("content", {}).get("application/json", {})
    schema = content.get("schema")
    assert schema, f"the spec has no JSON schema for {method} {path} {status}"
    return dict(schema)


def validate(body: Any, schema: dict[str, Any]) -> None:
    root = {**json_schema(schema), "components": _components()}
    errors = sorted(Draft202012Validator(root).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def check(
    sandbox: Sandbox,
    method: str,
    spec_path: str,
    url_path: str,
    status: int,
    *,
    version: str = "3",
    schema: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Call the sandbox and validate the answer against the spec's schema for `spec_path` (or `schema`,
    where the spec leaves the body untyped)."""
    url = f"{sandbox.url}/rest/api/{version}/{url_path}"
    response = requests.request(method, url, auth=sandbox.auth, timeout=10, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    validate(body, schema or response_schema(f"/rest/api/3/{spec_path}", method, status))
    return body


def check_error(response: requests.Response) -> None:
    validate(response.json(), {"$ref": "#/components/schemas/ErrorCollection"})


@pytest.fixture(scope="module")
def issue_key(cloud_sandbox: Sandbox) -> str:
    body = {
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "summary": "contract",
            "labels": ["outage"],
            "components": [{"name": "network"}],
            "customfield_10010": "S2",
        }
    }
    key = requests.post(f"{cloud_sandbox.url}/rest/api/2/issue", json=body, auth=cloud_sandbox.auth, timeout=10).json()[
        "key"
    ]
    edit = {
        "fields": {"priority": {"name": "High"}, "assignee": {"accountId": "acc-alice"}},
        "update": {"comment": [{"add": {"body": "hi"}}]},
        "properties": [{"key": "escalator.state", "value": {"level": 1}}],
    }
    requests.put(f"{cloud_sandbox.url}/rest/api/2/issue/{key}", json=edit, auth=cloud_sandbox.auth, timeout=10)
    return str(key)


@pytest.mark.parametrize("version", ["2", "3"])
def test_instance_endpoints(cloud: Sandbox, version: str) -> None:
    check(cloud, "GET", "serverInfo", "serverInfo", 200, version=version)
    check(cloud, "GET", "myself", "myself", 200, version=version)
    check(cloud, "GET", "field", "field", 200, version=version)
    check(cloud, "GET", "priority", "priority", 200, version=version)
    check(cloud, "GET", "priority/{id}", "priority/3", 200, version=version)
    check(cloud, "GET", "priority/search", "priority/search", 200, version=version)
    check(cloud, "GET", "status", "status", 200, version=version)
    check(cloud, "GET", "resolution", "resolution", 200, version=version)
    check(cloud, "GET", "issuetype", "issuetype", 200, version=version)
    check(cloud, "GET", "project", "project", 200, version=version)
    check(cloud, "GET", "project/{projectIdOrKey}", "project/OPS", 200, version=version)


def test_users(cloud: Sandbox, server: Sandbox) -> None:
    check(cloud, "GET", "user", "user", 200, params={"accountId": "acc-frank"})
    check(cloud, "GET", "user/search", "user/search", 200, params={"query": "a"})
    check(
        cloud, "GET", "user/assignable/search", "user/assignable/search", 200, params={"query": "a", "project": "OPS"}
    )
    check(server, "GET", "user", "user", 200, params={"username": "frank"}, version="2")
    check(server, "GET", "user/search", "user/search", 200, params={"username": "a"}, version="2")


@pytest.mark.parametrize("version", ["2", "3"])
def test_issue_endpoints(cloud: Sandbox, issue_key: str, version: str) -> None:
    key = issue_key
    check(
        cloud,
        "GET",
        "issue/{issueIdOrKey}",
        f"issue/{key}",
        200,
        version=version,
        params={"expand": "changelog,names", "properties": "escalator.state"},
    )
    check(
        cloud,
        "PUT",
        "issue/{issueIdOrKey}",
        f"issue/{key}",
        200,
        version=version,
        params={"returnIssue": "true"},
        json={"fields": {"labels": ["outage", "customer-impact"]}},
        schema={"$ref": "#/components/schemas/IssueBean"},
    )  # the spec leaves this body untyped
    check(cloud, "GET", "issue/{issueIdOrKey}/comment", f"issue/{key}/comment", 200, version=version)
    comment = (
        {"body": "plain"}
        if version == "2"
        else {
            "body": {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": "adf"}]}],
            }
        }
    )
    check(cloud, "POST", "issue/{issueIdOrKey}/comment", f"issue/{key}/comment", 201, version=version, json=comment)
    check(cloud, "GET", "issue/{issueIdOrKey}/properties", f"issue/{key}/properties", 200, version=version)
    check(
        cloud,
        "GET",
        "issue/{issueIdOrKey}/properties/{propertyKey}",
        f"issue/{key}/properties/escalator.state",
        200,
        version=version,
    )
    check(cloud, "GET", "issue/{issueIdOrKey}/changelog", f"issue/{key}/changelog", 200, version=version)
    check(cloud, "GET", "issue/{issueIdOrKey}/editmeta", f"issue/{key}/editmeta", 200, version=version)


@pytest.mark.parametrize("version", ["2", "3"])
def test_what_a_project_allows(cloud: Sandbox, version: str) -> None:
    cloud.configure_project("OPS", priorities=["High", "Medium"], denied={"admin": ["ADD_COMMENTS"]})
    permissions = {"projectKey": "OPS", "permissions": "BROWSE_PROJECTS,EDIT_ISSUES,ASSIGN_ISSUES,ADD_COMMENTS"}
    check(cloud, "GET", "mypermissions", "mypermissions", 200, version=version, params=permissions)
    ops = requests.get(f"{cloud.url}/rest/api/2/project/OPS", auth=cloud.auth, timeout=10).json()["id"]
    check(cloud, "GET", "priority/search", "priority/search", 200, version=version, params={"projectId": ops})
    check(
        cloud, "GET", "user/assignable/search", "user/assignable/search", 200, params={"project": "OPS", "query": "b"}
    )


def test_create_endpoints(cloud: Sandbox) -> None:
    fields = {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "contract"}
    check(cloud, "POST", "issue", "issue", 201, json={"fields": fields})
    check(
        cloud,
        "POST",
        "issue/bulk",
        "issue/bulk",
        201,
        json={"issueUpdates": [{"fields": fields}, {"fields": {"summary": "no project"}}]},
    )


def test_search_endpoints(cloud: Sandbox, server: Sandbox, issue_key: str) -> None:
    params = {
        "jql": "project = OPS",
        "fields": "*all",
        "expand": "changelog,names",
        "properties": "escalator.state",
        "maxResults": 20,
    }
    page = check(cloud, "GET", "search/jql", "search/jql", 200, params=params)
    assert page["nextPageToken"]
    check(
        cloud,
        "POST",
        "search/jql",
        "search/jql",
        200,
        json={"jql": f"key = {issue_key}", "fields": ["*navigable"], "properties": ["escalator.state"]},
    )
    check(cloud, "POST", "search/approximate-count", "search/approximate-count", 200, json={"jql": "project = OPS"})
    check(
        server,
        "GET",
        "search",
        "search",
        200,
        version="2",
        params={"jql": "project = OPS", "expand": "changelog", "maxResults": 20},
    )


def test_bulk_changelogs(cloud: Sandbox, issue_key: str) -> None:
    body = {"issueIdsOrKeys": ["OPS-1", "OPS-2", issue_key], "fieldIds": ["assignee", "status"], "maxResults": 2}
    page = check(cloud, "POST", "changelog/bulkfetch", "changelog/bulkfetch", 200, json=body)
    assert page["issueChangeLogs"] and page["nextPageToken"]
    last = check(cloud, "POST", "changelog/bulkfetch", "changelog/bulkfetch", 200, json={**body, "maxResults": 10000})
    assert "nextPageToken" not in last


def test_error_bodies(cloud: Sandbox, server: Sandbox) -> None:
    base = f"{cloud.url}/rest/api/2"
    answers = [
        requests.get(f"{base}/issue/OPS-999999", auth=cloud.auth, timeout=10),
        requests.get(f"{base}/myself", timeout=10),
        requests.get(f"{base}/search/jql", params={"jql": "nope = 1"}, auth=cloud.auth, timeout=10),
        requests.get(f"{base}/search", params={"jql": "project = OPS"}, auth=cloud.auth, timeout=10),
        requests.put(f"{base}/issue/OPS-1/assignee", json={"accountId": "acc-frank"}, auth=cloud.auth, timeout=10),
        requests.get(f"{server.url}/rest/api/2/search", params={"jql": "project ="}, auth=server.auth, timeout=10),
    ]
    assert [a.status_code for a in answers] == [404, 401, 400, 410, 400, 400]
    for answer in answers:
        check_error(answer)


def test_group_members(cloud: Sandbox, server: Sandbox) -> None:
    body = check(cloud, "GET", "group/member", "group/member", 200, params={"groupname": "support", "maxResults": 1})
    assert [u["accountId"] for u in body["values"]] == ["acc-dave"] and body["isLast"] is False  # frank is inactive
    body = check(
        cloud, "GET", "group/member", "group/member", 200, params={"groupname": "support", "includeInactiveUsers": True}
    )
    assert [(u["accountId"], u["active"]) for u in body["values"]][-1] == ("acc-frank", False)
    body = check(server, "GET", "group/member", "group/member", 200, params={"groupname": "support"}, version="2")
    assert [u["name"] for u in body["values"]] == ["dave", "erin"] and body["isLast"] is True
    missing = requests.get(
        f"{cloud.url}/rest/api/3/group/member", params={"groupname": "nobody"}, auth=cloud.auth, timeout=10
    )
    assert missing.status_code == 404
    check_error(missing)
