"""Users: the rows, the lookups Jira offers (by accountId, username, email, token, search query) and the
two ways Jira prints a user (Cloud: `accountId`; Server/DC: `name` and `key`).

Permissions are two flags per user (`can_edit`, `can_assign`); browsing is always allowed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jira_sandbox.settings import Mode
from jira_sandbox.urls import ApiUrls


@dataclass(frozen=True)
class User:
    account_id: str
    name: str
    display_name: str
    email: str
    active: bool = True
    token: str | None = None
    can_edit: bool = True
    can_assign: bool = True
    is_admin: bool = False
    time_zone: str = "UTC"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> User:
        return cls(
            account_id=row["account_id"],
            name=row["name"],
            display_name=row["display_name"],
            email=row["email"],
            active=bool(row["active"]),
            token=row["token"],
            can_edit=bool(row["can_edit"]),
            can_assign=bool(row["can_assign"]),
            is_admin=bool(row["is_admin"]),
            time_zone=row["time_zone"],
        )


def save_user(db: sqlite3.Connection, user: User, groups: tuple[str, ...] = ()) -> None:
    """Insert or replace a user and add it to `groups`."""
    db.execute(
        "INSERT OR REPLACE INTO users (account_id, name, display_name, email, active, token, can_edit,"
        " can_assign, is_admin, time_zone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            user.account_id,
            user.name,
            user.display_name,
            user.email,
            int(user.active),
            user.token,
            int(user.can_edit),
            int(user.can_assign),
            int(user.is_admin),
            user.time_zone,
        ),
    )
    db.executemany(
        "INSERT OR IGNORE INTO group_members (group_name, account_id) VALUES (?, ?)",
        [(group, user.account_id) for group in groups],
    )


def _one(db: sqlite3.Connection, where: str, *params: object) -> User | None:
    row = db.execute(f"SELECT * FROM users WHERE {where}", params).fetchone()
    return None if row is None else User.from_row(row)


def by_account_id(db: sqlite3.Connection, account_id: str) -> User | None:
    return _one(db, "account_id = ?", account_id)


def by_name(db: sqlite3.Connection, name: str) -> User | None:
    return _one(db, "name = ?", name)


def by_login(db: sqlite3.Connection, login: str) -> User | None:
    """The user a Basic-auth login names: an email address or a username."""
    return _one(db, "email = ? OR name = ?", login, login)


def by_token(db: sqlite3.Connection, token: str, same: Callable[[str, str], bool]) -> User | None:
    """The user whose token is ``token``, compared by ``same`` with every user's token (no early exit and no
    index lookup, so the time taken does not depend on which characters match)."""
    found: User | None = None
    for row in db.execute("SELECT * FROM users WHERE token IS NOT NULL AND token != ''").fetchall():
        if same(token, row["token"]) and found is None:
            found = User.from_row(row)
    return found


def by_any(db: sqlite3.Connection, value: str) -> User | None:
    """A user named in JQL or a body: accountId, username, email or display name (in that order)."""
    return (
        by_account_id(db, value)
        or by_name(db, value)
        or _one(db, "email = ?", value)
        or _one(db, "display_name = ? COLLATE NOCASE", value)
    )


def group_members(db: sqlite3.Connection, group: str) -> list[str] | None:
    """Account ids in `group`, or None when no such group exists."""
    rows = db.execute("SELECT account_id FROM group_members WHERE group_name = ?", (group,)).fetchall()
    return [row["account_id"] for row in rows] if rows else None


def add_to_group(db: sqlite3.Connection, group: str, account_id: str) -> None:
    db.execute("INSERT OR IGNORE INTO group_members (group_name, account_id) VALUES (?, ?)", (group, account_id))


def group_users(db: sqlite3.Connection, group: str) -> list[User] | None:
    """The users in `group` ordered by username (Cloud orders by the username it no longer shows), or None when
    no such group exists."""
    rows = db.execute(
        "SELECT users.* FROM group_members JOIN users ON users.account_id = group_members.account_id "
        "WHERE group_members.group_name = ? ORDER BY users.name",
        (group,),
    ).fetchall()
    return [User.from_row(row) for row in rows] if rows else None


def search(
    db: sqlite3.Connection,
    text: str,
    *,
    match_username: bool,
    include_active: bool,
    include_inactive: bool,
    start_at: int,
    max_results: int,
) -> list[User]:
    """Jira's user search: prefix of the display name (or any word of it) or the email address; Server
    mode also matches the username. Cloud's `query` never matches an accountId."""
    prefix = text.strip().lower()
    rows = db.execute("SELECT * FROM users ORDER BY display_name, account_id").fetchall()
    found: list[User] = []
    for row in rows:
        user = User.from_row(row)
        if (user.active and not include_active) or (not user.active and not include_inactive):
            continue
        names = [user.display_name.lower(), *user.display_name.lower().split(), user.email.lower()]
        if match_username:
            names.append(user.name.lower())
        if prefix in ("", ".", "%") or any(name.startswith(prefix) for name in names):
            found.append(user)
    return found[start_at : start_at + max_results]


def render(user: User, mode: Mode, urls: ApiUrls, *, details: bool = False) -> dict[str, Any]:
    """A `User`; with `details`, the shorter `UserDetails` Jira embeds in comments and changelogs."""
    avatars = {size: urls.icon(f"avatar-{user.name}") for size in ("16x16", "24x24", "32x32", "48x48")}
    body: dict[str, Any]
    if mode == "cloud":
        body = {
            "self": urls.user_by_account(user.account_id),
            "accountId": user.account_id,
            "accountType": "atlassian",
            "emailAddress": user.email,
            "avatarUrls": avatars,
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "locale": "en_US",
        }
    else:
        body = {
            "self": urls.user_by_name(user.name),
            "key": user.name,
            "name": user.name,
            "emailAddress": user.email,
            "avatarUrls": avatars,
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "locale": "en_US",
        }
    if details:
        del body["locale"]
    return body
