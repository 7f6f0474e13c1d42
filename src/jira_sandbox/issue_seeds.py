"""Issues described as plain data, and how to insert them as they are: explicit keys, `created`/`updated`
timestamps in the past, comments and changelog entries with their own authors and times.

Used by the test fixture (`Sandbox.add_issues`), the admin endpoint and the JSON import. Unknown projects,
issue types, components and custom fields are created; unknown users, statuses and priorities are errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jira_sandbox import catalog, jiratime
from jira_sandbox import users as user_store
from jira_sandbox.errors import JiraApiError
from jira_sandbox.issues import ChangeItem, ChangeRecord, NewIssue, insert_changes, insert_issues

_USER_FIELDS = {"assignee", "reporter", "creator"}
_REF_FIELDS = {
    "priority": "priorities",
    "status": "statuses",
    "resolution": "resolutions",
    "issuetype": "issue_types",
}


class CommentSeed(BaseModel):
    author: str
    body: str
    created: datetime | None = None


class ChangeItemSeed(BaseModel):
    """One changed field. For users give accountId or username; for priority/status/resolution a name
    or id; `fromString`/`toString` are filled in when omitted."""

    model_config = ConfigDict(populate_by_name=True)

    field: str
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    from_string: str | None = Field(default=None, alias="fromString")
    to_string: str | None = Field(default=None, alias="toString")


class ChangeSeed(BaseModel):
    author: str | None = None
    created: datetime
    items: list[ChangeItemSeed]


class IssueSeed(BaseModel):
    """An issue to insert verbatim. Times default to now; `updated` defaults to the latest of `created`,
    the changelog and the comments."""

    key: str | None = None
    project: str | None = None
    issuetype: str = "Task"
    summary: str = "Seeded issue"
    description: str | None = None
    status: str = "To Do"
    resolution: str | None = None
    priority: str | None = "Medium"
    assignee: str | None = None
    reporter: str | None = None
    labels: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    created: datetime | None = None
    updated: datetime | None = None
    resolutiondate: datetime | None = None
    duedate: date | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    custom_fields: dict[str, str | float] = Field(default_factory=dict)
    comments: list[CommentSeed] = Field(default_factory=list)
    changelog: list[ChangeSeed] = Field(default_factory=list)


def _user_id(db: sqlite3.Connection, value: str | None) -> str | None:
    if value is None:
        return None
    user = user_store.by_any(db, value)
    if user is None:
        raise JiraApiError(400, [f"Unknown user '{value}' in seed data."])
    return user.account_id


def _ref(db: sqlite3.Connection, table: str, value: str | None) -> int | None:
    if value is None:
        return None
    found = catalog.find_id(db, table, value)
    if found is None:
        raise JiraApiError(400, [f"Unknown {table[:-1].replace('_', ' ')} '{value}' in seed data."])
    return found


def _ms(value: datetime | None, default: int) -> int:
    return default if value is None else jiratime.from_datetime(value)


def _change_item(db: sqlite3.Connection, seed: ChangeItemSeed) -> ChangeItem:
    name = seed.field
    if name in _USER_FIELDS:
        old, new = _user_id(db, seed.from_), _user_id(db, seed.to)

        def label(account_id: str | None) -> str | None:
            user = None if account_id is None else user_store.by_account_id(db, account_id)
            return None if user is None else user.display_name

        return ChangeItem(name, old, seed.from_string or label(old), new, seed.to_string or label(new))
    if name in _REF_FIELDS:
        table = _REF_FIELDS[name]
        old_id, new_id = _ref(db, table, seed.from_), _ref(db, table, seed.to)

        def title(row_id: int | None) -> str | None:
            if row_id is None:
                return None
            return str(db.execute(f"SELECT name FROM {table} WHERE id = ?", (row_id,)).fetchone()["name"])

        return ChangeItem(
            name,
            None if old_id is None else str(old_id),
            seed.from_string or title(old_id),
            None if new_id is None else str(new_id),
            seed.to_string or title(new_id),
        )
    return ChangeItem(name, seed.from_, seed.from_string or seed.from_, seed.to, seed.to_string or seed.to)


def _custom_id(db: sqlite3.Connection, name: str, value: str | float) -> int:
    digits = name.removeprefix("customfield_").removeprefix("cf[").removesuffix("]")
    if not digits.isdigit():
        raise JiraApiError(400, [f"Custom fields are named customfield_N or cf[N], not '{name}'."])
    kind = "number" if isinstance(value, int | float) else "string"
    catalog.ensure_custom_field(db, int(digits), f"Custom field {digits}", kind)
    return int(digits)


def insert_seeds(db: sqlite3.Connection, seeds: Sequence[IssueSeed], now: int) -> list[str]:
    """Insert issues exactly as described; returns their keys."""
    new_issues: list[NewIssue] = []
    for seed in seeds:
        project_key = seed.project or (seed.key.rsplit("-", 1)[0] if seed.key else None)
        if project_key is None:
            raise JiraApiError(400, [], {"project": "project is required"})
        project_id = catalog.find_project_id(db, project_key) or catalog.ensure_project(db, project_key, project_key)
        created = _ms(seed.created, now)
        latest = max(
            [created]
            + [jiratime.from_datetime(change.created) for change in seed.changelog]
            + [_ms(comment.created, created) for comment in seed.comments]
        )
        status_id = _ref(db, "statuses", seed.status)
        assert status_id is not None
        category = db.execute("SELECT category FROM statuses WHERE id = ?", (status_id,)).fetchone()["category"]
        resolution = seed.resolution or ("Done" if category == "done" else None)
        resolution_ms = _ms(seed.resolutiondate, latest) if resolution else None
        new_issues.append(
            NewIssue(
                project_id=project_id,
                issue_type_id=catalog.ensure_issue_type(db, seed.issuetype),
                summary=seed.summary,
                description=seed.description,
                status_id=status_id,
                resolution_id=_ref(db, "resolutions", resolution),
                resolution_date=resolution_ms,
                priority_id=_ref(db, "priorities", seed.priority),
                assignee=_user_id(db, seed.assignee),
                reporter=_user_id(db, seed.reporter),
                created=created,
                updated=_ms(seed.updated, latest),
                due_date=None if seed.duedate is None else jiratime.parse_day(seed.duedate.isoformat()),
                labels=seed.labels,
                component_ids=[catalog.ensure_component(db, project_id, name) for name in seed.components],
                custom_values={_custom_id(db, k, v): v for k, v in seed.custom_fields.items()},
                properties=seed.properties,
                num=int(seed.key.rsplit("-", 1)[1]) if seed.key else None,
            )
        )
    created_issues = insert_issues(db, new_issues)
    changes: list[ChangeRecord] = []
    comments: list[tuple[int, str, str, int, int]] = []
    for (issue_id, _), seed in zip(created_issues, seeds, strict=True):
        for change in seed.changelog:
            items = tuple(_change_item(db, item) for item in change.items)
            changes.append(
                ChangeRecord(issue_id, _user_id(db, change.author), jiratime.from_datetime(change.created), items)
            )
        for comment in seed.comments:
            when = _ms(comment.created, now)
            author = _user_id(db, comment.author) or ""
            comments.append((issue_id, author, comment.body, when, when))
    insert_changes(db, sorted(changes, key=lambda change: change.created))
    db.executemany("INSERT INTO comments (issue_id, author, body, created, updated) VALUES (?, ?, ?, ?, ?)", comments)
    return [key for _, key in created_issues]
