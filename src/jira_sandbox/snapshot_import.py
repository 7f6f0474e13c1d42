"""Loading an escalator snapshot (``escalator snapshot save``) as issues, so a rehearsal runs against the same
backlog a ``policy diff`` saw. Plain dicts in, ``IssueSeed`` out: the sandbox never imports escalator.

What the core reads survives the round trip: keys, project, type, status and its category, priority, people,
labels, components, custom fields, created/updated, the people the policies name (inactive ones
inactive), the escalation state (as the ``escalator.state`` issue
property) and when assignee and priority last changed, as changelog entries: by the sandbox's admin account
(the account escalator acts as in a rehearsal) unless a person made that change (``human_changed_at``), then
by the issue's reporter.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from jira_sandbox import catalog
from jira_sandbox import users as user_store
from jira_sandbox.issue_seeds import ChangeItemSeed, ChangeSeed, IssueSeed
from jira_sandbox.settings import DEFAULT_ADMIN_NAME

__all__ = ["SNAPSHOT_FORMAT", "is_snapshot", "seeds_from_snapshot"]

SNAPSHOT_FORMAT = "escalator-snapshot"
STATE_PROPERTY_KEY = "escalator.state"


def is_snapshot(body: Any) -> bool:
    return isinstance(body, dict) and body.get("format") == SNAPSHOT_FORMAT


def seeds_from_snapshot(db: sqlite3.Connection, body: dict[str, Any]) -> list[IssueSeed]:
    """Seeds for the snapshot's issues; unknown people, statuses and priorities are created first."""
    admin = user_store.by_name(db, DEFAULT_ADMIN_NAME)
    inactive = set(body.get("inactive_users") or ())
    for person in [*(body.get("people_named") or ()), *inactive]:
        _person(db, person, active=person not in inactive)
    groups = body.get("groups") or {}
    for group, members in groups.items() if isinstance(groups, dict) else ():
        for member in members if isinstance(members, list) else ():
            account = _person(db, member, active=member not in inactive)
            if account is not None:
                user_store.add_to_group(db, str(group), account)
    return [_seed(db, issue, admin.account_id if admin else None) for issue in body.get("issues") or []]


def _person(db: sqlite3.Connection, value: Any, *, active: bool = True) -> str | None:
    """The account of a person named by accountId (Cloud) or username (Data Center), created if new."""
    if not isinstance(value, str) or not value:
        return None
    user = user_store.by_account_id(db, value) or user_store.by_name(db, value)
    if user is not None:
        return user.account_id
    user_store.save_user(
        db,
        user_store.User(
            account_id=value, name=value, display_name=value, email=f"{value}@imported.invalid", active=active
        ),
    )
    return value


def _ensure(db: sqlite3.Connection, status: str, category: str, priority: str | None) -> None:
    if catalog.find_id(db, "statuses", status) is None:
        next_id = db.execute("SELECT MAX(id) + 1 FROM statuses").fetchone()[0]
        category = category if category in catalog.STATUS_CATEGORIES else "new"
        db.execute("INSERT INTO statuses (id, name, category) VALUES (?, ?, ?)", (next_id, status, category))
    if priority is not None and catalog.find_id(db, "priorities", priority) is None:
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM priorities").fetchone()[0]
        db.execute("INSERT INTO priorities (id, name, sequence) VALUES (?, ?, ?)", (next_id, priority, next_id))


def _seed(db: sqlite3.Connection, issue: dict[str, Any], admin: str | None) -> IssueSeed:
    status = str(issue.get("status") or "To Do")
    priority = issue.get("priority")
    _ensure(db, status, str(issue.get("status_category") or "new"), priority)
    assignee = _person(db, issue.get("assignee"))
    reporter = _person(db, issue.get("reporter"))
    human = issue.get("human_changed_at")
    changelog = []
    for field, value in (("assignee", assignee), ("priority", priority)):
        at = issue.get(f"{field}_changed_at")
        if at is None:
            continue
        author = reporter if at == human else admin
        item = ChangeItemSeed(field=field, to=value)
        changelog.append(ChangeSeed(author=author, created=datetime.fromisoformat(at), items=[item]))
    for moved in issue.get("status_changes") or ():  # the status history, for paused clocks
        for name in (moved.get("from_status"), moved.get("to_status")):
            if isinstance(name, str):
                _ensure(db, name, "indeterminate", None)
        item = ChangeItemSeed(field="status", from_=moved.get("from_status"), to=moved.get("to_status"))
        changelog.append(ChangeSeed(author=reporter, created=datetime.fromisoformat(moved["at"]), items=[item]))
    state = issue.get("state")
    custom = {k: v for k, v in (issue.get("fields") or {}).items() if isinstance(v, str | int | float)}
    return IssueSeed(
        key=issue["key"],
        project=issue.get("project"),
        issuetype=str(issue.get("issue_type") or "Task"),
        status=status,
        priority=priority,
        assignee=assignee,
        reporter=reporter,
        labels=list(issue.get("labels") or ()),
        components=list(issue.get("components") or ()),
        created=issue.get("created"),
        updated=issue.get("updated"),
        properties={STATE_PROPERTY_KEY: state} if state else {},
        custom_fields=custom,
        changelog=changelog,
    )
