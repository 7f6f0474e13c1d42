"""What the caller may do, as Jira reports it before anyone writes: `mypermissions` (project permissions in a
project or an issue's project) and `issue/{key}/editmeta` (the fields of the issue's edit screen the caller
may set). Both read the project's schemes (`schemes.py`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Response

from jira_sandbox import catalog
from jira_sandbox import issues as issue_store
from jira_sandbox.context import Api, ApiContext
from jira_sandbox.errors import JiraApiError, bad_request
from jira_sandbox.fields import FieldSpec, all_fields
from jira_sandbox.responses import json_response
from jira_sandbox.schemes import PERMISSIONS, hidden_fields, load, permitted

router = APIRouter(prefix="/rest/api/{api_version}")

EDITABLE: dict[str, list[str]] = {
    # the fields an edit can set, with the operations `update` takes for them
    "summary": ["set"],
    "description": ["set"],
    "issuetype": ["set"],
    "priority": ["set"],
    "assignee": ["set"],
    "reporter": ["set"],
    "labels": ["add", "set", "remove"],
    "components": ["add", "set", "remove"],
    "duedate": ["set"],
    "comment": ["add"],
}


@router.get("/mypermissions")
def my_permissions(
    ctx: ApiContext,
    projectKey: str | None = None,
    projectId: str | None = None,
    issueKey: str | None = None,
    issueId: str | None = None,
    permissions: str | None = None,
) -> Response:
    keys = [key.strip() for key in (permissions or "").split(",") if key.strip()]
    if not keys:
        if ctx.is_cloud:
            raise bad_request("The permissions query parameter is required.")
        keys = list(PERMISSIONS)
    unknown = [key for key in keys if key not in PERMISSIONS]
    if unknown:
        raise bad_request(f"Invalid permissions: {', '.join(unknown)}")
    with ctx.runtime.store.transaction() as db:
        project_id = _project_of(db, projectId or projectKey, issueId or issueKey)
        body = {
            key: {
                "id": PERMISSIONS[key][0],
                "key": key,
                "name": PERMISSIONS[key][1],
                "type": "PROJECT",
                "description": f"Permission to {PERMISSIONS[key][1].lower()}.",
                "havePermission": _has(db, ctx, project_id, key),
            }
            for key in keys
        }
    return json_response({"permissions": body})


@router.get("/issue/{issue_key}/editmeta")
def edit_meta(issue_key: str, ctx: ApiContext) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        project_id = int(issue["project_id"])
        if not permitted(db, ctx.caller, project_id, "EDIT_ISSUES"):
            return json_response({"fields": {}})
        kind = db.execute("SELECT name FROM issue_types WHERE id = ?", (issue["issue_type_id"],)).fetchone()
        hidden = set(hidden_fields(db, project_id, str(kind["name"])))
        if not permitted(db, ctx.caller, project_id, "ASSIGN_ISSUES"):
            hidden.add("assignee")
        if not permitted(db, ctx.caller, project_id, "ADD_COMMENTS"):
            hidden.add("comment")
        fields = {
            spec.id: _field_meta(db, ctx, spec, project_id)
            for spec in all_fields(db)
            if (spec.id in EDITABLE or spec.custom) and spec.id not in hidden
        }
    return json_response({"fields": fields})


def _field_meta(db: sqlite3.Connection, ctx: Api, spec: FieldSpec, project_id: int) -> dict[str, Any]:
    rendered = spec.render()
    meta: dict[str, Any] = {
        "required": spec.id in ("summary", "issuetype"),
        "schema": rendered["schema"],
        "name": spec.name,
        "key": spec.id,
        "operations": EDITABLE.get(spec.id, ["set"]),
    }
    if spec.id == "priority":
        allowed = load(db, project_id)["priorities"]
        rows = db.execute("SELECT * FROM priorities ORDER BY sequence").fetchall()
        meta["allowedValues"] = [
            catalog.render_priority(row, ctx.urls) for row in rows if allowed is None or row["id"] in allowed
        ]
    elif spec.id == "components":
        rows = db.execute("SELECT * FROM components WHERE project_id = ? ORDER BY name", (project_id,)).fetchall()
        meta["allowedValues"] = [catalog.render_component(row, ctx.urls) for row in rows]
    return meta


def _project_of(db: sqlite3.Connection, project: str | None, issue: str | None) -> int | None:
    """The project a mypermissions request asks about: by id or key, or the issue's; None: anywhere."""
    if project is not None:
        found = catalog.find_project_id(db, project)
        if found is None:
            raise JiraApiError(404, [f"No project could be found with key '{project}'."])
        return found
    if issue is not None:
        return int(issue_store.find_issue(db, issue)["project_id"])
    return None


def _has(db: sqlite3.Connection, ctx: Api, project_id: int | None, key: str) -> bool:
    if project_id is not None:
        return permitted(db, ctx.caller, project_id, key)
    projects = [int(row["id"]) for row in db.execute("SELECT id FROM projects")]
    return any(permitted(db, ctx.caller, pid, key) for pid in projects)  # anywhere: in any project, as in Jira
