"""Reference data every sandbox has: priorities, statuses and their categories, resolutions, issue types,
projects, components and custom fields; how to install Jira's defaults, look them up and print them.

Issues refer to these rows by id; `jql/` resolves names through the lookups here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from jira_sandbox.urls import ApiUrls


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}

# Jira's default priority scheme: ids 1..5, Highest first.
DEFAULT_PRIORITIES = [
    (1, "Highest", "#d04437"),
    (2, "High", "#f15c75"),
    (3, "Medium", "#f79232"),
    (4, "Low", "#707070"),
    (5, "Lowest", "#999999"),
]
DEFAULT_PRIORITY_ID = 3
DEFAULT_STATUSES = [
    (10000, "To Do", "new"),
    (3, "In Progress", "indeterminate"),
    (10002, "Waiting for customer", "indeterminate"),  # Jira Service Management's, where SLA clocks pause
    (10001, "Done", "done"),
]
DEFAULT_RESOLUTIONS = [(10000, "Done"), (10001, "Won't Do"), (10002, "Duplicate")]
DEFAULT_ISSUE_TYPES = [
    (10001, "Story", "A user story."),
    (10002, "Task", "A small, distinct piece of work."),
    (10004, "Bug", "A problem or error."),
    (10005, "Incident", "An unplanned interruption or reduction in quality of a service."),
    (10006, "Support Request", "A request for help from a customer."),
]


def install_defaults(db: sqlite3.Connection) -> None:
    """Insert Jira's default priorities, statuses, resolutions and issue types (idempotent)."""
    db.executemany(
        "INSERT OR IGNORE INTO priorities (id, name, sequence, color, is_default) VALUES (?, ?, ?, ?, ?)",
        [(pid, name, pid, color, int(pid == DEFAULT_PRIORITY_ID)) for pid, name, color in DEFAULT_PRIORITIES],
    )
    db.executemany("INSERT OR IGNORE INTO statuses (id, name, category) VALUES (?, ?, ?)", DEFAULT_STATUSES)
    db.executemany("INSERT OR IGNORE INTO resolutions (id, name) VALUES (?, ?)", DEFAULT_RESOLUTIONS)
    db.executemany("INSERT OR IGNORE INTO issue_types (id, name, description) VALUES (?, ?, ?)", DEFAULT_ISSUE_TYPES)


def ensure_project(db: sqlite3.Connection, key: str, name: str, lead: str | None = None) -> int:
    row = db.execute("SELECT id FROM projects WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return int(row["id"])
    next_id = db.execute("SELECT COALESCE(MAX(id), 9999) + 1 FROM projects").fetchone()[0]
    db.execute("INSERT INTO projects (id, key, name, lead) VALUES (?, ?, ?, ?)", (next_id, key, name, lead))
    return int(next_id)


def ensure_component(db: sqlite3.Connection, project_id: int, name: str) -> int:
    row = db.execute("SELECT id FROM components WHERE project_id = ? AND name = ?", (project_id, name)).fetchone()
    if row is not None:
        return int(row["id"])
    cursor = db.execute("INSERT INTO components (project_id, name) VALUES (?, ?)", (project_id, name))
    return int(cursor.lastrowid or 0)


def ensure_issue_type(db: sqlite3.Connection, name: str) -> int:
    row = db.execute("SELECT id FROM issue_types WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return int(row["id"])
    next_id = db.execute("SELECT COALESCE(MAX(id), 10000) + 1 FROM issue_types").fetchone()[0]
    db.execute("INSERT INTO issue_types (id, name) VALUES (?, ?)", (next_id, name))
    return int(next_id)


def ensure_custom_field(db: sqlite3.Connection, field_id: int, name: str, kind: str) -> None:
    """`kind` is `string` or `number`."""
    db.execute("INSERT OR IGNORE INTO custom_fields (id, name, kind) VALUES (?, ?, ?)", (field_id, name, kind))


def find_id(db: sqlite3.Connection, table: str, value: str) -> int | None:
    """A row id of `table` (priorities, statuses, resolutions, issue_types) by id or name, any case."""
    row = db.execute(f"SELECT id FROM {table} WHERE name = ? OR CAST(id AS TEXT) = ?", (value, value)).fetchone()
    return None if row is None else int(row["id"])


def find_project_id(db: sqlite3.Connection, value: str) -> int | None:
    row = db.execute(
        "SELECT id FROM projects WHERE key = ? OR name = ? COLLATE NOCASE OR CAST(id AS TEXT) = ?",
        (value, value, value),
    ).fetchone()
    return None if row is None else int(row["id"])


def render_priority(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    return {
        "self": urls.priority(row["id"]),
        "iconUrl": urls.icon(f"priority-{str(row['name']).lower()}"),
        "name": row["name"],
        "id": str(row["id"]),
        "statusColor": row["color"],
        "description": f"{row['name']} priority",
        "isDefault": bool(row["is_default"]),
    }


def render_status(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    category = STATUS_CATEGORIES[row["category"]]
    return {
        "self": urls.status(row["id"]),
        "description": "",
        "iconUrl": urls.icon("status"),
        "name": row["name"],
        "id": str(row["id"]),
        "statusCategory": {
            "self": urls.status_category(category.id),
            "id": category.id,
            "key": category.key,
            "colorName": category.color,
            "name": category.name,
        },
    }


def render_resolution(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    return {"self": urls.resolution(row["id"]), "id": str(row["id"]), "name": row["name"], "description": ""}


def render_issue_type(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    return {
        "self": urls.issue_type(row["id"]),
        "id": str(row["id"]),
        "description": row["description"],
        "iconUrl": urls.icon(f"issuetype-{str(row['name']).lower().replace(' ', '-')}"),
        "name": row["name"],
        "subtask": bool(row["subtask"]),
        "hierarchyLevel": 0,
    }


def render_project(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    return {
        "self": urls.project(row["id"]),
        "id": str(row["id"]),
        "key": row["key"],
        "name": row["name"],
        "projectTypeKey": "software",
        "simplified": False,
        "avatarUrls": {size: urls.icon(f"project-{row['key']}") for size in ("16x16", "24x24", "32x32", "48x48")},
    }


def render_component(row: sqlite3.Row, urls: ApiUrls) -> dict[str, Any]:
    return {"self": urls.component(row["id"]), "id": str(row["id"]), "name": row["name"]}
