"""The JQL fields the sandbox knows: clause names and their aliases, the operators each accepts, the
columns behind them, and resolving a clause name (including `cf[N]`, `customfield_N` and custom field
names) to a canonical field. Jira's 400 for a field it does not know."""

from __future__ import annotations

import re
import sqlite3

from jira_sandbox.errors import bad_request

EQUALITY = frozenset({"=", "!=", "IN", "NOT IN", "IS", "IS NOT"})
ORDERING = frozenset({">", ">=", "<", "<="})
TEXT = frozenset({"~", "!~", "IS", "IS NOT"})
KEY_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")

FIELD_ALIASES = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "issue": "key",
    "issuetype": "issuetype",
    "type": "issuetype",
    "status": "status",
    "statuscategory": "statuscategory",
    "resolution": "resolution",
    "priority": "priority",
    "assignee": "assignee",
    "reporter": "reporter",
    "creator": "creator",
    "labels": "labels",
    "component": "component",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "resolutiondate": "resolutiondate",
    "resolved": "resolutiondate",
    "duedate": "duedate",
    "due": "duedate",
    "summary": "summary",
    "description": "description",
    "text": "text",
    "comment": "comment",
}
DATE_COLUMNS = {
    "created": "created",
    "updated": "updated",
    "resolutiondate": "resolution_date",
    "duedate": "due_date",
}
REF_TABLES = {
    "issuetype": ("issue_type_id", "issue_types"),
    "status": ("status_id", "statuses"),
    "resolution": ("resolution_id", "resolutions"),
    "priority": ("priority_id", "priorities"),
}
OPERATORS = {
    "project": EQUALITY,
    "key": EQUALITY | ORDERING,
    "issuetype": EQUALITY,
    "status": EQUALITY,
    "statuscategory": EQUALITY,
    "resolution": EQUALITY,
    "priority": EQUALITY | ORDERING,
    "assignee": EQUALITY,
    "reporter": EQUALITY,
    "creator": EQUALITY,
    "labels": EQUALITY,
    "component": EQUALITY,
    "created": EQUALITY | ORDERING,
    "updated": EQUALITY | ORDERING,
    "resolutiondate": EQUALITY | ORDERING,
    "duedate": EQUALITY | ORDERING,
    "summary": TEXT,
    "description": TEXT,
    "text": frozenset({"~", "!~"}),
    "comment": frozenset({"~", "!~"}),
}


def resolve_field(db: sqlite3.Connection, name: str) -> tuple[str, int | None]:
    """(canonical field, custom field id) or Jira's 400 for a field it does not know."""
    lowered = name.lower()
    if lowered in FIELD_ALIASES:
        return FIELD_ALIASES[lowered], None
    match = re.fullmatch(r"(?:cf\[(\d+)\]|customfield_(\d+))", lowered)
    if match:
        custom_id = int(match.group(1) or match.group(2))
        row = db.execute("SELECT id FROM custom_fields WHERE id = ?", (custom_id,)).fetchone()
        if row is not None:
            return "custom", custom_id
    else:
        row = db.execute("SELECT id FROM custom_fields WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
        if row is not None:
            return "custom", int(row["id"])
    raise bad_request(f"Field '{name}' does not exist or you do not have permission to view it.")
