"""SQLite state of one sandbox: the schema, one connection guarded by a lock, one transaction per request.

A file database (WAL) survives restarts; `:memory:` works across threads because there is exactly one
connection and every use of it holds the lock. Callers do all reads and writes of a request inside one
`with store.transaction() as db:` block, so a crash mid-request leaves nothing half-written.
This module knows the tables, not what they mean: reads and writes live in `catalog.py`, `users.py`,
`issues.py` and friends.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from jira_sandbox import revisions

FIRST_ISSUE_ID = 10000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    active INTEGER NOT NULL DEFAULT 1,
    token TEXT,
    can_edit INTEGER NOT NULL DEFAULT 1,
    can_assign INTEGER NOT NULL DEFAULT 1,
    is_admin INTEGER NOT NULL DEFAULT 0,
    time_zone TEXT NOT NULL DEFAULT 'UTC'
);
CREATE TABLE IF NOT EXISTS group_members (
    group_name TEXT NOT NULL COLLATE NOCASE,
    account_id TEXT NOT NULL,
    PRIMARY KEY (group_name, account_id)
);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    lead TEXT,
    next_num INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS issue_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    subtask INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS components (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS priorities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sequence INTEGER NOT NULL,
    color TEXT NOT NULL DEFAULT '#cccccc',
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    category TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resolutions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS custom_fields (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS issues (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE COLLATE NOCASE,
    project_id INTEGER NOT NULL,
    num INTEGER NOT NULL,
    issue_type_id INTEGER NOT NULL,
    status_id INTEGER NOT NULL,
    priority_id INTEGER,
    resolution_id INTEGER,
    assignee TEXT,
    reporter TEXT,
    creator TEXT,
    summary TEXT NOT NULL,
    description TEXT,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    resolution_date INTEGER,
    due_date INTEGER
);
CREATE INDEX IF NOT EXISTS issues_project ON issues (project_id, num);
CREATE INDEX IF NOT EXISTS issues_assignee ON issues (assignee);
CREATE INDEX IF NOT EXISTS issues_status ON issues (status_id);
CREATE INDEX IF NOT EXISTS issues_priority ON issues (priority_id);
CREATE INDEX IF NOT EXISTS issues_created ON issues (created);
CREATE INDEX IF NOT EXISTS issues_updated ON issues (updated);
CREATE TABLE IF NOT EXISTS issue_labels (
    issue_id INTEGER NOT NULL,
    label TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (issue_id, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issue_labels_label ON issue_labels (label, issue_id);
CREATE TABLE IF NOT EXISTS issue_components (
    issue_id INTEGER NOT NULL,
    component_id INTEGER NOT NULL,
    PRIMARY KEY (issue_id, component_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issue_components_component ON issue_components (component_id, issue_id);
CREATE TABLE IF NOT EXISTS issue_custom_values (
    issue_id INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    text_value TEXT,
    number_value REAL,
    PRIMARY KEY (issue_id, field_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS issue_properties (
    issue_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (issue_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_issue ON comments (issue_id, id);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    author TEXT,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_issue ON changes (issue_id, created, id);
CREATE TABLE IF NOT EXISTS change_items (
    change_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    field TEXT NOT NULL,
    fieldtype TEXT NOT NULL,
    field_id TEXT,
    from_value TEXT,
    from_string TEXT,
    to_value TEXT,
    to_string TEXT,
    PRIMARY KEY (change_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS project_schemes (
    project_id INTEGER PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    issue_key TEXT NOT NULL,
    sender TEXT NOT NULL,
    payload TEXT NOT NULL,
    created INTEGER NOT NULL
);
"""


class Store:
    """One SQLite database. Thread-safe: every use goes through `transaction()`, which holds the lock."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        self._conn.execute("PRAGMA recursive_triggers=ON")  # a row REPLACE deletes fires its delete triggers too
        self._create_schema()

    def _create_schema(self) -> None:
        with self._lock:
            self._conn.executescript(SCHEMA + revisions.SCHEMA)  # the revision triggers watch these tables

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and run one transaction: committed on success, rolled back on any exception.
        Re-entrant: a nested call joins the outer transaction."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
