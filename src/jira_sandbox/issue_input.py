"""Request bodies that change issues, read the way Jira reads them: `fields` and `update` of an edit,
assignee bodies (Cloud: `accountId`; Server/DC: `name` or `key`), create bodies, comment bodies (v2 text,
v3 ADF) and inline `properties`. Validation errors and permission failures are raised with Jira's
messages; the writes themselves go through `issues.IssueEdit`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from jira_sandbox import adf, catalog, jiratime
from jira_sandbox import users as user_store
from jira_sandbox.errors import JiraApiError, bad_request, field_error, forbidden
from jira_sandbox.issues import IssueEdit, NewIssue, check_property
from jira_sandbox.schemes import assignable, hidden_fields, permitted, priority_allowed
from jira_sandbox.settings import Mode
from jira_sandbox.users import User

_NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
EDIT_FORBIDDEN = "You do not have permission to edit issues in this project."
ASSIGN_FORBIDDEN = "You do not have permission to assign issues."
COMMENT_FORBIDDEN = "You do not have the permission to comment on this issue."


def require_edit(user: User, db: sqlite3.Connection | None = None, project_id: int | None = None) -> None:
    """403 unless `user` may edit issues (in the project, when given: its permission scheme may deny it)."""
    if not user.can_edit or (
        db is not None and project_id is not None and not permitted(db, user, project_id, "EDIT_ISSUES")
    ):
        raise forbidden(EDIT_FORBIDDEN)


def require_assign(user: User, db: sqlite3.Connection | None = None, project_id: int | None = None) -> None:
    """403 unless `user` may assign issues (in the project, when given)."""
    if not user.can_assign or (
        db is not None and project_id is not None and not permitted(db, user, project_id, "ASSIGN_ISSUES")
    ):
        raise forbidden(ASSIGN_FORBIDDEN)


def require_assignable(db: sqlite3.Connection, account_id: str | None, project_id: int) -> None:
    """Jira's 400 on `assignee` when the project's issues may not be assigned to this user."""
    user = None if account_id is None else user_store.by_account_id(db, account_id)
    if user is not None and not assignable(db, user, project_id):
        raise field_error("assignee", f"User '{user.display_name}' cannot be assigned issues.")


def resolve_assignee(db: sqlite3.Connection, body: Any, mode: Mode, project_lead: str | None) -> str | None:
    """The account id an assignee body names; None to unassign. `-1` means the project default (its
    lead). Unknown users and inactive users are Jira's 400 on `assignee`."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise field_error("assignee", "data was not an object")
    keys = [k for k in ("accountId", "name", "key", "id") if k in body]
    if len(keys) > 1 and not (keys == ["accountId", "id"] or set(keys) <= {"name", "key"}):
        raise field_error("assignee", "Only one of 'accountId', 'name' or 'key' may be given.")
    if mode == "cloud" and any(k in body for k in ("name", "key")) and "accountId" not in body:
        raise bad_request("'accountId' must be the only user identifying query parameter in GDPR strict mode.")
    value = body.get("accountId", body.get("id")) if mode == "cloud" else body.get("name", body.get("key"))
    if value is None:
        if keys:
            return None
        raise field_error(
            "assignee",
            "Specify the user by 'accountId'." if mode == "cloud" else "Specify the user by 'name'.",
        )
    if value == "-1":
        return project_lead
    user = user_store.by_account_id(db, value) if mode == "cloud" else user_store.by_name(db, value)
    if user is None:
        raise field_error("assignee", f"User '{value}' does not exist.")
    if not user.active:
        raise field_error("assignee", f"User '{user.display_name}' cannot be assigned issues.")
    return user.account_id


def _ref_id(db: sqlite3.Connection, table: str, field: str, value: Any) -> int:
    if not isinstance(value, dict):
        raise field_error(field, f"Could not find valid 'id' or 'name' in {field} object.")
    wanted = value.get("id", value.get("name"))
    found = None if wanted is None else catalog.find_id(db, table, str(wanted))
    if found is None:
        raise field_error(field, f"Specify a valid '{'id' if 'id' in value else 'name'}' for {field}")
    return found


