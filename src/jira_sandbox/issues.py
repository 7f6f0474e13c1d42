"""Issue state and every write to it: bulk creation, field edits recorded in the changelog, comments,
issue properties and the notification outbox.

Each edit of an issue's fields becomes one changelog entry (author, time, one item per field, with
Jira's `from`/`fromString`/`to`/`toString`). Issue properties and comments are not fields, so, as in Jira,
they do not appear in the changelog; comments do bump `updated`. Request bodies are parsed in
`issue_input.py`; answers are printed by `issue_view.py`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jira_sandbox import jiratime
from jira_sandbox.errors import JiraApiError, issue_not_found
from jira_sandbox.store import FIRST_ISSUE_ID

PROPERTY_VALUE_MAX_CHARS = 32_768
PROPERTY_KEY_MAX_CHARS = 255


@dataclass(frozen=True)
class ChangeItem:
    """One field's change. `from_value`/`to_value` hold ids (account ids for users); the strings are
    what a person reads."""

    field: str
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None
    fieldtype: str = "jira"
    field_id: str | None = None


@dataclass(frozen=True)
class ChangeRecord:
    issue_id: int
    author: str | None
    created: int
    items: tuple[ChangeItem, ...]


@dataclass
class NewIssue:
    """An issue to insert as it is: the seeder and the create endpoints build these."""

    project_id: int
    issue_type_id: int
    summary: str
    status_id: int
    created: int
    updated: int
    priority_id: int | None = None
    resolution_id: int | None = None
    assignee: str | None = None
    reporter: str | None = None
    description: str | None = None
    resolution_date: int | None = None
    due_date: int | None = None
    labels: Sequence[str] = ()
    component_ids: Sequence[int] = ()
    custom_values: dict[int, str | float] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    num: int | None = None


def find_issue(db: sqlite3.Connection, id_or_key: str) -> sqlite3.Row:
    """The issue row by id or key (any case); Jira's 404 when there is none."""
    if id_or_key.isdigit():
        row = db.execute("SELECT * FROM issues WHERE id = ?", (int(id_or_key),)).fetchone()
    else:
        row = db.execute("SELECT * FROM issues WHERE key = ?", (id_or_key,)).fetchone()
    if row is None:
        raise issue_not_found()
    assert isinstance(row, sqlite3.Row)
    return row


