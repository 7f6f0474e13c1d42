"""Users: `user` (Cloud `accountId`, Server `username`/`key`), `user/search` (always a JSON array),
`user/assignable/search` (in a project, honouring its schemes) and `group/member` (a page of a group's members,
by `groupname`, the same shape on Cloud and Data Center). Cloud rejects `username` (GDPR strict mode)
as Jira Cloud does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response

from jira_sandbox import catalog, schemes
from jira_sandbox import issues as issue_store
from jira_sandbox import users as user_store
from jira_sandbox.context import ApiContext
from jira_sandbox.errors import JiraApiError, bad_request
from jira_sandbox.responses import json_response

router = APIRouter(prefix="/rest/api/{api_version}")

_GDPR = "The query parameter 'username' is not supported in GDPR strict mode."


@router.get("/user")
def get_user(
    ctx: ApiContext, accountId: str | None = None, username: str | None = None, key: str | None = None
) -> Response:
    with ctx.runtime.store.transaction() as db:
        if ctx.is_cloud:
            if accountId is None:
                raise bad_request(
                    _GDPR if (username or key) else "The 'accountId' query parameter needs to be provided."
                )
            user = user_store.by_account_id(db, accountId)
            missing = f"User with accountId '{accountId}' does not exist."
        else:
            wanted = username or key
            if wanted is None:
                raise bad_request("Either the 'username' or the 'key' query parameters need to be provided")
            user = user_store.by_name(db, wanted)
            missing = f"The user named '{wanted}' does not exist"
    if user is None:
        raise JiraApiError(404, [missing])
    return json_response(user_store.render(user, ctx.mode, ctx.urls))


@router.get("/user/search")
def search_users(
    ctx: ApiContext,
    query: str | None = None,
    username: str | None = None,
    accountId: str | None = None,
    startAt: int = 0,
    maxResults: int = 50,
    includeActive: bool = True,
    includeInactive: bool = False,
) -> Response:
    with ctx.runtime.store.transaction() as db:
        if ctx.is_cloud and accountId:
            user = user_store.by_account_id(db, accountId)
            found = [user] if user is not None else []
        else:
            if ctx.is_cloud and username and not query:
                raise bad_request(_GDPR)
            text = query if ctx.is_cloud else (username or query)
            if text is None:
                raise bad_request(
                    "One of 'query' or 'accountId' query parameters must be provided."
                    if ctx.is_cloud
                    else "The username query parameter was not provided"
                )
            found = user_store.search(
                db,
                text,
                match_username=not ctx.is_cloud,
                include_active=includeActive,
                include_inactive=includeInactive if not ctx.is_cloud else True,
                start_at=startAt,
                max_results=maxResults,
            )
    return json_response([user_store.render(user, ctx.mode, ctx.urls) for user in found])


@router.get("/user/assignable/search")
def assignable_users(
    ctx: ApiContext,
    query: str | None = None,
    username: str | None = None,
    accountId: str | None = None,
    project: str | None = None,
    issueKey: str | None = None,
    startAt: int = 0,
    maxResults: int = 50,
) -> Response:
    """Active users whose name, email (or, on Data Center, username) starts with the query, or the one
    `accountId`, who may be assigned issues of `project` (or of `issueKey`'s project)."""
    with ctx.runtime.store.transaction() as db:
        if project is not None:
            project_id = catalog.find_project_id(db, project)
            if project_id is None:
                raise JiraApiError(404, [f"No project could be found with key '{project}'."])
        elif issueKey is not None:
            project_id = int(issue_store.find_issue(db, issueKey)["project_id"])
        else:
            raise bad_request("The project or issue key is required.")
        if accountId:
            user = user_store.by_account_id(db, accountId)
            found = [user] if user is not None else []
        else:
            found = user_store.search(
                db,
                query or username or "",
                match_username=not ctx.is_cloud,
                include_active=True,
                include_inactive=False,
                start_at=0,
                max_results=10_000,
            )
        found = [user for user in found if schemes.assignable(db, user, project_id)][startAt : startAt + maxResults]
    return json_response([user_store.render(user, ctx.mode, ctx.urls) for user in found])


@router.get("/group/member")
def group_members(
    ctx: ApiContext,
    groupname: str | None = None,
    groupId: str | None = None,
    includeInactiveUsers: bool = False,
    startAt: int = 0,
    maxResults: int = 50,
) -> Response:
    """A page of the members of a group, named by `groupname` (the sandbox's groups have no separate ids, so a
    `groupId` is taken as the name). Both cap a page at 50 members. Data Center answers administrators only
    (its `GroupResource` Javadoc: "sysadmin or admin permissions"); Cloud's *Browse users and groups* global
    permission is not modelled, every user has it."""
    name = groupname or groupId
    if not name:
        raise bad_request("Either the 'groupname' or the 'groupId' query parameter needs to be provided.")
    if not ctx.is_cloud and not ctx.caller.is_admin:
        raise JiraApiError(403, ["You do not have the permission to see the members of the specified group."])
    if startAt < 0 or maxResults < 1:
        raise bad_request("'startAt' must be 0 or more and 'maxResults' 1 or more.")
    with ctx.runtime.store.transaction() as db:
        members = user_store.group_users(db, name)
    if members is None:
        raise JiraApiError(404, ["Specified group does not exist."])
    if not includeInactiveUsers:
        members = [user for user in members if user.active]
    size = min(maxResults, 50)
    page = members[startAt : startAt + size]
    query = f"groupname={quote(name)}&includeInactiveUsers={str(includeInactiveUsers).lower()}"
    body: dict[str, Any] = {
        "self": f"{ctx.urls.api}/group/member?{query}&startAt={startAt}&maxResults={size}",
        "maxResults": size,
        "startAt": startAt,
        "total": len(members),
        "isLast": startAt + len(page) >= len(members),
        "values": [user_store.render(user, ctx.mode, ctx.urls, details=True) for user in page],
    }
    if not body["isLast"]:
        body["nextPage"] = f"{ctx.urls.api}/group/member?{query}&startAt={startAt + len(page)}&maxResults={size}"
    return json_response(body)
