"""A revision number for every issue, kept by SQLite itself, so a rendered issue can be reused (`render_cache.py`)
exactly as long as nothing it was rendered from has changed.

Triggers on every table an issue's rendering reads give the issue a new revision on each insert, update or delete
of one of its rows (the issue itself, its labels, components, custom values, properties, comments), in the same
transaction as the change: a write that rolls back rolls its revision back too, and no write path (routes, seeding,
imports, the admin endpoint, a test writing SQL) can forget it. A change to the data that every issue's rendering
shares (users, projects, statuses, priorities, resolutions, issue types, components, custom fields, schemes, groups)
gives the pseudo-issue 0 a new revision instead, which invalidates every rendered issue. Revisions come from one
counter that only grows, so an issue never has the same revision twice. A write to the changelog or the outbox only
moves the counter: a rendering that embeds the changelog is never reused. As every table's writes move the counter,
it is also the store's data version (`data_version`), under which a search's matches are reused (`search_results.py`).

Knows the tables, not what they mean; reads nothing but the revisions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

SHARED = 0
"""The pseudo-issue whose revision changes with the data every issue's rendering shares."""

ISSUE_TABLES = {
    "issues": "id",
    "issue_labels": "issue_id",
    "issue_components": "issue_id",
    "issue_custom_values": "issue_id",
    "issue_properties": "issue_id",
    "comments": "issue_id",
}
OTHER_TABLES = ("changes", "change_items", "notifications")
"""Tables no issue rendering that may be kept reads: a write to them moves only the counter (`data_version`)."""
SHARED_TABLES = (
    "users",
    "group_members",
    "projects",
    "issue_types",
    "components",
    "priorities",
    "statuses",
    "resolutions",
    "custom_fields",
    "project_schemes",
    "meta",
)

_TABLES = """
CREATE TABLE IF NOT EXISTS revision_counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO revision_counter (id, value) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS issue_revisions (issue_id INTEGER PRIMARY KEY, revision INTEGER NOT NULL);
"""


_COUNT = "UPDATE revision_counter SET value = value + 1 WHERE id = 1;"


def _bump(target: str) -> str:
    return (
        f"{_COUNT} "
        "INSERT OR REPLACE INTO issue_revisions (issue_id, revision) "
        f"VALUES ({target}, (SELECT value FROM revision_counter WHERE id = 1));"
    )


def _trigger(table: str, event: str, body: str) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS rev_{table}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END;"


def _triggers() -> str:
    statements: list[str] = []
    for table, column in ISSUE_TABLES.items():
        statements.append(_trigger(table, "INSERT", _bump(f"NEW.{column}")))
        statements.append(_trigger(table, "UPDATE", _bump(f"OLD.{column}") + " " + _bump(f"NEW.{column}")))
        statements.append(_trigger(table, "DELETE", _bump(f"OLD.{column}")))
    for table in SHARED_TABLES:
        statements += [_trigger(table, event, _bump(str(SHARED))) for event in ("INSERT", "UPDATE", "DELETE")]
    for table in OTHER_TABLES:
        statements += [_trigger(table, event, _COUNT) for event in ("INSERT", "UPDATE", "DELETE")]
    return "\n".join(statements)


SCHEMA = _TABLES + _triggers()
"""Run after the tables it watches exist (`store.SCHEMA`)."""


def revisions(db: sqlite3.Connection, issue_ids: Sequence[int]) -> dict[int, int]:
    """The current revision of each of ``issue_ids`` and of ``SHARED``; 0 for one never changed since the triggers
    were installed (an issue of a database from before them)."""
    marks = ",".join("?" * (len(issue_ids) + 1))
    found = {SHARED: 0, **dict.fromkeys(issue_ids, 0)}
    for issue_id, revision in db.execute(
        f"SELECT issue_id, revision FROM issue_revisions WHERE issue_id IN ({marks})", [SHARED, *issue_ids]
    ):
        found[issue_id] = revision
    return found


def data_version(db: sqlite3.Connection) -> int:
    """A number that changes with every write to any table of the store (its revision counter): while it is the
    same, every query over the store answers the same."""
    return int(db.execute("SELECT value FROM revision_counter WHERE id = 1").fetchone()[0])
