"""Whole changelogs, read in bulk and with suspicion. Pure: no I/O (the adapter sends the requests).

Jira Cloud embeds at most an issue's 40 newest histories in a search answer (JRACLOUD-96459), so a sweep asks for
the whole changelog of the few issues whose decision can depend on it (``core/history_need.py``):

- on Cloud, ``POST changelog/bulkfetch``: up to 1,000 issues a request, only the items of ``CHANGELOG_FIELDS``,
  histories oldest first across the issues, paged by ``nextPageToken``; answers name issues by id;
- on Data Center, whose search embeds the whole changelog, a search by key with ``expand=changelog``.

An answer that is not a page of changelogs is a ``JiraProtocolError``; a malformed history costs its issue alone (a
``SnapshotProblem``). An issue Jira answers nothing for has no history of those fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from escalator.core.issue import SnapshotProblem
from escalator.jira.errors import JiraProtocolError
from escalator.jira.pages import changelog_problem

__all__ = ["BULK_ISSUES", "CHANGELOG_FIELDS", "ChangelogRead", "add_bulk_page", "whole_changelog"]

CHANGELOG_FIELDS = ("assignee", "priority", "labels", "status")
"""The fields whose changes the core reads (``snapshot.history_fields``): when assignee and priority last changed
and by whom, what escalator's own account set (assignee, priority, labels), and the status history that paused
clocks read (``core/pause.py``)."""

BULK_ISSUES = 1000
"""Issues per ``changelog/bulkfetch`` request: the most Jira Cloud takes."""


@dataclass
class ChangelogRead:
    """Whole changelogs by issue key (``{"histories": [...], "total": n}``, oldest first), the issues whose
    changelog could not be read, and the requests it took."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[SnapshotProblem] = field(default_factory=list)
    requests: int = 0


def add_bulk_page(answer: Any, keys_by_id: Mapping[str, str], histories: dict[str, list[Any]]) -> None:
    """One ``changelog/bulkfetch`` answer's histories appended to ``histories`` (by issue key). Entries for issues
    that were not asked for are ignored; ``JiraProtocolError`` when the answer is not a page of changelogs."""
    if not isinstance(answer, dict):
        raise JiraProtocolError("changelog/bulkfetch answered something other than a page object")
    logs = answer.get("issueChangeLogs", [])
    if not isinstance(logs, list):
        raise JiraProtocolError("changelog/bulkfetch answered a page whose 'issueChangeLogs' is not a list")
    for log in logs:
        issue_id = log.get("issueId") if isinstance(log, dict) else None
        key = keys_by_id.get(issue_id) if isinstance(issue_id, str) else None
        if key is None:
            continue
        entries = log.get("changeHistories", [])
        histories.setdefault(key, []).extend(entries if isinstance(entries, list) else [entries])


def whole_changelog(key: str, histories: list[Any]) -> dict[str, Any] | SnapshotProblem:
    """An issue's histories as a whole changelog, or the problem that keeps them from being read."""
    changelog = {"histories": histories, "total": len(histories)}
    problem = changelog_problem(changelog)
    if problem is not None:
        return SnapshotProblem(key, f"unreadable changelog: {problem}")
    return changelog
