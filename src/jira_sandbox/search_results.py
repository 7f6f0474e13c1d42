"""The issue ids a search's SQL matches, reused while the store has not changed at all: a sweep's first pages (its
created-time slices, its sample reads) run the same queries as the reads just before them, and each one walks the
whole issues table (about 40 ms at 100,000 issues).

The key is the SQL and its parameters as translated for this request (the caller, `now` and every name already
resolved into them), and the entry holds only while the store's data version (`revisions.data_version`, moved by a
trigger on every write to every table) is the one it was found at: the same SQL over the same data matches the same
ids. Used inside the request's transaction, so the version read and the query run see one state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence

from jira_sandbox import revisions
from jira_sandbox.cursors import SNAPSHOT_LIMIT

MAX_QUERIES = SNAPSHOT_LIMIT
"""As many as the search snapshots keep (a sweep's queries, 22 at 100,000 issues, must all fit, or each evicts the
next); the lists are the ones the snapshots hold, so keeping them costs little more memory."""


class SearchResults:
    """The last ``MAX_QUERIES`` queries' matching ids, each with the data version it was run at."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: OrderedDict[tuple[str, tuple[object, ...]], tuple[int, list[int]]] = OrderedDict()

    def ids(self, db: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[int]:
        """The ids ``sql`` selects (its first column, in its order). The list is shared: callers do not change it."""
        key = (sql, tuple(params))
        version = revisions.data_version(db)
        with self._lock:
            found = self._found.get(key)
            if found is not None and found[0] == version:
                self._found.move_to_end(key)
                return found[1]
        cursor = db.cursor()
        cursor.row_factory = None
        ids = [row[0] for row in cursor.execute(sql, list(params))]
        with self._lock:
            self._found[key] = (version, ids)
            self._found.move_to_end(key)
            while len(self._found) > MAX_QUERIES:
                self._found.popitem(last=False)
        return ids
