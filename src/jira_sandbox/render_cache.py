"""Search pages from issues rendered before: each issue's JSON is kept (per request shape: URL base and REST
version, mode, fields, properties, expand) with the revision it was rendered at (`revisions.py`), and reused while
the issue's revision and the shared data's revision are unchanged. A sweep reads the same issues with the same
fields run after run (and the sweep benchmark reads its scope once before the measured run); rendering them again
each time made the sandbox, not the sweep, the measured side of a benchmark (issue 16).

The answers are the same bytes as without the cache: a kept issue is what `IssueRenderer.render_many` printed,
serialised by orjson as the whole answer would be, and embedded as is (`orjson.Fragment`). A rendering that embeds
the changelog is never kept (a changelog write moves no issue's revision, and Cloud cuts it per answer).
Used inside the request's transaction, so the revisions read and the rows rendered are of one state, and the
store's lock serialises the searches that fill one shape.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from jira_sandbox import revisions
from jira_sandbox.issue_view import FieldSelection, IssueRenderer
from jira_sandbox.settings import Mode
from jira_sandbox.urls import ApiUrls

Shape = tuple[ApiUrls, Mode, tuple[str, ...], tuple[str, ...], frozenset[str]]

MAX_SHAPES = 4
MAX_BYTES = 384 * 1024 * 1024
"""What all kept issues may hold together: a sweep's shape at 100,000 issues holds about 190 MB (80,000 open issues
of about 2.3 kB each). Over it, the shapes least recently used go first, then the one being filled."""


class Kept:
    """The issues kept for one shape: issue id -> (revision, JSON, its length in bytes); rendered while the shared
    data's revision was ``shared_revision``."""

    def __init__(self, shared_revision: int) -> None:
        self.shared_revision = shared_revision
        self.issues: dict[int, tuple[int, orjson.Fragment, int]] = {}
        self.size = 0


class RenderCache:
    """Rendered issues by request shape, at most ``MAX_SHAPES`` shapes and ``MAX_BYTES`` of JSON."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shapes: OrderedDict[Shape, Kept] = OrderedDict()

    def kept(self, shape: Shape, shared_revision: int) -> Kept:
        """The issues kept for ``shape``; none when the shared data changed since they were rendered."""
        with self._lock:
            found = self._shapes.get(shape)
            if found is None or found.shared_revision != shared_revision:
                found = self._shapes[shape] = Kept(shared_revision)
            self._shapes.move_to_end(shape)
            while len(self._shapes) > MAX_SHAPES:
                self._shapes.popitem(last=False)
            return found

    def keep(self, kept: Kept, fresh: dict[int, tuple[int, orjson.Fragment, int]], gone: Sequence[int]) -> None:
        """Keep ``fresh`` issues (id -> revision, JSON, its length) in ``kept`` and forget ``gone`` ones."""
        with self._lock:
            for issue_id in [*gone, *fresh]:
                kept.size -= kept.issues.pop(issue_id, (0, None, 0))[2]
            for issue_id, entry in fresh.items():
                kept.issues[issue_id] = entry
                kept.size += entry[2]
            while sum(shape.size for shape in self._shapes.values()) > MAX_BYTES:
                oldest = next(iter(self._shapes.values()))
                if oldest is kept:
                    kept.issues.clear()
                    kept.size = 0
                    break
                self._shapes.popitem(last=False)

    @property
    def size(self) -> int:
        """The bytes of JSON kept, over all shapes."""
        with self._lock:
            return sum(shape.size for shape in self._shapes.values())

    def clear(self) -> None:
        with self._lock:
            self._shapes.clear()


def render_page(
    cache: RenderCache,
    renderer: IssueRenderer,
    db: sqlite3.Connection,
    issue_ids: Sequence[int],
    selection: FieldSelection,
    *,
    expand: frozenset[str],
    properties: Sequence[str],
) -> list[Any]:
    """``renderer.render_many(issue_ids, ...)``, each issue taken from ``cache`` while its revision holds, else
    rendered and kept: a list of issues to put in an answer as they are (``orjson.Fragment``s, or dicts when the
    page embeds the changelog or an issue cannot be kept)."""
    if "changelog" in expand or not issue_ids:
        return renderer.render_many(issue_ids, selection, expand=expand, properties=properties)
    wanted = tuple(spec.id for spec in renderer.fields if selection.wants(spec))
    shape: Shape = (renderer.urls, renderer.mode, wanted, tuple(properties), expand)
    current = revisions.revisions(db, issue_ids)
    kept = cache.kept(shape, current[revisions.SHARED])
    stale = [issue_id for issue_id in issue_ids if kept.issues.get(issue_id, (None,))[0] != current[issue_id]]
    fresh: dict[int, tuple[int, orjson.Fragment, int]] = {}
    if stale:
        try:
            for body in renderer.render_many(stale, selection, expand=expand, properties=properties):
                issue_id = int(body["id"])
                text = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
                fresh[issue_id] = (current[issue_id], orjson.Fragment(text), len(text))
        except TypeError:  # orjson cannot write it (an integer beyond 64 bits): the page as plain dicts
            return renderer.render_many(issue_ids, selection, expand=expand, properties=properties)
        cache.keep(kept, fresh, [issue_id for issue_id in stale if issue_id not in fresh])  # not found: deleted
    page: list[Any] = []
    for issue_id in issue_ids:
        found = fresh.get(issue_id) or kept.issues.get(issue_id)
        if found is None or found[0] != current[issue_id]:
            continue  # no such issue (deleted since the search's snapshot)
        page.append(found[1])
    return page