def _component_ids(db: sqlite3.Connection, project_id: int, values: Any) -> list[int]:
    if not isinstance(values, list):
        raise field_error("components", "data was not an array")
    found: list[int] = []
    for value in values:
        value = value if isinstance(value, dict) else {}
        row = db.execute(
            "SELECT id FROM components WHERE project_id = ? AND (CAST(id AS TEXT) = ? OR name = ?)",
            (project_id, str(value.get("id", "")), str(value.get("name", ""))),
        ).fetchone()
        if row is None:
            raise field_error("components", f"Component name '{value.get('name', value.get('id'))}' is not valid")
        found.append(int(row["id"]))
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return adf.to_text(value) if adf.is_document(value) else str(value)


def _due(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return jiratime.parse_day(str(value))
    except ValueError:
        raise field_error("duedate", "Error parsing date string: " + str(value)) from None


def _custom(db: sqlite3.Connection, field: str) -> tuple[int, str, str] | None:
    if not field.startswith("customfield_") or not field[12:].isdigit():
        return None
    row = db.execute("SELECT id, name, kind FROM custom_fields WHERE id = ?", (int(field[12:]),)).fetchone()
    return None if row is None else (int(row["id"]), str(row["name"]), str(row["kind"]))


def _custom_value(kind: str, field: str, value: Any) -> str | float | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("value")
    if kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise field_error(field, "Operation value must be a number") from None
    return str(value)


class EditReader:
    """Applies one PUT /issue body to an `IssueEdit`, checking permissions field by field."""

    def __init__(self, db: sqlite3.Connection, edit: IssueEdit, caller: User, mode: Mode) -> None:
        self.db = db
        self.edit = edit
        self.caller = caller
        self.mode = mode
        self.comments: list[str] = []
        self.project_id = int(edit.issue["project_id"])
        issue_type = db.execute("SELECT name FROM issue_types WHERE id = ?", (edit.issue["issue_type_id"],)).fetchone()
        self.hidden = hidden_fields(db, self.project_id, str(issue_type["name"]) if issue_type else "")
        """fields this project's edit screen leaves out for this issue type: not settable, as in Jira"""

    def _on_screen(self, field: str) -> None:
        if field in self.hidden:
            raise field_error(field, _NOT_SETTABLE.format(field))

    def project_lead(self) -> str | None:
        row = self.db.execute("SELECT lead FROM projects WHERE id = ?", (self.edit.issue["project_id"],)).fetchone()
        return None if row is None else row["lead"]

    def set_field(self, field: str, value: Any) -> None:
        edit = self.edit
        self._on_screen(field)
        if field == "assignee":
            require_assign(self.caller, self.db, self.project_id)
            account_id = resolve_assignee(self.db, value, self.mode, self.project_lead())
            require_assignable(self.db, account_id, self.project_id)
            edit.set_assignee(account_id)
        elif field == "reporter":
            edit.set_reporter(resolve_assignee(self.db, value, self.mode, None))
        elif field == "priority":
            priority_id = _ref_id(self.db, "priorities", "priority", value)
            if not priority_allowed(self.db, self.project_id, priority_id):
                raise field_error("priority", "The priority selected is invalid.")
            edit.set_priority(priority_id)
        elif field == "labels":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise field_error("labels", "data was not an array")
            if any(" " in label for label in value):
                raise field_error("labels", "The label can't contain spaces.")
            edit.set_labels(value)
        elif field == "summary":
            if not value:
                raise field_error("summary", "You must specify a summary of the issue.")
            edit.set_text("summary", "summary", str(value))
        elif field == "description":
            edit.set_text("description", "description", _text(value))
        elif field == "duedate":
            edit.set_due_date(_due(value))
        elif field == "components":
            edit.set_components(_component_ids(self.db, edit.issue["project_id"], value))
        elif field == "issuetype":
            edit.set_issue_type(_ref_id(self.db, "issue_types", "issuetype", value))
        elif (custom := _custom(self.db, field)) is not None:
            field_id, name, kind = custom
            edit.set_custom(field_id, name, _custom_value(kind, field, value))
        else:
            raise field_error(field, _NOT_SETTABLE.format(field))

    def apply_update(self, field: str, operations: Any) -> None:
        if not isinstance(operations, list):
            raise field_error(field, "Operations must be given as a list.")
        if field != "comment":
            self._on_screen(field)
        for operation in operations:
            if not isinstance(operation, dict) or len(operation) != 1:
                raise field_error(field, "Each operation is an object with one verb: set, add, remove or edit.")
            verb, value = next(iter(operation.items()))
            if field == "comment":
                if verb != "add" or not isinstance(value, dict) or "body" not in value:
                    raise field_error("comment", "Comment operations support 'add' with a 'body'.")
                if not permitted(self.db, self.caller, self.project_id, "ADD_COMMENTS"):
                    raise forbidden(COMMENT_FORBIDDEN)
                self.comments.append(_text(value["body"]) or "")
            elif field == "labels" and verb in ("add", "remove"):
                labels = self.edit.current_labels()
                labels = [*labels, str(value)] if verb == "add" else [label for label in labels if label != value]
                self.set_field("labels", labels)
            elif field == "components" and verb in ("add", "remove"):
                current = self.edit.current_components()
                (changed,) = _component_ids(self.db, self.edit.issue["project_id"], [value])
                current = [*current, changed] if verb == "add" else [c for c in current if c != changed]
                self.edit.set_components(current)
            elif verb in ("set", "edit"):
                self.set_field(field, value)
            else:
                raise field_error(field, f"Operation '{verb}' is not supported for field '{field}'.")


def read_properties(body: Any) -> dict[str, Any]:
    """The inline `properties` of an edit or create body: a list of `{key, value}`."""
    if body is None:
        return {}
    if not isinstance(body, list):
        raise bad_request("'properties' must be a list of {key, value} objects.")
    found: dict[str, Any] = {}
    for entry in body:
        if not isinstance(entry, dict) or "key" not in entry or "value" not in entry:
            raise bad_request("Each property needs a 'key' and a 'value'.")
        check_property(str(entry["key"]), entry["value"])
        found[str(entry["key"])] = entry["value"]
    return found


def read_new_issue(db: sqlite3.Connection, body: Any, caller: User, mode: Mode, now: int) -> NewIssue:
    """A create body (`{"fields": {...}, "properties": [...]}`) as a `NewIssue` in the first status."""
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        raise bad_request("The request body needs 'fields'.")
    errors: dict[str, str] = {}
    project = fields.get("project") or {}
    project_id = (
        catalog.find_project_id(db, str(project.get("key") or project.get("id") or ""))
        if isinstance(project, dict)
        else None
    )
    if project_id is None:
        errors["project"] = "Specify a valid project ID or key"
    type_value = fields.get("issuetype") or {}
    type_id = None
    if isinstance(type_value, dict) and (type_value.get("id") or type_value.get("name")):
        type_id = catalog.find_id(db, "issue_types", str(type_value.get("id") or type_value.get("name")))
    if type_id is None:
        errors["issuetype"] = "Specify an issue type"
    if not fields.get("summary"):
        errors["summary"] = "You must specify a summary of the issue."
    if errors:
        raise JiraApiError(400, [], errors)
    assert project_id is not None and type_id is not None
    lead = db.execute("SELECT lead FROM projects WHERE id = ?", (project_id,)).fetchone()["lead"]
    assignee = None
    if "assignee" in fields:
        require_assign(caller)
        assignee = resolve_assignee(db, fields["assignee"], mode, lead)
    reporter = resolve_assignee(db, fields["reporter"], mode, None) if fields.get("reporter") else caller.account_id
    first_status = db.execute("SELECT id FROM statuses WHERE category = 'new' ORDER BY id LIMIT 1").fetchone()
    custom: dict[int, str | float] = {}
    for name, value in fields.items():
        found = _custom(db, name)
        if found is not None and value is not None:
            converted = _custom_value(found[2], name, value)
            if converted is not None:
                custom[found[0]] = converted
    known = {
        "project",
        "issuetype",
        "summary",
        "description",
        "priority",
        "assignee",
        "reporter",
        "labels",
        "components",
        "duedate",
    }
    unknown = [name for name in fields if name not in known and _custom(db, name) is None]
    if unknown:
        raise JiraApiError(400, [], {name: _NOT_SETTABLE.format(name) for name in unknown})
    return NewIssue(
        project_id=project_id,
        issue_type_id=type_id,
        summary=str(fields["summary"]),
        description=_text(fields.get("description")),
        status_id=int(first_status["id"]) if first_status else 10000,
        priority_id=_ref_id(db, "priorities", "priority", fields["priority"])
        if fields.get("priority")
        else catalog.DEFAULT_PRIORITY_ID,
        assignee=assignee,
        reporter=reporter,
        labels=list(fields.get("labels") or []),
        component_ids=_component_ids(db, project_id, fields.get("components") or []),
        due_date=_due(fields.get("duedate")),
        custom_values=custom,
        properties=read_properties(body.get("properties")),
        created=now,
        updated=now,
    )
