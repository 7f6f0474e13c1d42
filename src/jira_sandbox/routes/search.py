"""JQL search, both ways. Cloud: `search/jql` (GET/POST; `nextPageToken` absent on the last page;
`fields` default `id`; `properties` inline; `maxResults` 1..5000, trimmed to 100 when fields beyond
id/key are asked for; an embedded changelog cut to its newest 40 histories, as Cloud cuts it) and
`search/approximate-count`; the legacy `search` answers 410. Server/DC: `search` (GET/POST) with
`startAt`/`maxResults`/`total` and the whole changelog; `search/jql` does not exist there (404)."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from jira_sandbox import cursors, render_cache
from jira_sandbox.context import Api, ApiContext, JsonBody
from jira_sandbox.errors import JiraApiError, bad_request
from jira_sandbox.issue_view import FieldSelection, IssueRenderer
from jira_sandbox.jql import TranslationContext, parse, translate
from jira_sandbox.jql.ast import Query as JqlQuery
from jira_sandbox.responses import json_response
from jira_sandbox.routes.changelogs import cut_embedded_changelog

router = APIRouter(prefix="/rest/api/{api_version}")

GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
    "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
MAX_RESULTS_RANGE = "The max results parameter has to be between 1 and 5,000."
CLOUD_FIELDS_PAGE_LIMIT = 100
SERVER_PAGE_LIMIT = 1000


def _list(value: Any) -> list[str]:
    """A list parameter as sent by GET (repeated or comma-separated) or POST (array, string or null)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [part.strip() for item in values if item is not None for part in str(item).split(",") if part.strip()]


def _int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"The '{name}' parameter must be a whole number.") from None


def _matching_ids(ctx: Api, db: sqlite3.Connection, query: JqlQuery) -> list[int]:
    sql, params = translate(query, TranslationContext(db, ctx.now, ctx.caller.account_id)).select_ids()
    return ctx.runtime.search_results.ids(db, sql, params)


def _render(
    ctx: Api, db: sqlite3.Connection, ids: list[int], fields: Any, default: str, expand: Any, properties: Any
) -> tuple[list[dict[str, Any]], IssueRenderer]:
    property_keys = _list(properties)
    if len(property_keys) > 5:
        raise bad_request("Maximum number of properties to fetch is 5.")
    renderer = IssueRenderer(db, ctx.urls, ctx.mode)
    selection = FieldSelection.parse(_list(fields), default)
    issues = render_cache.render_page(
        ctx.runtime.render_cache,
        renderer,
        db,
        ids,
        selection,
        expand=frozenset(_list(expand)),
        properties=property_keys,
    )
    return issues, renderer


def _enhanced_search(ctx: Api, params: dict[str, Any]) -> Response:
    if not ctx.is_cloud:
        raise JiraApiError(404, ["null for uri: search/jql"])
    jql = params.get("jql") or ""
    max_results = _int(params.get("maxResults"), 50, "maxResults")
    if not 1 <= max_results <= 5000:
        raise bad_request(MAX_RESULTS_RANGE)
    selection = FieldSelection.parse(_list(params.get("fields")), "id")
    if not selection.only_identity:
        max_results = min(max_results, CLOUD_FIELDS_PAGE_LIMIT)
    query = parse(jql)
    if query.where is None:
        raise bad_request(UNBOUNDED)
    digest = cursors.query_digest(jql, ctx.caller.account_id)
    with ctx.runtime.store.transaction() as db:
        token_text = params.get("nextPageToken")
        if token_text:
            token = cursors.decode(str(token_text), digest)
            ids = ctx.runtime.snapshots.get(token.snapshot)
            snapshot = token.snapshot
            if ids is None:
                ids = _matching_ids(ctx, db, query)
                snapshot = ctx.runtime.snapshots.save(ids)
            offset = token.offset
        else:
            ids = _matching_ids(ctx, db, query)
            snapshot = ctx.runtime.snapshots.save(ids)
            offset = 0
        page_ids = ids[offset : offset + max_results]
        issues, renderer = _render(
            ctx, db, page_ids, params.get("fields"), "id", params.get("expand"), params.get("properties")
        )
        for issue in issues:  # Cloud embeds only the newest histories (JRACLOUD-96459)
            if isinstance(issue, dict):  # a kept issue (render_cache) embeds no changelog
                cut_embedded_changelog(issue)
        body: dict[str, Any] = {"issues": issues}
        end = offset + len(page_ids)
        if end < len(ids):
            body["nextPageToken"] = cursors.encode(cursors.PageToken(snapshot, end, digest))
        body["isLast"] = end >= len(ids)
        if "names" in _list(params.get("expand")):
            body["names"] = renderer.names()
    return json_response(body)


