"""Projects set up the way a real Jira can refuse escalator (`schemes.py`): permissions denied in one project,
a user not assignable there, a narrower priority scheme, an edit screen without a field. The read endpoints
report each (`mypermissions`, `user/assignable/search`, `priority/search?projectId=`, `editmeta`), and a write
that needs what the project does not allow is refused as Jira refuses it."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jira_sandbox.demo import BOB, HEIDI
from jira_sandbox.testing import Sandbox


def call(sandbox: Sandbox, method: str, path: str, *, auth: Any = None, **kwargs: Any) -> requests.Response:
    url = f"{sandbox.url}/rest/api/2/{path}"
    return requests.request(method, url, auth=auth or sandbox.auth, timeout=10, **kwargs)


def bob(sandbox: Sandbox) -> dict[str, str]:
    return {"accountId": BOB.account_id} if sandbox.mode == "cloud" else {"name": BOB.username}


def permissions(sandbox: Sandbox, project: str, *, auth: Any = None) -> dict[str, bool]:
    keys = "BROWSE_PROJECTS,EDIT_ISSUES,ASSIGN_ISSUES,ADD_COMMENTS"
    answer = call(sandbox, "GET", "mypermissions", params={"projectKey": project, "permissions": keys}, auth=auth)
    assert answer.status_code == 200, answer.text
    return {key: value["havePermission"] for key, value in answer.json()["permissions"].items()}


def edit_screen(sandbox: Sandbox, key: str, *, auth: Any = None) -> dict[str, Any]:
    answer = call(sandbox, "GET", f"issue/{key}/editmeta", auth=auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["fields"])


def test_by_default_everything_is_allowed(sandbox: Sandbox) -> None:
    key = sandbox.add_issue(project="OPS", issuetype="Incident")
    assert set(permissions(sandbox, "OPS").values()) == {True}
    assert {"assignee", "priority", "labels", "comment"} <= set(edit_screen(sandbox, key))
    assert len(edit_screen(sandbox, key)["priority"]["allowedValues"]) == 5
    heidi = (HEIDI.user.email, HEIDI.token)  # may browse, not edit: an empty edit screen
    assert permissions(sandbox, "OPS", auth=heidi)["EDIT_ISSUES"] is False
    assert edit_screen(sandbox, key, auth=heidi) == {}


def test_permissions_denied_in_one_project(sandbox: Sandbox) -> None:
    sandbox.configure_project("OPS", denied={"admin": ["ASSIGN_ISSUES", "ADD_COMMENTS"]})
    assert permissions(sandbox, "OPS") == {
        "BROWSE_PROJECTS": True,
        "EDIT_ISSUES": True,
        "ASSIGN_ISSUES": False,
        "ADD_COMMENTS": False,
    }
    assert set(permissions(sandbox, "SUP").values()) == {True}
    key = sandbox.add_issue(project="OPS", issuetype="Bug")
    assert not {"assignee", "comment"} & set(edit_screen(sandbox, key))
    assign = call(sandbox, "PUT", f"issue/{key}", json={"fields": {"assignee": bob(sandbox)}})
    comment = call(sandbox, "PUT", f"issue/{key}", json={"update": {"comment": [{"add": {"body": "hi"}}]}})
    assert (assign.status_code, comment.status_code) == (403, 403)
    sandbox.configure_project("OPS", denied={"admin": ["EDIT_ISSUES"]})
    assert edit_screen(sandbox, key) == {}
    assert call(sandbox, "PUT", f"issue/{key}", json={"fields": {"labels": ["x"]}}).status_code == 403


def test_a_user_not_assignable_in_one_project(sandbox: Sandbox) -> None:
    sandbox.configure_project("OPS", unassignable=[BOB.username])
    who = {"accountId": BOB.account_id} if sandbox.mode == "cloud" else {"username": BOB.username}
    in_ops = call(sandbox, "GET", "user/assignable/search", params={"project": "OPS", **who}).json()
    in_sup = call(sandbox, "GET", "user/assignable/search", params={"project": "SUP", **who}).json()
    assert in_ops == [] and len(in_sup) == 1
    key = sandbox.add_issue(project="OPS", issuetype="Bug")
    refused = call(sandbox, "PUT", f"issue/{key}", json={"fields": {"assignee": bob(sandbox)}})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"assignee": "User 'Bob Brown' cannot be assigned issues."}
    assert call(sandbox, "PUT", f"issue/{key}/assignee", json=bob(sandbox)).status_code == 400
    assert sandbox.jira().issue(key).fields.assignee is None


def test_a_narrower_priority_scheme(sandbox: Sandbox) -> None:
    sandbox.configure_project("OPS", priorities=["Low", "Medium", "High"])
    ops_id = sandbox.jira().project("OPS").id
    narrowed = call(sandbox, "GET", "priority/search", params={"projectId": ops_id}).json()["values"]
    assert [p["name"] for p in narrowed] == ["High", "Medium", "Low"]
    key = sandbox.add_issue(project="OPS", issuetype="Incident")
    allowed = edit_screen(sandbox, key)["priority"]["allowedValues"]
    assert [p["name"] for p in allowed] == ["High", "Medium", "Low"]
    refused = call(sandbox, "PUT", f"issue/{key}", json={"fields": {"priority": {"name": "Highest"}}})
    assert (refused.status_code, refused.json()["errors"]) == (400, {"priority": "The priority selected is invalid."})
    assert call(sandbox, "PUT", f"issue/{key}", json={"fields": {"priority": {"name": "High"}}}).status_code == 204


def test_an_edit_screen_without_a_field(sandbox: Sandbox) -> None:
    sandbox.configure_project("OPS", hidden_fields={"Incident": ["priority"], "*": ["duedate"]})
    incident = sandbox.add_issue(project="OPS", issuetype="Incident")
    bug = sandbox.add_issue(project="OPS", issuetype="Bug")
    assert not {"priority", "duedate"} & set(edit_screen(sandbox, incident))
    assert "priority" in edit_screen(sandbox, bug) and "duedate" not in edit_screen(sandbox, bug)
    body = {"fields": {"priority": {"name": "High"}}, "update": {"labels": [{"add": "x"}]}}
    refused = call(sandbox, "PUT", f"issue/{incident}", json=body)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."
    }
    assert sandbox.jira().issue(incident).fields.labels == [], "refused as a whole: the label was not added"
    assert call(sandbox, "PUT", f"issue/{bug}", json=body).status_code == 204


def test_schemes_through_the_admin_endpoint(cloud: Sandbox) -> None:
    url = f"{cloud.url}/_sandbox/projects/SUP/schemes"
    wanted = {"unassignable": ["dave"], "priorities": ["High"], "hidden_fields": {"Bug": ["labels"]}}
    assert requests.put(url, json=wanted, auth=cloud.auth, timeout=10).status_code == 204
    stored = requests.get(url, auth=cloud.auth, timeout=10).json()
    assert stored["unassignable"] == ["acc-dave"] and stored["priorities"] == [2]
    assert stored["hidden_fields"] == {"Bug": ["labels"]}
    for bad in ({"denied": {"dave": ["FLY"]}}, {"unassignable": ["ghost"]}, {"priorities": ["Urgent"]}):
        answer = requests.put(url, json=bad, auth=cloud.auth, timeout=10)
        assert answer.status_code == 400 and set(answer.json()) == {"errorMessages", "errors"}, answer.text
    assert requests.delete(f"{cloud.url}/_sandbox/projects/schemes", auth=cloud.auth, timeout=10).status_code == 204
    assert requests.get(url, auth=cloud.auth, timeout=10).json()["priorities"] is None


@pytest.mark.parametrize(("mode", "status"), [("cloud", 400), ("server", 200)])
def test_mypermissions_without_keys(cloud: Sandbox, server: Sandbox, mode: str, status: int) -> None:
    """Cloud requires the keys asked about; Data Center answers every permission."""
    sandbox = cloud if mode == "cloud" else server
    answer = call(sandbox, "GET", "mypermissions", params={"projectKey": "OPS"})
    assert answer.status_code == status
    unknown = call(sandbox, "GET", "mypermissions", params={"projectKey": "OPS", "permissions": "FLY"})
    assert unknown.status_code == 400
