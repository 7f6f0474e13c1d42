"""Loads a JSON export of real issues: the body of a Jira search (`{"issues": [...]}`, from
`search/jql` or `search`, ideally with `expand=changelog`) or a bare list of such issues, or a list of
`IssueSeed` objects. Users, projects, statuses, priorities and issue types the export mentions are
created; keys, timestamps and changelogs are kept."""

from __future__ import annotations

import sqlite3
from typing import Any

from pydantic import TypeAdapter

from jira_sandbox import catalog
from jira_sandbox import users as user_store
from jira_sandbox.errors import bad_request
from jira_sandbox.issue_seeds import ChangeItemSeed, ChangeSeed, CommentSeed, IssueSeed, insert_seeds
from jira_sandbox.snapshot_import import is_snapshot, seeds_from_snapshot
from jira_sandbox.users import User

_SEEDS = TypeAdapter(list[IssueSeed])
_USER_KEYS = ("accountId", "name", "key", "emailAddress")


def _user(db: sqlite3.Connection, raw: Any) -> str | None:
    """Create (if new) the user an exported user object describes; its account id."""
    if not isinstance(raw, dict):
        return None
    name = str(raw.get("name") or raw.get("key") or raw.get("accountId") or "").strip()
    account_id = str(raw.get("accountId") or f"acc-{name}")
    if not name and not raw.get("accountId"):
        return None
    existing = user_store.by_account_id(db, account_id) or (user_store.by_name(db, name) if name else None)
    if existing is not None:
        return existing.account_id
    user_store.save_user(
        db,
        User(
            account_id=account_id,
            name=name or account_id,
            display_name=str(raw.get("displayName") or name or account_id),
            email=str(raw.get("emailAddress") or f"{name or account_id}@imported.invalid"),
            active=bool(raw.get("active", True)),
        ),
    )
    return account_id


def _named(raw: Any) -> str | None:
    return str(raw["name"]) if isinstance(raw, dict) and raw.get("name") else None


def _ensure_status(db: sqlite3.Connection, raw: Any) -> str:
    name = _named(raw) or "To Do"
    if catalog.find_id(db, "statuses", name) is None:
        category = ((raw or {}).get("statusCategory") or {}).get("key", "new")
        category = category if category in catalog.STATUS_CATEGORIES else "new"
        next_id = db.execute("SELECT MAX(id) + 1 FROM statuses").fetchone()[0]
        db.execute("INSERT INTO statuses (id, name, category) VALUES (?, ?, ?)", (next_id, name, category))
    return name


def _ensure_named(db: sqlite3.Connection, table: str, name: str | None) -> str | None:
    if name is None or catalog.find_id(db, table, name) is not None:
        return name
    next_id = db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]
    if table == "priorities":
        db.execute("INSERT INTO priorities (id, name, sequence) VALUES (?, ?, ?)", (next_id, name, next_id))
    else:
        db.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (next_id, name))
    return name


def _seed_from_issue(db: sqlite3.Connection, raw: dict[str, Any]) -> IssueSeed:
    fields = raw.get("fields") or {}
    project = fields.get("project") or {}
    key = raw.get("key")
    project_key = project.get("key") or (str(key).rsplit("-", 1)[0] if key else None)
    if project_key is None:
        raise bad_request("Every exported issue needs a key or fields.project.key.")
    catalog.ensure_project(db, project_key, project.get("name") or project_key)
    changelog: list[ChangeSeed] = []
    for history in (raw.get("changelog") or {}).get("histories") or []:
        author = _user(db, history.get("author"))
        items = []
        for item in history.get("items") or []:
            field = str(item.get("field"))
            if field in ("assignee", "reporter"):
                old, new = item.get("from"), item.get("to")
                items.append(
                    ChangeItemSeed(
                        field=field,
                        from_=old and _account_for(db, old),
                        to=new and _account_for(db, new),
                        from_string=item.get("fromString"),
                        to_string=item.get("toString"),
                    )
                )
            elif field in ("priority", "status", "resolution"):
                items.append(ChangeItemSeed(field=field, from_=item.get("fromString"), to=item.get("toString")))
            else:
                items.append(
                    ChangeItemSeed(
                        field=field,
                        from_=item.get("from"),
                        to=item.get("to"),
                        from_string=item.get("fromString"),
                        to_string=item.get("toString"),
                    )
                )
        changelog.append(ChangeSeed(author=author, created=history["created"], items=items))
    comments = [
        CommentSeed(author=_user(db, c.get("author")) or "", body=str(c.get("body") or ""), created=c.get("created"))
        for c in ((fields.get("comment") or {}).get("comments") or [])
        if isinstance(c.get("body"), str)
    ]
    status = _ensure_status(db, fields.get("status"))
    return IssueSeed(
        key=key,
        project=project_key,
        issuetype=_named(fields.get("issuetype")) or "Task",
        summary=fields.get("summary") or str(key or "Imported issue"),
        description=fields.get("description") if isinstance(fields.get("description"), str) else None,
        status=status,
        resolution=_ensure_named(db, "resolutions", _named(fields.get("resolution"))),
        priority=_ensure_named(db, "priorities", _named(fields.get("priority"))),
        assignee=_user(db, fields.get("assignee")),
        reporter=_user(db, fields.get("reporter")),
        labels=list(fields.get("labels") or []),
        components=[c["name"] for c in fields.get("components") or [] if isinstance(c, dict) and c.get("name")],
        created=fields.get("created"),
        updated=fields.get("updated"),
        resolutiondate=fields.get("resolutiondate"),
        duedate=fields.get("duedate"),
        properties=dict(raw.get("properties") or {}),
        comments=comments,
        changelog=changelog,
    )


def _account_for(db: sqlite3.Connection, value: str) -> str:
    """A user named in a changelog item by accountId (Cloud) or username (Server), created if new."""
    user = user_store.by_account_id(db, value) or user_store.by_name(db, value)
    return user.account_id if user is not None else (_user(db, {"name": value}) or value)


def import_export(db: sqlite3.Connection, body: Any, now: int) -> list[str]:
    """Insert the issues of an export; returns their keys."""
    if is_snapshot(body):  # an escalator snapshot: issues as the core sees them
        return insert_seeds(db, seeds_from_snapshot(db, body), now)
    raw_issues = body.get("issues") if isinstance(body, dict) else body
    if not isinstance(raw_issues, list):
        raise bad_request("An export is a search result ({'issues': [...]}) or a list of issues.")
    if raw_issues and all(isinstance(item, dict) and "fields" not in item for item in raw_issues):
        return insert_seeds(db, _SEEDS.validate_python(raw_issues), now)
    seeds = [_seed_from_issue(db, item) for item in raw_issues if isinstance(item, dict)]
    return insert_seeds(db, seeds, now)
