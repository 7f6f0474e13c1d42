"""Changelogs in bulk, as Jira Cloud serves them, and the cut Cloud makes to the changelog a search embeds.

- ``POST changelog/bulkfetch`` (Cloud only, ``getBulkChangelogs``): the changelogs of up to 1,000 issues (ids or
  keys), optionally only the items of up to 10 field ids, ``maxResults`` histories a page (default 1,000, at most
  10,000), oldest first and by issue id, paged by ``nextPageToken`` (absent on the last page). Each page groups its
  histories by issue (``issueChangeLogs``, by ``issueId``); a history left without items by the field filter is
  left out. Keys and ids Jira does not have are left out too. Data Center has no such operation (404).
- ``EMBEDDED_HISTORIES``: Jira Cloud embeds at most the 40 most recent histories of an issue in a search answer
  (JRACLOUD-96459), with ``total`` the full count; the rest is only in the changelog operations.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from typing import Any

from fastapi import APIRouter, Response

from jira_sandbox.context import ApiContext, JsonBody
from jira_sandbox.errors import JiraApiError, bad_request
from jira_sandbox.issue_view import IssueRenderer
from jira_sandbox.responses import json_response

__all__ = ["EMBEDDED_HISTORIES", "cut_embedded_changelog", "router"]

router = APIRouter(prefix="/rest/api/{api_version}")

EMBEDDED_HISTORIES = 40
MAX_ISSUES = 1000
MAX_FIELDS = 10
DEFAULT_RESULTS = 1000
MAX_RESULTS = 10000
RENDER_CHUNK = 100
BAD_TOKEN = "The provided next page token is invalid or expired."


def cut_embedded_changelog(issue: dict[str, Any]) -> None:
    """The changelog of a rendered issue (oldest first) cut to its newest ``EMBEDDED_HISTORIES`` histories, as
    Cloud's search embeds it; ``total`` keeps the full count."""
    changelog = issue.get("changelog")
    if not isinstance(changelog, dict) or len(changelog["histories"]) <= EMBEDDED_HISTORIES:
        return
    histories = changelog["histories"][-EMBEDDED_HISTORIES:]
    issue["changelog"] = {**changelog, "maxResults": EMBEDDED_HISTORIES, "histories": histories}


@router.post("/changelog/bulkfetch")
def bulk_changelogs(ctx: ApiContext, body: JsonBody) -> Response:
    if not ctx.is_cloud:
        raise JiraApiError(404, ["null for uri: changelog/bulkfetch"])
    request = body if isinstance(body, dict) else {}
    wanted = _texts(request.get("issueIdsOrKeys"), "issueIdsOrKeys")
    if not wanted:
        raise bad_request("At least one issue ID or key is required.")
    if len(wanted) > MAX_ISSUES:
        raise bad_request(f"The number of issue IDs or keys must not exceed {MAX_ISSUES}.")
    fields = _texts(request.get("fieldIds"), "fieldIds")
    if len(fields) > MAX_FIELDS:
        raise bad_request(f"The number of field IDs must not exceed {MAX_FIELDS}.")
    limit = request.get("maxResults", DEFAULT_RESULTS)
    limit = DEFAULT_RESULTS if limit is None else limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise bad_request(f"maxResults must be between 1 and {MAX_RESULTS}.")
    digest = _digest(wanted, fields)
    offset = _offset(request.get("nextPageToken"), digest)
    with ctx.runtime.store.transaction() as db:
        ids = _issue_ids(db, wanted)
        histories = _histories(IssueRenderer(db, ctx.urls, ctx.mode), ids, set(fields))
    page = histories[offset : offset + limit]
    grouped: dict[int, list[dict[str, Any]]] = {}
    for issue_id, history in page:
        grouped.setdefault(issue_id, []).append(history)
    answer: dict[str, Any] = {
        "issueChangeLogs": [
            {"issueId": str(issue_id), "changeHistories": entries} for issue_id, entries in grouped.items()
        ]
    }
    if offset + len(page) < len(histories):
        answer["nextPageToken"] = _token(offset + len(page), digest)
    return json_response(answer)


def _texts(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"'{name}' must be a list of strings.")
    return list(dict.fromkeys(value))


def _issue_ids(db: sqlite3.Connection, wanted: list[str]) -> list[int]:
    """The ids of the issues named by id or key that exist, smallest first; the others are left out."""
    numbers = [int(item) for item in wanted if item.isdigit()]
    keys = [item.upper() for item in wanted if not item.isdigit()]
    found: set[int] = set()
    for column, values in (("id", numbers), ("key", keys)):
        if values:
            marks = ",".join("?" * len(values))
            found.update(row[0] for row in db.execute(f"SELECT id FROM issues WHERE {column} IN ({marks})", values))
    return sorted(found)


def _histories(renderer: IssueRenderer, ids: list[int], fields: set[str]) -> list[tuple[int, dict[str, Any]]]:
    """Every history of the issues, oldest first and by issue id, with only the items of ``fields`` (all when
    empty); a history left without items is left out."""
    if not ids:
        return []
    found: list[tuple[str, int, int, dict[str, Any]]] = []
    grouped: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), RENDER_CHUNK):  # keeps each query's variables well under SQLite's limit
        grouped.update(renderer.histories_by_issue(ids[start : start + RENDER_CHUNK]))
    for issue_id, histories in grouped.items():
        for history in histories:
            items = [item for item in history["items"] if not fields or _field_id(item) in fields]
            if items:
                found.append((history["created"], issue_id, int(history["id"]), {**history, "items": items}))
    found.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
    return [(issue_id, history) for _, issue_id, _, history in found]


def _field_id(item: dict[str, Any]) -> str:
    return str(item.get("fieldId") or item.get("field"))


def _digest(wanted: list[str], fields: list[str]) -> str:
    return hashlib.sha1(json.dumps([wanted, sorted(fields)]).encode()).hexdigest()[:16]


def _token(offset: int, digest: str) -> str:
    raw = json.dumps({"o": offset, "q": digest}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _offset(token: Any, digest: str) -> int:
    """Where the page a token names starts; Jira's 400 for a token of another request or one that does not read."""
    if token is None or token == "":
        return 0
    try:
        text = str(token)
        raw = json.loads(base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode()))
        offset, mine = int(raw["o"]), str(raw["q"])
    except (ValueError, KeyError, TypeError):
        raise bad_request(BAD_TOKEN) from None
    if mine != digest or offset < 0:
        raise bad_request(BAD_TOKEN)
    return offset
