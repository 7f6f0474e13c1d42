"""How a project is set up beyond its issues, where it differs from the sandbox's defaults (a user may do in
every project what their global flags allow, every active user is assignable, every priority is allowed, every
field is on every edit screen). In Jira this lives in permission, priority and screen schemes; the sandbox keeps
one `ProjectSchemes` document per project, so tests can rebuild what a real Jira refuses:

- `denied`: permissions a user lacks in the project (`EDIT_ISSUES`, `ASSIGN_ISSUES`, `ADD_COMMENTS`,
  `BROWSE_PROJECTS`, ...);
- `unassignable`: users who may not be assigned the project's issues;
- `priorities`: the project's priority scheme (None: every priority);
- `hidden_fields`: fields the edit screen leaves out, per issue type name (`"*"`: every type).

`mypermissions`, `user/assignable/search`, `priority/search?projectId=` and `issue/{key}/editmeta` report it;
edits that need what a project does not allow are refused as Jira refuses them (`issue_input.py`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jira_sandbox import catalog
from jira_sandbox import users as user_store
from jira_sandbox.users import User

__all__ = [
    "PERMISSIONS",
    "ProjectSchemes",
    "assignable",
    "clear",
    "hidden_fields",
    "load",
    "permitted",
    "priority_allowed",
    "save",
]

PERMISSIONS: dict[str, tuple[str, str]] = {
    # key: (id, name), as Jira numbers and names its project permissions
    "ADMINISTER_PROJECTS": ("23", "Administer Projects"),
    "BROWSE_PROJECTS": ("10", "Browse Projects"),
    "EDIT_ISSUES": ("12", "Edit Issues"),
    "ASSIGN_ISSUES": ("13", "Assign Issues"),
    "ASSIGNABLE_USER": ("17", "Assignable User"),
    "ADD_COMMENTS": ("15", "Add Comments"),
}


class ProjectSchemes(BaseModel):
    """One project's differences from the defaults. Users are given by accountId or username."""

    model_config = ConfigDict(extra="forbid")

    denied: dict[str, list[str]] = Field(default_factory=dict, description="user -> permission keys they lack")
    unassignable: list[str] = Field(default_factory=list, description="users who may not be assigned issues here")
    priorities: list[str] | None = Field(default=None, description="the priority scheme's priorities; None: all")
    hidden_fields: dict[str, list[str]] = Field(
        default_factory=dict, description='issue type name ("*": every type) -> fields the edit screen leaves out'
    )

    @field_validator("denied")
    @classmethod
    def _known_permissions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for keys in value.values():
            unknown = sorted(set(keys) - set(PERMISSIONS))
            if unknown:
                raise ValueError(f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(PERMISSIONS)}")
        return value


def save(db: sqlite3.Connection, project_key: str, schemes: ProjectSchemes) -> None:
    """Replace a project's schemes, users resolved to account ids and priorities to ids (ValueError if unknown)."""
    project_id = catalog.find_project_id(db, project_key)
    if project_id is None:
        raise ValueError(f"no project {project_key!r}")
    stored: dict[str, Any] = {
        "denied": {_account_id(db, user): sorted(set(keys)) for user, keys in schemes.denied.items()},
        "unassignable": sorted({_account_id(db, user) for user in schemes.unassignable}),
        "priorities": None if schemes.priorities is None else sorted(_priority_id(db, p) for p in schemes.priorities),
        "hidden_fields": {kind: sorted(set(fields)) for kind, fields in schemes.hidden_fields.items()},
    }
    db.execute(
        "INSERT OR REPLACE INTO project_schemes (project_id, config) VALUES (?, ?)", (project_id, json.dumps(stored))
    )


def load(db: sqlite3.Connection, project_id: int) -> dict[str, Any]:
    """The stored schemes of a project (account ids, priority ids), or the defaults."""
    row = db.execute("SELECT config FROM project_schemes WHERE project_id = ?", (project_id,)).fetchone()
    if row is None:
        return {"denied": {}, "unassignable": [], "priorities": None, "hidden_fields": {}}
    config: dict[str, Any] = json.loads(row["config"])
    return config


def clear(db: sqlite3.Connection) -> None:
    """Every project back to the defaults."""
    db.execute("DELETE FROM project_schemes")


def permitted(db: sqlite3.Connection, user: User, project_id: int, key: str) -> bool:
    """Whether `user` has the project permission `key` in the project: the global flag, unless denied there."""
    granted = {
        "ADMINISTER_PROJECTS": user.is_admin,
        "BROWSE_PROJECTS": True,
        "EDIT_ISSUES": user.can_edit,
        "ASSIGN_ISSUES": user.can_assign,
        "ASSIGNABLE_USER": user.active,
        "ADD_COMMENTS": user.can_edit,
    }.get(key, False)
    return granted and key not in load(db, project_id)["denied"].get(user.account_id, [])


def assignable(db: sqlite3.Connection, user: User, project_id: int) -> bool:
    """Whether issues of the project may be assigned to `user`."""
    unassignable = load(db, project_id)["unassignable"]
    return permitted(db, user, project_id, "ASSIGNABLE_USER") and user.account_id not in unassignable


def priority_allowed(db: sqlite3.Connection, project_id: int, priority_id: int) -> bool:
    allowed = load(db, project_id)["priorities"]
    return allowed is None or priority_id in allowed


def hidden_fields(db: sqlite3.Connection, project_id: int, issue_type: str) -> frozenset[str]:
    """The fields the edit screen of this project and issue type leaves out."""
    hidden = load(db, project_id)["hidden_fields"]
    return frozenset(hidden.get("*", [])) | frozenset(hidden.get(issue_type, []))


def _account_id(db: sqlite3.Connection, user: str) -> str:
    found = user_store.by_account_id(db, user) or user_store.by_name(db, user)
    if found is None:
        raise ValueError(f"no user {user!r}")
    return found.account_id


def _priority_id(db: sqlite3.Connection, name: str) -> int:
    found = catalog.find_id(db, "priorities", name)
    if found is None:
        raise ValueError(f"no priority {name!r}")
    return found