@router.get("/search/jql")
def search_jql_get(
    ctx: ApiContext,
    jql: str | None = None,
    nextPageToken: str | None = None,
    maxResults: str | None = None,
    fields: Annotated[list[str] | None, Query()] = None,
    expand: str | None = None,
    properties: Annotated[list[str] | None, Query()] = None,
) -> Response:
    return _enhanced_search(
        ctx,
        {
            "jql": jql,
            "nextPageToken": nextPageToken,
            "maxResults": maxResults,
            "fields": fields,
            "expand": expand,
            "properties": properties,
        },
    )


@router.post("/search/jql")
def search_jql_post(ctx: ApiContext, body: JsonBody) -> Response:
    if body is not None and not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return _enhanced_search(ctx, body or {})


@router.post("/search/approximate-count")
def approximate_count(ctx: ApiContext, body: JsonBody) -> Response:
    if not ctx.is_cloud:
        raise JiraApiError(404, ["null for uri: search/approximate-count"])
    jql = (body or {}).get("jql") if isinstance(body, dict) else None
    query = parse(jql or "")
    if query.where is None:
        raise bad_request(UNBOUNDED)
    with ctx.runtime.store.transaction() as db:
        sql, params = translate(query, TranslationContext(db, ctx.now, ctx.caller.account_id)).count()
        count = db.execute(sql, params).fetchone()[0]
    return json_response({"count": count})


def _legacy_search(ctx: Api, params: dict[str, Any]) -> Response:
    if ctx.is_cloud:
        raise JiraApiError(410, [GONE])
    start_at = max(0, _int(params.get("startAt"), 0, "startAt"))
    max_results = max(0, min(_int(params.get("maxResults"), 50, "maxResults"), SERVER_PAGE_LIMIT))
    query = parse(params.get("jql") or "")
    with ctx.runtime.store.transaction() as db:
        translated = translate(query, TranslationContext(db, ctx.now, ctx.caller.account_id))
        sql, sql_params = translated.select_ids()
        page_ids = [row[0] for row in db.execute(f"{sql} LIMIT ? OFFSET ?", [*sql_params, max_results, start_at])]
        count_sql, count_params = translated.count()
        total = int(db.execute(count_sql, count_params).fetchone()[0])
        issues, renderer = _render(
            ctx,
            db,
            page_ids,
            params.get("fields"),
            "*navigable",
            params.get("expand"),
            params.get("properties"),
        )
        body: dict[str, Any] = {
            "expand": "schema,names",
            "startAt": start_at,
            "maxResults": max_results,
            "total": total,
            "issues": issues,
        }
        if "names" in _list(params.get("expand")):
            body["names"] = renderer.names()
    return json_response(body)


@router.get("/search")
def search_get(
    ctx: ApiContext,
    jql: str | None = None,
    startAt: str | None = None,
    maxResults: str | None = None,
    fields: Annotated[list[str] | None, Query()] = None,
    expand: str | None = None,
    properties: Annotated[list[str] | None, Query()] = None,
    validateQuery: str | None = None,
) -> Response:
    return _legacy_search(
        ctx,
        {
            "jql": jql,
            "startAt": startAt,
            "maxResults": maxResults,
            "fields": fields,
            "expand": expand,
            "properties": properties,
        },
    )


@router.post("/search")
def search_post(ctx: ApiContext, body: JsonBody) -> Response:
    if body is not None and not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return _legacy_search(ctx, body or {})
