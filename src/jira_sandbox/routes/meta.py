"""Instance-level resources: serverInfo (anonymous, as in Jira; `deploymentType` decides the client's
mode), myself, fields, priorities, statuses, resolutions, issue types and projects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from jira_sandbox import catalog, jiratime, schemes
from jira_sandbox import users as user_store
from jira_sandbox.context import Api, ApiContext, api_urls
from jira_sandbox.errors import JiraApiError
from jira_sandbox.fields import all_fields
from jira_sandbox.responses import json_response
from jira_sandbox.runtime import runtime_of

router = APIRouter(prefix="/rest/api/{api_version}")

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0], 100289)
SERVER_VERSION = ("9.12.15", [9, 12, 15], 9120015)


@router.get("/serverInfo")
def server_info(request: Request) -> Response:
    runtime = runtime_of(request)
    urls = api_urls(request)
    version, numbers, build = CLOUD_VERSION if runtime.settings.is_cloud else SERVER_VERSION
    body: dict[str, Any] = {
        "baseUrl": urls.base.rstrip("/"),
        "displayUrl": urls.base.rstrip("/"),
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": runtime.settings.deployment_type,
        "buildNumber": build,
        "buildDate": "2025-11-01T00:00:00.000+0000",
        "serverTime": jiratime.format_jira(jiratime.now_ms()),
        "scmInfo": "jira-sandbox",
        "serverTitle": runtime.settings.server_title,
    }
    return json_response(body)


@router.get("/myself")
def myself(ctx: ApiContext) -> Response:
    body = user_store.render(ctx.caller, ctx.mode, ctx.urls)
    body["groups"] = {"size": 0, "items": []}
    body["applicationRoles"] = {"size": 1, "items": []}
    return json_response(body)


@router.get("/field")
def fields(ctx: ApiContext) -> Response:
    with ctx.runtime.store.transaction() as db:
        return json_response([spec.render() for spec in all_fields(db)])


def _rows(ctx: Api, sql: str, *params: object) -> list[Any]:
    with ctx.runtime.store.transaction() as db:
        return db.execute(sql, params).fetchall()


@router.get("/priority")
def priorities(ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM priorities ORDER BY sequence")
    return json_response([catalog.render_priority(row, ctx.urls) for row in rows])


@router.get("/priority/search")
def priority_search(
    ctx: ApiContext,
    startAt: int = 0,
    maxResults: int = 50,
    projectId: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Every priority, or (`projectId`) those the projects' priority schemes allow."""
    rows = _rows(ctx, "SELECT * FROM priorities ORDER BY sequence")
    if projectId:
        with ctx.runtime.store.transaction() as db:
            allowed = [schemes.load(db, int(pid))["priorities"] for pid in projectId if pid.isdigit()]
        if allowed and all(ids is not None for ids in allowed):
            rows = [row for row in rows if any(row["id"] in ids for ids in allowed if ids is not None)]
    page = rows[startAt : startAt + maxResults]
    return json_response(
        {
            "self": f"{ctx.urls.api}/priority/search?startAt={startAt}&maxResults={maxResults}",
            "maxResults": maxResults,
            "startAt": startAt,
            "total": len(rows),
            "isLast": startAt + len(page) >= len(rows),
            "values": [catalog.render_priority(row, ctx.urls) for row in page],
        }
    )


@router.get("/priority/{priority_id}")
def priority(priority_id: str, ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM priorities WHERE CAST(id AS TEXT) = ?", priority_id)
    if not rows:
        raise JiraApiError(404, [f"The priority with ID '{priority_id}' does not exist."])
    return json_response(catalog.render_priority(rows[0], ctx.urls))


@router.get("/status")
def statuses(ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM statuses ORDER BY id")
    return json_response([catalog.render_status(row, ctx.urls) for row in rows])


@router.get("/resolution")
def resolutions(ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM resolutions ORDER BY id")
    return json_response([catalog.render_resolution(row, ctx.urls) for row in rows])


@router.get("/issuetype")
def issue_types(ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM issue_types ORDER BY id")
    return json_response([catalog.render_issue_type(row, ctx.urls) for row in rows])


def _project_body(ctx: Api, row: Any, full: bool) -> dict[str, Any]:
    body = catalog.render_project(row, ctx.urls)
    if full:
        with ctx.runtime.store.transaction() as db:
            lead = None if row["lead"] is None else user_store.by_account_id(db, row["lead"])
            components = db.execute(
                "SELECT * FROM components WHERE project_id = ? ORDER BY name", (row["id"],)
            ).fetchall()
            types = (
                db.execute(
                    "SELECT DISTINCT t.* FROM issue_types t JOIN issues i ON i.issue_type_id = t.id"
                    " WHERE i.project_id = ?"
                    " ORDER BY t.id",
                    (row["id"],),
                ).fetchall()
                or db.execute("SELECT * FROM issue_types ORDER BY id").fetchall()
            )
        body["description"] = ""
        body["assigneeType"] = "PROJECT_LEAD"
        body["components"] = [catalog.render_component(c, ctx.urls) for c in components]
        body["issueTypes"] = [catalog.render_issue_type(t, ctx.urls) for t in types]
        if lead is not None:
            body["lead"] = user_store.render(lead, ctx.mode, ctx.urls)
    return body


@router.get("/project")
def projects(ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM projects ORDER BY key")
    return json_response([_project_body(ctx, row, full=False) for row in rows])


@router.get("/project/{key}")
def project(key: str, ctx: ApiContext) -> Response:
    rows = _rows(ctx, "SELECT * FROM projects WHERE key = ? OR CAST(id AS TEXT) = ?", key, key)
    if not rows:
        raise JiraApiError(404, [f"No project could be found with key '{key}'."])
    return json_response(_project_body(ctx, rows[0], full=True))


@router.get("/project/{key}/components")
def project_components(key: str, ctx: ApiContext) -> Response:
    rows = _rows(
        ctx,
        "SELECT c.* FROM components c JOIN projects p ON p.id = c.project_id WHERE p.key = ? ORDER BY c.name",
        key,
    )
    return json_response([catalog.render_component(row, ctx.urls) for row in rows])
