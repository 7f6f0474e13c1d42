"""The issue fields the sandbox knows: ids, display names, JQL clause names and schema types, for
`GET /field`, `expand=names`, the changelog and the JQL translator. Custom fields come from the store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    id: str
    name: str
    clause_names: tuple[str, ...]
    schema_type: str
    navigable: bool = True
    custom: bool = False
    items: str | None = None
    custom_id: int | None = None

    def render(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.schema_type}
        if self.items is not None:
            schema["items"] = self.items
        if self.custom:
            schema["custom"] = f"com.atlassian.jira.plugin.system.customfieldtypes:{self.schema_type}field"
            schema["customId"] = self.custom_id
        else:
            schema["system"] = self.id
        return {
            "id": self.id,
            "key": self.id,
            "name": self.name,
            "custom": self.custom,
            "orderable": True,
            "navigable": self.navigable,
            "searchable": True,
            "clauseNames": list(self.clause_names),
            "schema": schema,
        }


SYSTEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("summary", "Summary", ("summary",), "string"),
    FieldSpec("description", "Description", ("description",), "string"),
    FieldSpec("issuetype", "Issue Type", ("issuetype", "type"), "issuetype"),
    FieldSpec("project", "Project", ("project",), "project"),
    FieldSpec("status", "Status", ("status",), "status"),
    FieldSpec("priority", "Priority", ("priority",), "priority"),
    FieldSpec("resolution", "Resolution", ("resolution",), "resolution"),
    FieldSpec("assignee", "Assignee", ("assignee",), "user"),
    FieldSpec("reporter", "Reporter", ("reporter",), "user"),
    FieldSpec("creator", "Creator", ("creator",), "user"),
    FieldSpec("labels", "Labels", ("labels",), "array", items="string"),
    FieldSpec("components", "Component/s", ("component",), "array", items="component"),
    FieldSpec("created", "Created", ("created", "createdDate"), "datetime"),
    FieldSpec("updated", "Updated", ("updated", "updatedDate"), "datetime"),
    FieldSpec("resolutiondate", "Resolved", ("resolutiondate", "resolved"), "datetime"),
    FieldSpec("duedate", "Due date", ("duedate", "due"), "date"),
    FieldSpec("comment", "Comment", ("comment",), "comments-page", navigable=False),
)


def custom_fields(db: sqlite3.Connection) -> list[FieldSpec]:
    rows = db.execute("SELECT id, name, kind FROM custom_fields ORDER BY id").fetchall()
    return [
        FieldSpec(
            f"customfield_{row['id']}",
            row["name"],
            (f"cf[{row['id']}]", row["name"]),
            "number" if row["kind"] == "number" else "string",
            custom=True,
            custom_id=row["id"],
        )
        for row in rows
    ]


def all_fields(db: sqlite3.Connection) -> list[FieldSpec]:
    return [*SYSTEM_FIELDS, *custom_fields(db)]