def insert_issues(db: sqlite3.Connection, new_issues: Sequence[NewIssue]) -> list[tuple[int, str]]:
    """Insert issues in bulk; returns (id, key) per issue, in order."""
    next_id = max(FIRST_ISSUE_ID, db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM issues").fetchone()[0])
    projects = {row["id"]: row for row in db.execute("SELECT id, key, next_num FROM projects")}
    next_num = {pid: int(row["next_num"]) for pid, row in projects.items()}
    issue_rows: list[tuple[Any, ...]] = []
    labels: list[tuple[int, str]] = []
    components: list[tuple[int, int]] = []
    customs: list[tuple[int, int, str | None, float | None]] = []
    properties: list[tuple[int, str, str]] = []
    created: list[tuple[int, str]] = []
    for offset, new in enumerate(new_issues):
        if new.project_id not in projects:
            raise JiraApiError(400, [], {"project": "valid project is required"})
        issue_id = next_id + offset
        num = new.num if new.num is not None else next_num[new.project_id]
        next_num[new.project_id] = max(next_num[new.project_id], num + 1)
        key = f"{projects[new.project_id]['key']}-{num}"
        issue_rows.append(
            (
                issue_id,
                key,
                new.project_id,
                num,
                new.issue_type_id,
                new.status_id,
                new.priority_id,
                new.resolution_id,
                new.assignee,
                new.reporter,
                new.reporter,
                new.summary,
                new.description,
                new.created,
                new.updated,
                new.resolution_date,
                new.due_date,
            )
        )
        labels.extend((issue_id, label) for label in dict.fromkeys(new.labels))
        components.extend((issue_id, cid) for cid in dict.fromkeys(new.component_ids))
        for field_id, value in new.custom_values.items():
            if isinstance(value, int | float):
                customs.append((issue_id, field_id, None, float(value)))
            else:
                customs.append((issue_id, field_id, str(value), None))
        properties.extend((issue_id, k, json.dumps(v)) for k, v in new.properties.items())
        created.append((issue_id, key))
    db.executemany(
        "INSERT INTO issues (id, key, project_id, num, issue_type_id, status_id, priority_id, resolution_id,"
        " assignee, reporter, creator, summary, description, created, updated, resolution_date, due_date)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        issue_rows,
    )
    db.executemany("INSERT INTO issue_labels (issue_id, label) VALUES (?, ?)", labels)
    db.executemany("INSERT INTO issue_components (issue_id, component_id) VALUES (?, ?)", components)
    db.executemany(
        "INSERT INTO issue_custom_values (issue_id, field_id, text_value, number_value) VALUES (?, ?, ?, ?)",
        customs,
    )
    db.executemany("INSERT INTO issue_properties (issue_id, key, value) VALUES (?, ?, ?)", properties)
    db.executemany("UPDATE projects SET next_num = ? WHERE id = ?", [(n, pid) for pid, n in next_num.items()])
    return created


def insert_changes(db: sqlite3.Connection, records: Iterable[ChangeRecord]) -> None:
    """Write changelog entries (in bulk); entries with no items are skipped."""
    next_id = db.execute("SELECT COALESCE(MAX(id), 10000) + 1 FROM changes").fetchone()[0]
    change_rows: list[tuple[int, int, str | None, int]] = []
    item_rows: list[tuple[Any, ...]] = []
    for record in records:
        if not record.items:
            continue
        change_rows.append((next_id, record.issue_id, record.author, record.created))
        item_rows.extend(
            (
                next_id,
                seq,
                item.field,
                item.fieldtype,
                item.field_id or item.field,
                item.from_value,
                item.from_string,
                item.to_value,
                item.to_string,
            )
            for seq, item in enumerate(record.items)
        )
        next_id += 1
    db.executemany("INSERT INTO changes (id, issue_id, author, created) VALUES (?, ?, ?, ?)", change_rows)
    db.executemany(
        "INSERT INTO change_items (change_id, seq, field, fieldtype, field_id, from_value, from_string,"
        " to_value, to_string) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        item_rows,
    )


class IssueEdit:
    """Collects one request's changes to one issue; `save()` writes them and one changelog entry.

    Setters take resolved ids (account ids, priority ids); names and permissions are checked by callers.
    """

    def __init__(self, db: sqlite3.Connection, issue: sqlite3.Row, author: str | None, now: int) -> None:
        self.db = db
        self.issue = issue
        self.author = author
        self.now = now
        self._columns: dict[str, Any] = {}
        self._items: list[ChangeItem] = []
        self._label_set: list[str] | None = None
        self._components: list[int] | None = None
        self._custom: dict[int, str | float | None] = {}
        self.touched = False

    def _user_name(self, account_id: str | None) -> str | None:
        if account_id is None:
            return None
        row = self.db.execute("SELECT display_name FROM users WHERE account_id = ?", (account_id,)).fetchone()
        return None if row is None else str(row["display_name"])

    def _name_of(self, table: str, row_id: int | None) -> str | None:
        if row_id is None:
            return None
        row = self.db.execute(f"SELECT name FROM {table} WHERE id = ?", (row_id,)).fetchone()
        return None if row is None else str(row["name"])

    def _set_ref(self, column: str, field_name: str, table: str | None, new: Any) -> None:
        old = self._columns.get(column, self.issue[column])
        if old == new:
            return
        self._columns[column] = new
        if table is None:  # a user column
            from_string, to_string = self._user_name(old), self._user_name(new)
        else:
            from_string, to_string = self._name_of(table, old), self._name_of(table, new)
        self._items.append(
            ChangeItem(
                field_name,
                None if old is None else str(old),
                from_string,
                None if new is None else str(new),
                to_string,
            )
        )

    def set_assignee(self, account_id: str | None) -> None:
        self._set_ref("assignee", "assignee", None, account_id)

    def set_reporter(self, account_id: str | None) -> None:
        self._set_ref("reporter", "reporter", None, account_id)

    def set_priority(self, priority_id: int) -> None:
        self._set_ref("priority_id", "priority", "priorities", priority_id)

    def set_status(self, status_id: int) -> None:
        self._set_ref("status_id", "status", "statuses", status_id)

    def set_resolution(self, resolution_id: int | None) -> None:
        self._set_ref("resolution_id", "resolution", "resolutions", resolution_id)
        self._columns["resolution_date"] = None if resolution_id is None else self.now

    def set_issue_type(self, type_id: int) -> None:
        self._set_ref("issue_type_id", "issuetype", "issue_types", type_id)

    def set_text(self, column: str, field_name: str, value: str | None) -> None:
        old = self.issue[column]
        if old == value:
            return
        self._columns[column] = value
        self._items.append(ChangeItem(field_name, None, old, None, value))

    def set_due_date(self, due_ms: int | None) -> None:
        old = self.issue["due_date"]
        if old == due_ms:
            return
        self._columns["due_date"] = due_ms

        def text(ms: int | None) -> str | None:
            return None if ms is None else jiratime.format_date(ms)

        def long_text(ms: int | None) -> str | None:
            return None if ms is None else f"{jiratime.format_date(ms)} 00:00:00.0"

        self._items.append(ChangeItem("duedate", text(old), long_text(old), text(due_ms), long_text(due_ms)))

    def current_labels(self) -> list[str]:
        if self._label_set is None:
            rows = self.db.execute(
                "SELECT label FROM issue_labels WHERE issue_id = ? ORDER BY label", (self.issue["id"],)
            )
            self._label_set = [row["label"] for row in rows]
        return list(self._label_set)

    def set_labels(self, labels: Sequence[str]) -> None:
        old = self.current_labels()
        new = sorted(dict.fromkeys(labels))
        if old == new:
            return
        self._label_set = new
        self._items.append(ChangeItem("labels", None, " ".join(old), None, " ".join(new)))

    def current_components(self) -> list[int]:
        if self._components is None:
            rows = self.db.execute(
                "SELECT component_id FROM issue_components WHERE issue_id = ? ORDER BY component_id",
                (self.issue["id"],),
            )
            self._components = [row["component_id"] for row in rows]
        return list(self._components)

    def set_components(self, component_ids: Sequence[int]) -> None:
        old = self.current_components()
        new = sorted(dict.fromkeys(component_ids))
        if old == new:
            return
        self._components = new
        for removed in sorted(set(old) - set(new)):
            name = self._name_of("components", removed)
            self._items.append(ChangeItem("Component", str(removed), name, None, None, field_id="components"))
        for added in sorted(set(new) - set(old)):
            name = self._name_of("components", added)
            self._items.append(ChangeItem("Component", None, None, str(added), name, field_id="components"))

    def set_custom(self, field_id: int, field_name: str, value: str | float | None) -> None:
        row = self.db.execute(
            "SELECT text_value, number_value FROM issue_custom_values WHERE issue_id = ? AND field_id = ?",
            (self.issue["id"], field_id),
        ).fetchone()
        old: str | float | None = None if row is None else (row["text_value"] or row["number_value"])
        if old == value:
            return
        self._custom[field_id] = value
        self._items.append(
            ChangeItem(
                field_name,
                None,
                None if old is None else str(old),
                None,
                None if value is None else str(value),
                fieldtype="custom",
                field_id=f"customfield_{field_id}",
            )
        )

    def touch(self) -> None:
        """Mark the issue updated even without a field change (a comment, say)."""
        self.touched = True

    def save(self) -> None:
        if not self._items and not self.touched:
            return
        issue_id = self.issue["id"]
        columns = dict(self._columns, updated=self.now)
        assignments = ", ".join(f"{column} = ?" for column in columns)
        self.db.execute(f"UPDATE issues SET {assignments} WHERE id = ?", (*columns.values(), issue_id))
        if self._label_set is not None:
            self.db.execute("DELETE FROM issue_labels WHERE issue_id = ?", (issue_id,))
            self.db.executemany(
                "INSERT INTO issue_labels (issue_id, label) VALUES (?, ?)",
                [(issue_id, label) for label in self._label_set],
            )
        if self._components is not None:
            self.db.execute("DELETE FROM issue_components WHERE issue_id = ?", (issue_id,))
            self.db.executemany(
                "INSERT INTO issue_components (issue_id, component_id) VALUES (?, ?)",
                [(issue_id, cid) for cid in self._components],
            )
        for field_id, value in self._custom.items():
            self.db.execute("DELETE FROM issue_custom_values WHERE issue_id = ? AND field_id = ?", (issue_id, field_id))
            if value is not None:
                number = float(value) if isinstance(value, int | float) else None
                text = None if number is not None else str(value)
                self.db.execute(
                    "INSERT INTO issue_custom_values (issue_id, field_id, text_value, number_value)"
                    " VALUES (?, ?, ?, ?)",
                    (issue_id, field_id, text, number),
                )
        insert_changes(self.db, [ChangeRecord(issue_id, self.author, self.now, tuple(self._items))])


def add_comment(db: sqlite3.Connection, issue: sqlite3.Row, author: str, body: str, now: int) -> int:
    cursor = db.execute(
        "INSERT INTO comments (issue_id, author, body, created, updated) VALUES (?, ?, ?, ?, ?)",
        (issue["id"], author, body, now, now),
    )
    db.execute("UPDATE issues SET updated = ? WHERE id = ?", (now, issue["id"]))
    return int(cursor.lastrowid or 0)


def check_property(key: str, value: Any) -> str:
    """Validate a property key and value the way Jira does; return the value as stored JSON."""
    if not key or len(key) > PROPERTY_KEY_MAX_CHARS:
        raise JiraApiError(400, [f"The property key cannot be longer than {PROPERTY_KEY_MAX_CHARS} characters."])
    text = json.dumps(value, separators=(",", ":"))
    if len(text) > PROPERTY_VALUE_MAX_CHARS:
        raise JiraApiError(400, [f"The property value cannot be longer than {PROPERTY_VALUE_MAX_CHARS} characters."])
    return text


def set_property(db: sqlite3.Connection, issue_id: int, key: str, value: Any) -> bool:
    """Set a property; True when it was created, False when it replaced a value."""
    text = check_property(key, value)
    existed = db.execute("SELECT 1 FROM issue_properties WHERE issue_id = ? AND key = ?", (issue_id, key)).fetchone()
    db.execute(
        "INSERT OR REPLACE INTO issue_properties (issue_id, key, value) VALUES (?, ?, ?)",
        (issue_id, key, text),
    )
    return existed is None


def get_property(db: sqlite3.Connection, issue_id: int, key: str) -> Any:
    row = db.execute("SELECT value FROM issue_properties WHERE issue_id = ? AND key = ?", (issue_id, key)).fetchone()
    if row is None:
        raise JiraApiError(404, [f"The property with key '{key}' does not exist."])
    return json.loads(row["value"])


def property_keys(db: sqlite3.Connection, issue_id: int) -> list[str]:
    rows = db.execute("SELECT key FROM issue_properties WHERE issue_id = ? ORDER BY key", (issue_id,))
    return [row["key"] for row in rows]


def delete_property(db: sqlite3.Connection, issue_id: int, key: str) -> None:
    cursor = db.execute("DELETE FROM issue_properties WHERE issue_id = ? AND key = ?", (issue_id, key))
    if cursor.rowcount == 0:
        raise JiraApiError(404, [f"The property with key '{key}' does not exist."])


def record_notification(db: sqlite3.Connection, issue_key: str, sender: str, payload: dict[str, Any], now: int) -> int:
    cursor = db.execute(
        "INSERT INTO notifications (issue_key, sender, payload, created) VALUES (?, ?, ?, ?)",
        (issue_key, sender, json.dumps(payload), now),
    )
    return int(cursor.lastrowid or 0)


def list_notifications(db: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = db.execute("SELECT * FROM notifications ORDER BY id").fetchall()
    return [
        {
            "id": row["id"],
            "issueKey": row["issue_key"],
            "sender": row["sender"],
            "created": jiratime.format_jira(row["created"]),
            **json.loads(row["payload"]),
        }
        for row in rows
    ]
