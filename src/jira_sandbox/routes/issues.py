"""Issues: get, edit (fields, update, inline properties, notifyUsers, returnIssue), create (single and
bulk), assignee, comments, issue properties, notify (kept in the outbox) and the changelog."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from jira_sandbox import adf
from jira_sandbox import issues as issue_store
from jira_sandbox import users as user_store
from jira_sandbox.context import Api, ApiContext, JsonBody
from jira_sandbox.errors import JiraApiError, bad_request, forbidden
from jira_sandbox.issue_input import (
    COMMENT_FORBIDDEN,
    EditReader,
    read_new_issue,
    read_properties,
    require_assign,
    require_assignable,
    require_edit,
    resolve_assignee,
)
from jira_sandbox.issue_view import FieldSelection, IssueRenderer
from jira_sandbox.issues import IssueEdit
from jira_sandbox.responses import json_response, no_content
from jira_sandbox.schemes import permitted

router = APIRouter(prefix="/rest/api/{api_version}")

NOTIFY_FORBIDDEN = "To discard the user notification either admin or project admin permissions are required."


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def render_issue(
    ctx: Api,
    db: sqlite3.Connection,
    issue_id: int,
    fields: list[str] | None,
    expand: list[str] | None,
    properties: list[str] | None,
) -> dict[str, Any]:
    renderer = IssueRenderer(db, ctx.urls, ctx.mode)
    selection = FieldSelection.parse(fields, "*all")
    (body,) = renderer.render_many(
        [issue_id], selection, expand=frozenset(_split(expand)), properties=_split(properties)
    )
    return body


@router.get("/issue/{issue_key}")
def get_issue(
    issue_key: str,
    ctx: ApiContext,
    fields: Annotated[list[str] | None, Query()] = None,
    expand: Annotated[list[str] | None, Query()] = None,
    properties: Annotated[list[str] | None, Query()] = None,
) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        return json_response(render_issue(ctx, db, issue["id"], fields, expand, properties))


def _notify_flag(ctx: Api, notify: str | None) -> None:
    if notify is not None and notify.lower() == "false" and not ctx.caller.is_admin:
        raise forbidden(NOTIFY_FORBIDDEN)


@router.put("/issue/{issue_key}")
def edit_issue(
    issue_key: str,
    ctx: ApiContext,
    body: JsonBody,
    notifyUsers: str | None = None,
    returnIssue: str | None = None,
    expand: Annotated[list[str] | None, Query()] = None,
) -> Response:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object with 'fields', 'update' or 'properties'.")
    _notify_flag(ctx, notifyUsers)
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        require_edit(ctx.caller, db, issue["project_id"])
        edit = IssueEdit(db, issue, ctx.caller.account_id, ctx.now)
        reader = EditReader(db, edit, ctx.caller, ctx.mode)
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise bad_request("'fields' and 'update' must be objects.")
        both = set(fields) & set(update)
        if both:
            name = sorted(both)[0]
            raise JiraApiError(
                400,
                [],
                {name: f"Field '{name}' cannot be set. It is specified in both 'fields' and 'update'."},
            )
        for name, value in fields.items():
            reader.set_field(name, value)
        for name, operations in update.items():
            reader.apply_update(name, operations)
        properties = read_properties(body.get("properties"))
        for text in reader.comments:
            issue_store.add_comment(db, issue, ctx.caller.account_id, text, ctx.now)
            edit.touch()
        edit.save()
        for key, value in properties.items():
            issue_store.set_property(db, issue["id"], key, value)
        if returnIssue is not None and returnIssue.lower() == "true":
            return json_response(render_issue(ctx, db, issue["id"], None, expand, None))
    return no_content()


@router.post("/issue", status_code=201)
def create_issue(ctx: ApiContext, body: JsonBody) -> Response:
    require_edit(ctx.caller)
    with ctx.runtime.store.transaction() as db:
        new = read_new_issue(db, body, ctx.caller, ctx.mode, ctx.now)
        ((issue_id, key),) = issue_store.insert_issues(db, [new])
    return json_response({"id": str(issue_id), "key": key, "self": ctx.urls.issue(issue_id)}, 201)


@router.post("/issue/bulk", status_code=201)
def create_issues(ctx: ApiContext, body: JsonBody) -> Response:
    require_edit(ctx.caller)
    updates = body.get("issueUpdates") if isinstance(body, dict) else None
    if not isinstance(updates, list):
        raise bad_request("The request body needs 'issueUpdates'.")
    created: list[dict[str, str]] = []
    failures: list[dict[str, Any]] = []
    with ctx.runtime.store.transaction() as db:
        news = []
        for index, update in enumerate(updates):
            try:
                news.append(read_new_issue(db, update, ctx.caller, ctx.mode, ctx.now))
            except JiraApiError as error:
                failures.append({"status": error.status, "elementErrors": error.body(), "failedElementNumber": index})
        for issue_id, key in issue_store.insert_issues(db, news):
            created.append({"id": str(issue_id), "key": key, "self": ctx.urls.issue(issue_id)})
    status = 201 if created or not failures else 400
    return json_response({"issues": created, "errors": failures}, status)


@router.put("/issue/{issue_key}/assignee")
def assign_issue(issue_key: str, ctx: ApiContext, body: JsonBody) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        require_assign(ctx.caller, db, issue["project_id"])
        lead = db.execute("SELECT lead FROM projects WHERE id = ?", (issue["project_id"],)).fetchone()["lead"]
        account_id = resolve_assignee(db, body, ctx.mode, lead)
        require_assignable(db, account_id, issue["project_id"])
        edit = IssueEdit(db, issue, ctx.caller.account_id, ctx.now)
        edit.set_assignee(account_id)
        edit.save()
    return no_content()


@router.get("/issue/{issue_key}/comment")
def list_comments(issue_key: str, ctx: ApiContext, startAt: int = 0, maxResults: int = 5000) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        comments = IssueRenderer(db, ctx.urls, ctx.mode).comments_by_issue([issue["id"]]).get(issue["id"], [])
    page = comments[startAt : startAt + maxResults]
    return json_response({"comments": page, "maxResults": maxResults, "total": len(comments), "startAt": startAt})


@router.post("/issue/{issue_key}/comment", status_code=201)
def add_comment(issue_key: str, ctx: ApiContext, body: JsonBody) -> Response:
    if not isinstance(body, dict) or "body" not in body:
        raise JiraApiError(400, [], {"comment": "Comment body can not be empty!"})
    text = body["body"]
    if ctx.v3 and not isinstance(text, dict):
        raise JiraApiError(400, [], {"comment": "Comment body is not valid Atlassian Document Format."})
    plain = adf.to_text(text)
    if not plain.strip():
        raise JiraApiError(400, [], {"comment": "Comment body can not be empty!"})
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        if not permitted(db, ctx.caller, issue["project_id"], "ADD_COMMENTS"):
            raise forbidden(COMMENT_FORBIDDEN)
        comment_id = issue_store.add_comment(db, issue, ctx.caller.account_id, plain, ctx.now)
        row = db.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
        return json_response(IssueRenderer(db, ctx.urls, ctx.mode).comment(row), 201)


@router.get("/issue/{issue_key}/properties")
def property_keys(issue_key: str, ctx: ApiContext) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        keys = issue_store.property_keys(db, issue["id"])
    return json_response({"keys": [{"self": ctx.urls.issue_property(issue["key"], key), "key": key} for key in keys]})


@router.get("/issue/{issue_key}/properties/{property_key}")
def get_property(issue_key: str, property_key: str, ctx: ApiContext) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        value = issue_store.get_property(db, issue["id"], property_key)
    return json_response({"key": property_key, "value": value})


@router.put("/issue/{issue_key}/properties/{property_key}")
def set_property(issue_key: str, property_key: str, ctx: ApiContext, body: JsonBody) -> Response:
    if body is None:
        raise bad_request("The property value cannot be empty.")
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        require_edit(ctx.caller, db, issue["project_id"])
        created = issue_store.set_property(db, issue["id"], property_key, body)
    return json_response({}, 201) if created else json_response({}, 200)


@router.delete("/issue/{issue_key}/properties/{property_key}")
def delete_property(issue_key: str, property_key: str, ctx: ApiContext) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        require_edit(ctx.caller, db, issue["project_id"])
        issue_store.delete_property(db, issue["id"], property_key)
    return no_content()


def _recipients(db: sqlite3.Connection, ctx: Api, issue: sqlite3.Row, to: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for role in ("reporter", "assignee"):
        if to.get(role) and issue[role]:
            found.append(issue[role])
    for entry in to.get("users") or []:
        wanted = entry.get("accountId") if ctx.is_cloud else entry.get("name") or entry.get("key")
        user = None
        if wanted:
            user = user_store.by_account_id(db, wanted) if ctx.is_cloud else user_store.by_name(db, wanted)
        if user is None:
            raise bad_request(f"User '{wanted}' does not exist.")
        found.append(user.account_id)
    for entry in to.get("groups") or []:
        members = user_store.group_members(db, str(entry.get("name", ""))) or []
        found.extend(members)
    return list(dict.fromkeys(found))


@router.post("/issue/{issue_key}/notify")
def notify(issue_key: str, ctx: ApiContext, body: JsonBody) -> Response:
    if not isinstance(body, dict):
        raise bad_request("The notification needs a body.")
    to = body.get("to") or {"reporter": True, "assignee": True, "watchers": True}
    if not isinstance(to, dict):
        raise bad_request("'to' must be an object.")
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        if not ctx.caller.can_edit:
            raise forbidden("You do not have permission to send notifications for this issue.")
        recipients = _recipients(db, ctx, issue, to)
        if not recipients and not to.get("watchers") and not to.get("voters"):
            raise bad_request("No recipients were defined for notification.")
        payload = {
            "subject": body.get("subject"),
            "textBody": body.get("textBody"),
            "htmlBody": body.get("htmlBody"),
            "to": to,
            "recipients": recipients,
        }
        issue_store.record_notification(db, issue["key"], ctx.caller.account_id, payload, ctx.now)
    return no_content()


@router.get("/issue/{issue_key}/changelog")
def changelog(issue_key: str, ctx: ApiContext, startAt: int = 0, maxResults: int = 100) -> Response:
    with ctx.runtime.store.transaction() as db:
        issue = issue_store.find_issue(db, issue_key)
        histories = IssueRenderer(db, ctx.urls, ctx.mode).histories_by_issue([issue["id"]]).get(issue["id"], [])
    page = histories[startAt : startAt + maxResults]
    return json_response(
        {
            "self": f"{ctx.urls.issue(issue['id'])}/changelog?startAt={startAt}&maxResults={maxResults}",
            "maxResults": maxResults,
            "startAt": startAt,
            "total": len(histories),
            "isLast": startAt + len(page) >= len(histories),
            "values": page,
        }
    )
