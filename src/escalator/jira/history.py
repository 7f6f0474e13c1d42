"""Jira's issue JSON (one search result with its changelog and comments) -> the core's ``IssueHistory``, and the
JQL that asks for a batch of issues by key. Pure: no I/O.

Issue keys come from decision records, which are read back from places others can write to, so a key is only
put into JQL when it looks like a Jira key (``ABC-123``); anything else is refused, never quoted and hoped for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from escalator.core.history import FieldChange, IssueComment, IssueHistory
from escalator.jira.errors import JiraUnexpectedResponse
from escalator.jira.snapshot import Deployment, parse_jira_time

__all__ = ["HISTORY_FIELDS", "ISSUE_KEY", "history_from_json", "keys_jql", "missing_keys"]

HISTORY_FIELDS = ("created", "resolutiondate", "status", "assignee", "comment")
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9][0-9]*")
_MISSING = re.compile(r"An issue with key '([^']+)' does not exist")


def keys_jql(keys: Sequence[str]) -> str:
    """``key in ("A-1", "B-2")``; every key must match ``ISSUE_KEY`` (a ``ValueError`` otherwise)."""
    bad = [key for key in keys if not ISSUE_KEY.fullmatch(key)]
    if bad:
        raise ValueError(f"not Jira issue keys: {', '.join(repr(key) for key in bad[:5])}")
    return "key in (" + ", ".join(f'"{key}"' for key in keys) + ")"


def missing_keys(messages: Sequence[str]) -> list[str] | None:
    """The keys a 400 answer to ``keys_jql`` says Jira does not have (or does not show this user); None when
    any message is about something else."""
    found = [_MISSING.match(message) for message in messages]
    if not found or any(match is None for match in found):
        return None
    return [match.group(1) for match in found if match is not None]


def history_from_json(raw: Mapping[str, Any], deployment: Deployment) -> IssueHistory:
    """One search result; ``JiraUnexpectedResponse`` when it cannot be read (the caller records the problem)."""
    key = raw.get("key")
    fields = raw.get("fields")
    if not isinstance(key, str) or not isinstance(fields, dict):
        raise JiraUnexpectedResponse(f"a search result without key or fields: {sorted(raw)[:8]}")
    person = "accountId" if deployment == "cloud" else "name"
    try:
        changes, changes_complete = _changes(raw.get("changelog"), person)
        comments, comments_complete = _comments(fields.get("comment"), person)
        status = fields.get("status") or {}
        return IssueHistory(
            key=key,
            created=parse_jira_time(fields["created"]),
            resolved_at=parse_jira_time(fields["resolutiondate"]) if fields.get("resolutiondate") else None,
            status_category=(status.get("statusCategory") or {}).get("key") or "new",
            assignee=_person(fields.get("assignee"), person),
            changes=changes,
            comments=comments,
            changes_complete=changes_complete,
            comments_complete=comments_complete,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # ValidationError is a ValueError
        detail = "; ".join(e["msg"] for e in error.errors()[:2]) if isinstance(error, ValidationError) else error
        raise JiraUnexpectedResponse(f"issue {key}: cannot read its history ({detail})") from None


def _person(value: Any, attribute: str) -> str | None:
    if not isinstance(value, dict):
        return None
    found = value.get(attribute)
    return str(found) if found is not None else None


def _changes(changelog: Any, person: str) -> tuple[tuple[FieldChange, ...], bool]:
    if not isinstance(changelog, dict):
        return (), False  # not expanded: nothing is known
    histories = changelog.get("histories") or []
    total = changelog.get("total")
    complete = not (isinstance(total, int) and total > len(histories))
    changes = []
    for history in histories:
        at = parse_jira_time(history["created"])
        author = _person(history.get("author"), person)
        for item in history.get("items") or ():
            field = item.get("fieldId") or item.get("field")
            changes.append(
                FieldChange(
                    at=at, author=author, field=str(field), from_value=item.get("from"), to_value=item.get("to")
                )
            )
    return tuple(changes), complete


def _comments(comment: Any, person: str) -> tuple[tuple[IssueComment, ...], bool]:
    if not isinstance(comment, dict):
        return (), False  # the field was not returned: nothing is known
    items = comment.get("comments") or []
    total = comment.get("total")
    complete = not (isinstance(total, int) and total > len(items))
    found = tuple(
        IssueComment(at=parse_jira_time(item["created"]), author=_person(item.get("author"), person)) for item in items
    )
    return found, complete
