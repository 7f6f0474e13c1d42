"""Search pages from issues rendered before: each issue's JSON is kept (per request shape: URL base and REST
version, mode, fields, properties, expand) with the revision it was rendered at (`revisions.py`), and reused while
the issue's revision and the shared data's revision are unchanged. A sweep reads the same issues with the same
fields page after page and run after run; rendering them again each time made the sandbox, not the sweep, the
measured side of a benchmark (issue 16).

The answers are the same bytes as without the cache: a kept issue is what `IssueRenderer.render_many` printed,
serialised by orjson as the whole answer would be, and embedded as is (`orjson.Fragment`). A rendering that embeds
the changelog is never kept (its triggers are not watched, and Cloud cuts it per answer).
Used inside the request's transaction, so the revisions read and the rows rendered are of one state.
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
Kept = dict[int, tuple[int, orjson.Fragment]]

MAX_SHAPES = 4
MAX_ISSUES_PER_SHAPE = 250_000


class RenderCache:
    """Rendered issues by request shape; the shapes least recently used beyond ``MAX_SHAPES`` are dropped, and a
    shape's issues all at once when it holds ``MAX_ISSUES_PER_SHAPE``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shapes: OrderedDict[Shape, tuple[int, Kept]] = OrderedDict()

    def kept(self, shape: Shape, shared_revision: int) -> Kept:
        """The issues kept for ``shape``; none when the shared data changed since they were rendered."""
        with self._lock:
            found = self._shapes.get(shape)
            if found is None or found[0] != shared_revision:
                found = (shared_revision, {})
                self._shapes[shape] = found
            self._shapes.move_to_end(shape)
            while len(self._shapes) > MAX_SHAPES:
                self._shapes.popitem(last=False)
            return found[1]

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
    stale = [issue_id for issue_id in issue_ids if kept.get(issue_id, (None,))[0] != current[issue_id]]
    fresh: dict[int, orjson.Fragment] = {}
    if stale:
        try:
            for body in renderer.render_many(stale, selection, expand=expand, properties=properties):
                fresh[int(body["id"])] = orjson.Fragment(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS))
        except TypeError:  # orjson cannot write it (an integer beyond 64 bits): the page as plain dicts
            return renderer.render_many(issue_ids, selection, expand=expand, properties=properties)
        if len(kept) + len(fresh) > MAX_ISSUES_PER_SHAPE:
            kept.clear()
        for issue_id in stale:
            if issue_id in fresh:
                kept[issue_id] = (current[issue_id], fresh[issue_id])
            else:  # deleted: nothing to print, nothing to keep
                kept.pop(issue_id, None)
    page: list[Any] = []
    for issue_id in issue_ids:
        fragment = fresh.get(issue_id)
        if fragment is None:
            entry = kept.get(issue_id)
            if entry is None or entry[0] != current[issue_id]:
                continue  # no such issue (deleted since the search's snapshot)
            fragment = entry[1]
        page.append(fragment)
    return page
